// Type-checked with the renderer (renderer/tsconfig.json: the DOM types uiStore.ts uses), not with the main program.
// What a lock does to the window's UI state (renderer/src/state/uiStore.ts): it forgets where the officer was and
// counts as a navigation to the dashboard. The shell focuses the page's main heading when `routeSeq` changes
// (renderer/src/shell/Shell.tsx); a lock and an unlock pushed back to back can leave the shell mounted, so a reset that
// did not advance `routeSeq` left the dashboard on screen with nothing focused (seen in CI under load, approvals.spec).
import { afterEach, describe, expect, it } from 'vitest';
import { EMPTY_AUDIT_FILTERS, useUiStore } from '../../renderer/src/state/uiStore.ts';

afterEach(() => useUiStore.getState().reset());

describe('a lock resets the UI state', () => {
  it('lands on the dashboard with nothing selected and counts as a navigation', () => {
    const ui = useUiStore.getState();
    ui.applyRoute({ page: 'keys', params: { key: 'k-1' } });
    ui.selectKey('k-1');
    ui.setAuditFilter('actor', 'Ada');
    const before = useUiStore.getState().routeSeq;
    useUiStore.getState().reset();
    const after = useUiStore.getState();
    expect(after).toMatchObject({ page: 'dashboard', routeParams: {}, selectedKeyId: null, dialog: null, auditFilters: EMPTY_AUDIT_FILTERS, selectedProviderId: null, providerDialog: null });
    expect(after.routeSeq).toBe(before + 1);
  });

  it('advances the route count even when the officer was already on the dashboard', () => {
    useUiStore.getState().applyRoute({ page: 'dashboard', params: {} });
    const before = useUiStore.getState().routeSeq;
    useUiStore.getState().reset();
    useUiStore.getState().reset();
    expect(useUiStore.getState().routeSeq).toBe(before + 2);
  });
});
