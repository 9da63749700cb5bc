// Every configured provider with its health, latency, circuit and last error; find, filter (kind, health) and sort.
import Table from '@cloudscape-design/components/table';
import Header from '@cloudscape-design/components/header';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Box from '@cloudscape-design/components/box';
import PropertyFilter, { type PropertyFilterProps } from '@cloudscape-design/components/property-filter';
import { propertyFilterStrings, useFilteredCollection } from '../components/collection.tsx';
import type { ProviderStatus } from '../../../shared/contract.ts';
import { PROVIDER_KIND_LABELS } from '../../../shared/domain.ts';
import { useUiStore } from '../state/uiStore.ts';
import { formatTime } from '../format.ts';
import { HealthDot } from './HealthDot.tsx';
import { TestConnectionButton } from './TestConnectionButton.tsx';
import { CIRCUIT_LABELS, healthWord, isEditable, storageMode } from './providerStatusText.ts';
import { useMayCall } from '../session/permissions.ts';

interface Row extends ProviderStatus {
  kindLabel: string;
  healthText: string;
  latency: number | null;
}

const PROPERTIES: PropertyFilterProps.FilteringProperty[] = [
  { key: 'id', propertyLabel: 'Id', groupValuesLabel: 'Ids', operators: [':', '='] },
  { key: 'kindLabel', propertyLabel: 'Kind', groupValuesLabel: 'Kinds', operators: ['=', '!='] },
  { key: 'healthText', propertyLabel: 'Health', groupValuesLabel: 'Health', operators: ['=', '!='] },
];

const FILTER_STRINGS = propertyFilterStrings('providers', 'Find providers by id, kind or health');

export function ProviderTable({ providers, loading }: { providers: ProviderStatus[]; loading: boolean }) {
  const selectProvider = useUiStore((s) => s.selectProvider);
  const openDialog = useUiStore((s) => s.openProviderDialog);
  // Editing and removing are the admin's (providers:save, providers:remove).
  const mayEdit = useMayCall('providers:save');
  const mayRemove = useMayCall('providers:remove');
  const rows: Row[] = providers.map((p) => ({ ...p, kindLabel: PROVIDER_KIND_LABELS[p.kind], healthText: healthWord(p), latency: p.health ? p.health.latencyMs : null }));
  const filteringOptions = [
    ...[...new Set(rows.map((r) => r.kindLabel))].map((v) => ({ propertyKey: 'kindLabel', value: v })),
    ...['healthy', 'unreachable', 'not checked'].map((v) => ({ propertyKey: 'healthText', value: v })),
  ];
  const { items, collectionProps, propertyFilterProps, filteredItemsCount } = useFilteredCollection(rows, {
    properties: PROPERTIES,
    empty: 'No providers.',
    noMatch: 'No provider matches.',
    sortBy: 'id',
  });

  return (
    <Table
      {...collectionProps}
      ariaLabels={{ tableLabel: 'Providers' }}
      items={items}
      trackBy="id"
      loading={loading}
      loadingText="Loading providers"
      wrapLines
      header={<Header variant="h2" counter={`(${providers.length})`} description="The main process checks each provider's health; this page re-reads it every 5 s.">Configured providers</Header>}
      filter={<PropertyFilter {...propertyFilterProps} filteringOptions={filteringOptions} i18nStrings={FILTER_STRINGS} countText={`${filteredItemsCount ?? 0} matches`} expandToViewport />}
      columnDefinitions={[
        {
          id: 'id',
          header: 'Id',
          sortingField: 'id',
          cell: (p) => (
            <Button variant="inline-link" onClick={() => selectProvider(p.id)}>
              {p.id}
            </Button>
          ),
        },
        { id: 'kind', header: 'Kind', sortingField: 'kindLabel', cell: (p) => p.kindLabel },
        { id: 'health', header: 'Health', sortingField: 'healthText', cell: (p) => <HealthDot provider={p} /> },
        { id: 'latency', header: 'Latency', sortingField: 'latency', cell: (p) => (p.latency !== null ? `${Math.round(p.latency)} ms` : '—') },
        { id: 'circuit', header: 'Circuit', sortingField: 'circuit', cell: (p) => CIRCUIT_LABELS[p.circuit] },
        {
          id: 'error',
          header: 'Last error',
          cell: (p) =>
            p.lastError ? (
              <span title={`${p.lastError.kind}: ${p.lastError.message}`}>
                <Box variant="small">{formatTime(p.lastError.at)}</Box> {p.lastError.kind}: {p.lastError.message}
              </span>
            ) : (
              'none'
            ),
          maxWidth: 260,
        },
        { id: 'kms', header: 'KMS-backed', cell: (p) => (p.kmsBacked ? 'Yes' : 'No') },
        { id: 'storage', header: 'Storage', cell: (p) => storageMode(p) },
        {
          id: 'actions',
          header: 'Actions',
          cell: (p) => (
            <SpaceBetween size="xxs">
              {isEditable(p) && (
                <SpaceBetween direction="horizontal" size="xs">
                  {mayEdit && (
                    <Button variant="inline-link" onClick={() => openDialog({ kind: 'edit', id: p.id })} ariaLabel={`Edit ${p.id}`}>
                      Edit
                    </Button>
                  )}
                  {mayRemove && (
                    <Button variant="inline-link" onClick={() => openDialog({ kind: 'remove', id: p.id })} ariaLabel={`Remove ${p.id}`}>
                      Remove
                    </Button>
                  )}
                </SpaceBetween>
              )}
              <TestConnectionButton providerId={p.id} compact />
            </SpaceBetween>
          ),
        },
      ]}
    />
  );
}
