// Vault's HTTP responses as its API documentation describes them (developer.hashicorp.com/vault/api-docs: the
// overview's envelope, {"errors": [...]} and status codes; secret/transit for each endpoint's `data`; system/health),
// written from the documentation and not from this emulator. Used by responseCheck.ts on every emulator response.
import { z } from 'zod';
import { zodProblems } from '../schemaCheck.ts';
import type { VaultBehaviour } from './serverProfile.ts';

/** Statuses the API overview lists (plus 413 from the listener's max_request_size and sys/health's own codes). */
const DOCUMENTED_STATUS = new Set([200, 204, 400, 403, 404, 405, 412, 413, 429, 472, 473, 474, 500, 501, 502, 503, 530]);

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const base64 = z.string().regex(STD_BASE64, 'not standard base64');
const VERSIONED = /^vault:v([1-9][0-9]*):(.+)$/;
/** "vault:v<N>:<base64>": what encrypt, rewrap, datakey and sign return. */
const versioned = z.string().refine((s) => {
  const m = VERSIONED.exec(s);
  return m !== null && STD_BASE64.test(m[2]!);
}, 'not a "vault:v<N>:<base64>" value');
const versionOf = (s: string) => Number(VERSIONED.exec(s)?.[1] ?? NaN);
const keyVersion = z.int().min(1);
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The response envelope of every logical endpoint (api-docs overview, sample responses). */
const envelope = z.strictObject({
  request_id: z.string().regex(UUID, 'request_id is not a UUID'),
  lease_id: z.string(),
  renewable: z.boolean(),
  lease_duration: z.int().min(0),
  data: z.record(z.string(), z.unknown()).nullable(),
  wrap_info: z.record(z.string(), z.unknown()).nullable(),
  warnings: z.array(z.string()).nullable(),
  auth: z.record(z.string(), z.unknown()).nullable(),
  mount_type: z.string().optional(),
});

/** Every failure: {"errors": [...]} and nothing else (the array may be empty, e.g. a 404 on a missing key). */
const errorBody = z.strictObject({ errors: z.array(z.string()) });

const withVersion = <T extends z.ZodRawShape>(shape: T, field: keyof T & string) =>
  z.strictObject({ ...shape, key_version: keyVersion.optional() }).refine(
    (d) => {
      const r = d as Record<string, unknown>;
      const v = versionOf(r[field] as string);
      return r['key_version'] === undefined || Number.isNaN(v) || r['key_version'] === v; // a bad prefix is reported above
    },
    `key_version differs from the version in ${field}`,
  );

const SYMMETRIC = new Set(['aes128-gcm96', 'aes256-gcm96', 'chacha20-poly1305', 'hmac']);
/** What each key type supports, as the transit docs list the types (encryption, signing, derivation). */
const SUPPORTS: Record<string, { encryption: boolean; signing: boolean; derivation: boolean }> = {
  'aes128-gcm96': { encryption: true, signing: false, derivation: true },
  'aes256-gcm96': { encryption: true, signing: false, derivation: true },
  'chacha20-poly1305': { encryption: true, signing: false, derivation: true },
  ed25519: { encryption: false, signing: true, derivation: true },
  'ecdsa-p256': { encryption: false, signing: true, derivation: false },
  'ecdsa-p384': { encryption: false, signing: true, derivation: false },
  'ecdsa-p521': { encryption: false, signing: true, derivation: false },
  'rsa-2048': { encryption: true, signing: true, derivation: false },
  'rsa-3072': { encryption: true, signing: true, derivation: false },
  'rsa-4096': { encryption: true, signing: true, derivation: false },
};

const asymmetricVersion = z.strictObject({
  creation_time: z.string().regex(RFC3339, 'creation_time is not RFC 3339'),
  name: z.string(),
  public_key: z.string().startsWith('-----BEGIN PUBLIC KEY-----'),
  certificate_chain: z.string().optional(),
});

