// Unlock: operator and passphrase. Focus opens in the first field to fill (the passphrase when the operator is known)
// and returns there after a refusal; a wrong passphrase is said next to the passphrase field with its hint; repeated
// failures pause the button with a countdown (details.retryAfterMs, or SessionStatus.retryAfterMs on a fresh window).
// An operator with a second factor: when the main process answers second_factor_required (the passphrase was right),
// an authenticator code field opens below the passphrase (kept, masked, for the retry) and takes the focus; a wrong
// code is said next to that field (docs/operators.md "Second factor").
import { useEffect, useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import Alert from '@cloudscape-design/components/alert';
import Button from '@cloudscape-design/components/button';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input, { type InputProps } from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import type { SessionStatus } from '../../../shared/contract.ts';
import { call, isApiError } from '../api.ts';
import { channelKey } from '../hooks/channelQuery.ts';
import { useRetryPause } from '../hooks/useRetryPause.ts';
import { formatCountdown } from '../format.ts';
import { errorInWords, type ErrorWords } from '../components/errorWords.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { operatorProblem, SESSION_FIELD_LABELS } from './sessionFields.ts';

/** A refusal about the second factor: asked for, wrong, or its field refused (the passphrase was right). */
const isFactorRefusal = (words: ErrorWords) =>
  words.code === 'second_factor_required' ||
  words.code === 'wrong_second_factor' ||
  words.fields.totp !== undefined ||
  words.fields.tokenPin !== undefined ||
  words.fields.recoveryCode !== undefined;

export function UnlockForm({ status }: { status: SessionStatus }) {
  const queryClient = useQueryClient();
  const [operator, setOperator] = useState(status.operator ?? '');
  const [passphrase, setPassphrase] = useState('');
  const [code, setCode] = useState('');
  /** The second factor the main process asked for: an authenticator code or a token's PIN (null: none yet). */
  const [needFactor, setNeedFactor] = useState<'totp' | 'pkcs11' | null>(null);
  /** The operator chose "Use a recovery code" instead of the factor (a lost authenticator or token). */
  const [useRecovery, setUseRecovery] = useState(false);
  const [operatorError, setOperatorError] = useState<string | null>(null);
  /** The main process's refusal of the last attempt (the error itself: worded by errorInWords where it is shown). */
  const [refused, setRefused] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const { waitMs, pauseFrom } = useRetryPause(status.retryAfterMs);
  const operatorRef = useRef<InputProps.Ref>(null);
  const passphraseRef = useRef<InputProps.Ref>(null);
  const codeRef = useRef<InputProps.Ref>(null);

  // The form opens with focus in the first field to fill: the passphrase when the operator is known.
  useEffect(() => {
    (status.operator ? passphraseRef : operatorRef).current?.focus();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // The code field appears (or changes kind) in the same update that asks for it: it is focused once that update has
  // committed and the ref names the new input. A frame callback could run before the commit and find no field (the
  // focus then stayed on the page; seen in CI).
  const [codeFocus, setCodeFocus] = useState(0);
  useEffect(() => {
    if (codeFocus > 0) codeRef.current?.focus();
  }, [codeFocus]);
  const focusCode = () => setCodeFocus((n) => n + 1);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    const secret = passphrase;
    const typedCode = code.trim();
    setPassphrase('');
    setCode('');
    setRefused(null);
    const problem = operatorProblem(operator.trim());
    setOperatorError(problem);
    if (problem) {
      requestAnimationFrame(() => operatorRef.current?.focus());
      return;
    }
    setBusy(true);
    try {
      const factorInput = useRecovery ? { recoveryCode: typedCode } : needFactor === 'totp' ? { totp: typedCode } : needFactor === 'pkcs11' ? { tokenPin: code } : {};
      const next = await call('session:unlock', { operator: operator.trim(), passphrase: secret, ...(typedCode ? factorInput : {}) });
      queryClient.setQueryData(channelKey('session:status', {}), next);
    } catch (err) {
      const words = errorInWords(err, SESSION_FIELD_LABELS);
      if (isFactorRefusal(words)) {
        // The passphrase was right: it stays (masked) for the retry with the code.
        const factor = isApiError(err) ? err.details?.factor : undefined;
        // A refused recovery code keeps the factor asked before (the code field stays a recovery code field).
        if (factor !== 'recovery_code') setNeedFactor(factor === 'pkcs11' ? 'pkcs11' : 'totp');
        setPassphrase(secret);
        setRefused(err);
        focusCode();
      } else if (words.fields.operator !== undefined) {
        setOperatorError(words.fields.operator);
        requestAnimationFrame(() => operatorRef.current?.focus());
      } else {
        setRefused(err);
        // Back in the passphrase field to try again, never on the page body.
        requestAnimationFrame(() => passphraseRef.current?.focus());
      }
      pauseFrom(err);
    } finally {
      setBusy(false);
    }
  }

  const refusal = errorInWords(refused, SESSION_FIELD_LABELS);
  const passphraseRefused = refusal.code === 'wrong_passphrase' || refusal.fields.passphrase !== undefined;
  const codeRefused = isFactorRefusal(refusal);
  /** Next to a field: the field's own words, else the refusal's summary; the hint below it. */
  const nextToField = (field: string) => refusal.fields[field] ?? refusal.summary;
  return (
    <form onSubmit={submit} aria-labelledby="unlock-title" noValidate>
      <Form
        header={
          <Header variant="h2">
            <span id="unlock-title">Unlock the key store</span>
          </Header>
        }
        actions={
          <Button variant="primary" formAction="submit" loading={busy} disabled={busy || waitMs > 0}>
            Unlock
          </Button>
        }
      >
        <SpaceBetween size="m">
          <FormField label="Operator name" errorText={operatorError ?? undefined}>
            <Input ref={operatorRef} value={operator} onChange={(e) => setOperator(e.detail.value)} autoComplete="username" invalid={!!operatorError} />
          </FormField>
          <FormField label="Passphrase" errorText={passphraseRefused ? nextToField('passphrase') : undefined} constraintText={passphraseRefused ? refusal.hint || undefined : undefined}>
            <Input ref={passphraseRef} type="password" value={passphrase} onChange={(e) => setPassphrase(e.detail.value)} autoComplete="current-password" invalid={passphraseRefused} />
          </FormField>
          {needFactor && useRecovery && (
            <FormField
              label="Recovery code"
              description="One of the recovery codes shown when you enrolled your second factor; each works once."
              errorText={codeRefused ? nextToField('recoveryCode') : undefined}
              secondaryControl={
                <Button formAction="none" variant="inline-link" onClick={() => setUseRecovery(false)}>
                  {needFactor === 'totp' ? 'Use the authenticator code' : 'Use the token'}
                </Button>
              }
            >
              <Input ref={codeRef} value={code} onChange={(e) => setCode(e.detail.value)} autoComplete="off" spellcheck={false} invalid={codeRefused && refusal.code !== 'second_factor_required'} />
            </FormField>
          )}
          {needFactor && !useRecovery && (
            <FormField
              secondaryControl={
                <Button
                  formAction="none"
                  variant="inline-link"
                  onClick={() => {
                    setUseRecovery(true);
                    setCode('');
                    focusCode();
                  }}
                >
                  Use a recovery code
                </Button>
              }
              label={needFactor === 'totp' ? 'Authenticator code' : 'Token PIN'}
              description={needFactor === 'totp' ? 'The 6-digit code your authenticator app shows for this console.' : 'The PIN of the token holding your sign-in key.'}
              errorText={codeRefused ? nextToField(needFactor === 'totp' ? 'totp' : 'tokenPin') : undefined}
              constraintText={codeRefused && needFactor === 'totp' ? refusal.hint || undefined : undefined}
            >
              <Input
                ref={codeRef}
                value={code}
                onChange={(e) => setCode(e.detail.value)}
                {...(needFactor === 'totp' ? { inputMode: 'numeric' as const, autoComplete: 'one-time-code' } : { type: 'password' as const, autoComplete: 'off' })}
                invalid={codeRefused && refusal.code !== 'second_factor_required'}
              />
            </FormField>
          )}
          {!codeRefused && <ErrorMessage error={refused} fieldLabels={SESSION_FIELD_LABELS} />}
          {waitMs > 0 && (
            <div role="status">
              <Alert type="warning">Unlocking is paused after repeated failed attempts (passphrase or code). Try again in {formatCountdown(waitMs)}.</Alert>
            </div>
          )}
        </SpaceBetween>
      </Form>
    </form>
  );
}
