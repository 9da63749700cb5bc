// The fleet CA commands' human-readable output (docs/cli.md, "The fleet CA"; docs/fleet-ca.md): ca history, and the
// answers of ca replace / ca revoke once they ran (a guarded call that needs approval fails with approval_required
// and its request id, as every guarded command does).
import type { ChannelOutput } from '../../../shared/contract.ts';
import type { CaHistoryEntry } from '../../../shared/caContract.ts';

const day = (iso: string | null) => (iso === null ? '-' : iso.slice(0, 10));

/** One CA in one line: id, state, subject, dates, counts, who changed it and why. */
export function formatCa(ca: CaHistoryEntry): string {
  const n = ca.certificates;
  const changed = ca.changedAt === null ? '' : `; ${ca.state} ${day(ca.changedAt)} by ${ca.changedBy ?? '?'}: ${ca.reason ?? ''}`;
  return `${ca.id}  ${ca.state.padEnd(11)}  ${ca.subject}  created ${day(ca.createdAt)}, until ${day(ca.notAfter)}  [${ca.providerId}]  certificates ${n.total} (${n.valid} valid, ${n.revoked} revoked, ${n.expired} expired)${changed}`;
}

export function formatCaHistory(h: ChannelOutput<'ca:history'>): string {
  const renewals = h.renewals.length === 0
    ? ['no robot needs a certificate from the current CA']
    : [`${h.renewals.length} robot(s) need a certificate from the current CA:`, ...h.renewals.map((r) => `  ${r.deviceId}  (${r.reason}, CA ${r.caId.slice(0, 8)}, since ${day(r.flaggedAt)})`)];
  return [...(h.cas.length === 0 ? ['no fleet CA yet'] : h.cas.map(formatCa)), ...renewals].join('\n');
}

export function formatCaReplace(v: ChannelOutput<'ca:replace'>): string {
  return [
    `fleet CA replaced: ${v.current.id} (${v.current.subject}) signs from now on`,
    `retired: ${v.previous.id}; its CRL ${v.previousCrl.crlNumber} lists ${v.previousCrl.revoked} certificate(s)`,
    `${v.flagged.length} robot(s) need a certificate from the new CA${v.flagged.length ? `: ${v.flagged.join(', ')}` : ''}`,
  ].join('\n');
}

export function formatCaRevoke(v: ChannelOutput<'ca:revoke'>): string {
  return [
    `fleet CA ${v.ca.id} (${v.ca.subject}) revoked as compromised: ${v.revokedSerials.length} certificate(s) revoked`,
    `final CRL ${v.finalCrl.crlNumber} (${v.finalCrl.fileName}) lists ${v.finalCrl.revoked}; hand it out (ca crl --ca-id ${v.ca.id} signs it again)`,
    `${v.flagged.length} robot(s) need a certificate from a new CA${v.flagged.length ? `: ${v.flagged.join(', ')}` : ''}`,
  ].join('\n');
}
