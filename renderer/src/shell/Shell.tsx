import type { SessionStatus } from '../../../shared/contract.ts';
import { useUiStore, type Page } from '../state/uiStore.ts';
import { KeysPage } from '../keys/KeysPage.tsx';
import { AuditPage } from '../audit/AuditPage.tsx';
import { ProvidersPage } from '../providers/ProvidersPage.tsx';
import { FleetDashboardPage } from '../fleet/FleetDashboardPage.tsx';
import { FleetPage } from '../fleet/FleetPage.tsx';
import { StationPage } from '../station/StationPage.tsx';
import { CertificatesPage } from '../certs/CertificatesPage.tsx';
import { LockButton } from './LockButton.tsx';

// Only pages that work are listed here.
const PAGES: ReadonlyArray<{ id: Page; label: string }> = [
  { id: 'dashboard', label: 'Dashboard' },
  { id: 'fleet', label: 'Fleet' },
  { id: 'station', label: 'Station' },
  { id: 'certs', label: 'Certificates' },
  { id: 'keys', label: 'Keys' },
  { id: 'providers', label: 'Providers' },
  { id: 'audit', label: 'Audit' },
];

const PAGE_VIEWS: Readonly<Record<Page, () => React.ReactNode>> = {
  dashboard: () => <FleetDashboardPage />,
  fleet: () => <FleetPage />,
  station: () => <StationPage />,
  certs: () => <CertificatesPage />,
  keys: () => <KeysPage />,
  providers: () => <ProvidersPage />,
  audit: () => <AuditPage />,
};

export function Shell({ status }: { status: SessionStatus }) {
  const page = useUiStore((s) => s.page);
  const goTo = useUiStore((s) => s.goTo);

  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">ECPS-UV Fleet Security Console</span>
        <nav aria-label="Main">
          {PAGES.map((p) => (
            <button
              key={p.id}
              type="button"
              className={p.id === page ? 'nav-item active' : 'nav-item'}
              aria-current={p.id === page ? 'page' : undefined}
              onClick={() => goTo(p.id)}
            >
              {p.label}
            </button>
          ))}
        </nav>
        <span className="spacer" />
        <span className="operator" title={status.storePath}>
          Operator: <strong>{status.operator ?? 'unknown'}</strong>
        </span>
        <LockButton />
      </header>
      <main className="page">{PAGE_VIEWS[page]()}</main>
    </div>
  );
}
