// Binding a PKCS#11 token as the signed-in operator's own second factor (operators:enrollToken, docs/operators.md
// "Second factor (PKCS#11 token)"): the module, the token's label (typed, or picked from the module's tokens that
// "List slots" shows, operators:tokenSlots), the label of an EC P-256 or RSA (2048 to 4096 bits) key pair on it, and
// the PIN. The main process logs in, has the key sign a challenge and keeps its public key. A refusal is said beside the
// field it is about (no such module, no such token, wrong PIN, no EC P-256 key under the label), in the one wording
// rule of every screen. The PIN is cleared from the form as soon as it is sent, whatever the answer.
import { useState } from 'react';
import type { UseMutationResult } from '@tanstack/react-query';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import type { ChannelInput, ChannelOutput } from '../../../shared/contract.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { errorInWords } from '../components/errorWords.ts';
import { Pkcs11SlotPicker } from '../providers/Pkcs11SlotPicker.tsx';

/** The form's id: the dialog's footer button submits it. */
export const TOKEN_FORM_ID = 'token-factor-form';

/** The fields, by the channel's input names. */
const LABELS = {
  modulePath: 'PKCS#11 module',
  tokenLabel: 'Token label',
  keyLabel: 'Key label',
  pin: 'Token PIN',
} as const;

type Bind = UseMutationResult<ChannelOutput<'operators:enrollToken'>, Error, ChannelInput<'operators:enrollToken'>>;

export function TokenFactorForm({ bind }: { bind: Bind }) {
  const [modulePath, setModulePath] = useState('');
  const [tokenLabel, setTokenLabel] = useState('');
  const [keyLabel, setKeyLabel] = useState('');
  const [pin, setPin] = useState('');
  const words = errorInWords(bind.error, LABELS);

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    bind.mutate({ modulePath: modulePath.trim(), tokenLabel, keyLabel, pin });
    // Sent: the PIN does not stay in the form (nor in React state) while the token answers.
    setPin('');
  };

  return (
    <form id={TOKEN_FORM_ID} onSubmit={submit} aria-label="Bind a PKCS#11 token" noValidate>
      <SpaceBetween size="m">
        <FormField label={LABELS.modulePath} description="The absolute path of the token vendor's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so." errorText={words.fields.modulePath}>
          <Input value={modulePath} onChange={(e) => setModulePath(e.detail.value)} invalid={words.fields.modulePath !== undefined} />
        </FormField>
        <Pkcs11SlotPicker channel="operators:tokenSlots" modulePath={modulePath} tokenLabel={tokenLabel} onPick={setTokenLabel} />
        <FormField label={LABELS.tokenLabel} description="The label the token (slot) was initialised with; pick it from the listed slots or type it." errorText={words.fields.tokenLabel}>
          <Input value={tokenLabel} onChange={(e) => setTokenLabel(e.detail.value)} invalid={words.fields.tokenLabel !== undefined} />
        </FormField>
        <FormField label={LABELS.keyLabel} description="The label (CKA_LABEL) of your key pair on the token: EC P-256, or RSA of 2048 to 4096 bits." errorText={words.fields.keyLabel}>
          <Input value={keyLabel} onChange={(e) => setKeyLabel(e.detail.value)} invalid={words.fields.keyLabel !== undefined} />
        </FormField>
        <FormField label={LABELS.pin} description="The token's user PIN; asked again at each unlock, never stored." errorText={words.fields.pin}>
          <Input type="password" value={pin} onChange={(e) => setPin(e.detail.value)} autoComplete="off" invalid={words.fields.pin !== undefined} />
        </FormField>
        <ErrorMessage error={bind.error} fieldLabels={LABELS} />
      </SpaceBetween>
    </form>
  );
}
