// The human output of `rotation rollout list` and `rotation rollout versions` (formatRollout, formatVersionStatus in
// electron/ipc/cli/format.ts), every line written out here as the table of expected output (docs/cli.md names what
// each shows: rollouts per wave and site; a key's versions with their state, holders and retirement). These
// formatters were added after cli-format-rules.test.ts and no unit test reached them (113 mutants without coverage).
import { describe, expect, it } from 'vitest';
import { formatRollout, formatVersionStatus } from '../../electron/ipc/cli/format.ts';

const V = { version: 1, state: 'current', holders: 0, retiredAt: null, retiredBy: null, forced: false, reason: null, reinstatedUntil: null };
const VERSIONS: Array<[string, typeof V | Record<string, unknown>, string]> = [
  ['current, one robot', { ...V, version: 3, holders: 1 }, 'v3  current  1 robot holds it'],
  ['in grace, two robots', { ...V, state: 'in_grace', holders: 2 }, 'v1  in its grace  2 robots hold it'],
  ['grace ended, none', { ...V, state: 'grace_ended' }, 'v1  grace ended  0 robots hold it'],
  ['retired by alice', { ...V, state: 'retired', retiredAt: '2026-12-05T10:00:00.000Z', retiredBy: 'alice' }, 'v1  retired 2026-12-05T10:00:00.000Z by alice  0 robots hold it'],
  ['retired by nobody known, forced', { ...V, state: 'retired', retiredAt: '2026-12-05T10:00:00.000Z', forced: true, reason: 'stolen', holders: 1 },
    'v1  retired 2026-12-05T10:00:00.000Z by ? (forced: stolen)  1 robot holds it'],
  ['forced without a reason', { ...V, state: 'retired', retiredAt: 'T', retiredBy: 'bob', forced: true }, 'v1  retired T by bob (forced: )  0 robots hold it'],
  ['reinstated', { ...V, state: 'in_grace', reinstatedUntil: '2026-12-06T00:00:00.000Z', holders: 4 }, 'v1  in its grace, reinstated until 2026-12-06T00:00:00.000Z  4 robots hold it'],
  ['a state this table does not name', { ...V, state: 'odd' }, 'v1  odd  0 robots hold it'],
];

describe('rotation rollout versions: one line per version', () => {
  it.each(VERSIONS)('%s', (_name, v, line) => {
    expect(formatVersionStatus(v as typeof V)).toBe(line);
  });
});

const R = {
  rolloutId: 'r-1', keyId: 'k-1', fromVersion: 1, toVersion: 2, state: 'running', openWave: 1, waves: 2,
  robots: 10, installed: 3, failed: 1, pending: 6, haltReason: null as string | null,
  progress: [
    { wave: 1, site: 'Plant 1', robots: 2, installed: 2, failed: 0, pending: 0 },
    { wave: 2, site: 'Plant 1', robots: 8, installed: 1, failed: 1, pending: 6 },
  ],
};

describe('rotation rollout list: the rollout, then each wave and site', () => {
  it('two waves: the first is the canary', () => {
    expect(formatRollout(R).split('\n')).toEqual([
      'r-1  key k-1  v1 -> v2  running  wave 1/2 open  3/10 installed, 1 failed, 6 pending',
      '  wave 1 (canary)  Plant 1: 2/2 installed, 0 failed, 0 pending',
      '  wave 2  Plant 1: 1/8 installed, 1 failed, 6 pending',
    ]);
  });

  it('one wave has no canary; a halted rollout shows its reason', () => {
    const one = { ...R, state: 'halted', waves: 1, haltReason: 'too many failed', progress: [{ wave: 1, site: 'Plant 2', robots: 10, installed: 3, failed: 1, pending: 6 }] };
    expect(formatRollout(one).split('\n')).toEqual([
      'r-1  key k-1  v1 -> v2  halted  wave 1/1 open  3/10 installed, 1 failed, 6 pending  (too many failed)',
      '  wave 1  Plant 2: 3/10 installed, 1 failed, 6 pending',
    ]);
  });

  it('no wave yet: the head line alone', () => {
    expect(formatRollout({ ...R, progress: [] })).toBe('r-1  key k-1  v1 -> v2  running  wave 1/2 open  3/10 installed, 1 failed, 6 pending');
  });
});
