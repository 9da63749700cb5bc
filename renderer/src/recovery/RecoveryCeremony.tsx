// The recovery ceremony in the window (docs/recovery-and-backup.md "The recovery ceremony"), reached from the sign-in
// page when no operator can sign in: k custodians type or paste their shares, an operator name and a new passphrase
// (twice). recovery:recover is open before sign-in; the main process checks every share and names the one it refuses,
// shown next to that share's line. Shares and passphrases are cleared from the form as they are sent. On success the
// session is unlocked as that operator (an admin) and RecoveryDone says what happened.
import { useState } from 'react';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { MIN_PASSPHRASE_CHARS, passphraseLength } from '../../../shared/domain.ts';
import { useMutation } from '@tanstack/react-query';
import type { ChannelInput } from '../../../shared/contract.ts';
import { call } from '../api.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { CONFIRMATION_MISMATCH, operatorProblem, PASSPHRASE_TOO_SHORT } from '../session/sessionFields.ts';
import { shareLines, shareRefusal } from './shareLines.ts';
import { sentShares, ShareEntry, type SentShare } from './ShareEntry.tsx';
import { type RecoveryOutcome, useRecoveryNotice } from './recoveryNotice.ts';

interface Problems {
  shares?: string;
  operator?: string;
  passphrase?: string;
  again?: string;
}

export function RecoveryCeremony({ onBack }: { onBack(): void }) {
  const notice = useRecoveryNotice();
  const [text, setText] = useState('');
  const [operator, setOperator] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [again, setAgain] = useState('');
  const [sent, setSent] = useState<SentShare[]>([]);
  const [problems, setProblems] = useState<Problems>({});
  const recover = useMutation<RecoveryOutcome, Error, ChannelInput<'recovery:recover'>>({
    mutationFn: (input) => call('recovery:recover', input),
    onSuccess: notice.show,
    onError: notice.fail,
  });
  const refusal = shareRefusal(recover.error);

  function submit(e: React.FormEvent) {
    e.preventDefault();
    if (recover.isPending) return;
    const shares = shareLines(text);
    const found: Problems = {
      ...(shares.length === 0 ? { shares: 'Enter the custodians’ shares, one per line.' } : {}),
      ...(operatorProblem(operator.trim()) ? { operator: operatorProblem(operator.trim())! } : {}),
      ...(passphraseLength(passphrase) < MIN_PASSPHRASE_CHARS ? { passphrase: PASSPHRASE_TOO_SHORT } : {}),
      ...(again !== passphrase ? { again: CONFIRMATION_MISMATCH } : {}),
    };
    setProblems(found);
    if (Object.keys(found).length > 0) return;
    // Every secret leaves the form as it is sent; the list keeps whose shares they were.
    setSent(sentShares(shares));
    setText('');
    setPassphrase('');
    setAgain('');
    notice.begin();
    recover.mutate({ shares, operator: operator.trim(), passphrase });
  }

  return (
    <form onSubmit={submit} aria-labelledby="ceremony-title" noValidate>
      <Form
        header={
          <Header variant="h2" description="When no admin can sign in: the custodians bring their shares of the master key, and one person becomes an admin again with a new passphrase.">
            <span id="ceremony-title">Recover with shares</span>
          </Header>
        }
        secondaryActions={
          <Button variant="link" formAction="none" onClick={onBack}>
            Back to unlock
          </Button>
        }
        actions={
          <Button variant="primary" formAction="submit" loading={recover.isPending} loadingText="Checking the shares">
            Recover
          </Button>
        }
      >
        <SpaceBetween size="m">
          <ShareEntry value={text} onChange={setText} sent={sent} refusal={refusal} />
          {problems.shares && <Box color="text-status-error">{problems.shares}</Box>}
          <FormField label="Operator who becomes admin" description="A new operator, or an existing one whose passphrase is replaced (their old one stops working)." errorText={problems.operator}>
            <Input value={operator} onChange={(e) => setOperator(e.detail.value)} invalid={!!problems.operator} autoComplete={false} />
          </FormField>
          <FormField label="New passphrase" constraintText={`At least ${MIN_PASSPHRASE_CHARS} characters.`} errorText={problems.passphrase}>
            <Input type="password" value={passphrase} onChange={(e) => setPassphrase(e.detail.value)} invalid={!!problems.passphrase} autoComplete="new-password" />
          </FormField>
          <FormField label="New passphrase again" errorText={problems.again}>
            <Input type="password" value={again} onChange={(e) => setAgain(e.detail.value)} invalid={!!problems.again} autoComplete="new-password" />
          </FormField>
          {recover.error && !refusal && <ErrorMessage error={recover.error} />}
          {refusal && (
            <div role="alert" data-code="invalid_input">
              <Alert type="error" statusIconAriaLabel="Error">
                {refusal.share === null ? refusal.message : `Share ${refusal.share} was refused: ${refusal.message}`} Enter the shares again.
              </Alert>
            </div>
          )}
        </SpaceBetween>
      </Form>
    </form>
  );
}

/** What the ceremony did, before the console opens. */
export function RecoveryDone() {
  const outcome = useRecoveryNotice((s) => s.outcome);
  const dismiss = useRecoveryNotice((s) => s.dismiss);
  if (!outcome) return null;
  return (
    <SpaceBetween size="m">
      <Header variant="h2">Recovered</Header>
      <div role="status" data-testid="recovery-outcome">
        <Alert type="success" statusIconAriaLabel="Success">
          {outcome.created
            ? `${outcome.operator} was created as an admin with the new passphrase`
            : `${outcome.operator} is an admin again; their passphrase is now the new one and the old one no longer works`}
          {` (share set ${outcome.setId}). You are signed in as ${outcome.operator}. The recovery is in the audit log.`}
        </Alert>
      </div>
      <Button variant="primary" onClick={dismiss}>
        Continue to the console
      </Button>
    </SpaceBetween>
  );
}
