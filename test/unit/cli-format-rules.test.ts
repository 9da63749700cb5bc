// The CLI's human output (electron/ipc/cli/format.ts) called directly: what an operator reads before acting on a key
// (docs/cli.md: `keys state` prints each copy it could not reach as `not reached: PROVIDER (ROLE) ACTION: [code]
// message`; key-usage lists who still holds a key; key-assignments says where a robot's key comes from and when an
// assignment is broken). Each expected text is written out by hand below, line by line; none comes from the formatter.
import { describe, expect, it } from 'vitest';
import {
  formatBatch,
  formatRolloutPolicy,
  formatDrift,
  formatKey,
  formatKeyTable,
  formatKeyUsage,
  formatRobotAssignments,
  formatRotationJobs,
  formatRotationRuns,
  formatRotationStatus,
  formatScopeChange,
  formatSiteAssignments,
  formatStateChange,
  formatTable,
} from '../../electron/ipc/cli/format.ts';
import type { KeyStateChange, KeySummary, KeyUnreachedLocation } from '../../shared/contract.ts';
import type { EffectiveKey, KeyAssignment, KeyHolder, KeyUsage, RobotKeyAssignments } from '../../shared/fleetContract.ts';

const T = '2026-01-02T03:04:05.000Z';
const ID = '6adc3764-d2ca-4ea0-b97f-147b1c0fee40';
const ID2 = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';

function key(over: Partial<KeySummary> = {}): KeySummary {
  return {
    id: ID, label: 'Backup disk', type: 'storage', algorithm: 'AES_256', state: 'active', provider: 'local', kmsBacked: false,
    backupProvider: null, currentVersion: 3, createdAt: T, updatedAt: T, rotationSeconds: null, nextRotationAt: null, ...over,
  };
}

function unreached(over: Partial<KeyUnreachedLocation> = {}): KeyUnreachedLocation {
  return { role: 'primary', provider: 'aws-prod', action: 'disable', state: 'suspended', code: 'provider_unavailable', message: 'timed out', attemptedAt: T, ...over };
}

function assignment(over: Partial<KeyAssignment> = {}): KeyAssignment {
  return {
    scope: 'site', scopeId: 'north', keyType: 'storage', keyId: ID, keyLabel: 'Backup disk', keyState: 'active', version: 3,
    assignedAt: T, assignedBy: 'alice', problem: null, ...over,
  };
}

describe('tables', () => {
  it('columns two spaces apart, as wide as their widest cell, no trailing blanks', () => {
    expect(formatTable([['A', 'BB', 'C'], ['xxx', 'y', ''], ['z', 'wwww', 'v']])).toBe(['A    BB    C', 'xxx  y', 'z    wwww  v'].join('\n'));
    expect(formatTable([['ONE']])).toBe('ONE');
  });

  it('keys list: a header and one row per key; "-" when no rotation is planned; "no keys" for none', () => {
    expect(formatKeyTable([])).toBe('no keys');
    const text = formatKeyTable([key(), key({ id: 'k2', label: 'Radio', type: 'communication', algorithm: 'EC_P256', state: 'suspended', currentVersion: 12, nextRotationAt: T })]);
    expect(text.split('\n')).toEqual([
      `ID${' '.repeat(34)}  LABEL        TYPE           ALGORITHM  STATE      VERSION  NEXT ROTATION`,
      `${ID}  Backup disk  storage        AES_256    active     v3       -`,
      `k2${' '.repeat(34)}  Radio        communication  EC_P256    suspended  v12      ${T}`,
    ]);
  });

  it('one key: id, label in quotes, type, algorithm, state, version', () => {
    expect(formatKey(key())).toBe(`${ID} "Backup disk" (storage, AES_256, active, v3)`);
  });
});

