// Wave planning and gating of rollouts (electron/services/rotation/rolloutPlan.ts; docs/rotation.md "Rollout to
// robots"). Every expectation comes from the tables below, written from the documented rules: the canary is the named
// robots plus ceil(percent x robots) of each (listed) site; a rollout halts when failed / robots of the opened waves
// goes ABOVE the threshold, opens the next wave once none of them is pending, finishes once every robot installed;
// a robot whose wave is closed (or whose rollout is halted) keeps its version while that can be delivered.
import { describe, expect, it } from 'vitest';
import { DEFAULT_ROLLOUT_POLICY, type RolloutPolicy } from '../../shared/rolloutContract.ts';
import { decide, dueVersion, type GateInput, graceOf, planWaves, type WaveRobot } from '../../electron/services/rotation/rolloutPlan.ts';

const fleet = (site: string, n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ deviceId: `${prefix}-${String(i).padStart(3, '0')}`, site }));
const ROBOTS = [...fleet('Plant 1', 20, 'p1'), ...fleet('Plant 2', 10, 'p2'), ...fleet('Depot', 3, 'dp')];
const policy = (p: Partial<RolloutPolicy>): RolloutPolicy => ({ ...DEFAULT_ROLLOUT_POLICY, ...p });

describe('planWaves: the canary set', () => {
  const table: Array<{ name: string; policy: Partial<RolloutPolicy>; canaryPerSite: Record<string, number>; named?: string[]; single?: boolean }> = [
    { name: '10 % of every site, rounded up', policy: { canaryPercent: 10 }, canaryPerSite: { 'Plant 1': 2, 'Plant 2': 1, Depot: 1 } },
    { name: '25 % of every site', policy: { canaryPercent: 25 }, canaryPerSite: { 'Plant 1': 5, 'Plant 2': 3, Depot: 1 } },
    { name: '10 % of Plant 2 only', policy: { canaryPercent: 10, canarySites: ['Plant 2'] }, canaryPerSite: { 'Plant 1': 0, 'Plant 2': 1, Depot: 0 } },
    { name: 'named robots only', policy: { canaryPercent: 0, canaryRobots: ['p1-007', 'dp-002', 'not-a-holder'] }, canaryPerSite: { 'Plant 1': 1, 'Plant 2': 0, Depot: 1 }, named: ['p1-007', 'dp-002'] },
    { name: 'named robots plus 10 % of Depot', policy: { canaryPercent: 10, canarySites: ['Depot'], canaryRobots: ['p2-004'] }, canaryPerSite: { 'Plant 1': 0, 'Plant 2': 1, Depot: 1 }, named: ['p2-004'] },
    { name: 'no canary: one wave', policy: { canaryPercent: 0 }, canaryPerSite: { 'Plant 1': 20, 'Plant 2': 10, Depot: 3 }, single: true },
    { name: 'everyone canary: one wave', policy: { canaryPercent: 100 }, canaryPerSite: { 'Plant 1': 20, 'Plant 2': 10, Depot: 3 }, single: true },
  ];
  for (const row of table) {
    it(row.name, () => {
      const plan = planWaves(ROBOTS, policy(row.policy), 'key-1@2');
      expect(plan).toHaveLength(ROBOTS.length);
      const perSite: Record<string, number> = {};
      for (const p of plan) perSite[p.site] = (perSite[p.site] ?? 0) + (p.wave === 1 ? 1 : 0);
      expect(perSite).toEqual(Object.fromEntries(Object.keys(row.canaryPerSite).map((s) => [s, row.canaryPerSite[s]])));
      expect(new Set(plan.map((p) => p.wave))).toEqual(new Set(row.single ? [1] : [1, 2]));
      for (const id of row.named ?? []) expect(plan.find((p) => p.deviceId === id)?.wave).toBe(1);
    });
  }

  it('is deterministic: the same seed picks the same canary whatever the order of the robots', () => {
    const a = planWaves(ROBOTS, policy({ canaryPercent: 10 }), 'key-1@2');
    const b = planWaves([...ROBOTS].reverse(), policy({ canaryPercent: 10 }), 'key-1@2');
    const canary = (p: typeof a) => p.filter((r) => r.wave === 1).map((r) => r.deviceId).sort();
    expect(canary(b)).toEqual(canary(a));
  });
});

