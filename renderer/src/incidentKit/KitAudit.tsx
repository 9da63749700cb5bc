// The kit's own audit chain, read and verified again from the kit folder at each look: verified up to its signed head,
// or where it breaks (a record changed, removed or added beside this console).
import Alert from '@cloudscape-design/components/alert';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useKitQuery } from './kitApi.ts';

const detailText = (d: Record<string, unknown>) => Object.entries(d).filter(([k]) => k !== 'updatedAtExport').map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('; ');

export function KitAudit() {
  const audit = useKitQuery('kitOffline:audit');
  const a = audit.data;
  return (
    <SpaceBetween size="m">
      <ErrorMessage error={audit.error} />
      {a && (
        <div data-testid="kit-chain-state" data-verified={String(a.verified)}>
          {a.verified
            ? <Alert type="success" header="Kit audit chain verified">{a.head?.seq ?? 0} record(s), each signed by the kit key and linked to the one before, up to the signed head.</Alert>
            : <Alert type="error" header="Kit audit chain broken">{a.problem?.message}</Alert>}
        </div>
      )}
      <Table
        ariaLabels={{ tableLabel: 'Kit audit records' }}
        items={[...(a?.records ?? [])].reverse()}
        trackBy="seq"
        loading={audit.isPending}
        loadingText="Verifying the kit's chain"
        header={<Header variant="h2" counter={`(${a?.records.length ?? 0})`}>Kit audit</Header>}
        wrapLines
        columnDefinitions={[
          { id: 'seq', header: '#', cell: (r) => r.seq },
          { id: 'ts', header: 'Time', cell: (r) => r.ts },
          { id: 'action', header: 'Action', cell: (r) => r.action },
          { id: 'target', header: 'Target', cell: (r) => r.targetId ?? '-' },
          { id: 'outcome', header: 'Outcome', cell: (r) => r.outcome },
          { id: 'details', header: 'Details', cell: (r) => detailText(r.details) },
        ]}
      />
    </SpaceBetween>
  );
}
