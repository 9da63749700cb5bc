// KmsProvider over Google Cloud KMS (@google-cloud/kms, gRPC). Keys live in one key ring
// (projects/<project>/locations/<location>/keyRings/<ring>, created on first use); keyRef is the CryptoKey resource
// name and the console's name is its crypto key id. Versions are CryptoKeyVersions: rotate creates one and (for
// encryption keys) makes it primary. Every data-carrying call follows Google's data-integrity guidance: CRC32C of
// what is sent, verified_* flags and response checksums checked; a mismatch is an IntegrityFailure, never a value.
import crypto from 'node:crypto';
import { ProviderError, type CreateKeyInput, type KmsProvider, type ProviderCapabilities, type ProviderKeySpec, type ProviderRotationControl } from '../types.ts';
import { createGcpClient, type GcpKmsProviderOptions } from './client.ts';
import { createCrc32c } from './crc32c.ts';
import { ALGORITHM, createIntegrity, currentVersion, isoTime, keyInfo, keyMeta, versionNumber, type CryptoKeyMsg, type KeyMeta } from './mapping.ts';
import { createVersionOps } from './versions.ts';

export type { GcpKmsProviderOptions } from './client.ts';

const CAPABILITIES: ProviderCapabilities = Object.freeze({
  specs: Object.freeze({ encrypt: Object.freeze(['AES_256'] as ProviderKeySpec[]), sign: Object.freeze(['RSA_2048', 'EC_P256'] as ProviderKeySpec[]) }),
  associatedData: true,
  maxPlaintextBytes: 64 * 1024,
  rotation: true,
  rotateSigningKeys: true,
  automaticRotation: true,
  scheduledDestruction: true,
  kmsBacked: true,
});

/** The response's bytes as a Buffer view (no copy). */
const asBuffer = (v: Uint8Array | string | null | undefined): Buffer =>
  typeof v === 'string' ? Buffer.from(v, 'base64') : v ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : Buffer.alloc(0);

const ID_RE = /^[A-Za-z0-9_-]{1,63}$/;
const KEY_NAME_RE = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[A-Za-z0-9_-]{1,63}\/cryptoKeys\/[A-Za-z0-9_-]{1,63}$/;
const CACHE_MAX = 10_000;
const DAY_S = 86_400;
const LIST_CONCURRENCY = 8;
/** CryptoKey.rotation_period: at least 24 hours and at most 876,000 hours (Cloud KMS reference); whole seconds here. */
const GCP_ROTATION_LIMITS = Object.freeze({
  minSeconds: DAY_S,
  maxSeconds: 876_000 * 3600,
  stepSeconds: 1,
  text: 'Google Cloud KMS rotates a key by itself every rotationPeriod: at least 24 hours and at most 876,000 hours (86,400 to 3,153,600,000 seconds).',
});

