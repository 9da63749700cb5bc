import type { ProviderStatus } from '../../../shared/contract.ts';
import { PROVIDER_KIND_LABELS } from '../../../shared/domain.ts';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { useUiStore } from '../state/uiStore.ts';
import { Dialog } from '../components/Dialog.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';

export function RemoveProviderDialog({ provider, keysOnIt }: { provider: ProviderStatus; keysOnIt: number }) {
  const close = useUiStore((s) => s.openProviderDialog);
  const selectProvider = useUiStore((s) => s.selectProvider);
  const remove = useChannelMutation('providers:remove', () => {
    selectProvider(null);
    close(null);
  });

  return (
    <Dialog title={`Remove provider “${provider.id}”`} onClose={() => close(null)}>
      <p>
        Removing <strong>{provider.id}</strong> ({PROVIDER_KIND_LABELS[provider.kind]}) deletes its configuration and stored
        credentials from this console. Keys in the provider itself are not touched.
      </p>
      {keysOnIt > 0 && (
        <p className="warning">
          {keysOnIt} key{keysOnIt === 1 ? '' : 's'} in this console use{keysOnIt === 1 ? 's' : ''} {provider.id}: the console refuses
          to remove it until they are destroyed or moved.
        </p>
      )}
      <ErrorMessage error={remove.error} />
      <div className="dialog-buttons">
        <button type="button" onClick={() => close(null)}>
          Cancel
        </button>
        <button type="button" className="danger" disabled={remove.isPending} onClick={() => remove.mutate({ id: provider.id })}>
          {remove.isPending ? 'Removing…' : `Remove “${provider.id}”`}
        </button>
      </div>
    </Dialog>
  );
}
