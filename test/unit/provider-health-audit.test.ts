// The audit record of one providers:health call (docs/providers.md "Health check"): the providers in the answer's
// order, each one's code in the same order (`ok` when reachable) and how many were unreachable; nothing else (no
// latency, no message). Expected details written by hand from that rule.
import { describe, expect, it } from 'vitest';
import type { ProviderHealthCode } from '../../shared/contract.ts';
import { healthAuditDetails } from '../../electron/services/providers/providerHandlers.ts';

type Row = { id: string; reachable: boolean; code: ProviderHealthCode | null };
const CASES: Array<{ name: string; rows: Row[]; details: { providers: string; codes: string; unreachable: number } }> = [
  { name: 'only the local store', rows: [{ id: 'local', reachable: true, code: null }], details: { providers: 'local', codes: 'ok', unreachable: 0 } },
  {
    name: 'one down, one refusing the credentials',
    rows: [
      { id: 'local', reachable: true, code: null },
      { id: 'aws-primary', reachable: false, code: 'unavailable' },
      { id: 'vault-backup', reachable: true, code: null },
      { id: 'vault-wrong', reachable: false, code: 'access_denied' },
    ],
    details: { providers: 'local,aws-primary,vault-backup,vault-wrong', codes: 'ok,unavailable,ok,access_denied', unreachable: 2 },
  },
  { name: 'a failure without a code', rows: [{ id: 'hsm', reachable: false, code: null }], details: { providers: 'hsm', codes: 'health_check_failed', unreachable: 1 } },
  { name: 'no provider at all', rows: [], details: { providers: '', codes: '', unreachable: 0 } },
];

describe('healthAuditDetails', () => {
  it.each(CASES)('$name', ({ rows, details }) => {
    expect(healthAuditDetails(rows)).toEqual(details);
  });
});
