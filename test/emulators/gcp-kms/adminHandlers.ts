// Key ring, crypto key and version management RPCs with the service's validation and state rules.
import { keyMsg, ringMsg, seconds, versionMsg, type Msg } from './messages.ts';
import { ID_RE, names } from './names.ts';
import { createPager } from './paging.ts';
import { rpc } from './status.ts';
import { SYMMETRIC, type Algorithm, type CryptoKey, type ProtectionLevel, type Purpose, type Store } from './store.ts';

export interface Handler {
  /** The IAM permission the method needs (checked against the emulator's grants). */
  permission: string;
  /** Request field that names the resource (also what the routing header must carry). */
  resource: (req: Msg) => unknown;
  routingKey: string;
  handle(req: Msg): Msg;
}

const DAY = 86_400;
const SIGN_ALGORITHMS: readonly Algorithm[] = ['RSA_SIGN_PSS_2048_SHA256', 'EC_SIGN_P256_SHA256'];

const byName = (r: Msg) => r.name;
const byParent = (r: Msg) => r.parent;

export function adminHandlers(store: Store, now: () => number, pagerSecret: Buffer): Record<string, Handler> {
  const page = createPager(pagerSecret);

  function newKey(parent: string, id: string, body: Msg): CryptoKey {
    const purpose = body.purpose as string | undefined;
    if (purpose !== 'ENCRYPT_DECRYPT' && purpose !== 'ASYMMETRIC_SIGN')
      throw rpc.invalid(`crypto_key.purpose ${purpose ?? 'CRYPTO_KEY_PURPOSE_UNSPECIFIED'} is not supported (ENCRYPT_DECRYPT, ASYMMETRIC_SIGN).`);
    const template = (body.versionTemplate ?? {}) as Msg;
    const algorithm = (template.algorithm ?? (purpose === 'ENCRYPT_DECRYPT' ? SYMMETRIC : undefined)) as Algorithm | undefined;
    const allowed = purpose === 'ENCRYPT_DECRYPT' ? [SYMMETRIC] : SIGN_ALGORITHMS;
    if (!algorithm || !allowed.includes(algorithm))
      throw rpc.invalid(`crypto_key.version_template.algorithm ${String(algorithm)} is not compatible with purpose ${purpose}.`);
    const level = (template.protectionLevel ?? 'SOFTWARE') as string;
    const protectionLevel = (level === 'PROTECTION_LEVEL_UNSPECIFIED' ? 'SOFTWARE' : level) as ProtectionLevel;
    if (protectionLevel !== 'SOFTWARE' && protectionLevel !== 'HSM') throw rpc.invalid(`Protection level ${level} is not supported.`);
    const period = body.rotationPeriod === undefined || body.rotationPeriod === null ? null : seconds(body.rotationPeriod);
    const next = body.nextRotationTime === undefined || body.nextRotationTime === null ? null : seconds(body.nextRotationTime);
    if (period !== null || next !== null) {
      if (purpose !== 'ENCRYPT_DECRYPT') throw rpc.invalid('Automatic rotation is only supported for ENCRYPT_DECRYPT keys.');
      if (period === null || next === null) throw rpc.invalid('rotation_period and next_rotation_time must be set together.');
      if (period < DAY || period > 36_500 * DAY) throw rpc.invalid('rotation_period must be at least 24 hours and at most 876,000 hours.');
    }
    const destroyS = body.destroyScheduledDuration ? seconds(body.destroyScheduledDuration) : 30 * DAY;
    if (destroyS === null || destroyS < DAY || destroyS > 120 * DAY) throw rpc.invalid('destroy_scheduled_duration must be between 24 hours and 120 days.');
    const labels = (body.labels ?? {}) as Record<string, string>;
    for (const [k, v] of Object.entries(labels))
      if (!/^[a-z][a-z0-9_-]{0,62}$/.test(k) || !/^[a-z0-9_-]{0,63}$/.test(v)) throw rpc.invalid(`Invalid label ${k}.`);
    return {
      name: `${parent}/cryptoKeys/${id}`,
      purpose: purpose as Purpose,
      algorithm,
      protectionLevel,
      createTime: now(),
      rotationPeriodS: period === null ? null : Math.floor(period),
      nextRotationTime: next === null ? null : Math.floor(next * 1000),
      destroyScheduledS: Math.floor(destroyS),
      labels,
      primary: null,
      versions: [],
    };
  }

  const h = (permission: string, resource: (r: Msg) => unknown, routingKey: string, handle: (r: Msg) => Msg): Handler => ({ permission, resource, routingKey, handle });

  return {
    GetKeyRing: h('cloudkms.keyRings.get', byName, 'name', (r) => ringMsg(store.ring(names.keyRing(r.name)))),
    CreateKeyRing: h('cloudkms.keyRings.create', byParent, 'parent', (r) => {
      const parent = names.location(r.parent);
      if (typeof r.keyRingId !== 'string' || !ID_RE.test(r.keyRingId)) throw rpc.invalid('key_ring_id must match [a-zA-Z0-9_-]{1,63}.');
      const name = `${parent}/keyRings/${r.keyRingId}`;
      if (store.rings.has(name)) throw rpc.exists(name);
      const ring = { name, createTime: now() };
      store.rings.set(name, ring);
      return ringMsg(ring);
    }),
    ListCryptoKeys: h('cloudkms.cryptoKeys.list', byParent, 'parent', (r) => {
      const parent = names.keyRing(r.parent, 'parent');
      store.ring(parent);
      const all = [...store.keys.values()].filter((k) => names.ringOfKey(k.name) === parent);
      const { items, nextPageToken } = page(parent, all, r.pageSize, r.pageToken);
      return { cryptoKeys: items.map(keyMsg), nextPageToken, totalSize: all.length };
    }),
    GetCryptoKey: h('cloudkms.cryptoKeys.get', byName, 'name', (r) => keyMsg(store.key(names.cryptoKey(r.name)))),
    CreateCryptoKey: h('cloudkms.cryptoKeys.create', byParent, 'parent', (r) => {
      const parent = names.keyRing(r.parent, 'parent');
      if (typeof r.cryptoKeyId !== 'string' || !ID_RE.test(r.cryptoKeyId)) throw rpc.invalid('crypto_key_id must match [a-zA-Z0-9_-]{1,63}.');
      const key = newKey(parent, r.cryptoKeyId, (r.cryptoKey ?? {}) as Msg);
      store.ring(parent);
      if (store.keys.has(key.name)) throw rpc.exists(key.name);
      store.keys.set(key.name, key);
      if (r.skipInitialVersionCreation !== true) {
        const v = store.addVersion(key);
        if (key.purpose === 'ENCRYPT_DECRYPT') key.primary = v.number;
      }
      return keyMsg(key);
    }),
    ListCryptoKeyVersions: h('cloudkms.cryptoKeyVersions.list', byParent, 'parent', (r) => {
      const parent = names.cryptoKey(r.parent, 'parent');
      const key = store.key(parent);
      const { items, nextPageToken } = page(parent, key.versions, r.pageSize, r.pageToken);
      return { cryptoKeyVersions: items.map(versionMsg), nextPageToken, totalSize: key.versions.length };
    }),
    GetCryptoKeyVersion: h('cloudkms.cryptoKeyVersions.get', byName, 'name', (r) => versionMsg(store.version(names.version(r.name)).version)),
    CreateCryptoKeyVersion: h('cloudkms.cryptoKeyVersions.create', byParent, 'parent', (r) => {
      const key = store.key(names.cryptoKey(r.parent, 'parent'));
      const body = (r.cryptoKeyVersion ?? {}) as Msg;
      if (body.state !== undefined && body.state !== 'CRYPTO_KEY_VERSION_STATE_UNSPECIFIED') throw rpc.invalid('crypto_key_version.state is output only.');
      return versionMsg(store.addVersion(key));
    }),
    UpdateCryptoKeyVersion: h('cloudkms.cryptoKeyVersions.update', (r) => (r.cryptoKeyVersion as Msg | undefined)?.name, 'crypto_key_version.name', (r) => {
      const body = (r.cryptoKeyVersion ?? {}) as Msg;
      const { version } = store.version(names.version(body.name, 'crypto_key_version.name'));
      const paths = ((r.updateMask as Msg | undefined)?.paths ?? []) as string[];
      if (paths.length !== 1 || paths[0] !== 'state') throw rpc.invalid('update_mask must be exactly ["state"].');
      if (body.state !== 'ENABLED' && body.state !== 'DISABLED') throw rpc.invalid(`crypto_key_version.state must be ENABLED or DISABLED, not ${String(body.state)}.`);
      if (version.state !== 'ENABLED' && version.state !== 'DISABLED')
        throw rpc.precondition(`${version.name} is in state ${version.state}; only ENABLED and DISABLED versions can change state.`);
      version.state = body.state;
      return versionMsg(version);
    }),
    // UpdateCryptoKey: the fields named by update_mask are taken from crypto_key (a named field absent from it is cleared).
    // The emulator updates the rotation schedule and labels; the reference's rules on the result: rotation_period needs
    // next_rotation_time, only ENCRYPT_DECRYPT keys rotate automatically, the period is 24 hours to 876,000 hours.
    UpdateCryptoKey: h('cloudkms.cryptoKeys.update', (r) => (r.cryptoKey as Msg | undefined)?.name, 'crypto_key.name', (r) => {
      const body = (r.cryptoKey ?? {}) as Msg;
      const key = store.key(names.cryptoKey(body.name, 'crypto_key.name'));
      const paths = ((r.updateMask as Msg | undefined)?.paths ?? []) as string[];
      if (paths.length === 0) throw rpc.invalid('update_mask is required.');
      const updatable = ['rotation_period', 'next_rotation_time', 'labels'];
      const unknown = paths.find((p) => !updatable.includes(p));
      if (unknown !== undefined) throw rpc.invalid(`update_mask path ${unknown} is not supported for CryptoKey updates by this emulator (${updatable.join(', ')}).`);
      let period = key.rotationPeriodS;
      let next = key.nextRotationTime === null ? null : key.nextRotationTime / 1000;
      if (paths.includes('rotation_period')) period = body.rotationPeriod === undefined || body.rotationPeriod === null ? null : seconds(body.rotationPeriod);
      if (paths.includes('next_rotation_time')) next = body.nextRotationTime === undefined || body.nextRotationTime === null ? null : seconds(body.nextRotationTime);
      if (period !== null && period !== 0) {
        if (key.purpose !== 'ENCRYPT_DECRYPT') throw rpc.invalid('Automatic rotation is only supported for ENCRYPT_DECRYPT keys.');
        if (next === null) throw rpc.invalid('next_rotation_time must be set if rotation_period is set.');
        if (period < DAY || period > 36_500 * DAY) throw rpc.invalid('rotation_period must be at least 24 hours and at most 876,000 hours.');
      }
      if (next !== null && key.purpose !== 'ENCRYPT_DECRYPT') throw rpc.invalid('Automatic rotation is only supported for ENCRYPT_DECRYPT keys.');
      let labels = key.labels;
      if (paths.includes('labels')) {
        labels = (body.labels ?? {}) as Record<string, string>;
        for (const [k, v] of Object.entries(labels))
          if (!/^[a-z][a-z0-9_-]{0,62}$/.test(k) || !/^[a-z0-9_-]{0,63}$/.test(v)) throw rpc.invalid(`Invalid label ${k}.`);
      }
      key.rotationPeriodS = period === null || period === 0 ? null : Math.floor(period);
      key.nextRotationTime = next === null ? null : Math.floor(next * 1000);
      key.labels = labels;
      return keyMsg(key);
    }),
    UpdateCryptoKeyPrimaryVersion: h('cloudkms.cryptoKeys.update', byName, 'name', (r) => {
      const key = store.key(names.cryptoKey(r.name));
      if (key.purpose !== 'ENCRYPT_DECRYPT') throw rpc.invalid(`${key.name} has purpose ${key.purpose}; only ENCRYPT_DECRYPT keys have a primary version.`);
      if (typeof r.cryptoKeyVersionId !== 'string' || !/^[1-9][0-9]{0,9}$/.test(r.cryptoKeyVersionId)) throw rpc.invalid('crypto_key_version_id must be a version number.');
      const { version } = store.version(`${key.name}/cryptoKeyVersions/${r.cryptoKeyVersionId}`);
      if (version.state !== 'ENABLED') throw rpc.precondition(`${version.name} is not enabled, current state is: ${version.state}.`);
      key.primary = version.number;
      return keyMsg(key);
    }),
    DestroyCryptoKeyVersion: h('cloudkms.cryptoKeyVersions.destroy', byName, 'name', (r) => {
      const { key, version } = store.version(names.version(r.name));
      if (version.state !== 'ENABLED' && version.state !== 'DISABLED')
        throw rpc.precondition(`${version.name} is in state ${version.state} and cannot be destroyed.`);
      version.state = 'DESTROY_SCHEDULED';
      version.destroyTime = now() + key.destroyScheduledS * 1000;
      return versionMsg(version);
    }),
    RestoreCryptoKeyVersion: h('cloudkms.cryptoKeyVersions.restore', byName, 'name', (r) => {
      const { version } = store.version(names.version(r.name));
      if (version.state !== 'DESTROY_SCHEDULED') throw rpc.precondition(`${version.name} is in state ${version.state}; only DESTROY_SCHEDULED versions can be restored.`);
      version.state = 'DISABLED';
      version.destroyTime = null;
      return versionMsg(version);
    }),
  };
}

