import { useEffect, useMemo } from 'react';
import { hrefFor } from '../shell/routes.ts';
import { useDebounced } from '../hooks/useDebounced.ts';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { CreateRobotDialog } from './CreateRobotDialog.tsx';
import { ExportFleet } from './ExportFleet.tsx';
import { FleetFiltersBar } from './FleetFiltersBar.tsx';
import { FleetTable } from './FleetTable.tsx';
import { toFleetListFilter } from './fleetListInput.ts';
import { useFleetUi } from './fleetUiStore.ts';
import { ImportCsvDialog } from './ImportCsvDialog.tsx';
import { RobotDetailPanel } from './RobotDetailPanel.tsx';
import { RobotStatusDialog } from './RobotStatusDialog.tsx';
import './fleet.css';

const FILTER_DEBOUNCE_MS = 200;

function StatusDialogFor({ deviceId }: { deviceId: string }) {
  const robot = useChannelQuery('fleet:get', { deviceId });
  return robot.data ? <RobotStatusDialog robot={robot.data} /> : null;
}

export function FleetPage() {
  const filters = useFleetUi((s) => s.filters);
  const sort = useFleetUi((s) => s.sort);
  const dir = useFleetUi((s) => s.dir);
  const selected = useFleetUi((s) => s.selected);
  const dialog = useFleetUi((s) => s.dialog);
  const open = useFleetUi((s) => s.open);
  // Only typing is debounced; a picked status, site or model applies at once.
  const query = useDebounced(filters.query, FILTER_DEBOUNCE_MS);
  const filter = useMemo(
    () => toFleetListFilter({ query, status: filters.status, site: filters.site, model: filters.model }, sort, dir),
    [query, filters.status, filters.site, filters.model, sort, dir],
  );

  // The URL follows the filters (replacing, not adding, history entries), so a copied URL reopens the same list.
  useEffect(() => {
    const href = hrefFor('fleet', { status: filters.status, site: filters.site, q: query });
    if (window.location.hash !== href) window.history.replaceState(null, '', href);
  }, [filters.status, filters.site, query]);

  return (
    <section aria-labelledby="fleet-title" className="fleet-page">
      <div className="toolbar">
        <h1 id="fleet-title">Fleet</h1>
        <span className="spacer" />
        <button type="button" onClick={() => open({ kind: 'create' })}>
          Register robot…
        </button>
        <button type="button" onClick={() => open({ kind: 'import' })}>
          Import CSV…
        </button>
        <ExportFleet />
      </div>
      <FleetFiltersBar />
      <FleetTable filter={filter} />
      {selected && <RobotDetailPanel key={selected} deviceId={selected} />}
      {dialog?.kind === 'import' && <ImportCsvDialog />}
      {dialog?.kind === 'create' && <CreateRobotDialog />}
      {dialog?.kind === 'status' && <StatusDialogFor deviceId={dialog.deviceId} />}
    </section>
  );
}
