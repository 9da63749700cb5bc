// The access check of every call (issue 14, docs/operators.md): the signed-in operator's role against the permission
// the channel declares (shared/permissions.ts). A refusal is a typed `forbidden` error and an audited denied access
// (action access.denied, the channel as target, the role and the permission it lacked). The router asks before it
// parses the input (and again after, for the channels whose permission depends on it); the console's handlers ask
// too, so a handler reached by any other path refuses the same way. The gate also audits the refusals the router
// sees before or instead of a handler: an input refused by the channel's schema (every channel), a call refused
// `locked` (every channel that changes something, unless its service records it), and every denied access, coalesced
// against floods (refusalAudit.ts, docs/audit-log.md).
import type { CallContext, ChannelName } from '../../../shared/contract.ts';
import { ConsoleError, type ErrorInfo } from '../../../shared/errors.ts';
import { ROLE_LABELS, type OperatorRole } from '../../../shared/operatorsContract.ts';
import { accessFor, CHANNEL_ACCESS, SIGNED_IN_READS } from '../../../shared/permissions.ts';
import { systemClock, type Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import type { AuditDetails, AuditLog } from '../audit/auditLog.ts';
import { createRefusalAudit, type RefusalAuditDeps, type RefusalEntry } from './refusalAudit.ts';

export interface AccessGate {
  /** Throws `forbidden` (audited) when the signed-in operator may not call the channel (with this parsed input). */
  check(channel: ChannelName, ctx: CallContext, input?: { parsed: unknown }): void;
  /** The signed-in operator's role, or null when no one is signed in. */
  role(): OperatorRole | null;
  /**
   * The router refused a call's input by the channel's schema (before any handler): audited for every channel, under
   * its operation's action (REFUSAL_ACTIONS) or `input.refused`, failed, naming the channel, the code and the field,
   * never the input; coalesced (refusalAudit.ts).
   */
  refusedInput(channel: ChannelName, ctx: CallContext, error: ErrorInfo): void;
  /**
   * A handler refused the call `locked` while no one is signed in: audited for every channel that changes something
   * (gateRecordsLocked; the key operations of SELF_AUDITED_LOCKED audit their own), actor unknown; coalesced.
   */
  refusedLocked(channel: ChannelName, ctx: CallContext, error: ErrorInfo): void;
  /**
   * The CLI refused a key operation before asking the console (an --out file that exists): one failed record of the
   * operation's action naming the signed-in operator, the target, `refusedBy: 'cli'`. Throws locked when no one is.
   */
  refusedByCli(channel: ChannelName, target: { type: 'key'; id: string }, error: ErrorInfo): void;
  /**
   * Records a refusal through the same coalescing (the key services' own `locked` failures, SELF_AUDITED_LOCKED): the
   * first of a kind at once, the rest counted per window.
   */
  recordRefusal(entry: RefusalEntry): void;
  /** Writes the counts of coalesced refusals now (lock, close). */
  flush(): void;
  /** Flushes and stops the refusals' timer. */
  close(): void;
}

/** The action of a channel's schema refusal when it names no operation of its own (reads, settings, ...). */
export const INPUT_REFUSED_ACTION = 'input.refused';

/**
 * The operations whose every refusal is audited under their own action (the action their handler audits them under):
 * the emergency operations (docs/emergency-response.md "Audit") and the key operations. A schema refusal of any other
 * channel is audited as `input.refused`. The record says `refusedBy: 'schema'`; its actor is the signed-in operator
 * ('unknown' when no one is).
 */
export const REFUSAL_ACTIONS: Readonly<Partial<Record<ChannelName, string>>> = {
  'emergency:lockdownOrder': 'lockdown.order',
  'emergency:execute': 'emergency.execute',
  'emergency:retry': 'emergency.retry',
  'emergency:review': 'emergency.review',
  'keys:create': 'key.create',
  'keys:rotate': 'key.rotate',
  'keys:setState': 'key.state',
  'keys:encrypt': 'key.encrypt',
  'keys:decrypt': 'key.decrypt',
  'keys:sign': 'key.sign',
  'keys:verify': 'key.verify',
  'keys:publicKey': 'key.export_public',
  'keys:verifyIntegrity': 'key.verify_integrity',
  'keys:backup': 'key.backup',
  'keys:verifyBackup': 'key.verify_backup',
  'keys:migrate': 'key.migrate',
};

/**
 * Channels whose `locked` refusal (no one signed in) their own service already records, once per call (they audit
 * every failure of the operation): the gate does not record those again, so each call leaves exactly one record. The
 * key operations that run through runAudited record theirs through the gate's coalescing (KeyServiceDeps.refusals,
 * target the key); the others append theirs (docs/not-done.md: not coalesced). The gate records every other
 * changing channel's. test/integration/locked-refusal-audit.test.ts holds the same list as a table and fails on a
 * channel that records twice or not at all.
 */
export const SELF_AUDITED_LOCKED: ReadonlySet<ChannelName> = new Set<ChannelName>([
  'keys:create', 'keys:rotate', 'keys:setState', 'keys:encrypt', 'keys:decrypt', 'keys:sign', 'keys:verify', 'keys:publicKey', 'keys:verifyIntegrity',
  'keys:backup', 'keys:verifyBackup',
  'session:changePassphrase', 'operators:changePassphrase',
  'providers:save', 'providers:test', 'providers:slots', 'providers:remove',
  'fleet:create', 'fleet:update', 'fleet:importCsv', 'fleet:assignKey', 'fleet:clearKeyAssignment', 'fleet:setStatus',
  'bundles:build',
  'rollout:halt', 'rollout:resume', 'rollout:retire', 'rollout:reinstate', 'rollout:setPolicy', 'rollout:clearPolicy',
]);

/**
 * Channels that change nothing although their permission is more than `read` (signed-in reads): like every `read`
 * channel, their `locked` refusal is not recorded (nothing could have been done; a record would be noise). Kept in
 * shared/permissions.ts since the browser host's window also needs it (which calls it may send again after a drop).
 */
export { SIGNED_IN_READS };

/** Whether the gate records a `locked` refusal of the channel (every channel that changes something, except those whose service records it). */
export function gateRecordsLocked(channel: ChannelName): boolean {
  const access = CHANNEL_ACCESS[channel];
  return access !== 'read' && access !== 'open' && !SIGNED_IN_READS.has(channel) && !SELF_AUDITED_LOCKED.has(channel);
}

/** The action of a `locked` refusal recorded by the gate: the operation's own, else `call.locked`. */
export const LOCKED_ACTION = 'call.locked';

export interface AccessGateDeps {
  session: { role(): OperatorRole | null; actor(): string };
  audit: Pick<AuditLog, 'append'>;
  /** For the coalescing of refusals (refusalAudit.ts): default the system clock, Node's timers, one minute. */
  clock?: Clock;
  timers?: RefusalAuditDeps['timers'];
  refusalWindowMs?: number;
  logger?: Logger;
}

const FIELD_NAME = /^(\(input\)|[A-Za-z_$][A-Za-z0-9_$]{0,31}|\d{1,9})$/;
/**
 * The refused field's path for the record. A path may hold a caller-chosen key (a setting's name in a provider's
 * configuration, which could be anything pasted there): a segment that does not look like a field name or an index is
 * written `?`, so no input text reaches the audit.
 */
export function auditedField(field: string): string {
  return field.split('.').map((part) => (FIELD_NAME.test(part) ? part : '?')).join('.');
}
const fieldOf = (error: ErrorInfo): AuditDetails => (typeof error.details?.field === 'string' ? { field: auditedField(error.details.field) } : {});

export function createAccessGate(deps: AccessGateDeps): AccessGate {
  const refusals = createRefusalAudit({
    audit: deps.audit,
    clock: deps.clock ?? systemClock,
    ...(deps.timers ? { timers: deps.timers } : {}),
    ...(deps.refusalWindowMs === undefined ? {} : { windowMs: deps.refusalWindowMs }),
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  return {
    role: () => deps.session.role(),
    check(channel, ctx, input) {
      const role = deps.session.role();
      const verdict = accessFor(channel, role, input);
      if (verdict.allowed) return;
      // Coalesced like the other refusals: the first of a kind at once (its alert fires), the rest counted.
      refusals.record({
        actor: deps.session.actor(),
        action: 'access.denied',
        targetType: 'channel',
        targetId: channel,
        outcome: 'failure',
        details: { code: 'forbidden', role, needs: verdict.needs, transport: ctx.transport },
      });
      throw new ConsoleError('forbidden', `${ROLE_LABELS[role!]} may not call ${channel} (it needs the ${verdict.needs} permission).`, { role, needs: verdict.needs });
    },
    refusedInput(channel, ctx, error) {
      refusals.record({
        actor: deps.session.actor(),
        action: REFUSAL_ACTIONS[channel] ?? INPUT_REFUSED_ACTION,
        targetType: 'channel',
        targetId: channel,
        outcome: 'failure',
        details: { code: error.code, ...fieldOf(error), role: deps.session.role(), transport: ctx.transport, refusedBy: 'schema' },
      });
    },
    refusedLocked(channel, ctx, error) {
      if (!gateRecordsLocked(channel) || deps.session.role() !== null) return;
      refusals.record({
        actor: deps.session.actor(),
        action: REFUSAL_ACTIONS[channel] ?? LOCKED_ACTION,
        targetType: 'channel',
        targetId: channel,
        outcome: 'failure',
        details: { code: error.code, role: null, transport: ctx.transport, refusedBy: 'session' },
      });
    },
    refusedByCli(channel, target, error) {
      const action = REFUSAL_ACTIONS[channel];
      if (action === undefined) throw new ConsoleError('internal', `No operation of ${channel} to audit a refusal of.`);
      if (deps.session.role() === null) throw new ConsoleError('locked', 'The key store is locked; unlock it with the operator passphrase.');
      deps.audit.append({
        actor: deps.session.actor(),
        action,
        targetType: target.type,
        targetId: target.id.slice(0, 200),
        outcome: 'failure',
        details: { code: error.code, refusal: error.message.slice(0, 500), ...fieldOf(error), refusedBy: 'cli' },
      });
    },
    recordRefusal: (entry) => refusals.record(entry),
    flush: () => refusals.flush(),
    close: () => refusals.close(),
  };
}
