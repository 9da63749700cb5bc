// The 'local' KmsProvider of console keys: their material lives in the console's own key catalog (keys /
// key_versions), wrapped under the store key (storeKeyring.wrapMaterial, AAD = store, key id, version, algorithm),
// so the key reference is the console key id and the version is the console version. The key lifecycle reaches
// local keys through this contract like any other provider's; two things differ because catalog and provider share
// one table:
// - createKey / rotate only PREPARE the new version (material generated and wrapped, held in memory): the version row
//   is written by the lifecycle's commit (takePrepared), in the same transaction as the key row and its audit record.
// - The enabled flag IS the console state: enable / disable change nothing here (the lifecycle's commit does), and
//   describeKey reports the state the console row implies. Every use is refused unless that state allows it.
// The envelope data path borrows material synchronously (withMaterial()) to keep the local fast path and the format;
// the unlocked keyring caches it per version (crypto/materialCache.ts) and forget() drops a key's versions.
import crypto from 'node:crypto';
import { canProcess, LOCAL_PROVIDER_ID } from '../../../shared/domain.ts';
import type { Clock } from '../../clock.ts';
import { checkKeyIntegrity, generateKeyMaterial, signWith, spkiToPem, verifyWith } from '../../crypto/keyMaterial.ts';
import type { StoreKeyring } from '../../crypto/storeKeyring.ts';
import type { KeyRow, KeysRepo, KeyVersionRow } from '../../store/keysRepo.ts';
import {
  type CreateKeyInput,
  type KmsProvider,
  ProviderError,
  type ProviderErrorKind,
  type ProviderKeyInfo,
  type ProviderKeyState,
} from '../types.ts';
import { localCiphertextVersion, openLocal, sealLocal } from './localCiphertext.ts';
import { LOCAL_CAPABILITIES, LOCAL_MAX_PLAINTEXT } from './localProvider.ts';
import { validateCreateInput } from './localValidation.ts';

/** The name the lifecycle gives a console key at its provider: "key-<console key id>". */
const NAME = /^key-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export interface StoreKeyProvider extends KmsProvider {
  /** The version row createKey / rotate prepared (removed from memory), for the lifecycle's commit; null if none. */
  takePrepared(keyRef: string, version: number): KeyVersionRow | null;
  /** One store-held version's material, unwrapped (a copy: the caller zeroes it). */
  material(key: KeyRow, v: KeyVersionRow): Buffer;
  /**
   * Lends one store-held version's material to `use` (from the keyring's cache while unlocked). Synchronous: the
   * envelope fast path. `use` neither keeps nor zeroes the buffer. Throws like material() when there is none.
   */
  withMaterial<T>(key: KeyRow, v: KeyVersionRow, use: (material: Buffer) => T): T;
  /** Zeroes and drops the key's cached material (state change, rotation, destruction); nothing to do while locked. */
  forget(keyId: string): void;
  /** Checks one store-held version: check value / public key against its unwrapped material. */
  checkVersion(key: KeyRow, v: KeyVersionRow): { version: number; ok: boolean; reason: string | null };
}

export interface StoreKeyProviderDeps {
  repo: KeysRepo;
  /** The unlocked store's keyring; throws while the store is locked. */
  keyring(): StoreKeyring;
  clock: Clock;
}

/** The provider-side state the console state of a local key implies (its flag is the console state itself). */
export function storeStateOf(key: Pick<KeyRow, 'state'>): ProviderKeyState {
  if (key.state === 'destroyed') return 'destroyed';
  return canProcess(key.state) ? 'enabled' : 'disabled';
}

