// What a dialog shows when its guarded call became an approval request (two-person control,
// docs/two-person-control.md): the main process answered `approval_required` with the request's id instead of acting.
// The dialog says what needs approval, the request id, that nothing changed yet, and links to the Approvals screen.
import Modal from '@cloudscape-design/components/modal';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Alert from '@cloudscape-design/components/alert';
import { isApiError } from '../api.ts';
import { hrefFor } from '../shell/routes.ts';
import { DialogFooter } from './DialogFooter.tsx';

/** The request id when a call's error is `approval_required`, else null. */
export function approvalRequestOf(error: unknown): string | null {
  return isApiError(error) && error.code === 'approval_required' ? String(error.details?.requestId ?? '') : null;
}

/** `what` completes "… needs another operator's approval", e.g. "Setting key X to Destroyed". */
export function ApprovalRequestedModal({ title, what, requestId, onClose }: { title: string; what: string; requestId: string; onClose: () => void }) {
  return (
    <Modal
      visible
      closeAriaLabel="Close dialog"
      onDismiss={onClose}
      header={title}
      footer={
        <DialogFooter onCancel={onClose} cancelText="Close">
          <Button variant="primary" href={hrefFor('approvals')} onClick={onClose}>
            Open Approvals
          </Button>
        </DialogFooter>
      }
    >
      <div role="status" data-testid="approval-requested">
        <Alert type="info" header="Approval requested">
          {what} needs another operator’s approval. Request{' '}
          <Box variant="code" display="inline">{requestId}</Box> was made; nothing has changed yet. Once approved (another operator signs in and approves it
          under Approvals, or sends a signed approval file), execute it there.
        </Alert>
      </div>
    </Modal>
  );
}
