import type { KeySummary } from '../../../shared/contract.ts';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { useUiStore } from '../state/uiStore.ts';
import { Dialog } from '../components/Dialog.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';

export function RotateDialog({ keySummary }: { keySummary: KeySummary }) {
  const closeDialog = useUiStore((s) => s.closeDialog);
  const rotate = useChannelMutation('keys:rotate', () => closeDialog());
  const next = keySummary.currentVersion + 1;

  return (
    <Dialog title={`Rotate key “${keySummary.label}”`} onClose={closeDialog}>
      <p>
        Rotating <strong>{keySummary.label}</strong> creates version {next}. New data is protected with version {next}; data
        protected with earlier versions stays readable until those versions are retired.
      </p>
      <ErrorMessage error={rotate.error} />
      <div className="dialog-buttons">
        <button type="button" onClick={closeDialog}>
          Cancel
        </button>
        <button type="button" className="primary" disabled={rotate.isPending} onClick={() => rotate.mutate({ keyId: keySummary.id })}>
          {rotate.isPending ? 'Rotating…' : `Rotate “${keySummary.label}” to version ${next}`}
        </button>
      </div>
    </Dialog>
  );
}
