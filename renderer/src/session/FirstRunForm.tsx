// First run: create the key store (operator, passphrase, confirmation), then show the audit key's fingerprint to be
// written down (SetupDone). Every problem is shown next to its field, several at once, in the one wording of every
// screen (components/errorWords.ts: the rule under the field's label, the form's summary counting the refused values),
// whether the form found it before sending or the main process refused it; focus goes to the first field with a
// problem, never to the page body.
import { useEffect, useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import Button from '@cloudscape-design/components/button';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input, { type InputProps } from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { MIN_PASSPHRASE_CHARS } from '../../../shared/domain.ts';
import { call } from '../api.ts';
import { channelKey } from '../hooks/channelQuery.ts';
import { checkedInWords, errorInWords, type ErrorWords } from '../components/errorWords.ts';
import { formErrorText } from '../components/FormErrorText.tsx';
import { firstRunProblems, SESSION_FIELD_LABELS, type FirstRunProblems } from './sessionFields.ts';
import { useSetupNotice } from './setupNotice.ts';
import { SetupDone } from './SetupDone.tsx';

const NO_PROBLEMS: FirstRunProblems = { operator: null, passphrase: null, confirmation: null };

export function FirstRunForm() {
  const queryClient = useQueryClient();
  const setup = useSetupNotice();
  const [operator, setOperator] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [problems, setProblems] = useState<FirstRunProblems>(NO_PROBLEMS);
  const [formWords, setFormWords] = useState<ErrorWords | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState(false);
  const operatorRef = useRef<InputProps.Ref>(null);
  const passphraseRef = useRef<InputProps.Ref>(null);
  const confirmationRef = useRef<InputProps.Ref>(null);

  useEffect(() => {
    operatorRef.current?.focus();
  }, []);

  const focusFirst = (p: FirstRunProblems) => {
    const first = p.operator ? operatorRef : p.passphrase ? passphraseRef : p.confirmation ? confirmationRef : null;
    if (first) requestAnimationFrame(() => first.current?.focus());
  };

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setFormWords(null);
    const local = firstRunProblems(operator.trim(), passphrase, confirmation);
    const secret = passphrase;
    // The passphrase leaves the form state on every submit, accepted or not.
    setPassphrase('');
    setConfirmation('');
    setProblems(local);
    if (local.operator || local.passphrase || local.confirmation) {
      setFormWords(checkedInWords({ ...local }));
      focusFirst(local);
      return;
    }
    setBusy(true);
    // Hold the session screen from now on: the session:changed event of the creation must not open the shell before
    // the fingerprint was shown.
    setup.begin();
    try {
      const status = await call('session:init', { operator: operator.trim(), passphrase: secret });
      queryClient.setQueryData(channelKey('session:status', {}), status);
      setCreated(true);
    } catch (err) {
      setup.end();
      const words = errorInWords(err, SESSION_FIELD_LABELS);
      // A weak passphrase is about the passphrase field, though the main process names no field for it.
      const fields = words.code === 'weak_passphrase' ? { passphrase: words.summary } : words.fields;
      if (fields.operator !== undefined || fields.passphrase !== undefined) {
        const next = { ...NO_PROBLEMS, operator: fields.operator ?? null, passphrase: fields.passphrase ?? null };
        setProblems(next);
        setFormWords(checkedInWords({ ...next }));
        focusFirst(next);
      } else {
        setFormWords(words);
      }
    } finally {
      setBusy(false);
    }
  }

  if (created) return <SetupDone />;

  return (
    <form onSubmit={submit} aria-labelledby="first-run-title" noValidate>
      <Form
        header={
          <Header variant="h2" description={`No key store exists yet. Name the operator and choose a passphrase of at least ${MIN_PASSPHRASE_CHARS} characters. It protects every key; it cannot be recovered if lost.`}>
            <span id="first-run-title">Create the key store</span>
          </Header>
        }
        actions={
          <Button variant="primary" formAction="submit" loading={busy} disabled={busy}>
            Create key store
          </Button>
        }
        errorText={formWords ? formErrorText(formWords) : undefined}
        errorIconAriaLabel="Error"
      >
        <SpaceBetween size="m">
          <FormField label="Operator name" constraintText="Letters, digits, spaces and . _ @ - ; at most 64." errorText={problems.operator ?? undefined}>
            <Input ref={operatorRef} value={operator} onChange={(e) => setOperator(e.detail.value)} autoComplete="username" invalid={!!problems.operator} />
          </FormField>
          <FormField label={`Passphrase (at least ${MIN_PASSPHRASE_CHARS} characters)`} errorText={problems.passphrase ?? undefined}>
            <Input ref={passphraseRef} type="password" value={passphrase} onChange={(e) => setPassphrase(e.detail.value)} autoComplete="new-password" invalid={!!problems.passphrase} />
          </FormField>
          <FormField label="Confirm passphrase" errorText={problems.confirmation ?? undefined}>
            <Input ref={confirmationRef} type="password" value={confirmation} onChange={(e) => setConfirmation(e.detail.value)} autoComplete="new-password" invalid={!!problems.confirmation} />
          </FormField>
        </SpaceBetween>
      </Form>
    </form>
  );
}