export function createStoreKeyProvider(deps: StoreKeyProviderDeps): StoreKeyProvider {
  const { repo, clock } = deps;
  const id = LOCAL_PROVIDER_ID;
  const prepared = new Map<string, KeyVersionRow>();
  // Keys created here whose row the lifecycle has not committed yet (enable / disable must find them meanwhile).
  const uncommitted = new Set<string>();
  const slot = (keyRef: string, version: number) => `${keyRef}#${version}`;
  const nowIso = () => new Date(clock.now()).toISOString();

  const fail = (kind: ProviderErrorKind, message: string, code: string) => new ProviderError(kind, message, { providerId: id, providerCode: code });

  const ring = (): StoreKeyring => {
    try {
      return deps.keyring();
    } catch {
      throw fail('AccessDenied', 'The key store is locked; unlock it to use local keys.', 'StoreLocked');
    }
  };

  const load = (keyRef: string): KeyRow => {
    const key = typeof keyRef === 'string' ? repo.get(keyRef) : null;
    if (!key) throw fail('NotFound', `The local store has no key ${String(keyRef)}.`, 'KeyNotFound');
    return key;
  };

  const usable = (key: KeyRow, usage: 'encrypt' | 'sign'): KeyRow => {
    const state = storeStateOf(key);
    if (state !== 'enabled') throw fail('KeyDisabled', `Key ${key.id} is ${key.state}.`, 'KeyState');
    if ((key.algorithm === 'AES_256') !== (usage === 'encrypt')) throw fail('InvalidInput', `Key ${key.id} is not a ${usage} key.`, 'WrongUsage');
    return key;
  };

  const versionOf = (key: KeyRow, version: number | undefined): KeyVersionRow => {
    const v = version ?? key.currentVersion;
    if (!Number.isInteger(v) || v < 1) throw fail('InvalidInput', 'A key version is a positive integer.', 'InvalidVersion');
    const row = repo.getVersion(key.id, v);
    if (!row || row.provider) throw fail('NotFound', `The local store holds no version ${v} of key ${key.id}.`, 'VersionNotFound');
    return row;
  };

  const withMaterial = <T>(key: KeyRow, v: KeyVersionRow, use: (material: Buffer) => T): T => {
    if (v.destroyed || !v.wrappedMaterial) throw fail('KeyDisabled', `The material of key ${key.id} version ${v.version} was destroyed.`, 'KeyDestroyed');
    return ring().withMaterial(key.id, v.version, key.algorithm, v.wrappedMaterial, (m) => {
      if (!m) throw fail('IntegrityFailure', `The stored material of key ${key.id} version ${v.version} failed its integrity check.`, 'StoredMaterialTampered');
      return use(m);
    });
  };

  const forget = (keyId: string): void => {
    let keyring: StoreKeyring;
    try {
      keyring = deps.keyring();
    } catch {
      return; // locked: the keyring and its cache are already gone
    }
    keyring.forgetMaterial(keyId);
  };

  const prepare = (keyRef: string, algorithm: KeyRow['algorithm'], version: number): void => {
    const keyring = ring();
    const gen = generateKeyMaterial(algorithm);
    try {
      prepared.set(slot(keyRef, version), {
        keyId: keyRef,
        version,
        createdAt: nowIso(),
        checkValue: gen.checkValue,
        publicSpki: gen.publicSpki,
        wrappedMaterial: keyring.wrapMaterial(keyRef, version, algorithm, gen.material),
        destroyed: false,
        provider: null,
        providerVersion: null,
      });
    } finally {
      gen.material.fill(0);
    }
  };

  const info = (key: KeyRow): ProviderKeyInfo => ({
    keyRef: key.id,
    name: `key-${key.id}`,
    spec: key.algorithm,
    usage: key.algorithm === 'AES_256' ? 'encrypt' : 'sign',
    state: storeStateOf(key),
    currentVersion: key.currentVersion,
    createdAt: key.createdAt,
    deletionDate: null,
    rotationPeriodDays: null,
  });

  return {
    id,
    kind: 'local',
    capabilities: LOCAL_CAPABILITIES,

    takePrepared(keyRef, version) {
      const row = prepared.get(slot(keyRef, version)) ?? null;
      prepared.delete(slot(keyRef, version));
      return row;
    },

    material(key, v) {
      return withMaterial(key, v, (m) => Buffer.from(m));
    },

    withMaterial,
    forget,

    checkVersion(key, v) {
      if (v.destroyed || !v.wrappedMaterial) return { version: v.version, ok: false, reason: 'key material is missing' };
      const m = ring().unwrapMaterial(key.id, v.version, key.algorithm, v.wrappedMaterial);
      if (!m) return { version: v.version, ok: false, reason: 'stored key material failed authentication' };
      try {
        const reason = checkKeyIntegrity(key.algorithm, m, v.publicSpki, v.checkValue);
        return { version: v.version, ok: reason === null, reason };
      } finally {
        m.fill(0);
      }
    },

    async createKey(input: CreateKeyInput) {
      const valid = validateCreateInput(input, LOCAL_CAPABILITIES, (m, c) => fail('InvalidInput', m, c));
      const keyRef = NAME.exec(valid.name)?.[1];
      if (!keyRef) throw fail('InvalidInput', 'Local console keys are named key-<console key id>.', 'InvalidName');
      if (repo.get(keyRef) || prepared.has(slot(keyRef, 1))) throw fail('InvalidInput', `A local key ${keyRef} already exists.`, 'AlreadyExists');
      for (const ref of uncommitted) if (repo.get(ref)) uncommitted.delete(ref);
      prepare(keyRef, valid.spec, 1);
      uncommitted.add(keyRef);
      const at = nowIso();
      return { keyRef, name: valid.name, spec: valid.spec, usage: valid.usage, state: 'enabled', currentVersion: 1, createdAt: at, deletionDate: null, rotationPeriodDays: null };
    },

    async describeKey(keyRef) {
      return info(load(keyRef));
    },

    async listKeys(options) {
      const size = options?.pageSize ?? 100;
      if (!Number.isInteger(size) || size < 1 || size > 1000) throw fail('InvalidInput', 'pageSize must be an integer from 1 to 1000.', 'InvalidPageSize');
      const offset = options?.pageToken ? Number.parseInt(options.pageToken, 10) : 0;
      if (!Number.isSafeInteger(offset) || offset < 0) throw fail('InvalidInput', 'The page token is not one this provider issued.', 'InvalidPageToken');
      const all = repo.list({}).filter((k) => k.provider === id);
      const page = all.slice(offset, offset + size);
      return { items: page.map(info), nextPageToken: offset + size < all.length ? String(offset + size) : null };
    },

    async encrypt(keyRef, plaintext, aad) {
      if (!Buffer.isBuffer(plaintext) || plaintext.length > LOCAL_MAX_PLAINTEXT) throw fail('InvalidInput', `The plaintext must be at most ${LOCAL_MAX_PLAINTEXT} bytes.`, 'InvalidPlaintext');
      const key = usable(load(keyRef), 'encrypt');
      const v = versionOf(key, undefined);
      return { ciphertext: withMaterial(key, v, (m) => sealLocal(m, key.id, v.version, plaintext, aad)), version: v.version };
    },

    async decrypt(keyRef, ciphertext, aad) {
      const key = usable(load(keyRef), 'encrypt');
      const version = Buffer.isBuffer(ciphertext) ? localCiphertextVersion(ciphertext) : null;
      if (version === null) throw fail('IntegrityFailure', 'The ciphertext is not local ciphertext of this key.', 'InvalidCiphertext');
      const plaintext = withMaterial(key, versionOf(key, version), (m) => openLocal(m, key.id, version, ciphertext, aad));
      if (!plaintext) throw fail('IntegrityFailure', 'The ciphertext or its associated data failed authentication.', 'InvalidCiphertext');
      return { plaintext, version };
    },

    async generateDataKey(keyRef, aad) {
      const plaintext = crypto.randomBytes(32);
      try {
        const { ciphertext, version } = await this.encrypt(keyRef, plaintext, aad);
        return { plaintext, wrapped: ciphertext, version };
      } catch (e) {
        plaintext.fill(0);
        throw e;
      }
    },

    async sign(keyRef, message, version) {
      const key = usable(load(keyRef), 'sign');
      const v = versionOf(key, version);
      return { signature: withMaterial(key, v, (m) => signWith(key.algorithm, m, message)), version: v.version };
    },

    async verify(keyRef, message, signature, version) {
      const key = usable(load(keyRef), 'sign');
      const v = versionOf(key, version);
      return verifyWith(key.algorithm, v.publicSpki!, message, signature);
    },

    async getPublicKey(keyRef, version) {
      const key = load(keyRef);
      if (key.algorithm === 'AES_256') throw fail('InvalidInput', `Key ${key.id} is an AES key; it has no public key.`, 'WrongUsage');
      if (storeStateOf(key) === 'destroyed') throw fail('KeyDisabled', `Key ${key.id} was destroyed.`, 'KeyState');
      const v = versionOf(key, version);
      return { pem: spkiToPem(v.publicSpki!), version: v.version };
    },

    async rotate(keyRef) {
      const key = load(keyRef);
      if (storeStateOf(key) !== 'enabled') throw fail('KeyDisabled', `Key ${key.id} is ${key.state}; only usable keys are rotated.`, 'KeyState');
      const version = key.currentVersion + 1;
      prepare(key.id, key.algorithm, version);
      return { version };
    },

    async enable(keyRef) {
      if (uncommitted.has(keyRef) && !repo.get(keyRef)) return;
      if (storeStateOf(load(keyRef)) === 'destroyed') throw fail('KeyDisabled', `Key ${keyRef} was destroyed and cannot be enabled.`, 'KeyState');
    },

    async disable(keyRef) {
      if (uncommitted.has(keyRef) && !repo.get(keyRef)) return;
      load(keyRef);
    },

    async scheduleDestruction(keyRef, waitingDays) {
      if (!Number.isInteger(waitingDays) || waitingDays < 0 || waitingDays > 365) throw fail('InvalidInput', 'waitingDays must be an integer from 0 to 365.', 'InvalidWaitingPeriod');
      // A key whose creation never committed exists only here, in memory.
      for (const k of [...prepared.keys()]) if (k.startsWith(`${keyRef}#`)) prepared.delete(k);
      uncommitted.delete(keyRef);
      if (typeof keyRef === 'string' && repo.get(keyRef)) repo.destroyMaterial(keyRef);
      return { deletionDate: nowIso() };
    },

    async cancelDestruction(keyRef) {
      load(keyRef);
      throw fail('KeyDisabled', `Destruction of key ${keyRef} cannot be cancelled: the local store erases material at once.`, 'KeyState');
    },

    async health() {
      try {
        deps.keyring();
        return { ok: true, latencyMs: 0, detail: null };
      } catch {
        return { ok: false, latencyMs: 0, detail: 'the key store is locked' };
      }
    },

    async close() {
      prepared.clear();
      uncommitted.clear();
    },
  };
}
