import { useCallback, useEffect, useRef, useState } from 'react';
import Modal from '@cloudscape-design/components/modal';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import FormField from '@cloudscape-design/components/form-field';
import Input, { type InputProps } from '@cloudscape-design/components/input';
import Select from '@cloudscape-design/components/select';
import Checkbox from '@cloudscape-design/components/checkbox';
import { KEY_TYPES, KEY_TYPE_LABELS, KEY_TYPE_PROFILES, type KeyAlgorithm, type KeyType } from '../../../shared/domain.ts';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { useUiStore } from '../state/uiStore.ts';
import { errorInWords } from '../components/errorWords.ts';
import { formErrorText } from '../components/FormErrorText.tsx';
import { KeyProviderFields, type KeyProviderChoice } from './KeyProviderFields.tsx';
import { DialogFooter } from '../components/DialogFooter.tsx';
import { SubmitForm } from '../components/SubmitForm.tsx';

function rotationText(seconds: number | null): string {
  if (seconds === null) return 'Rotation: manual.';
  const days = seconds / 86_400;
  return days >= 1 ? `Rotation: every ${days} day${days === 1 ? '' : 's'}.` : `Rotation: every ${seconds / 3600} hours.`;
}

/** The fields of this form, by the names the main process uses for them (field errors go next to them). */
export const CREATE_KEY_FIELDS = { label: 'Label', type: 'Key type', algorithm: 'Algorithm', provider: 'Provider', backupProvider: 'Backup provider' } as const;

export function CreateKeyDialog() {
  const closeDialog = useUiStore((s) => s.closeDialog);
  const selectKey = useUiStore((s) => s.selectKey);
  const [type, setType] = useState<KeyType>(KEY_TYPES[0]);
  const [algorithm, setAlgorithm] = useState<KeyAlgorithm>(KEY_TYPE_PROFILES[KEY_TYPES[0]].algorithms[0]!);
  const [label, setLabel] = useState('');
  const [preActivation, setPreActivation] = useState(false);
  const [where, setWhere] = useState<KeyProviderChoice>({ provider: null, backupProvider: '' });
  const changeWhere = useCallback((next: KeyProviderChoice) => setWhere(next), []);
  const create = useChannelMutation('keys:create', (key) => {
    selectKey(key.id);
    closeDialog();
  });
  const profile = KEY_TYPE_PROFILES[type];
  const words = errorInWords(create.error, CREATE_KEY_FIELDS);
  const canSubmit = !create.isPending && label.trim() !== '';
  // The dialog opens on its first field (after the Modal has taken focus into itself).
  const labelRef = useRef<InputProps.Ref>(null);
  useEffect(() => {
    const frame = requestAnimationFrame(() => labelRef.current?.focus());
    return () => cancelAnimationFrame(frame);
  }, []);

  function changeType(next: KeyType) {
    setType(next);
    setAlgorithm(KEY_TYPE_PROFILES[next].algorithms[0]!);
  }

  function submit() {
    if (!canSubmit) return;
    const encryption = profile.usage === 'encrypt';
    create.mutate({
      type,
      label: label.trim(),
      algorithm,
      activate: !preActivation,
      ...(where.provider ? { provider: where.provider } : {}),
      ...(encryption && where.backupProvider ? { backupProvider: where.backupProvider } : {}),
    });
  }

  const typeOptions = KEY_TYPES.map((t) => ({ value: t, label: KEY_TYPE_LABELS[t], description: KEY_TYPE_PROFILES[t].description }));
  const algorithmOptions = profile.algorithms.map((a) => ({ value: a, label: a }));

  return (
    <Modal
      visible
      closeAriaLabel="Close dialog"
      onDismiss={closeDialog}
      header="Create a key"
      footer={
        <DialogFooter onCancel={closeDialog}>
          <Button variant="primary" onClick={submit} disabled={!canSubmit} loading={create.isPending} loadingText="Creating key">
            Create key
          </Button>
        </DialogFooter>
      }
    >
      <SubmitForm onSubmit={submit} errorText={formErrorText(words)}>
        <SpaceBetween size="m">
          <FormField label="Label" errorText={words.fields.label} constraintText="Up to 128 characters.">
            <Input value={label} onChange={(e) => setLabel(e.detail.value)} placeholder="e.g. robot-0042 identity" ref={labelRef} invalid={!!words.fields.label} />
          </FormField>
          <FormField label="Key type" description={`${profile.description}. Use: ${profile.usage === 'sign' ? 'signing' : 'encryption'}. ${rotationText(profile.rotationSeconds)}`} errorText={words.fields.type}>
            <Select
              selectedOption={typeOptions.find((o) => o.value === type) ?? null}
              onChange={(e) => changeType(e.detail.selectedOption.value as KeyType)}
              options={typeOptions}
              invalid={!!words.fields.type}
            />
          </FormField>
          <FormField label="Algorithm" errorText={words.fields.algorithm}>
            <Select
              selectedOption={algorithmOptions.find((o) => o.value === algorithm) ?? null}
              onChange={(e) => setAlgorithm(e.detail.selectedOption.value as KeyAlgorithm)}
              options={algorithmOptions}
              invalid={!!words.fields.algorithm}
            />
          </FormField>
          <KeyProviderFields encryption={profile.usage === 'encrypt'} choice={where} onChange={changeWhere} errors={words.fields} />
          <Checkbox checked={preActivation} onChange={(e) => setPreActivation(e.detail.checked)}>
            Create in pre-activation (activate it later)
          </Checkbox>
        </SpaceBetween>
      </SubmitForm>
    </Modal>
  );
}
