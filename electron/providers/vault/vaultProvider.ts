// KmsProvider over HashiCorp Vault's transit secrets engine, through the official node-vault client.
// Vault-specific choices (docs/provider-vault.md):
// - Provider ciphertext is the ASCII of Vault's "vault:vN:<base64>" string, so operators' tools read it as is.
// - Vault keys cannot be disabled; disable() is a console-side flag kept in `disabledKeys` (inject a persistent set).
// - Destruction is immediate: config deletion_allowed=true, then DELETE (no waiting period to cancel).
// - LIST is unpaged in Vault; pages are cut from the sorted name list here, the token being the last name served.
// - The key type is learnt once per key (create / describe / first use) so that encrypting with a signing key is
//   refused here: Vault would encrypt with RSA-OAEP instead, and would silently create a missing key on encrypt.
// - Before the first operation and at every health check, sys/health says which Vault this is; one that would
//   silently drop a guarantee (too old, or a namespace on Vault Community) is refused as Unsupported (vaultServer.ts).
import crypto from 'node:crypto';
import { systemClock, type Clock } from '../../clock.ts';
import { silentLogger, type Logger } from '../../logger.ts';
import { ProviderError, type HealthReport, type KmsProvider, type Page, type ProviderCapabilities, type ProviderErrorKind, type ProviderKeyInfo, type ProviderRotationControl } from '../types.ts';
import { openVaultConnection, type VaultTransitOptions } from './vaultClient.ts';
import { toProviderError, vaultErrorStrings } from './vaultErrors.ts';
import * as fmt from './vaultFormat.ts';
import { refusalOf, serverInfoOf } from './vaultServer.ts';
import { z } from 'zod';

/** Where the console keeps its "disabled" flags for Vault keys; a Set works, the composition root may persist it. */
export interface DisabledKeySet {
  has(name: string): boolean;
  add(name: string): unknown;
  delete(name: string): unknown;
}

export interface VaultTransitProviderOptions extends VaultTransitOptions {
  disabledKeys?: DisabledKeySet;
  clock?: Clock;
  logger?: Logger;
}

export interface VaultTransitProvider extends KmsProvider {
  /** Re-encrypts a ciphertext under the newest key version without revealing it (Vault's rewrap; no associated data). */
  rewrap(keyRef: string, ciphertext: Buffer): Promise<{ ciphertext: Buffer; version: number }>;
}

/** Largest plaintext: Vault's default max_request_size is 32 MiB and the plaintext travels base64-encoded in JSON. */
export const VAULT_MAX_PLAINTEXT = 16 * 1024 * 1024;

export const VAULT_CAPABILITIES: ProviderCapabilities = Object.freeze({
  specs: Object.freeze({ encrypt: Object.freeze(['AES_256'] as const), sign: Object.freeze(['EC_P256', 'RSA_2048'] as const) }),
  associatedData: true,
  maxPlaintextBytes: VAULT_MAX_PLAINTEXT,
  rotation: true,
  rotateSigningKeys: true,
  automaticRotation: true,
  scheduledDestruction: false,
  kmsBacked: true,
});

/** Transit auto_rotate_period: 0 switches it off, anything else must be at least an hour (Vault API reference). */
const VAULT_ROTATION_LIMITS = Object.freeze({
  minSeconds: 3600,
  maxSeconds: null,
  stepSeconds: 1,
  text: 'Vault transit rotates a key by itself every auto_rotate_period: at least 1 hour (3600 seconds); 0 switches it off.',
});

const b64 = (b: Buffer) => b.toString('base64');
const decryptResponse = fmt.envelopeOf(z.object({ plaintext: z.string() }).loose());
const signResponse = fmt.envelopeOf(z.object({ signature: z.string() }).loose());
const encryptResponse = fmt.envelopeOf(z.object({ ciphertext: z.string(), key_version: z.number().int().optional() }).loose());
const datakeyResponse = fmt.envelopeOf(z.object({ ciphertext: z.string(), plaintext: z.string(), key_version: z.number().int().optional() }).loose());
const verifyResponse = fmt.envelopeOf(z.object({ valid: z.boolean() }).loose());
const listResponse = fmt.envelopeOf(z.object({ keys: z.array(z.string()) }).loose());
const keyResponse = fmt.envelopeOf(fmt.keyDataSchema);
const healthResponse = z.object({ initialized: z.boolean(), sealed: z.boolean(), standby: z.boolean().optional() }).loose();
/** Signature texts Vault rejects with 400 instead of answering valid=false. */
const MALFORMED_SIGNATURE = /supplied signature|invalid base64 signature|invalid signature:/;

