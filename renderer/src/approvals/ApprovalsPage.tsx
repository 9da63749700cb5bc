// Two-person control (docs/two-person-control.md): the approval requests, what each asks (action, channel, its input
// without secrets), who asked, the approvals so far out of those needed, and when it expires. The signed-in operator
// approves or denies what they may (the main process decides: not their own request, eligible, once) and executes an
// approved request. At the same workstation an approver signs in as themselves; from elsewhere, an approval file.
import { useState } from 'react';
import Table from '@cloudscape-design/components/table';
import Header from '@cloudscape-design/components/header';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Box from '@cloudscape-design/components/box';
import Toggle from '@cloudscape-design/components/toggle';
import StatusIndicator, { type StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';
import { APPROVAL_ACTION_LABELS, type ApprovalRequestView, type RequestState } from '../../../shared/approvalsContract.ts';
import { useChannelMutation, useChannelQuery, useQueryClient } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { NoteDialog } from '../components/NoteDialog.tsx';
import { ApprovalKeys } from './ApprovalKeys.tsx';
import { RevokedApprovalKeys } from './RevokedApprovalKeys.tsx';

const STATE_STATUS: Readonly<Record<RequestState, { type: StatusIndicatorProps.Type; text: string }>> = {
  pending: { type: 'pending', text: 'Waiting for approval' },
  approved: { type: 'success', text: 'Approved, ready to execute' },
  denied: { type: 'stopped', text: 'Denied' },
  executed: { type: 'info', text: 'Executed' },
  expired: { type: 'stopped', text: 'Expired' },
};

const when = (iso: string) => new Date(iso).toLocaleString();
const inputs = (r: ApprovalRequestView) =>
  Object.entries(r.summary)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
const approvalsSoFar = (r: ApprovalRequestView) =>
  `${r.approvals.length} of ${r.required}${r.approvals.length ? ` (${r.approvals.map((a) => `${a.approver}${a.via === 'file' ? ', by file' : ''}`).join('; ')})` : ''}`;

function DenyDialog({ request, onClose }: { request: ApprovalRequestView; onClose: () => void }) {
  const deny = useChannelMutation('approvals:deny', onClose);
  return (
    <NoteDialog
      header={`Deny “${APPROVAL_ACTION_LABELS[request.action]}” by ${request.requester}`}
      label="Reason (recorded in the audit log)"
      submitText="Deny request"
      pending={deny.isPending}
      error={deny.error}
      onSubmit={(reason) => deny.mutate({ requestId: request.id, reason })}
      onClose={onClose}
    >
      A denied request can never run; the requester asks again if it is still needed.
    </NoteDialog>
  );
}

export function ApprovalsPage() {
  const [all, setAll] = useState(false);
  const list = useChannelQuery('approvals:list', { open: !all });
  const status = useChannelQuery('session:status', {});
  const [selected, setSelected] = useState<ApprovalRequestView | null>(null);
  const [denying, setDenying] = useState<ApprovalRequestView | null>(null);
  const queryClient = useQueryClient();
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['approvals:list'] });
  const approve = useChannelMutation('approvals:approve', refresh);
  const execute = useChannelMutation('approvals:execute', refresh);
  const requests = list.data?.requests ?? [];
  const current = selected ? (requests.find((r) => r.id === selected.id) ?? null) : null;
  const open = current !== null && (current.state === 'pending' || current.state === 'approved');

  return (
    <SpaceBetween size="l">
      <Table
        variant="full-page"
        header={
          <Header
            variant="h1"
            counter={list.data ? `(${requests.length})` : undefined}
            description="Destroying a key, marking one compromised and making an admin need another operator's approval. The requester cannot approve their own request; to approve here, sign in as yourself."
            actions={
              <SpaceBetween direction="horizontal" size="xs">
                <Button disabled={!current?.canApprove} loading={approve.isPending} onClick={() => current && approve.mutate({ requestId: current.id })}>
                  Approve
                </Button>
                <Button disabled={!open} onClick={() => current && setDenying(current)}>
                  Deny
                </Button>
                <Button variant="primary" disabled={current?.state !== 'approved'} loading={execute.isPending} onClick={() => current && execute.mutate({ requestId: current.id })}>
                  Execute
                </Button>
              </SpaceBetween>
            }
          >
            Approvals
          </Header>
        }
        filter={<Toggle checked={all} onChange={(e) => setAll(e.detail.checked)}>Show denied, executed and expired requests too</Toggle>}
        loading={list.isPending}
        loadingText="Loading approval requests"
        items={requests}
        trackBy="id"
        selectionType="single"
        selectedItems={current ? [current] : []}
        onSelectionChange={(e) => setSelected(e.detail.selectedItems[0] ?? null)}
        ariaLabels={{ itemSelectionLabel: (_s, r) => `${APPROVAL_ACTION_LABELS[r.action]} by ${r.requester}`, allItemsSelectionLabel: () => 'all', selectionGroupLabel: 'Requests' }}
        empty={<Box textAlign="center">No approval requests{all ? '' : ' waiting'}.</Box>}
        columnDefinitions={[
          { id: 'action', header: 'Action', cell: (r) => APPROVAL_ACTION_LABELS[r.action] },
          { id: 'requester', header: 'Requester', cell: (r) => r.requester },
          { id: 'inputs', header: 'Inputs', cell: (r) => <span title={`${r.channel}, input SHA-256 ${r.inputHash}`}>{inputs(r)}</span> },
          { id: 'approvals', header: 'Approvals', cell: approvalsSoFar },
          { id: 'expires', header: 'Expires', cell: (r) => when(r.expiresAt) },
          { id: 'state', header: 'State', cell: (r) => <StatusIndicator type={STATE_STATUS[r.state].type}>{STATE_STATUS[r.state].text}</StatusIndicator> },
          { id: 'id', header: 'Request', cell: (r) => <Box variant="code">{r.id}</Box> },
        ]}
      />
      <ErrorMessage error={list.error ?? approve.error ?? execute.error} />
      {execute.data && (
        <Box data-testid="approval-executed">
          Request {execute.data.request.id} was executed: {APPROVAL_ACTION_LABELS[execute.data.request.action]} ({inputs(execute.data.request)}).
        </Box>
      )}
      {denying && <DenyDialog request={denying} onClose={() => { setDenying(null); refresh(); }} />}
      <ApprovalKeys operator={status.data?.operator ?? null} />
      <RevokedApprovalKeys />
    </SpaceBetween>
  );
}
