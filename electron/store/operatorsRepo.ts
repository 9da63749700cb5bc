// Repository of the operators (issue 14, docs/operators.md): one row per operator with their role, their key slot (the
// master key wrapped under a key derived from their own passphrase, with its KDF parameters and salt) and their own
// unlock throttle. Removing an operator overwrites the slot with zeros before deleting the row.
import { createHash } from 'node:crypto';
import type { OperatorInfo, OperatorRole } from '../../shared/operatorsContract.ts';
import type { Db } from './database.ts';
import type { KdfParams, ThrottleRow } from './storeMetaRepo.ts';

export const OPERATORS_SCHEMA_SQL = `
CREATE TABLE operators (
  name VARCHAR(64) PRIMARY KEY,
  role VARCHAR(24) NOT NULL CHECK (role IN ('viewer', 'station_operator', 'key_custodian', 'security_officer', 'admin')),
  kdf_params VARCHAR(200) NOT NULL,
  kdf_salt BLOB NOT NULL,
  wrapped_master BLOB NOT NULL,
  keychain_bound INTEGER NOT NULL,
  failed_attempts INTEGER NOT NULL,
  last_failure_ms BIGINT,
  created_at VARCHAR(40) NOT NULL,
  created_by VARCHAR(64) NOT NULL,
  passphrase_changed_at VARCHAR(40)
);
`;

/**
 * DDL of migration 18: an operator's authenticator (TOTP) secret, sealed under the master key (the active one, and one
 * pending until its first code confirms it), and the last time step whose code was accepted (replay protection); and
 * console-wide settings (the idle lock's time).
 */
export const OPERATOR_FACTORS_SCHEMA_SQL = `
CREATE TABLE operator_totp (
  operator VARCHAR(64) PRIMARY KEY,
  secret_sealed BLOB,
  pending_sealed BLOB,
  last_step BIGINT,
  enabled_at VARCHAR(40)
);
CREATE TABLE operator_tokens (
  operator VARCHAR(64) PRIMARY KEY,
  module_path VARCHAR(1024) NOT NULL,
  token_label VARCHAR(64) NOT NULL,
  key_label VARCHAR(128) NOT NULL,
  public_key VARCHAR(1000) NOT NULL,
  enabled_at VARCHAR(40) NOT NULL
);
CREATE TABLE console_settings (
  name VARCHAR(64) PRIMARY KEY,
  value VARCHAR(200) NOT NULL,
  updated_at VARCHAR(40) NOT NULL,
  updated_by VARCHAR(64) NOT NULL
);
`;

/**
 * DDL of migration 33: an operator's recovery codes (docs/operators.md "Recovery codes"), one row per code of the
 * current set: the code's slow hash (scrypt with the store's parameters and the set's own salt), and when it was used
 * (a used code's hash is overwritten with zeros).
 */
export const RECOVERY_CODES_SCHEMA_SQL = `
CREATE TABLE operator_recovery_codes (
  operator VARCHAR(64) NOT NULL,
  position INTEGER NOT NULL,
  kdf_params VARCHAR(200) NOT NULL,
  salt BLOB NOT NULL,
  code_hash BLOB NOT NULL,
  created_at VARCHAR(40) NOT NULL,
  used_at VARCHAR(40),
  PRIMARY KEY (operator, position)
);
`;

/** One recovery code of an operator's set, not yet used: its place in the set and how its hash was made. */
export interface RecoveryCodeRow {
  position: number;
  kdf: KdfParams;
  salt: Buffer;
  hash: Buffer;
}

/** An operator's TOTP factor: the sealed secrets (null when absent) and the last accepted time step. */
export interface OperatorTotpRow {
  secretSealed: Buffer | null;
  pendingSealed: Buffer | null;
  lastStep: number | null;
  enabledAt: string | null;
}

/** An operator's PKCS#11 token factor: where the key is and its public key (PEM), kept to verify the challenge. */
export interface OperatorTokenRow {
  modulePath: string;
  tokenLabel: string;
  keyLabel: string;
  publicKeyPem: string;
  enabledAt: string;
}

/** An operator's key slot: the master key wrapped under scrypt(passphrase, salt) with these parameters. */
export interface OperatorSlot {
  kdf: KdfParams;
  salt: Buffer;
  wrappedMaster: Buffer;
  keychainBound: boolean;
}

export interface OperatorRow {
  name: string;
  role: OperatorRole;
  slot: OperatorSlot;
  throttle: ThrottleRow;
  createdAt: string;
  createdBy: string;
  passphraseChangedAt: string | null;
}

