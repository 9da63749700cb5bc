import { ROBOT_STATUSES, type RobotStatus } from '../../../shared/domain.ts';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { useFleetUi } from './fleetUiStore.ts';

export function FleetFiltersBar() {
  const filters = useFleetUi((s) => s.filters);
  const setFilter = useFleetUi((s) => s.setFilter);
  const clear = useFleetUi((s) => s.clearFilters);
  const sites = useChannelQuery('fleet:sites', {});
  const models = useChannelQuery('fleet:models', {});

  return (
    <form className="filters" aria-label="Fleet filters" onSubmit={(e) => e.preventDefault()}>
      <label>
        Search
        <input
          type="search"
          value={filters.query}
          maxLength={64}
          onChange={(e) => setFilter('query', e.target.value)}
          placeholder="device id, name, firmware, tag"
        />
      </label>
      <label>
        Status
        <select value={filters.status} onChange={(e) => setFilter('status', e.target.value as RobotStatus | '')}>
          <option value="">Any</option>
          {ROBOT_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Site
        <select value={filters.site} onChange={(e) => setFilter('site', e.target.value)}>
          <option value="">Any</option>
          {(sites.data?.sites ?? []).map((s) => (
            <option key={s.name} value={s.name}>
              {s.name} ({s.count})
            </option>
          ))}
        </select>
      </label>
      <label>
        Model
        <select value={filters.model} onChange={(e) => setFilter('model', e.target.value)}>
          <option value="">Any</option>
          {(models.data?.models ?? []).map((m) => (
            <option key={m.name} value={m.name}>
              {m.name} ({m.count})
            </option>
          ))}
        </select>
      </label>
      <button type="button" onClick={clear}>
        Clear filters
      </button>
    </form>
  );
}
