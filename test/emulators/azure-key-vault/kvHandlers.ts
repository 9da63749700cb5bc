// The Key Vault keys REST surface (api-version 7.x / 2025-07-01) over one vault state: every operation of the keys
// specification except key release and attestation. Each answer names its operation (the specification's
// operationId), so the server can check the response against that operation's schema.
import crypto from 'node:crypto';
import { backupBlob, importedMaterial, restoreBlob } from './kvBackup.ts';
import { CRYPTO_PATHS, keyOperation } from './kvCrypto.ts';
import { KvError } from './kvErrors.ts';
import { policyBody, rotate, setPolicy } from './kvPolicy.ts';
import {
  checkKeyOps, checkTags, keyAttributes, keyBundle, keyItem, newKeyMaterial, newVersion, notFound, nowSeconds, requestAttributes,
  type DeletedKey, type KeyVersion, type VaultKey,
} from './vaultStore.ts';

export interface VaultState {
  keys: Map<string, VaultKey>;
  deleted: Map<string, DeletedKey>;
  retentionDays: number;
  now: () => number;
  base: string;
  /** Serve as a Managed HSM: HSM key types only, oct-HSM keys with AES. */
  managedHsm: boolean;
  /**
   * An empty version segment on a key operation or update (/keys/NAME//wrapkey): the specification requires the
   * segment, so 'refuse' (the default) answers 400; 'latest' serves the newest version, as the service is reported to.
   */
  emptyVersionSegment: 'refuse' | 'latest';
}

export type Body = Record<string, unknown>;
export interface Answer { status: number; body?: unknown }
/** Filled in as soon as the request is routed, so an error answer is also attributed to its operation. */
export interface Route { operation: string | null }

const NAME_RE = /^[0-9a-zA-Z-]{1,127}$/;
const VERSION_RE = /^[0-9a-f]{32}$/;

const ok = (body: unknown): Answer => ({ status: 200, body });

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

const latestOf = (key: VaultKey) => key.versions[key.versions.length - 1]!;

function versionOf(s: VaultState, key: VaultKey, version: string, emptyAllowed: boolean): KeyVersion {
  if (version === '') {
    if (emptyAllowed || s.emptyVersionSegment === 'latest') return latestOf(key);
    throw new KvError(400, 'BadParameter', 'The key version is required in the request URI (/keys/{key-name}/{key-version}/...).');
  }
  const v = VERSION_RE.test(version) ? key.versions.find((x) => x.version === version) : undefined;
  if (!v) throw notFound(key.name, version);
  return v;
}

function refuseDeletedName(s: VaultState, name: string): void {
  if (s.deleted.has(name))
    throw new KvError(409, 'Conflict', `Key ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the key can only be recovered or purged.`);
}

function addVersion(s: VaultState, name: string, v: KeyVersion): Answer {
  const existing = s.keys.get(name);
  // As in the service, creating or importing an existing name adds a new version.
  if (existing) existing.versions.push(v);
  else s.keys.set(name, { name, versions: [v], rotationPolicy: null });
  return ok(keyBundle(s.base, name, v, s.retentionDays));
}

function create(s: VaultState, name: string, body: Body): Answer {
  checkName(name);
  purgeExpired(s);
  refuseDeletedName(s, name);
  const material = newKeyMaterial(body, s.managedHsm);
  const keyOps = checkKeyOps(material.kty, body.key_ops);
  return addVersion(s, name, newVersion(material, keyOps, checkTags(body.tags), requestAttributes(body.attributes), nowSeconds(s.now)));
}

function importKey(s: VaultState, name: string, body: Body): Answer {
  checkName(name);
  purgeExpired(s);
  refuseDeletedName(s, name);
  const { material, keyOps } = importedMaterial(body, s.managedHsm);
  return addVersion(s, name, newVersion(material, keyOps, checkTags(body.tags), requestAttributes(body.attributes), nowSeconds(s.now)));
}

