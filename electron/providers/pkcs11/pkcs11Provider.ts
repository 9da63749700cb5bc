// KmsProvider over a PKCS#11 token (SoftHSM2, YubiHSM 2, Nitrokey HSM, smart-card HSMs) through pkcs11js.
// keyRef = the console key name. Objects, labels and the enabled state are described in pkcs11Objects.ts.
// AES-256-GCM runs inside the token; RSA-2048 signs with CKM_RSA_PKCS_PSS (SHA-256, MGF1-SHA-256, salt 32) over the
// SHA-256 digest; EC P-256 with CKM_ECDSA over the digest (raw r||s turned into DER). Data keys are drawn from the
// token's RNG and encrypted under the token key inside the token (the contract hands the caller the clear data key).
import crypto from 'node:crypto';
import pkcs11js from 'pkcs11js';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import type { ProviderConfig } from '../config/parseProviderConfig.ts';
import { ProviderError, type CreateKeyInput, type KmsProvider, type ProviderCapabilities, type ProviderKeySpec } from '../types.ts';
import { pkcs11Code, toProviderError, type Pkcs11Context } from './pkcs11Errors.ts';
import { destroyKey, keyInfo, listMetaObjects, loadKey, setEnabled, versionObjects, type KeyEntry } from './pkcs11Keys.ts';
import { aesTemplate, ecdsaDerToRaw, ecdsaRawToDer, ecPublicPem, gcmAad, HEADER_BYTES, keyPairTemplates, metaTemplate, rsaPublicPem, TAG_BYTES } from './pkcs11Objects.ts';
import { openTokenSession } from './pkcs11Session.ts';

export { listSlots, type SlotDescription } from './pkcs11Session.ts';

export interface Pkcs11ProviderOptions {
  id: string;
  modulePath: string;
  tokenLabel: string;
  /** The user PIN, from the unlock flow; a Secret-like holder is revealed only at login. null = not unlocked. */
  pin: string | { reveal(): string } | null;
  /** createdAt / deletionDate source (default: system time). */
  clock?: Clock;
}

const CAPABILITIES: ProviderCapabilities = Object.freeze({
  specs: Object.freeze({ encrypt: Object.freeze(['AES_256'] as ProviderKeySpec[]), sign: Object.freeze(['RSA_2048', 'EC_P256'] as ProviderKeySpec[]) }),
  associatedData: true,
  maxPlaintextBytes: 4096,
  rotation: true,
  rotateSigningKeys: true,
  automaticRotation: false,
  scheduledDestruction: false,
  kmsBacked: true,
});

const NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;
/** What health() requires of the token (checked with C_GetMechanismList). */
const REQUIRED_MECHANISMS: Array<[string, number]> = [
  ['CKM_AES_KEY_GEN', pkcs11js.CKM_AES_KEY_GEN],
  ['CKM_AES_GCM', pkcs11js.CKM_AES_GCM],
  ['CKM_RSA_PKCS_KEY_PAIR_GEN', pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN],
  ['CKM_RSA_PKCS_PSS', pkcs11js.CKM_RSA_PKCS_PSS],
  ['CKM_EC_KEY_PAIR_GEN', pkcs11js.CKM_EC_KEY_PAIR_GEN],
  ['CKM_ECDSA', pkcs11js.CKM_ECDSA],
];
const HANDLE_GONE = new Set(['CKR_OBJECT_HANDLE_INVALID', 'CKR_KEY_HANDLE_INVALID']);
const PSS = { type: pkcs11js.CK_PARAMS_RSA_PSS, hashAlg: pkcs11js.CKM_SHA256, mgf: pkcs11js.CKG_MGF1_SHA256, saltLen: 32 };
const gcm = (iv: Buffer, aad: Buffer) => ({ mechanism: pkcs11js.CKM_AES_GCM, parameter: { type: pkcs11js.CK_PARAMS_AES_GCM, iv, aad, ivBits: 96, tagBits: 128 } });

