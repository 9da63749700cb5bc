// The Key Vault keys REST surface (api-version 7.x / 2025-07-01) over one VaultStore: key management, versions,
// rotation and rotation policies, soft delete / recover / purge, and the key operations.
import crypto from 'node:crypto';
import { signDigest } from './digestSign.ts';
import { KvError } from './kvErrors.ts';
import {
  checkKeyOps, checkTags, durationDays, keyBundle, keyItem, newKeyMaterial, newVersion, notFound, nowSeconds,
  type DeletedKey, type KeyVersion, type RotationPolicy, type VaultKey,
} from './vaultStore.ts';

export interface VaultState {
  keys: Map<string, VaultKey>;
  deleted: Map<string, DeletedKey>;
  retentionDays: number;
  now: () => number;
  base: string;
  /** Serve as a Managed HSM: HSM key types only, oct-HSM keys with AES-GCM. */
  managedHsm: boolean;
}

export type Body = Record<string, unknown>;
export interface Answer { status: number; body?: unknown }

const NAME_RE = /^[0-9a-zA-Z-]{1,127}$/;
const VERSION_RE = /^[0-9a-f]{32}$/;
const DIGEST_BYTES: Record<string, number> = { PS256: 32, RS256: 32, ES256: 32, PS384: 48, RS384: 48, ES384: 48, PS512: 64, RS512: 64, ES512: 64 };

const ok = (body: unknown): Answer => ({ status: 200, body });

function b64u(value: unknown, field: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]*$/.test(value)) throw new KvError(400, 'BadParameter', `${field} must be base64url.`);
  return Buffer.from(value, 'base64url');
}

function checkName(name: string): void {
  if (!NAME_RE.test(name)) throw new KvError(400, 'BadParameter', `The request URI contains an invalid name: ${name}`);
}

/** Expired soft-deleted keys are purged when the state is next looked at. */
function purgeExpired(s: VaultState): void {
  const now = nowSeconds(s.now);
  for (const [name, d] of s.deleted) if (d.scheduledPurgeDate <= now) s.deleted.delete(name);
}

function keyOf(s: VaultState, name: string): VaultKey {
  checkName(name);
  purgeExpired(s);
  const key = s.keys.get(name);
  if (!key) throw notFound(name);
  return key;
}

function versionOf(key: VaultKey, version: string): KeyVersion {
  if (version === '') return key.versions[key.versions.length - 1]!;
  const v = VERSION_RE.test(version) ? key.versions.find((x) => x.version === version) : undefined;
  if (!v) throw notFound(key.name, version);
  return v;
}

function attributesPatch(v: KeyVersion, body: Body, now: number): void {
  const attrs = body.attributes;
  if (attrs !== undefined) {
    if (attrs === null || typeof attrs !== 'object' || Array.isArray(attrs)) throw new KvError(400, 'BadParameter', 'attributes must be an object.');
    const enabled = (attrs as Body).enabled;
    if (enabled !== undefined && typeof enabled !== 'boolean') throw new KvError(400, 'BadParameter', 'attributes.enabled must be a boolean.');
    if (typeof enabled === 'boolean') v.enabled = enabled;
  }
  if (body.tags !== undefined) v.tags = checkTags(body.tags);
  if (body.key_ops !== undefined) v.keyOps = checkKeyOps(v.kty, body.key_ops);
  v.updated = now;
}

function create(s: VaultState, name: string, body: Body): Answer {
  checkName(name);
  purgeExpired(s);
  if (s.deleted.has(name))
    throw new KvError(409, 'Conflict', `Key ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the key can only be recovered or purged.`);
  const material = newKeyMaterial(body, s.managedHsm);
  const keyOps = checkKeyOps(material.kty, body.key_ops);
  const tags = checkTags(body.tags);
  const attrs = (body.attributes ?? {}) as Body;
  const now = nowSeconds(s.now);
  const v = newVersion(material, keyOps, tags, attrs.enabled !== false, now);
  const existing = s.keys.get(name);
  // As in the service, creating an existing name adds a new version.
  if (existing) existing.versions.push(v);
  else s.keys.set(name, { name, versions: [v], rotationPolicy: null });
  return ok(keyBundle(s.base, name, v, s.retentionDays));
}