/** An operator's row without their key slot: what operators:list shows. */
export type OperatorSummary = Omit<OperatorRow, 'slot'>;

interface RawOperator {
  name: string;
  role: OperatorRole;
  kdf_params: string;
  kdf_salt: Buffer;
  wrapped_master: Buffer;
  keychain_bound: number;
  failed_attempts: number;
  last_failure_ms: number | null;
  created_at: string;
  created_by: string;
  passphrase_changed_at: string | null;
}

export interface OperatorsRepo {
  count(): number;
  countWithRole(role: OperatorRole): number;
  get(name: string): OperatorRow | null;
  /** Every operator, by name. */
  list(): OperatorRow[];
  /** Every operator, by name, without the key slots (operators:list reads no wrapped key). */
  summaries(): OperatorSummary[];
  insert(row: OperatorRow): void;
  updateSlot(name: string, slot: OperatorSlot, changedAt: string): void;
  setRole(name: string, role: OperatorRole): void;
  setThrottle(name: string, throttle: ThrottleRow): void;
  /** Overwrites the slot (salt and wrapped key) and the sealed TOTP secrets with zeros, then deletes the rows. */
  wipe(name: string): void;
  /** The operator's TOTP row, or null when they never enrolled. */
  totp(name: string): OperatorTotpRow | null;
  /** Names of the operators with an active TOTP factor. */
  withTotp(): Set<string>;
  /** A new pending secret (replaces one not yet confirmed; the active one, if any, stays until confirmed). */
  setTotpPending(name: string, sealed: Buffer): void;
  /** The pending secret becomes the active one, the step of the confirming code its last used step. */
  activateTotp(name: string, step: number, at: string): void;
  /** Records the step of an accepted code (a code of this step or an earlier one is refused from then on). */
  setTotpLastStep(name: string, step: number): void;
  /** Overwrites the sealed secrets with zeros, then deletes the row (reset by an admin; removal). */
  clearTotp(name: string): void;
  /** The operator's token factor, or null. */
  token(name: string): OperatorTokenRow | null;
  setToken(name: string, token: OperatorTokenRow): void;
  clearToken(name: string): void;
  /** The operator's recovery codes not yet used. */
  recoveryCodes(name: string): RecoveryCodeRow[];
  /** Replaces the operator's set (the old one is overwritten with zeros and deleted). */
  replaceRecoveryCodes(name: string, rows: RecoveryCodeRow[], at: string): void;
  /** Marks a code used (its hash overwritten with zeros); false when it was already used or is not there. */
  useRecoveryCode(name: string, position: number, at: string): boolean;
  /** Overwrites the operator's codes with zeros, then deletes them (factor reset, removal). */
  clearRecoveryCodes(name: string): void;
  /**
   * The count of unused recovery codes at which the operator dismissed the few-codes reminder; null when never, or
   * when their codes changed since (a code used, a new set, a reset and a removal forget the dismissal).
   */
  recoveryReminderDismissedAt(name: string): number | null;
  setRecoveryReminderDismissedAt(name: string, count: number, at: string): void;
  /**
   * operators:list's columns, each in one query whatever the number of operators (or for the one `operator`); names no
   * longer in the operators table are not answered. The second factor of each operator: 'pkcs11' with a token
   * enrolled, else 'totp' with an authenticator app confirmed (an enrolment not confirmed counts for nothing), else 'none'.
   */
  secondFactors(operator?: string): Map<string, OperatorInfo['secondFactor']>;
  /** How many recovery codes each operator has not used yet; an operator without any is not in the map. */
  recoveryCodesLeft(operator?: string): Map<string, number>;
  /**
   * Each operator's newest successful session.unlock and store.init (the first run, for the first admin), from the
   * audit log's (actor, action, ts, seq) index: one probe per operator and action inside the one query.
   */
  lastSignIns(operator?: string): Map<string, { unlockAt: string | null; initAt: string | null }>;
  /**
   * Runs `fn` in one read transaction on the store (deferred: SQLite takes its snapshot at the first read, and every
   * later read in `fn` sees that snapshot, whatever another connection commits meanwhile), so the queries of
   * operators:list, this repository's and the approval keys' and incident kits' on the same store, describe one moment.
   * Nested in a transaction already open, it runs in that one. A PostgreSQL backend opens it REPEATABLE READ READ ONLY
   * (its default READ COMMITTED takes a new snapshot per statement).
   */
  readTransaction<T>(fn: () => T): T;
}

/** Console-wide settings by name (the idle lock's minutes), text values. */
export interface SettingsRepo {
  get(name: string): string | null;
  set(name: string, value: string, at: string, by: string): void;
}

