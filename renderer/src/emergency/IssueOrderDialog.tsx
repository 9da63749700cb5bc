// "Issue a lockdown order" on the Emergency screen: a lockdown (or lift) order for the previewed scope, signed with the
// emergency key on its own, without running a playbook (emergency:lockdownOrder, docs/lockdown-orders.md). Each field's
// error is shown beside it in words; the blast radius is the preview's. A lockdown beyond a list of robots is guarded
// by the main process (two-person approval, action emergency.wide): its approval_required answer is shown as the
// request it made, unless the officer breaks glass (a reason required): then it is signed at once and recorded as a
// break-glass run (CRITICAL alert, a second officer's review), as the playbook's Execute does. The holders of a key
// version or a certificate serial are shown as the robots the preview counted, and that count is sent with the order
// (expectedRobots): the console resolves them again when it signs and refuses another count (illegal_transition,
// details.robots) with nothing signed; the dialog then shows the new count and asks again, sending it next time. An
// order for nobody is refused. The signed order is saved as its file at once, and its sequence and expiry are shown.
import { useState } from 'react';
import SpaceBetween from '@cloudscape-design/components/space-between';
import FormField from '@cloudscape-design/components/form-field';
import RadioGroup from '@cloudscape-design/components/radio-group';
import Textarea from '@cloudscape-design/components/textarea';
import Button from '@cloudscape-design/components/button';
import Box from '@cloudscape-design/components/box';
import Alert from '@cloudscape-design/components/alert';
import { describeScope, type EmergencyPreview, type EmergencyScope } from '../../../shared/emergencyContract.ts';
import type { ChannelOutput } from '../../../shared/contract.ts';
import { isApiError } from '../api.ts';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { ActionModal } from '../components/ActionModal.tsx';
import { ApprovalRequestedDialog, requestedApproval } from '../components/ApprovalRequested.tsx';
import { downloadBase64 } from '../download.ts';
import { formatTime } from '../format.ts';
import { previewCounts } from './BlastRadius.tsx';
import { OrderFields } from './OrderFields.tsx';
import { orderInputOf, orderIsWide, orderScopeOf, type OrderForm } from './orderForm.ts';

type Issued = ChannelOutput<'emergency:lockdownOrder'>;

/** The console's count when it refused the one the officer was shown (a robot got or lost the key meanwhile), or null. */
export function changedCount(error: unknown): number | null {
  if (!isApiError(error) || error.code !== 'illegal_transition' || error.details?.field !== 'scope') return null;
  return typeof error.details.robots === 'number' ? error.details.robots : null;
}

const saveOrder = (out: Issued) => downloadBase64(out.fileName, out.content, 'application/json');