function rotate(s: VaultState, key: VaultKey): Answer {
  const latest = versionOf(key, '');
  const kty = latest.kty;
  const jwk = latest.publicJwk;
  const suffix = latest.hsm ? '-HSM' : '';
  const material = newKeyMaterial(
    kty === 'RSA' ? { kty: `RSA${suffix}`, key_size: Buffer.from(jwk.n ?? '', 'base64url').length * 8 } : kty === 'EC' ? { kty: `EC${suffix}`, crv: jwk.crv } : { kty: 'oct-HSM', key_size: (latest.privateKey.symmetricKeySize ?? 32) * 8 },
    s.managedHsm,
  );
  const v = newVersion(material, [...latest.keyOps], { ...latest.tags }, true, nowSeconds(s.now));
  key.versions.push(v);
  return ok(keyBundle(s.base, key.name, v, s.retentionDays));
}

function policyBody(s: VaultState, key: VaultKey): Body {
  const p = key.rotationPolicy;
  return {
    id: `${s.base}/keys/${key.name}/rotationpolicy`,
    lifetimeActions: p?.lifetimeActions ?? [{ trigger: { timeBeforeExpiry: 'P30D' }, action: { type: 'Notify' } }],
    attributes: p?.attributes ?? null,
  };
}

function setPolicy(s: VaultState, key: VaultKey, body: Body): Answer {
  const actions = body.lifetimeActions ?? [];
  if (!Array.isArray(actions)) throw new KvError(400, 'BadParameter', 'lifetimeActions must be a list.');
  const attrs = (body.attributes ?? {}) as Body;
  const expiry = attrs.expiryTime === undefined || attrs.expiryTime === null ? null : durationDays(attrs.expiryTime, 'expiryTime');
  if (expiry !== null && expiry < 28) throw new KvError(400, 'BadParameter', 'The expiryTime of a rotation policy must be at least 28 days (P28D).');
  for (const a of actions as Body[]) {
    const type = ((a.action ?? {}) as Body).type;
    const trigger = (a.trigger ?? {}) as Body;
    if (type !== 'Rotate' && type !== 'Notify' && type !== 'rotate' && type !== 'notify') throw new KvError(400, 'BadParameter', 'action.type must be Rotate or Notify.');
    if ((trigger.timeAfterCreate === undefined) === (trigger.timeBeforeExpiry === undefined))
      throw new KvError(400, 'BadParameter', 'A lifetime action needs exactly one of timeAfterCreate and timeBeforeExpiry.');
    if (trigger.timeAfterCreate !== undefined) {
      const d = durationDays(trigger.timeAfterCreate, 'timeAfterCreate');
      if (d < 7) throw new KvError(400, 'BadParameter', 'timeAfterCreate must be at least 7 days (P7D).');
      if (expiry !== null && d > expiry - 7) throw new KvError(400, 'BadParameter', 'timeAfterCreate must be at least 7 days before expiryTime.');
    } else {
      const d = durationDays(trigger.timeBeforeExpiry, 'timeBeforeExpiry');
      if (d < 7 || expiry === null || d > expiry - 7) throw new KvError(400, 'BadParameter', 'timeBeforeExpiry needs an expiryTime and must lie between 7 days and expiryTime - 7 days.');
    }
  }
  const now = nowSeconds(s.now);
  const policy: RotationPolicy = {
    id: `${s.base}/keys/${key.name}/rotationpolicy`,
    lifetimeActions: actions as RotationPolicy['lifetimeActions'],
    attributes: { ...(expiry === null ? {} : { expiryTime: attrs.expiryTime as string }), created: key.rotationPolicy?.attributes.created ?? now, updated: now },
  };
  key.rotationPolicy = policy;
  return ok(policyBody(s, key));
}

function page(s: VaultState, all: Body[], query: URLSearchParams, path: string): Answer {
  const max = query.get('maxresults');
  const size = max === null ? 25 : Number(max);
  if (!Number.isInteger(size) || size < 1 || size > 25) throw new KvError(400, 'BadParameter', 'maxresults must be between 1 and 25.');
  const skip = query.get('$skiptoken');
  const start = skip === null ? 0 : Number.parseInt(Buffer.from(skip, 'base64url').toString(), 10);
  if (!Number.isInteger(start) || start < 0) throw new KvError(400, 'BadParameter', 'Invalid $skiptoken.');
  const items = all.slice(start, start + size);
  const more = start + size < all.length;
  const next = more ? `${s.base}/${path}?api-version=${query.get('api-version')}&$skiptoken=${Buffer.from(String(start + size)).toString('base64url')}&maxresults=${size}` : null;
  return ok({ value: items, nextLink: next });
}

