// The signed-in operator's own second factor (docs/operators.md "Second factor"): start an enrolment (the main
// process makes a secret and shows it this once, as the otpauth:// URI and as base32 text to type into an
// authenticator app), then confirm it with a code from the app. No QR code: the console ships no QR library, so the
// URI is shown as text to copy. Closing the dialog forgets the secret (it is never asked for again). Or the operator
// binds an EC P-256 or RSA key pair on a PKCS#11 token (TokenFactorForm.tsx): the dialog opens with the choice of the
// two, and a third: new recovery codes. Either enrolment ends with the recovery codes, shown this once
// (RecoveryCodesShown.tsx). With a factor on, the dialog says how many recovery codes are left (RecoveryCodesLeft.tsx).
import { useState } from 'react';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import Modal from '@cloudscape-design/components/modal';
import RadioGroup from '@cloudscape-design/components/radio-group';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { useChannelMutation, useChannelQuery, useQueryClient } from '../hooks/channelQuery.ts';
import { CopyButton } from '../components/CopyButton.tsx';
import { DialogFooter } from '../components/DialogFooter.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { TokenFactorForm, TOKEN_FORM_ID } from './TokenFactorForm.tsx';
import { RecoveryCodesShown } from '../recoveryCodes/RecoveryCodesShown.tsx';
import { RecoveryCodesLeft } from '../recoveryCodes/RecoveryCodesLeft.tsx';

/** The base32 secret in groups of four, as apps that take typed secrets show it. */
const grouped = (secret: string) => secret.replace(/(.{4})/g, '$1 ').trim();

export function SecondFactorButton({ operator }: { operator: string | null }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button onClick={() => setOpen(true)}>Second factor…</Button>
      {open && <SecondFactorDialog operator={operator} onClose={() => setOpen(false)} />}
    </>
  );
}

export type FactorKind = 'totp' | 'token' | 'recovery';

export function SecondFactorDialog({ operator, onClose, initialKind = 'totp' }: { operator: string | null; onClose(): void; initialKind?: FactorKind }) {
  const [kind, setKind] = useState<FactorKind>(initialKind);
  const [code, setCode] = useState('');
  const queryClient = useQueryClient();
  /** A new set of codes changes the count the dialog and the Operators screen show. */
  const recount = () => void queryClient.invalidateQueries({ queryKey: ['operators:list'] });
  const enrol = useChannelMutation('operators:enrollTotp');
  const confirm = useChannelMutation('operators:confirmTotp', () => {
    setCode('');
    recount();
  });
  const bind = useChannelMutation('operators:enrollToken', recount);
  const regenerate = useChannelMutation('operators:regenerateRecoveryCodes', recount);
  const me = useChannelQuery('operators:list', {}).data?.operators.find((o) => o.name === operator);
  const enrolment = enrol.data;
  const recoveryCodes = confirm.data?.recoveryCodes ?? bind.data?.recoveryCodes ?? regenerate.data?.recoveryCodes;
  const done = confirm.isSuccess || bind.isSuccess || regenerate.isSuccess;
  const token = kind === 'token';
  const recovery = kind === 'recovery';

  return (
    <Modal
      visible
      closeAriaLabel="Close dialog"
      onDismiss={onClose}
      header="Second factor"
      footer={
        <DialogFooter onCancel={onClose} cancelText={done ? 'Close' : 'Cancel'}>
          {token && !done && (
            <Button variant="primary" formAction="submit" form={TOKEN_FORM_ID} loading={bind.isPending}>
              Bind token
            </Button>
          )}
          {recovery && !done && (
            <Button variant="primary" loading={regenerate.isPending} onClick={() => regenerate.mutate({})}>
              Make new codes
            </Button>
          )}
          {kind === 'totp' && !enrolment && (
            <Button variant="primary" loading={enrol.isPending} onClick={() => enrol.mutate({})}>
              Start enrolment
            </Button>
          )}
          {kind === 'totp' && enrolment && !done && (
            <Button variant="primary" loading={confirm.isPending} disabled={code.trim() === ''} onClick={() => confirm.mutate({ code: code.trim() })}>
              Confirm code
            </Button>
          )}
        </DialogFooter>
      }
    >
      <SpaceBetween size="m">
        {me && me.secondFactor !== 'none' && <RecoveryCodesLeft left={me.recoveryCodesLeft} />}
        {!enrolment && !done && (
          <FormField label="Kind of second factor">
            <RadioGroup
              value={kind}
              onChange={(e) => setKind(e.detail.value as FactorKind)}
              items={[
                { value: 'totp', label: 'Authenticator app', description: 'A 6-digit code (TOTP) from an app on your phone.' },
                { value: 'token', label: 'PKCS#11 token', description: 'An EC P-256 or RSA key pair on a smart card or hardware token; its PIN at each unlock.' },
                { value: 'recovery', label: 'New recovery codes', description: 'Replaces your recovery codes (you need a second factor); the old ones stop working.' },
              ]}
            />
          </FormField>
        )}
        {token && !done && <TokenFactorForm bind={bind} />}
        {recovery && !done && (
          <Box variant="p">
            Recovery codes unlock the console once each when your authenticator app or token is lost. Making new ones shows ten
            new codes once; the codes you had stop working.
          </Box>
        )}
        {kind === 'totp' && !enrolment && (
          <Box variant="p">
            With a second factor, unlocking as you needs your passphrase and the 6-digit code of an authenticator app (TOTP). Starting an
            enrolment shows a new secret once; until you confirm it with a code, your unlock does not change. If you already have a
            factor, confirming replaces it.
          </Box>
        )}
        {kind === 'totp' && enrolment && !done && (
          <>
            <Box variant="p">Add this entry to your authenticator app, by pasting the link or typing the secret. It is shown only now.</Box>
            <FormField label="Link (otpauth URI)">
              <SpaceBetween size="xs">
                <code className="pem" data-testid="totp-uri">
                  {enrolment.uri}
                </code>
                <CopyButton text={enrolment.uri} label="Copy link" />
              </SpaceBetween>
            </FormField>
            <FormField label="Secret (base32)" description="SHA-1, 6 digits, 30 seconds: the defaults of authenticator apps.">
              <SpaceBetween size="xs">
                <code data-testid="totp-secret">{grouped(enrolment.secret)}</code>
                <CopyButton text={enrolment.secret} label="Copy secret" />
              </SpaceBetween>
            </FormField>
            <FormField label="Code from the app" description="Type the code the app now shows to switch the second factor on.">
              <Input value={code} onChange={(e) => setCode(e.detail.value)} inputMode="numeric" autoComplete="one-time-code" />
            </FormField>
          </>
        )}
        {done && !recovery && (
          <Alert type="success" statusIconAriaLabel="Success">
            {token
              ? 'The token is your second factor. From your next unlock the console asks for its PIN and signs a challenge with its key.'
              : 'The second factor is on. From your next unlock the console asks for the code of your authenticator app.'}
          </Alert>
        )}
        {recoveryCodes && <RecoveryCodesShown codes={recoveryCodes} operator={operator} />}
        {kind === 'totp' && <ErrorMessage error={enrol.error ?? confirm.error} />}
        {recovery && <ErrorMessage error={regenerate.error} />}
      </SpaceBetween>
    </Modal>
  );
}
