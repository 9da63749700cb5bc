import Modal from '@cloudscape-design/components/modal';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Alert from '@cloudscape-design/components/alert';
import SpaceBetween from '@cloudscape-design/components/space-between';
import type { ProviderStatus } from '../../../shared/contract.ts';
import { PROVIDER_KIND_LABELS } from '../../../shared/domain.ts';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { useUiStore } from '../state/uiStore.ts';
import { DialogFooter } from '../components/DialogFooter.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';

export function RemoveProviderDialog({ provider, keysOnIt }: { provider: ProviderStatus; keysOnIt: number }) {
  const close = useUiStore((s) => s.openProviderDialog);
  const selectProvider = useUiStore((s) => s.selectProvider);
  const remove = useChannelMutation('providers:remove', () => {
    selectProvider(null);
    close(null);
  });

  return (
    <Modal
      visible
      closeAriaLabel="Close dialog"
      onDismiss={() => close(null)}
      header={`Remove provider “${provider.id}”`}
      footer={
        <DialogFooter onCancel={() => close(null)}>
          <Button variant="primary" loading={remove.isPending} loadingText="Removing" onClick={() => remove.mutate({ id: provider.id })}>
            {`Remove “${provider.id}”`}
          </Button>
        </DialogFooter>
      }
    >
      <SpaceBetween size="m">
        <Box variant="p">
          Removing <strong>{provider.id}</strong> ({PROVIDER_KIND_LABELS[provider.kind]}) deletes its configuration and stored credentials from this console.
          Keys in the provider itself are not touched.
        </Box>
        {keysOnIt > 0 && (
          <Alert type="warning" statusIconAriaLabel="Warning">
            {keysOnIt} key{keysOnIt === 1 ? '' : 's'} in this console use{keysOnIt === 1 ? 's' : ''} {provider.id}: the console refuses to remove it until they
            are destroyed or moved.
          </Alert>
        )}
        <ErrorMessage error={remove.error} />
      </SpaceBetween>
    </Modal>
  );
}
