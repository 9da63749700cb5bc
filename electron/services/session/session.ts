// The operator session: creating the store (first run), unlocking it with the passphrase, throttling wrong attempts,
// changing the passphrase and locking. Holds the master key (via the keyring) only while unlocked.
import crypto from 'node:crypto';
import type { SessionStatus } from '../../../shared/contract.ts';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import { MIN_PASSPHRASE_CHARS, passphraseLength } from '../../../shared/domain.ts';
import type { Clock } from '../../clock.ts';
import { open, seal } from '../../crypto/aead.ts';
import { deriveKek, SALT_BYTES } from '../../crypto/kdf.ts';
import { createStoreKeyring, masterAad, type StoreKeyring } from '../../crypto/storeKeyring.ts';
import type { Logger } from '../../logger.ts';
import type { KdfParams, StoreMetaRepo, StoreMetaRow } from '../../store/storeMetaRepo.ts';
import type { AuditLog, AuditSigner } from '../audit/auditLog.ts';
import { retryAfterMs } from './sessionThrottle.ts';

/** OS keychain binding (Electron's safeStorage); absent outside Electron. */
export interface Keychain {
  isAvailable(): boolean;
  encrypt(data: Buffer): Buffer;
  decrypt(data: Buffer): Buffer;
}

export interface SessionDeps {
  meta: StoreMetaRepo;
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
  readonly storeId: string;
  readonly keyring: StoreKeyring;
}

