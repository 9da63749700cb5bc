// The emulator's in-memory keys and aliases, with the time-driven parts of the service: scheduled deletion takes
// effect at its deletion date, automatic rotation at its next rotation date (both evaluated on every request).
import crypto from 'node:crypto';
import { kmsErr } from './errors.ts';

export const KEY_SPECS = ['SYMMETRIC_DEFAULT', 'RSA_2048', 'ECC_NIST_P256'] as const;
export type KeySpec = (typeof KEY_SPECS)[number];
export type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion';

export interface EmuKey {
  seq: number;
  keyId: string;
  arn: string;
  spec: KeySpec;
  usage: 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY';
  description: string;
  state: KeyState;
  createdMs: number;
  deletionMs: number | null;
  pendingWindowDays: number | null;
  /** Symmetric backing keys, oldest first; the ciphertext names the index + 1. */
  backing: Buffer[];
  privateKey: crypto.KeyObject | null;
  publicKey: crypto.KeyObject | null;
  rotation: { enabled: boolean; periodDays: number; nextMs: number | null };
  rotations: Array<{ dateMs: number; type: 'AUTOMATIC' | 'ON_DEMAND' }>;
}

export interface AliasEntry {
  seq: number;
  name: string;
  keyId: string;
  createdMs: number;
  updatedMs: number;
}

const DAY_MS = 86_400_000;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function createKeyStore(region: string, accountId: string, now: () => number) {
  const keys = new Map<string, EmuKey>();
  const aliases = new Map<string, AliasEntry>();
  let seq = 0;
  const arnPrefix = `arn:aws:kms:${region}:${accountId}:`;

  /** Applies whatever the clock has made due: deletions, then automatic rotations. */
  function tick(): void {
    const t = now();
    for (const k of [...keys.values()]) {
      if (k.state === 'PendingDeletion' && k.deletionMs !== null && k.deletionMs <= t) {
        k.backing.forEach((b) => b.fill(0));
        keys.delete(k.keyId);
        for (const a of [...aliases.values()]) if (a.keyId === k.keyId) aliases.delete(a.name);
        continue;
      }
      while (k.rotation.enabled && k.rotation.nextMs !== null && k.rotation.nextMs <= t && k.state === 'Enabled') {
        k.backing.push(crypto.randomBytes(32));
        k.rotations.push({ dateMs: k.rotation.nextMs, type: 'AUTOMATIC' });
        k.rotation.nextMs += k.rotation.periodDays * DAY_MS;
      }
    }
  }

  function create(spec: KeySpec, usage: EmuKey['usage'], description: string): EmuKey {
    const keyId = crypto.randomUUID();
    let privateKey: crypto.KeyObject | null = null;
    let publicKey: crypto.KeyObject | null = null;
    if (spec === 'RSA_2048') ({ privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }));
    if (spec === 'ECC_NIST_P256') ({ privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }));
    const key: EmuKey = {
      seq: ++seq,
      keyId,
      arn: `${arnPrefix}key/${keyId}`,
      spec,
      usage,
      description,
      state: 'Enabled',
      createdMs: now(),
      deletionMs: null,
      pendingWindowDays: null,
      backing: spec === 'SYMMETRIC_DEFAULT' ? [crypto.randomBytes(32)] : [],
      privateKey,
      publicKey,
      rotation: { enabled: false, periodDays: 365, nextMs: null },
      rotations: [],
    };
    keys.set(keyId, key);
    return key;
  }

  /**
   * Finds a key by id, key ARN and, where the operation allows it, alias name or alias ARN.
   * Unknown or foreign references are NotFoundException, as in the service.
   */
  function resolve(ref: string, allowAlias: boolean): EmuKey {
    let id = ref;
    if (ref.startsWith('arn:')) {
      if (!/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/.+$/.test(ref)) throw kmsErr.invalidArn(`Invalid arn ${ref}`);
      if (!ref.startsWith(arnPrefix)) throw kmsErr.notFound(`Key '${ref}' does not exist`);
      id = ref.slice(arnPrefix.length);
      if (id.startsWith('key/')) id = id.slice(4);
    }
    if (id.startsWith('alias/')) {
      if (!allowAlias) throw kmsErr.notFound(`Invalid keyId ${ref}: this operation takes a key id or key ARN`);
      const a = aliases.get(id);
      if (!a) throw kmsErr.notFound(`Alias ${arnPrefix}${id} is not found.`);
      id = a.keyId;
    }
    if (!UUID_RE.test(id)) throw kmsErr.notFound(`Invalid keyId ${ref}`);
    const k = keys.get(id);
    if (!k) throw kmsErr.notFound(`Key '${arnPrefix}key/${id}' does not exist`);
    return k;
  }

  return {
    keys,
    aliases,
    arnPrefix,
    tick,
    create,
    resolve,
    nextSeq: () => ++seq,
  };
}

export type KeyStore = ReturnType<typeof createKeyStore>;

/** Crypto operations: Disabled -> DisabledException, PendingDeletion -> KMSInvalidStateException. */
/**
 * The KeyMaterialId of backing version `version` (1 = the key's first material): 64 hex characters, stable for the
 * key's life, as the service reports in KeyMetadata.CurrentKeyMaterialId, Decrypt, GenerateDataKey and rotations.
 */
export function keyMaterialId(k: EmuKey, version: number): string {
  return crypto.createHash('sha256').update(`${k.arn}#key-material-${version}`).digest('hex');
}

export function requireUsable(k: EmuKey): void {
  if (k.state === 'Disabled') throw kmsErr.disabled(`${k.arn} is disabled.`);
  if (k.state === 'PendingDeletion') throw kmsErr.invalidState(`${k.arn} is pending deletion.`);
}

export function requireNotPendingDeletion(k: EmuKey): void {
  if (k.state === 'PendingDeletion') throw kmsErr.invalidState(`${k.arn} is pending deletion.`);
}

/** Markers are opaque to clients: base64 of "<kind>:<sequence number>"; anything else is InvalidMarkerException. */
export function encodeMarker(kind: string, seq: number): string {
  return Buffer.from(`${kind}:${seq}`).toString('base64');
}

export function decodeMarker(kind: string, marker: string | undefined): number {
  if (marker === undefined) return 0;
  const m = new RegExp(`^${kind}:(\\d{1,9})$`).exec(Buffer.from(marker, 'base64').toString('utf8'));
  if (!m || Buffer.from(`${kind}:${m[1]}`).toString('base64') !== marker) throw kmsErr.invalidMarker('Invalid marker.');
  return Number(m[1]);
}

export function paginate<T extends { seq: number }>(items: Iterable<T>, kind: string, marker: string | undefined, limit: number) {
  const after = decodeMarker(kind, marker);
  const sorted = [...items].filter((i) => i.seq > after).sort((a, b) => a.seq - b.seq);
  const page = sorted.slice(0, limit);
  const truncated = sorted.length > limit;
  return { page, truncated, nextMarker: truncated ? encodeMarker(kind, page[page.length - 1]!.seq) : undefined };
}