export function createVaultTransitProvider(options: VaultTransitProviderOptions): VaultTransitProvider {
  const conn = openVaultConnection(options);
  const { client, mount } = conn;
  const id = options.id;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const disabled: DisabledKeySet = options.disabledKeys ?? new Set<string>();
  const keyTypes = new Map<string, string>();
  let closed = false;
  /** Settles once sys/health has shown a server that keeps every guarantee; a refusal stays until health() passes. */
  let serverCheck: Promise<void> | null = null;

  const fail = (kind: ProviderError['kind'], message: string, providerCode: string | null = null) =>
    new ProviderError(kind, `Vault: ${message}`, { providerId: id, providerCode });
  const path = (...parts: string[]) => [mount, ...parts.map(encodeURIComponent)].join('/');

  /** Why sys/health's answer rules this server out (Unsupported), or null when it keeps every guarantee. */
  function serverRefusal(health: unknown): ProviderError | null {
    const info = serverInfoOf(health);
    if (!info) return fail('Unavailable', 'sys/health did not report a Vault version', 'bad_response');
    const refusal = refusalOf(info, conn.namespace);
    return refusal ? fail('Unsupported', refusal, 'unsupported_server') : null;
  }

  function rememberServerCheck(result: Promise<void>): Promise<void> {
    result.catch(() => undefined); // observed by the callers; kept here only to be returned again
    serverCheck = result;
    return result;
  }

  function requireSupportedServer(): Promise<void> {
    if (serverCheck) return serverCheck;
    const check = rememberServerCheck(
      callVault('read sys/health', z.unknown(), () => client.health()).then((health) => {
        const refusal = serverRefusal(health);
        if (refusal) throw refusal;
      }),
    );
    // A server that could not be asked is asked again next time; a refusal stands until health() passes.
    check.catch((e: unknown) => {
      if (serverCheck === check && !(e instanceof ProviderError && e.kind === 'Unsupported')) serverCheck = null;
    });
    return check;
  }

  async function call<S extends z.ZodType>(what: string, schema: S, send: () => Promise<unknown>): Promise<z.infer<S>> {
    await requireSupportedServer();
    return callVault(what, schema, send);
  }

  async function callVault<S extends z.ZodType>(what: string, schema: S, send: () => Promise<unknown>): Promise<z.infer<S>> {
    if (closed) throw fail('Unavailable', 'the provider was closed');
    let body: unknown;
    try {
      body = await send();
    } catch (e) {
      throw toProviderError(id, what, e);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw fail('Unavailable', `${what}: unexpected response shape from Vault`, 'bad_response');
    return parsed.data;
  }

  /** The socket was closed under a request that got no answer (no HTTP response at all). */
  function isConnectionReset(e: unknown): boolean {
    const code = typeof e === 'object' && e !== null ? (e as { code?: unknown; response?: unknown }).code : undefined;
    return (code === 'ECONNRESET' || code === 'EPIPE') && (e as { response?: unknown }).response === undefined;
  }

  function checkRef(keyRef: string): string {
    if (typeof keyRef !== 'string' || keyRef.length > 256 || !fmt.VAULT_NAME.test(keyRef)) throw fail('InvalidInput', 'key reference is not a valid Vault key name');
    return keyRef;
  }
  function checkBuffer(value: unknown, what: string): Buffer {
    if (!Buffer.isBuffer(value)) throw fail('InvalidInput', `${what} must be a Buffer`);
    return value;
  }
  function checkVersion(version: number | undefined): number | undefined {
    if (version !== undefined && (!Number.isInteger(version) || version < 1)) throw fail('InvalidInput', 'version must be a positive integer');
    return version;
  }
  function refuseDisabled(name: string): void {
    if (disabled.has(name)) throw fail('KeyDisabled', `key ${name} is disabled in the console`);
  }

  async function readKey(name: string): Promise<fmt.VaultKeyData & { requestId: string | null }> {
    // A GET changes nothing: one reset connection (a pooled keep-alive socket the server or a proxy closed just as it
    // was reused) is tried once more at once, inside whatever operation reads the key. Writes are never repeated here.
    const read = () => client.read(path('keys', name));
    const r = await call(`read key ${name}`, keyResponse, () => read().catch((e: unknown) => (isConnectionReset(e) ? read() : Promise.reject(e))));
    keyTypes.set(name, r.data.type);
    return { ...r.data, requestId: r.request_id ?? null };
  }

  /** Encryption keys only: learns the type once, so a signing key or a missing key never reaches encrypt. */
  async function requireEncryptionKey(name: string): Promise<void> {
    const type = keyTypes.get(name) ?? (await readKey(name)).type;
    if (type !== fmt.VAULT_KEY_TYPES.AES_256) throw fail('InvalidInput', `key ${name} is a ${type} key; encryption needs an aes256-gcm96 key`);
  }

  function infoOf(data: fmt.VaultKeyData): ProviderKeyInfo {
    const info = fmt.toKeyInfo(data, disabled.has(data.name));
    if (!info) throw fail('InvalidInput', `key ${data.name} has type ${data.type}, which the console does not use`);
    return info;
  }

  async function encryptRaw(name: string, plaintext: Buffer, aad: Buffer | undefined) {
    const body: Record<string, unknown> = { plaintext: b64(plaintext) };
    if (aad && aad.length > 0) body['associated_data'] = b64(aad);
    const r = await call(`encrypt with ${name}`, encryptResponse, () => client.write(path('encrypt', name), body));
    const version = fmt.answerVersion(r.data.ciphertext);
    if (version === null) throw fail('Unavailable', `encrypt with ${name}: Vault returned a malformed ciphertext`, 'bad_response');
    return { ciphertext: Buffer.from(r.data.ciphertext, 'latin1'), version: r.data.key_version ?? version };
  }

  async function verifyVersion(name: string, message: Buffer, signature: Buffer, version: number): Promise<boolean> {
    try {
      const r = await call(`verify with ${name}`, verifyResponse, () =>
        client.write(path('verify', name, 'sha2-256'), {
          input: b64(message),
          signature: fmt.signatureString(signature, version),
          signature_algorithm: 'pss',
          salt_length: 'hash',
          marshaling_algorithm: 'asn1',
        }),
      );
      return r.data.valid;
    } catch (e) {
      // A signature that is not even well-formed (bad DER, trailing bytes) is simply not valid.
      if (e instanceof ProviderError && e.providerCode === '400' && MALFORMED_SIGNATURE.test(e.message)) return false;
      throw e;
    }
  }

  /** Transit's own rotation: the key's auto_rotate_period (config endpoint), read back from the key; versions from the key read. */
  const providerRotation: ProviderRotationControl = {
    limits: VAULT_ROTATION_LIMITS,
    supportsSpec: () => true, // transit rotates every key type it holds
    async setSchedule(keyRef, periodSeconds) {
      const name = checkRef(keyRef);
      if (!Number.isInteger(periodSeconds) || periodSeconds < VAULT_ROTATION_LIMITS.minSeconds) throw fail('InvalidInput', VAULT_ROTATION_LIMITS.text);
      await readKey(name); // config on a missing key is an error in Vault; reading first gives the usual NotFound
      await call(`configure key ${name}`, z.unknown(), () => client.write(path('keys', name, 'config'), { auto_rotate_period: `${periodSeconds}s` }));
    },
    async getSchedule(keyRef) {
      const data = await readKey(checkRef(keyRef));
      const period = data.auto_rotate_period ?? 0;
      if (period <= 0) return { enabled: false, periodSeconds: null, nextRotationAt: null };
      // Vault rotates once the newest version is older than the period (it checks about hourly): the earliest next rotation.
      const newest = fmt.creationTime(data, data.latest_version);
      return { enabled: true, periodSeconds: period, nextRotationAt: newest === null ? null : new Date(Date.parse(newest) + period * 1000).toISOString() };
    },
    async disableSchedule(keyRef) {
      const name = checkRef(keyRef);
      await readKey(name);
      await call(`configure key ${name}`, z.unknown(), () => client.write(path('keys', name, 'config'), { auto_rotate_period: '0s' }));
    },
    async listVersions(keyRef) {
      const data = await readKey(checkRef(keyRef));
      // Vault lists the versions from min_decryption_version up; it does not say which rotation made a version.
      return Object.keys(data.keys)
        .map(Number)
        .filter((n) => Number.isInteger(n) && n > 0)
        .sort((a, b) => a - b)
        .map((n) => ({ version: n, versionId: String(n), createdAt: fmt.creationTime(data, n), origin: null }));
    },
  };

  const provider: VaultTransitProvider = {
    id,
    kind: 'hashicorp_vault',
    capabilities: VAULT_CAPABILITIES,
    providerRotation,

    async createKey(input) {
      if (typeof input?.name !== 'string' || !fmt.CREATE_NAME.test(input.name)) throw fail('InvalidInput', 'key name must be 1-64 characters of [A-Za-z0-9_-]');
      const allowed: readonly string[] = input.usage === 'encrypt' ? VAULT_CAPABILITIES.specs.encrypt : input.usage === 'sign' ? VAULT_CAPABILITIES.specs.sign : [];
      if (!allowed.includes(input.spec)) throw fail('InvalidInput', `spec ${String(input.spec)} is not offered for usage ${String(input.usage)}`);
      const days = input.rotationPeriodDays ?? null;
      if (days !== null && (!Number.isInteger(days) || days < 1 || days > 36500)) throw fail('InvalidInput', 'rotationPeriodDays must be a whole number of days from 1 to 36500');
      const exists = await readKey(input.name).then(
        () => true,
        (e: unknown) => {
          if (e instanceof ProviderError && e.kind === 'NotFound') return false;
          throw e;
        },
      );
      if (exists) throw fail('InvalidInput', `a key named ${input.name} already exists in this transit mount`);
      const type = fmt.VAULT_KEY_TYPES[input.spec];
      const body: Record<string, unknown> = { type };
      if (days !== null) body['auto_rotate_period'] = `${days * 24}h`;
      const r = await call(`create key ${input.name}`, z.unknown(), () => client.write(path('keys', input.name), body));
      const warnings = (r as { warnings?: unknown } | null)?.warnings;
      if (Array.isArray(warnings) && warnings.some((w) => typeof w === 'string' && w.includes('already existed')))
        throw fail('InvalidInput', `a key named ${input.name} was created concurrently by someone else`);
      const data = await readKey(input.name);
      if (data.type !== type) throw fail('InvalidInput', `key ${input.name} exists with type ${data.type}`);
      disabled.delete(input.name);
      return infoOf(data);
    },

    async describeKey(keyRef) {
      return infoOf(await readKey(checkRef(keyRef)));
    },

    async listKeys(opts = {}) {
      const pageSize = opts.pageSize ?? 100;
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw fail('InvalidInput', 'pageSize must be an integer from 1 to 1000');
      const after = opts.pageToken == null ? null : fmt.decodePageToken(opts.pageToken);
      if (opts.pageToken != null && after === null) throw fail('InvalidInput', 'pageToken is not one this provider issued');
      let names: string[];
      try {
        names = (await call('list keys', listResponse, () => client.list(path('keys')))).data.keys;
      } catch (e) {
        // Vault answers LIST on an empty mount with 404.
        if (e instanceof ProviderError && e.providerCode === '404' && !/no handler for route/.test(e.message)) names = [];
        else throw e;
      }
      const sorted = names.filter((n) => fmt.VAULT_NAME.test(n)).sort();
      const rest = after === null ? sorted : sorted.filter((n) => n > after);
      const slice = rest.slice(0, pageSize);
      const items: ProviderKeyInfo[] = [];
      for (let i = 0; i < slice.length; i += 8) {
        const batch = await Promise.all(
          slice.slice(i, i + 8).map((name) =>
            readKey(name).then(
              (data) => fmt.toKeyInfo(data, disabled.has(name)),
              (e: unknown) => {
                if (e instanceof ProviderError && e.kind === 'NotFound') return null; // deleted since the LIST
                throw e;
              },
            ),
          ),
        );
        for (const [j, info] of batch.entries()) {
          if (info) items.push(info);
          else logger.info('vault: key skipped in listing (gone, or a type the console does not use)', { providerId: id, keyName: slice[i + j] });
        }
      }
      const last = slice[slice.length - 1];
      return { items, nextPageToken: rest.length > slice.length && last !== undefined ? fmt.encodePageToken(last) : null } satisfies Page<ProviderKeyInfo>;
    },

    async encrypt(keyRef, plaintext, aad) {
      const name = checkRef(keyRef);
      checkBuffer(plaintext, 'plaintext');
      if (aad !== undefined) checkBuffer(aad, 'associated data');
      if (plaintext.length > VAULT_MAX_PLAINTEXT) throw fail('InvalidInput', `plaintext is larger than ${VAULT_MAX_PLAINTEXT} bytes`);
      refuseDisabled(name);
      await requireEncryptionKey(name);
      return encryptRaw(name, plaintext, aad);
    },

    async decrypt(keyRef, ciphertext, aad) {
      const name = checkRef(keyRef);
      checkBuffer(ciphertext, 'ciphertext');
      if (aad !== undefined) checkBuffer(aad, 'associated data');
      refuseDisabled(name);
      const parsed = fmt.parseVersioned(ciphertext);
      if (!parsed) throw fail('IntegrityFailure', 'the ciphertext is not a well-formed Vault transit ciphertext');
      await requireEncryptionKey(name);
      const body: Record<string, unknown> = { ciphertext: parsed.text };
      if (aad && aad.length > 0) body['associated_data'] = b64(aad);
      const r = await call(`decrypt with ${name}`, decryptResponse, () => client.write(path('decrypt', name), body));
      return { plaintext: Buffer.from(r.data.plaintext, 'base64'), version: parsed.version };
    },

    async generateDataKey(keyRef, aad) {
      const name = checkRef(keyRef);
      if (aad !== undefined) checkBuffer(aad, 'associated data');
      refuseDisabled(name);
      await requireEncryptionKey(name);
      if (aad && aad.length > 0) {
        // Vault's datakey endpoint binds no associated data: make the key here and let Vault encrypt it with the AAD.
        const plaintext = crypto.randomBytes(32);
        const { ciphertext, version } = await encryptRaw(name, plaintext, aad).catch((e: unknown) => {
          plaintext.fill(0);
          throw e;
        });
        return { plaintext, wrapped: ciphertext, version };
      }
      const r = await call(`generate data key with ${name}`, datakeyResponse, () => client.write(path('datakey', 'plaintext', name), { bits: 256 }));
      const version = fmt.answerVersion(r.data.ciphertext);
      const plaintext = Buffer.from(r.data.plaintext, 'base64');
      if (version === null || plaintext.length !== 32) {
        plaintext.fill(0);
        throw fail('Unavailable', `generate data key with ${name}: malformed answer`, 'bad_response');
      }
      return { plaintext, wrapped: Buffer.from(r.data.ciphertext, 'latin1'), version: r.data.key_version ?? version };
    },

    async sign(keyRef, message, version) {
      const name = checkRef(keyRef);
      checkBuffer(message, 'message');
      checkVersion(version);
      refuseDisabled(name);
      const body: Record<string, unknown> = { input: b64(message), signature_algorithm: 'pss', salt_length: 'hash', marshaling_algorithm: 'asn1' };
      if (version !== undefined) body['key_version'] = version;
      const r = await call(`sign with ${name}`, signResponse, () => client.write(path('sign', name, 'sha2-256'), body));
      const sig = fmt.signatureBytes(r.data.signature);
      if (!sig) throw fail('Unavailable', `sign with ${name}: Vault returned a malformed signature`, 'bad_response');
      return sig;
    },

    async verify(keyRef, message, signature, version) {
      const name = checkRef(keyRef);
      checkBuffer(message, 'message');
      checkBuffer(signature, 'signature');
      checkVersion(version);
      refuseDisabled(name);
      if (signature.length === 0) return false;
      if (version !== undefined) return verifyVersion(name, message, signature, version);
      // The raw signature does not say which version made it: try the usable versions, newest first.
      const key = await readKey(name);
      for (let v = key.latest_version; v >= Math.max(1, key.min_decryption_version); v--) if (await verifyVersion(name, message, signature, v)) return true;
      return false;
    },

    async getPublicKey(keyRef, version) {
      const name = checkRef(keyRef);
      checkVersion(version);
      const key = await readKey(name);
      if (!fmt.specOfType(key.type) || key.type === fmt.VAULT_KEY_TYPES.AES_256) throw fail('InvalidInput', `key ${name} (${key.type}) has no public key`);
      const v = version ?? key.latest_version;
      const entry = key.keys[String(v)];
      if (entry === undefined || typeof entry === 'number' || typeof entry.public_key !== 'string')
        throw fail(v > key.latest_version ? 'NotFound' : 'KeyDisabled', `version ${v} of key ${name} is not available`);
      return { pem: entry.public_key, version: v };
    },

    async rotate(keyRef) {
      const name = checkRef(keyRef);
      await call(`rotate key ${name}`, z.unknown(), () => client.write(path('keys', name, 'rotate'), {}));
      return { version: (await readKey(name)).latest_version };
    },

    async enable(keyRef) {
      const name = checkRef(keyRef);
      await readKey(name);
      disabled.delete(name);
    },

    async disable(keyRef) {
      const name = checkRef(keyRef);
      await readKey(name);
      disabled.add(name);
    },

    async scheduleDestruction(keyRef, waitingDays) {
      const name = checkRef(keyRef);
      if (!Number.isInteger(waitingDays) || waitingDays < 0) throw fail('InvalidInput', 'waitingDays must be a whole number >= 0');
      await call(`allow deletion of ${name}`, z.unknown(), () => client.write(path('keys', name, 'config'), { deletion_allowed: true }));
      await call(`delete key ${name}`, z.unknown(), () => client.delete(path('keys', name)));
      keyTypes.delete(name);
      disabled.delete(name);
      return { deletionDate: new Date(clock.now()).toISOString() };
    },

    async cancelDestruction(keyRef) {
      const name = checkRef(keyRef);
      await readKey(name); // NotFound once destroyed
      throw fail('InvalidInput', `no destruction is pending for ${name}: Vault deletes keys at once`);
    },

    async rewrap(keyRef, ciphertext) {
      const name = checkRef(keyRef);
      checkBuffer(ciphertext, 'ciphertext');
      refuseDisabled(name);
      const parsed = fmt.parseVersioned(ciphertext);
      if (!parsed) throw fail('IntegrityFailure', 'the ciphertext is not a well-formed Vault transit ciphertext');
      await requireEncryptionKey(name);
      const r = await call(`rewrap with ${name}`, encryptResponse, () => client.write(path('rewrap', name), { ciphertext: parsed.text }));
      const version = fmt.answerVersion(r.data.ciphertext);
      if (version === null) throw fail('Unavailable', `rewrap with ${name}: Vault returned a malformed ciphertext`, 'bad_response');
      return { ciphertext: Buffer.from(r.data.ciphertext, 'latin1'), version: r.data.key_version ?? version };
    },

    async health() {
      const started = performance.now();
      const latencyMs = () => Math.round((performance.now() - started) * 10) / 10;
      const done = (ok: boolean, detail: string | null, errorKind: ProviderErrorKind = 'Unavailable'): HealthReport =>
        ok ? { ok, latencyMs: latencyMs(), detail } : { ok, latencyMs: latencyMs(), detail, errorKind };
      try {
        // node-vault resolves sys/health with the body whatever the status (429 standby, 503 sealed, ...).
        const body: unknown = await callVault('health', z.unknown(), () => client.health());
        const errors = vaultErrorStrings(body);
        if (errors.length > 0) return done(false, `sys/health: ${errors.join('; ')}`);
        const h = healthResponse.safeParse(body);
        if (!h.success) return done(false, 'sys/health: unexpected answer');
        if (!h.data.initialized) return done(false, 'Vault is not initialized');
        if (h.data.sealed) return done(false, 'Vault is sealed');
        // The server may have been replaced since the last check (upgrade, failover to an older node).
        const refusal = serverRefusal(body);
        rememberServerCheck(refusal ? Promise.reject(refusal) : Promise.resolve());
        if (refusal) return done(false, `${refusal.kind}: ${refusal.message}`, refusal.kind);
        // Proves the token, namespace and mount, not just that a server answers.
        await provider.listKeys({ pageSize: 1 });
        return done(true, null);
      } catch (e) {
        const err = e instanceof ProviderError ? e : toProviderError(id, 'health', e);
        return done(false, `${err.kind}: ${err.message}`, err.kind);
      }
    },

    async close() {
      closed = true;
      conn.close();
    },
  };
  return provider;
}