export function createPkcs11Provider(options: Pkcs11ProviderOptions): KmsProvider {
  const { id, tokenLabel } = options;
  const clock = options.clock ?? { now: () => Date.now() };
  const pinSource = options.pin;
  const session = openTokenSession({
    providerId: id,
    modulePath: options.modulePath,
    tokenLabel,
    pin: () => (pinSource === null ? null : typeof pinSource === 'string' ? pinSource : pinSource.reveal()),
  });
  const cache = new Map<string, KeyEntry>();
  const fail = (kind: 'InvalidInput' | 'NotFound' | 'KeyDisabled' | 'IntegrityFailure' | 'Unavailable', message: string, providerCode: string | null = null) =>
    new ProviderError(kind, message, { providerId: id, providerCode });

  /** The token went away: forget its session so that the next call finds it again once it is back. */
  const gone = (kind: 'Unavailable', message: string, providerCode: string) => {
    cache.clear();
    session.reset();
    return fail(kind, message, providerCode);
  };

  const checkRef = (keyRef: string) => {
    if (typeof keyRef !== 'string' || !NAME_RE.test(keyRef)) throw fail('InvalidInput', 'A PKCS#11 key reference is the key name: 1..64 characters of A-Z a-z 0-9 _ -.');
  };

  function load(s: Buffer, name: string): KeyEntry {
    const entry = loadKey(session.lib, s, name);
    if (entry === null) {
      if (!session.tokenPresent()) throw gone('Unavailable', `PKCS#11 token "${tokenLabel}" is not present or was removed.`, 'CKR_TOKEN_NOT_PRESENT');
      throw fail('NotFound', `Key ${name} does not exist in PKCS#11 token "${tokenLabel}".`, 'CKR_OBJECT_NOT_FOUND');
    }
    cache.set(name, entry);
    return entry;
  }

  /** Runs fn on the key's objects; reloads once when a cached handle went stale, and maps every token error. */
  function keyOp<T>(what: string, keyRef: string, context: Pkcs11Context, fn: (lib: pkcs11js.PKCS11, s: Buffer, entry: KeyEntry) => T): Promise<T> {
    try {
      checkRef(keyRef);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    return session.run(what, (s) => {
      const lib = session.lib;
      // A cached "disabled" is never trusted (another console may have enabled the key); "enabled" is checked by the
      // token itself, which refuses a disabled key with CKR_KEY_FUNCTION_NOT_PERMITTED.
      const cached = cache.get(keyRef);
      let fresh = cached === undefined || !cached.enabled;
      let entry: KeyEntry;
      try {
        entry = cached !== undefined && cached.enabled ? cached : load(s, keyRef);
      } catch (e) {
        throw toProviderError(e, id, `${what} with key ${keyRef}`, 'other');
      }
      for (;;) {
        try {
          return fn(lib, s, entry);
        } catch (e) {
          const code = pkcs11Code(e);
          if (code === null || !(HANDLE_GONE.has(code) || code === 'CKR_KEY_FUNCTION_NOT_PERMITTED')) throw toProviderError(e, id, `${what} with key ${keyRef}`, context);
          cache.delete(keyRef);
          if (HANDLE_GONE.has(code) && !session.tokenPresent()) throw gone('Unavailable', `PKCS#11 token "${tokenLabel}" is not present or was removed.`, code);
          if (fresh) throw toProviderError(e, id, `${what} with key ${keyRef}`, context);
          try {
            entry = load(s, keyRef);
          } catch (e2) {
            throw toProviderError(e2, id, `${what} with key ${keyRef}`, 'other');
          }
          fresh = true;
        }
      }
    });
  }

  const enabledOrThrow = (entry: KeyEntry) => {
    if (!entry.enabled) throw fail('KeyDisabled', `Key ${entry.name} is disabled in PKCS#11 token "${tokenLabel}".`, 'CKR_KEY_FUNCTION_NOT_PERMITTED');
  };
  const usageOrThrow = (entry: KeyEntry, usage: 'encrypt' | 'sign') => {
    if (entry.meta.usage !== usage)
      throw fail('InvalidInput', `Key ${entry.name} is a${usage === 'encrypt' ? ' signing key and cannot encrypt or decrypt' : 'n encryption key and cannot sign or verify'}.`, 'CKR_KEY_FUNCTION_NOT_PERMITTED');
  };

  function gcmEncrypt(lib: pkcs11js.PKCS11, s: Buffer, entry: KeyEntry, plaintext: Buffer, aad: Buffer | undefined) {
    const { version, objects } = versionObjects(entry, undefined, id);
    // One buffer for header and GCM output: the token writes behind the header, nothing is copied.
    const out = Buffer.alloc(HEADER_BYTES + plaintext.length + TAG_BYTES);
    const header = out.subarray(0, HEADER_BYTES);
    header.writeUInt32BE(version, 0);
    crypto.randomFillSync(header, 4, 12);
    lib.C_EncryptInit(s, gcm(header.subarray(4), gcmAad(header, aad)), objects.key);
    const body = lib.C_Encrypt(s, plaintext, out.subarray(HEADER_BYTES));
    return { ciphertext: out.subarray(0, HEADER_BYTES + body.length), version };
  }

  /** Key generation can take seconds on a USB HSM: it runs on libuv's pool (the session waits in the queue meanwhile). */
  async function createVersion(lib: pkcs11js.PKCS11, s: Buffer, name: string, spec: ProviderKeySpec, version: number): Promise<void> {
    if (spec === 'AES_256') {
      await lib.C_GenerateKeyAsync(s, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, aesTemplate(name, version, true));
      return;
    }
    const t = keyPairTemplates(spec, name, version, true);
    await lib.C_GenerateKeyPairAsync(s, { mechanism: t.mechanism }, t.pub, t.priv);
  }

  const provider: KmsProvider = {
    id,
    kind: 'pkcs11',
    capabilities: CAPABILITIES,

    async createKey(input: CreateKeyInput) {
      if (typeof input.name !== 'string' || !NAME_RE.test(input.name)) throw fail('InvalidInput', 'Key name must be 1..64 characters of A-Z a-z 0-9 _ -.');
      const allowed = input.usage === 'encrypt' ? CAPABILITIES.specs.encrypt : input.usage === 'sign' ? CAPABILITIES.specs.sign : [];
      if (!allowed.includes(input.spec)) throw fail('InvalidInput', `PKCS#11 keys for "${String(input.usage)}" cannot have spec ${String(input.spec)}.`, 'CKR_TEMPLATE_INCONSISTENT');
      if ((input.rotationPeriodDays ?? null) !== null) throw fail('InvalidInput', 'A PKCS#11 token does not rotate keys by itself: rotationPeriodDays must be null (the console schedules rotation).');
      const name = input.name;
      return session.run('create key', async (s) => {
        const lib = session.lib;
        try {
          if (listMetaObjects(lib, s).has(name)) throw fail('InvalidInput', `A key named ${name} already exists in PKCS#11 token "${tokenLabel}".`, 'KEY_EXISTS');
          const meta = { spec: input.spec, usage: input.usage, createdAt: new Date(clock.now()).toISOString() };
          const metaHandle = lib.C_CreateObject(s, metaTemplate(name, meta));
          try {
            await createVersion(lib, s, name, input.spec, 1);
          } catch (e) {
            lib.C_DestroyObject(s, metaHandle);
            throw e;
          }
          return keyInfo(load(s, name));
        } catch (e) {
          throw toProviderError(e, id, `creating key ${name}`);
        }
      });
    },

    describeKey: (keyRef) => keyOp('describe', keyRef, 'other', (_l, s) => keyInfo(load(s, keyRef))),

    async listKeys(opts = {}) {
      const pageSize = opts.pageSize ?? 100;
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw fail('InvalidInput', 'pageSize must be an integer from 1 to 1000.');
      let after: string | null = null;
      if (opts.pageToken) {
        after = Buffer.from(opts.pageToken, 'base64url').toString('utf8');
        if (!NAME_RE.test(after)) throw fail('InvalidInput', 'Invalid page token.');
      }
      return session.run('list keys', (s) => {
        try {
          const names = [...listMetaObjects(session.lib, s).keys()].filter((n) => NAME_RE.test(n)).sort();
          const rest = after === null ? names : names.filter((n) => n > after);
          const items = [];
          for (const name of rest.slice(0, pageSize)) {
            const entry = loadKey(session.lib, s, name);
            if (entry) items.push(keyInfo(entry));
          }
          const last = rest.slice(0, pageSize).at(-1);
          return { items, nextPageToken: rest.length > pageSize && last !== undefined ? Buffer.from(last, 'utf8').toString('base64url') : null };
        } catch (e) {
          throw toProviderError(e, id, 'listing keys');
        }
      });
    },

    encrypt(keyRef, plaintext, aad) {
      if (!Buffer.isBuffer(plaintext) || plaintext.length < 1 || plaintext.length > CAPABILITIES.maxPlaintextBytes)
        return Promise.reject(fail('InvalidInput', `Plaintext must be 1..${CAPABILITIES.maxPlaintextBytes} bytes.`, 'CKR_DATA_LEN_RANGE'));
      return keyOp('encrypt', keyRef, 'other', (lib, s, entry) => {
        usageOrThrow(entry, 'encrypt');
        enabledOrThrow(entry);
        return gcmEncrypt(lib, s, entry, plaintext, aad);
      });
    },

    decrypt(keyRef, ciphertext, aad) {
      if (!Buffer.isBuffer(ciphertext) || ciphertext.length < HEADER_BYTES + TAG_BYTES + 1)
        return Promise.reject(fail('InvalidInput', 'Ciphertext is too short to be a PKCS#11 provider ciphertext.', 'CKR_ENCRYPTED_DATA_LEN_RANGE'));
      return keyOp('decrypt', keyRef, 'decrypt', (lib, s, entry) => {
        usageOrThrow(entry, 'encrypt');
        enabledOrThrow(entry);
        const header = ciphertext.subarray(0, HEADER_BYTES);
        const version = header.readUInt32BE(0);
        const objects = entry.versions.get(version);
        if (!objects) throw fail('IntegrityFailure', `Ciphertext names version ${version} of key ${keyRef}, which the token does not hold.`, 'CKR_ENCRYPTED_DATA_INVALID');
        const body = ciphertext.subarray(HEADER_BYTES);
        lib.C_DecryptInit(s, gcm(header.subarray(4), gcmAad(header, aad)), objects.key);
        const plaintext = lib.C_Decrypt(s, body, Buffer.alloc(body.length));
        return { plaintext, version };
      });
    },

    generateDataKey(keyRef, aad) {
      return keyOp('generate data key', keyRef, 'other', (lib, s, entry) => {
        usageOrThrow(entry, 'encrypt');
        enabledOrThrow(entry);
        const plaintext = lib.C_GenerateRandom(s, Buffer.alloc(32));
        const { ciphertext, version } = gcmEncrypt(lib, s, entry, plaintext, aad);
        return { plaintext, wrapped: ciphertext, version };
      });
    },

    sign(keyRef, message, version) {
      if (!Buffer.isBuffer(message)) return Promise.reject(fail('InvalidInput', 'The message must be bytes.'));
      return keyOp('sign', keyRef, 'other', (lib, s, entry) => {
        usageOrThrow(entry, 'sign');
        enabledOrThrow(entry);
        const v = versionObjects(entry, version, id);
        const digest = crypto.createHash('sha256').update(message).digest();
        if (entry.meta.spec === 'RSA_2048') {
          lib.C_SignInit(s, { mechanism: pkcs11js.CKM_RSA_PKCS_PSS, parameter: PSS }, v.objects.key);
          return { signature: Buffer.from(lib.C_Sign(s, digest, Buffer.alloc(256))), version: v.version };
        }
        lib.C_SignInit(s, { mechanism: pkcs11js.CKM_ECDSA }, v.objects.key);
        return { signature: ecdsaRawToDer(lib.C_Sign(s, digest, Buffer.alloc(64))), version: v.version };
      });
    },

    verify(keyRef, message, signature, version) {
      if (!Buffer.isBuffer(message) || !Buffer.isBuffer(signature)) return Promise.reject(fail('InvalidInput', 'The message and signature must be bytes.'));
      return keyOp('verify', keyRef, 'verify', (lib, s, entry) => {
        usageOrThrow(entry, 'sign');
        enabledOrThrow(entry);
        const v = versionObjects(entry, version, id);
        if (v.objects.pub === null) throw fail('NotFound', `Version ${v.version} of key ${keyRef} has no public key object in the token.`, 'CKR_OBJECT_NOT_FOUND');
        const digest = crypto.createHash('sha256').update(message).digest();
        const raw = entry.meta.spec === 'RSA_2048' ? signature : ecdsaDerToRaw(signature);
        if (raw === null || raw.length === 0) return false;
        const mechanism = entry.meta.spec === 'RSA_2048' ? { mechanism: pkcs11js.CKM_RSA_PKCS_PSS, parameter: PSS } : { mechanism: pkcs11js.CKM_ECDSA };
        lib.C_VerifyInit(s, mechanism, v.objects.pub);
        try {
          return lib.C_Verify(s, digest, raw);
        } catch (e) {
          const code = pkcs11Code(e);
          if (code === 'CKR_SIGNATURE_INVALID' || code === 'CKR_SIGNATURE_LEN_RANGE') return false;
          throw e;
        }
      });
    },

    getPublicKey(keyRef, version) {
      return keyOp('get public key', keyRef, 'other', (lib, s, entry) => {
        usageOrThrow(entry, 'sign');
        const v = versionObjects(entry, version, id);
        if (v.objects.pub === null) throw fail('NotFound', `Version ${v.version} of key ${keyRef} has no public key object in the token.`, 'CKR_OBJECT_NOT_FOUND');
        if (entry.meta.spec === 'RSA_2048') {
          const [n, e] = lib.C_GetAttributeValue(s, v.objects.pub, [{ type: pkcs11js.CKA_MODULUS }, { type: pkcs11js.CKA_PUBLIC_EXPONENT }]);
          return { pem: rsaPublicPem(n!.value as Buffer, e!.value as Buffer), version: v.version };
        }
        const [point] = lib.C_GetAttributeValue(s, v.objects.pub, [{ type: pkcs11js.CKA_EC_POINT }]);
        return { pem: ecPublicPem(point!.value as Buffer), version: v.version };
      });
    },

    rotate(keyRef) {
      try {
        checkRef(keyRef);
      } catch (e) {
        return Promise.reject(e as Error);
      }
      return session.run('rotate', async (s) => {
        try {
          const entry = load(s, keyRef);
          enabledOrThrow(entry);
          await createVersion(session.lib, s, keyRef, entry.meta.spec, entry.current + 1);
          cache.delete(keyRef);
          return { version: load(s, keyRef).current };
        } catch (e) {
          throw toProviderError(e, id, `rotating key ${keyRef}`);
        }
      });
    },

    enable: (keyRef) => keyOp('enable', keyRef, 'other', (lib, s, entry) => setEnabled(lib, s, entry, true)),
    disable: (keyRef) => keyOp('disable', keyRef, 'other', (lib, s, entry) => setEnabled(lib, s, entry, false)),

    scheduleDestruction(keyRef, waitingDays) {
      if (!Number.isInteger(waitingDays) || waitingDays < 0 || waitingDays > 365) return Promise.reject(fail('InvalidInput', 'waitingDays must be an integer from 0 to 365.'));
      return keyOp('destroy', keyRef, 'other', (lib, s, entry) => {
        // No waiting period in a token: C_DestroyObject erases every version at once (scheduledDestruction false).
        destroyKey(lib, s, entry);
        cache.delete(keyRef);
        return { deletionDate: new Date(clock.now()).toISOString() };
      });
    },

    cancelDestruction(keyRef) {
      return keyOp('cancel destruction', keyRef, 'other', () => {
        throw fail('KeyDisabled', `Key ${keyRef} has no scheduled destruction: a PKCS#11 token destroys keys at once.`, 'NO_SCHEDULED_DESTRUCTION');
      });
    },

    async health() {
      const started = performance.now();
      const done = (ok: boolean, detail: string | null) => ({ ok, latencyMs: Math.round((performance.now() - started) * 10) / 10, detail });
      try {
        await session.run('health', (s) => {
          session.lib.C_GetSessionInfo(s);
          if (!session.tokenPresent()) throw gone('Unavailable', `PKCS#11 token "${tokenLabel}" is not present or was removed.`, 'CKR_TOKEN_NOT_PRESENT');
          const offered = new Set(session.mechanisms());
          const missing = REQUIRED_MECHANISMS.filter(([, m]) => !offered.has(m)).map(([name]) => name);
          if (missing.length > 0) throw fail('Unavailable', `PKCS#11 token "${tokenLabel}" lacks mechanisms this console needs: ${missing.join(', ')}.`, 'CKR_MECHANISM_INVALID');
        });
        return done(true, null);
      } catch (e) {
        const err = toProviderError(e, id, 'health');
        return { ...done(false, err.message), errorKind: err.kind };
      }
    },

    async close() {
      cache.clear();
      await session.close();
    },
  };
  return provider;
}

/** The adapter from a parsed configuration (kind 'pkcs11'). The PIN stays in its Secret until C_Login. */
export function createPkcs11ProviderFromConfig(config: ProviderConfig, deps: { clock: Clock; logger: Logger }): KmsProvider {
  const c = config.connection;
  if (c.kind !== 'pkcs11') throw new ProviderError('InvalidInput', `Provider ${config.id} is of kind ${c.kind}, not pkcs11.`, { providerId: config.id });
  deps.logger.info('pkcs11 provider configured', { providerId: config.id, modulePath: c.modulePath, label: c.tokenLabel, unlocked: c.pin !== null });
  return createPkcs11Provider({ id: config.id, modulePath: c.modulePath, tokenLabel: c.tokenLabel, pin: c.pin, clock: deps.clock });
}