export interface Session {
  status(): SessionStatus;
  init(operator: string, passphrase: string): Promise<SessionStatus>;
  unlock(operator: string, passphrase: string): Promise<SessionStatus>;
  lock(): SessionStatus;
  changePassphrase(current: string, next: string): Promise<void>;
  /** The unlocked session, or throws not_initialized / locked. */
  require(): UnlockedSession;
  /** Who audit records name: the operator when unlocked, else 'unknown'. */
  actor(): string;
  /** Locks without emitting an event (console shutdown); no-op when locked. */
  close(): void;
}

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
      retryAfterMs: row === null ? 0 : retryAfterMs(meta.getThrottle(), clock.now()),
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

  const keychainUsable = () => deps.keychain !== undefined && deps.keychain.isAvailable();

  const protectWrapped = (wrapped: Buffer): { blob: Buffer; bound: boolean } =>
    keychainUsable() ? { blob: deps.keychain!.encrypt(wrapped), bound: true } : { blob: wrapped, bound: false };

  const unprotectWrapped = (row: StoreMetaRow): Buffer => {
    if (!row.keychainBound) return row.wrappedMaster;
    if (!keychainUsable()) {
      throw new ConsoleError('provider_unavailable', 'This key store is bound to the OS keychain of the computer that created it, and that keychain is not available here.');
    }
    try {
      return deps.keychain!.decrypt(row.wrappedMaster);
    } catch {
      throw new ConsoleError('integrity_failure', 'The OS keychain could not decrypt the stored master key.');
    }
  };

  const throttleGate = () => {
    const wait = retryAfterMs(meta.getThrottle(), clock.now());
    if (wait > 0) {
      throw new ConsoleError('too_many_attempts', `Too many wrong passphrases; try again in ${Math.ceil(wait / 1000)} s.`, { retryAfterMs: wait });
    }
  };

  /** Unwraps the master key with the passphrase; counts a failure and throws wrong_passphrase when it does not open. */
  const openMaster = async (row: StoreMetaRow, passphrase: string): Promise<Buffer> => {
    const wrapped = unprotectWrapped(row);
    const kek = await deriveKek(passphrase, row.kdfSalt, row.kdf);
    if (closing) {
      kek.fill(0);
      notClosing();
    }
    const master = open(kek, wrapped, masterAad(row.storeId, row.kdf));
    kek.fill(0);
    if (master === null) {
      const t = meta.getThrottle();
      meta.setThrottle({ failedAttempts: t.failedAttempts + 1, lastFailureMs: clock.now() });
      const wait = retryAfterMs(meta.getThrottle(), clock.now());
      throw new ConsoleError('wrong_passphrase', 'The passphrase is wrong.', wait > 0 ? { retryAfterMs: wait } : undefined);
    }
    meta.setThrottle({ failedAttempts: 0, lastFailureMs: null });
    return master;
  };

  const startSession = (row: StoreMetaRow, operator: string, master: Buffer): void => {
    const keyring = createStoreKeyring(master, row.storeId);
    master.fill(0);
    const expectedMac = keyring.macAuditPublicKey(row.auditPublicSpki);
    const macOk = expectedMac.length === row.auditPublicMac.length && crypto.timingSafeEqual(expectedMac, row.auditPublicMac);
    const privateDer = macOk ? keyring.unwrapAuditKey(row.auditPrivateWrapped) : null;
    current?.keyring.destroy();
    current = { operator, storeId: row.storeId, keyring };
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
          const salt = crypto.randomBytes(SALT_BYTES);
          const kdf = deps.kdf;
          const master = crypto.randomBytes(32);
          const kek = await deriveKek(passphrase, salt, kdf);
          if (closing) {
            kek.fill(0);
            master.fill(0);
            notClosing();
          }
          const { blob, bound } = protectWrapped(seal(kek, master, masterAad(storeId, kdf)));
          kek.fill(0);
          const keyring = createStoreKeyring(master, storeId);
          const pair = crypto.generateKeyPairSync('ed25519');
          const spki = pair.publicKey.export({ format: 'der', type: 'spki' });
          const pkcs8 = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
          const row: StoreMetaRow = {
            storeId,
            createdAt: new Date(clock.now()).toISOString(),
            kdf,
            kdfSalt: salt,
            wrappedMaster: blob,
            keychainBound: bound,
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
              audit.append({ actor: operator, action: 'store.init', targetType: 'store', targetId: storeId, outcome: 'success', details: { keychainBound: bound, kdfN: kdf.N } });
            });
          } catch (e) {
            master.fill(0);
            throw e;
          }
          startSession(row, operator, master);
          logger.info('key store created', { storeId, keychainBound: bound });
          return changed();
        } catch (e) {
          return failure(operator, 'store.init', e);
        }
      });
    },

    unlock(operator, passphrase) {
      return serial(async () => {
        try {
          const row = meta.get();
          if (row === null) throw new ConsoleError('not_initialized', 'No key store exists in this folder yet; create it first.');
          throttleGate();
          let master: Buffer;
          try {
            master = await openMaster(row, passphrase);
          } finally {
            // A failed attempt changes retryAfterMs: tell the window.
            if (meta.getThrottle().failedAttempts > 0) deps.onChange(status());
          }
          startSession(row, operator, master);
          audit.append({ actor: operator, action: 'session.unlock', targetType: 'store', targetId: row.storeId, outcome: 'success' });
          // Signs what was appended while locked, after checking it and the latest checkpoint against the trusted key.
          audit.checkpoint();
          logger.info('key store unlocked', { operator });
          return changed();
        } catch (e) {
          return failure(operator, 'session.unlock', e);
        }
      });
    },

    lock() {
      const unlocked = requireUnlocked();
      audit.append({ actor: unlocked.operator, action: 'session.lock', targetType: 'store', targetId: unlocked.storeId, outcome: 'success' });
      endSession();
      logger.info('key store locked');
      return changed();
    },

    changePassphrase(currentPassphrase, next) {
      return serial(async () => {
        const actor = current?.operator ?? 'unknown';
        try {
          const unlocked = requireUnlocked();
          throttleGate();
          checkStrength(next);
          const row = meta.get()!;
          const master = await openMaster(row, currentPassphrase);
          master.fill(0);
          const salt = crypto.randomBytes(SALT_BYTES);
          const kek = await deriveKek(next, salt, deps.kdf);
          if (closing) {
            kek.fill(0);
            notClosing();
          }
          const { blob, bound } = protectWrapped(unlocked.keyring.sealMaster(kek, deps.kdf));
          kek.fill(0);
          deps.transaction(() => {
            meta.updateMasterWrapping(deps.kdf, salt, blob, bound);
            audit.append({ actor, action: 'session.change_passphrase', targetType: 'store', targetId: unlocked.storeId, outcome: 'success', details: { keychainBound: bound } });
          });
          logger.info('passphrase changed', { operator: actor });
        } catch (e) {
          failure(actor, 'session.change_passphrase', e);
        }
      });
    },

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