export function createGcpKmsProvider(options: GcpKmsProviderOptions): KmsProvider {
  const id = options.id;
  const invalid = (message: string, providerCode: string | null = null) => new ProviderError('InvalidInput', message, { providerId: id, providerCode });
  const location = options.locationId ?? 'global';
  if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(options.projectId)) throw invalid('projectId must be a Google Cloud project id (6-30 lower-case letters, digits, hyphens).');
  if (!/^[a-z0-9-]{1,63}$/.test(location)) throw invalid('locationId must be a location such as global or europe-west1.');
  if (!ID_RE.test(options.keyRingId)) throw invalid('keyRingId must be 1-63 letters, digits, "_" or "-".');
  const destroyDays = options.destroyScheduledDays ?? 30;
  if (!Number.isInteger(destroyDays) || destroyDays < 1 || destroyDays > 120) throw invalid('destroyScheduledDays must be a whole number of days from 1 to 120.');
  const now = options.now ?? (() => Date.now());
  const locationName = `projects/${options.projectId}/locations/${location}`;
  const ringName = `${locationName}/keyRings/${options.keyRingId}`;
  const { call, close } = createGcpClient(options);
  const check = createIntegrity(createCrc32c(), id);
  const versions = createVersionOps(call, id, options.generationTimeoutMs ?? 60_000);

  // Immutable facts per key / version, remembered per instance (bounded) so the hot paths make one call.
  const bounded = <V>() => {
    const m = new Map<string, V>();
    return {
      get: (k: string) => m.get(k),
      set(k: string, v: V) {
        if (m.size >= CACHE_MAX) m.delete(m.keys().next().value!);
        m.set(k, v);
      },
      delete: (k: string) => m.delete(k),
    };
  };
  const metas = bounded<KeyMeta>();
  const signingVersion = bounded<number>(); // a hint, refreshed when the service refuses it
  const publicKeys = bounded<{ pem: string; key: crypto.KeyObject }>();

  /** Full CryptoKey names pass; a bare crypto key id is taken to be in the configured key ring. */
  function keyName(keyRef: string): string {
    if (ID_RE.test(keyRef)) return `${ringName}/cryptoKeys/${keyRef}`;
    if (!KEY_NAME_RE.test(keyRef)) throw invalid(`"${keyRef.slice(0, 200)}" is not a Cloud KMS crypto key name (projects/P/locations/L/keyRings/R/cryptoKeys/K).`, 'INVALID_ARGUMENT');
    return keyRef;
  }

  async function getKey(name: string): Promise<CryptoKeyMsg> {
    const [key] = await call('GetCryptoKey', (kms, o) => kms.getCryptoKey({ name }, o));
    metas.set(name, keyMeta(key, id));
    return key;
  }

  async function metaOf(name: string): Promise<KeyMeta> {
    return metas.get(name) ?? keyMeta(await getKey(name), id);
  }

  async function describe(key: CryptoKeyMsg) {
    const meta = keyMeta(key, id);
    const all = meta.usage === 'sign' ? await versions.list(key.name!) : null;
    const info = keyInfo(key, all, id);
    if (meta.usage === 'sign' && info.currentVersion > 0) signingVersion.set(key.name!, info.currentVersion);
    return info;
  }

  async function requireSigning(name: string, keyRef: string): Promise<KeyMeta> {
    const meta = await metaOf(name);
    if (meta.usage !== 'sign') throw invalid(`Cloud KMS key ${keyRef} is an encryption key (ENCRYPT_DECRYPT) and cannot sign or verify.`, 'INVALID_ARGUMENT');
    return meta;
  }

  async function currentSigningVersion(name: string, refresh: boolean): Promise<number> {
    const hint = refresh ? undefined : signingVersion.get(name);
    if (hint !== undefined) return hint;
    const key = await getKey(name);
    const current = currentVersion(key, await versions.list(name));
    if (!current) throw new ProviderError('KeyDisabled', `Cloud KMS key ${name} has no usable version.`, { providerId: id, providerCode: 'FAILED_PRECONDITION' });
    signingVersion.set(name, versionNumber(current.name));
    return versionNumber(current.name);
  }

  async function publicKeyOf(versionName: string) {
    const cached = publicKeys.get(versionName);
    if (cached) return cached;
    const [pk] = await call('GetPublicKey', (kms, o) => kms.getPublicKey({ name: versionName }, o));
    check.sameResource(pk.name, (n) => n === versionName, 'key version');
    check.response(Buffer.from(pk.pem ?? '', 'utf8'), pk.pemCrc32c, 'public key');
    const entry = { pem: pk.pem!, key: crypto.createPublicKey(pk.pem!) };
    publicKeys.set(versionName, entry);
    return entry;
  }

  const versionArg = (version: number | undefined) => {
    if (version !== undefined && (!Number.isInteger(version) || version < 1)) throw invalid('version must be a whole number from 1.');
    return version;
  };

  async function encryptRaw(name: string, plaintext: Buffer, aad: Buffer | undefined) {
    const withAad = aad !== undefined && aad.length > 0;
    const [out] = await call('Encrypt', (kms, o) =>
      kms.encrypt(
        {
          name,
          plaintext,
          plaintextCrc32c: check.request(plaintext),
          ...(withAad ? { additionalAuthenticatedData: aad, additionalAuthenticatedDataCrc32c: check.request(aad) } : {}),
        },
        o,
      ),
    );
    check.sameResource(out.name, (n) => n.startsWith(`${name}/cryptoKeyVersions/`), 'key');
    check.verified(out.verifiedPlaintextCrc32c, 'plaintext');
    if (withAad) check.verified(out.verifiedAdditionalAuthenticatedDataCrc32c, 'associated data');
    const ciphertext = asBuffer(out.ciphertext);
    check.response(ciphertext, out.ciphertextCrc32c, 'ciphertext');
    return { ciphertext, version: versionNumber(out.name) };
  }

  async function createInRing(input: CreateKeyInput, body: Record<string, unknown>): Promise<CryptoKeyMsg> {
    const create = () => call('CreateCryptoKey', (kms, o) => kms.createCryptoKey({ parent: ringName, cryptoKeyId: input.name, cryptoKey: body }, o)).then((r) => r[0]);
    try {
      return await create();
    } catch (e) {
      if (!(e instanceof ProviderError && e.kind === 'NotFound')) throw e;
    }
    // The key ring does not exist yet: create it (another console may race us to it) and try once more.
    await call('CreateKeyRing', (kms, o) => kms.createKeyRing({ parent: locationName, keyRingId: options.keyRingId, keyRing: {} }, o)).catch((e: unknown) => {
      if (!(e instanceof ProviderError && e.providerCode === 'ALREADY_EXISTS')) throw e;
    });
    return create();
  }

  /** The key's schedule: UpdateCryptoKey with an update mask naming rotation_period and next_rotation_time. */
  const updateSchedule = (name: string, schedule: { rotationPeriod: { seconds: number }; nextRotationTime: { seconds: number } } | null) =>
    call('UpdateCryptoKey', (kms, o) => kms.updateCryptoKey({ cryptoKey: { name, ...(schedule ?? {}) }, updateMask: { paths: ['rotation_period', 'next_rotation_time'] } }, o));

  const providerRotation: ProviderRotationControl = {
    limits: GCP_ROTATION_LIMITS,
    supportsSpec: (spec) => spec === 'AES_256', // automatic rotation is for ENCRYPT_DECRYPT keys only
    async setSchedule(keyRef, periodSeconds) {
      const { minSeconds, maxSeconds, text } = GCP_ROTATION_LIMITS;
      if (!Number.isInteger(periodSeconds) || periodSeconds < minSeconds || periodSeconds > maxSeconds) throw invalid(text, 'INVALID_ARGUMENT');
      // The first rotation a period from now (the console's clock), then every period.
      await updateSchedule(keyName(keyRef), { rotationPeriod: { seconds: periodSeconds }, nextRotationTime: { seconds: Math.floor(now() / 1000) + periodSeconds } });
    },
    async getSchedule(keyRef) {
      const [key] = await call('GetCryptoKey', (kms, o) => kms.getCryptoKey({ name: keyName(keyRef) }, o));
      const period = Number(key.rotationPeriod?.seconds ?? 0);
      if (!Number.isFinite(period) || period <= 0) return { enabled: false, periodSeconds: null, nextRotationAt: null };
      return { enabled: true, periodSeconds: period, nextRotationAt: isoTime(key.nextRotationTime) };
    },
    async disableSchedule(keyRef) {
      await updateSchedule(keyName(keyRef), null); // both paths named, both absent: cleared
    },
    async listVersions(keyRef) {
      // Cloud KMS does not say whether a version came from the schedule or from CreateCryptoKeyVersion.
      return (await versions.list(keyName(keyRef))).map((v) => ({ version: versionNumber(v.name), versionId: v.name ?? '', createdAt: isoTime(v.createTime), origin: null }));
    },
  };

  const provider: KmsProvider = {
    id,
    kind: 'google_cloud_kms',
    capabilities: CAPABILITIES,
    providerRotation,

    async createKey(input) {
      if (!ID_RE.test(input.name)) throw invalid('Key name must be 1..63 characters of A-Z a-z 0-9 _ - (Cloud KMS crypto key id).');
      const allowed = input.usage === 'encrypt' ? CAPABILITIES.specs.encrypt : input.usage === 'sign' ? CAPABILITIES.specs.sign : [];
      if (!allowed.includes(input.spec)) throw invalid(`Cloud KMS keys for "${input.usage}" cannot have spec ${input.spec}.`, 'INVALID_ARGUMENT');
      const period = input.rotationPeriodDays ?? null;
      if (period !== null) {
        if (input.usage === 'sign') throw invalid('Cloud KMS rotates only encryption keys automatically; rotate signing keys with rotate().', 'INVALID_ARGUMENT');
        if (!Number.isInteger(period) || period < 1 || period > 36_500) throw invalid('Cloud KMS rotation periods are whole days from 1 to 36500.', 'INVALID_ARGUMENT');
      }
      const body = {
        purpose: input.usage === 'encrypt' ? 'ENCRYPT_DECRYPT' : 'ASYMMETRIC_SIGN',
        versionTemplate: { algorithm: ALGORITHM[input.spec], protectionLevel: 'SOFTWARE' },
        labels: { 'managed-by': 'ecps-console' },
        destroyScheduledDuration: { seconds: destroyDays * DAY_S },
        ...(period === null ? {} : { rotationPeriod: { seconds: period * DAY_S }, nextRotationTime: { seconds: Math.floor(now() / 1000) + period * DAY_S } }),
      };
      let key: CryptoKeyMsg;
      try {
        key = await createInRing(input, body);
      } catch (e) {
        if (e instanceof ProviderError && e.providerCode === 'ALREADY_EXISTS')
          throw new ProviderError('InvalidInput', `A key named "${input.name}" already exists in key ring ${options.keyRingId} (Cloud KMS never deletes key names).`, { providerId: id, providerCode: e.providerCode, requestId: e.requestId, cause: e });
        throw e;
      }
      metas.set(key.name!, { spec: input.spec, usage: input.usage });
      if (input.usage === 'encrypt') return keyInfo(key, null, id);
      const first = await versions.waitGenerated({ name: `${key.name!}/cryptoKeyVersions/1`, state: 'PENDING_GENERATION' });
      signingVersion.set(key.name!, 1);
      return keyInfo(key, [first], id);
    },

    async describeKey(keyRef) {
      return describe(await getKey(keyName(keyRef)));
    },

    async listKeys(opts) {
      const pageSize = opts?.pageSize ?? 100;
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw invalid('pageSize must be a whole number from 1 to 1000.');
      let keys: CryptoKeyMsg[];
      let next: string | null;
      try {
        const [items, , raw] = await call('ListCryptoKeys', (kms, o) => kms.listCryptoKeys({ parent: ringName, pageSize, pageToken: opts?.pageToken ?? '' }, o));
        keys = items;
        next = raw?.nextPageToken ? raw.nextPageToken : null;
      } catch (e) {
        // No key ring yet means no keys yet (it is created with the first key).
        if (e instanceof ProviderError && e.kind === 'NotFound' && !opts?.pageToken) return { items: [], nextPageToken: null };
        throw e;
      }
      // Keys of kinds the console does not use (MAC, asymmetric decryption, ...) may share the ring: skip them.
      const usable = keys.filter((k) => {
        try {
          keyMeta(k, id);
          return true;
        } catch {
          return false;
        }
      });
      const items = [];
      for (let i = 0; i < usable.length; i += LIST_CONCURRENCY) items.push(...(await Promise.all(usable.slice(i, i + LIST_CONCURRENCY).map(describe))));
      return { items, nextPageToken: next };
    },

    async encrypt(keyRef, plaintext, aad) {
      return encryptRaw(keyName(keyRef), plaintext, aad);
    },

    async decrypt(keyRef, ciphertext, aad) {
      const name = keyName(keyRef);
      const withAad = aad !== undefined && aad.length > 0;
      const [out] = await call('Decrypt', (kms, o) =>
        kms.decrypt(
          {
            name,
            ciphertext,
            ciphertextCrc32c: check.request(ciphertext),
            ...(withAad ? { additionalAuthenticatedData: aad, additionalAuthenticatedDataCrc32c: check.request(aad) } : {}),
          },
          o,
        ),
      );
      const plaintext = asBuffer(out.plaintext);
      try {
        check.response(plaintext, out.plaintextCrc32c, 'plaintext');
      } catch (e) {
        plaintext.fill(0);
        throw e;
      }
      // DecryptResponse does not name the version that decrypted.
      return { plaintext, version: null };
    },

    async generateDataKey(keyRef, aad) {
      const plaintext = crypto.randomBytes(32);
      try {
        const { ciphertext, version } = await encryptRaw(keyName(keyRef), plaintext, aad);
        return { plaintext, wrapped: ciphertext, version };
      } catch (e) {
        plaintext.fill(0);
        throw e;
      }
    },

    async sign(keyRef, message, version) {
      const name = keyName(keyRef);
      await requireSigning(name, keyRef);
      const digest = crypto.createHash('sha256').update(message).digest();
      const attempt = async (number: number) => {
        const versionName = `${name}/cryptoKeyVersions/${number}`;
        const [out] = await call('AsymmetricSign', (kms, o) => kms.asymmetricSign({ name: versionName, digest: { sha256: digest }, digestCrc32c: check.request(digest) }, o));
        check.sameResource(out.name, (n) => n === versionName, 'key version');
        check.verified(out.verifiedDigestCrc32c, 'digest');
        const signature = asBuffer(out.signature);
        check.response(signature, out.signatureCrc32c, 'signature');
        return { signature, version: number };
      };
      if (versionArg(version) !== undefined) return attempt(version!);
      const hinted = await currentSigningVersion(name, false);
      try {
        return await attempt(hinted);
      } catch (e) {
        // The remembered version may have been disabled or superseded elsewhere: look again once.
        if (!(e instanceof ProviderError && (e.kind === 'KeyDisabled' || e.kind === 'NotFound'))) throw e;
        const fresh = await currentSigningVersion(name, true);
        if (fresh === hinted) throw e;
        return attempt(fresh);
      }
    },

    async verify(keyRef, message, signature, version) {
      const name = keyName(keyRef);
      const meta = await requireSigning(name, keyRef);
      const number = versionArg(version) ?? (await currentSigningVersion(name, false));
      const { key } = await publicKeyOf(`${name}/cryptoKeyVersions/${number}`);
      if (signature.length === 0) return false;
      try {
        return meta.spec === 'RSA_2048'
          ? crypto.verify('sha256', message, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature)
          : crypto.verify('sha256', message, { key, dsaEncoding: 'der' }, signature);
      } catch {
        return false; // malformed signature
      }
    },

    async getPublicKey(keyRef, version) {
      const name = keyName(keyRef);
      await requireSigning(name, keyRef);
      const number = versionArg(version) ?? (await currentSigningVersion(name, true));
      const { pem } = await publicKeyOf(`${name}/cryptoKeyVersions/${number}`);
      return { pem, version: number };
    },

    async rotate(keyRef) {
      const name = keyName(keyRef);
      const meta = await metaOf(name);
      const [created] = await call('CreateCryptoKeyVersion', (kms, o) => kms.createCryptoKeyVersion({ parent: name, cryptoKeyVersion: {} }, o));
      const number = versionNumber(created.name);
      if (meta.usage === 'encrypt') {
        await call('UpdateCryptoKeyPrimaryVersion', (kms, o) => kms.updateCryptoKeyPrimaryVersion({ name, cryptoKeyVersionId: String(number) }, o));
      } else {
        await versions.waitGenerated(created);
        signingVersion.set(name, number);
      }
      return { version: number };
    },

    async enable(keyRef) {
      await versions.setAll(keyName(keyRef), 'ENABLED');
    },

    async disable(keyRef) {
      await versions.setAll(keyName(keyRef), 'DISABLED');
    },

    async scheduleDestruction(keyRef, waitingDays) {
      if (!Number.isInteger(waitingDays) || waitingDays < 0 || waitingDays > 120)
        throw invalid('Cloud KMS destroys key versions after the key\'s scheduled-destruction period (set at creation, at most 120 days).', 'INVALID_ARGUMENT');
      const name = keyName(keyRef);
      const deletionDate = await versions.destroyAll(name);
      signingVersion.delete(name);
      return { deletionDate };
    },

    async cancelDestruction(keyRef) {
      // As in the service, restored versions come back DISABLED; enable() makes the key usable again.
      await versions.restoreAll(keyName(keyRef));
    },

    async health() {
      const start = performance.now();
      try {
        await call('ListCryptoKeys', (kms, o) => kms.listCryptoKeys({ parent: ringName, pageSize: 1 }, o));
        return { ok: true, latencyMs: performance.now() - start, detail: null };
      } catch (e) {
        const pe = e as ProviderError;
        // The key ring is created with the first key: a missing ring still proves the service answers and we may ask.
        if (pe.kind === 'NotFound') return { ok: true, latencyMs: performance.now() - start, detail: 'key ring not created yet' };
        return { ok: false, latencyMs: performance.now() - start, detail: `${pe.kind}${pe.providerCode ? ` (${pe.providerCode})` : ''}`, errorKind: pe.kind };
      }
    },

    async close() {
      await close();
    },
  };
  return provider;
}