function deletedBundle(s: VaultState, name: string, d: DeletedKey): Body {
  const latest = d.key.versions[d.key.versions.length - 1]!;
  return { ...keyBundle(s.base, name, latest, s.retentionDays), recoveryId: `${s.base}/deletedkeys/${name}`, deletedDate: d.deletedDate, scheduledPurgeDate: d.scheduledPurgeDate };
}

function keyOperation(s: VaultState, key: VaultKey, version: string, op: string, body: Body): Answer {
  const v = versionOf(key, version);
  const opName = { wrapkey: 'wrapKey', unwrapkey: 'unwrapKey', encrypt: 'encrypt', decrypt: 'decrypt', sign: 'sign' }[op]!;
  if (!v.enabled) throw new KvError(403, 'Forbidden', `Operation ${opName} is not allowed on a disabled key.`);
  if (!v.keyOps.includes(opName)) throw new KvError(403, 'Forbidden', `Operation ${opName} is not permitted on this key.`);
  const alg = body.alg;
  const value = b64u(body.value, 'value');
  const kid = `${s.base}/keys/${key.name}/${v.version}`;
  if (op === 'sign') {
    const size = typeof alg === 'string' ? DIGEST_BYTES[alg] : undefined;
    const ec = typeof alg === 'string' && alg.startsWith('ES');
    if (!size || (v.kty === 'EC') !== ec || (ec && v.publicJwk.crv !== { 32: 'P-256', 48: 'P-384', 64: 'P-521' }[size]))
      throw new KvError(400, 'BadParameter', `Invalid algorithm ${String(alg)} for this key.`);
    if (value.length !== size) throw new KvError(400, 'BadParameter', `The digest for ${String(alg)} must be ${size} bytes.`);
    return ok({ kid, value: signDigest(v.privateKey, alg as string, value).toString('base64url') });
  }
  if (v.kty === 'oct') return aesGcm(v, op, alg, value, body, kid);
  if (v.kty !== 'RSA') throw new KvError(400, 'BadParameter', `Operation ${opName} is not supported for ${v.kty} keys.`);
  if (alg !== 'RSA-OAEP-256' && alg !== 'RSA-OAEP' && alg !== 'RSA1_5') throw new KvError(400, 'BadParameter', `Invalid algorithm ${String(alg)} for an RSA key.`);
  const padding = alg === 'RSA1_5' ? crypto.constants.RSA_PKCS1_PADDING : crypto.constants.RSA_PKCS1_OAEP_PADDING;
  const oaepHash = alg === 'RSA-OAEP-256' ? 'sha256' : 'sha1';
  if (op === 'wrapkey' || op === 'encrypt') {
    const limit = v.publicJwk.n ? Buffer.from(v.publicJwk.n, 'base64url').length - (alg === 'RSA-OAEP-256' ? 66 : alg === 'RSA-OAEP' ? 42 : 11) : 0;
    if (value.length === 0 || value.length > limit) throw new KvError(400, 'BadParameter', `The value is too long for ${alg} with this key (at most ${limit} bytes).`);
    return ok({ kid, value: crypto.publicEncrypt({ key: v.privateKey, padding, oaepHash }, value).toString('base64url') });
  }
  try {
    return ok({ kid, value: crypto.privateDecrypt({ key: v.privateKey, padding, oaepHash }, value).toString('base64url') });
  } catch {
    throw new KvError(400, 'BadParameter', 'Bad Request: the ciphertext could not be decrypted with this key.');
  }
}

