import { useCallback, useId, useState } from 'react';
import { KEY_TYPES, KEY_TYPE_LABELS, KEY_TYPE_PROFILES, type KeyAlgorithm, type KeyType } from '../../../shared/domain.ts';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { useUiStore } from '../state/uiStore.ts';
import { Dialog } from '../components/Dialog.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { KeyProviderFields, type KeyProviderChoice } from './KeyProviderFields.tsx';

function rotationText(seconds: number | null): string {
  if (seconds === null) return 'Rotation: manual.';
  const days = seconds / 86_400;
  return days >= 1 ? `Rotation: every ${days} day${days === 1 ? '' : 's'}.` : `Rotation: every ${seconds / 3600} hours.`;
}

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
  const descriptionId = useId();

  function changeType(next: KeyType) {
    setType(next);
    setAlgorithm(KEY_TYPE_PROFILES[next].algorithms[0]!);
  }

  function submit(e: React.FormEvent) {
    e.preventDefault();
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

  return (
    <Dialog title="Create a key" onClose={closeDialog}>
      <form onSubmit={submit} className="form">
        <label>
          Label
          <input value={label} onChange={(e) => setLabel(e.target.value)} required maxLength={128} placeholder="e.g. robot-0042 identity" />
        </label>
        <label>
          Key type
          <select value={type} onChange={(e) => changeType(e.target.value as KeyType)} aria-describedby={descriptionId}>
            {KEY_TYPES.map((t) => (
              <option key={t} value={t}>
                {KEY_TYPE_LABELS[t]} — {KEY_TYPE_PROFILES[t].description}
              </option>
            ))}
          </select>
        </label>
        <p className="muted small" id={descriptionId}>
          {profile.description}. Use: {profile.usage === 'sign' ? 'signing' : 'encryption'}. {rotationText(profile.rotationSeconds)}
        </p>
        <label>
          Algorithm
          <select value={algorithm} onChange={(e) => setAlgorithm(e.target.value as KeyAlgorithm)}>
            {profile.algorithms.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <KeyProviderFields encryption={profile.usage === 'encrypt'} choice={where} onChange={changeWhere} />
        <label className="checkbox">
          <input type="checkbox" checked={preActivation} onChange={(e) => setPreActivation(e.target.checked)} />
          Create in pre-activation (activate it later)
        </label>
        <ErrorMessage error={create.error} />
        <div className="dialog-buttons">
          <button type="button" onClick={closeDialog}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={create.isPending || label.trim() === ''}>
            {create.isPending ? 'Creating…' : 'Create key'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