describe('keys state (docs/cli.md: not reached: PROVIDER (ROLE) ACTION: [code] message)', () => {
  const change = (over: Partial<KeyStateChange>): KeyStateChange => ({ ...key({ state: 'suspended' }), complete: true, locations: [], unreached: [], ...over });

  it('complete: one line', () => {
    expect(formatStateChange(change({}))).toBe(`state changed: ${ID} "Backup disk" (storage, AES_256, suspended, v3)`);
  });

  it('one copy not reached: its line, and the retry hint for one location', () => {
    expect(formatStateChange(change({ complete: false, unreached: [unreached()] })).split('\n')).toEqual([
      `state changed: ${ID} "Backup disk" (storage, AES_256, suspended, v3)`,
      'not reached: aws-prod (primary) disable: [provider_unavailable] timed out',
      'incomplete: run the same command again to retry the location above',
    ]);
  });

  it('two copies not reached: both lines, the hint for locations', () => {
    const lines = formatStateChange(change({
      complete: false,
      unreached: [unreached(), unreached({ role: 'backup', provider: 'vault-dr', action: 'enable', code: 'key_not_found', message: 'gone' })],
    })).split('\n');
    expect(lines.slice(1)).toEqual([
      'not reached: aws-prod (primary) disable: [provider_unavailable] timed out',
      'not reached: vault-dr (backup) enable: [key_not_found] gone',
      'incomplete: run the same command again to retry the locations above',
    ]);
  });
});

describe('key-assignments of a robot', () => {
  const eff = (over: Partial<EffectiveKey>): EffectiveKey => ({
    keyType: 'storage', keyId: ID, keyLabel: 'Backup disk', version: 3, source: 'site', error: null, errorCode: null, ...over,
  });
  const robot = (effective: EffectiveKey[]): RobotKeyAssignments => ({ deviceId: 'R-7', site: 'north', effective, robotAssignments: [], siteAssignments: [] });

  // [effective key, the line(s) it gives]
  const ROWS: Array<[Partial<EffectiveKey>, string[]]> = [
    [{ source: 'site' }, [`storage: "Backup disk" (${ID}) v3; source: assigned to site north`]],
    [{ source: 'robot', keyType: 'communication' }, [`communication: "Backup disk" (${ID}) v3; source: assigned to robot R-7`]],
    [{ source: 'newest', keyLabel: null, version: null }, [`storage: (${ID}); source: newest unassigned key`]],
    [{ source: 'none', keyId: null, keyLabel: null, version: null }, ['storage: no key; source: none']],
    [
      { source: 'site', error: 'the key is suspended', errorCode: 'key_state_invalid' },
      [`storage: "Backup disk" (${ID}) v3; source: assigned to site north (broken assignment)`, '  error [key_state_invalid]: the key is suspended'],
    ],
    [
      { source: 'robot', error: 'the key was destroyed', errorCode: null },
      [`storage: "Backup disk" (${ID}) v3; source: assigned to robot R-7 (broken assignment)`, '  error [unknown]: the key was destroyed'],
    ],
    [
      { source: 'none', keyId: null, keyLabel: null, version: null, error: 'no storage key exists', errorCode: 'key_not_found' },
      ['storage: no key; source: none', '  error [key_not_found]: no storage key exists'],
    ],
    [
      { source: 'newest', error: 'no usable key', errorCode: 'key_not_found' },
      [`storage: "Backup disk" (${ID}) v3; source: newest unassigned key`, '  error [key_not_found]: no usable key'],
    ],
  ];
  it.each(ROWS)('%j', (over, lines) => {
    expect(formatRobotAssignments(robot([eff(over)])).split('\n')).toEqual(['robot R-7 (site north)', ...lines]);
  });
});

