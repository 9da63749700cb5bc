// Every fleet CA the store has had (ca:history; docs/fleet-ca.md, "Replacing and revoking the CA"): the current one,
// retired ones (their certificates still verify until re-issued, their CRL stays published) and compromised ones, with
// their dates and certificate counts. Picking one shows its certificates and CRL below; a retired CA can be revoked
// here (the guarded ca:revoke {caId}: an approval request as for the current CA).
import Table from '@cloudscape-design/components/table';
import Header from '@cloudscape-design/components/header';
import Button from '@cloudscape-design/components/button';
import Box from '@cloudscape-design/components/box';
import StatusIndicator, { type StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';
import type { CaHistoryEntry, CaState } from '../../../shared/caContract.ts';

const STATE: Readonly<Record<CaState, { type: StatusIndicatorProps.Type; text: string }>> = {
  current: { type: 'success', text: 'current' },
  retired: { type: 'stopped', text: 'retired' },
  compromised: { type: 'error', text: 'compromised' },
};

const day = (iso: string | null) => (iso === null ? '—' : iso.slice(0, 10));

export function CaListPanel({ cas, selected, onSelect, onRevoke }: { cas: readonly CaHistoryEntry[]; selected: CaHistoryEntry | null; onSelect(id: string): void; onRevoke?: (ca: CaHistoryEntry) => void }) {
  return (
    <Table<CaHistoryEntry>
      ariaLabels={{ tableLabel: 'Fleet CAs', itemSelectionLabel: (_, ca) => `Show the certificates of ${ca.subject} (${ca.state})`, selectionGroupLabel: 'Fleet CA shown below' }}
      items={[...cas]}
      trackBy="id"
      selectionType="single"
      selectedItems={selected ? [selected] : []}
      onSelectionChange={(e) => {
        const picked = e.detail.selectedItems[0];
        if (picked) onSelect(picked.id);
      }}
      wrapLines
      header={
        <Header
          variant="h2"
          counter={`(${cas.length})`}
          description="Pick a CA to see the certificates it issued and its CRL. A retired CA's certificates stay valid until each robot gets one from the current CA."
          actions={
            // Without onRevoke (a role that may not revoke a CA) no button.
            onRevoke &&
            selected?.state === 'retired' && (
              <Button onClick={() => onRevoke(selected)}>Revoke this retired CA…</Button>
            )
          }
        >
          Fleet CAs
        </Header>
      }
      columnDefinitions={[
        { id: 'state', header: 'State', cell: (c) => <StatusIndicator type={STATE[c.state].type}>{STATE[c.state].text}</StatusIndicator> },
        { id: 'subject', header: 'Subject', isRowHeader: true, cell: (c) => <span data-ca-id={c.id}>{c.subject}</span> },
        { id: 'id', header: 'Id', cell: (c) => <Box variant="code">{c.id.slice(0, 8)}</Box> },
        { id: 'created', header: 'Created', cell: (c) => day(c.createdAt) },
        { id: 'notAfter', header: 'Valid until', cell: (c) => day(c.notAfter) },
        { id: 'changed', header: 'Retired / revoked', cell: (c) => (c.changedAt === null ? '—' : `${day(c.changedAt)} by ${c.changedBy ?? '?'}: ${c.reason ?? ''}`) },
        {
          id: 'certificates',
          header: 'Certificates',
          cell: (c) => <span data-testid={`ca-counts-${c.id}`}>{`${c.certificates.total} (${c.certificates.valid} valid, ${c.certificates.revoked} revoked, ${c.certificates.expired} expired)`}</span>,
        },
      ]}
    />
  );
}
