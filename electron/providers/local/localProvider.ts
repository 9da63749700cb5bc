// The 'local' KmsProvider: keys live in the console's SQLite store (tables of migration 2), their material wrapped
// under the store's master key exactly like the key service's material (storeKeyring.wrapMaterial, with the key
// reference prefixed "local-kms/" so a value moved between the two tables never unwraps). kmsBacked is false.
import crypto from 'node:crypto';
import { LOCAL_PROVIDER_ID } from '../../../shared/domain.ts';
import { KEY_BYTES } from '../../crypto/aead.ts';
import { generateKeyMaterial, signWith, spkiToPem, verifyWith } from '../../crypto/keyMaterial.ts';
import type { StoreKeyring } from '../../crypto/storeKeyring.ts';
import type { Clock } from '../../clock.ts';
import type { LocalKmsKeyRow, LocalKmsRepo, LocalKmsVersionRow } from '../../store/providerRepo.ts';
import {
  type CreateKeyInput,
  type KmsProvider,
  type ProviderCapabilities,
  ProviderError,
  type ProviderErrorKind,
  type ProviderKeyInfo,
} from '../types.ts';
import { localCiphertextVersion, openLocal, sealLocal } from './localCiphertext.ts';
import { decodePageToken, encodePageToken, validateCreateInput } from './localValidation.ts';

export const LOCAL_PROVIDER_DEFAULT_ID = LOCAL_PROVIDER_ID;
export const LOCAL_MAX_PLAINTEXT = 64 * 1024;

export const LOCAL_CAPABILITIES: ProviderCapabilities = Object.freeze<ProviderCapabilities>({
  specs: { encrypt: ['AES_256'], sign: ['RSA_2048', 'EC_P256'] },
  associatedData: true,
  maxPlaintextBytes: LOCAL_MAX_PLAINTEXT,
  rotation: true,
  rotateSigningKeys: true,
  automaticRotation: false,
  scheduledDestruction: false,
  kmsBacked: false,
});

export interface LocalProviderDeps {
  /** Instance id (default "local", shared/domain.ts LOCAL_PROVIDER_ID). */
  id?: string;
  repo: LocalKmsRepo;
  /** The unlocked store's keyring; throws while the store is locked. */
  keyring(): StoreKeyring;
  clock: Clock;
  /** New key references (default: random UUIDs). */
  newKeyRef?: () => string;
}

const MAX_REF_CHARS = 128;

