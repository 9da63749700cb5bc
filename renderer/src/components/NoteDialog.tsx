// A dialog that asks for one note before an action (deny a request, review a break-glass run): what it is about, the
// note (recorded in the audit log), the main process's refusal in words, Cancel and the action.
import { useState } from 'react';
import Button from '@cloudscape-design/components/button';
import Box from '@cloudscape-design/components/box';
import SpaceBetween from '@cloudscape-design/components/space-between';
import FormField from '@cloudscape-design/components/form-field';
import Textarea from '@cloudscape-design/components/textarea';
import { ActionModal } from './ActionModal.tsx';
import { ErrorMessage } from './ErrorMessage.tsx';

interface Props {
  header: string;
  /** What the note is about, above the field. */
  children: React.ReactNode;
  label: string;
  submitText: string;
  /** The action stays disabled until a note is written. */
  required?: boolean;
  pending: boolean;
  error: unknown;
  onSubmit(note: string): void;
  onClose(): void;
}

export function NoteDialog({ header, children, label, submitText, required = false, pending, error, onSubmit, onClose }: Props) {
  const [note, setNote] = useState('');
  return (
    <ActionModal
      header={header}
      onClose={onClose}
      actions={
        <Button variant="primary" loading={pending} disabled={required && note.trim() === ''} onClick={() => onSubmit(note.trim())}>
          {submitText}
        </Button>
      }
    >
      <SpaceBetween size="m">
        <Box>{children}</Box>
        <FormField label={label} constraintText="Up to 500 characters.">
          <Textarea value={note} onChange={(e) => setNote(e.detail.value)} rows={2} nativeTextareaAttributes={{ maxLength: 500 }} />
        </FormField>
        <ErrorMessage error={error} />
      </SpaceBetween>
    </ActionModal>
  );
}
