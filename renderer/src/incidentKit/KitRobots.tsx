// The kit's registry copy with the offline quarantines applied: find robots by id, name, site, model, firmware, tag
// or status (a property filter over the copy, which arrives whole).
import Header from '@cloudscape-design/components/header';
import PropertyFilter, { type PropertyFilterProps } from '@cloudscape-design/components/property-filter';
import Table from '@cloudscape-design/components/table';
import { propertyFilterStrings, useFilteredCollection } from '../components/collection.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useKitQuery } from './kitApi.ts';

const PROPERTIES: PropertyFilterProps.FilteringProperty[] = [
  { key: 'deviceId', propertyLabel: 'Device id', groupValuesLabel: 'Device ids', operators: [':', '='] },
  { key: 'name', propertyLabel: 'Name', groupValuesLabel: 'Names', operators: [':', '='] },
  { key: 'site', propertyLabel: 'Site', groupValuesLabel: 'Sites', operators: ['=', '!=', ':'] },
  { key: 'model', propertyLabel: 'Model', groupValuesLabel: 'Models', operators: ['=', '!='] },
  { key: 'firmware', propertyLabel: 'Firmware', groupValuesLabel: 'Firmware versions', operators: ['=', '!='] },
  { key: 'tagText', propertyLabel: 'Tags', groupValuesLabel: 'Tags', operators: [':'] },
  { key: 'status', propertyLabel: 'Status', groupValuesLabel: 'Statuses', operators: ['=', '!='] },
];
const FILTER_STRINGS = propertyFilterStrings('robots', 'Find robots by id, site, model, firmware, tag or status');

export function KitRobots() {
  const robots = useKitQuery('kitOffline:robots');
  const rows = (robots.data?.robots ?? []).map((r) => ({ ...r, tagText: r.tags.join(' ') }));
  const filteringOptions = (['site', 'model', 'firmware', 'status'] as const).flatMap((key) => [...new Set(rows.map((r) => r[key]))].map((value) => ({ propertyKey: key, value })));
  const { items, collectionProps, propertyFilterProps, filteredItemsCount } = useFilteredCollection(rows, {
    properties: PROPERTIES,
    empty: 'The kit holds no robots.',
    noMatch: 'No robot of the kit matches.',
    sortBy: 'deviceId',
  });
  return (
    <>
      <ErrorMessage error={robots.error} />
      <Table
        {...collectionProps}
        ariaLabels={{ tableLabel: 'Robots in the kit' }}
        items={items}
        trackBy="deviceId"
        loading={robots.isPending}
        loadingText="Reading the kit"
        header={<Header variant="h2" counter={`(${rows.length})`} description="The registry as exported, with this kit's offline quarantines; read-only.">Registry copy</Header>}
        filter={<PropertyFilter {...propertyFilterProps} filteringOptions={filteringOptions} i18nStrings={FILTER_STRINGS} countText={`${filteredItemsCount ?? 0} matches`} expandToViewport />}
        columnDefinitions={[
          { id: 'deviceId', header: 'Device id', cell: (r) => r.deviceId, sortingField: 'deviceId' },
          { id: 'name', header: 'Name', cell: (r) => r.name, sortingField: 'name' },
          { id: 'site', header: 'Site', cell: (r) => r.site, sortingField: 'site' },
          { id: 'model', header: 'Model', cell: (r) => r.model, sortingField: 'model' },
          { id: 'firmware', header: 'Firmware', cell: (r) => r.firmware, sortingField: 'firmware' },
          { id: 'tags', header: 'Tags', cell: (r) => r.tags.join(', ') || '-' },
          { id: 'status', header: 'Status', cell: (r) => <span data-testid={`kit-robot-status-${r.deviceId}`}>{r.status}</span>, sortingField: 'status' },
        ]}
      />
    </>
  );
}
