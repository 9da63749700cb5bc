// What a dialog becomes when the main process answered `approval_required` with a request's id (two-person control,
// docs/two-person-control.md): nothing happened yet, the request is under Approvals. The caller says what was asked.
import Modal from '@cloudscape-design/components/modal';
import Button from '@cloudscape-design/components/button';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import { isApiError } from '../api.ts';
import { hrefFor } from '../shell/routes.ts';
import { DialogFooter } from './DialogFooter.tsx';

/** The request id of an `approval_required` refusal, or null for any other outcome. */
export function requestedApproval(error: unknown): string | null {
  return isApiError(error) && error.code === 'approval_required' && error.details?.requestId !== undefined ? String(error.details.requestId) : null;
}

/** `children`: the sentence before the request's id; `after`: what happens next. */
export function ApprovalRequestedDialog({ title, requestId, onClose, children, after }: { title: string; requestId: string; onClose(): void; children: React.ReactNode; after: React.ReactNode }) {
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
          {children} Request{' '}
          <Box variant="code" display="inline">
            {requestId}
          </Box>{' '}
          was made; nothing has changed yet. {after}
        </Alert>
      </div>
    </Modal>
  );
}