/** GET /transit/keys/:name ("Read key"): the documented fields, then the ones Vault adds for versions and rotation. */
function keyData(server: VaultBehaviour) {
  return z
    .strictObject({
      type: z.string().refine((t) => t in SUPPORTS || t === 'hmac', 'unknown key type'),
      deletion_allowed: z.boolean(),
      derived: z.boolean(),
      exportable: z.boolean(),
      allow_plaintext_backup: z.boolean(),
      keys: z.record(z.string().regex(/^[1-9][0-9]*$/, 'key versions are decimal numbers'), z.union([z.int().min(0), asymmetricVersion])),
      min_decryption_version: z.int().min(1),
      min_encryption_version: z.int().min(0),
      name: z.string(),
      supports_encryption: z.boolean(),
      supports_decryption: z.boolean(),
      supports_derivation: z.boolean(),
      supports_signing: z.boolean(),
      latest_version: z.int().min(1),
      min_available_version: z.int().min(0),
      auto_rotate_period: server.autoRotatePeriod ? z.int().min(0) : z.never().optional(),
      imported_key: z.boolean().optional(),
      imported: z.boolean().optional(),
      imported_key_allow_rotation: z.boolean().optional(),
      convergent_encryption: z.boolean().optional(),
      convergent_encryption_version: z.int().optional(),
      kdf: z.string().optional(),
    })
    .superRefine((d, ctx) => {
      const issue = (message: string) => ctx.addIssue({ code: 'custom', message });
      const versions = Object.keys(d.keys).map(Number);
      if (!versions.includes(d.latest_version)) issue(`keys lacks latest_version ${d.latest_version}`);
      for (const v of versions) if (v < d.min_decryption_version || v > d.latest_version) issue(`keys lists version ${v} outside min_decryption_version..latest_version`);
      for (const [v, entry] of Object.entries(d.keys))
        if (SYMMETRIC.has(d.type) !== (typeof entry === 'number')) issue(`keys.${v}: a ${d.type} key lists ${SYMMETRIC.has(d.type) ? 'creation seconds' : 'an object with the public key'}`);
      if (d.min_encryption_version !== 0 && d.min_encryption_version < d.min_decryption_version) issue('min_encryption_version is below min_decryption_version');
      const s = SUPPORTS[d.type];
      if (s && (d.supports_encryption !== s.encryption || d.supports_decryption !== s.encryption || d.supports_signing !== s.signing || d.supports_derivation !== s.derivation))
        issue(`supports_* do not match what a ${d.type} key supports`);
    });
}

export type VaultRoute =
  | 'sys/health'
  | 'keys:list'
  | 'keys:read'
  | 'keys:create'
  | 'keys:delete'
  | 'keys:config'
  | 'keys:rotate'
  | 'config/keys'
  | 'encrypt'
  | 'decrypt'
  | 'rewrap'
  | 'datakey:plaintext'
  | 'datakey:wrapped'
  | 'sign'
  | 'verify'
  | 'other';

/** Which documented endpoint a request reached: method plus the path after /v1/ and after the mount. */
export function routeOf(method: string, list: boolean, afterMount: string[] | null, isHealth: boolean): VaultRoute {
  if (isHealth) return 'sys/health';
  if (!afterMount) return 'other';
  const [head, a, b] = afterMount;
  const n = afterMount.length;
  if (head === 'keys' && n === 1 && list) return 'keys:list';
  if (head === 'keys' && n === 2) return method === 'GET' && !list ? 'keys:read' : method === 'DELETE' ? 'keys:delete' : 'keys:create';
  if (head === 'keys' && n === 3 && b === 'config') return 'keys:config';
  if (head === 'keys' && n === 3 && b === 'rotate') return 'keys:rotate';
  if (head === 'config' && a === 'keys') return 'config/keys';
  if (head === 'datakey' && (a === 'plaintext' || a === 'wrapped')) return `datakey:${a}`;
  if (head === 'encrypt' || head === 'decrypt' || head === 'rewrap' || head === 'sign' || head === 'verify') return head;
  return 'other';
}

