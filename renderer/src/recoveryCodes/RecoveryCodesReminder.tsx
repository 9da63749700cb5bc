// A reminder that comes by itself (docs/operators.md "Recovery codes"): when the signed-in operator has a second
// factor and few unused recovery codes (recoveryCount.ts), a warning sits in the shell's notification slot above every
// screen, with a button that opens the Second factor dialog on "New recovery codes". Dismissing it is kept in the store
// for that operator (operators:dismissRecoveryReminder) and hides it until the count of unused codes changes, across
// sign-ins and restarts; it goes away on its own once new codes are made.
import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import Alert from '@cloudscape-design/components/alert';
import Button from '@cloudscape-design/components/button';
import { useChannelMutation, useChannelQuery } from '../hooks/channelQuery.ts';
import { SecondFactorDialog } from '../session/SecondFactorDialog.tsx';
import { recoveryCount } from './recoveryCount.ts';

/** The reminder for the shell's notification slot, or null when there is nothing to say (so the slot stays empty). */
export function useRecoveryCodesReminder(operator: string | null): React.ReactNode {
  const me = useChannelQuery('operators:list', {}).data?.operators.find((o) => o.name === operator);
  const stored = useChannelQuery('operators:recoveryReminder', {}, { enabled: operator !== null }).data;
  const queryClient = useQueryClient();
  const dismiss = useChannelMutation('operators:dismissRecoveryReminder', () => void queryClient.invalidateQueries({ queryKey: ['operators:recoveryReminder'] }));
  const [open, setOpen] = useState(false);
  const left = me && me.secondFactor !== 'none' ? me.recoveryCodesLeft : null;
  // Hidden at once on a click (the store answers a moment later), and while the stored dismissal is at this count.
  const dismissedAt = dismiss.isPending || dismiss.isSuccess ? (dismiss.data?.dismissedAt ?? left) : (stored?.dismissedAt ?? null);
  const show = left !== null && stored !== undefined && recoveryCount(left).few && dismissedAt !== left;
  if (!show && !open) return null;
  return (
    <>
      {show && (
        <div data-testid="recovery-codes-reminder">
          <Alert
            type="warning"
            dismissible
            dismissAriaLabel="Dismiss the reminder"
            onDismiss={() => dismiss.mutate({})}
            header={recoveryCount(left).text}
            action={<Button onClick={() => setOpen(true)}>Make new codes…</Button>}
          >
            {left === 0
              ? 'You have no recovery code left: if your authenticator app or token is lost, only an admin can reset your second factor.'
              : 'Each code unlocks the console once when your authenticator app or token is lost. Make a new set before the last one is spent.'}
          </Alert>
        </div>
      )}
      {open && <SecondFactorDialog operator={operator} initialKind="recovery" onClose={() => setOpen(false)} />}
    </>
  );
}
