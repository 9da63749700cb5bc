// The token connection: loads the PKCS#11 module, C_Initialize (tolerating CKR_CRYPTOKI_ALREADY_INITIALIZED, since
// initialisation is per process per module and several providers may share one module), finds the slot by token label
// (slot ids are renumbered by some modules), opens ONE read-write session and logs the user in. Every call on the
// session goes through a promise queue: PKCS#11 sessions must not be used concurrently.
import fs from 'node:fs';
import pkcs11js from 'pkcs11js';
import { ProviderError } from '../types.ts';
import { pkcs11Code, toProviderError } from './pkcs11Errors.ts';

export interface SlotDescription {
  /** Decimal slot id (as pkcs11-tool --list-slots shows it); it can change between runs: select by token label. */
  slotId: string;
  tokenPresent: boolean;
  tokenLabel: string | null;
  manufacturer: string | null;
  model: string | null;
  serial: string | null;
  /** Token flags (CKF_*) by name, e.g. TOKEN_INITIALIZED, LOGIN_REQUIRED, USER_PIN_LOCKED. */
  flags: string[];
}

const TOKEN_FLAGS: Array<[string, number]> = [
  ['TOKEN_INITIALIZED', pkcs11js.CKF_TOKEN_INITIALIZED],
  ['LOGIN_REQUIRED', pkcs11js.CKF_LOGIN_REQUIRED],
  ['USER_PIN_INITIALIZED', pkcs11js.CKF_USER_PIN_INITIALIZED],
  ['WRITE_PROTECTED', pkcs11js.CKF_WRITE_PROTECTED],
  ['PROTECTED_AUTHENTICATION_PATH', pkcs11js.CKF_PROTECTED_AUTHENTICATION_PATH],
  ['USER_PIN_COUNT_LOW', pkcs11js.CKF_USER_PIN_COUNT_LOW],
  ['USER_PIN_FINAL_TRY', pkcs11js.CKF_USER_PIN_FINAL_TRY],
  ['USER_PIN_LOCKED', pkcs11js.CKF_USER_PIN_LOCKED],
  ['USER_PIN_TO_BE_CHANGED', pkcs11js.CKF_USER_PIN_TO_BE_CHANGED],
  ['SO_PIN_LOCKED', pkcs11js.CKF_SO_PIN_LOCKED],
];

/** pkcs11js hands slot ids out as native CK_ULONG bytes; shown as the decimal number pkcs11-tool prints. */
export function slotIdOf(slot: Buffer): string {
  return slot.length === 8 ? slot.readBigUInt64LE(0).toString() : slot.length === 4 ? String(slot.readUInt32LE(0)) : slot.toString('hex');
}

/** CK_SLOT_INFO flag (not exported by the binding). */
const CKF_TOKEN_PRESENT = 0x1;

export function tokenFlagNames(flags: number): string[] {
  return TOKEN_FLAGS.filter(([, bit]) => (flags & bit) !== 0).map(([name]) => name);
}

/** Loads and initialises the module; a missing or unloadable file is Unavailable with a clear message. */
export function loadModule(modulePath: string, providerId: string): pkcs11js.PKCS11 {
  if (!fs.existsSync(modulePath))
    throw new ProviderError('Unavailable', `PKCS#11 module not found at ${modulePath}: install the vendor's PKCS#11 library or fix pkcs11_module.`, {
      providerId,
      providerCode: 'MODULE_NOT_FOUND',
    });
  const lib = new pkcs11js.PKCS11();
  try {
    lib.load(modulePath);
  } catch (e) {
    throw new ProviderError('Unavailable', `PKCS#11 module ${modulePath} could not be loaded: ${e instanceof Error ? e.message : String(e)}`, {
      providerId,
      providerCode: 'MODULE_LOAD_FAILED',
      cause: e,
    });
  }
  try {
    lib.C_Initialize();
  } catch (e) {
    if (pkcs11Code(e) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
      lib.close();
      throw toProviderError(e, providerId, 'C_Initialize');
    }
  }
  return lib;
}

/** Every slot of a module with its token, for the Providers screen. Does not log in and needs no PIN. */
export async function listSlots(modulePath: string): Promise<SlotDescription[]> {
  const lib = loadModule(modulePath, 'pkcs11-slots');
  try {
    return lib.C_GetSlotList(false).map((slot) => {
      const info = lib.C_GetSlotInfo(slot);
      const present = (info.flags & CKF_TOKEN_PRESENT) !== 0;
      const slotId = slotIdOf(slot);
      if (!present) return { slotId, tokenPresent: false, tokenLabel: null, manufacturer: null, model: null, serial: null, flags: [] };
      try {
        const t = lib.C_GetTokenInfo(slot);
        return { slotId, tokenPresent: true, tokenLabel: t.label.trim(), manufacturer: t.manufacturerID.trim(), model: t.model.trim(), serial: t.serialNumber.trim(), flags: tokenFlagNames(t.flags) };
      } catch {
        return { slotId, tokenPresent: false, tokenLabel: null, manufacturer: null, model: null, serial: null, flags: [] };
      }
    });
  } catch (e) {
    throw toProviderError(e, 'pkcs11-slots', 'C_GetSlotList');
  } finally {
    // C_Finalize is not called: another provider in this process may be using the same module.
    lib.close();
  }
}

