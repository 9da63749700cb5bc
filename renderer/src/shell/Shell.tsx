// The console frame, like a cloud console: a top bar (product, operator, Lock), side navigation grouped by task,
// breadcrumbs, and the page. The URL hash says which page is open (shell/routes.ts); back/forward and typed URLs work.
// Focus: whenever a page opens (after unlock too) it goes to the page's main heading.
import { useEffect, useRef, useState } from 'react';
import AppLayout, { type AppLayoutProps } from '@cloudscape-design/components/app-layout';
import SideNavigation, { type SideNavigationProps } from '@cloudscape-design/components/side-navigation';
import BreadcrumbGroup from '@cloudscape-design/components/breadcrumb-group';
import type { SessionStatus } from '../../../shared/contract.ts';
import { useUiStore } from '../state/uiStore.ts';
import { applyFleetRoute } from '../fleet/fleetUiStore.ts';
import { KeysPage } from '../keys/KeysPage.tsx';
import { AuditPage } from '../audit/AuditPage.tsx';
import { ProvidersPage } from '../providers/ProvidersPage.tsx';
import { FleetDashboardPage } from '../fleet/FleetDashboardPage.tsx';
import { FleetPage } from '../fleet/FleetPage.tsx';
import { StationPage } from '../station/StationPage.tsx';
import { CertificatesPage } from '../certs/CertificatesPage.tsx';
import { RotationPage } from '../rotation/RotationPage.tsx';
import { MetricsPage } from '../metrics/MetricsPage.tsx';
import { ReportsPage } from '../reports/ReportsPage.tsx';
import { ApprovalsPage } from '../approvals/ApprovalsPage.tsx';
import { RecoveryPage } from '../recovery/RecoveryPage.tsx';
import { OperatorsPage } from '../operators/OperatorsPage.tsx';
import { EmergencyPage } from '../emergency/EmergencyPage.tsx';
import { SettingsPage } from '../settings/SettingsPage.tsx';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import Badge from '@cloudscape-design/components/badge';
import { LockButton } from './LockButton.tsx';
import { EmergencyEntry, useEmergencyShortcut } from './EmergencyEntry.tsx';
import { SecondFactorButton } from '../session/SecondFactorDialog.tsx';
import { useRecoveryCodesReminder } from '../recoveryCodes/RecoveryCodesReminder.tsx';
import { useVisibilityReport } from '../session/useVisibilityReport.ts';
import { useSplitPanel } from './splitPanel.ts';
import { groupOf, hrefFor, NAV_GROUPS, PAGE_TITLES, parseHash, type Page, type Route } from './routes.ts';
import { type OperatorRole, type Permission, ROLE_LABELS } from '../../../shared/operatorsContract.ts';
import { can } from '../session/permissions.ts';
import { useExpiryRefresh } from '../approvals/useExpiryRefresh.ts';

const PRODUCT = 'ECPS-UV Fleet Security Console';

const PAGE_VIEWS: Readonly<Record<Page, (status: SessionStatus) => React.ReactNode>> = {
  dashboard: () => <FleetDashboardPage />,
  fleet: () => <FleetPage />,
  station: () => <StationPage />,
  certs: () => <CertificatesPage />,
  keys: () => <KeysPage />,
  rotation: () => <RotationPage />,
  providers: () => <ProvidersPage />,
  audit: () => <AuditPage />,
  reports: () => <ReportsPage />,
  metrics: () => <MetricsPage />,
  approvals: () => <ApprovalsPage />,
  recovery: () => <RecoveryPage />,
  operators: () => <OperatorsPage />,
  emergency: () => <EmergencyPage />,
  settings: (status) => <SettingsPage operator={status.operator ?? null} />,
};

/** Screens only some roles have use for (the others are read by every role): hidden from the rest. */
const PAGE_NEEDS: Partial<Record<Page, readonly Permission[]>> = { station: ['provision'], providers: ['admin', 'keys'], reports: ['security'], recovery: ['admin'], operators: ['admin'], emergency: ['security'] };

/** The badge of a navigation link: open alerts (Metrics and alerts), requests the operator may approve (Approvals). */
function badgeOf(page: Page, openAlerts: number, awaitingMe: number): React.ReactNode | undefined {
  if (page === 'metrics' && openAlerts > 0) return <Badge color="red">{`${openAlerts} open`}</Badge>;
  if (page === 'approvals' && awaitingMe > 0) return <Badge color="blue">{`${awaitingMe} to approve`}</Badge>;
  return undefined;
}

/** The side navigation for a role, with the badges of badgeOf. */
function navItems(role: OperatorRole | null, openAlerts: number, awaitingMe: number): SideNavigationProps.Item[] {
  return NAV_GROUPS.map((g) => ({ ...g, items: g.items.filter((i) => can(role, ...(PAGE_NEEDS[i.page] ?? []))) }))
    .filter((g) => g.items.length > 0)
    .map((g) => ({
      type: 'section-group',
      title: g.title,
      items: g.items.map((i) => ({
        type: 'link',
        text: i.text,
        href: hrefFor(i.page),
        ...(badgeOf(i.page, openAlerts, awaitingMe) ? { info: badgeOf(i.page, openAlerts, awaitingMe) } : {}),
      })),
    })) as SideNavigationProps.Item[];
}

