// The key inventory as a Cloudscape table: search and filter (state, provider, type, algorithm, label) with a
// property filter, sort by any column, pages of 50. Sized to fit a 1440 px window beside the navigation: type and
// algorithm share a column, the provider column names the backup, long labels wrap.
import { useEffect } from 'react';
import Table, { type TableProps } from '@cloudscape-design/components/table';
import Header from '@cloudscape-design/components/header';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import PropertyFilter, { type PropertyFilterProps } from '@cloudscape-design/components/property-filter';
import Pagination from '@cloudscape-design/components/pagination';
import Box from '@cloudscape-design/components/box';
import Link from '@cloudscape-design/components/link';
import { propertyFilterStrings, useFilteredCollection } from '../components/collection.tsx';
import type { KeySummary } from '../../../shared/contract.ts';
import { KEY_STATE_LABELS, KEY_STATES, KEY_TRANSITIONS, KEY_TYPE_LABELS, KEY_TYPES, canProtect } from '../../../shared/domain.ts';
import { useUiStore } from '../state/uiStore.ts';
import { formatTime } from '../format.ts';
import { hrefFor } from '../shell/routes.ts';
import { StateBadge } from './StateBadge.tsx';
import { mayCall, useSessionRole } from '../session/permissions.ts';

/** The route's filters (#/keys?state=…&provider=…, the dashboard's links) as property filter tokens. */
export function routeQuery(state: string | null, provider: string | null): PropertyFilterProps.Query {
  const tokens: PropertyFilterProps.Token[] = [];
  if (state) tokens.push({ propertyKey: 'state', operator: '=', value: state });
  if (provider) tokens.push({ propertyKey: 'provider', operator: '=', value: provider });
  return { tokens, operation: 'and' };
}

const PROPERTIES: PropertyFilterProps.FilteringProperty[] = [
  { key: 'label', propertyLabel: 'Label', groupValuesLabel: 'Labels', operators: [':', '!:', '='] },
  { key: 'state', propertyLabel: 'State', groupValuesLabel: 'States', operators: ['=', '!='] },
  { key: 'provider', propertyLabel: 'Provider', groupValuesLabel: 'Providers', operators: ['=', '!='] },
  { key: 'type', propertyLabel: 'Type', groupValuesLabel: 'Types', operators: ['=', '!='] },
  { key: 'algorithm', propertyLabel: 'Algorithm', groupValuesLabel: 'Algorithms', operators: ['=', '!='] },
];

const FILTER_STRINGS = propertyFilterStrings('keys', 'Find keys by label, state, provider, type or algorithm');

function valueLabel(propertyKey: string | undefined, value: string): string {
  if (propertyKey === 'state') return KEY_STATE_LABELS[value as keyof typeof KEY_STATE_LABELS] ?? value;
  if (propertyKey === 'type') return KEY_TYPE_LABELS[value as keyof typeof KEY_TYPE_LABELS] ?? value;
  return value;
}

/** "state Active, provider local" — the filters in words, for the status line above the table. */
export function queryInWords(query: PropertyFilterProps.Query): string {
  return query.tokens
    .map((t) => {
      const property = PROPERTIES.find((p) => p.key === t.propertyKey)?.propertyLabel.toLowerCase() ?? 'text';
      const negated = t.operator === '!=' || t.operator === '!:' ? 'not ' : '';
      return `${property} ${negated}${valueLabel(t.propertyKey, String(t.value))}`;
    })
    .join(', ');
}

interface Props {
  keys: KeySummary[];
  /** The query the route asks for; re-applied whenever `routeSeq` changes (a dashboard link, back/forward). */
  initialQuery: PropertyFilterProps.Query;
  routeSeq: number;
  loading: boolean;
  actions?: React.ReactNode;
}

