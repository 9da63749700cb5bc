// Repository of the fleet CA's cross-certificates (issue 15, migration 43; docs/fleet-ca.md, "Cross-certificates"): a
// retired CA's certificate for a later CA (that CA's subject and public key, issued by the retired CA), signed when the
// CA is replaced and kept with the CA history. The field link sends it after its server certificate, so a robot that
// trusts only the retired CA builds a path to it. One row per (issuer, subject) pair, written once. Public data only.
// Never edit this DDL once shipped; add a migration instead.
import type { Db } from './database.ts';

/** DDL of migration 43. */
export const CA_CROSS_CERTIFICATES_SQL = `
CREATE TABLE fleet_ca_cross_certificates (
  issuer_ca_id VARCHAR(36) NOT NULL REFERENCES fleet_ca (id),
  subject_ca_id VARCHAR(36) NOT NULL REFERENCES fleet_ca (id),
  serial VARCHAR(40) NOT NULL,
  cert_der BLOB NOT NULL,
  not_after VARCHAR(40) NOT NULL,
  created_at VARCHAR(40) NOT NULL,
  PRIMARY KEY (issuer_ca_id, subject_ca_id)
);
`;

export interface CaCrossCertificateRow {
  issuerCaId: string;
  subjectCaId: string;
  /** Lower-case hex. */
  serial: string;
  certDer: Buffer;
  notAfter: string;
  createdAt: string;
}

export interface CaCrossRepo {
  /** Stores a cross-certificate; an existing one for the same pair stays (false then). */
  save(row: CaCrossCertificateRow): boolean;
  get(issuerCaId: string, subjectCaId: string): CaCrossCertificateRow | null;
  /** Every cross-certificate for `subjectCaId`, oldest first. */
  listFor(subjectCaId: string): CaCrossCertificateRow[];
}

type Raw = { issuer_ca_id: string; subject_ca_id: string; serial: string; cert_der: Buffer; not_after: string; created_at: string };
const rowOf = (r: Raw): CaCrossCertificateRow => ({
  issuerCaId: r.issuer_ca_id, subjectCaId: r.subject_ca_id, serial: r.serial, certDer: Buffer.from(r.cert_der), notAfter: r.not_after, createdAt: r.created_at,
});

export function createCaCrossRepo(db: Db): CaCrossRepo {
  const insert = db.prepare(
    `INSERT INTO fleet_ca_cross_certificates (issuer_ca_id, subject_ca_id, serial, cert_der, not_after, created_at)
     VALUES (@issuerCaId, @subjectCaId, @serial, @certDer, @notAfter, @createdAt) ON CONFLICT (issuer_ca_id, subject_ca_id) DO NOTHING`,
  );
  const get = db.prepare('SELECT * FROM fleet_ca_cross_certificates WHERE issuer_ca_id = ? AND subject_ca_id = ?');
  const list = db.prepare('SELECT * FROM fleet_ca_cross_certificates WHERE subject_ca_id = ? ORDER BY created_at, issuer_ca_id');
  return {
    save: (row) => insert.run(row).changes > 0,
    get(issuerCaId, subjectCaId) {
      const r = get.get(issuerCaId, subjectCaId) as Raw | undefined;
      return r ? rowOf(r) : null;
    },
    listFor: (subjectCaId) => (list.all(subjectCaId) as Raw[]).map(rowOf),
  };
}