describe('key-assignments of a site, assign-key and unassign-key', () => {
  it('one line per assignable type, "not assigned" for a type without a row, a problem under its row', () => {
    expect(formatSiteAssignments({ site: 'north', robots: 1, assignments: [] }).split('\n')).toEqual([
      'site north: 1 robot', 'communication: not assigned', 'storage: not assigned',
    ]);
    expect(formatSiteAssignments({
      site: 'north', robots: 12,
      assignments: [assignment({ problem: 'the key is suspended', keyState: 'suspended' }), assignment({ keyType: 'communication', keyLabel: null, keyState: null, version: null, keyId: ID2 })],
    }).split('\n')).toEqual([
      'site north: 12 robots',
      `communication: (${ID2}); assigned ${T} by alice`,
      `storage: "Backup disk" (${ID}) v3, suspended; assigned ${T} by alice`,
      '  problem: the key is suspended',
    ]);
    expect(formatSiteAssignments({ site: 's', robots: 0, assignments: [] }).split('\n')[0]).toBe('site s: 0 robots');
  });

  it('assign-key names the key it assigned, then the scope as it is now', () => {
    const text = formatScopeChange('assign', 'storage', { scope: 'robot', scopeId: 'R-7', assignments: [assignment({ scope: 'robot', scopeId: 'R-7' })] });
    expect(text.split('\n')).toEqual([
      `assigned the storage key "Backup disk" (${ID}) v3 to robot R-7`,
      'robot R-7 assignments:',
      `  storage: "Backup disk" (${ID}) v3, active; assigned ${T} by alice`,
    ]);
  });

  it('unassign-key says what it cleared; a scope left without rows says so', () => {
    expect(formatScopeChange('unassign', 'storage', { scope: 'site', scopeId: 'north', assignments: [] })).toBe(
      'cleared the storage key assignment of site north\nsite north has no key assignments',
    );
    const other = assignment({ keyType: 'communication', problem: 'disabled' });
    expect(formatScopeChange('unassign', 'storage', { scope: 'site', scopeId: 'north', assignments: [other] }).split('\n')).toEqual([
      'cleared the storage key assignment of site north',
      'site north assignments:',
      `  communication: "Backup disk" (${ID}) v3, active; assigned ${T} by alice`,
      '    problem: disabled',
    ]);
  });

  it('assign-key whose row is missing from the answer does not claim a key', () => {
    const other = assignment({ keyType: 'communication' });
    expect(formatScopeChange('assign', 'storage', { scope: 'site', scopeId: 'north', assignments: [other] }).split('\n')[0]).toBe(
      'cleared the storage key assignment of site north',
    );
  });

  it('unassign-key says it cleared, even when the answer still lists a row of that type (the action decides, not the rows)', () => {
    const still = assignment({ keyType: 'storage' });
    expect(formatScopeChange('unassign', 'storage', { scope: 'site', scopeId: 'north', assignments: [still] }).split('\n')[0]).toBe(
      'cleared the storage key assignment of site north',
    );
  });
});

describe('key-usage', () => {
  const holder = (deviceId: string, version: number, status: KeyHolder['status'] = 'deployed'): KeyHolder => ({
    deviceId, name: deviceId, site: 'north', status, version, recordedAt: T, source: 'provisioning',
  });
  const usage = (over: Partial<KeyUsage>): KeyUsage => ({
    keyId: ID, currentVersion: 2, versions: [], robots: 0, matching: 0, offset: 0, holders: [], assignments: [], ...over,
  });

  it('nobody holds it and it is assigned nowhere', () => {
    expect(formatKeyUsage(usage({}), [], undefined).split('\n')).toEqual([
      '0 robots hold this key; current version v2',
      'assigned to no robot or site',
    ]);
  });

  it('one holder: singular, the count per version, the table', () => {
    const h = [holder('R-1', 1)];
    expect(formatKeyUsage(usage({ robots: 1, matching: 1, versions: [{ version: 1, robots: 1 }] }), h, undefined).split('\n')).toEqual([
      '1 robot holds this key (v1: 1); current version v2',
      'DEVICE ID  VERSION  SITE   STATUS',
      'R-1        v1       north  deployed',
      'assigned to no robot or site',
    ]);
  });

  it('a version filter, a page shorter than the matches, and the assignments with their scope', () => {
    const h = [holder('R-1', 2), holder('R-22', 2, 'quarantined')];
    const u = usage({
      robots: 9, matching: 5, offset: 0, versions: [{ version: 1, robots: 4 }, { version: 2, robots: 5 }],
      assignments: [assignment({ problem: 'x' })],
    });
    expect(formatKeyUsage(u, h, 2).split('\n')).toEqual([
      '9 robots hold this key (v1: 4, v2: 5); current version v2',
      '5 robots hold v2',
      'DEVICE ID  VERSION  SITE   STATUS',
      'R-1        v2       north  deployed',
      'R-22       v2       north  quarantined',
      '... and 3 more holders (--all lists every one)',
      'assignments:',
      `  site north: storage: "Backup disk" (${ID}) v3, active; assigned ${T} by alice`,
      '    problem: x',
    ]);
  });

  it('one more holder is singular; a later page counts from its offset; one match of the filter is singular', () => {
    const u = usage({ robots: 3, matching: 3, offset: 1, versions: [{ version: 1, robots: 3 }] });
    expect(formatKeyUsage(u, [holder('R-2', 1)], undefined).split('\n')).toContain('... and 1 more holder (--all lists every one)');
    expect(formatKeyUsage(usage({ robots: 1, matching: 1 }), [], 1).split('\n')[1]).toBe('1 robot holds v1');
    const last = usage({ robots: 3, matching: 3, offset: 2, versions: [{ version: 1, robots: 3 }] });
    expect(formatKeyUsage(last, [holder('R-3', 1)], undefined)).not.toContain('more holder');
  });
});

