import Form from '@cloudscape-design/components/form';

/**
 * A dialog's form: Enter submits through `onSubmit` (the page never reloads), and `errorText` is the refusal that
 * names no field (the fields carry their own errors). The dialog's buttons live in its DialogFooter.
 */
export function SubmitForm({ onSubmit, errorText, children }: { onSubmit(): void; errorText?: React.ReactNode; children: React.ReactNode }) {
  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      <Form errorText={errorText} errorIconAriaLabel="Error">
        {children}
      </Form>
    </form>
  );
}
