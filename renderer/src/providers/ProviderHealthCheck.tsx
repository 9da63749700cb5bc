// "Check health" on the Providers screen (docs/providers.md "Health check"): providers:health for every provider now,
// for any signed-in operator (a viewer too): reachable, latency and an error code per provider, never a provider's
// message (providers:test, the admin's, gives that). Each check is audited (provider.health).
import Box from '@cloudscape-design/components/box';
import Header from '@cloudscape-design/components/header';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import type { ProviderHealth } from '../../../shared/contract.ts';
import { PROVIDER_KIND_LABELS } from '../../../shared/domain.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { healthSummary } from './healthSummary.ts';


export function ProviderHealthResult({ result, checkedAt, error }: { result: { providers: ProviderHealth[] } | undefined; checkedAt: string | null; error: unknown }) {
  if (!result && !error) return null;
  return (
    <>
      {result && (
        <Table
          header={
            <Header variant="h2" description={`${healthSummary(result.providers)}${checkedAt ? ` Checked at ${checkedAt}.` : ''}`}>
              Health check
            </Header>
          }
          ariaLabels={{ tableLabel: 'Health check' }}
          items={result.providers}
          trackBy="id"
          columnDefinitions={[
            { id: 'id', header: 'Provider', cell: (p) => p.id },
            { id: 'kind', header: 'Kind', cell: (p) => PROVIDER_KIND_LABELS[p.kind] },
            {
              id: 'reachable',
              header: 'Reachable',
              cell: (p) => <StatusIndicator type={p.reachable ? 'success' : 'error'}>{p.reachable ? 'Reachable' : 'Unreachable'}</StatusIndicator>,
            },
            { id: 'latency', header: 'Latency', cell: (p) => `${p.latencyMs} ms` },
            { id: 'code', header: 'Error code', cell: (p) => (p.code === null ? '—' : <Box variant="code">{p.code}</Box>) },
          ]}
        />
      )}
      <ErrorMessage error={error} />
    </>
  );
}