describe('decide: the gate between waves', () => {
  const robots = (spec: string): WaveRobot[] =>
    // "1I 1F 2P" = a wave-1 robot installed, a wave-1 robot failed, a wave-2 robot pending; "9x1I" repeats.
    spec.split(' ').flatMap((t) => {
      const m = /^(?:(\d+)x)?(\d)([IFP])$/.exec(t)!;
      const state = ({ I: 'installed', F: 'failed', P: 'pending' } as const)[m[3] as 'I' | 'F' | 'P'];
      return Array.from({ length: Number(m[1] ?? 1) }, () => ({ wave: Number(m[2]), state }));
    });
  const table: Array<[openWave: number, waves: number, spec: string, maxFailureRatio: number, expected: string]> = [
    [1, 2, '1P 2P', 0.1, 'none'],
    [1, 2, '1I 1P 2P', 0.1, 'none'],
    [1, 2, '1I 2P', 0.1, 'open 2'],
    [1, 2, '1F 2P', 0.1, 'halt 1/1'],
    [1, 2, '1F 2P', 1, 'open 2'],
    [1, 2, '9x1I 1F 20x2P', 0.1, 'open 2'], // 10 % is not above 10 %
    [1, 2, '8x1I 2x1F 20x2P', 0.1, 'halt 2/10'],
    [1, 2, '8x1I 1x1F 1x1P 20x2P', 0.1, 'none'], // one pending canary still gates the rest
    [2, 2, '1I 2I 2P', 0.1, 'none'],
    [2, 2, '1I 3x2I', 0.1, 'done'],
    [2, 2, '10x1I 10x2I 1x2F', 0.1, 'none'], // within the threshold: waits for the failed robot to install
    [2, 2, '1I 2F', 0.1, 'halt 1/2'],
    [1, 1, '1I', 0, 'done'],
    [1, 1, '1F', 0, 'halt 1/1'],
  ];
  for (const [openWave, waves, spec, ratio, expected] of table) {
    it(`wave ${openWave}/${waves}, ${spec}, threshold ${ratio}: ${expected}`, () => {
      const d = decide(openWave, waves, robots(spec), ratio);
      const said = d.action === 'open' ? `open ${d.wave}` : d.action === 'halt' ? `halt ${d.failed}/${d.robots}` : d.action;
      expect(said).toBe(expected);
    });
  }
});

describe('dueVersion: which version a robot receives', () => {
  const running = { state: 'running' as const, openWave: 1, fromVersion: 4, toVersion: 5 };
  const all = () => true;
  const table: Array<{ name: string; g: Partial<GateInput>; expected: number }> = [
    { name: 'no rollout', g: { rollout: null }, expected: 5 },
    { name: 'the rollout is of an older version', g: { rollout: { ...running, fromVersion: 3, toVersion: 4 }, member: { wave: 2, state: 'pending' } }, expected: 5 },
    { name: 'not a member (was not a holder)', g: { member: null }, expected: 5 },
    { name: 'canary, wave open', g: { member: { wave: 1, state: 'pending' } }, expected: 5 },
    { name: 'rest, wave closed: keeps its version', g: { member: { wave: 2, state: 'pending' }, held: 3 }, expected: 3 },
    { name: 'rest, wave closed, holds nothing recorded: the previous version', g: { member: { wave: 2, state: 'pending' }, held: null }, expected: 4 },
    { name: 'rest, wave opened', g: { rollout: { ...running, openWave: 2 }, member: { wave: 2, state: 'pending' }, held: 4 }, expected: 5 },
    { name: 'halted, canary not installed', g: { rollout: { ...running, state: 'halted' }, member: { wave: 1, state: 'failed' }, held: 4 }, expected: 4 },
    { name: 'halted, canary installed', g: { rollout: { ...running, state: 'halted' }, member: { wave: 1, state: 'installed' }, held: 5 }, expected: 5 },
    { name: 'done', g: { rollout: { ...running, state: 'done' }, member: { wave: 2, state: 'pending' }, held: 4 }, expected: 5 },
    { name: 'superseded', g: { rollout: { ...running, state: 'superseded' }, member: { wave: 2, state: 'pending' }, held: 4 }, expected: 5 },
    { name: 'held version retired: the previous one', g: { member: { wave: 2, state: 'pending' }, held: 2, deliverable: (v) => v !== 2 }, expected: 4 },
    { name: 'nothing older deliverable: the current one', g: { member: { wave: 2, state: 'pending' }, held: 2, deliverable: () => false }, expected: 5 },
  ];
  for (const row of table) {
    it(row.name, () => {
      expect(dueVersion({ rollout: running, member: null, currentVersion: 5, held: 4, deliverable: all, ...row.g })).toBe(row.expected);
    });
  }
});

describe('graceOf: previous versions stay valid for graceVersions and graceSeconds', () => {
  const DAY = 86_400_000;
  const table: Array<[version: number, current: number, supersededDaysAgo: number | null, graceVersions: number, graceDays: number, expected: string]> = [
    [5, 5, null, 1, 7, 'current'],
    [4, 5, 1, 1, 7, 'in_grace'],
    [4, 5, 8, 1, 7, 'grace_ended'],
    [3, 5, 1, 1, 7, 'grace_ended'], // two versions back, only one stays valid
    [3, 5, 1, 2, 7, 'in_grace'],
    [4, 5, 0, 0, 7, 'grace_ended'],
    [4, 5, 7, 1, 7, 'grace_ended'], // exactly 7 days: ended
  ];
  for (const [version, current, ago, gv, gd, expected] of table) {
    it(`v${version} of v${current}, replaced ${ago} days ago, grace ${gv} versions / ${gd} days: ${expected}`, () => {
      const now = 1_000 * DAY;
      expect(graceOf(version, current, ago === null ? null : now - ago * DAY, now, { graceVersions: gv, graceSeconds: gd * 86_400 })).toBe(expected);
    });
  }
});
