import { useChannelQuery } from '../hooks/channelQuery.ts';
import { useUiStore } from '../state/uiStore.ts';

export function AuditFiltersBar() {
  const filters = useUiStore((s) => s.auditFilters);
  const setFilter = useUiStore((s) => s.setAuditFilter);
  const clear = useUiStore((s) => s.clearAuditFilters);
  const keys = useChannelQuery('keys:list', {});

  return (
    <form className="filters" aria-label="Audit filters" onSubmit={(e) => e.preventDefault()}>
      <label>
        Action
        <input value={filters.action} onChange={(e) => setFilter('action', e.target.value)} placeholder="e.g. key.rotate" />
      </label>
      <label>
        Actor
        <input value={filters.actor} onChange={(e) => setFilter('actor', e.target.value)} />
      </label>
      <label>
        Key
        <select value={filters.targetId} onChange={(e) => setFilter('targetId', e.target.value)}>
          <option value="">Any</option>
          {(keys.data?.keys ?? []).map((k) => (
            <option key={k.id} value={k.id}>
              {k.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        From
        <input type="datetime-local" step={1} value={filters.from} onChange={(e) => setFilter('from', e.target.value)} />
      </label>
      <label>
        To
        <input type="datetime-local" step={1} value={filters.to} onChange={(e) => setFilter('to', e.target.value)} />
      </label>
      <button type="button" onClick={clear}>
        Clear filters
      </button>
    </form>
  );
}
