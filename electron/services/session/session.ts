// The operator session: creating the store (first run, its first operator an admin), unlocking it as a named operator
// with their own passphrase (their key slot, docs/operators.md), throttling wrong attempts per operator, changing the
// signed-in operator's passphrase and locking. Holds the master key (via the keyring) only while unlocked.
import crypto from 'node:crypto';
import type { SessionStatus } from '../../../shared/contract.ts';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import { MIN_PASSPHRASE_CHARS, passphraseLength } from '../../../shared/domain.ts';
import type { Clock } from '../../clock.ts';
import type { OperatorRole } from '../../../shared/operatorsContract.ts';
import { open } from '../../crypto/aead.ts';
import { deriveKek, SALT_BYTES } from '../../crypto/kdf.ts';
import { createStoreKeyring, masterAad, type StoreKeyring } from '../../crypto/storeKeyring.ts';
import type { Logger } from '../../logger.ts';
import type { OperatorRow, OperatorSlot, OperatorsRepo } from '../../store/operatorsRepo.ts';
import type { KdfParams, StoreMetaRepo, StoreMetaRow, ThrottleRow } from '../../store/storeMetaRepo.ts';
import type { AuditLog, AuditSigner } from '../audit/auditLog.ts';
import { createSlotCrypto, type Keychain, sealRaw, slotAad } from '../operators/keySlots.ts';
import { afterFailure, retryAfterMs, throttleGate as sharedGate } from './sessionThrottle.ts';
import { verifyTotp } from '../secondFactor/totp.ts';
import { tokenProves } from '../secondFactor/tokenFactor.ts';
import { matchRecoveryCode } from '../recoveryCodes/recoveryCodes.ts';

export type { Keychain } from '../operators/keySlots.ts';

export interface SessionDeps {
  meta: StoreMetaRepo;
  operators: OperatorsRepo;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  kdf: KdfParams;
  keychain?: Keychain;
  storePath: string;
  /** Runs fn in one database transaction. */
  transaction<T>(fn: () => T): T;
  onChange(status: SessionStatus): void;
}

export interface UnlockedSession {
  readonly operator: string;
  /** The signed-in operator's role (kept current when an admin changes it). */
  role: OperatorRole;
  readonly storeId: string;
  readonly keyring: StoreKeyring;
}

export interface Session {
  status(): SessionStatus;
  init(operator: string, passphrase: string): Promise<SessionStatus>;
  /** `factor`: the authenticator code or the token's PIN, needed when the operator has a second factor (docs/operators.md). */
  unlock(operator: string, passphrase: string, factor?: SecondFactorInput): Promise<SessionStatus>;
  /** Locks; `reason` (idle, suspend, screen_lock, hidden) goes into the audited session.lock record. */
  lock(reason?: LockReason): SessionStatus;
  /** The signed-in operator's own passphrase: a new slot under a new salt; the master key and key rows are untouched. */
  changePassphrase(current: string, next: string): Promise<void>;
  /** A new key slot for another operator, sealed from the master key in memory (unlocked only). */
  makeSlot(operator: string, passphrase: string): Promise<OperatorSlot>;
  /**
   * The recovery ceremony's end (docs/recovery-and-backup.md): `master` (rebuilt from shares) must be this store's
   * master key, checked against the audit key's MAC; then `operator` gets an admin slot under `passphrase` (a new
   * operator, or an existing one whose slot is replaced and who becomes admin) and is signed in. Zeroes `master`.
   * Throws integrity_failure (reason master_mismatch) for another key; audits `recovery.recover` either way.
   */
  recoverAdmin(master: Buffer, operator: string, passphrase: string, details: Record<string, string | number>): Promise<{ created: boolean; storeId: string; operator: string }>;
  /** The store's id, locked or not (not_initialized before the store exists). */
  storeId(): string;
  /** The throttle row of a name (an operator's own; the shared one for names that are not operators). */
  throttleOf(operator: string): ThrottleRow;
  /** The signed-in operator's role, or null when locked. */
  role(): OperatorRole | null;
  /** The unlocked session, or throws not_initialized / locked. */
  require(): UnlockedSession;
  /** Who audit records name: the operator when unlocked, else 'unknown'. */
  actor(): string;
  /** Locks without emitting an event (console shutdown); no-op when locked. */
  close(): void;
}

