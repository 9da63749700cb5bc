// The lockdown and lift orders the console has signed (emergency:lockdownList, docs/lockdown-orders.md), and Lift…:
// a lift order for a lockdown's scope, signed with the emergency key (emergency:lockdownOrder), saved as its file
// for the USB stick. Lifting is never guarded by two-person approval (it restores service).
import { useState } from 'react';
import Table from '@cloudscape-design/components/table';
import Header from '@cloudscape-design/components/header';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Alert from '@cloudscape-design/components/alert';
import type { LockdownOrderView } from '../../../shared/emergencyContract.ts';
import { useChannelMutation, useChannelQuery, useQueryClient } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { NoteDialog } from '../components/NoteDialog.tsx';
import { downloadBase64 } from '../download.ts';
import { formatTime } from '../format.ts';

/** How long a lift order stays valid for robots that learn of it late (7 days). */
const LIFT_VALID_SECONDS = 7 * 24 * 3600;

const scopeText = (s: LockdownOrderView['scope']): string =>
  'fleet' in s ? 'the whole fleet' : 'deviceIds' in s ? `robots ${s.deviceIds.slice(0, 3).join(', ')}${s.deviceIds.length > 3 ? ` and ${s.deviceIds.length - 3} more` : ''}` : Object.entries(s).map(([k, v]) => `${k} ${String(v)}`).join('');

export function LockdownOrders({ canAct }: { canAct: boolean }) {
  const queryClient = useQueryClient();
  const list = useChannelQuery('emergency:lockdownList', { limit: 50 });
  const [selected, setSelected] = useState<LockdownOrderView | null>(null);
  const [lifting, setLifting] = useState<LockdownOrderView | null>(null);
  const lift = useChannelMutation('emergency:lockdownOrder', (out) => {
    downloadBase64(out.fileName, out.content, 'application/json');
    setLifting(null);
    void queryClient.invalidateQueries({ queryKey: ['emergency:lockdownList'] });
  });
  const orders = list.data?.orders ?? [];
  const current = orders.find((o) => o.orderId === selected?.orderId) ?? null;
  return (
    <SpaceBetween size="m">
      <Table
        ariaLabels={{ tableLabel: 'Lockdown orders', itemSelectionLabel: (_s, o) => `Order ${o.sequence}`, allItemsSelectionLabel: () => 'all', selectionGroupLabel: 'Orders' }}
        header={
          <Header
            variant="h2"
            counter={list.data ? `(${orders.length})` : undefined}
            description="Signed with the fleet's emergency key; the newest first."
            actions={
              canAct && (
                <Button disabled={current?.kind !== 'lockdown' || current.state !== 'issued'} onClick={() => current && setLifting(current)}>
                  Lift…
                </Button>
              )
            }
          >
            Lockdown orders
          </Header>
        }
        loading={list.isPending}
        loadingText="Loading orders"
        items={orders}
        trackBy="orderId"
        selectionType={canAct ? 'single' : undefined}
        selectedItems={current ? [current] : []}
        onSelectionChange={(e) => setSelected(e.detail.selectedItems[0] ?? null)}
        empty={<Box textAlign="center">No order signed yet.</Box>}
        columnDefinitions={[
          { id: 'sequence', header: 'Sequence', cell: (o) => o.sequence },
          { id: 'kind', header: 'Kind', cell: (o) => (o.kind === 'lift' ? 'Lift' : 'Lockdown') },
          { id: 'scope', header: 'Scope', cell: (o) => scopeText(o.scope) },
          { id: 'actions', header: 'Robots must', cell: (o) => o.actions.join(', ') || '—' },
          { id: 'issued', header: 'Issued', cell: (o) => `${formatTime(o.issuedAt)} by ${o.issuedBy}` },
          { id: 'expires', header: 'Expires', cell: (o) => formatTime(o.expiresAt) },
          { id: 'state', header: 'State', cell: (o) => o.state },
        ]}
      />
      <ErrorMessage error={list.error} />
      {lift.data && (
        <div role="status" data-testid="lift-signed">
          <Alert type="success" header={`Lift order ${lift.data.order.sequence} signed`}>
            Saved as {lift.data.fileName}. Carry it to robots that cannot be reached.
          </Alert>
        </div>
      )}
      {lifting && (
        <NoteDialog
          header={`Lift lockdown order ${lifting.sequence}`}
          label="Reason (recorded in the audit log and shown to robots' operators)"
          submitText="Sign lift order"
          required
          pending={lift.isPending}
          error={lift.error}
          onSubmit={(reason) => lift.mutate({ kind: 'lift', scope: lifting.scope, actions: [], reason, message: reason, validForSeconds: LIFT_VALID_SECONDS })}
          onClose={() => setLifting(null)}
        >
          A lift order for {scopeText(lifting.scope)}, signed with the emergency key: robots that accept it leave the lockdown.
        </NoteDialog>
      )}
    </SpaceBetween>
  );
}
