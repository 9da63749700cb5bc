// The Keys screen on the design system (docs/ui-design-system.md): the inventory table with search, filter and sort,
// the selected key's details in the AppLayout's split panel, and the create / rotate / state dialogs as Modals.
import { useCallback, useMemo } from 'react';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Header from '@cloudscape-design/components/header';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Alert from '@cloudscape-design/components/alert';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { useUiStore } from '../state/uiStore.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useSplitPanelDetails } from '../shell/splitPanel.ts';
import { KeyTable, routeQuery } from './KeyTable.tsx';
import { KeyDetailSplitPanel } from './KeyDetailPanel.tsx';
import { CreateKeyDialog } from './CreateKeyDialog.tsx';
import { RotateDialog } from './RotateDialog.tsx';
import { StateChangeDialog } from './StateChangeDialog.tsx';
import { EnvironmentRefusalBanner } from '../providers/EnvironmentRefusalBanner.tsx';
import { UnreachableProvidersBanner } from '../providers/UnreachableProvidersBanner.tsx';
import { KEY_STATES, PROVIDER_ID_PATTERN, type KeyState } from '../../../shared/domain.ts';
import { useCan } from '../session/permissions.ts';

/** The route's state filter (#/keys?state=compromised, the dashboard's links), when it names a key state. */
function stateFilterOf(value: string | undefined): KeyState | null {
  return value !== undefined && (KEY_STATES as readonly string[]).includes(value) ? (value as KeyState) : null;
}

export function KeysPage() {
  const canCreate = useCan('keys');
  const keys = useChannelQuery('keys:list', {});
  const selectedKeyId = useUiStore((s) => s.selectedKeyId);
  const selectKey = useUiStore((s) => s.selectKey);
  const dialog = useUiStore((s) => s.dialog);
  const openDialog = useUiStore((s) => s.openDialog);
  const routeParams = useUiStore((s) => s.routeParams);
  const routeSeq = useUiStore((s) => s.routeSeq);
  const list = keys.data?.keys ?? [];
  const stateFilter = stateFilterOf(routeParams.state);
  const providerOk = routeParams.provider === undefined || PROVIDER_ID_PATTERN.test(routeParams.provider);
  const providerFilter = providerOk ? (routeParams.provider ?? null) : null;
  // A link with a value that is no key state or provider id is refused in words, not silently ignored.
  const refused = [
    routeParams.state !== undefined && stateFilter === null ? `“${routeParams.state}” is not a key state` : null,
    !providerOk ? `“${routeParams.provider}” is not a provider id` : null,
  ].filter((r): r is string => r !== null);
  const dialogKey = dialog && dialog.kind !== 'create' ? list.find((k) => k.id === dialog.keyId) : undefined;
  const selectedLabel = list.find((k) => k.id === selectedKeyId)?.label;

  // The selected key's details live in the shell's split panel while this screen is open.
  const keyPanel = useMemo(() => (selectedKeyId ? <KeyDetailSplitPanel key={selectedKeyId} keyId={selectedKeyId} fallbackLabel={selectedLabel} /> : null), [selectedKeyId, selectedLabel]);
  useSplitPanelDetails(keyPanel, useCallback(() => selectKey(null), [selectKey]));

  return (
    <ContentLayout
      header={
        <Header
          variant="h1"
          description="Create, rotate and retire the keys that protect the fleet."
          actions={
            canCreate && (
              <Button variant="primary" onClick={() => openDialog({ kind: 'create' })}>
                New key…
              </Button>
            )
          }
        >
          Keys
        </Header>
      }
    >
      <SpaceBetween size="m">
        <EnvironmentRefusalBanner />
        {keys.data && <UnreachableProvidersBanner keys={list} />}
        {refused.length > 0 && (
          <Alert type="warning" header="Filter from the link refused">
            {refused.join('; ')}: that filter was not applied.
          </Alert>
        )}
        {keys.isError && <ErrorMessage error={keys.error} />}
        <KeyTable keys={list} loading={keys.isPending} initialQuery={routeQuery(stateFilter, providerFilter)} routeSeq={routeSeq} />
      </SpaceBetween>
      {dialog?.kind === 'create' && <CreateKeyDialog />}
      {dialog?.kind === 'rotate' && dialogKey && <RotateDialog keySummary={dialogKey} />}
      {dialog?.kind === 'state' && dialogKey && <StateChangeDialog keySummary={dialogKey} />}
    </ContentLayout>
  );
}
