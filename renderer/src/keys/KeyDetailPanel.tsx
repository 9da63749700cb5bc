// A key's details in the shell's split panel: facts, versions, who holds it, integrity, public key, the tester.
import SplitPanel from '@cloudscape-design/components/split-panel';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import Table from '@cloudscape-design/components/table';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Box from '@cloudscape-design/components/box';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { KEY_TYPE_LABELS, KEY_TYPE_PROFILES } from '../../../shared/domain.ts';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { formatTime } from '../format.ts';
import { SPLIT_PANEL_STRINGS } from '../shell/splitPanel.ts';
import { StateBadge } from './StateBadge.tsx';
import { IntegrityCheck } from './IntegrityCheck.tsx';
import { PublicKeyPanel } from './PublicKeyPanel.tsx';
import { CryptoTester } from './CryptoTester.tsx';
import { KeyUsagePanel } from './KeyUsagePanel.tsx';
import { UnreachedLocations } from './KeyLocations.tsx';

export function KeyDetailSplitPanel({ keyId, fallbackLabel }: { keyId: string; fallbackLabel?: string }) {
  const detail = useChannelQuery('keys:get', { keyId });
  const key = detail.data;
  const title = `Key “${key?.label ?? fallbackLabel ?? keyId}”`;

  return (
    <SplitPanel header={title} closeBehavior="hide" i18nStrings={SPLIT_PANEL_STRINGS}>
      <div>
        {detail.isPending && <StatusIndicator type="loading">Loading key…</StatusIndicator>}
        {detail.isError && <ErrorMessage error={detail.error} />}
        {key && (
          <SpaceBetween size="l">
            <KeyValuePairs
              columns={4}
              items={[
                { label: 'Id', value: <Box variant="code">{key.id}</Box> },
                { label: 'Type', value: `${KEY_TYPE_LABELS[key.type]} (${key.algorithm})` },
                {
                  label: 'State',
                  value: (
                    <>
                      <StateBadge state={key.state} />
                      {key.stateReason && ` — ${key.stateReason}`}
                    </>
                  ),
                },
                { label: 'Created', value: formatTime(key.createdAt) },
                { label: 'Updated', value: formatTime(key.updatedAt) },
                { label: 'Provider', value: key.provider },
                { label: 'Backup provider', value: key.backupProvider ?? 'none' },
                { label: 'KMS-backed', value: key.kmsBacked ? 'Yes: the key material stays in the provider' : 'No: the key material is in the local encrypted store' },
              ]}
            />
            <UnreachedLocations keyId={key.id} label={key.label} state={key.state} unreached={key.unreached} />
            <Table
              variant="embedded"
              ariaLabels={{ tableLabel: `Versions of ${key.label}` }}
              items={key.versions}
              trackBy="version"
              wrapLines
              columnDefinitions={[
                { id: 'version', header: 'Version', cell: (v) => `v${v.version}${v.version === key.currentVersion ? ' (current)' : ''}` },
                { id: 'created', header: 'Created', cell: (v) => formatTime(v.createdAt) },
                {
                  id: 'check',
                  header: KEY_TYPE_PROFILES[key.type].usage === 'sign' ? 'Public-key fingerprint' : 'Key check value',
                  cell: (v) => <Box variant="code">{v.checkValue}</Box>,
                },
                { id: 'material', header: 'Material', cell: (v) => (v.destroyed ? 'Destroyed' : 'Present') },
              ]}
            />
            <KeyUsagePanel key={key.id} keyId={key.id} />
            <IntegrityCheck keyId={key.id} />
            {KEY_TYPE_PROFILES[key.type].usage === 'sign' && key.state !== 'destroyed' && key.state !== 'compromised' && <PublicKeyPanel keyId={key.id} version={key.currentVersion} />}
            {KEY_TYPE_PROFILES[key.type].usage === 'encrypt' && <CryptoTester keySummary={key} />}
          </SpaceBetween>
        )}
      </div>
    </SplitPanel>
  );
}
