// Settings (issue 12's side-navigation group): what the signed-in operator sets for themselves, and where the
// console-wide settings are. Every role: change one's own passphrase (session:changePassphrase, permission signedIn),
// see one's second factor and open the Second factor dialog, read the idle lock. Admins: links to the idle lock's
// and the approval policies' forms, which stay on Operators (one form each, not duplicated here).
import { useRef, useState } from 'react';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input, { type InputProps } from '@cloudscape-design/components/input';
import Link from '@cloudscape-design/components/link';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { ROLE_LABELS, type OperatorInfo } from '../../../shared/operatorsContract.ts';
import { call } from '../api.ts';
import { useChannelQuery, useQueryClient } from '../hooks/channelQuery.ts';
import { checkedInWords, errorInWords, type ErrorWords } from '../components/errorWords.ts';
import { formErrorText } from '../components/FormErrorText.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useCan, useSessionRole } from '../session/permissions.ts';
import { SecondFactorDialog } from '../session/SecondFactorDialog.tsx';
import { RecoveryCodesLeft } from '../recoveryCodes/RecoveryCodesLeft.tsx';
import { formatTime } from '../format.ts';
import { hrefFor } from '../shell/routes.ts';
import { hasProblem, NO_PROBLEMS, PASSPHRASE_FIELD_LABELS, passphraseProblems, refusalOnFields, type PassphraseProblems } from './passphraseForm.ts';

const FACTOR_WORDS: Readonly<Record<OperatorInfo['secondFactor'], string>> = { none: 'None', totp: 'Authenticator app', pkcs11: 'PKCS#11 token' };

function ChangePassphraseForm() {
  const queryClient = useQueryClient();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [problems, setProblems] = useState<PassphraseProblems>(NO_PROBLEMS);
  const [formWords, setFormWords] = useState<ErrorWords | null>(null);
  const [busy, setBusy] = useState(false);
  const [changed, setChanged] = useState(false);
  const currentRef = useRef<InputProps.Ref>(null);
  const nextRef = useRef<InputProps.Ref>(null);
  const confirmationRef = useRef<InputProps.Ref>(null);

  const focusFirst = (p: PassphraseProblems) => {
    const first = p.current ? currentRef : p.next ? nextRef : p.confirmation ? confirmationRef : null;
    if (first) requestAnimationFrame(() => first.current?.focus());
  };

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setChanged(false);
    setFormWords(null);
    const local = passphraseProblems(current, next, confirmation);
    const sent = { current, next };
    // The passphrases leave the form state on every submit, accepted or not.
    setCurrent('');
    setNext('');
    setConfirmation('');
    setProblems(local);
    if (hasProblem(local)) {
      setFormWords(checkedInWords({ ...local }));
      focusFirst(local);
      return;
    }
    setBusy(true);
    try {
      await call('session:changePassphrase', sent);
      setChanged(true);
      void queryClient.invalidateQueries({ queryKey: ['operators:list'] });
    } catch (err) {
      const onFields = refusalOnFields(err);
      setProblems(onFields);
      setFormWords(hasProblem(onFields) ? checkedInWords({ ...onFields }) : errorInWords(err, PASSPHRASE_FIELD_LABELS));
      focusFirst(onFields);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form aria-label="Change your passphrase" onSubmit={(e) => void submit(e)} noValidate>
      <Form
        header={<Header variant="h3" description="Your passphrase opens your own key slot; the other operators' passphrases do not change. Use the new one from your next unlock.">Change your passphrase</Header>}
        errorText={formWords ? formErrorText(formWords) : undefined}
        errorIconAriaLabel="Error"
        actions={
          <Button formAction="submit" loading={busy}>
            Change passphrase
          </Button>
        }
      >
        <SpaceBetween size="m">
          {changed && (
            <Alert type="success" statusIconAriaLabel="Success">
              <span role="status">Your passphrase was changed. Unlock with the new one from now on.</span>
            </Alert>
          )}
          <FormField label={PASSPHRASE_FIELD_LABELS.current} errorText={problems.current ?? undefined}>
            <Input ref={currentRef} type="password" value={current} onChange={(e) => setCurrent(e.detail.value)} autoComplete="current-password" invalid={!!problems.current} />
          </FormField>
          <FormField label={PASSPHRASE_FIELD_LABELS.next} errorText={problems.next ?? undefined}>
            <Input ref={nextRef} type="password" value={next} onChange={(e) => setNext(e.detail.value)} autoComplete="new-password" invalid={!!problems.next} />
          </FormField>
          <FormField label={PASSPHRASE_FIELD_LABELS.confirmation} errorText={problems.confirmation ?? undefined}>
            <Input ref={confirmationRef} type="password" value={confirmation} onChange={(e) => setConfirmation(e.detail.value)} autoComplete="new-password" invalid={!!problems.confirmation} />
          </FormField>
        </SpaceBetween>
      </Form>
    </form>
  );
}

