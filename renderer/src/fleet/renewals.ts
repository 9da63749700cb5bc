// Robots that need a certificate from the current fleet CA (ca:history renewals; docs/fleet-ca.md, "Replacing and
// revoking the CA"): flagged when the CA that issued theirs was replaced or revoked, settled once they hold a valid
// certificate of the current CA. The Fleet table shows the flag in its Certificate column.
import { useMemo } from 'react';
import type { CertificateRenewal } from '../../../shared/caContract.ts';
import { useChannelQuery } from '../hooks/channelQuery.ts';

export type Renewal = CertificateRenewal;

export const RENEWAL_WORDS: Readonly<Record<Renewal['reason'], string>> = { ca_replaced: 'CA replaced', ca_compromised: 'CA compromised' };

/** The open renewals by device id (a robot flagged for two CAs shows the newest flag). */
export function useRenewals(): ReadonlyMap<string, Renewal> {
  const q = useChannelQuery('ca:history', {});
  return useMemo(() => new Map((q.data?.renewals ?? []).map((r) => [r.deviceId, r])), [q.data]);
}
