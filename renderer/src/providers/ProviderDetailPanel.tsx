// One provider's details in the shell's split panel (shell/splitPanel.ts): health, circuit, last error and its
// settings as stored (secrets only ever as "set").
import SplitPanel from '@cloudscape-design/components/split-panel';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import Table from '@cloudscape-design/components/table';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Box from '@cloudscape-design/components/box';
import type { ProviderStatus } from '../../../shared/contract.ts';
import { PROVIDER_KIND_LABELS } from '../../../shared/domain.ts';
import { useUiStore } from '../state/uiStore.ts';
import { formatTime } from '../format.ts';
import { SPLIT_PANEL_STRINGS } from '../shell/splitPanel.ts';
import { HealthDot } from './HealthDot.tsx';
import { TestConnectionButton } from './TestConnectionButton.tsx';
import { CIRCUIT_LABELS, isEditable, storageMode } from './providerStatusText.ts';
import { useMayCall } from '../session/permissions.ts';

type Setting = [name: string, value: ProviderStatus['settings'][string]];

function settingValue(value: Setting[1]): React.ReactNode {
  if (value === null) return <Box color="text-status-inactive">not set</Box>;
  if (typeof value === 'string' && value.includes('\n')) return <Box variant="pre">{value}</Box>;
  return String(value);
}

export function ProviderDetailPanel({ provider, keysOnIt }: { provider: ProviderStatus; keysOnIt: number }) {
  const openDialog = useUiStore((s) => s.openProviderDialog);
  const settings: Setting[] = Object.entries(provider.settings).filter(([name]) => name !== 'id' && name !== 'provider');
  const health = provider.health;
  const mayEdit = useMayCall('providers:save');

  return (
    <SplitPanel
      header={`Provider “${provider.id}”`}
      closeBehavior="hide"
      i18nStrings={SPLIT_PANEL_STRINGS}
      headerActions={mayEdit && isEditable(provider) ? <Button onClick={() => openDialog({ kind: 'edit', id: provider.id })}>Edit settings</Button> : undefined}
    >
      <SpaceBetween size="l">
        <KeyValuePairs
          columns={3}
          items={[
            { label: 'Kind', value: PROVIDER_KIND_LABELS[provider.kind] },
            {
              label: 'Health',
              value: (
                <>
                  <HealthDot provider={provider} />
                  {health && (
                    <Box variant="small" display="block">
                      {`${Math.round(health.latencyMs)} ms, checked ${formatTime(health.checkedAt)}${health.detail ? `: ${health.detail}` : ''}`}
                    </Box>
                  )}
                </>
              ),
            },
            { label: 'Circuit breaker', value: CIRCUIT_LABELS[provider.circuit] },
            { label: 'Last error', value: provider.lastError ? `${provider.lastError.kind}: ${provider.lastError.message} (${formatTime(provider.lastError.at)})` : 'none' },
            { label: 'KMS-backed', value: provider.kmsBacked ? 'Yes: key material stays in the provider' : 'No: key material is in the local encrypted store' },
            { label: 'Storage', value: storageMode(provider) },
            ...(provider.settings.origin === 'environment'
              ? [{ label: 'Configured by', value: 'the environment (KMS_PROVIDER and related variables): change it there, not here' }]
              : []),
            {
              label: 'Keys',
              value: keysOnIt === 0 ? 'No keys use this provider' : `${keysOnIt} key${keysOnIt === 1 ? ' uses' : 's use'} this provider (as provider or backup)`,
            },
          ]}
        />
        {settings.length > 0 && (
          <Table
            variant="embedded"
            wrapLines
            ariaLabels={{ tableLabel: `Settings of ${provider.id}` }}
            items={settings}
            trackBy={(s) => s[0]}
            columnDefinitions={[
              { id: 'name', header: 'Setting', cell: ([name]) => <Box variant="code">{name}</Box>, width: 220 },
              { id: 'value', header: 'Value', cell: ([, value]) => settingValue(value) },
            ]}
          />
        )}
        <TestConnectionButton providerId={provider.id} />
      </SpaceBetween>
    </SplitPanel>
  );
}
