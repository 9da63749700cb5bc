// The orders step of a distribution in words an officer understands (docs/station.md, "Orders and CRLs on the port"):
// what was sent ("Lockdown order #7 (site Plant 1)", "CRL #12") and what the robot answered ("accepted", "refused,
// older than the one it holds"), from the codes of docs/lockdown-orders.md ("What a robot checks") and the CRL checks.
import type { StationErrorInfo, StationNotSentItem, StationOrderResult, StationStep } from '../../../shared/stationContract.ts';

/** A robot's refusal of an order, by its code. */
export const ORDER_REFUSAL_WORDS: Readonly<Record<string, string>> = {
  malformed: 'the robot could not read the order file',
  tampered: 'its signature or content does not check (tampered)',
  foreign: 'signed by an emergency key the robot does not trust',
  no_emergency_key: 'the robot holds no emergency key yet (its next key bundle brings it)',
  not_yet_valid: "issued in the future by the robot's clock",
  expired: 'the order has expired',
  replayed: 'the robot already holds this order or a newer one',
  out_of_scope: "the robot says it is outside the order's scope",
};

/** A robot's refusal of a CRL, by its code. */
export const CRL_REFUSAL_WORDS: Readonly<Record<string, string>> = {
  crl_stale: 'older than the one it holds',
  crl_foreign: 'issued by a CA the robot does not trust',
  crl_malformed: 'the robot could not read it',
};

/** The console's refusal of the robot's answer (the item stays pending), by its code. */
export const ANSWER_REFUSAL_WORDS: Readonly<Record<string, string>> = {
  forged_ack: "the robot's answer was not signed by its identity key: refused by the console, still pending",
  replayed_message: "the robot's answer was for another item: refused by the console, still pending",
};

/**
 * A robot's refusal that ends the session (`robot_error`, its own code in `robotCode`), by that code: what happened and
 * what the officer does. The distrusted-CA refusals of docs/lockdown-orders.md ("A distrusted CA on the robot"): a
 * lockdown order told the robot to distrust a CA, and only re-provisioning ends that.
 */
export const ROBOT_ERROR_WORDS: Readonly<Record<string, string>> = {
  bundle_ca_distrusted:
    'the robot no longer trusts the CA that signed this key bundle (a lockdown order distrusted it) and installed nothing: it must be re-provisioned with the current CA',
  ca_distrusted:
    'the robot no longer trusts the CA that endorsed the new CA certificate (a lockdown order distrusted it), so its certificate was not re-issued: it must be re-provisioned with the current CA',
};

/** A failed port's error in words, when it is a robot's refusal with words (ROBOT_ERROR_WORDS); null otherwise. */
export function robotErrorWords(error: Pick<StationErrorInfo, 'code' | 'robotCode'>): string | null {
  if (error.code !== 'robot_error' || error.robotCode === undefined) return null;
  return Object.hasOwn(ROBOT_ERROR_WORDS, error.robotCode) ? (ROBOT_ERROR_WORDS[error.robotCode] as string) : null;
}

/** What was sent: "Lockdown order #7 (site Plant 1)", "Lift order #8", "CRL #12", "CRL #3 of a former fleet CA". */
export function orderItemLabel(r: StationNotSentItem): string {
  if (r.item === 'crl') return `CRL #${r.ref}${r.ca === 'other' ? ' of a former fleet CA' : ''}`;
  const kind = r.orderKind === 'lift' ? 'Lift order' : r.orderKind === 'lockdown' ? 'Lockdown order' : 'Order';
  return `${kind} #${r.ref}${r.scope ? ` (${r.scope})` : ''}`;
}

/** What became of it: "accepted", "refused, older than the one it holds", or the console's refusal of the answer. */
export function orderOutcomeWords(r: StationOrderResult): string {
  if (r.outcome === 'accepted') return 'accepted';
  if (r.outcome === 'answer_refused') return ANSWER_REFUSAL_WORDS[r.result] ?? `the robot's answer was refused by the console (${r.result}), still pending`;
  const words = (r.item === 'crl' ? CRL_REFUSAL_WORDS : ORDER_REFUSAL_WORDS)[r.result];
  return `refused, ${words ?? `code ${r.result}`}`;
}

/** One line per item: "Lockdown order #7 (site Plant 1): accepted". */
export function orderResultLine(r: StationOrderResult): string {
  return `${orderItemLabel(r)}: ${orderOutcomeWords(r)}`;
}

/** An item pending for the robot that its failed session never sent: "CRL #12: not sent: the session failed at reissue". */
export function notSentLine(i: StationNotSentItem, failedAt: StationStep): string {
  return `${orderItemLabel(i)}: not sent: the session failed at ${failedAt}`;
}
