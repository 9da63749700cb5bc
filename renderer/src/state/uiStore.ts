// UI state only: where the officer is, what is selected, which dialog is open, the audit filters as typed.
// Nothing from the main process lives here (React Query owns that).
import { create } from 'zustand';
import { hrefFor, parseHash, type Page, type Route, type RouteParams } from '../shell/routes.ts';
import type { AuditFilters } from '../audit/auditFilterInput.ts';

export type { Page } from '../shell/routes.ts';

export type KeyDialog =
  | { kind: 'create' }
  | { kind: 'rotate'; keyId: string }
  | { kind: 'state'; keyId: string }
  | null;

export type ProviderDialog = { kind: 'add' } | { kind: 'edit'; id: string } | { kind: 'remove'; id: string } | null;

export type { AuditFilters };

export const EMPTY_AUDIT_FILTERS: AuditFilters = { action: '', actionPrefix: '', text: '', actor: '', keyId: '', robotId: '', range: null };

interface UiStore {
  page: Page;
  /** The filter parameters of the route that opened the page (shell/routes.ts). */
  routeParams: RouteParams;
  /** Bumped on every route applied, so a page can re-read its parameters when the same page is opened again. */
  routeSeq: number;
  selectedKeyId: string | null;
  dialog: KeyDialog;
  auditFilters: AuditFilters;
  selectedProviderId: string | null;
  providerDialog: ProviderDialog;
  /** Opens a page: the URL hash follows (a history entry), the shell applies it (Shell.tsx). */
  goTo(page: Page, params?: RouteParams): void;
  /** Called by the shell when the hash changes (back/forward, a link, a typed URL). */
  applyRoute(route: Route): void;
  selectKey(keyId: string | null): void;
  openDialog(dialog: KeyDialog): void;
  closeDialog(): void;
  setAuditFilter<K extends keyof AuditFilters>(name: K, value: AuditFilters[K]): void;
  clearAuditFilters(): void;
  selectProvider(id: string | null): void;
  openProviderDialog(dialog: ProviderDialog): void;
  /** Forget selections and dialogs, e.g. on lock. */
  reset(): void;
}

/** The URL hash without reloading; pushes a history entry unless it is already there. */
function writeHash(href: string): void {
  if (typeof window === 'undefined' || window.location.hash === href) return;
  window.history.pushState(null, '', href);
}

export const useUiStore = create<UiStore>((set) => ({
  page: 'dashboard',
  routeParams: {},
  routeSeq: 0,
  selectedKeyId: null,
  dialog: null,
  auditFilters: EMPTY_AUDIT_FILTERS,
  selectedProviderId: null,
  providerDialog: null,
  goTo: (page, params = {}) => {
    const href = hrefFor(page, params);
    writeHash(href);
    set((s) => ({ page, routeParams: parseHash(href)?.params ?? {}, routeSeq: s.routeSeq + 1 }));
  },
  applyRoute: (route) => set((s) => ({ page: route.page, routeParams: route.params, routeSeq: s.routeSeq + 1 })),
  selectKey: (selectedKeyId) => set({ selectedKeyId }),
  openDialog: (dialog) => set({ dialog }),
  closeDialog: () => set({ dialog: null }),
  setAuditFilter: (name, value) => set((s) => ({ auditFilters: { ...s.auditFilters, [name]: value } })),
  clearAuditFilters: () => set({ auditFilters: EMPTY_AUDIT_FILTERS }),
  selectProvider: (selectedProviderId) => set({ selectedProviderId }),
  openProviderDialog: (providerDialog) => set({ providerDialog }),
  reset: () => {
    // Locking forgets where the officer was: the next unlock lands on the dashboard. It counts as a navigation
    // (routeSeq): a lock and an unlock pushed back to back can leave the shell mounted, and the shell focuses the
    // page's heading when routeSeq changes, so without it the dashboard appeared with nothing focused (seen in CI
    // under load).
    if (typeof window !== 'undefined' && window.location.hash) window.history.replaceState(null, '', window.location.pathname + window.location.search);
    set((s) => ({ page: 'dashboard', routeParams: {}, routeSeq: s.routeSeq + 1, selectedKeyId: null, dialog: null, auditFilters: EMPTY_AUDIT_FILTERS, selectedProviderId: null, providerDialog: null }));
  },
}));
