// The fleet dashboard: robots by status and site, certificates expiring soon, keys overdue for rotation (with how
// many robots hold them), and provider health as providers:list reports it. Read-only, so not audited.
import { CERT_EXPIRY_WARNING_DAYS, ROBOT_STATUSES, type RobotStatus } from '../../../shared/domain.ts';
import type { ProviderStatus } from '../../../shared/contract.ts';
import { KEY_VERSIONS_LISTED, type FleetDashboard } from '../../../shared/fleetContract.ts';
import type { Clock } from '../../clock.ts';
import type { FleetRepo } from '../../store/fleetRepo.ts';
import type { KeysRepo } from '../../store/keysRepo.ts';
import type { Session } from '../session/session.ts';

const DAY_MS = 86_400_000;
/** How many expiring certificates the dashboard lists (the total is counted separately). */
const EXPIRING_LISTED = 50;

export interface FleetDashboardDeps {
  repo: FleetRepo;
  keys: KeysRepo;
  session: Session;
  clock: Clock;
  /** The providers as providers:list reports them. */
  providers(): Promise<ProviderStatus[]>;
}

type KeyVersionsHeld = Pick<FleetDashboard, 'keyVersions'>['keyVersions'];

/**
 * Per key robots hold: robots on its current version and robots behind it (an older version, or a key the store no
 * longer has); the keys with the most robots behind first (then the most robots, then the label), and the totals.
 */
export function keyVersionsHeld(
  counts: ReadonlyArray<{ keyId: string; version: number; robots: number }>,
  keys: ReadonlyMap<string, { label: string; type: string; currentVersion: number }>,
): { listed: KeyVersionsHeld; total: FleetDashboard['keyVersionsTotal'] } {
  const perKey = new Map<string, KeyVersionsHeld[number]>();
  for (const { keyId, version, robots } of counts) {
    const key = keys.get(keyId);
    const entry = perKey.get(keyId) ?? { keyId, label: key?.label ?? null, type: key?.type ?? null, currentVersion: key?.currentVersion ?? null, current: 0, behind: 0 };
    if (key !== undefined && version === key.currentVersion) entry.current += robots;
    else entry.behind += robots;
    perKey.set(keyId, entry);
  }
  const all = [...perKey.values()].sort((a, b) => b.behind - a.behind || b.current + b.behind - (a.current + a.behind) || (a.label ?? a.keyId).localeCompare(b.label ?? b.keyId));
  return {
    listed: all.slice(0, KEY_VERSIONS_LISTED),
    total: { keys: all.length, current: all.reduce((n, k) => n + k.current, 0), behind: all.reduce((n, k) => n + k.behind, 0) },
  };
}

export async function buildFleetDashboard(deps: FleetDashboardDeps): Promise<FleetDashboard> {
  deps.session.require();
  const now = deps.clock.now();
  const byStatus = Object.fromEntries(ROBOT_STATUSES.map((s) => [s, 0])) as Record<RobotStatus, number>;
  let total = 0;
  for (const { status, count } of deps.repo.countByStatus()) {
    byStatus[status as RobotStatus] = count;
    total += count;
  }
  const sites = new Map<string, { site: string; total: number; byStatus: Record<string, number> }>();
  for (const { site, status, count } of deps.repo.countBySiteAndStatus()) {
    const entry = sites.get(site) ?? { site, total: 0, byStatus: {} };
    entry.total += count;
    entry.byStatus[status] = count;
    sites.set(site, entry);
  }
  const until = new Date(now + CERT_EXPIRY_WARNING_DAYS * DAY_MS).toISOString();
  const expiring = deps.repo.expiringCertificates(until, EXPIRING_LISTED);
  const allKeys = deps.keys.list({});
  const keyVersions = keyVersionsHeld(deps.repo.countByKeyVersion(), new Map(allKeys.map((k) => [k.id, k])));
  const overdueKeys = allKeys
    .filter((k) => k.state === 'active' && k.nextRotationAt !== null && Date.parse(k.nextRotationAt) < now)
    .sort((a, b) => a.nextRotationAt!.localeCompare(b.nextRotationAt!))
    .map((k) => ({ keyId: k.id, label: k.label, type: k.type, nextRotationAt: k.nextRotationAt!, robots: deps.repo.countHolders(k.id) }));
  const providers = (await deps.providers()).map((p) => ({
    id: p.id,
    kind: p.kind,
    ok: p.health?.ok ?? null,
    circuit: p.circuit,
    checkedAt: p.health?.checkedAt ?? null,
    detail: p.health?.detail ?? p.lastError?.message ?? null,
  }));
  return {
    total,
    byStatus,
    bySite: [...sites.values()],
    expiringCertificates: expiring.rows.map((c) => ({
      deviceId: c.deviceId,
      serial: c.serial,
      notAfter: c.notAfter,
      daysLeft: Math.floor((Date.parse(c.notAfter) - now) / DAY_MS),
    })),
    expiringCertificatesTotal: expiring.total,
    overdueKeys,
    providers,
    keyVersions: keyVersions.listed,
    keyVersionsTotal: keyVersions.total,
    generatedAt: new Date(now).toISOString(),
  };
}
