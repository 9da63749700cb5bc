// KmsProvider over Azure Key Vault (@azure/keyvault-keys, @azure/identity). keyRef is the Key Vault key name.
// AES_256 keys are RSA-3072 vault keys limited to wrapKey / unwrapKey: encrypt seals the plaintext with AES-256-GCM
// under a fresh content key (the caller's associated data bound) and Key Vault wraps that key with RSA-OAEP-256.
// RSA_2048 / EC_P256 keys sign (PS256 with salt 32 / ES256). Versions are Key Vault versions numbered in creation order.
// Before every key operation the adapter checks the key's state itself (azureKeyState.ts) and always names the version.
import crypto from 'node:crypto';
import type { KeyRotationLifetimeAction, KeyRotationPolicy, KeyVaultKey } from '@azure/keyvault-keys';
import { systemClock, type Clock } from '../../clock.ts';
import { silentLogger, type Logger } from '../../logger.ts';
import {
  ProviderError, type CreateKeyInput, type KmsProvider, type Page, type ProviderCapabilities, type ProviderKeyInfo, type ProviderKeySpec, type ProviderRotationControl,
} from '../types.ts';
import { createAzureClients, type AzureKeyVaultProviderOptions } from './azureClient.ts';
import { createCipher } from './azureCipher.ts';
import { joseToDer, jwkToPem, KEY_NAME_RE, TAG, vaultKeyName } from './azureFormat.ts';
import { createKeyStateCache, requireUsable, stateOf, type Use, type VersionState } from './azureKeyState.ts';
import { isoDays, keyInfo, orderVersions, specOf } from './azureKeys.ts';

export type { AzureKeyVaultProviderOptions } from './azureClient.ts';

export interface AzureKeyVaultProvider extends KmsProvider {
  /** Permanently removes a soft-deleted key before its purge date (needs the purge permission). */
  purge(keyRef: string): Promise<void>;
}

const STANDARD: ProviderCapabilities = Object.freeze({
  specs: Object.freeze({ encrypt: Object.freeze(['AES_256'] as ProviderKeySpec[]), sign: Object.freeze(['RSA_2048', 'EC_P256'] as ProviderKeySpec[]) }),
  associatedData: true,
  maxPlaintextBytes: 1024 * 1024,
  rotation: true,
  rotateSigningKeys: true,
  automaticRotation: true,
  scheduledDestruction: true,
  kmsBacked: true,
});
/** Managed HSM encrypts in the HSM: a conservative per-request plaintext limit. */
const MANAGED_HSM: ProviderCapabilities = Object.freeze({ ...STANDARD, maxPlaintextBytes: 64 * 1024 });

const NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;
const POLL_MS = 250;
const CACHE_MAX = 10_000;

const DAY_S = 86_400;
/**
 * Key Vault rotation policy: a Rotate action's timeAfterCreate is at least 7 days (P7D), and with an expiryTime at least
 * 7 days before it (Key Vault documentation); the console writes whole days (P<n>D).
 */
const AZURE_ROTATION_LIMITS = Object.freeze({
  minSeconds: 7 * DAY_S,
  maxSeconds: null,
  stepSeconds: DAY_S,
  text: 'Azure Key Vault rotates a key by itself by its rotation policy: a Rotate action timeAfterCreate of whole days, at least 7 days (P7D).',
});

