// Repository of the key_bundles table (migration 6): one row per key bundle issued to a robot. The sequence number
// is reserved by inserting a row in state 'issuing' (MAX + 1 for the robot, in the caller's transaction) before the
// asynchronous CA signature, so two builds for one robot never share a sequence; a failed build burns its number.
// Rows hold ids, versions and states only: never key material.
import type { Db } from './database.ts';

export type BundleDelivery = 'file' | 'serial';
export type BundleState = 'issuing' | 'issued' | 'installed' | 'failed';
export interface BundleKeyVersion { keyId: string; version: number }

export interface KeyBundleRow {
  deviceId: string;
  sequence: number;
  bundleId: string | null;
  issuedAt: string;
  delivery: BundleDelivery;
  state: BundleState;
  keys: BundleKeyVersion[];
  errorCode: string | null;
}

export interface KeyBundlesRepo {
  /** Inserts the robot's next row (state 'issuing') and returns its sequence; run it inside a transaction. */
  reserve(deviceId: string, bundleId: string, issuedAt: string, delivery: BundleDelivery, keys: readonly BundleKeyVersion[]): number;
  /** Moves a row to a new state; returns false when the row does not exist or is not in one of `from`. */
  setState(deviceId: string, sequence: number, to: BundleState, from: readonly BundleState[], errorCode?: string): boolean;
  get(deviceId: string, sequence: number): KeyBundleRow | null;
  /** The robot's rows, newest (highest sequence) first. */
  listFor(deviceId: string): KeyBundleRow[];
}

interface RawBundle {
  device_id: string;
  sequence: number;
  bundle_id: string | null;
  issued_at: string;
  delivery: BundleDelivery;
  state: BundleState;
  key_versions: string;
  error_code: string | null;
}

/** "id@v,id@v" (the audit's notation); key ids are UUIDs, so neither separator occurs in them. */
export const formatKeyVersions = (keys: readonly BundleKeyVersion[]): string => keys.map((k) => `${k.keyId}@${k.version}`).join(',');

export function parseKeyVersions(text: string): BundleKeyVersion[] {
  if (text === '') return [];
  return text.split(',').flatMap((part) => {
    const at = part.lastIndexOf('@');
    const version = Number(part.slice(at + 1));
    return at > 0 && Number.isSafeInteger(version) && version >= 1 ? [{ keyId: part.slice(0, at), version }] : [];
  });
}

const toRow = (r: RawBundle): KeyBundleRow => ({
  deviceId: r.device_id,
  sequence: r.sequence,
  bundleId: r.bundle_id,
  issuedAt: r.issued_at,
  delivery: r.delivery,
  state: r.state,
  keys: parseKeyVersions(r.key_versions),
  errorCode: r.error_code,
});

export function createKeyBundlesRepo(db: Db): KeyBundlesRepo {
  const next = db.prepare('SELECT COALESCE(MAX(sequence), 0) + 1 AS n FROM key_bundles WHERE device_id = ?');
  const insert = db.prepare(
    "INSERT INTO key_bundles (device_id, sequence, bundle_id, issued_at, delivery, state, key_versions, error_code) VALUES (?, ?, ?, ?, ?, 'issuing', ?, NULL)",
  );
  const getOne = db.prepare('SELECT * FROM key_bundles WHERE device_id = ? AND sequence = ?');
  const list = db.prepare('SELECT * FROM key_bundles WHERE device_id = ? ORDER BY sequence DESC');

  return {
    reserve(deviceId, bundleId, issuedAt, delivery, keys) {
      const sequence = (next.get(deviceId) as { n: number }).n;
      insert.run(deviceId, sequence, bundleId, issuedAt, delivery, formatKeyVersions(keys));
      return sequence;
    },
    setState(deviceId, sequence, to, from, errorCode) {
      const marks = from.map(() => '?').join(', ');
      const r = db
        .prepare(`UPDATE key_bundles SET state = ?, error_code = COALESCE(?, error_code) WHERE device_id = ? AND sequence = ? AND state IN (${marks})`)
        .run(to, errorCode ?? null, deviceId, sequence, ...from);
      return r.changes === 1;
    },
    get(deviceId, sequence) {
      const r = getOne.get(deviceId, sequence) as RawBundle | undefined;
      return r ? toRow(r) : null;
    },
    listFor: (deviceId) => (list.all(deviceId) as RawBundle[]).map(toRow),
  };
}
