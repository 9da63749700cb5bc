// "Issue a lockdown order" on the Emergency screen: a lockdown (or lift) order for the previewed scope, signed with the
// emergency key on its own, without running a playbook (emergency:lockdownOrder, docs/lockdown-orders.md). Each field's
// error is shown beside it in words; the blast radius is the preview's. A lockdown beyond a list of robots is guarded
// by the main process (two-person approval, action emergency.wide): its approval_required answer is shown as the
// request it made. The signed order is saved as its file at once, and its sequence and expiry are shown.
import { useState } from 'react';
import SpaceBetween from '@cloudscape-design/components/space-between';
import FormField from '@cloudscape-design/components/form-field';
import RadioGroup from '@cloudscape-design/components/radio-group';
import Textarea from '@cloudscape-design/components/textarea';
import Button from '@cloudscape-design/components/button';
import Box from '@cloudscape-design/components/box';
import Alert from '@cloudscape-design/components/alert';
import { describeScope, ROBOT_LEVEL_SCOPES, type EmergencyPreview, type EmergencyScope } from '../../../shared/emergencyContract.ts';
import type { ChannelOutput } from '../../../shared/contract.ts';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { ActionModal } from '../components/ActionModal.tsx';
import { ApprovalRequestedDialog, requestedApproval } from '../components/ApprovalRequested.tsx';
import { downloadBase64 } from '../download.ts';
import { formatTime } from '../format.ts';
import { previewCounts } from './BlastRadius.tsx';
import { OrderFields } from './OrderFields.tsx';
import { orderInputOf, orderScopeOf, type OrderForm } from './orderForm.ts';

type Issued = ChannelOutput<'emergency:lockdownOrder'>;

const saveOrder = (out: Issued) => downloadBase64(out.fileName, out.content, 'application/json');

export function IssueOrderDialog({ scope, preview, onClose, onIssued }: { scope: EmergencyScope; preview: EmergencyPreview; onClose(): void; onIssued(): void }) {
  const [form, setForm] = useState<OrderForm>({ kind: 'lockdown', orderActions: ['stop_operating'], wipeKeys: '', message: '', hours: String(7 * 24), mode: 'strict', reason: '' });
  const [tried, setTried] = useState(false);
  const issue = useChannelMutation('emergency:lockdownOrder', (out) => {
    saveOrder(out);
    onIssued();
  });
  const target = orderScopeOf(scope);
  const result = 'scope' in target ? orderInputOf(form, target.scope) : null;
  const errors = tried && result && 'errors' in result ? result.errors : {};
  const wide = !ROBOT_LEVEL_SCOPES.has(scope.kind);
  const c = previewCounts(preview);
  const title = `Issue a lockdown order for ${describeScope(scope)}`;
  const requested = requestedApproval(issue.error);
  if (requested) {
    return (
      <ApprovalRequestedDialog
        header={title}
        what={`A lockdown order for ${describeScope(scope)}`}
        requestId={requested}
        onClose={onClose}
        after="A second security officer (or an admin) approves it under Approvals within an hour; then it is signed there."
      />
    );
  }
  const done = issue.data;
  const submit = () => {
    setTried(true);
    if (result && 'input' in result) issue.mutate(result.input);
  };
  return (
    <ActionModal
      header={title}
      onClose={onClose}
      cancelText={done ? 'Close' : undefined}
      actions={
        done ? (
          <Button onClick={() => saveOrder(done)}>Download again</Button>
        ) : (
          <Button variant="primary" loading={issue.isPending} disabled={'error' in target} onClick={submit}>
            {form.kind === 'lift' ? 'Sign lift order' : wide ? 'Sign or request approval' : 'Sign lockdown order'}
          </Button>
        )
      }
    >
      {done ? (
        <div role="status" data-testid="order-signed">
          <Alert type="success" header={`${done.order.kind === 'lift' ? 'Lift' : 'Lockdown'} order ${done.order.sequence} signed`}>
            <SpaceBetween size="xxs">
              <Box>
                Sequence <strong data-testid="order-sequence">{done.order.sequence}</strong>; expires <strong data-testid="order-expires">{formatTime(done.order.expiresAt)}</strong>.
              </Box>
              <Box>
                Saved as <Box variant="code" display="inline">{done.fileName}</Box>. Carry it to robots that cannot be reached; stations and the field link deliver it to the others.
              </Box>
            </SpaceBetween>
          </Alert>
        </div>
      ) : (
        <SpaceBetween size="m">
          <Box>
            Signed with the fleet&apos;s emergency key, without running a playbook. It reaches {c.robots} robot(s) in the registry ({c.now} at a station now,{' '}
            {c.later} only later: a station visit, the field link, a key bundle or the file on a USB stick).
          </Box>
          {'error' in target && (
            <Alert type="warning" statusIconAriaLabel="Warning">
              {target.error}
            </Alert>
          )}
          {wide && form.kind === 'lockdown' && (
            <Alert type="info" statusIconAriaLabel="Info">
              A lockdown beyond a list of robots needs two-person approval: the console makes an approval request and signs nothing until it is approved
              (on a console with no second security officer it is signed at once, audited as waived). For break-glass, run the playbook with &quot;Issue a lockdown
              order&quot; ticked.
            </Alert>
          )}
          <FormField label="Order">
            <RadioGroup
              value={form.kind}
              onChange={(e) => setForm({ ...form, kind: e.detail.value as OrderForm['kind'] })}
              items={[
                { value: 'lockdown', label: 'Lockdown', description: 'Robots in scope do what is ticked below until it expires or a lift arrives.' },
                { value: 'lift', label: 'Lift', description: 'Robots in scope leave any lockdown they hold (never needs approval).' },
              ]}
            />
          </FormField>
          <OrderFields<OrderForm> p={form} set={setForm} errors={errors} withActions={form.kind === 'lockdown'} />
          <FormField label="Reason (recorded in the audit log)" errorText={errors.reason} constraintText="Up to 500 characters.">
            <Textarea value={form.reason} onChange={(e) => setForm({ ...form, reason: e.detail.value })} rows={2} />
          </FormField>
          <ErrorMessage error={issue.error} />
        </SpaceBetween>
      )}
    </ActionModal>
  );
}