/** What an unlock carries for the operator's second factor. */
export interface SecondFactorInput {
  totp?: string | undefined;
  tokenPin?: string | undefined;
  /** One of the operator's recovery codes, instead of the code or the PIN (a lost authenticator or token). */
  recoveryCode?: string | undefined;
}

/** What proved the second factor at an unlock (the audit record's `secondFactor`). */
type UsedFactor = 'totp' | 'pkcs11' | 'recovery_code';

/** Why the main process locked the session by itself (docs/operators.md "Idle lock"). */
export type LockReason = 'idle' | 'suspend' | 'screen_lock' | 'hidden';

function checkStrength(passphrase: string): void {
  if (passphraseLength(passphrase) < MIN_PASSPHRASE_CHARS) {
    throw new ConsoleError('weak_passphrase', `The passphrase must have at least ${MIN_PASSPHRASE_CHARS} characters.`);
  }
}

export function createSession(deps: SessionDeps): Session {
  const { meta, audit, clock, logger } = deps;
  let current: UnlockedSession | null = null;
  // Set by close(): an unlock still deriving its key must not touch the closed database afterwards.
  let closing = false;
  const notClosing = () => {
    if (closing) throw new ConsoleError('locked', 'The console is closing.');
  };
  // Serialises passphrase attempts so parallel calls cannot bypass the throttle.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const guarded = () => {
      notClosing();
      return fn();
    };
    const run = queue.then(guarded, guarded);
    queue = run.catch(() => undefined);
    return run;
  };

  const status = (): SessionStatus => {
    const row = meta.get();
    const auditAlarm = audit.alarm();
    return {
      state: row === null ? 'uninitialized' : current ? 'unlocked' : 'locked',
      operator: current?.operator ?? null,
      role: current?.role ?? null,
      // Per operator since issue 14. The status names no operator: it shows the longer of the shared wait (unknown
      // names, a store not yet migrated) and the wait of the operator whose passphrase failed last in this process, so
      // a reloaded window still shows the pause. Only a hint for the window: the main process throttles per operator.
      retryAfterMs: row === null ? 0 : Math.max(retryAfterMs(meta.getThrottle(), clock.now()), lastFailedWait()),
      storePath: deps.storePath,
      ...(auditAlarm ? { auditAlarm } : {}),
    };
  };

  const changed = () => {
    const s = status();
    deps.onChange(s);
    return s;
  };

  const failure = (actor: string, action: string, e: unknown): never => {
    if (closing) throw new ConsoleError('locked', 'The console is closing.');
    const err = isConsoleError(e) ? e : new ConsoleError('internal', `${action} failed unexpectedly.`);
    if (!isConsoleError(e)) logger.error(`${action} failed`, { error: e instanceof Error ? e.name : 'unknown' });
    audit.append({ actor, action, targetType: 'store', targetId: null, outcome: 'failure', details: { code: err.code } });
    throw err;
  };

  const requireUnlocked = (): UnlockedSession => {
    if (current) return current;
    if (meta.get() === null) throw new ConsoleError('not_initialized', 'No key store exists in this folder yet; create it first.');
    throw new ConsoleError('locked', 'The key store is locked; unlock it with the operator passphrase.');
  };

  const slots = createSlotCrypto(deps.keychain, () => closing);
  const { operators } = deps;
  // The operator whose passphrase failed last (in memory only), for the status' hint; cleared when they unlock.
  let lastFailed: string | null = null;
  const lastFailedWait = () => {
    const t = lastFailed === null ? null : operators.get(lastFailed)?.throttle;
    return t ? retryAfterMs(t, clock.now()) : 0;
  };

  /** The throttle of a name: the operator's own row, or the shared row (unknown names, a legacy store). */
  const throttleOf = (name: string): ThrottleRow => operators.get(name)?.throttle ?? meta.getThrottle();
  const setThrottleOf = (op: OperatorRow | null, t: ThrottleRow) => (op ? operators.setThrottle(op.name, t) : meta.setThrottle(t));

  const throttleGate = (t: ThrottleRow) => sharedGate(t, clock.now());

  /** Counts a failure against the operator (or the shared row) and throws wrong_passphrase with the wait it causes. */
  const wrongPassphrase = (op: OperatorRow | null): never => {
    const t = op ? op.throttle : meta.getThrottle();
    const next = afterFailure(t, clock.now());
    setThrottleOf(op, next);
    if (op) lastFailed = op.name;
    const wait = retryAfterMs(next, clock.now());
    throw new ConsoleError('wrong_passphrase', 'The passphrase is wrong.', wait > 0 ? { retryAfterMs: wait } : undefined);
  };

  /** Opens the operator's slot with the passphrase; an unknown name costs the same derivation and the same answer. */
  const openSlotOf = async (row: StoreMetaRow, op: OperatorRow | null, passphrase: string): Promise<Buffer> => {
    if (op === null) {
      const kek = await deriveKek(passphrase, crypto.randomBytes(SALT_BYTES), deps.kdf);
      kek.fill(0);
      notClosing();
      return wrongPassphrase(null);
    }
    const master = await slots.open(op.slot, row.storeId, op.name, passphrase);
    if (master === null) return wrongPassphrase(op);
    return master;
  };

  /** The operator proved who they are (passphrase, and the code when they have a factor): their throttle starts over. */
  const succeeded = (op: OperatorRow) => {
    operators.setThrottle(op.name, { failedAttempts: 0, lastFailureMs: null });
    if (lastFailed === op.name) lastFailed = null;
  };

  /** Counts a failed second factor against the operator's throttle and throws the code's own error. */
  const refuseFactor = (op: OperatorRow, code: 'second_factor_required' | 'wrong_second_factor', factor: 'totp' | 'pkcs11' | 'recovery_code'): never => {
    const next = afterFailure(op.throttle, clock.now());
    operators.setThrottle(op.name, next);
    lastFailed = op.name;
    const wait = retryAfterMs(next, clock.now());
    const message =
      factor === 'recovery_code'
        ? 'The recovery code is wrong or was already used.'
        : factor === 'pkcs11'
        ? code === 'second_factor_required'
          ? "This operator signs in with a token too; enter the token's PIN."
          : "The token refused the PIN, or it does not hold this operator's key."
        : code === 'second_factor_required'
          ? 'This operator signs in with an authenticator code too; enter the code.'
          : 'The authenticator code is wrong, expired or already used.';
    throw new ConsoleError(code, message, { factor, ...(wait > 0 ? { retryAfterMs: wait } : {}) });
  };

  /**
   * The operator's second factor, once the passphrase opened their slot: without a factor nothing to check; with one,
   * the code must match a step after the last accepted one (which is then recorded, so the code cannot be replayed).
   */
  const checkSecondFactor = async (op: OperatorRow, keyring: StoreKeyring, factor: SecondFactorInput, storeId: string): Promise<UsedFactor | null> => {
    const token = operators.token(op.name);
    const t = operators.totp(op.name);
    if (!token && !t?.secretSealed) return null;
    if (factor.recoveryCode !== undefined && factor.recoveryCode.trim() !== '') {
      await useRecoveryCode(op, factor.recoveryCode, storeId);
      return 'recovery_code';
    }
    if (token) {
      if (!factor.tokenPin) return refuseFactor(op, 'second_factor_required', 'pkcs11');
      let proved = false;
      try {
        proved = await tokenProves(token, token.publicKeyPem, factor.tokenPin);
      } catch (e) {
        if (!(isConsoleError(e) && e.code === 'wrong_second_factor')) throw e;
      }
      notClosing();
      if (!proved) return refuseFactor(op, 'wrong_second_factor', 'pkcs11');
      return 'pkcs11';
    }
    if (!t?.secretSealed) return null;
    const code = factor.totp;
    if (code === undefined || code.trim() === '') return refuseFactor(op, 'second_factor_required', 'totp');
    const secret = keyring.openOperatorSecret(op.name, t.secretSealed);
    if (secret === null) throw new ConsoleError('integrity_failure', `The stored second factor of ${op.name} failed its integrity check; an admin can reset it.`);
    try {
      const verdict = verifyTotp({ secret, code, nowMs: clock.now(), lastStep: t.lastStep });
      if (!verdict.ok) return refuseFactor(op, 'wrong_second_factor', 'totp');
      operators.setTotpLastStep(op.name, verdict.step);
      return 'totp';
    } finally {
      secret.fill(0);
    }
  };

  /**
   * A recovery code instead of the factor (docs/operators.md "Recovery codes"): it must be one of the operator's unused
   * codes; it is then used up (in the same transaction as its audit record, with the count left). A wrong or used code
   * counts against the operator's throttle like a wrong factor. Unlocks run one at a time, so a code cannot be spent
   * twice by two calls at once.
   */
  const useRecoveryCode = async (op: OperatorRow, code: string, storeId: string): Promise<void> => {
    const position = await matchRecoveryCode(operators.recoveryCodes(op.name), storeId, op.name, code);
    notClosing();
    const at = new Date(clock.now()).toISOString();
    const used = position !== null && deps.transaction(() => {
      if (!operators.useRecoveryCode(op.name, position, at)) return false;
      const remaining = operators.recoveryCodes(op.name).length;
      audit.append({ actor: op.name, action: 'operator.recoveryCode.used', targetType: 'operator', targetId: op.name, outcome: 'success', details: { remaining } });
      return true;
    });
    if (!used) {
      audit.append({ actor: op.name, action: 'operator.recoveryCode.used', targetType: 'operator', targetId: op.name, outcome: 'failure', details: { code: 'wrong_second_factor', remaining: operators.recoveryCodes(op.name).length } });
      refuseFactor(op, 'wrong_second_factor', 'recovery_code');
    }
  };

  /**
   * A store made before operators existed: its one wrapping opens with the old shared passphrase and becomes the
   * slot of the operator named now, an admin; the old wrapping is then wiped (docs/operators.md, "Migration").
   */
  const openLegacy = async (row: StoreMetaRow, operator: string, passphrase: string): Promise<Buffer> => {
    const sealed = slots.unprotect(row.wrappedMaster, row.keychainBound);
    const kek = await deriveKek(passphrase, row.kdfSalt, row.kdf);
    try {
      notClosing();
      const master = open(kek, sealed, masterAad(row.storeId, row.kdf));
      if (master === null) return wrongPassphrase(null);
      const slot = slots.slotOf(Buffer.from(row.kdfSalt), row.kdf, sealRaw(master)(kek, slotAad(row.storeId, operator, row.kdf)));
      const now = new Date(clock.now()).toISOString();
      deps.transaction(() => {
        operators.insert({ name: operator, role: 'admin', slot, throttle: { failedAttempts: 0, lastFailureMs: null }, createdAt: now, createdBy: operator, passphraseChangedAt: null });
        meta.clearMasterWrapping();
        meta.setThrottle({ failedAttempts: 0, lastFailureMs: null });
        audit.append({ actor: operator, action: 'operator.migrated', targetType: 'operator', targetId: operator, outcome: 'success', details: { role: 'admin' } });
      });
      logger.info('single-passphrase store migrated to key slots', { operator });
      return master;
    } finally {
      kek.fill(0);
    }
  };

  const startSession = (row: StoreMetaRow, operator: string, role: OperatorRole, keyring: StoreKeyring): void => {
    const expectedMac = keyring.macAuditPublicKey(row.auditPublicSpki);
    const macOk = expectedMac.length === row.auditPublicMac.length && crypto.timingSafeEqual(expectedMac, row.auditPublicMac);
    const privateDer = macOk ? keyring.unwrapAuditKey(row.auditPrivateWrapped) : null;
    current?.keyring.destroy();
    current = { operator, role, storeId: row.storeId, keyring };
    if (privateDer === null) {
      // No fallback to the key stored in the database: verify and export refuse, and the window shows the alarm.
      const reason = macOk
        ? 'the stored audit private key does not unwrap under the master key'
        : 'the MAC of the stored audit public key does not match';
      audit.setKey({ state: 'untrusted', reason });
      logger.error('audit key failed its integrity check; the audit chain cannot be verified or signed', { storeId: row.storeId });
      audit.append({ actor: operator, action: 'audit.key_check', targetType: 'audit', targetId: null, outcome: 'failure', details: { code: 'integrity_failure' } });
      return;
    }
    const privateKey = crypto.createPrivateKey({ key: privateDer, format: 'der', type: 'pkcs8' });
    privateDer.fill(0);
    const signer: AuditSigner = { publicKeySpki: Buffer.from(row.auditPublicSpki), sign: (m) => crypto.sign(null, m, privateKey) };
    audit.setSigner(signer);
  };

  const endSession = () => {
    if (!current) return;
    try {
      audit.checkpoint();
    } finally {
      audit.setSigner(null);
      current.keyring.destroy();
      current = null;
    }
  };

  return {
    status,

    init(operator, passphrase) {
      return serial(async () => {
        try {
          if (meta.get() !== null) throw new ConsoleError('already_initialized', 'A key store already exists in this folder.');
          checkStrength(passphrase);
          const storeId = crypto.randomUUID();
          const kdf = deps.kdf;
          const master = crypto.randomBytes(32);
          let slot: OperatorSlot;
          try {
            slot = await slots.make({ storeId, operator, passphrase, kdf, seal: sealRaw(master) });
          } catch (e) {
            master.fill(0);
            throw e;
          }
          const keyring = createStoreKeyring(master, storeId);
          const pair = crypto.generateKeyPairSync('ed25519');
          const spki = pair.publicKey.export({ format: 'der', type: 'spki' });
          const pkcs8 = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
          const now = new Date(clock.now()).toISOString();
          // The master key lives only in operators' slots: the store's own wrapping fields stay empty.
          const row: StoreMetaRow = {
            storeId,
            createdAt: now,
            kdf,
            kdfSalt: Buffer.alloc(0),
            wrappedMaster: Buffer.alloc(0),
            keychainBound: slot.keychainBound,
            auditPublicSpki: spki,
            auditPublicMac: keyring.macAuditPublicKey(spki),
            auditPrivateWrapped: keyring.wrapAuditKey(pkcs8),
          };
          pkcs8.fill(0);
          keyring.destroy();
          try {
            deps.transaction(() => {
              meta.insert(row);
              meta.setThrottle({ failedAttempts: 0, lastFailureMs: null });
              operators.insert({ name: operator, role: 'admin', slot, throttle: { failedAttempts: 0, lastFailureMs: null }, createdAt: now, createdBy: operator, passphraseChangedAt: null });
              audit.append({ actor: operator, action: 'store.init', targetType: 'store', targetId: storeId, outcome: 'success', details: { keychainBound: slot.keychainBound, kdfN: kdf.N, role: 'admin' } });
            });
          } catch (e) {
            master.fill(0);
            throw e;
          }
          const sessionKeyring = createStoreKeyring(master, storeId);
          master.fill(0);
          startSession(row, operator, 'admin', sessionKeyring);
          logger.info('key store created', { storeId, keychainBound: slot.keychainBound });
          return changed();
        } catch (e) {
          return failure(operator, 'store.init', e);
        }
      });
    },

    unlock(operator, passphrase, factor = {}) {
      return serial(async () => {
        try {
          const row = meta.get();
          if (row === null) throw new ConsoleError('not_initialized', 'No key store exists in this folder yet; create it first.');
          const legacy = operators.count() === 0;
          const op = legacy ? null : operators.get(operator);
          throttleGate(op ? op.throttle : meta.getThrottle());
          let master: Buffer;
          try {
            master = legacy ? await openLegacy(row, operator, passphrase) : await openSlotOf(row, op, passphrase);
          } catch (e) {
            // A failed attempt changes the wait: tell the window.
            if (!closing) deps.onChange(status());
            throw e;
          }
          const keyring = createStoreKeyring(master, row.storeId);
          master.fill(0);
          let secondFactor: UsedFactor | null = null;
          if (op) {
            try {
              secondFactor = await checkSecondFactor(op, keyring, factor, row.storeId);
            } catch (e) {
              keyring.destroy();
              if (!closing) deps.onChange(status());
              throw e;
            }
            succeeded(op);
          }
          startSession(row, operator, op ? op.role : 'admin', keyring);
          audit.append({ actor: operator, action: 'session.unlock', targetType: 'store', targetId: row.storeId, outcome: 'success', details: { role: current!.role, ...(secondFactor ? { secondFactor } : {}) } });
          // Signs what was appended while locked, after checking it and the latest checkpoint against the trusted key.
          audit.checkpoint();
          logger.info('key store unlocked', { operator });
          return changed();
        } catch (e) {
          return failure(operator, 'session.unlock', e);
        }
      });
    },

    lock(reason) {
      const unlocked = requireUnlocked();
      audit.append({ actor: unlocked.operator, action: 'session.lock', targetType: 'store', targetId: unlocked.storeId, outcome: 'success', ...(reason ? { details: { reason } } : {}) });
      endSession();
      logger.info('key store locked');
      return changed();
    },

    changePassphrase(currentPassphrase, next) {
      return serial(async () => {
        const actor = current?.operator ?? 'unknown';
        try {
          const unlocked = requireUnlocked();
          const op = operators.get(unlocked.operator);
          if (op === null) throw new ConsoleError('not_found', `Operator ${unlocked.operator} no longer exists.`);
          throttleGate(op.throttle);
          checkStrength(next);
          const row = meta.get()!;
          const master = await openSlotOf(row, op, currentPassphrase);
          master.fill(0);
          succeeded(op);
          const slot = await slots.make({ storeId: unlocked.storeId, operator: op.name, passphrase: next, kdf: deps.kdf, seal: (kek, aad) => unlocked.keyring.sealMaster(kek, deps.kdf, aad) });
          deps.transaction(() => {
            operators.updateSlot(op.name, slot, new Date(clock.now()).toISOString());
            audit.append({ actor, action: 'session.change_passphrase', targetType: 'operator', targetId: op.name, outcome: 'success', details: { keychainBound: slot.keychainBound } });
          });
          logger.info('passphrase changed', { operator: actor });
        } catch (e) {
          failure(actor, 'session.change_passphrase', e);
        }
      });
    },

    makeSlot(operator, passphrase) {
      return serial(async () => {
        const unlocked = requireUnlocked();
        checkStrength(passphrase);
        return slots.make({ storeId: unlocked.storeId, operator, passphrase, kdf: deps.kdf, seal: (kek, aad) => unlocked.keyring.sealMaster(kek, deps.kdf, aad) });
      });
    },

    recoverAdmin(master, operator, passphrase, details) {
      return serial(async () => {
        try {
          const row = meta.get();
          if (row === null) throw new ConsoleError('not_initialized', 'No key store exists in this folder yet; create it first.');
          if (current) throw new ConsoleError('illegal_transition', 'An operator is signed in: lock the console before a recovery ceremony.');
          checkStrength(passphrase);
          const check = createStoreKeyring(master, row.storeId);
          const mac = check.macAuditPublicKey(row.auditPublicSpki);
          check.destroy();
          if (master.length !== 32 || mac.length !== row.auditPublicMac.length || !crypto.timingSafeEqual(mac, row.auditPublicMac)) {
            throw new ConsoleError('integrity_failure', 'The shares rebuild a key that is not this store\'s master key: they belong to another store or were altered.', { reason: 'master_mismatch' });
          }
          // Names are unique ignoring case: "Bob" recovers the operator "bob" (the slot binds the stored spelling).
          const same = (n: string) => n.normalize('NFC').toLowerCase() === operator.normalize('NFC').toLowerCase();
          const existing = operators.get(operator) ?? operators.list().find((o) => same(o.name)) ?? null;
          const name = existing?.name ?? operator;
          const slot = await slots.make({ storeId: row.storeId, operator: name, passphrase, kdf: deps.kdf, seal: sealRaw(master) });
          const now = new Date(clock.now()).toISOString();
          deps.transaction(() => {
            if (existing) {
              operators.updateSlot(existing.name, slot, now);
              if (existing.role !== 'admin') operators.setRole(existing.name, 'admin');
              operators.setThrottle(existing.name, { failedAttempts: 0, lastFailureMs: null });
            } else {
              operators.insert({ name, role: 'admin', slot, throttle: { failedAttempts: 0, lastFailureMs: null }, createdAt: now, createdBy: 'recovery', passphraseChangedAt: null });
            }
            audit.append({ actor: name, action: 'recovery.recover', targetType: 'operator', targetId: name, outcome: 'success', details: { ...details, created: !existing, previousRole: existing?.role ?? null } });
          });
          const keyring = createStoreKeyring(master, row.storeId);
          master.fill(0);
          startSession(row, name, 'admin', keyring);
          audit.checkpoint();
          logger.info('master key recovered from shares; admin slot set', { operator: name });
          changed();
          return { created: !existing, storeId: row.storeId, operator: name };
        } catch (e) {
          master.fill(0);
          return failure(operator, 'recovery.recover', e);
        }
      });
    },

    storeId() {
      const row = meta.get();
      if (row === null) throw new ConsoleError('not_initialized', 'No key store exists in this folder yet; create it first.');
      return row.storeId;
    },

    throttleOf,

    role: () => current?.role ?? null,

    require: requireUnlocked,

    close() {
      closing = true;
      if (!current) return;
      audit.append({ actor: current.operator, action: 'session.lock', targetType: 'store', targetId: current.storeId, outcome: 'success', details: { reason: 'close' } });
      endSession();
    },

    actor: () => current?.operator ?? 'unknown',

  };
}
