// The kit's sign-in page: the responder's own passphrase opens the kit (its manifest, sealed data and audit chain are
// checked; a wrong passphrase, another operator or a tampered kit is refused with the kit check named).
import { useState } from 'react';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Alert from '@cloudscape-design/components/alert';
import type { KitModeStatus } from '../../../shared/kitOfflineContract.ts';
import { IDLE_LOCK_DEFAULT_MINUTES } from '../../../shared/operatorsContract.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useKitMutation } from './kitApi.ts';
import { formatWhen } from './kitWords.ts';
import { formatCountdown } from '../format.ts';
import { useRetryPause } from '../hooks/useRetryPause.ts';

const LOCKED_BY_WORDS: Record<NonNullable<KitModeStatus['lockedBy']>, string> = {
  idle: `No action for the idle time (${IDLE_LOCK_DEFAULT_MINUTES} minutes).`,
  hidden: `The page was hidden for the idle time (${IDLE_LOCK_DEFAULT_MINUTES} minutes).`,
  suspend: 'The laptop went to sleep.',
  screen_lock: 'The screen was locked.',
};

export function KitSignIn({ status }: { status: KitModeStatus }) {
  const m = status.manifest;
  const [operator, setOperator] = useState(m?.responder ?? '');
  const [passphrase, setPassphrase] = useState('');
  const signIn = useKitMutation('kitOffline:signIn');
  // Wrong passphrases are throttled per kit: the button waits out the pause the main side imposes.
  const { waitMs, pauseFrom } = useRetryPause(status.retryAfterMs);
  if (!m) {
    return (
      <div className="center-card">
        <div role="alert" data-code={status.problem?.code} data-kit-error={status.problem?.kitError ?? undefined}>
          <Alert type="error" header="This incident kit cannot be opened">{status.problem?.message}</Alert>
        </div>
      </div>
    );
  }
  const submit = () => {
    if (operator.trim() === '' || passphrase === '' || waitMs > 0) return;
    signIn.mutate({ operator, passphrase }, { onSettled: () => setPassphrase(''), onError: pauseFrom });
  };
  return (
    <div className="center-card">
      <form onSubmit={(e) => { e.preventDefault(); submit(); }}>
        <Form actions={<Button variant="primary" formAction="submit" loading={signIn.isPending} disabled={waitMs > 0}>Open the kit</Button>}>
          <Container header={<Header variant="h1" description={`Exported ${formatWhen(m.exportedAt)} by ${m.exportedBy}; ${m.robots} robot(s), ${m.orders.length} pre-authorised order(s), valid until ${formatWhen(m.expiresAt)}.`}>Incident kit: sign in</Header>}>
            <SpaceBetween size="m">
              {status.lockedBy && (
                <div role="status" data-testid="kit-locked" data-locked-by={status.lockedBy}>
                  <Alert type="info" header="The kit was locked">{LOCKED_BY_WORDS[status.lockedBy]} Sign in again with your passphrase.</Alert>
                </div>
              )}
              <FormField label="Responder" description="The kit opens only for the operator it was exported for.">
                <Input value={operator} onChange={(e) => setOperator(e.detail.value)} ariaLabel="Responder" />
              </FormField>
              <FormField label="Passphrase" description="Your own operator passphrase.">
                <Input type="password" value={passphrase} onChange={(e) => setPassphrase(e.detail.value)} ariaLabel="Passphrase" autoFocus />
              </FormField>
              <ErrorMessage error={signIn.error} />
              {waitMs > 0 && (
                <div role="status" data-testid="kit-sign-in-paused">
                  <Alert type="warning">Opening the kit is paused after repeated wrong passphrases. Try again in {formatCountdown(waitMs)}.</Alert>
                </div>
              )}
            </SpaceBetween>
          </Container>
        </Form>
      </form>
    </div>
  );
}
