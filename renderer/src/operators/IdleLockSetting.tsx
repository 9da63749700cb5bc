// The idle lock's time (docs/operators.md "Idle lock"): the session locks after this many minutes without a call from
// the window or the browser host. Any operator reads it; an admin changes it (1 to 240 minutes, the contract's bounds).
import { useState } from 'react';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Alert from '@cloudscape-design/components/alert';
import { IDLE_LOCK_MAX_MINUTES, IDLE_LOCK_MIN_MINUTES, IdleLockSettings } from '../../../shared/operatorsContract.ts';
import { useChannelMutation, useChannelQuery, useQueryClient } from '../hooks/channelQuery.ts';
import { errorInWords } from '../components/errorWords.ts';
import { formErrorText } from '../components/FormErrorText.tsx';

const BOUNDS = `A whole number of minutes from ${IDLE_LOCK_MIN_MINUTES} to ${IDLE_LOCK_MAX_MINUTES}.`;

export function IdleLockSetting() {
  const queryClient = useQueryClient();
  const current = useChannelQuery('session:idleLock', {});
  /** What is typed; null: the stored value, once known. */
  const [typed, setTyped] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const save = useChannelMutation('session:setIdleLock', (value) => {
    queryClient.setQueryData(['session:idleLock', {}], value);
    setTyped(null);
  });
  const minutes = typed ?? (current.data ? String(current.data.minutes) : '');
  const words = errorInWords(save.error ?? current.error, { minutes: 'Lock after (minutes)' });

  function submit(e: React.FormEvent) {
    e.preventDefault();
    const text = minutes.trim();
    const value = /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN;
    const ok = IdleLockSettings.safeParse({ minutes: value }).success;
    setProblem(ok ? null : BOUNDS);
    if (ok) save.mutate({ minutes: value });
  }

  return (
    <form aria-label="Idle lock" onSubmit={submit} noValidate>
      <Container header={<Header variant="h2" description="The session locks by itself after this long without activity in the window, and at once when the computer sleeps or its screen locks.">Idle lock</Header>}>
        <Form
          errorText={formErrorText(words)}
          errorIconAriaLabel="Error"
          actions={<Button formAction="submit" loading={save.isPending}>Save idle lock</Button>}
        >
          <SpaceBetween size="m">
            {save.data && !save.isPending && (
              <Alert type="success" statusIconAriaLabel="Success">{`The session now locks after ${save.data.minutes} minutes without activity.`}</Alert>
            )}
            <FormField label="Lock after (minutes)" constraintText={BOUNDS} errorText={problem ?? words.fields.minutes}>
              <Input type="number" inputMode="numeric" value={minutes} onChange={(e) => setTyped(e.detail.value)} invalid={!!(problem ?? words.fields.minutes)} />
            </FormField>
          </SpaceBetween>
        </Form>
      </Container>
    </form>
  );
}
