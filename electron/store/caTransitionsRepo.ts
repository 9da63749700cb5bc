// DDL and repository of the fleet CA's transitions (migration 22; docs/fleet-ca.md, "Replacing and revoking the CA"):
// a CA retired by a replacement or revoked as compromised (one row per CA, written once), and the robots flagged as
// needing a certificate from the current CA. A flag is settled by the data itself: a robot stops needing a certificate
// once it holds a valid one of a CA that is neither retired nor compromised, issued after the flag. Public data only.
// Never edit this DDL once shipped; add a migration instead.
import type { Db } from './database.ts';

export const CA_TRANSITIONS_SCHEMA_SQL = `
CREATE TABLE fleet_ca_transitions (
  ca_id VARCHAR(36) PRIMARY KEY REFERENCES fleet_ca (id),
  state VARCHAR(16) NOT NULL,
  successor_id VARCHAR(36) REFERENCES fleet_ca (id),
  changed_at VARCHAR(40) NOT NULL,
  changed_by VARCHAR(64) NOT NULL,
  reason VARCHAR(500) NOT NULL
);
CREATE TABLE robot_certificate_renewals (
  device_id VARCHAR(64) NOT NULL REFERENCES robots (device_id),
  ca_id VARCHAR(36) NOT NULL REFERENCES fleet_ca (id),
  reason VARCHAR(32) NOT NULL,
  flagged_at VARCHAR(40) NOT NULL,
  flagged_by VARCHAR(64) NOT NULL,
  PRIMARY KEY (device_id, ca_id)
);
`;

export interface CaTransitionRow {
  caId: string;
  state: 'retired' | 'compromised';
  successorId: string | null;
  changedAt: string;
  changedBy: string;
  reason: string;
}

export interface RenewalRow {
  deviceId: string;
  caId: string;
  reason: 'ca_replaced' | 'ca_compromised';
  flaggedAt: string;
  flaggedBy: string;
}

export interface CaTransitionsRepo {
  transition(caId: string): CaTransitionRow | null;
  /** Writes a CA's transition; a retired CA may later be marked compromised (the row is replaced then). */
  record(row: CaTransitionRow): void;
  list(): CaTransitionRow[];
  /**
   * Robots in the registry (not revoked) holding a certificate of `caId` that is not revoked and valid at `at`, by
   * device id. With `revokedAt`, also the robots whose certificates were revoked at exactly that time (a compromise).
   */
  holders(caId: string, at: string, revokedAt?: string): string[];
  /** How many robots holders() would list (a count in SQL: the preview of a 10,000-robot CA needs no list). */
  countHolders(caId: string, at: string): number;
  /** Flags a robot (an existing flag for the same CA stays as it was). */
  flag(row: RenewalRow): void;
  /** Flags still open: no valid certificate of a CA without a transition issued at or after the flag. */
  openRenewals(at: string): RenewalRow[];
  /** The same for one robot (the station's re-issue). */
  openRenewalsOf(deviceId: string, at: string): RenewalRow[];
}

interface RawTransition {
  ca_id: string;
  state: 'retired' | 'compromised';
  successor_id: string | null;
  changed_at: string;
  changed_by: string;
  reason: string;
}

const transitionRow = (r: RawTransition): CaTransitionRow => ({
  caId: r.ca_id,
  state: r.state,
  successorId: r.successor_id,
  changedAt: r.changed_at,
  changedBy: r.changed_by,
  reason: r.reason,
});

export function createCaTransitionsRepo(db: Db): CaTransitionsRepo {
  const get = db.prepare('SELECT * FROM fleet_ca_transitions WHERE ca_id = ?');
  const del = db.prepare('DELETE FROM fleet_ca_transitions WHERE ca_id = ?');
  const insert = db.prepare(
    `INSERT INTO fleet_ca_transitions (ca_id, state, successor_id, changed_at, changed_by, reason)
     VALUES (@caId, @state, @successorId, @changedAt, @changedBy, @reason)`,
  );
  const list = db.prepare('SELECT * FROM fleet_ca_transitions ORDER BY changed_at, ca_id');
  const holdersFrom = `FROM fleet_certificates f JOIN robots r ON r.device_id = f.device_id
     WHERE f.ca_id = ? AND r.status <> 'revoked' AND f.not_after > ? AND (f.revoked_at IS NULL OR f.revoked_at = ?)`;
  const holders = db.prepare(`SELECT DISTINCT f.device_id ${holdersFrom} ORDER BY f.device_id`);
  const countHolders = db.prepare(`SELECT COUNT(DISTINCT f.device_id) AS n ${holdersFrom}`);
  const hasFlag = db.prepare('SELECT 1 FROM robot_certificate_renewals WHERE device_id = ? AND ca_id = ?');
  const insertFlag = db.prepare(
    `INSERT INTO robot_certificate_renewals (device_id, ca_id, reason, flagged_at, flagged_by)
     VALUES (@deviceId, @caId, @reason, @flaggedAt, @flaggedBy)`,
  );
  const openSql = (oneRobot: boolean) =>
    `SELECT n.* FROM robot_certificate_renewals n JOIN robots r ON r.device_id = n.device_id
     WHERE r.status <> 'revoked' ${oneRobot ? 'AND n.device_id = ?' : ''} AND NOT EXISTS (
       SELECT 1 FROM fleet_certificates f WHERE f.device_id = n.device_id AND f.revoked_at IS NULL AND f.not_after > ?
         AND f.issued_at >= n.flagged_at AND NOT EXISTS (SELECT 1 FROM fleet_ca_transitions t WHERE t.ca_id = f.ca_id))
     ORDER BY n.flagged_at, n.device_id`;
  const open = db.prepare(openSql(false));
  const openOf = db.prepare(openSql(true));
  type RawRenewal = { device_id: string; ca_id: string; reason: RenewalRow['reason']; flagged_at: string; flagged_by: string };
  const renewalRow = (r: RawRenewal): RenewalRow => ({ deviceId: r.device_id, caId: r.ca_id, reason: r.reason, flaggedAt: r.flagged_at, flaggedBy: r.flagged_by });
  const record = db.transaction((row: CaTransitionRow) => {
    del.run(row.caId);
    insert.run(row);
  });
  return {
    transition(caId) {
      const r = get.get(caId) as RawTransition | undefined;
      return r ? transitionRow(r) : null;
    },
    record: (row) => record(row),
    list: () => (list.all() as RawTransition[]).map(transitionRow),
    holders: (caId, at, revokedAt) => (holders.all(caId, at, revokedAt ?? null) as Array<{ device_id: string }>).map((r) => r.device_id),
    countHolders: (caId, at) => (countHolders.get(caId, at, null) as { n: number }).n,
    flag(row) {
      if (!hasFlag.get(row.deviceId, row.caId)) insertFlag.run(row);
    },
    openRenewals: (at) => (open.all(at) as RawRenewal[]).map(renewalRow),
    openRenewalsOf: (deviceId, at) => (openOf.all(deviceId, at) as RawRenewal[]).map(renewalRow),
  };
}