function update(s: VaultState, name: string, v: KeyVersion, body: Body): Answer {
  const attrs = requestAttributes(body.attributes);
  const nbf = attrs.nbf === undefined ? v.nbf : attrs.nbf;
  const exp = attrs.exp === undefined ? v.exp : attrs.exp;
  if (nbf !== null && exp !== null && exp <= nbf) throw new KvError(400, 'BadParameter', 'attributes.exp must be after attributes.nbf.');
  const tags = body.tags === undefined ? v.tags : checkTags(body.tags);
  const keyOps = body.key_ops === undefined ? v.keyOps : checkKeyOps(v.kty, body.key_ops);
  Object.assign(v, { enabled: attrs.enabled ?? v.enabled, nbf, exp, tags, keyOps, updated: nowSeconds(s.now) });
  return ok(keyBundle(s.base, name, v, s.retentionDays));
}

function page(s: VaultState, all: Body[], query: URLSearchParams, path: string): Answer {
  const max = query.get('maxresults');
  const size = max === null ? 25 : Number(max);
  if (!Number.isInteger(size) || size < 1 || size > 25) throw new KvError(400, 'BadParameter', 'maxresults must be between 1 and 25.');
  const skip = query.get('$skiptoken');
  const start = skip === null ? 0 : Number.parseInt(Buffer.from(skip, 'base64url').toString(), 10);
  if (!Number.isInteger(start) || start < 0) throw new KvError(400, 'BadParameter', 'Invalid $skiptoken.');
  const more = start + size < all.length;
  const next = `${s.base}/${path}?api-version=${query.get('api-version')}&$skiptoken=${Buffer.from(String(start + size)).toString('base64url')}&maxresults=${size}`;
  // nextLink is a string when there is a next page and absent otherwise (not nullable in the specification).
  return ok({ value: all.slice(start, start + size), ...(more ? { nextLink: next } : {}) });
}

const deletionInfo = (s: VaultState, name: string, d: DeletedKey) => ({ recoveryId: `${s.base}/deletedkeys/${name}`, deletedDate: d.deletedDate, scheduledPurgeDate: d.scheduledPurgeDate });

function deletedBundle(s: VaultState, name: string, d: DeletedKey): Body {
  return { ...keyBundle(s.base, name, latestOf(d.key), s.retentionDays), ...deletionInfo(s, name, d) };
}

function restore(s: VaultState, body: Body): Answer {
  purgeExpired(s);
  const key = restoreBlob(body.value);
  if (s.keys.has(key.name) || s.deleted.has(key.name)) throw new KvError(409, 'Conflict', `There is already a key named ${key.name} in this vault (or it is deleted but recoverable); the backup cannot be restored.`);
  s.keys.set(key.name, key);
  return ok(keyBundle(s.base, key.name, latestOf(key), s.retentionDays));
}

function randomBytes(body: Body): Answer {
  const count = body.count;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 128) throw new KvError(400, 'BadParameter', 'count must be an integer from 1 to 128.');
  return ok({ value: crypto.randomBytes(count).toString('base64url') });
}

