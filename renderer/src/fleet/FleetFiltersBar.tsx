// Search, status, site, model and certificate renewal filters. A value the main process would refuse (a search over 64 characters, a
// site that is not a site name) is refused here beside its field, in words, and left out of the list's query.
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import Button from '@cloudscape-design/components/button';
import Grid from '@cloudscape-design/components/grid';
import { ROBOT_STATUSES, type RobotStatus } from '../../../shared/domain.ts';
import type { RenewalFilter } from '../../../shared/fleetContract.ts';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import type { FilterProblems } from './fleetFilters.ts';
import { useFleetUi } from './fleetUiStore.ts';
import { RENEWAL_WORDS } from './renewals.ts';

const ANY: SelectProps.Option = { value: '', label: 'Any' };

function option(value: string, options: SelectProps.Option[]): SelectProps.Option {
  return options.find((o) => o.value === value) ?? (value ? { value, label: value } : ANY);
}

export function FleetFiltersBar({ problems }: { problems: FilterProblems }) {
  const filters = useFleetUi((s) => s.filters);
  const setFilter = useFleetUi((s) => s.setFilter);
  const clear = useFleetUi((s) => s.clearFilters);
  const sites = useChannelQuery('fleet:sites', {});
  const models = useChannelQuery('fleet:models', {});
  const statusOptions = [ANY, ...ROBOT_STATUSES.map((s) => ({ value: s, label: s }))];
  const siteOptions = [ANY, ...(sites.data?.sites ?? []).map((s) => ({ value: s.name, label: s.name, description: `${s.count.toLocaleString('en-US')} robots` }))];
  const renewalOptions: SelectProps.Option[] = [
    ANY,
    { value: 'any', label: 'Needs a new certificate' },
    { value: 'ca_replaced', label: `Needs a new certificate (${RENEWAL_WORDS.ca_replaced})` },
    { value: 'ca_compromised', label: `Needs a new certificate (${RENEWAL_WORDS.ca_compromised})` },
  ];
  const modelOptions = [ANY, ...(models.data?.models ?? []).map((m) => ({ value: m.name, label: m.name, description: `${m.count.toLocaleString('en-US')} robots` }))];

  return (
    <div role="search" aria-label="Fleet filters">
      <Grid gridDefinition={[{ colspan: { default: 12, s: 3 } }, { colspan: { default: 6, s: 2 } }, { colspan: { default: 6, s: 2 } }, { colspan: { default: 6, s: 2 } }, { colspan: { default: 6, s: 2 } }, { colspan: { default: 12, s: 1 } }]}>
        <FormField label="Search" errorText={problems.query ? `The search ${problems.query}` : undefined} stretch>
          <Input
            type="search"
            value={filters.query}
            onChange={(e) => setFilter('query', e.detail.value)}
            placeholder="device id, name, firmware, tag"
            invalid={problems.query !== undefined}
          />
        </FormField>
        <FormField label="Status">
          <Select selectedOption={option(filters.status, statusOptions)} options={statusOptions} onChange={(e) => setFilter('status', (e.detail.selectedOption.value ?? '') as RobotStatus | '')} />
        </FormField>
        <FormField label="Site" errorText={problems.site ? `The site ${problems.site}` : undefined}>
          <Select
            selectedOption={option(filters.site, siteOptions)}
            options={siteOptions}
            filteringType="auto"
            invalid={problems.site !== undefined}
            onChange={(e) => setFilter('site', e.detail.selectedOption.value ?? '')}
          />
        </FormField>
        <FormField label="Model" errorText={problems.model ? `The model ${problems.model}` : undefined}>
          <Select
            selectedOption={option(filters.model, modelOptions)}
            options={modelOptions}
            filteringType="auto"
            invalid={problems.model !== undefined}
            onChange={(e) => setFilter('model', e.detail.selectedOption.value ?? '')}
          />
        </FormField>
        <FormField label="Certificate">
          <Select
            selectedOption={option(filters.renewal, renewalOptions)}
            options={renewalOptions}
            onChange={(e) => setFilter('renewal', (e.detail.selectedOption.value ?? '') as RenewalFilter | '')}
          />
        </FormField>
        <FormField label="Filters">
          <Button onClick={clear}>Clear filters</Button>
        </FormField>
      </Grid>
    </div>
  );
}
