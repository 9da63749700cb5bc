// The access check of every call (issue 14, docs/operators.md): the signed-in operator's role against the permission
// the channel declares (shared/permissions.ts). A refusal is a typed `forbidden` error and an audited denied access
// (action access.denied, the channel as target, the role and the permission it lacked). The router asks before it
// parses the input (and again after, for the channels whose permission depends on it); the console's handlers ask
// too, so a handler reached by any other path refuses the same way.
import type { CallContext, ChannelName } from '../../../shared/contract.ts';
import { ConsoleError, type ErrorInfo } from '../../../shared/errors.ts';
import { ROLE_LABELS, type OperatorRole } from '../../../shared/operatorsContract.ts';
import { accessFor } from '../../../shared/permissions.ts';
import type { AuditDetails, AuditLog } from '../audit/auditLog.ts';

export interface AccessGate {
  /** Throws `forbidden` (audited) when the signed-in operator may not call the channel (with this parsed input). */
  check(channel: ChannelName, ctx: CallContext, input?: { parsed: unknown }): void;
  /** The signed-in operator's role, or null when no one is signed in. */
  role(): OperatorRole | null;
  /**
   * The router refused a call's input by the channel's schema (before any handler): audited for the channels of
   * AUDITED_INPUT_REFUSALS (their operation's action, failed), naming the channel, the code and the field, never the input.
   */
  refusedInput(channel: ChannelName, ctx: CallContext, error: ErrorInfo): void;
}

/**
 * The channels whose refusal by the schema is audited, and the action their handler audits the operation under: the
 * emergency operations, whose every refusal is in the audit trail (docs/emergency-response.md). The record says
 * `refusedBy: 'schema'`; its actor is the signed-in operator ('unknown' when no one is).
 */
export const AUDITED_INPUT_REFUSALS: Readonly<Partial<Record<ChannelName, string>>> = {
  'emergency:lockdownOrder': 'lockdown.order',
  'emergency:execute': 'emergency.execute',
  'emergency:retry': 'emergency.retry',
};

export interface AccessGateDeps {
  session: { role(): OperatorRole | null; actor(): string };
  audit: Pick<AuditLog, 'append'>;
}

export function createAccessGate(deps: AccessGateDeps): AccessGate {
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
      const action = AUDITED_INPUT_REFUSALS[channel];
      if (action === undefined) return;
      const field: AuditDetails = typeof error.details?.field === 'string' ? { field: error.details.field } : {};
      deps.audit.append({
        actor: deps.session.actor(),
        action,
        targetType: 'channel',
        targetId: channel,
        outcome: 'failure',
        details: { code: error.code, ...field, role: deps.session.role(), transport: ctx.transport, refusedBy: 'schema' },
      });
    },
  };
}