export function KeyTable({ keys, initialQuery, routeSeq, loading, actions }: Props) {
  const selectKey = useUiStore((s) => s.selectKey);
  const openDialog = useUiStore((s) => s.openDialog);

  const filteringOptions: PropertyFilterProps.FilteringOption[] = [
    ...KEY_STATES.map((s) => ({ propertyKey: 'state', value: s, label: KEY_STATE_LABELS[s] })),
    ...KEY_TYPES.map((t) => ({ propertyKey: 'type', value: t, label: KEY_TYPE_LABELS[t] })),
    ...[...new Set(keys.map((k) => k.provider))].map((p) => ({ propertyKey: 'provider', value: p })),
    ...[...new Set(keys.map((k) => k.algorithm))].map((a) => ({ propertyKey: 'algorithm', value: a })),
  ];

  const { items, collectionProps, propertyFilterProps, paginationProps, filteredItemsCount, actions: collection } = useFilteredCollection(keys, {
    properties: PROPERTIES,
    defaultQuery: initialQuery,
    empty: (
      <>
        <b>No keys yet</b>
        <Box variant="p" color="inherit">
          Create the first one with “New key…”.
        </Box>
      </>
    ),
    noMatch: 'No key matches.',
    sortBy: 'label',
    pageSize: 50,
  });

  // A new route (a dashboard link, back/forward, "Show all keys") replaces the filters typed so far.
  useEffect(() => {
    collection.setPropertyFiltering(initialQuery);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- re-applied per route, not per render
  }, [routeSeq]);

  const query = propertyFilterProps.query;
  const filtered = query.tokens.length > 0;

  // Issue 14: a control the role may not use is hidden (the main process refuses in any case); one the role may use
  // but the key's state does not allow is disabled, with the reason on focus and hover.
  const role = useSessionRole((s) => s.role);
  const mayRotate = mayCall(role, 'keys:rotate');
  const mayChangeState = mayCall(role, 'keys:setState');
  /** The states this role may move the key to (a security officer: compromised only). */
  const statesFor = (k: KeySummary) => KEY_TRANSITIONS[k.state].filter((to) => mayCall(role, 'keys:setState', { keyId: k.id, state: to }));
  const columns: TableProps.ColumnDefinition<KeySummary>[] = [
    {
      id: 'label',
      header: 'Label',
      sortingField: 'label',
      cell: (k) => (
        <Button variant="inline-link" onClick={() => selectKey(k.id)}>
          {k.label}
        </Button>
      ),
      minWidth: 140,
    },
    { id: 'type', header: 'Type', sortingField: 'type', cell: (k) => KEY_TYPE_LABELS[k.type] },
    { id: 'state', header: 'State', sortingField: 'state', cell: (k) => <StateBadge state={k.state} /> },
    { id: 'algorithm', header: 'Algorithm', sortingField: 'algorithm', cell: (k) => k.algorithm },
    {
      id: 'provider',
      header: 'Provider',
      sortingField: 'provider',
      cell: (k) => (
        <>
          {k.provider}
          {k.backupProvider && <Box variant="small" display="inline">{` + backup ${k.backupProvider}`}</Box>}
        </>
      ),
    },
    { id: 'kms', header: 'KMS-backed', cell: (k) => (k.kmsBacked ? 'Yes' : 'No') },
    { id: 'version', header: 'Version', sortingField: 'currentVersion', cell: (k) => `v${k.currentVersion}` },
    { id: 'rotation', header: 'Next rotation', sortingField: 'nextRotationAt', cell: (k) => (k.nextRotationAt ? formatTime(k.nextRotationAt) : 'Manual') },
    {
      id: 'actions',
      header: 'Actions',
      cell: (k) => (
        <SpaceBetween direction="horizontal" size="xs">
          {mayRotate && (
            <Button
              variant="inline-link"
              onClick={() => openDialog({ kind: 'rotate', keyId: k.id })}
              disabled={!canProtect(k.state)}
              disabledReason={`Only an active key rotates; this one is ${KEY_STATE_LABELS[k.state].toLowerCase()}.`}
            >
              Rotate
            </Button>
          )}
          {mayChangeState && (
            <Button
              variant="inline-link"
              onClick={() => openDialog({ kind: 'state', keyId: k.id })}
              disabled={statesFor(k).length === 0}
              disabledReason={
                KEY_TRANSITIONS[k.state].length === 0
                  ? `A ${KEY_STATE_LABELS[k.state].toLowerCase()} key has no further state.`
                  : `A ${KEY_STATE_LABELS[k.state].toLowerCase()} key can only become ${KEY_TRANSITIONS[k.state].map((to) => KEY_STATE_LABELS[to].toLowerCase()).join(' or ')}: the key custodian's decision.`
              }
            >
              Change state
            </Button>
          )}
        </SpaceBetween>
      ),
    },
  ];

  return (
    <Table
      {...collectionProps}
      ariaLabels={{ tableLabel: 'Keys' }}
      items={items}
      columnDefinitions={mayRotate || mayChangeState ? columns : columns.filter((c) => c.id !== 'actions')}
      trackBy="id"
      loading={loading}
      loadingText="Loading keys"
      wrapLines
      variant="container"
      header={
        <Header
          variant="h2"
          counter={filtered ? `(${filteredItemsCount ?? 0}/${keys.length})` : `(${keys.length})`}
          description={
            filtered && !loading ? (
              <span role="status">
                {`Showing ${filteredItemsCount ?? 0} of ${keys.length} keys: ${queryInWords(query)}. `}
                <Link href={hrefFor('keys')}>Show all keys</Link>
              </span>
            ) : (
              'Every key the console holds, with its state, provider and rotation schedule. Select a label for its details.'
            )
          }
          actions={actions}
        >
          Key inventory
        </Header>
      }
      filter={<PropertyFilter {...propertyFilterProps} filteringOptions={filteringOptions} i18nStrings={FILTER_STRINGS} countText={`${filteredItemsCount ?? 0} matches`} expandToViewport />}
      pagination={<Pagination {...paginationProps} ariaLabels={{ nextPageLabel: 'Next page', previousPageLabel: 'Previous page', pageLabel: (n) => `Page ${n}` }} />}
    />
  );
}
