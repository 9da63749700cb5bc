// Rotation and rotation policies: ISO 8601 durations (P90D, P3M, PT48H, P1Y10D), the service minimums (expiryTime
// at least 28 days, a rotation at least 7 days after creation and 7 days before expiry), at most one Rotate and one
// Notify action, and the policy's expiryTime applied as exp of every version a rotation makes.
import { KvError } from './kvErrors.ts';
import { newVersion, nowSeconds, sameKind, type KeyVersion, type RotationPolicy, type VaultKey } from './vaultStore.ts';

const DAY = 86_400;
const DURATION_RE = /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/** An ISO 8601 duration in seconds (a year counted as 365 days, a month as 30). */
export function durationSeconds(value: unknown, field: string): number {
  const m = typeof value === 'string' ? DURATION_RE.exec(value) : null;
  if (!m) throw new KvError(400, 'BadParameter', `${field} must be an ISO 8601 duration such as P30D, P3M or PT48H.`);
  const [y, mo, w, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number, number];
  return (y * 365 + mo * 30 + w * 7 + d) * DAY + h * 3600 + mi * 60 + s;
}

export function policyBody(base: string, key: VaultKey): Record<string, unknown> {
  const p = key.rotationPolicy;
  return {
    id: `${base}/keys/${key.name}/rotationpolicy`,
    // A key without a policy has the service's default: notify 30 days before expiry.
    lifetimeActions: p?.lifetimeActions ?? [{ trigger: { timeBeforeExpiry: 'P30D' }, action: { type: 'Notify' } }],
    ...(p ? { attributes: p.attributes } : {}),
  };
}

export function setPolicy(now: () => number, key: VaultKey, body: Record<string, unknown>): void {
  const actions = body.lifetimeActions ?? [];
  if (!Array.isArray(actions)) throw new KvError(400, 'BadParameter', 'lifetimeActions must be a list.');
  const attrs = body.attributes ?? {};
  if (attrs === null || typeof attrs !== 'object' || Array.isArray(attrs)) throw new KvError(400, 'BadParameter', 'attributes must be an object.');
  const expiryTime = (attrs as Record<string, unknown>).expiryTime;
  const expiry = expiryTime === undefined || expiryTime === null ? null : durationSeconds(expiryTime, 'expiryTime');
  if (expiry !== null && expiry < 28 * DAY) throw new KvError(400, 'BadParameter', 'The expiryTime of a rotation policy must be at least 28 days (P28D).');
  const seen = new Set<string>();
  const kept: RotationPolicy['lifetimeActions'] = [];
  for (const a of actions as unknown[]) {
    if (a === null || typeof a !== 'object') throw new KvError(400, 'BadParameter', 'A lifetime action must be an object.');
    const { action, trigger } = a as { action?: { type?: unknown }; trigger?: { timeAfterCreate?: unknown; timeBeforeExpiry?: unknown } };
    const type = typeof action?.type === 'string' ? action.type.toLowerCase() : '';
    if (type !== 'rotate' && type !== 'notify') throw new KvError(400, 'BadParameter', 'action.type must be Rotate or Notify.');
    if (seen.has(type)) throw new KvError(400, 'BadParameter', 'A policy has at most one Rotate and one Notify action.');
    seen.add(type);
    const after = trigger?.timeAfterCreate;
    const before = trigger?.timeBeforeExpiry;
    if ((after === undefined) === (before === undefined)) throw new KvError(400, 'BadParameter', 'A lifetime action needs exactly one of timeAfterCreate and timeBeforeExpiry.');
    if (after !== undefined) {
      if (type === 'notify') throw new KvError(400, 'BadParameter', 'timeAfterCreate applies to Rotate only.');
      const t = durationSeconds(after, 'timeAfterCreate');
      if (t < 7 * DAY) throw new KvError(400, 'BadParameter', 'timeAfterCreate must be at least 7 days (P7D).');
      if (expiry !== null && t > expiry - 7 * DAY) throw new KvError(400, 'BadParameter', 'timeAfterCreate must be at least 7 days before expiryTime.');
      kept.push({ trigger: { timeAfterCreate: after as string }, action: { type: type === 'rotate' ? 'Rotate' : 'Notify' } });
    } else {
      const t = durationSeconds(before, 'timeBeforeExpiry');
      if (t < 7 * DAY || expiry === null || t > expiry - 7 * DAY)
        throw new KvError(400, 'BadParameter', 'timeBeforeExpiry needs an expiryTime and must lie between 7 days and expiryTime - 7 days.');
      kept.push({ trigger: { timeBeforeExpiry: before as string }, action: { type: type === 'rotate' ? 'Rotate' : 'Notify' } });
    }
  }
  const t = nowSeconds(now);
  key.rotationPolicy = {
    lifetimeActions: kept,
    attributes: { ...(expiry === null ? {} : { expiryTime: expiryTime as string }), created: key.rotationPolicy?.attributes.created ?? t, updated: t },
  };
}

/** A new version of the same kind, operations and tags; the policy's expiryTime becomes its exp. */
export function rotate(now: () => number, key: VaultKey, managedHsm: boolean): KeyVersion {
  const latest = key.versions[key.versions.length - 1]!;
  const t = nowSeconds(now);
  const expiryTime = key.rotationPolicy?.attributes.expiryTime;
  const exp = expiryTime === undefined ? null : t + durationSeconds(expiryTime, 'expiryTime');
  const v = newVersion(sameKind(latest, managedHsm), [...latest.keyOps], { ...latest.tags }, { enabled: true, exp }, t);
  key.versions.push(v);
  return v;
}
