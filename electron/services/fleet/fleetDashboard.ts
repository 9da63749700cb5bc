// The fleet dashboard: robots by status and site, certificates expiring soon, keys overdue for rotation (with how
// many robots hold them), and provider health as providers:list reports it. Read-only, so not audited.
import { CERT_EXPIRY_WARNING_DAYS, ROBOT_STATUSES, type RobotStatus } from '../../../shared/domain.ts';
import type { ProviderStatus } from '../../../shared/contract.ts';
import type { FleetDashboard } from '../../../shared/fleetContract.ts';
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
  const overdueKeys = deps.keys
    .list({})
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
    generatedAt: new Date(now).toISOString(),
  };
}