describe('rotation', () => {
  it('status: the scheduler line and one line per planned rotation', () => {
    expect(formatRotationStatus({ paused: false, locked: false, waiting: 0, deferredByWindow: 0, nextDueAt: null, running: 0, upcoming: [] })).toBe(
      'scheduler running: 0 rotation(s) waiting (0 for a window), next due none',
    );
    expect(formatRotationStatus({
      paused: true, locked: true, waiting: 2, deferredByWindow: 1, nextDueAt: T, running: 0,
      upcoming: [
        { keyId: 'k1', keyType: 'storage', fromVersion: 3, reason: 'schedule', dueAt: T, waitingFor: 'window' },
        { keyId: 'k2', keyType: 'communication', fromVersion: 1, reason: 'policy', dueAt: T, waitingFor: null },
      ],
    }).split('\n')).toEqual([
      `scheduler paused (store locked): 2 rotation(s) waiting (1 for a window), next due ${T}`,
      `  ${T}  k1  storage v3  schedule  waiting: window`,
      `  ${T}  k2  communication v1  policy`,
    ]);
  });

  it('run-due: nothing to run, a success with its lateness in seconds, a failure with or without a code', () => {
    expect(formatRotationRuns({ ran: [], status: { waiting: 4 } })).toBe('nothing due to run now (4 waiting)');
    expect(formatRotationRuns({
      ran: [
        { keyId: 'k1', fromVersion: 1, toVersion: 2, outcome: 'success', code: null, lateMs: 2600 },
        { keyId: 'k2', fromVersion: 5, toVersion: null, outcome: 'failed', code: 'provider_unavailable', lateMs: 0 },
        { keyId: 'k3', fromVersion: 2, toVersion: null, outcome: 'skipped', code: null, lateMs: 0 },
      ],
      status: { waiting: 0 },
    }).split('\n')).toEqual(['rotated k1 v1 -> v2 (late by 3 s)', 'failed k2 v5 [provider_unavailable]', 'skipped k3 v2']);
  });

  it('jobs: one line per job, the new version, lateness and error only when known', () => {
    expect(formatRotationJobs([])).toBe('no rotation jobs');
    expect(formatRotationJobs([
      { keyId: 'k1', fromVersion: 1, toVersion: 2, reason: 'schedule', state: 'done', dueAt: T, lateMs: 1499, errorCode: null },
      { keyId: 'k2', fromVersion: 4, toVersion: null, reason: 'manual', state: 'failed', dueAt: null, lateMs: null, errorCode: 'internal' },
    ]).split('\n')).toEqual([`${T}  k1  v1 -> v2  schedule  done  late 1 s`, 'null  k2  v4  manual  failed  [internal]']);
  });

  it('batch: the summary line, then only the keys that did not simply rotate', () => {
    const b = {
      batchId: 'B1', state: 'finished', total: 4, done: 1, failed: 1, superseded: 1, cancelled: 1, pending: 0,
      selection: { kind: 'site', value: 'north' }, createdAt: T,
      items: [
        { keyId: 'k1', fromVersion: 1, toVersion: 2, state: 'done', attempts: 1, errorCode: null, errorMessage: null },
        { keyId: 'k2', fromVersion: 3, toVersion: null, state: 'failed', attempts: 4, errorCode: 'provider_unavailable', errorMessage: 'timed out' },
        { keyId: 'k3', fromVersion: 2, toVersion: 3, state: 'superseded', attempts: 0, errorCode: null, errorMessage: null },
        { keyId: 'k4', fromVersion: 1, toVersion: null, state: 'cancelled', attempts: 0, errorCode: 'cancelled', errorMessage: null },
      ],
    };
    expect(formatBatch(b).split('\n')).toEqual([
      `B1  ${T}  site north  finished  1/4 done, 1 failed, 1 superseded, 1 cancelled, 0 pending`,
      '  k2  v3  failed  attempts 4  [provider_unavailable] timed out',
      '  k3  v2 -> v3  superseded  attempts 0',
      '  k4  v1  cancelled  attempts 0  [cancelled] ',
    ]);
    expect(formatBatch({ ...b, selection: { kind: 'keys', value: null }, items: undefined })).toBe(
      `B1  ${T}  keys  finished  1/4 done, 1 failed, 1 superseded, 1 cancelled, 0 pending`,
    );
  });

  it('drift: the count line, each adopted version (UNEXPECTED when not asked for), each key not checked', () => {
    expect(formatDrift({ checked: 3, drift: [], errors: [] })).toBe('3 provider key(s) checked: 0 version(s) made outside the console');
    expect(formatDrift({
      checked: 2,
      drift: [
        { keyId: 'k1', provider: 'aws-prod', providerVersion: 4, providerVersionId: 'v-abc', origin: 'automatic', adoptedAs: 5, expected: true },
        { keyId: 'k2', provider: 'gcp', providerVersion: 2, providerVersionId: 'cv2', origin: null, adoptedAs: 3, expected: false },
      ],
      errors: [{ keyId: 'k3', code: 'provider_unavailable', message: 'ECONNREFUSED' }],
    }).split('\n')).toEqual([
      '2 provider key(s) checked: 2 version(s) made outside the console, 1 key(s) not checked',
      '  k1  aws-prod version 4 (v-abc, automatic) adopted as v5',
      '  k2  gcp version 2 (cv2) adopted as v3  UNEXPECTED',
      '  k3  not checked [provider_unavailable] ECONNREFUSED',
    ]);
  });
});