function YourAccount({ operator }: { operator: string | null }) {
  const role = useSessionRole((s) => s.role);
  const list = useChannelQuery('operators:list', {});
  const me = list.data?.operators.find((o) => o.name === operator);
  const [factorOpen, setFactorOpen] = useState(false);
  return (
    <Container header={<Header variant="h2">Your account</Header>}>
      <SpaceBetween size="l">
        <ColumnLayout columns={4} variant="text-grid">
          <div>
            <Box variant="awsui-key-label">Operator</Box>
            <div data-testid="settings-operator">{operator ?? 'unknown'}</div>
          </div>
          <div>
            <Box variant="awsui-key-label">Role</Box>
            <div>{role ? ROLE_LABELS[role] : 'unknown'}</div>
          </div>
          <div>
            <Box variant="awsui-key-label">Passphrase changed</Box>
            <div data-testid="settings-passphrase-changed">{me ? (me.passphraseChangedAt ? formatTime(me.passphraseChangedAt) : 'Never') : '-'}</div>
          </div>
          <div>
            <Box variant="awsui-key-label">Second factor</Box>
            <SpaceBetween size="xxs">
              <div data-testid="settings-second-factor">{me ? FACTOR_WORDS[me.secondFactor] : '-'}</div>
              {me && me.secondFactor !== 'none' && <RecoveryCodesLeft left={me.recoveryCodesLeft} />}
              <Button variant="inline-link" onClick={() => setFactorOpen(true)}>
                Manage second factor…
              </Button>
            </SpaceBetween>
          </div>
        </ColumnLayout>
        <ErrorMessage error={list.error} />
        <ChangePassphraseForm />
      </SpaceBetween>
      {factorOpen && <SecondFactorDialog operator={operator} onClose={() => setFactorOpen(false)} />}
    </Container>
  );
}

function ConsoleSettings() {
  const admin = useCan('admin');
  const idle = useChannelQuery('session:idleLock', {});
  const operators = <Link href={hrefFor('operators')}>Operators</Link>;
  return (
    <div data-testid="console-settings">
      <Container header={<Header variant="h2" description={admin ? 'Set on the Operators screen, with the operators they apply to.' : 'An admin sets these on the Operators screen.'}>Console</Header>}>
        <ColumnLayout columns={2} variant="text-grid">
          <div>
            <Box variant="awsui-key-label">Idle lock</Box>
            <div data-testid="settings-idle-lock">{idle.data ? `The session locks after ${idle.data.minutes} minutes without activity, and when the computer sleeps or its screen locks.` : '-'}</div>
            {admin && <Box>Change it under Idle lock on {operators}.</Box>}
            <ErrorMessage error={idle.error} />
          </div>
          <div>
            <Box variant="awsui-key-label">Approval policies</Box>
            <div>Which actions need a second person's approval, how many and of which roles.</div>
            {admin && <Box>Change them under Approval policies on {operators}.</Box>}
          </div>
        </ColumnLayout>
      </Container>
    </div>
  );
}

export function SettingsPage({ operator }: { operator: string | null }) {
  return (
    <ContentLayout header={<Header variant="h1" description="Your own passphrase and second factor; where the console's idle lock and approval policies are set.">Settings</Header>}>
      <SpaceBetween size="l">
        <YourAccount operator={operator} />
        <ConsoleSettings />
      </SpaceBetween>
    </ContentLayout>
  );
}
