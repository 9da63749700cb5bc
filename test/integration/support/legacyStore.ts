// A store turned back into its form before operators (migration 15): the master key wrapped once in store_meta under
// one shared passphrase (docs/key-store.md, "the single wrapping"), no operators table, and the schema rows of
// migration 15 and every later one removed (a later one would stop 15 from running again). Tests that make an older
// store (operators-slots, key-usage's version-7 store) start from here.
import crypto from 'node:crypto';
import { open as gcmOpen, seal as gcmSeal } from '../../../electron/crypto/aead.ts';
import { FAST_KDF, withRawDb } from '../../unit/store-testkit.ts';

/**
 * The tables each migration from 16 on creates, children before parents. A test that turns a store back to before
 * version V drops the tables of V and of every later version and removes their schema rows: the runner applies only
 * versions above the highest recorded one, so a later row left behind would stop V from running again.
 * A new migration adds its line here.
 */
const LATER_TABLES: ReadonlyArray<readonly [version: number, tables: readonly string[]]> = [
  [16, ['lockdown_orders']],
  [17, ['emergency_run_actions', 'emergency_runs', 'robot_tags']],
  [18, ['operator_totp', 'operator_tokens', 'console_settings']],
  [19, ['approval_votes', 'approval_requests', 'approval_policies', 'approval_keys']],
  [20, ['recovery_shares', 'recovery_share_sets']],
  [21, ['incident_kits']],
  [22, ['robot_certificate_renewals', 'fleet_ca_transitions']],
  [23, ['lockdown_deliveries', 'lockdown_order_files', 'fleet_crls']],
  [26, ['field_contacts']],
  [29, ['key_version_reinstatements']],
  [33, ['operator_recovery_codes']],
  [37, []], // adds lockdown_deliveries.ca_id (dropped with migration 23's tables)
  [38, ['robot_ca_endorsements']],
  [39, ['key_version_materials']],
  [40, ['approval_keys_revoked']],
  [41, ['fleet_certificate_ders', 'robot_certificate_pems']], // and the bodies' columns back (UNDO below)
  [42, []], // replaces robot_certificates' expiry index (UNDO below)
  [43, ['fleet_ca_cross_certificates']],
];

/** What a migration changed in earlier tables, undone before its own tables go (their rows moved back). */
const UNDO: Readonly<Record<number, string>> = {
  // Migration 41 moved the certificates' bodies out of fleet_certificates and robot_certificates.
  41: `ALTER TABLE fleet_certificates ADD COLUMN cert_der BLOB NOT NULL DEFAULT X'';
    UPDATE fleet_certificates SET cert_der = (SELECT d.cert_der FROM fleet_certificate_ders d WHERE d.ca_id = fleet_certificates.ca_id AND d.serial = fleet_certificates.serial);
    ALTER TABLE robot_certificates ADD COLUMN pem TEXT NOT NULL DEFAULT '';
    UPDATE robot_certificates SET pem = (SELECT p.pem FROM robot_certificate_pems p WHERE p.serial = robot_certificates.serial);`,
  // Migration 42 made the registry copies' expiry index partial (active copies only).
  42: `DROP INDEX robot_certificates_active_expiry;
    CREATE INDEX robot_certificates_expiry ON robot_certificates (status, not_after);`,
};

/** Drops the tables of migration `version` and every later one and removes their schema rows (see LATER_TABLES). */
export function rollBackMigrations(db: { exec(sql: string): unknown }, version: number): void {
  for (const [v, tables] of [...LATER_TABLES].reverse()) {
    if (v < version) continue;
    if (UNDO[v]) db.exec(UNDO[v]);
    for (const t of tables) db.exec(`DROP TABLE ${t}`);
  }
  db.exec(`DELETE FROM schema_migrations WHERE version >= ${Number(version)}`);
}

/** The master key from an operator's slot, by the documented recipe. */
export function masterFromSlot(dir: string, operator: string, passphrase: string): Buffer | null {
  const row = withRawDb(dir, (db) => db.prepare('SELECT m.store_id, o.kdf_params, o.kdf_salt, o.wrapped_master FROM store_meta m, operators o WHERE o.name = ?').get(operator)) as
    | { store_id: string; kdf_params: string; kdf_salt: Buffer; wrapped_master: Buffer }
    | undefined;
  if (!row) return null;
  const kdf = JSON.parse(row.kdf_params) as { N: number; r: number; p: number };
  const kek = crypto.scryptSync(Buffer.from(passphrase.normalize('NFC'), 'utf8'), row.kdf_salt, 32, kdf);
  return gcmOpen(kek, row.wrapped_master, Buffer.from(`ecps/master-slot/v1|${row.store_id}|${operator}|N=${kdf.N},r=${kdf.r},p=${kdf.p}`, 'utf8'));
}

/**
 * Rewrites a closed store (made by `operator` with `passphrase`) into its pre-operators form, its master key wrapped
 * under `legacyPassphrase`. Tables of migrations after 15 are dropped too (`laterTables`), as their rows go.
 */
export function makePreOperatorsStore(dir: string, o: { operator: string; passphrase: string; legacyPassphrase: string }): void {
  const master = masterFromSlot(dir, o.operator, o.passphrase);
  if (!master) throw new Error(`no slot for ${o.operator}`);
  withRawDb(dir, (db) => {
    const storeId = db.prepare('SELECT store_id FROM store_meta').pluck().get() as string;
    const salt = crypto.randomBytes(16);
    const kek = crypto.scryptSync(Buffer.from(o.legacyPassphrase, 'utf8'), salt, 32, FAST_KDF);
    // The single wrapping's AAD (docs/key-store.md): store id and scrypt parameters.
    const aad = Buffer.from(`ecps/master/v1|${storeId}|N=${FAST_KDF.N},r=${FAST_KDF.r},p=${FAST_KDF.p}`, 'utf8');
    db.prepare('UPDATE store_meta SET kdf_params = ?, kdf_salt = ?, wrapped_master = ?, keychain_bound = 0').run(JSON.stringify(FAST_KDF), salt, gcmSeal(kek, master, aad));
    rollBackMigrations(db, 16);
    db.exec('DROP TABLE operators');
    db.prepare('DELETE FROM schema_migrations WHERE version >= 15').run();
  });
}