export function createLocalProvider(deps: LocalProviderDeps): KmsProvider {
  const id = deps.id ?? LOCAL_PROVIDER_DEFAULT_ID;
  const { repo, clock } = deps;
  const newKeyRef = deps.newKeyRef ?? (() => crypto.randomUUID());
  const nowIso = () => new Date(clock.now()).toISOString();
  let closed = false;

  const fail = (kind: ProviderErrorKind, message: string, code: string): ProviderError =>
    new ProviderError(kind, message, { providerId: id, providerCode: code });

  const live = () => {
    if (closed) throw fail('Unavailable', 'The local provider was closed.', 'Closed');
  };

  const ring = (): StoreKeyring => {
    try {
      return deps.keyring();
    } catch {
      throw fail('AccessDenied', 'The key store is locked; unlock it to use local provider keys.', 'StoreLocked');
    }
  };

  const load = (keyRef: string): LocalKmsKeyRow => {
    live();
    if (typeof keyRef !== 'string' || keyRef.length === 0 || keyRef.length > MAX_REF_CHARS) {
      throw fail('InvalidInput', 'A key reference must be a non-empty string of at most 128 characters.', 'InvalidKeyRef');
    }
    const key = repo.get(keyRef);
    if (!key) throw fail('NotFound', `The local provider has no key ${keyRef}.`, 'KeyNotFound');
    return key;
  };

  const usable = (key: LocalKmsKeyRow, usage: 'encrypt' | 'sign'): LocalKmsKeyRow => {
    if (key.state !== 'enabled') throw fail('KeyDisabled', `Key ${key.keyRef} is ${key.state}.`, 'KeyState');
    if (key.usage !== usage) {
      throw fail('InvalidInput', `Key ${key.keyRef} is a ${key.usage} key; this operation needs a ${usage} key.`, 'WrongUsage');
    }
    return key;
  };

  const versionOf = (key: LocalKmsKeyRow, version: number | undefined): LocalKmsVersionRow => {
    const v = version ?? key.currentVersion;
    if (!Number.isInteger(v) || v < 1) throw fail('InvalidInput', 'A key version is a positive integer.', 'InvalidVersion');
    const row = v <= key.currentVersion ? repo.getVersion(key.keyRef, v) : null;
    if (!row) throw fail('NotFound', `Key ${key.keyRef} has no version ${v}.`, 'VersionNotFound');
    return row;
  };

  /** Unwraps one version's material (caller zeroes it); stored bytes that fail authentication are IntegrityFailure. */
  const material = (key: LocalKmsKeyRow, v: LocalKmsVersionRow): Buffer => {
    const keyring = ring();
    if (!v.wrappedMaterial) throw fail('KeyDisabled', `The material of key ${key.keyRef} was destroyed.`, 'KeyDestroyed');
    const m = keyring.unwrapMaterial(`local-kms/${key.keyRef}`, v.version, key.spec, v.wrappedMaterial);
    if (!m) throw fail('IntegrityFailure', `The stored material of key ${key.keyRef} version ${v.version} failed its integrity check.`, 'StoredMaterialTampered');
    return m;
  };

  const addVersion = (keyring: StoreKeyring, key: Pick<LocalKmsKeyRow, 'keyRef' | 'spec'>, version: number, at: string) => {
    const gen = generateKeyMaterial(key.spec);
    try {
      repo.insertVersion({
        keyRef: key.keyRef,
        version,
        createdAt: at,
        checkValue: gen.checkValue,
        publicSpki: gen.publicSpki,
        wrappedMaterial: keyring.wrapMaterial(`local-kms/${key.keyRef}`, version, key.spec, gen.material),
      });
    } finally {
      gen.material.fill(0);
    }
  };

  const info = (k: LocalKmsKeyRow): ProviderKeyInfo => ({
    keyRef: k.keyRef,
    name: k.name,
    spec: k.spec,
    usage: k.usage,
    state: k.state,
    currentVersion: k.currentVersion,
    createdAt: k.createdAt,
    deletionDate: k.deletionDate,
    rotationPeriodDays: null,
  });

  const checkPlaintext = (plaintext: Buffer) => {
    if (!Buffer.isBuffer(plaintext)) throw fail('InvalidInput', 'The plaintext must be bytes.', 'InvalidPlaintext');
    if (plaintext.length > LOCAL_MAX_PLAINTEXT) {
      throw fail('InvalidInput', `The plaintext is ${plaintext.length} bytes; the local provider takes at most ${LOCAL_MAX_PLAINTEXT}.`, 'PlaintextTooLarge');
    }
  };

  const encryptWith = (key: LocalKmsKeyRow, plaintext: Buffer, aad: Buffer | undefined) => {
    const v = versionOf(key, undefined);
    const m = material(key, v);
    try {
      return { ciphertext: sealLocal(m, key.keyRef, v.version, plaintext, aad), version: v.version };
    } finally {
      m.fill(0);
    }
  };

  return {
    id,
    kind: 'local',
    capabilities: LOCAL_CAPABILITIES,

    async createKey(input: CreateKeyInput) {
      live();
      const valid = validateCreateInput(input, LOCAL_CAPABILITIES, (m, c) => fail('InvalidInput', m, c));
      const keyring = ring();
      return repo.transaction(() => {
        if (repo.getByName(valid.name)) throw fail('InvalidInput', `A local provider key named ${valid.name} already exists.`, 'AlreadyExists');
        const at = nowIso();
        const row: LocalKmsKeyRow = { keyRef: newKeyRef(), name: valid.name, spec: valid.spec, usage: valid.usage, state: 'enabled', currentVersion: 1, description: valid.description, createdAt: at, deletionDate: null };
        repo.insertKey(row);
        addVersion(keyring, row, 1, at);
        return info(row);
      });
    },

    async describeKey(keyRef) {
      return info(load(keyRef));
    },

    async listKeys(options) {
      live();
      const size = options?.pageSize ?? 100;
      if (!Number.isInteger(size) || size < 1 || size > 1000) throw fail('InvalidInput', 'pageSize must be an integer from 1 to 1000.', 'InvalidPageSize');
      const after = options?.pageToken ? decodePageToken(options.pageToken, (m) => fail('InvalidInput', m, 'InvalidPageToken')) : null;
      const rows = repo.listAfter(after, size + 1);
      const page = rows.slice(0, size);
      const last = page[page.length - 1];
      return { items: page.map(info), nextPageToken: rows.length > size && last ? encodePageToken(last) : null };
    },

    async encrypt(keyRef, plaintext, aad) {
      checkPlaintext(plaintext);
      return encryptWith(usable(load(keyRef), 'encrypt'), plaintext, aad);
    },

    async decrypt(keyRef, ciphertext, aad) {
      const key = usable(load(keyRef), 'encrypt');
      const version = Buffer.isBuffer(ciphertext) ? localCiphertextVersion(ciphertext) : null;
      if (version === null || version > key.currentVersion) {
        throw fail('IntegrityFailure', 'The ciphertext is not local provider ciphertext of this key.', 'InvalidCiphertext');
      }
      const m = material(key, versionOf(key, version));
      try {
        const plaintext = openLocal(m, key.keyRef, version, ciphertext, aad);
        if (!plaintext) throw fail('IntegrityFailure', 'The ciphertext or its associated data failed authentication.', 'InvalidCiphertext');
        return { plaintext, version };
      } finally {
        m.fill(0);
      }
    },

    async generateDataKey(keyRef, aad) {
      const key = usable(load(keyRef), 'encrypt');
      const plaintext = crypto.randomBytes(KEY_BYTES);
      try {
        const { ciphertext, version } = encryptWith(key, plaintext, aad);
        return { plaintext, wrapped: ciphertext, version };
      } catch (e) {
        plaintext.fill(0);
        throw e;
      }
    },

    async sign(keyRef, message, version) {
      const key = usable(load(keyRef), 'sign');
      if (!Buffer.isBuffer(message)) throw fail('InvalidInput', 'The message must be bytes.', 'InvalidMessage');
      const v = versionOf(key, version);
      const m = material(key, v);
      try {
        return { signature: signWith(key.spec, m, message), version: v.version };
      } finally {
        m.fill(0);
      }
    },

    async verify(keyRef, message, signature, version) {
      const key = usable(load(keyRef), 'sign');
      if (!Buffer.isBuffer(message) || !Buffer.isBuffer(signature)) throw fail('InvalidInput', 'Message and signature must be bytes.', 'InvalidMessage');
      const v = versionOf(key, version);
      return verifyWith(key.spec, v.publicSpki!, message, signature);
    },

    async getPublicKey(keyRef, version) {
      const key = usable(load(keyRef), 'sign');
      const v = versionOf(key, version);
      return { pem: spkiToPem(v.publicSpki!), version: v.version };
    },

    async rotate(keyRef) {
      const key = load(keyRef);
      if (key.state !== 'enabled') throw fail('KeyDisabled', `Key ${keyRef} is ${key.state}; only enabled keys are rotated.`, 'KeyState');
      const keyring = ring();
      return repo.transaction(() => {
        const fresh = load(keyRef);
        const version = fresh.currentVersion + 1;
        addVersion(keyring, fresh, version, nowIso());
        repo.setCurrentVersion(keyRef, version);
        return { version };
      });
    },

    async enable(keyRef) {
      const key = load(keyRef);
      if (key.state === 'enabled') return;
      if (key.state !== 'disabled') throw fail('KeyDisabled', `Key ${keyRef} is ${key.state} and cannot be enabled.`, 'KeyState');
      repo.setState(keyRef, 'enabled', null);
    },

    async disable(keyRef) {
      const key = load(keyRef);
      if (key.state === 'disabled') return;
      if (key.state !== 'enabled') throw fail('KeyDisabled', `Key ${keyRef} is ${key.state} and cannot be disabled.`, 'KeyState');
      repo.setState(keyRef, 'disabled', null);
    },

    async scheduleDestruction(keyRef, waitingDays) {
      const key = load(keyRef);
      if (!Number.isInteger(waitingDays) || waitingDays < 0 || waitingDays > 365) {
        throw fail('InvalidInput', 'waitingDays must be an integer from 0 to 365.', 'InvalidWaitingPeriod');
      }
      if (key.state === 'destroyed' || key.state === 'pending_deletion') {
        throw fail('KeyDisabled', `Key ${keyRef} is already ${key.state}.`, 'KeyState');
      }
      // No waiting period here: the material is erased at once (capabilities.scheduledDestruction is false).
      const deletionDate = nowIso();
      repo.transaction(() => {
        repo.eraseMaterial(keyRef);
        repo.setState(keyRef, 'destroyed', deletionDate);
      });
      return { deletionDate };
    },

    async cancelDestruction(keyRef) {
      const key = load(keyRef);
      const why = key.state === 'destroyed' ? 'its material was erased' : 'no destruction is scheduled';
      throw fail('KeyDisabled', `Destruction of key ${keyRef} cannot be cancelled: ${why}.`, 'KeyState');
    },

    async health() {
      const started = clock.now();
      if (closed) return { ok: false, latencyMs: 0, detail: 'closed' };
      try {
        repo.get('health-probe');
      } catch {
        return { ok: false, latencyMs: clock.now() - started, detail: 'the key store database cannot be read' };
      }
      try {
        deps.keyring();
      } catch {
        return { ok: false, latencyMs: clock.now() - started, detail: 'the key store is locked' };
      }
      return { ok: true, latencyMs: clock.now() - started, detail: null };
    },

    async close() {
      closed = true;
    },
  };
}
