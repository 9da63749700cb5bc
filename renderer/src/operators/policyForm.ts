// The approval policy form's values as typed, to and from the contract's ApprovalPolicy (shared/approvalsContract.ts).
// The form shows the request lifetime in minutes (the contract counts seconds) and M as text; nothing is decided here:
// the contract's schema checks the result, and the main process decides whether the change lowers the policy (then
// it becomes an approval request, docs/two-person-control.md).
import type { ApprovalAction, ApprovalPolicy } from '../../../shared/approvalsContract.ts';
import type { OperatorRole } from '../../../shared/operatorsContract.ts';

export interface PolicyFormValues {
  approvals: string;
  roles: readonly OperatorRole[];
  operators: readonly string[];
  ttlMinutes: string;
}

export function formOfPolicy(p: ApprovalPolicy): PolicyFormValues {
  return { approvals: String(p.approvals), roles: [...p.roles], operators: [...p.operators], ttlMinutes: String(p.ttlSeconds / 60) };
}

/** A whole number typed as digits (spaces around allowed); NaN for anything else ("", "1.5", "2e1", "-1"). */
function wholeNumber(text: string): number {
  const t = text.trim();
  return /^\d{1,9}$/.test(t) ? Number(t) : Number.NaN;
}

/** The policy to send; the schema (not this) refuses out-of-range or malformed values, as NaN for non-numbers. */
export function policyOfForm(action: ApprovalAction, f: PolicyFormValues): ApprovalPolicy {
  const minutes = wholeNumber(f.ttlMinutes);
  return { action, approvals: wholeNumber(f.approvals), roles: [...f.roles], operators: [...f.operators], ttlSeconds: Number.isNaN(minutes) ? Number.NaN : minutes * 60 };
}

/** "1 day 2 h", "45 min", "30 days": a lifetime in seconds in words. */
export function lifetimeInWords(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const parts = [days ? `${days} day${days === 1 ? '' : 's'}` : '', hours ? `${hours} h` : '', mins ? `${mins} min` : ''].filter((p) => p !== '');
  return parts.length ? parts.join(' ') : '0 min';
}