export interface TokenSession {
  readonly lib: pkcs11js.PKCS11;
  /** Runs fn with the logged-in session, one call at a time; (re)connects first if needed. */
  run<T>(what: string, fn: (session: pkcs11js.Handle) => T | Promise<T>): Promise<T>;
  /** Is the token still there under its label? (C_GetTokenInfo on the slot) */
  tokenPresent(): boolean;
  /** Forgets session and slot after the token went away: the next call looks the label up again and logs in. */
  reset(): void;
  /** The token's mechanisms (C_GetMechanismList); call inside run(). */
  mechanisms(): number[];
  close(): Promise<void>;
}

export function openTokenSession(options: { providerId: string; modulePath: string; tokenLabel: string; pin: () => string | null }): TokenSession {
  const { providerId, modulePath, tokenLabel } = options;
  let lib: pkcs11js.PKCS11 | null = null;
  let slot: Buffer | null = null;
  let session: Buffer | null = null;
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();
  let inFlight = 0;

  /** Counts p as in flight and makes the queue wait for it. */
  function track<T>(p: Promise<T>): Promise<T> {
    inFlight++;
    const done = p.finally(() => {
      inFlight--;
    });
    queue = done.catch(() => undefined);
    return done;
  }

  /** A session the module says is gone is closed here, so that the next call opens a new one. */
  function forgetDeadSession(e: unknown): never {
    const code = pkcs11Code(e);
    if (code === 'CKR_SESSION_HANDLE_INVALID' || code === 'CKR_SESSION_CLOSED' || code === 'CKR_DEVICE_REMOVED' || code === 'CKR_TOKEN_NOT_PRESENT') dropSession();
    throw e;
  }

  const unavailable = (message: string, code: string) => new ProviderError('Unavailable', message, { providerId, providerCode: code });

  function findSlot(l: pkcs11js.PKCS11): Buffer {
    for (const s of l.C_GetSlotList(true)) {
      try {
        const info = l.C_GetTokenInfo(s);
        if (info.label.trim() !== tokenLabel) continue;
        if ((info.flags & pkcs11js.CKF_USER_PIN_LOCKED) !== 0)
          throw new ProviderError('AccessDenied', `The user PIN of PKCS#11 token "${tokenLabel}" is locked; the token's security officer (SO) must unblock it.`, {
            providerId,
            providerCode: 'CKR_PIN_LOCKED',
          });
        return s;
      } catch (e) {
        if (e instanceof ProviderError) throw e;
      }
    }
    throw unavailable(`PKCS#11 token "${tokenLabel}" is not present in module ${modulePath} (not inserted, removed, or another label).`, 'CKR_TOKEN_NOT_PRESENT');
  }

  function connect(): Buffer {
    if (session !== null) return session;
    lib ??= loadModule(modulePath, providerId);
    const l = lib;
    try {
      slot = findSlot(l);
      const s = l.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
      const pin = options.pin();
      try {
        if (pin === null) throw new ProviderError('AccessDenied', `PKCS#11 token "${tokenLabel}" needs its user PIN: unlock the provider first.`, { providerId, providerCode: 'PIN_REQUIRED' });
        try {
          l.C_Login(s, pkcs11js.CKU_USER, pin);
        } catch (e) {
          // Login state is per application: a second provider on the same token finds the user logged in already.
          if (pkcs11Code(e) !== 'CKR_USER_ALREADY_LOGGED_IN') throw toProviderError(e, providerId, `C_Login to token "${tokenLabel}"`, 'login');
        }
      } catch (e) {
        l.C_CloseSession(s);
        throw e;
      }
      session = s;
      return s;
    } catch (e) {
      throw toProviderError(e, providerId, `opening token "${tokenLabel}"`);
    }
  }

  function dropSession(): void {
    if (session !== null && lib !== null) {
      try {
        lib.C_CloseSession(session);
      } catch {
        // The session is already gone with the token.
      }
    }
    session = null;
  }

  const api: TokenSession = {
    get lib() {
      if (lib === null) throw unavailable('PKCS#11 module not loaded yet.', 'NOT_CONNECTED');
      return lib;
    },
    run<T>(_what: string, fn: (s: pkcs11js.Handle) => T | Promise<T>): Promise<T> {
      const exec = (): T | Promise<T> => {
        if (closed) throw unavailable(`PKCS#11 provider ${providerId} is closed.`, 'CLOSED');
        const s = connect();
        try {
          const out = fn(s);
          return out instanceof Promise ? out.catch(forgetDeadSession) : out;
        } catch (e) {
          return forgetDeadSession(e);
        }
      };
      // Fast path: with nothing in flight, a synchronous token call runs at once (JavaScript runs one call at a time,
      // so it cannot interleave with another). Asynchronous work (key generation on libuv's pool) and anything that
      // arrives while it runs wait in the queue.
      if (inFlight === 0) {
        let out: T | Promise<T>;
        try {
          out = exec();
        } catch (e) {
          return Promise.reject(e as Error);
        }
        if (!(out instanceof Promise)) return Promise.resolve(out);
        return track(out);
      }
      return track(queue.then(exec));
    },
    tokenPresent(): boolean {
      if (lib === null || slot === null) return false;
      try {
        return lib.C_GetTokenInfo(slot).label.trim() === tokenLabel;
      } catch {
        return false;
      }
    },
    reset(): void {
      dropSession();
      slot = null;
    },
    mechanisms(): number[] {
      if (lib === null || slot === null) return [];
      return lib.C_GetMechanismList(slot);
    },
    async close() {
      await queue;
      closed = true;
      dropSession();
      // No C_Logout / C_Finalize: both act on the whole process, and another provider may share the module and token.
      lib?.close();
      lib = null;
    },
  };
  return api;
}
