// A guarded action's answer in a dialog (docs/two-person-control.md): the main process made an approval request
// instead of running it. Every dialog whose action may be guarded shows this in place of its form: what was asked,
// the request's id, that nothing changed yet, and a way to the Approvals screen. Used by the key state dialog, the
// Operators screen (making an admin, lowering an approval policy).
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import { isApiError } from '../api.ts';
import { hrefFor } from '../shell/routes.ts';
import { ActionModal } from './ActionModal.tsx';

/** The request id when `error` is the main process's `approval_required` answer, else null. */
export function requestedApproval(error: unknown): string | null {
  return isApiError(error) && error.code === 'approval_required' ? String(error.details?.requestId ?? '') : null;
}

const NEXT = 'Once approved (another operator signs in and approves it under Approvals, or sends a signed approval file), execute it there.';

/** The "Approval requested" notice: `what` says the action in words ("Setting k1 to Destroyed"); `after`, what happens next. */
export function ApprovalRequestedNotice({ what, requestId, after = NEXT }: { what: React.ReactNode; requestId: string; after?: React.ReactNode }) {
  return (
    <div role="status" data-testid="approval-requested">
      <Alert type="info" header="Approval requested">
        {what} needs another operator’s approval. Request <Box variant="code" display="inline">{requestId}</Box> was made; nothing has changed yet.{' '}
        {after}
      </Alert>
    </div>
  );
}

/** A dialog holding only the notice, with Close and "Open Approvals". */
export function ApprovalRequestedDialog({ header, what, requestId, after, onClose }: { header: string; what: React.ReactNode; requestId: string; after?: React.ReactNode; onClose(): void }) {
  return (
    <ActionModal
      header={header}
      onClose={onClose}
      cancelText="Close"
      actions={
        <Button variant="primary" href={hrefFor('approvals')} onClick={onClose}>
          Open Approvals
        </Button>
      }
    >
      <ApprovalRequestedNotice what={what} requestId={requestId} after={after} />
    </ActionModal>
  );
}
