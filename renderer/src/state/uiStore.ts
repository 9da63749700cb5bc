// UI state only: where the officer is, what is selected, which dialog is open, the audit filters as typed.
// Nothing from the main process lives here (React Query owns that).
import { create } from 'zustand';

export type Page = 'keys' | 'audit' | 'providers' | 'dashboard' | 'fleet' | 'station' | 'certs';

export type KeyDialog =
  | { kind: 'create' }
  | { kind: 'rotate'; keyId: string }
  | { kind: 'state'; keyId: string }
  | null;

export type ProviderDialog = { kind: 'add' } | { kind: 'edit'; id: string } | { kind: 'remove'; id: string } | null;

export interface AuditFilters {
  action: string;
  actor: string;
  targetId: string;
  /** datetime-local values as typed ('' when unset). */
  from: string;
  to: string;
}

export const EMPTY_AUDIT_FILTERS: AuditFilters = { action: '', actor: '', targetId: '', from: '', to: '' };

interface UiStore {
  page: Page;
  selectedKeyId: string | null;
  dialog: KeyDialog;
  auditFilters: AuditFilters;
  selectedProviderId: string | null;
  providerDialog: ProviderDialog;
  goTo(page: Page): void;
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

export const useUiStore = create<UiStore>((set) => ({
  page: 'keys',
  selectedKeyId: null,
  dialog: null,
  auditFilters: EMPTY_AUDIT_FILTERS,
  selectedProviderId: null,
  providerDialog: null,
  goTo: (page) => set({ page }),
  selectKey: (selectedKeyId) => set({ selectedKeyId }),
  openDialog: (dialog) => set({ dialog }),
  closeDialog: () => set({ dialog: null }),
  setAuditFilter: (name, value) => set((s) => ({ auditFilters: { ...s.auditFilters, [name]: value } })),
  clearAuditFilters: () => set({ auditFilters: EMPTY_AUDIT_FILTERS }),
  selectProvider: (selectedProviderId) => set({ selectedProviderId }),
  openProviderDialog: (providerDialog) => set({ providerDialog }),
  reset: () =>
    set({ page: 'keys', selectedKeyId: null, dialog: null, auditFilters: EMPTY_AUDIT_FILTERS, selectedProviderId: null, providerDialog: null }),
}));