export function createSettingsRepo(db: Db): SettingsRepo {
  const select = db.prepare('SELECT value FROM console_settings WHERE name = ?');
  const upsert = db.prepare(
    'INSERT INTO console_settings (name, value, updated_at, updated_by) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by',
  );
  return {
    get: (name) => (select.get(name) as { value: string } | undefined)?.value ?? null,
    set(name, value, at, by) {
      upsert.run(name, value, at, by);
    },
  };
}

/**
 * The list's column queries over every operator or one (`whereOperator`: a condition on o.name, or on operator for the
 * codes). Portable SQL: LEFT JOINs, CASE, a GROUP BY and scalar subqueries with ORDER BY ... LIMIT 1 (PostgreSQL runs
 * them as they are).
 */
const secondFactorsSql = (whereOperator: string) => `
SELECT o.name AS operator,
       CASE WHEN k.operator IS NOT NULL THEN 'pkcs11' WHEN t.secret_sealed IS NOT NULL THEN 'totp' ELSE 'none' END AS factor
FROM operators o
LEFT JOIN operator_tokens k ON k.operator = o.name
LEFT JOIN operator_totp t ON t.operator = o.name
WHERE ${whereOperator}`;
const codesLeftSql = (whereOperator: string) => `
SELECT c.operator, count(*) AS n
FROM operator_recovery_codes c
WHERE c.used_at IS NULL AND c.operator IN (SELECT o.name FROM operators o WHERE ${whereOperator})
GROUP BY c.operator`;
const lastSuccessOf = (action: string) =>
  `(SELECT a.ts FROM audit_records a WHERE a.actor = o.name AND a.action = '${action}' AND a.outcome = 'success' ORDER BY a.ts DESC, a.seq DESC LIMIT 1)`;
const lastSignInsSql = (whereOperator: string) => `
SELECT o.name AS operator, ${lastSuccessOf('session.unlock')} AS unlock_at, ${lastSuccessOf('store.init')} AS init_at
FROM operators o
WHERE ${whereOperator}`;

interface RawTotp {
  secret_sealed: Buffer | null;
  pending_sealed: Buffer | null;
  last_step: number | null;
  enabled_at: string | null;
}

const toSummary = (r: Omit<RawOperator, 'kdf_params' | 'kdf_salt' | 'wrapped_master' | 'keychain_bound'>): OperatorSummary => ({
  name: r.name,
  role: r.role,
  throttle: { failedAttempts: r.failed_attempts, lastFailureMs: r.last_failure_ms },
  createdAt: r.created_at,
  createdBy: r.created_by,
  passphraseChangedAt: r.passphrase_changed_at,
});
const toRow = (r: RawOperator): OperatorRow => ({
  ...toSummary(r),
  slot: { kdf: JSON.parse(r.kdf_params) as KdfParams, salt: r.kdf_salt, wrappedMaster: r.wrapped_master, keychainBound: r.keychain_bound === 1 },
});