/** Managed HSM AES-GCM on an oct-HSM key: the HSM makes the 12-byte IV; decryption needs iv, tag and the same aad. */
function aesGcm(v: KeyVersion, op: string, alg: unknown, value: Buffer, body: Body, kid: string): Answer {
  const bits = (v.privateKey.symmetricKeySize ?? 0) * 8;
  if (alg !== `A${bits}GCM` || (op !== 'encrypt' && op !== 'decrypt')) throw new KvError(400, 'BadParameter', `Invalid algorithm ${String(alg)} for operation ${op} on an oct-HSM key of ${bits} bits.`);
  const aad = body.aad === undefined || body.aad === null ? Buffer.alloc(0) : b64u(body.aad, 'aad');
  const cipher = `aes-${bits}-gcm` as crypto.CipherGCMTypes;
  if (op === 'encrypt') {
    if (body.iv !== undefined && body.iv !== null) throw new KvError(400, 'BadParameter', 'The IV for AES-GCM encryption is generated by the HSM and must not be given.');
    if (value.length === 0) throw new KvError(400, 'BadParameter', 'value must not be empty.');
    const iv = crypto.randomBytes(12);
    const c = crypto.createCipheriv(cipher, v.privateKey, iv).setAAD(aad);
    const out = Buffer.concat([c.update(value), c.final()]);
    return ok({ kid, value: out.toString('base64url'), iv: iv.toString('base64url'), tag: c.getAuthTag().toString('base64url'), ...(aad.length ? { aad: aad.toString('base64url') } : {}) });
  }
  const iv = b64u(body.iv, 'iv');
  const tag = b64u(body.tag, 'tag');
  if (iv.length !== 12 || tag.length !== 16) throw new KvError(400, 'BadParameter', 'AES-GCM decryption needs a 12-byte iv and a 16-byte tag.');
  try {
    const d = crypto.createDecipheriv(cipher, v.privateKey, iv).setAAD(aad).setAuthTag(tag);
    return ok({ kid, value: Buffer.concat([d.update(value), d.final()]).toString('base64url') });
  } catch {
    throw new KvError(400, 'BadParameter', 'Bad Request: AES-GCM authentication failed.');
  }
}

/** Serves one request whose path is split into segments (percent-decoded), after auth and api-version checks. */
export function serveKeys(s: VaultState, method: string, seg: string[], query: URLSearchParams, body: Body): Answer {
  const [root, name = '', a, b] = seg;
  if (root === 'keys' && seg.length === 1 && method === 'GET') {
    purgeExpired(s);
    const all = [...s.keys.values()].sort((x, y) => x.name.localeCompare(y.name)).map((k) => keyItem(s.base, k.name, k.versions[k.versions.length - 1]!, s.retentionDays, false));
    return page(s, all, query, 'keys');
  }
  if (root === 'keys' && name !== '') {
    if (a === 'create' && b === undefined && method === 'POST') return create(s, name, body);
    const key = keyOf(s, name);
    if (a === 'versions' && b === undefined && method === 'GET')
      return page(s, key.versions.map((v) => keyItem(s.base, name, v, s.retentionDays, true)), query, `keys/${name}/versions`);
    if (a === 'rotate' && b === undefined && method === 'POST') return rotate(s, key);
    if (a === 'rotationpolicy' && b === undefined) {
      if (method === 'GET') return ok(policyBody(s, key));
      if (method === 'PUT') return setPolicy(s, key, body);
    }
    if (a === undefined && method === 'DELETE') {
      const now = nowSeconds(s.now);
      const d: DeletedKey = { key, deletedDate: now, scheduledPurgeDate: now + s.retentionDays * 86_400 };
      s.keys.delete(name);
      s.deleted.set(name, d);
      return ok(deletedBundle(s, name, d));
    }
    if ((a === undefined || a === '' || VERSION_RE.test(a ?? '')) && b === undefined) {
      const v = versionOf(key, a ?? '');
      if (method === 'GET') return ok(keyBundle(s.base, name, v, s.retentionDays));
      if (method === 'PATCH') {
        attributesPatch(v, body, nowSeconds(s.now));
        return ok(keyBundle(s.base, name, v, s.retentionDays));
      }
    }
    if (a !== undefined && b !== undefined && method === 'POST' && ['wrapkey', 'unwrapkey', 'encrypt', 'decrypt', 'sign'].includes(b))
      return keyOperation(s, key, a, b, body);
  }
  if (root === 'deletedkeys' && name !== '') {
    checkName(name);
    purgeExpired(s);
    const d = s.deleted.get(name);
    if (!d) throw new KvError(404, 'KeyNotFound', `Deleted Key not found: ${name}`);
    if (a === undefined && method === 'GET') return ok(deletedBundle(s, name, d));
    if (a === 'recover' && b === undefined && method === 'POST') {
      s.deleted.delete(name);
      s.keys.set(name, d.key);
      return ok(keyBundle(s.base, name, d.key.versions[d.key.versions.length - 1]!, s.retentionDays));
    }
    if (a === undefined && method === 'DELETE') {
      s.deleted.delete(name);
      return { status: 204 };
    }
  }
  throw new KvError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`);
}
