// Store objects -> the protobuf message shapes @grpc/proto-loader serialises (camelCase fields, enums by name).
import type { CryptoKey, KeyRing, Version } from './store.ts';

export type Msg = Record<string, unknown>;

export const timestamp = (ms: number) => ({ seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 });
export const duration = (s: number) => ({ seconds: String(s), nanos: 0 });

/** google.protobuf.Duration / Timestamp in, seconds out (longs arrive as strings). */
export function seconds(v: unknown): number | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as { seconds?: unknown; nanos?: unknown };
  const s = Number(o.seconds ?? 0);
  const n = Number(o.nanos ?? 0);
  return Number.isFinite(s) && Number.isFinite(n) ? s + n / 1e9 : null;
}

export function ringMsg(r: KeyRing): Msg {
  return { name: r.name, createTime: timestamp(r.createTime) };
}

export function versionMsg(v: Version): Msg {
  return {
    name: v.name,
    state: v.state,
    protectionLevel: v.protectionLevel,
    algorithm: v.algorithm,
    createTime: timestamp(v.createTime),
    ...(v.state === 'PENDING_GENERATION' ? {} : { generateTime: timestamp(v.generateAt) }),
    ...(v.destroyTime === null ? {} : { destroyTime: timestamp(v.destroyTime) }),
    ...(v.destroyEventTime === null ? {} : { destroyEventTime: timestamp(v.destroyEventTime) }),
  };
}

export function keyMsg(k: CryptoKey): Msg {
  const primary = k.primary === null ? null : k.versions[k.primary - 1]!;
  return {
    name: k.name,
    ...(primary ? { primary: versionMsg(primary) } : {}),
    purpose: k.purpose,
    createTime: timestamp(k.createTime),
    ...(k.nextRotationTime === null ? {} : { nextRotationTime: timestamp(k.nextRotationTime) }),
    ...(k.rotationPeriodS === null ? {} : { rotationPeriod: duration(k.rotationPeriodS) }),
    versionTemplate: { protectionLevel: k.protectionLevel, algorithm: k.algorithm },
    labels: { ...k.labels },
    importOnly: false,
    destroyScheduledDuration: duration(k.destroyScheduledS),
  };
}
