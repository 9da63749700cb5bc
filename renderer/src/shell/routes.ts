// Hash routes: the URL says which screen is open and, where a screen has filters, which ones
// ("#/fleet?status=quarantined&site=Oslo", "#/certs?expiringWithinDays=30"). Parsing never throws: an unknown screen
// is no route (the shell then opens the dashboard), unknown parameters are dropped, and each screen validates the
// values it reads (docs/ui-design-system.md, "Deep links").
export const PAGES = ['dashboard', 'fleet', 'station', 'certs', 'keys', 'rotation', 'providers', 'audit', 'reports', 'metrics', 'approvals', 'recovery', 'operators', 'emergency', 'settings'] as const;
export type Page = (typeof PAGES)[number];

/** The filter parameters each screen reads from its route (everything else is dropped). */
export const ROUTE_PARAMS: Readonly<Record<Page, readonly string[]>> = {
  dashboard: [],
  fleet: ['status', 'site', 'q', 'robot'],
  station: [],
  certs: ['expiringWithinDays'],
  keys: ['key', 'state', 'provider'],
  rotation: [],
  providers: [],
  audit: [],
  reports: [],
  metrics: [],
  approvals: [],
  recovery: [],
  operators: [],
  emergency: [],
  settings: [],
};

export type RouteParams = Readonly<Record<string, string>>;

export interface Route {
  page: Page;
  params: RouteParams;
}

/** The side navigation, grouped by task like a cloud console; link texts are the screens' names. */
export const NAV_GROUPS: ReadonlyArray<{ title: string; items: ReadonlyArray<{ page: Page; text: string }> }> = [
  { title: 'Fleet', items: [{ page: 'dashboard', text: 'Dashboard' }, { page: 'fleet', text: 'Fleet' }] },
  { title: 'Keys and rotation', items: [{ page: 'keys', text: 'Keys' }, { page: 'rotation', text: 'Rotation schedules' }] },
  { title: 'Certificates', items: [{ page: 'certs', text: 'Certificates' }] },
  { title: 'Station', items: [{ page: 'station', text: 'Station' }] },
  { title: 'Audit', items: [{ page: 'audit', text: 'Audit' }, { page: 'reports', text: 'Compliance reports' }, { page: 'approvals', text: 'Approvals' }] },
  { title: 'Monitoring', items: [{ page: 'metrics', text: 'Metrics and alerts' }] },
  { title: 'Providers', items: [{ page: 'providers', text: 'Providers' }] },
  { title: 'Recovery', items: [{ page: 'recovery', text: 'Recovery and backup' }] },
  { title: 'Administration', items: [{ page: 'operators', text: 'Operators' }] },
  { title: 'Settings', items: [{ page: 'settings', text: 'Settings' }] },
];

/** The page title shown in breadcrumbs and the window title. */
export const PAGE_TITLES: Readonly<Record<Page, string>> = {
  dashboard: 'Fleet dashboard',
  fleet: 'Fleet',
  station: 'Station',
  certs: 'Certificates',
  keys: 'Keys',
  rotation: 'Rotation schedules',
  providers: 'Providers',
  audit: 'Audit log',
  reports: 'Compliance reports',
  metrics: 'Metrics and alerts',
  approvals: 'Approvals',
  recovery: 'Recovery and backup',
  operators: 'Operators',
  emergency: 'Emergency response',
  settings: 'Settings',
};

export function groupOf(page: Page): string {
  return NAV_GROUPS.find((g) => g.items.some((i) => i.page === page))?.title ?? '';
}

function isPage(value: string): value is Page {
  return (PAGES as readonly string[]).includes(value);
}

/** "#/fleet?status=quarantined" -> { page: 'fleet', params: { status: 'quarantined' } }; null when no screen is named. */
export function parseHash(hash: string): Route | null {
  const body = hash.startsWith('#') ? hash.slice(1) : hash;
  const [path = '', query = ''] = body.split('?', 2);
  const name = path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (!isPage(name)) return null;
  const allowed = ROUTE_PARAMS[name];
  const params: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(query)) if (allowed.includes(k) && v !== '') params[k] = v;
  return { page: name, params };
}

export function hrefFor(page: Page, params: RouteParams = {}): string {
  const query = new URLSearchParams();
  for (const k of ROUTE_PARAMS[page]) {
    const v = params[k];
    if (v !== undefined && v !== '') query.set(k, v);
  }
  const q = query.toString();
  return `#/${page}${q ? `?${q}` : ''}`;
}
