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
