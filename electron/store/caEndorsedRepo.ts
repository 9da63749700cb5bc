// Repository of the fleet CAs the console endorsed to each robot (issue 15, migration 38; docs/fleet-ca.md, "What a
// robot trusts"): a robot that was sent a CA's certificate endorsed by its retired CA (RENEW over the serial link or
// the field link, or a v3/v4 key bundle) may trust that CA without holding a certificate from it. Once that CA is
// retired or compromised, its CRL must reach the robot as well (orderDeliveryRepo.ts otherCrlCasOf reads this table).
// The console cannot see what the robot did with the endorsement, so a row means "sent", kept once per robot and CA.
import type { Db } from './database.ts';

/** DDL of migration 38. */
export const ROBOT_CA_ENDORSEMENTS_SQL = `
CREATE TABLE robot_ca_endorsements (
  device_id VARCHAR(64) NOT NULL REFERENCES robots (device_id),
  ca_id VARCHAR(36) NOT NULL REFERENCES fleet_ca (id),
  endorsed_by VARCHAR(36) NOT NULL REFERENCES fleet_ca (id),
  via VARCHAR(8) NOT NULL CHECK (via IN ('renew', 'bundle')),
  first_sent_at VARCHAR(40) NOT NULL,
  PRIMARY KEY (device_id, ca_id)
);
`;

/**
 * Migration 38's back-fill from the audit log: a key bundle issued with an endorsement (`bundle.issue` success with
 * `endorsedBy`: the retired CA) endorsed the CA that was current when it was issued (the newest CA created by then);
 * a successful re-issue (`station.reissue` success) names both CAs (`previousCaId` endorsed `caId`). A RENEW whose
 * exchange failed is audited without its CAs, so it is not carried over. Robots or CAs no longer in the store are skipped.
 */
export function backfillCaEndorsements(db: Db): void {
  const rows = db
    .prepare("SELECT ts, action, target_id, details FROM audit_records WHERE action IN ('bundle.issue', 'station.reissue') AND outcome = 'success' AND target_id IS NOT NULL ORDER BY seq")
    .all() as Array<{ ts: string; action: string; target_id: string; details: string }>;
  const cas = db.prepare('SELECT id, created_at FROM fleet_ca ORDER BY created_at, id').all() as Array<{ id: string; created_at: string }>;
  const known = db.prepare('SELECT 1 FROM robots WHERE device_id = ?');
  const insert = createCaEndorsedRepo(db);
  const isCa = (id: unknown): id is string => typeof id === 'string' && cas.some((c) => c.id === id);
  for (const r of rows) {
    let d: Record<string, unknown>;
    try {
      d = JSON.parse(r.details) as Record<string, unknown>;
    } catch {
      continue;
    }
    const endorsedBy = r.action === 'bundle.issue' ? d.endorsedBy : d.previousCaId;
    const caId = r.action === 'bundle.issue' ? cas.filter((c) => c.created_at <= r.ts).pop()?.id : d.caId;
    if (!isCa(endorsedBy) || !isCa(caId) || caId === endorsedBy || !known.get(r.target_id)) continue;
    insert.record({ deviceId: r.target_id, caId, endorsedBy, via: r.action === 'bundle.issue' ? 'bundle' : 'renew', firstSentAt: r.ts });
  }
}

/** How an endorsement reached the robot: RENEW over a link, or a key bundle (file or serial). */
export type EndorsementVia = 'renew' | 'bundle';
export interface RobotCaEndorsement { deviceId: string; caId: string; endorsedBy: string; via: EndorsementVia; firstSentAt: string }

export interface CaEndorsedRepo {
  /** Records that `caId`'s certificate, endorsed by `endorsedBy`, was sent to the robot; the first record is kept. */
  record(row: RobotCaEndorsement): void;
  /** The CAs endorsed to this robot, in the order first sent. */
  listFor(deviceId: string): RobotCaEndorsement[];
}

export function createCaEndorsedRepo(db: Db): CaEndorsedRepo {
  const insert = db.prepare(
    `INSERT INTO robot_ca_endorsements (device_id, ca_id, endorsed_by, via, first_sent_at) VALUES (@deviceId, @caId, @endorsedBy, @via, @firstSentAt)
     ON CONFLICT (device_id, ca_id) DO NOTHING`,
  );
  const list = db.prepare('SELECT device_id, ca_id, endorsed_by, via, first_sent_at FROM robot_ca_endorsements WHERE device_id = ? ORDER BY first_sent_at, ca_id');
  return {
    record: (row) => void insert.run(row),
    listFor: (deviceId) =>
      (list.all(deviceId) as Array<{ device_id: string; ca_id: string; endorsed_by: string; via: EndorsementVia; first_sent_at: string }>).map((r) => ({
        deviceId: r.device_id, caId: r.ca_id, endorsedBy: r.endorsed_by, via: r.via, firstSentAt: r.first_sent_at,
      })),
  };
}
