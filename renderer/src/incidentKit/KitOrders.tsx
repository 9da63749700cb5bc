// The kit's pre-authorised lockdown orders: scope, what it does, expiry, uses left; "Use order" runs the offline
// quarantine by order (offlineKit.ts, as `kit use` does): uses counted, the robots of its scope quarantined in the kit,
// the signed order file written for a USB stick, all recorded in the kit's audit chain. A distrust order (distrust_ca)
// says which fleet CA robots stop trusting, warns that it is final on robots, and quarantines none. An expired or
// used-up order is refused there.
import { useState } from 'react';
import Alert from '@cloudscape-design/components/alert';
import Badge from '@cloudscape-design/components/badge';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import Textarea from '@cloudscape-design/components/textarea';
import type { KitOrderView, KitUseOrderResult } from '../../../shared/kitOfflineContract.ts';
import { ActionModal } from '../components/ActionModal.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { downloadBase64 } from '../download.ts';
import { useKitMutation, useKitQuery } from './kitApi.ts';
import { DISTRUST_FINAL, distrustInWords, formatWhen, isDistrustOrder, scopeInWords } from './kitWords.ts';

function UseOrderDialog({ order, onClose, onUsed }: { order: KitOrderView; onClose(): void; onUsed(r: KitUseOrderResult): void }) {
  const [reason, setReason] = useState('');
  const [out, setOut] = useState('');
  const use = useKitMutation('kitOffline:useOrder');
  const submit = () => use.mutate({ order: order.orderId, reason, ...(out.trim() ? { out: out.trim() } : {}) }, { onSuccess: (r) => onUsed(r) });
  return (
    <ActionModal header={`Use order "${order.name}"`} onClose={onClose}
      actions={<Button variant="primary" loading={use.isPending} disabled={reason.trim() === ''} onClick={submit}>Use order</Button>}>
      <SpaceBetween size="m">
        {isDistrustOrder(order) ? (
          <Alert type="warning" header={`${distrustInWords(order)}.`}>
            {DISTRUST_FINAL} Writes the signed order for the robots. Uses left: {order.remaining} of {order.maxUses}.
          </Alert>
        ) : (
          <Alert type="info">Quarantines the robots of {scopeInWords(order.scope)} in the kit and writes the signed order for them. Uses left: {order.remaining} of {order.maxUses}.</Alert>
        )}
        <FormField label="Reason" description="Recorded in the kit's audit chain.">
          <Textarea value={reason} onChange={(e) => setReason(e.detail.value)} ariaLabel="Reason" />
        </FormField>
        <FormField label="Order file (optional)" description="An absolute path, e.g. on the USB stick; by default the file goes into the kit's orders folder.">
          <Input value={out} onChange={(e) => setOut(e.detail.value)} ariaLabel="Order file" />
        </FormField>
        <ErrorMessage error={use.error} fieldLabels={{ reason: 'Reason', out: 'Order file' }} />
      </SpaceBetween>
    </ActionModal>
  );
}

/**
 * The order file as a download (the browser showing this window may not run on the laptop that holds the kit): named
 * as the file written, so two uses of one order do not collide.
 */
const orderFileName = (r: KitUseOrderResult) => r.writtenTo.split('/').pop() || r.fileName;

function stateOf(o: KitOrderView) {
  if (o.expired) return <Badge color="red">Expired</Badge>;
  if (o.remaining === 0) return <Badge color="grey">No uses left</Badge>;
  return <Badge color="green">Ready</Badge>;
}

export function KitOrders() {
  const info = useKitQuery('kitOffline:info');
  const [using, setUsing] = useState<KitOrderView | null>(null);
  const [done, setDone] = useState<KitUseOrderResult | null>(null);
  return (
    <SpaceBetween size="m">
      <ErrorMessage error={info.error} />
      {done && (
        <div role="status" data-testid="kit-order-used">
          <Alert type="success" dismissible onDismiss={() => setDone(null)} header={`Order "${done.order.name}" used (${done.order.used} of ${done.order.maxUses})`}>
            {isDistrustOrder(done.order)
              ? `${distrustInWords(done.order)} once they take the order: final on robots. No robot quarantined (the CA is compromised, not the robots).`
              : <>Quarantined in the kit: {done.quarantined.join(', ') || 'none'}
                {done.skipped.length > 0 && `; skipped: ${done.skipped.map((s) => `${s.deviceId} (${s.status})`).join(', ')}`}.</>}
            {' '}Signed order written to {done.writtenTo}.
            <Box margin={{ top: 's' }}>
              <Button iconName="download" onClick={() => downloadBase64(orderFileName(done), done.content, 'application/json')}>Download the order file</Button>
            </Box>
          </Alert>
        </div>
      )}
      <Table
        header={<h2 className="kit-table-title">Pre-authorised orders</h2>}
        loading={info.isPending}
        loadingText="Reading the kit"
        items={info.data?.orders ?? []}
        trackBy="orderId"
        ariaLabels={{ tableLabel: 'Pre-authorised orders' }}
        columnDefinitions={[
          { id: 'name', header: 'Order', cell: (o) => o.name },
          { id: 'scope', header: 'Scope', cell: (o) => scopeInWords(o.scope) },
          {
            id: 'does', header: 'What it does',
            cell: (o) => (isDistrustOrder(o)
              ? <span data-testid={`order-does-${o.sequence}`}><strong>{distrustInWords(o)}</strong> (final on robots)</span>
              : <span data-testid={`order-does-${o.sequence}`}>Quarantines the robots of {scopeInWords(o.scope)}</span>),
          },
          { id: 'expires', header: 'Expires', cell: (o) => formatWhen(o.expiresAt) },
          { id: 'uses', header: 'Uses left', cell: (o) => <span data-testid={`uses-left-${o.sequence}`}>{o.remaining} of {o.maxUses}</span> },
          { id: 'state', header: 'State', cell: stateOf },
          { id: 'use', header: 'Action', cell: (o) => <Button ariaLabel={`Use order ${o.name}`} onClick={() => { setDone(null); setUsing(o); }}>Use order</Button> },
        ]}
      />
      {using && <UseOrderDialog order={using} onClose={() => setUsing(null)} onUsed={(r) => { setUsing(null); setDone(r); }} />}
    </SpaceBetween>
  );
}
