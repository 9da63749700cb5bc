// Finding a console key's objects in the token (metadata object + one key object, or key pair, per version), with a
// per-provider cache of object handles so that a hot encrypt/sign costs only the cryptographic calls. The cache is
// dropped for a key whenever the token answers that a handle is invalid or a function is not permitted (another
// console may have disabled, rotated or destroyed the key).
import pkcs11js from 'pkcs11js';
import { ProviderError, type ProviderKeyInfo } from '../types.ts';
import { APPLICATION, keyId, metaLabel, parseMeta, type KeyMeta } from './pkcs11Objects.ts';

export interface KeyVersionObjects {
  /** AES secret key, or the private key of a pair. */
  key: Buffer;
  /** Public key of a pair (signing keys). */
  pub: Buffer | null;
}

export interface KeyEntry {
  name: string;
  meta: KeyMeta;
  metaHandle: Buffer;
  versions: Map<number, KeyVersionObjects>;
  current: number;
  enabled: boolean;
}

const VERSION_RE = /^ecps\/(.+)\/v([1-9][0-9]{0,8})$/;

export function findObjects(lib: pkcs11js.PKCS11, session: Buffer, template: pkcs11js.Template): Buffer[] {
  lib.C_FindObjectsInit(session, template);
  const out: Buffer[] = [];
  try {
    for (;;) {
      const batch = lib.C_FindObjects(session, 64);
      if (batch.length === 0) break;
      out.push(...batch);
    }
  } finally {
    lib.C_FindObjectsFinal(session);
  }
  return out;
}

const attr = (lib: pkcs11js.PKCS11, session: Buffer, handle: Buffer, type: number) => lib.C_GetAttributeValue(session, handle, [{ type }])[0]?.value;

/** Every console key in the token: name -> metadata object handle (CKO_DATA with CKA_APPLICATION "ecps-uv"). */
export function listMetaObjects(lib: pkcs11js.PKCS11, session: Buffer): Map<string, Buffer> {
  const found = findObjects(lib, session, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_DATA },
    { type: pkcs11js.CKA_APPLICATION, value: APPLICATION },
  ]);
  const out = new Map<string, Buffer>();
  for (const h of found) {
    const label = String(attr(lib, session, h, pkcs11js.CKA_LABEL) ?? '');
    const m = /^ecps\/(.+)\/meta$/.exec(label);
    if (m) out.set(m[1]!, h);
  }
  return out;
}

/** Loads a key's objects from the token; null when it has no metadata object there. */
export function loadKey(lib: pkcs11js.PKCS11, session: Buffer, name: string): KeyEntry | null {
  const metas = findObjects(lib, session, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_DATA },
    { type: pkcs11js.CKA_APPLICATION, value: APPLICATION },
    { type: pkcs11js.CKA_LABEL, value: metaLabel(name) },
  ]);
  if (metas.length === 0) return null;
  const metaHandle = metas[0]!;
  const meta = parseMeta(attr(lib, session, metaHandle, pkcs11js.CKA_VALUE) as Buffer | undefined);
  if (meta === null) return null;
  const keyClass = meta.usage === 'encrypt' ? pkcs11js.CKO_SECRET_KEY : pkcs11js.CKO_PRIVATE_KEY;
  const versions = new Map<number, KeyVersionObjects>();
  const byVersion = (handles: Buffer[]) => {
    const out = new Map<number, Buffer>();
    for (const h of handles) {
      const m = VERSION_RE.exec(String(attr(lib, session, h, pkcs11js.CKA_LABEL) ?? ''));
      if (m && m[1] === name) out.set(Number(m[2]), h);
    }
    return out;
  };
  const keys = byVersion(findObjects(lib, session, [{ type: pkcs11js.CKA_CLASS, value: keyClass }, { type: pkcs11js.CKA_ID, value: keyId(name) }]));
  const pubs =
    meta.usage === 'sign'
      ? byVersion(findObjects(lib, session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY }, { type: pkcs11js.CKA_ID, value: keyId(name) }]))
      : new Map<number, Buffer>();
  for (const [v, key] of keys) versions.set(v, { key, pub: pubs.get(v) ?? null });
  if (versions.size === 0) return null;
  const current = Math.max(...versions.keys());
  const flag = meta.usage === 'encrypt' ? pkcs11js.CKA_ENCRYPT : pkcs11js.CKA_SIGN;
  const raw = attr(lib, session, versions.get(current)!.key, flag);
  // pkcs11js returns attribute values as raw bytes: CK_BBOOL is one byte.
  const enabled = Buffer.isBuffer(raw) && raw.length > 0 && raw[0] !== 0;
  return { name, meta, metaHandle, versions, current, enabled };
}

/** Turns the token's own usage attributes of every version on or off (the key's enabled state). */
export function setEnabled(lib: pkcs11js.PKCS11, session: Buffer, entry: KeyEntry, enabled: boolean): void {
  for (const v of entry.versions.values()) {
    const template: pkcs11js.Template =
      entry.meta.usage === 'encrypt'
        ? [{ type: pkcs11js.CKA_ENCRYPT, value: enabled }, { type: pkcs11js.CKA_DECRYPT, value: enabled }]
        : [{ type: pkcs11js.CKA_SIGN, value: enabled }];
    lib.C_SetAttributeValue(session, v.key, template);
  }
  entry.enabled = enabled;
}

export function destroyKey(lib: pkcs11js.PKCS11, session: Buffer, entry: KeyEntry): void {
  for (const v of entry.versions.values()) {
    lib.C_DestroyObject(session, v.key);
    if (v.pub !== null) lib.C_DestroyObject(session, v.pub);
  }
  lib.C_DestroyObject(session, entry.metaHandle);
}

export function keyInfo(entry: KeyEntry): ProviderKeyInfo {
  return {
    keyRef: entry.name,
    name: entry.name,
    spec: entry.meta.spec,
    usage: entry.meta.usage,
    state: entry.enabled ? 'enabled' : 'disabled',
    currentVersion: entry.current,
    createdAt: entry.meta.createdAt,
    deletionDate: null,
    rotationPeriodDays: null,
  };
}

export function versionObjects(entry: KeyEntry, version: number | undefined, providerId: string): { version: number; objects: KeyVersionObjects } {
  const v = version ?? entry.current;
  const objects = entry.versions.get(v);
  if (!objects) throw new ProviderError('NotFound', `Key ${entry.name} has no version ${v} in the token.`, { providerId, providerCode: 'VERSION_NOT_FOUND' });
  return { version: v, objects };
}
