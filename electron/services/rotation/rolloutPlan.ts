// The pure part of rollouts (docs/rotation.md "Rollout to robots"): which robots form the canary wave, whether a
// rollout opens its next wave, finishes or halts, which version a robot is due, and whether a previous version is
// still in its grace. No store, no clock: the service (rollout.ts) passes everything in.
import { createHash } from 'node:crypto';
import type { RolloutPolicy } from '../../../shared/rolloutContract.ts';

export interface PlannedRobot {
  deviceId: string;
  site: string;
  /** 1 = canary, 2 = the rest. */
  wave: number;
}

/** A fixed order per rollout: robots sorted by SHA-256(seed | device id), so the same fleet gives the same canary. */
const rank = (seed: string, deviceId: string) => createHash('sha256').update(`${seed}\u0000${deviceId}`).digest('hex');

/**
 * Splits the holders into waves: the canary (the policy's named robots that are holders, plus per site, in every site
 * or the listed ones, ceil(percent x robots of the site) robots chosen by rank), then the rest. With no canary, or
 * with every robot in it, there is one wave.
 */
export function planWaves(robots: ReadonlyArray<{ deviceId: string; site: string }>, policy: RolloutPolicy, seed: string): PlannedRobot[] {
  const canary = new Set(policy.canaryRobots.filter((id) => robots.some((r) => r.deviceId === id)));
  const bySite = new Map<string, string[]>();
  for (const r of robots) bySite.set(r.site, [...(bySite.get(r.site) ?? []), r.deviceId]);
  for (const [site, ids] of bySite) {
    if (policy.canarySites.length > 0 && !policy.canarySites.includes(site)) continue;
    const take = Math.ceil((ids.length * policy.canaryPercent) / 100);
    const ordered = [...ids].sort((a, b) => rank(seed, a).localeCompare(rank(seed, b)));
    for (const id of ordered.slice(0, take)) canary.add(id);
  }
  const single = canary.size === 0 || canary.size === robots.length;
  return robots.map((r) => ({ deviceId: r.deviceId, site: r.site, wave: single || canary.has(r.deviceId) ? 1 : 2 }));
}

export interface WaveRobot {
  wave: number;
  state: 'pending' | 'installed' | 'failed';
}

export type GateDecision =
  | { action: 'none' }
  | { action: 'open'; wave: number }
  | { action: 'done' }
  | { action: 'halt'; failed: number; robots: number; ratio: number };

/**
 * What a running rollout does next, from its robots of the opened waves: halt when the failed share of them passes
 * maxFailureRatio (strictly above); open the next wave once none of them is pending (every one installed, or failed
 * within the threshold); finish once every robot of every wave installed.
 */
export function decide(openWave: number, waves: number, robots: readonly WaveRobot[], maxFailureRatio: number): GateDecision {
  const opened = robots.filter((r) => r.wave <= openWave);
  const failed = opened.filter((r) => r.state === 'failed').length;
  if (opened.length > 0 && failed / opened.length > maxFailureRatio) {
    return { action: 'halt', failed, robots: opened.length, ratio: failed / opened.length };
  }
  if (opened.some((r) => r.state === 'pending')) return { action: 'none' };
  if (openWave < waves) return { action: 'open', wave: openWave + 1 };
  return robots.every((r) => r.state === 'installed') ? { action: 'done' } : { action: 'none' };
}

export interface GateInput {
  rollout: { state: 'running' | 'halted' | 'done' | 'superseded'; openWave: number; fromVersion: number; toVersion: number } | null;
  /** The robot's row in that rollout, or null when it was not part of it. */
  member: { wave: number; state: 'pending' | 'installed' | 'failed' } | null;
  currentVersion: number;
  /** The version of the key the robot holds now (registry), or null. */
  held: number | null;
  /** Whether a version can still be delivered (material in the store, not destroyed, not retired). */
  deliverable(version: number): boolean;
}

/**
 * The version of a key a robot receives at its next distribution. The current version, unless the key's current
 * version is being rolled out and the robot is in it, has not installed it, and its wave is not open (or the rollout is
 * halted): then the version it holds (or the rollout's previous one) while that can still be delivered.
 */
export function dueVersion(g: GateInput): number {
  const r = g.rollout;
  if (!r || r.toVersion !== g.currentVersion || !g.member || r.state === 'done' || r.state === 'superseded') return g.currentVersion;
  if (g.member.state === 'installed') return g.currentVersion;
  if (r.state === 'running' && g.member.wave <= r.openWave) return g.currentVersion;
  for (const v of [g.held, r.fromVersion]) {
    if (v !== null && v < g.currentVersion && g.deliverable(v)) return v;
  }
  return g.currentVersion;
}

export type GraceState = 'current' | 'in_grace' | 'grace_ended';

/**
 * Whether a version is the current one, in its grace (one of the newest `graceVersions` previous versions and less
 * than `graceSeconds` since the next version replaced it) or past it. `supersededAt` is the next version's creation.
 */
export function graceOf(version: number, currentVersion: number, supersededAt: number | null, now: number, policy: Pick<RolloutPolicy, 'graceVersions' | 'graceSeconds'>): GraceState {
  if (version >= currentVersion) return 'current';
  const withinCount = currentVersion - version <= policy.graceVersions;
  const withinTime = supersededAt !== null && now - supersededAt < policy.graceSeconds * 1000;
  return withinCount && withinTime ? 'in_grace' : 'grace_ended';
}