export function createAzureKeyVaultProvider(options: AzureKeyVaultProviderOptions & { clock?: Clock; logger?: Logger }): AzureKeyVaultProvider {
  const az = createAzureClients(options);
  const capabilities = az.managedHsm ? MANAGED_HSM : STANDARD;
  const { id, keys, call } = az;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const invalid = (message: string, providerCode: string | null = null) => new ProviderError('InvalidInput', message, { providerId: id, providerCode });
  // Per instance: a key's spec never changes, and a version's number never changes (new versions come after).
  const specs = new Map<string, ProviderKeySpec>();
  const versionTables = new Map<string, string[]>();
  const bounded = <V>(m: Map<string, V>, k: string, v: V) => {
    if (!m.has(k) && m.size >= CACHE_MAX) m.delete(m.keys().next().value!);
    m.set(k, v);
  };

  const nameOf = (keyRef: string) => {
    if (typeof keyRef !== 'string' || !KEY_NAME_RE.test(keyRef)) throw invalid('An Azure key reference is a Key Vault key name: 1-127 of A-Z a-z 0-9 -.', 'BadParameter');
    return keyRef;
  };

  const getKey = (name: string, version?: string) => call('getKey', (o) => keys.getKey(name, { ...o, ...(version ? { version } : {}) }));
  const keyState = createKeyStateCache({ ttlMs: az.keyStateTtlMs, now: () => clock.now(), fetch: getKey, providerId: id });

  /** The state of the version to use (the newest when versionId is undefined), refused unless usable for `use`. */
  async function usableVersion(name: string, versionId: string | undefined, use: Use): Promise<VersionState> {
    const key = await keyState.latest(name);
    const version = versionId === undefined || versionId === key.versionId ? key : await keyState.version(name, versionId);
    requireUsable(name, key, version, use, clock.now(), id);
    return version;
  }

  const refreshVersions = (name: string) =>
    call('listPropertiesOfKeyVersions', async (o) => {
      const all = [];
      for await (const p of keys.listPropertiesOfKeyVersions(name, o)) all.push(p);
      const table = orderVersions(all);
      bounded(versionTables, name, table);
      return table;
    });

  async function numberOf(name: string, versionId: string): Promise<number> {
    let i = versionTables.get(name)?.indexOf(versionId) ?? -1;
    if (i < 0) i = (await refreshVersions(name)).indexOf(versionId);
    if (i < 0) throw new ProviderError('NotFound', `Key ${name} has no version ${versionId}.`, { providerId: id, providerCode: 'KeyNotFound' });
    return i + 1;
  }

  async function idOf(name: string, version: number): Promise<string> {
    if (!Number.isInteger(version) || version < 1) throw invalid('A key version is a whole number from 1.');
    let table = versionTables.get(name);
    if (!table || version > table.length) table = await refreshVersions(name);
    const v = table[version - 1];
    if (v === undefined) throw new ProviderError('NotFound', `Key ${name} has no version ${version} (it has ${table.length}).`, { providerId: id, providerCode: 'KeyNotFound' });
    return v;
  }

  async function specFor(name: string): Promise<ProviderKeySpec> {
    const known = specs.get(name);
    if (known) return known;
    const { spec } = specOf(await getKey(name), id);
    bounded(specs, name, spec);
    return spec;
  }

  /** After a 404 on a key operation: a soft-deleted key is KeyDisabled (pending deletion), an existing one means a bad version. */
  async function explainMissing(name: string, e: ProviderError, existing: () => ProviderError): Promise<ProviderError> {
    if (e.kind !== 'NotFound') return e;
    const alive = await getKey(name).then(() => true, (err: unknown) => (err instanceof ProviderError && err.kind === 'NotFound' ? false : Promise.reject(err)));
    if (alive) return existing();
    const deleted = await call('getDeletedKey', (o) => keys.getDeletedKey(name, o)).then(() => true, () => false);
    if (!deleted) return e;
    return new ProviderError('KeyDisabled', `Key ${name} is deleted (pending purge) and cannot be used until it is recovered.`, { providerId: id, providerCode: 'KeyDeleted', requestId: e.requestId });
  }

  /** Runs a CryptographyClient operation and returns the result with the key id the service answered with. */
  async function keyOperation<R>(operation: string, run: (o: { requestOptions: { timeout: number }; onResponse: (r: { parsedBody?: unknown; bodyAsText?: string | null }) => void }) => Promise<R>): Promise<{ result: R; kid: string }> {
    let kid = '';
    const result = await az.callFast(operation, (o) =>
      run({
        ...o,
        onResponse: (r) => {
          const body = (r.parsedBody ?? (r.bodyAsText ? JSON.parse(r.bodyAsText) : null)) as { kid?: unknown } | null;
          if (body && typeof body.kid === 'string') kid = body.kid;
        },
      }),
    );
    return { result, kid };
  }

  /** The version the service answered with must be the one the adapter addressed. */
  const checkKid = (kid: string, versionId: string) => {
    const v = /\/keys\/[^/]+\/([0-9a-fA-F]{32})$/.exec(kid)?.[1]?.toLowerCase();
    if (v !== versionId) throw new ProviderError('Unavailable', `Key Vault answered for key version ${v ?? '(none)'} instead of ${versionId}.`, { providerId: id, providerCode: 'MalformedResponse', retryable: false });
  };

  const checkBytes = (value: unknown, what: string, optional: boolean) => {
    if (value === undefined && optional) return;
    if (!Buffer.isBuffer(value)) throw invalid(`${what} must be a Buffer.`);
  };

  const requireUsage = async (name: string, usage: 'encrypt' | 'sign') => {
    const spec = await specFor(name);
    if ((spec === 'AES_256') !== (usage === 'encrypt'))
      throw invalid(`Key ${name} is ${spec === 'AES_256' ? 'an encryption key and cannot sign or verify' : 'a signing key and cannot encrypt or decrypt'}.`, 'BadParameter');
    return spec;
  };

  const { encrypt, decrypt } = createCipher({
    providerId: id,
    managedHsm: az.managedHsm,
    maxPlaintextBytes: capabilities.maxPlaintextBytes,
    cryptoClient: az.cryptoClient,
    keyOperation,
    explainMissing,
    numberOf,
    checkKid,
    usableVersion,
    async prepare(keyRef, aad) {
      const name = nameOf(keyRef);
      checkBytes(aad, 'Associated data', true);
      await requireUsage(name, 'encrypt');
      return name;
    },
  });

  async function publicKeyOf(name: string, version?: number): Promise<{ pem: string; version: number; versionId: string }> {
    const versionId = version === undefined ? undefined : await idOf(name, version);
    const [latest, key] = await Promise.all([keyState.latest(name), getKey(name, versionId)]).catch(async (e: unknown) => {
      throw e instanceof ProviderError ? await explainMissing(name, e, () => e) : e;
    });
    const state = stateOf(key, id);
    requireUsable(name, latest, state, 'open', clock.now(), id);
    const vid = state.versionId;
    return { pem: jwkToPem(key.key ?? {}), versionId: vid, version: version ?? (await numberOf(name, vid)) };
  }

  async function info(name: string): Promise<ProviderKeyInfo> {
    let key: KeyVaultKey;
    try {
      key = await getKey(name);
    } catch (e) {
      if (!(e instanceof ProviderError) || e.kind !== 'NotFound') throw e;
      const deleted = await call('getDeletedKey', (o) => keys.getDeletedKey(name, o)).catch(() => null);
      if (!deleted) throw e;
      return keyInfo(deleted, id, { currentVersion: versionTables.get(name)?.length ?? 1, createdAt: undefined, rotationPeriodDays: null, deletionDate: deleted.properties.scheduledPurgeDate ?? new Date(clock.now()) });
    }
    const [table, policy] = await Promise.all([
      refreshVersions(name),
      call('getKeyRotationPolicy', (o) => keys.getKeyRotationPolicy(name, o)),
    ]);
    const rotate = policy.lifetimeActions?.find((a) => a.action.toLowerCase() === 'rotate' && a.timeAfterCreate !== undefined);
    bounded(specs, name, specOf(key, id).spec);
    const first = table[0] === undefined ? undefined : await getKey(name, table[0]).then((k) => k.properties.createdOn, () => undefined);
    return keyInfo(key, id, { currentVersion: Math.max(1, table.length), createdAt: first, rotationPeriodDays: rotate ? isoDays(rotate.timeAfterCreate) : null });
  }

  async function setEnabled(keyRef: string, enabled: boolean): Promise<void> {
    const name = nameOf(keyRef);
    const table = await refreshVersions(name);
    // Every version, newest first: a disabled key must not decrypt old data either.
    try {
      for (const version of [...table].reverse())
        await call(enabled ? 'enable' : 'disable', (o) => keys.updateKeyProperties(name, version, { ...o, enabled }));
    } finally {
      keyState.forget(name);
    }
    logger.info(`azure: key ${enabled ? 'enabled' : 'disabled'}`, { providerId: id, keyName: name, versions: table.length });
  }

  /** The Rotate action of a rotation policy with a timeAfterCreate trigger (the kind the console sets), if any. */
  const rotateAction = (actions: KeyRotationLifetimeAction[] | undefined) => actions?.find((a) => a.action.toLowerCase() === 'rotate');

  /**
   * The actions of a policy other than Rotate, kept when the console changes the Rotate action. Only a policy with an
   * expiry keeps them: Notify triggers are times before expiry, and the default policy's Notify (shown when no policy
   * was set) has none, so writing it back would be refused.
   */
  const keptActions = (current: KeyRotationPolicy): KeyRotationLifetimeAction[] =>
    current.expiresIn ? (current.lifetimeActions ?? []).filter((a) => a.action.toLowerCase() !== 'rotate') : [];

  /** Key Vault's own rotation: the key's rotation policy (GET / PUT /keys/{name}/rotationpolicy); other actions are kept. */
  const providerRotation: ProviderRotationControl = {
    limits: AZURE_ROTATION_LIMITS,
    supportsSpec: () => true, // Key Vault rotates RSA and EC keys alike
    async setSchedule(keyRef, periodSeconds) {
      const name = nameOf(keyRef);
      const { minSeconds, stepSeconds, text } = AZURE_ROTATION_LIMITS;
      if (!Number.isInteger(periodSeconds) || periodSeconds < minSeconds || periodSeconds % stepSeconds !== 0) throw invalid(text, 'BadParameter');
      const current = await call('getKeyRotationPolicy', (o) => keys.getKeyRotationPolicy(name, o));
      const others = keptActions(current);
      const lifetimeActions: KeyRotationLifetimeAction[] = [...others, { action: 'Rotate', timeAfterCreate: `P${periodSeconds / DAY_S}D` }];
      await call('updateKeyRotationPolicy', (o) => keys.updateKeyRotationPolicy(name, { ...(current.expiresIn ? { expiresIn: current.expiresIn } : {}), lifetimeActions }, o));
    },
    async getSchedule(keyRef) {
      const name = nameOf(keyRef);
      const [policy, key] = await Promise.all([call('getKeyRotationPolicy', (o) => keys.getKeyRotationPolicy(name, o)), getKey(name)]);
      const rotate = rotateAction(policy.lifetimeActions);
      if (!rotate) return { enabled: false, periodSeconds: null, nextRotationAt: null };
      const days = rotate.timeAfterCreate === undefined ? null : isoDays(rotate.timeAfterCreate);
      const periodSeconds = days === null ? null : days * DAY_S;
      const created = key.properties.createdOn;
      return { enabled: true, periodSeconds, nextRotationAt: periodSeconds !== null && created ? new Date(created.getTime() + periodSeconds * 1000).toISOString() : null };
    },
    async disableSchedule(keyRef) {
      const name = nameOf(keyRef);
      const current = await call('getKeyRotationPolicy', (o) => keys.getKeyRotationPolicy(name, o));
      // Without its Rotate action; an empty list restores the service's default policy (which does not rotate).
      const lifetimeActions = keptActions(current);
      await call('updateKeyRotationPolicy', (o) => keys.updateKeyRotationPolicy(name, { ...(current.expiresIn ? { expiresIn: current.expiresIn } : {}), lifetimeActions }, o));
    },
    async listVersions(keyRef) {
      const name = nameOf(keyRef);
      const all = await call('listPropertiesOfKeyVersions', async (o) => {
        const out = [];
        for await (const p of keys.listPropertiesOfKeyVersions(name, o)) out.push(p);
        return out;
      });
      const created = new Map(all.map((p) => [(p.version ?? '').toLowerCase(), p.createdOn]));
      const table = orderVersions(all);
      bounded(versionTables, name, table);
      // Key Vault does not say whether the policy or a rotateKey call made a version.
      return table.map((versionId, i) => ({ version: i + 1, versionId, createdAt: created.get(versionId.toLowerCase())?.toISOString() ?? null, origin: null }));
    },
  };

  const provider: AzureKeyVaultProvider = {
    id,
    kind: 'azure_key_vault',
    capabilities,
    providerRotation,

    async createKey(input: CreateKeyInput) {
      if (!NAME_RE.test(input.name)) throw invalid('Key name must be 1..64 characters of A-Z a-z 0-9 _ -.');
      const allowed = input.usage === 'encrypt' ? capabilities.specs.encrypt : input.usage === 'sign' ? capabilities.specs.sign : [];
      if (!allowed.includes(input.spec)) throw invalid(`Azure Key Vault keys for "${input.usage}" cannot have spec ${input.spec}.`, 'BadParameter');
      const period = input.rotationPeriodDays ?? null;
      if (period !== null && (!Number.isInteger(period) || period < 7 || period > 3650)) throw invalid('Key Vault rotation periods are whole days from 7 (the service minimum) to 3650.', 'BadParameter');
      const name = vaultKeyName(input.name);
      // Creating an existing name would silently add a version to another key: refuse instead.
      const exists = await getKey(name).then(() => true, (e: unknown) => (e instanceof ProviderError && e.kind === 'NotFound' ? false : Promise.reject(e)));
      if (exists) throw invalid(`A Key Vault key named ${name} already exists.`, 'Conflict');
      const tags = { [TAG.name]: input.name, [TAG.spec]: input.spec, [TAG.usage]: input.usage, [TAG.version]: '1' };
      const hsm = az.managedHsm;
      const created = await call('createKey', (o) =>
        input.spec === 'EC_P256'
          ? keys.createEcKey(name, { ...o, hsm, curve: 'P-256', keyOps: ['sign', 'verify'], tags })
          : input.spec === 'RSA_2048'
            ? keys.createRsaKey(name, { ...o, hsm, keySize: 2048, keyOps: ['sign', 'verify'], tags })
            : hsm
              ? keys.createOctKey(name, { ...o, hsm, keySize: 256, keyOps: ['encrypt', 'decrypt'], tags })
              : keys.createRsaKey(name, { ...o, keySize: 3072, keyOps: ['wrapKey', 'unwrapKey'], tags }),
      );
      if (period !== null) {
        await call('updateKeyRotationPolicy', (o) => keys.updateKeyRotationPolicy(name, { lifetimeActions: [{ action: 'Rotate', timeAfterCreate: `P${period}D` }] }, o)).catch(async (e: unknown) => {
          await call('deleteKey', (o) => keys.beginDeleteKey(name, o)).catch(() => undefined);
          throw e;
        });
      }
      bounded(specs, name, input.spec);
      bounded(versionTables, name, [(created.properties.version ?? '').toLowerCase()]);
      keyState.forget(name);
      return keyInfo(created, id, { currentVersion: 1, createdAt: created.properties.createdOn, rotationPeriodDays: period });
    },

    async describeKey(keyRef: string) {
      return info(nameOf(keyRef));
    },

    async listKeys(opts = {}) {
      const pageSize = opts.pageSize ?? 100;
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw invalid('pageSize must be 1..1000.');
      const after = opts.pageToken ?? null;
      if (after !== null && (typeof after !== 'string' || !KEY_NAME_RE.test(after))) throw invalid('Invalid page token.');
      // The SDK's byPage() drops the continuation token of mapped pages, so the adapter reads the whole listing (the
      // SDK follows nextLink) and pages over the sorted names itself; the token is the last name served.
      const names = await call('listPropertiesOfKeys', async (o) => {
        const all: string[] = [];
        for await (const p of keys.listPropertiesOfKeys(o)) if (p.tags?.[TAG.spec] !== undefined) all.push(p.name);
        return all.sort();
      });
      const rest = after === null ? names : names.filter((n) => n > after);
      const slice = rest.slice(0, pageSize);
      const items: ProviderKeyInfo[] = [];
      // Only the console's keys (tagged by the adapter); each costs a describe (versions and rotation policy).
      for (const name of slice) {
        const item = await info(name).catch((e: unknown) => (e instanceof ProviderError && e.kind === 'NotFound' ? null : Promise.reject(e)));
        if (item) items.push(item);
      }
      return { items, nextPageToken: rest.length > slice.length ? slice[slice.length - 1]! : null } satisfies Page<ProviderKeyInfo>;
    },

    encrypt,
    decrypt,

    async generateDataKey(keyRef: string, aad?: Buffer) {
      const plaintext = crypto.randomBytes(32);
      try {
        const { ciphertext, version } = await encrypt(keyRef, plaintext, aad);
        return { plaintext, wrapped: ciphertext, version };
      } catch (e) {
        plaintext.fill(0);
        throw e;
      }
    },

    async sign(keyRef: string, message: Buffer, version?: number) {
      const name = nameOf(keyRef);
      checkBytes(message, 'The message', false);
      const spec = await requireUsage(name, 'sign');
      const digest = crypto.createHash('sha256').update(message).digest();
      const alg = spec === 'EC_P256' ? 'ES256' : 'PS256';
      const explain = async (e: unknown): Promise<never> => {
        throw e instanceof ProviderError ? await explainMissing(name, e, () => e) : e;
      };
      const { versionId } = await usableVersion(name, version === undefined ? undefined : await idOf(name, version), 'protect').catch(explain);
      const { result, kid } = await keyOperation('sign', (o) => az.cryptoClient(name, versionId).sign(alg, digest, o)).catch(explain);
      checkKid(kid, versionId);
      const signature = spec === 'EC_P256' ? joseToDer(result.result) : Buffer.from(result.result);
      return { signature, version: version ?? (await numberOf(name, versionId)) };
    },

    async verify(keyRef: string, message: Buffer, signature: Buffer, version?: number) {
      const name = nameOf(keyRef);
      checkBytes(message, 'The message', false);
      checkBytes(signature, 'The signature', false);
      const spec = await requireUsage(name, 'sign');
      const candidates = version !== undefined ? [version] : [...(await refreshVersions(name)).keys()].map((i) => i + 1).reverse();
      for (const v of candidates) {
        const { pem } = await publicKeyOf(name, v);
        const key = crypto.createPublicKey(pem);
        const params = spec === 'RSA_2048' ? { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : { key, dsaEncoding: 'der' as const };
        let good: boolean;
        try {
          good = crypto.verify('sha256', message, params, signature);
        } catch {
          good = false; // malformed signature bytes
        }
        if (good) return true;
      }
      return false;
    },

    async getPublicKey(keyRef: string, version?: number) {
      const name = nameOf(keyRef);
      await requireUsage(name, 'sign');
      const { pem, version: v } = await publicKeyOf(name, version);
      return { pem, version: v };
    },

    async rotate(keyRef: string) {
      const name = nameOf(keyRef);
      await specFor(name);
      const before = await refreshVersions(name);
      const rotated = await call('rotateKey', (o) => keys.rotateKey(name, o)).finally(() => keyState.forget(name));
      const versionId = (rotated.properties.version ?? '').toLowerCase();
      const number = before.length + 1;
      await call('updateKeyProperties', (o) => keys.updateKeyProperties(name, versionId, { ...o, tags: { ...rotated.properties.tags, [TAG.version]: String(number) } }));
      bounded(versionTables, name, [...before, versionId]);
      logger.info('azure: key rotated', { providerId: id, keyName: name, version: number });
      return { version: number };
    },

    enable: (keyRef) => setEnabled(keyRef, true),
    disable: (keyRef) => setEnabled(keyRef, false),

    async scheduleDestruction(keyRef: string, waitingDays: number) {
      const name = nameOf(keyRef);
      if (!Number.isInteger(waitingDays) || waitingDays < 0 || waitingDays > 90)
        throw invalid('waitingDays must be 0..90; Key Vault applies the vault\'s own soft-delete retention (7-90 days).');
      const deleted = await call('beginDeleteKey', async (o) => (await keys.beginDeleteKey(name, { ...o, intervalInMs: POLL_MS })).pollUntilDone()).finally(() => keyState.forget(name));
      az.forget(name);
      const date = deleted.properties.scheduledPurgeDate ?? new Date(clock.now() + (deleted.properties.recoverableDays ?? 90) * 86_400_000);
      logger.info('azure: key soft-deleted', { providerId: id, keyName: name, scheduledPurgeDate: date.toISOString() });
      return { deletionDate: date.toISOString() };
    },

    async cancelDestruction(keyRef: string) {
      const name = nameOf(keyRef);
      // The SDK's recover poller reports success for a key that was never deleted: ask for the deleted key first.
      await call('getDeletedKey', (o) => keys.getDeletedKey(name, o)).catch(async (e: unknown) => {
        if (!(e instanceof ProviderError) || e.kind !== 'NotFound') throw e;
        const alive = await getKey(name).then(() => true, () => false);
        throw alive ? invalid(`Key ${name} is not deleted; there is nothing to recover.`, 'KeyNotDeleted') : e;
      });
      await call('beginRecoverDeletedKey', async (o) => (await keys.beginRecoverDeletedKey(name, { ...o, intervalInMs: POLL_MS })).pollUntilDone()).finally(() => keyState.forget(name));
    },

    async purge(keyRef: string) {
      const name = nameOf(keyRef);
      await call('purgeDeletedKey', (o) => keys.purgeDeletedKey(name, o)).finally(() => keyState.forget(name));
      specs.delete(name);
      versionTables.delete(name);
    },

    async health() {
      const started = clock.now();
      try {
        await call('listPropertiesOfKeys', async () => keys.listPropertiesOfKeys().byPage({ maxPageSize: 1 }).next());
        return { ok: true, latencyMs: clock.now() - started, detail: null };
      } catch (e) {
        const pe = e instanceof ProviderError ? e : null;
        if (!pe) return { ok: false, latencyMs: clock.now() - started, detail: 'unexpected error' };
        return { ok: false, latencyMs: clock.now() - started, detail: `${pe.kind}${pe.providerCode ? ` (${pe.providerCode})` : ''}`, errorKind: pe.kind };
      }
    },

    async close() {
      az.clear();
      keyState.clear();
      specs.clear();
      versionTables.clear();
    },
  };
  return provider;
}

export { createAzureProviderFromConfig } from './azureFromConfig.ts';
