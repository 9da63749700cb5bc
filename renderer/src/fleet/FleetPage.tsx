// The Fleet screen on the design system: the table (pages from the main process) with its filters, the dialogs that
// register and import robots, and the robot's detail in the shell's split panel (RobotSplitPanel.tsx). The URL follows
// the filters and the open robot, so a copied URL reopens the same list and the same robot.
import { useCallback, useEffect, useMemo } from 'react';
import Button from '@cloudscape-design/components/button';
import Alert from '@cloudscape-design/components/alert';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { hrefFor } from '../shell/routes.ts';
import { useDebounced } from '../hooks/useDebounced.ts';
import { CreateRobotDialog } from './CreateRobotDialog.tsx';
import { FleetFiltersBar } from './FleetFiltersBar.tsx';
import { FleetTable } from './FleetTable.tsx';
import { filterProblems } from './fleetFilters.ts';
import { appliedListFilter } from './fleetListInput.ts';
import { usePrefetchFleetList } from './usePrefetchFleetList.ts';
import { useFleetUi } from './fleetUiStore.ts';
import { ImportCsvDialog } from './ImportCsvDialog.tsx';
import { useCan } from '../session/permissions.ts';
import { useSplitPanelDetails } from '../shell/splitPanel.ts';
import { RobotPanel } from './RobotSplitPanel.tsx';

const FILTER_DEBOUNCE_MS = 200;

export function FleetPage() {
  const canRegister = useCan('provision');
  const filters = useFleetUi((s) => s.filters);
  const sort = useFleetUi((s) => s.sort);
  const dir = useFleetUi((s) => s.dir);
  const selected = useFleetUi((s) => s.selected);
  const dialog = useFleetUi((s) => s.dialog);
  const refused = useFleetUi((s) => s.refused);
  const open = useFleetUi((s) => s.open);
  const select = useFleetUi((s) => s.select);
  // The open robot's details live in the shell's split panel while this screen is open.
  const robotPanel = useMemo(() => (selected ? <RobotPanel key={selected} deviceId={selected} /> : null), [selected]);
  useSplitPanelDetails(robotPanel, useCallback(() => select(null), [select]));
  // Only typing is debounced; a picked status, site or model applies at once.
  const query = useDebounced(filters.query, FILTER_DEBOUNCE_MS);
  const problems = filterProblems({ ...filters, query });
  const shownProblems = filterProblems(filters);
  const filter = useMemo(() => appliedListFilter(filters, query, sort, dir), [query, filters, sort, dir]);
  usePrefetchFleetList(query);
  const filtered = filter.query !== '' || filter.status !== undefined || filter.site !== undefined || filter.model !== undefined || filter.renewal !== undefined;

  // The URL follows the filters and the open robot (replacing, not adding, history entries).
  useEffect(() => {
    const href = hrefFor('fleet', { status: filters.status, site: problems.site ? '' : filters.site, q: problems.query ? '' : query, robot: selected ?? '' });
    if (window.location.hash !== href) window.history.replaceState(null, '', href);
  }, [filters.status, filters.site, query, selected, problems.site, problems.query]);

  return (
    <SpaceBetween size="m">
      {refused.length > 0 && (
        <Alert type="warning" header="Some filters in the link were not applied">
          <ul aria-label="Filters not applied">
            {refused.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </Alert>
      )}
      <FleetTable
        filter={filter}
        filtered={filtered}
        filterBar={<FleetFiltersBar problems={shownProblems} />}
        actions={
          canRegister && (
            <>
              <Button onClick={() => open({ kind: 'create' })}>Register robot…</Button>
              <Button onClick={() => open({ kind: 'import' })}>Import CSV…</Button>
            </>
          )
        }
      />
      {dialog?.kind === 'import' && <ImportCsvDialog />}
      {dialog?.kind === 'create' && <CreateRobotDialog />}
    </SpaceBetween>
  );
}