function serveKey(s: VaultState, method: string, name: string, a: string | undefined, b: string | undefined, query: URLSearchParams, body: Body, route: Route): Answer | null {
  const op = b === undefined ? undefined : CRYPTO_PATHS[b];
  const is = (operation: string) => ((route.operation = operation), true);
  if (a === 'create' && b === undefined && method === 'POST' && is('CreateKey')) return create(s, name, body);
  if (a === undefined && method === 'PUT' && is('ImportKey')) return importKey(s, name, body);
  if (a === undefined && method === 'DELETE' && is('DeleteKey')) {
    const key = keyOf(s, name);
    const now = nowSeconds(s.now);
    const d: DeletedKey = { key, deletedDate: now, scheduledPurgeDate: now + s.retentionDays * 86_400 };
    s.keys.delete(name);
    s.deleted.set(name, d);
    return ok(deletedBundle(s, name, d));
  }
  if (a === 'backup' && b === undefined && method === 'POST' && is('BackupKey')) return ok({ value: backupBlob(keyOf(s, name)) });
  if (a === 'versions' && b === undefined && method === 'GET' && is('GetKeyVersions')) {
    const key = keyOf(s, name);
    return page(s, key.versions.map((v) => keyItem(s.base, name, v, s.retentionDays, true)), query, `keys/${name}/versions`);
  }
  if (a === 'rotate' && b === undefined && method === 'POST' && is('RotateKey')) return ok(keyBundle(s.base, name, rotate(s.now, keyOf(s, name), s.managedHsm), s.retentionDays));
  if (a === 'rotationpolicy' && b === undefined && method === 'GET' && is('GetKeyRotationPolicy')) return ok(policyBody(s.base, keyOf(s, name)));
  if (a === 'rotationpolicy' && b === undefined && method === 'PUT' && is('UpdateKeyRotationPolicy')) {
    const key = keyOf(s, name);
    setPolicy(s.now, key, body);
    return ok(policyBody(s.base, key));
  }
  // GET /keys/NAME and /keys/NAME/ (what the SDK sends) name the newest version, as the specification allows for GET.
  if ((a === undefined || a === '' || VERSION_RE.test(a)) && b === undefined && method === 'GET' && is('GetKey'))
    return ok(keyBundle(s.base, name, versionOf(s, keyOf(s, name), a ?? '', true), s.retentionDays));
  if (b === undefined && method === 'PATCH' && is('UpdateKey')) {
    const key = keyOf(s, name);
    return update(s, name, versionOf(s, key, a ?? '', false), body);
  }
  if (a !== undefined && op !== undefined && method === 'POST' && is(op)) {
    const key = keyOf(s, name);
    const v = versionOf(s, key, a, false);
    return ok(keyOperation(v, `${s.base}/keys/${name}/${v.version}`, op, body, nowSeconds(s.now)));
  }
  if (a !== undefined && (b === 'release' || b === 'attestation'))
    throw new KvError(501, 'NotImplemented', `This emulator does not offer key ${b}.`);
  return null;
}

/** Serves one request whose path is split into segments (percent-decoded), after auth and api-version checks. */
export function serveKeys(s: VaultState, method: string, seg: string[], query: URLSearchParams, body: Body, route: Route): Answer {
  const [root, name = '', a, b] = seg;
  if (root === 'keys' && seg.length === 1 && method === 'GET') {
    route.operation = 'GetKeys';
    purgeExpired(s);
    const all = [...s.keys.values()].sort((x, y) => x.name.localeCompare(y.name)).map((k) => keyItem(s.base, k.name, latestOf(k), s.retentionDays, false));
    return page(s, all, query, 'keys');
  }
  if (root === 'keys' && seg.length === 2 && name === 'restore' && method === 'POST') {
    route.operation = 'RestoreKey';
    return restore(s, body);
  }
  if (root === 'rng' && seg.length === 1 && method === 'POST') {
    route.operation = 'GetRandomBytes';
    return randomBytes(body);
  }
  if (root === 'deletedkeys' && seg.length === 1 && method === 'GET') {
    route.operation = 'GetDeletedKeys';
    purgeExpired(s);
    const all = [...s.deleted.entries()]
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([n, d]) => ({ kid: `${s.base}/keys/${n}`, attributes: keyAttributes(latestOf(d.key), s.retentionDays), tags: latestOf(d.key).tags, ...deletionInfo(s, n, d) }));
    return page(s, all, query, 'deletedkeys');
  }
  if (root === 'keys' && name !== '' && seg.length <= 4) {
    const answer = serveKey(s, method, name, a, b, query, body, route);
    if (answer) return answer;
  }
  if (root === 'deletedkeys' && name !== '' && seg.length <= 3) {
    route.operation = a === 'recover' ? 'RecoverDeletedKey' : method === 'DELETE' ? 'PurgeDeletedKey' : 'GetDeletedKey';
    checkName(name);
    purgeExpired(s);
    const d = s.deleted.get(name);
    if (!d) throw new KvError(404, 'KeyNotFound', `Deleted Key not found: ${name}`);
    if (a === undefined && method === 'GET') return ok(deletedBundle(s, name, d));
    if (a === 'recover' && b === undefined && method === 'POST') {
      s.deleted.delete(name);
      s.keys.set(name, d.key);
      return ok(keyBundle(s.base, name, latestOf(d.key), s.retentionDays));
    }
    if (a === undefined && method === 'DELETE') {
      s.deleted.delete(name);
      return { status: 204 };
    }
  }
  route.operation = null;
  throw new KvError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`);
}
