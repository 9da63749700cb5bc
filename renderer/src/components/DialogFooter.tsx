import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';

/**
 * The footer every Modal of the console uses (docs/ui-design-system.md, "Dialogs"): Cancel as a link, then the
 * dialog's own actions (its primary one last), right-aligned.
 */
export function DialogFooter({ onCancel, cancelText = 'Cancel', children }: { onCancel(): void; cancelText?: string; children?: React.ReactNode }) {
  return (
    <Box float="right">
      <SpaceBetween direction="horizontal" size="xs">
        <Button variant="link" onClick={onCancel}>
          {cancelText}
        </Button>
        {children}
      </SpaceBetween>
    </Box>
  );
}