/** sys/health (api-docs/system/health): its own body, no envelope; the status code says the node's state. */
function healthProblems(status: number, body: unknown, server: VaultBehaviour): string[] {
  const schema = z
    .strictObject({
      initialized: z.boolean(),
      sealed: z.boolean(),
      standby: z.boolean(),
      performance_standby: z.boolean(),
      replication_performance_mode: z.string(),
      replication_dr_mode: z.string(),
      server_time_utc: z.int(),
      version: z.string().regex(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/, 'not a Vault version'),
      cluster_name: z.string().optional(),
      cluster_id: z.string().optional(),
      enterprise: server.healthReportsEnterprise ? z.boolean() : z.never().optional(),
      echo_duration_ms: z.int().optional(),
      clock_skew_ms: z.int().optional(),
      replication_primary_canary_age_ms: z.int().optional(),
      last_wal: z.int().optional(),
      license: z.strictObject({ expiry_time: z.string(), state: z.string(), terminated: z.boolean() }).optional(),
    })
    .superRefine((h, ctx) => {
      if (h.enterprise !== undefined && h.enterprise !== /\+ent(?:\.|$)/.test(h.version)) ctx.addIssue({ code: 'custom', message: 'enterprise disagrees with the version ("+ent" marks Enterprise builds)' });
      const expected = !h.initialized ? 501 : h.sealed ? 503 : h.performance_standby ? 473 : h.standby ? 429 : 200;
      if (status !== expected) ctx.addIssue({ code: 'custom', message: `status ${status} for a node that is ${expected === 200 ? 'active' : `answered with ${expected} by default`}` });
    });
  return zodProblems(schema.safeParse(body));
}

const DATA: Partial<Record<VaultRoute, (server: VaultBehaviour) => z.ZodType>> = {
  'keys:list': () => z.strictObject({ keys: z.array(z.string()).min(1) }),
  'keys:read': keyData,
  // Vault answers create, rotate and config with the key as read (or 204 on versions that answered without data).
  'keys:create': keyData,
  'keys:rotate': keyData,
  'keys:config': keyData,
  'config/keys': () => z.strictObject({ disable_upsert: z.boolean() }),
  encrypt: () => withVersion({ ciphertext: versioned }, 'ciphertext'),
  rewrap: () => withVersion({ ciphertext: versioned }, 'ciphertext'),
  decrypt: () => z.strictObject({ plaintext: base64 }),
  'datakey:plaintext': () => withVersion({ ciphertext: versioned, plaintext: base64 }, 'ciphertext'),
  'datakey:wrapped': () => withVersion({ ciphertext: versioned }, 'ciphertext'),
  sign: () => withVersion({ signature: versioned }, 'signature'),
  verify: () => z.strictObject({ valid: z.boolean() }),
};

/** Everything wrong with one response (empty when it conforms). `body` is the parsed JSON, undefined when empty. */
export function vaultResponseProblems(route: VaultRoute, method: string, status: number, body: unknown, server: VaultBehaviour): string[] {
  if (!DOCUMENTED_STATUS.has(status)) return [`status ${status} is not one Vault documents`];
  if (method === 'HEAD') return body === undefined ? [] : ['HEAD answered with a body'];
  // A failing node, or a rate-limit quota that does not exempt sys/health, answers with the usual errors body.
  if (route === 'sys/health' && typeof body === 'object' && body !== null && 'errors' in body)
    return status === 429 || status >= 500 ? zodProblems(errorBody.safeParse(body)) : [`sys/health answered ${status} with an errors body`];
  if (route === 'sys/health') return healthProblems(status, body, server);
  if (status === 204) return body === undefined ? [] : ['204 with a body'];
  if (status !== 200) return zodProblems(errorBody.safeParse(body));
  if (route === 'keys:delete') return ['DELETE /keys/:name answers 204 without a body, not 200'];
  const env = envelope.safeParse(body);
  if (!env.success) return zodProblems(env);
  const data = DATA[route];
  if (!data) return [];
  return zodProblems(data(server).safeParse(env.data.data)).map((p) => (p.startsWith('(body)') ? `data${p.slice('(body)'.length)}` : `data.${p}`));
}
