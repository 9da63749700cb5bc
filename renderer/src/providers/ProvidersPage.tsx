import { useCallback, useMemo, useState } from 'react';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Header from '@cloudscape-design/components/header';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { LOCAL_PROVIDER_ID } from '../../../shared/domain.ts';
import { useChannelMutation, useChannelQuery } from '../hooks/channelQuery.ts';
import { formatTime } from '../format.ts';
import { ProviderHealthResult } from './ProviderHealthCheck.tsx';
import { useUiStore } from '../state/uiStore.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useSplitPanelDetails } from '../shell/splitPanel.ts';
import { ProviderTable } from './ProviderTable.tsx';
import { ProviderDetailPanel } from './ProviderDetailPanel.tsx';
import { ProviderFormDialog } from './ProviderFormDialog.tsx';
import { RemoveProviderDialog } from './RemoveProviderDialog.tsx';
import { EnvironmentRefusalBanner } from './EnvironmentRefusalBanner.tsx';
import { HybridPanel } from './HybridPanel.tsx';
import { keysPerProvider } from './keysPerProvider.ts';
import { useMayCall } from '../session/permissions.ts';

/** How often the page re-reads provider health while it is open (the main process checks, this only reads). */
const REFRESH_MS = 5_000;

export function ProvidersPage() {
  const providers = useChannelQuery('providers:list', {}, { refetchInterval: REFRESH_MS });
  const keys = useChannelQuery('keys:list', {});
  const selectedId = useUiStore((s) => s.selectedProviderId);
  const dialog = useUiStore((s) => s.providerDialog);
  const openDialog = useUiStore((s) => s.openProviderDialog);
  const list = providers.data?.providers ?? [];
  const counts = keysPerProvider(keys.data?.keys ?? []);
  const localKeys = (keys.data?.keys ?? []).filter((k) => k.provider === LOCAL_PROVIDER_ID).length;
  const selectProvider = useUiStore((s) => s.selectProvider);
  // The selected provider's details live in the shell's split panel while this screen is open.
  const providerPanel = useMemo(() => {
    const shown = providers.data?.providers.find((p) => p.id === selectedId);
    return shown ? <ProviderDetailPanel key={shown.id} provider={shown} keysOnIt={keysPerProvider(keys.data?.keys ?? []).get(shown.id) ?? 0} /> : null;
  }, [providers.data, keys.data, selectedId]);
  useSplitPanelDetails(providerPanel, useCallback(() => selectProvider(null), [selectProvider]));
  const dialogProvider = dialog && dialog.kind !== 'add' ? list.find((p) => p.id === dialog.id) : undefined;
  // Every provider checked now (any role); the answer stays until the next check.
  const [checkedAt, setCheckedAt] = useState<string | null>(null);
  const health = useChannelMutation('providers:health', () => setCheckedAt(formatTime(new Date().toISOString())));
  // Adding a provider is the admin's (providers:save); a key custodian sees the list and the hybrid actions only.
  const mayAdd = useMayCall('providers:save');

  return (
    <ContentLayout
      header={
        <Header
          variant="h1"
          description={providers.data ? `${list.length} configured: where keys live, and whether each place answers.` : undefined}
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              <Button loading={health.isPending} onClick={() => health.mutate({})}>
                Check health
              </Button>
              {mayAdd && (
                <Button variant="primary" onClick={() => openDialog({ kind: 'add' })}>
                  Add provider…
                </Button>
              )}
            </SpaceBetween>
          }
        >
          Providers
        </Header>
      }
    >
      <SpaceBetween size="l">
        <EnvironmentRefusalBanner />
        {providers.isError && <ErrorMessage error={providers.error} />}
        <ProviderHealthResult result={health.data} checkedAt={checkedAt} error={health.error} />
        <ProviderTable providers={list} loading={providers.isPending} />
        {providers.data && <HybridPanel providers={list} localKeys={localKeys} />}
      </SpaceBetween>
      {dialog?.kind === 'add' && <ProviderFormDialog existingIds={list.map((p) => p.id)} />}
      {dialog?.kind === 'edit' && dialogProvider && <ProviderFormDialog key={`edit-${dialogProvider.id}`} editing={dialogProvider} />}
      {dialog?.kind === 'remove' && dialogProvider && <RemoveProviderDialog provider={dialogProvider} keysOnIt={counts.get(dialogProvider.id) ?? 0} />}
    </ContentLayout>
  );
}
