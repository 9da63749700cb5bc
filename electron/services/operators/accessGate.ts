// The access check of every call (issue 14, docs/operators.md): the signed-in operator's role against the permission
// the channel declares (shared/permissions.ts). A refusal is a typed `forbidden` error and an audited denied access
// (action access.denied, the channel as target, the role and the permission it lacked). The router asks before it
// parses the input (and again after, for the channels whose permission depends on it); the console's handlers ask
// too, so a handler reached by any other path refuses the same way. The gate also audits the refusals the router
// sees before or instead of a handler: an input refused by the channel's schema (every channel), a call refused
// `locked` (the emergency and key operations), coalesced against floods (refusalAudit.ts, docs/audit-log.md).
import type { CallContext, ChannelName } from '../../../shared/contract.ts';
import { ConsoleError, type ErrorInfo } from '../../../shared/errors.ts';
import { ROLE_LABELS, type OperatorRole } from '../../../shared/operatorsContract.ts';
import { accessFor } from '../../../shared/permissions.ts';
import { systemClock, type Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import type { AuditDetails, AuditLog } from '../audit/auditLog.ts';
import { createRefusalAudit, type RefusalAuditDeps } from './refusalAudit.ts';

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
   * A handler refused the call `locked` while no one is signed in: audited for the channels of LOCKED_REFUSALS (the
   * emergency operations, keys:migrate; the other key operations audit their own), actor unknown; coalesced.
   */
  refusedLocked(channel: ChannelName, ctx: CallContext, error: ErrorInfo): void;
  /**
   * The CLI refused a key operation before asking the console (an --out file that exists): one failed record of the
   * operation's action naming the signed-in operator, the target, `refusedBy: 'cli'`. Throws locked when no one is.
   */
  refusedByCli(channel: ChannelName, target: { type: 'key'; id: string }, error: ErrorInfo): void;
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
 * The operations whose `locked` refusal (no one signed in) the gate audits: those of REFUSAL_ACTIONS whose handler
 * does not audit it itself (the other key operations run through runAudited, which audits every failure, locked
 * included, under the key's own target). `refusedBy: 'session'`, actor unknown.
 */
export const LOCKED_REFUSALS: readonly ChannelName[] = ['emergency:lockdownOrder', 'emergency:execute', 'emergency:retry', 'emergency:review', 'keys:migrate'];

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
      deps.audit.append({
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
      const action = REFUSAL_ACTIONS[channel];
      if (action === undefined || !LOCKED_REFUSALS.includes(channel) || deps.session.role() !== null) return;
      refusals.record({
        actor: deps.session.actor(),
        action,
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
    flush: () => refusals.flush(),
    close: () => refusals.close(),
  };
}