export function createOperatorsRepo(db: Db): OperatorsRepo {
  const count = db.prepare('SELECT count(*) AS n FROM operators');
  const countRole = db.prepare('SELECT count(*) AS n FROM operators WHERE role = ?');
  const select = db.prepare('SELECT * FROM operators WHERE name = ?');
  const selectAll = db.prepare('SELECT * FROM operators ORDER BY name');
  const selectSummaries = db.prepare('SELECT name, role, failed_attempts, last_failure_ms, created_at, created_by, passphrase_changed_at FROM operators ORDER BY name');
  const insert = db.prepare(
    `INSERT INTO operators (name, role, kdf_params, kdf_salt, wrapped_master, keychain_bound, failed_attempts, last_failure_ms, created_at, created_by, passphrase_changed_at)
     VALUES (@name, @role, @kdf, @salt, @wrapped, @bound, @failed, @lastFailure, @createdAt, @createdBy, @changedAt)`,
  );
  const updateSlot = db.prepare('UPDATE operators SET kdf_params = ?, kdf_salt = ?, wrapped_master = ?, keychain_bound = ?, passphrase_changed_at = ? WHERE name = ?');
  const updateRole = db.prepare('UPDATE operators SET role = ? WHERE name = ?');
  const updateThrottle = db.prepare('UPDATE operators SET failed_attempts = ?, last_failure_ms = ? WHERE name = ?');
  const overwrite = db.prepare('UPDATE operators SET kdf_salt = ?, wrapped_master = ? WHERE name = ?');
  const remove = db.prepare('DELETE FROM operators WHERE name = ?');
  const selectTotp = db.prepare('SELECT secret_sealed, pending_sealed, last_step, enabled_at FROM operator_totp WHERE operator = ?');
  const selectWithTotp = db.prepare('SELECT operator FROM operator_totp WHERE secret_sealed IS NOT NULL').pluck();
  const upsertPending = db.prepare(
    'INSERT INTO operator_totp (operator, secret_sealed, pending_sealed, last_step, enabled_at) VALUES (?, NULL, ?, NULL, NULL) ON CONFLICT (operator) DO UPDATE SET pending_sealed = excluded.pending_sealed',
  );
  const activate = db.prepare('UPDATE operator_totp SET secret_sealed = pending_sealed, pending_sealed = NULL, last_step = ?, enabled_at = ? WHERE operator = ? AND pending_sealed IS NOT NULL');
  const updateStep = db.prepare('UPDATE operator_totp SET last_step = ? WHERE operator = ?');
  const overwriteTotp = db.prepare('UPDATE operator_totp SET secret_sealed = ?, pending_sealed = ? WHERE operator = ?');
  const removeTotp = db.prepare('DELETE FROM operator_totp WHERE operator = ?');
  const selectToken = db.prepare('SELECT module_path, token_label, key_label, public_key, enabled_at FROM operator_tokens WHERE operator = ?');
  const upsertToken = db.prepare(
    `INSERT INTO operator_tokens (operator, module_path, token_label, key_label, public_key, enabled_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (operator) DO UPDATE SET module_path = excluded.module_path, token_label = excluded.token_label, key_label = excluded.key_label, public_key = excluded.public_key, enabled_at = excluded.enabled_at`,
  );
  const removeToken = db.prepare('DELETE FROM operator_tokens WHERE operator = ?');
  const zeroed = (b: Buffer | null) => (b === null ? null : Buffer.alloc(b.length));
  const selectCodes = db.prepare('SELECT position, kdf_params, salt, code_hash FROM operator_recovery_codes WHERE operator = ? AND used_at IS NULL ORDER BY position');
  const insertCode = db.prepare('INSERT INTO operator_recovery_codes (operator, position, kdf_params, salt, code_hash, created_at, used_at) VALUES (?, ?, ?, ?, ?, ?, NULL)');
  const useCode = db.prepare('UPDATE operator_recovery_codes SET used_at = ?, code_hash = ? WHERE operator = ? AND position = ? AND used_at IS NULL');
  const zeroCodes = db.prepare('UPDATE operator_recovery_codes SET code_hash = ?, salt = ? WHERE operator = ?');
  const removeCodes = db.prepare('DELETE FROM operator_recovery_codes WHERE operator = ?');
  // The reminder's dismissal is a console_settings row per operator (no table of its own). Names and the column are
  // both up to 64 characters, so the row is named by a hash of the operator's name.
  const reminderSetting = (name: string) => `recovery_reminder/${createHash('sha256').update(name.normalize('NFC'), 'utf8').digest('hex').slice(0, 40)}`;
  const selectSetting = db.prepare('SELECT value FROM console_settings WHERE name = ?').pluck();
  const upsertSetting = db.prepare(
    'INSERT INTO console_settings (name, value, updated_at, updated_by) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by',
  );
  const removeSetting = db.prepare('DELETE FROM console_settings WHERE name = ?');
  const listColumn = <R>(sql: (where: string) => string) => {
    const every = db.prepare(sql('1 = 1'));
    const one = db.prepare(sql('o.name = ?'));
    return (operator?: string): R[] => (operator === undefined ? every.all() : one.all(operator)) as R[];
  };
  const selectFactors = listColumn<{ operator: string; factor: OperatorInfo['secondFactor'] }>(secondFactorsSql);
  const selectCodesLeft = listColumn<{ operator: string; n: number }>(codesLeftSql);
  const selectSignIns = listColumn<{ operator: string; unlock_at: string | null; init_at: string | null }>(lastSignInsSql);
  const forgetReminder = (name: string) => removeSetting.run(reminderSetting(name));
  const clearRecoveryCodes = (name: string) => {
    zeroCodes.run(Buffer.alloc(32), Buffer.alloc(16), name);
    removeCodes.run(name);
    forgetReminder(name);
  };
  const clearTotp = (name: string) => {
    const t = selectTotp.get(name) as RawTotp | undefined;
    if (!t) return;
    overwriteTotp.run(zeroed(t.secret_sealed), zeroed(t.pending_sealed), name);
    removeTotp.run(name);
  };

  const inReadTransaction = db.transaction((fn: () => unknown) => fn());

  return {
    readTransaction: <T>(fn: () => T): T => inReadTransaction.deferred(fn) as T,
    count: () => (count.get() as { n: number }).n,
    countWithRole: (role) => (countRole.get(role) as { n: number }).n,
    get(name) {
      const r = select.get(name) as RawOperator | undefined;
      return r ? toRow(r) : null;
    },
    list: () => (selectAll.all() as RawOperator[]).map(toRow),
    summaries: () => (selectSummaries.all() as Parameters<typeof toSummary>[0][]).map(toSummary),
    insert(row) {
      insert.run({
        name: row.name,
        role: row.role,
        kdf: JSON.stringify(row.slot.kdf),
        salt: row.slot.salt,
        wrapped: row.slot.wrappedMaster,
        bound: row.slot.keychainBound ? 1 : 0,
        failed: row.throttle.failedAttempts,
        lastFailure: row.throttle.lastFailureMs,
        createdAt: row.createdAt,
        createdBy: row.createdBy,
        changedAt: row.passphraseChangedAt,
      });
    },
    updateSlot(name, slot, changedAt) {
      updateSlot.run(JSON.stringify(slot.kdf), slot.salt, slot.wrappedMaster, slot.keychainBound ? 1 : 0, changedAt, name);
    },
    setRole(name, role) {
      updateRole.run(role, name);
    },
    setThrottle(name, t) {
      updateThrottle.run(t.failedAttempts, t.lastFailureMs, name);
    },
    wipe(name) {
      const r = select.get(name) as RawOperator | undefined;
      if (!r) return;
      overwrite.run(Buffer.alloc(r.kdf_salt.length), Buffer.alloc(r.wrapped_master.length), name);
      remove.run(name);
      clearTotp(name);
      removeToken.run(name);
      clearRecoveryCodes(name);
    },
    token(name) {
      const t = selectToken.get(name) as { module_path: string; token_label: string; key_label: string; public_key: string; enabled_at: string } | undefined;
      return t ? { modulePath: t.module_path, tokenLabel: t.token_label, keyLabel: t.key_label, publicKeyPem: t.public_key, enabledAt: t.enabled_at } : null;
    },
    setToken(name, t) {
      upsertToken.run(name, t.modulePath, t.tokenLabel, t.keyLabel, t.publicKeyPem, t.enabledAt);
    },
    clearToken(name) {
      removeToken.run(name);
    },
    recoveryCodes: (name) =>
      (selectCodes.all(name) as Array<{ position: number; kdf_params: string; salt: Buffer; code_hash: Buffer }>).map((r) => ({
        position: r.position,
        kdf: JSON.parse(r.kdf_params) as KdfParams,
        salt: r.salt,
        hash: r.code_hash,
      })),
    replaceRecoveryCodes(name, rows, at) {
      clearRecoveryCodes(name);
      for (const r of rows) insertCode.run(name, r.position, JSON.stringify(r.kdf), r.salt, r.hash, at);
    },
    useRecoveryCode(name, position, at) {
      const used = useCode.run(at, Buffer.alloc(32), name, position).changes === 1;
      if (used) forgetReminder(name);
      return used;
    },
    clearRecoveryCodes,
    recoveryReminderDismissedAt(name) {
      const value = selectSetting.get(reminderSetting(name)) as string | undefined;
      return value === undefined ? null : Number(value);
    },
    setRecoveryReminderDismissedAt(name, count, at) {
      upsertSetting.run(reminderSetting(name), String(count), at, name);
    },
    totp(name) {
      const t = selectTotp.get(name) as RawTotp | undefined;
      return t ? { secretSealed: t.secret_sealed, pendingSealed: t.pending_sealed, lastStep: t.last_step, enabledAt: t.enabled_at } : null;
    },
    withTotp: () => new Set(selectWithTotp.all() as string[]),
    setTotpPending(name, sealed) {
      upsertPending.run(name, sealed);
    },
    activateTotp(name, step, at) {
      activate.run(step, at, name);
    },
    setTotpLastStep(name, step) {
      updateStep.run(step, name);
    },
    clearTotp,
    secondFactors: (operator) => new Map(selectFactors(operator).map((r) => [r.operator, r.factor])),
    recoveryCodesLeft: (operator) => new Map(selectCodesLeft(operator).map((r) => [r.operator, r.n])),
    lastSignIns: (operator) => new Map(selectSignIns(operator).map((r) => [r.operator, { unlockAt: r.unlock_at, initAt: r.init_at }])),
  };
}
