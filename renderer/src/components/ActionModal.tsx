import Modal from '@cloudscape-design/components/modal';
import { DialogFooter } from './DialogFooter.tsx';

/**
 * A dialog of the console: header, body, and the footer of DialogFooter with the dialog's own action(s) after Cancel
 * (or Close, `cancelText`). Escape and the close button call `onClose`.
 */
export function ActionModal({ header, onClose, actions, cancelText, children }: {
  header: string;
  onClose(): void;
  actions: React.ReactNode;
  cancelText?: string;
  children: React.ReactNode;
}) {
  return (
    <Modal visible closeAriaLabel="Close dialog" onDismiss={onClose} header={header} footer={<DialogFooter onCancel={onClose} cancelText={cancelText}>{actions}</DialogFooter>}>
      {children}
    </Modal>
  );
}
