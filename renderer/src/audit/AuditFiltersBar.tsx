// The Audit screen's filters: an action picked from the log's own list of actions (audit:actions), the start of an
// action, free text, actor, key (from the key list), robot (its device id) and a time range that refuses a reversed
// range (the main process refuses it too). Typed text is debounced by the page; nothing is matched here.
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import DateRangePicker, { type DateRangePickerProps } from '@cloudscape-design/components/date-range-picker';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { useUiStore } from '../state/uiStore.ts';
import { isReversed, REVERSED_RANGE_WORDS } from './auditFilterInput.ts';

const ANY_ACTION: SelectProps.Option = { value: '', label: 'Any action' };
const ANY_KEY: SelectProps.Option = { value: '', label: 'Any key' };

/** Refuses a reversed range inside the picker (Apply stays refused, the words show in the picker). */
const validRange: DateRangePickerProps.ValidationFunction = (range) => {
  if (range?.type !== 'absolute') return { valid: true };
  if (!range.startDate || !range.endDate) return { valid: false, errorMessage: 'Choose both a start and an end.' };
  if (isReversed(range.startDate, range.endDate)) return { valid: false, errorMessage: REVERSED_RANGE_WORDS };
  return { valid: true };
};

export function AuditFiltersBar({ rangeError }: { rangeError: string | null }) {
  const filters = useUiStore((s) => s.auditFilters);
  const setFilter = useUiStore((s) => s.setAuditFilter);
  const clear = useUiStore((s) => s.clearAuditFilters);
  const keys = useChannelQuery('keys:list', {});
  const actions = useChannelQuery('audit:actions', {});

  const actionOptions: SelectProps.Option[] = [ANY_ACTION, ...(actions.data?.actions ?? []).map((a) => ({ value: a, label: a }))];
  const keyOptions: SelectProps.Option[] = [ANY_KEY, ...(keys.data?.keys ?? []).map((k) => ({ value: k.id, label: k.label, description: k.id }))];
  const pickedAction = actionOptions.find((o) => o.value === filters.action) ?? (filters.action ? { value: filters.action, label: filters.action } : ANY_ACTION);
  const pickedKey = keyOptions.find((o) => o.value === filters.keyId) ?? ANY_KEY;
  const range: DateRangePickerProps.Value | null = filters.range ? { type: 'absolute', startDate: filters.range.start, endDate: filters.range.end } : null;

  return (
    <form aria-label="Audit filters" onSubmit={(e) => e.preventDefault()}>
      <Container
        header={
          <Header variant="h2" actions={<Button onClick={clear}>Clear filters</Button>} description="Every filter is applied by the console's main process; text is matched literally (% and _ too), letters A-Z in any case.">
            Filters
          </Header>
        }
      >
        <SpaceBetween size="m">
          <ColumnLayout columns={3}>
            <FormField label="Action" description="One of the actions in this log.">
              <Select
                selectedOption={pickedAction}
                options={actionOptions}
                onChange={(e) => setFilter('action', e.detail.selectedOption.value ?? '')}
                filteringType="auto"
                statusType={actions.isPending ? 'loading' : actions.isError ? 'error' : 'finished'}
                loadingText="Loading actions"
                errorText="The list of actions could not be read."
              />
            </FormField>
            <FormField label="Action starts with" description="For example key. or station.">
              <Input value={filters.actionPrefix} onChange={(e) => setFilter('actionPrefix', e.detail.value)} placeholder="key." />
            </FormField>
            <FormField label="Contains text" description="In the actor, action, target or details.">
              <Input type="search" value={filters.text} onChange={(e) => setFilter('text', e.detail.value)} />
            </FormField>
            <FormField label="Actor" description="The operator's name, exactly.">
              <Input value={filters.actor} onChange={(e) => setFilter('actor', e.detail.value)} />
            </FormField>
            <FormField label="Key">
              <Select selectedOption={pickedKey} options={keyOptions} onChange={(e) => setFilter('keyId', e.detail.selectedOption.value ?? '')} filteringType="auto" />
            </FormField>
            <FormField label="Robot" description="Its device id, exactly.">
              <Input value={filters.robotId} onChange={(e) => setFilter('robotId', e.detail.value)} />
            </FormField>
          </ColumnLayout>
          <FormField label="Time range" description="Local time; both ends included." errorText={rangeError ?? undefined}>
            <DateRangePicker
              value={range}
              onChange={(e) => {
                const v = e.detail.value;
                setFilter('range', v?.type === 'absolute' ? { start: v.startDate, end: v.endDate } : null);
              }}
              relativeOptions={[]}
              rangeSelectorMode="absolute-only"
              isValidRange={validRange}
              placeholder="Any time"
              absoluteFormat="long-localized"
              expandToViewport
            />
          </FormField>
        </SpaceBetween>
      </Container>
    </form>
  );
}