describe('rotation rollout policy (one line: where it comes from, then its fields)', () => {
  const BUILT_IN = { canaryRobots: [], canaryPercent: 10, canarySites: [], maxFailureRatio: 0.2, graceVersions: 1, graceSeconds: 604800 };
  const table: Array<[Parameters<typeof formatRolloutPolicy>[0], string | undefined, string]> = [
    [{ policy: BUILT_IN, source: 'builtin' }, undefined, 'rollout policy (the built-in default): canary 10 % of every site, canary robots none, halt above 0.2 failed, grace 1 version(s) for 604800 s'],
    [{ policy: { ...BUILT_IN, canaryPercent: 100 }, source: 'default' }, undefined, 'rollout policy (the default): canary 100 % of every site, canary robots none, halt above 0.2 failed, grace 1 version(s) for 604800 s'],
    [
      { policy: { canaryRobots: ['uv-1', 'uv-2'], canaryPercent: 5, canarySites: ['Lyon', 'Turin'], maxFailureRatio: 0, graceVersions: 2, graceSeconds: 60 }, source: 'key' },
      'K1',
      "rollout policy (key K1's own): canary 5 % of Lyon,Turin, canary robots uv-1,uv-2, halt above 0 failed, grace 2 version(s) for 60 s",
    ],
  ];
  it.each(table)('%j', (v, keyId, line) => {
    expect(formatRolloutPolicy(v, keyId)).toBe(line);
  });
});