export function IssueOrderDialog({ scope, preview, onClose, onIssued }: { scope: EmergencyScope; preview: EmergencyPreview; onClose(): void; onIssued(): void }) {
  const [form, setForm] = useState<OrderForm>({
    kind: 'lockdown', orderActions: ['stop_operating'], wipeKeys: '', distrustCaIds: [], message: '', hours: String(7 * 24), mode: 'strict', reason: '', approval: 'request', glassReason: '',
  });
  const [tried, setTried] = useState(false);
  // The robots the officer has been shown for a key or serial scope: the preview's count, then the console's new one.
  const [shown, setShown] = useState(preview.robots.total);
  const [recounted, setRecounted] = useState<{ from: number; to: number } | null>(null);
  const issue = useChannelMutation('emergency:lockdownOrder', (out) => {
    saveOrder(out);
    onIssued();
  });
  const target = orderScopeOf(scope).scope;
  const result = orderInputOf(form, target);
  const errors = tried && 'errors' in result ? result.errors : {};
  const wide = orderIsWide(form, target);
  const breakGlass = wide && form.approval === 'break_glass';
  // The holders of a key version or a certificate serial: the order names the robots the console finds when it signs.
  const resolves = 'keyId' in target || 'serial' in target;
  const nobody = resolves && shown === 0;
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
    if (!('input' in result)) return;
    issue.mutate(resolves ? { ...result.input, expectedRobots: shown } : result.input, {
      onError: (e) => {
        const to = changedCount(e);
        if (to === null) return;
        setRecounted({ from: shown, to });
        setShown(to);
      },
    });
  };
  const refusedCount = changedCount(issue.error) !== null;
  return (
    <ActionModal
      header={title}
      onClose={onClose}
      cancelText={done ? 'Close' : undefined}
      actions={
        done ? (
          <Button onClick={() => saveOrder(done)}>Download again</Button>
        ) : (
          <Button variant="primary" loading={issue.isPending} disabled={nobody} onClick={submit}>
            {form.kind === 'lift' ? 'Sign lift order' : breakGlass ? 'Break glass and sign' : wide ? 'Request approval' : 'Sign lockdown order'}
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
              {'deviceIds' in done.order.scope && resolves && (
                <Box data-testid="order-named-robots">
                  It names {done.order.scope.deviceIds.length} robot(s): {done.order.scope.deviceIds.slice(0, 10).join(', ')}
                  {done.order.scope.deviceIds.length > 10 ? ', …' : ''}.
                </Box>
              )}
              <Box>
                Saved as <Box variant="code" display="inline">{done.fileName}</Box>. Carry it to robots that cannot be reached; stations and the field link deliver it to the others.
              </Box>
            </SpaceBetween>
          </Alert>
          {done.runId && (
            <Alert type="warning" header="Break glass recorded" statusIconAriaLabel="Warning" data-testid="order-break-glass">
              Emergency run <Box variant="code" display="inline">{done.runId.slice(0, 8)}</Box> records this order: a CRITICAL alert was raised, and a second
              security officer must review the run under Emergency runs.
            </Alert>
          )}
        </div>
      ) : (
        <SpaceBetween size="m">
          <Box>
            Signed with the fleet&apos;s emergency key, without running a playbook. It reaches {c.robots} robot(s) in the registry ({c.now} at a station now,{' '}
            {c.later} only later: a station visit, the field link, a key bundle or the file on a USB stick).
          </Box>
          {resolves && !nobody && (
            <Alert type="info" statusIconAriaLabel="Info" data-testid="order-resolved">
              The {describeScope(scope)} {scope.kind === 'serial' ? 'belongs to' : 'are'} <strong data-testid="order-resolved-count">{shown}</strong> robot(s) now.
              The order names them one by one: the console finds them again when it signs and signs only if it finds this many, so a robot that gets the key
              afterwards is not included without you seeing it.
            </Alert>
          )}
          {recounted && refusedCount && (
            <Alert type="warning" statusIconAriaLabel="Warning" data-testid="order-recounted" header="The number of robots changed: nothing was signed">
              When signing, the console found {recounted.to} robot(s), not the {recounted.from} shown. Check the new count above and sign again if it is still right.
            </Alert>
          )}
          {nobody && (
            <Alert type="error" statusIconAriaLabel="Error" data-testid="order-resolves-to-nobody">
              No robot holds the {describeScope(scope)}: an order for nobody is not signed.
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
          {wide && (
            <FormField
              label="Approval"
              description={
                form.orderActions.includes('distrust_ca')
                  ? 'Stopping robots trusting a fleet CA needs two-person approval whatever the scope: robots never trust it again.'
                  : 'A lockdown beyond a list of robots needs two-person approval, as a playbook on this scope does.'
              }
            >
              <RadioGroup
                value={form.approval}
                onChange={(e) => setForm({ ...form, approval: e.detail.value as OrderForm['approval'] })}
                items={[
                  {
                    value: 'request',
                    label: 'Ask for two-person approval',
                    description: 'Nothing is signed until a second security officer approves it under Approvals (on a console with no second officer it is signed at once, audited as waived).',
                  },
                  { value: 'break_glass', label: 'Break glass', description: 'Signed now on my authority alone, raises a CRITICAL alert, and a second security officer must review it afterwards.' },
                ]}
              />
            </FormField>
          )}
          {breakGlass && (
            <FormField label="Break-glass reason (recorded in the audit log and the alert)" errorText={errors.glassReason} constraintText="Required. Up to 500 characters.">
              <Textarea value={form.glassReason} onChange={(e) => setForm({ ...form, glassReason: e.detail.value })} rows={2} ariaLabel="Break-glass reason" />
            </FormField>
          )}
          {!refusedCount && <ErrorMessage error={issue.error} />}
        </SpaceBetween>
      )}
    </ActionModal>
  );
}