/** A route's filters and item that belong to a screen's own store: fleet (status, site, q, robot), keys (key). */
function applyFleetParams(route: Route): void {
  if (route.page === 'keys' && route.params.key) useUiStore.getState().selectKey(route.params.key);
  if (route.page === 'fleet') applyFleetRoute(route.params);
}

/** Follows the URL hash: on mount (after unlock: a deep link, else the dashboard) and on every hashchange. */
function useHashRoute(): void {
  const applyRoute = useUiStore((s) => s.applyRoute);
  useEffect(() => {
    const follow = () => {
      const parsed = parseHash(window.location.hash);
      const route = parsed ?? { page: 'dashboard' as const, params: {} };
      // No screen named (after unlock, or an unknown one): the dashboard, and the URL says so.
      if (!parsed) window.history.replaceState(null, '', hrefFor('dashboard'));
      applyFleetParams(route);
      applyRoute(route);
    };
    follow();
    window.addEventListener('hashchange', follow);
    window.addEventListener('popstate', follow);
    return () => {
      window.removeEventListener('hashchange', follow);
      window.removeEventListener('popstate', follow);
    };
  }, [applyRoute]);
}

export function Shell({ status }: { status: SessionStatus }) {
  useHashRoute();
  const page = useUiStore((s) => s.page);
  const routeParams = useUiStore((s) => s.routeParams);
  const routeSeq = useUiStore((s) => s.routeSeq);
  const [navOpen, setNavOpen] = useState(true);
  const contentRef = useRef<HTMLDivElement>(null);
  // Details in the split panel: what the open screen put in the slot (shell/splitPanel.ts); AppLayout keeps the
  // panel's position and size as the officer leaves them.
  const slotPanel = useSplitPanel((s) => s.panel);
  const closeSlotPanel = useSplitPanel((s) => s.onClose);
  const split: Pick<AppLayoutProps, 'splitPanel' | 'splitPanelOpen' | 'onSplitPanelToggle'> = {
    splitPanel: slotPanel ?? undefined,
    splitPanelOpen: slotPanel !== null,
    onSplitPanelToggle: (e) => {
      if (!e.detail.open) closeSlotPanel?.();
    },
  };

  // Links inside pages call goTo (pushState, no hashchange): their fleet filters are applied here.
  useEffect(() => {
    applyFleetParams({ page, params: routeParams });
  }, [page, routeParams]);

  useEffect(() => {
    document.title = `${PAGE_TITLES[page]} · ${PRODUCT}`;
  }, [page]);

  // Focus the page's main heading when a page opens (and after unlock), so keyboard and screen-reader users start
  // at the top of what they asked for instead of on the body.
  useEffect(() => {
    const frame = requestAnimationFrame(() => {
      const heading = contentRef.current?.querySelector<HTMLElement>('h1');
      if (!heading) return;
      if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: true });
    });
    return () => cancelAnimationFrame(frame);
  }, [routeSeq]);

  // The page hidden longer than the idle time locks the session (the main process decides).
  useVisibilityReport();
  const emergencyAllowed = can(status.role ?? null, ...(PAGE_NEEDS.emergency ?? []));
  useEmergencyShortcut(emergencyAllowed);

  const open = useChannelQuery('alerts:list', { unacknowledgedOnly: true, limit: 1 }).data?.open;
  const openAlerts = open ? open.CRITICAL + open.HIGH + open.MEDIUM + open.LOW : 0;
  const openApprovals = useChannelQuery('approvals:list', { open: true }).data;
  const awaitingMe = openApprovals?.awaitingMe ?? 0;
  useExpiryRefresh(openApprovals?.requests);

  const reminder = useRecoveryCodesReminder(status.operator);

  const view = PAGE_VIEWS[page];
  const group = groupOf(page);
  const crumbs = [{ text: 'Console', href: hrefFor('dashboard') }];
  if (group && group !== PAGE_TITLES[page]) crumbs.push({ text: group, href: hrefFor(NAV_GROUPS.find((g) => g.title === group)!.items[0]!.page) });
  crumbs.push({ text: PAGE_TITLES[page], href: hrefFor(page) });

  return (
    <div className="console-frame">
      <header id="console-header" className="console-header">
        <a className="console-brand" href={hrefFor('dashboard')}>
          {PRODUCT}
        </a>
        {emergencyAllowed && <EmergencyEntry active={page === 'emergency'} />}
        <span className="console-spacer" />
        <span className="console-operator" title={status.storePath}>
          Operator: <strong>{status.operator ?? 'unknown'}</strong>
          {status.role && <span className="console-role"> ({ROLE_LABELS[status.role]})</span>}
        </span>
        <SecondFactorButton operator={status.operator} />
        <LockButton />
      </header>
      <AppLayout
        headerSelector="#console-header"
        navigationOpen={navOpen}
        onNavigationChange={(e) => setNavOpen(e.detail.open)}
        navigation={<SideNavigation header={{ text: 'Fleet security', href: hrefFor('dashboard') }} activeHref={hrefFor(page)} items={navItems(status.role ?? null, openAlerts, awaitingMe)} />}
        breadcrumbs={<BreadcrumbGroup ariaLabel="Breadcrumbs" items={crumbs} />}
        toolsHide
        notifications={reminder}
        {...split}
        maxContentWidth={Number.MAX_VALUE}
        ariaLabels={{ navigation: 'Main', navigationClose: 'Close navigation', navigationToggle: 'Open navigation' }}
        content={
          <div ref={contentRef} key={page}>
            {view(status)}
          </div>
        }
      />
    </div>
  );
}
