// How many of an operator's recovery codes are still unused (operators:list `recoveryCodesLeft`, 0-10): on the
// Operators screen per operator with a second factor, and in the top bar's Second factor dialog for the signed-in
// operator; a warning when few are left (recoveryCount.ts).
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { recoveryCount } from './recoveryCount.ts';

export function RecoveryCodesLeft({ left }: { left: number }) {
  const { text, few } = recoveryCount(left);
  return (
    <span data-testid="recovery-codes-left" data-few={few}>
      <StatusIndicator type={few ? 'warning' : 'success'} iconAriaLabel={few ? 'Warning' : 'Enough'}>
        {text}
      </StatusIndicator>
    </span>
  );
}
