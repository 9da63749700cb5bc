// How many of an operator's recovery codes are still unused (operators:list `recoveryCodesLeft`, 0-10): on the
// Operators screen per operator with a second factor, and in the top bar's Second factor dialog for the signed-in
// operator; a warning when few are left (recoveryCount.ts).
// A status icon and coloured text as StatusIndicator draws them, but wrapping between words: StatusIndicator breaks its
// text at any letter ("recover|y codes"), which the Operators table's narrow Second factor column showed.
import Box from '@cloudscape-design/components/box';
import Icon from '@cloudscape-design/components/icon';
import { recoveryCount } from './recoveryCount.ts';

export function RecoveryCodesLeft({ left }: { left: number }) {
  const { text, few } = recoveryCount(left);
  return (
    <span data-testid="recovery-codes-left" data-few={few}>
      <Box variant="span" color={few ? 'text-status-warning' : 'text-status-success'}>
        <Icon name={few ? 'status-warning' : 'status-positive'} variant={few ? 'warning' : 'success'} ariaLabel={few ? 'Warning' : 'Enough'} /> {text}
      </Box>
    </span>
  );
}
