// emergencyCli.ts beyond cli-emergency-rules.test.ts: the playbook's scope from each scope option (docs/cli.md: SCOPE),
// the lockdown settings of emergency execute (the contract: "default: stop operating, for 7 days, the reason as
// message"), and the preview, run and execute texts the CLI prints, each written out line by line here.
import { describe, expect, it } from 'vitest';
import { executeFromOptions, formatExecute, formatPreview, formatRun, scopeFromOptions } from '../../electron/ipc/cli/emergencyCli.ts';
import type { EmergencyPreview, EmergencyRunView } from '../../shared/emergencyContract.ts';

const KEY = '0b7c3f0e-5d43-4c39-9a41-2a3f7e1d9c10';

describe('the playbook scope of each scope option', () => {
  const SCOPES: Array<[string, Record<string, string | boolean | string[]>, unknown]> = [
    ['one --robot', { robot: 'uv-1' }, { kind: 'robot', deviceId: 'uv-1' }],
    ['a repeated --robot', { robot: ['uv-1', 'uv-2'] }, { kind: 'robots', deviceIds: ['uv-1', 'uv-2'] }],
    ['a comma-separated --robot, spaces and empty items dropped', { robot: [' uv-1 , ,uv-2', 'uv-3,'] }, { kind: 'robots', deviceIds: ['uv-1', 'uv-2', 'uv-3'] }],
    ['a --robot list that leaves one', { robot: ['uv-1,', ' '] }, { kind: 'robot', deviceId: 'uv-1' }],
    ['a --robot as a plain string', { robot: 'uv-1,uv-2' }, { kind: 'robots', deviceIds: ['uv-1', 'uv-2'] }],
    ['--key', { key: KEY }, { kind: 'key', keyId: KEY }],
    ['--key ID:VERSION', { key: `${KEY}:12` }, { kind: 'key', keyId: KEY, version: 12 }],
    ['--site', { site: 'Plant 1' }, { kind: 'site', site: 'Plant 1' }],
    ['--model', { model: 'UV-7' }, { kind: 'model', model: 'UV-7' }],
    ['--firmware', { firmware: '2.1' }, { kind: 'firmware', firmware: '2.1' }],
    ['--tag', { tag: 'night' }, { kind: 'tag', tag: 'night' }],
    ['--serial', { serial: '7F:01' }, { kind: 'serial', serial: '7F:01' }],
    ['--fleet', { fleet: true }, { kind: 'fleet' }],
    ['a --robot of only commas falls through to the next option', { robot: ',', site: 'Plant 1' }, { kind: 'site', site: 'Plant 1' }],
  ];
  it.each(SCOPES)('%s', (_why, options, scope) => {
    expect(scopeFromOptions(options)).toEqual(scope);
    expect(executeFromOptions({ ...options, reason: 'r', quarantine: true }).scope).toEqual(scope);
  });
  it('a flag (boolean) given as --site counts as no site', () => {
    expect(scopeFromOptions({ site: true, fleet: true })).toEqual({ kind: 'fleet' });
  });
});

describe("emergency execute's input", () => {
  it('sends only what was given: no cert reason, CA, dry run, break-glass or lockdown settings by default', () => {
    expect(executeFromOptions({ fleet: true, reason: 'leak', lockdown: true })).toEqual({ scope: { kind: 'fleet' }, actions: ['lockdown'], reason: 'leak' });
  });
  it('passes --cert-reason, --dry-run and --break-glass', () => {
    const input = executeFromOptions({ site: 'A', reason: 'leak', 'revoke-certs': true, 'cert-reason': 'superseded', 'dry-run': true, 'break-glass': 'alone' });
    expect(input).toEqual({
      scope: { kind: 'site', site: 'A' },
      actions: ['revoke_certificates'],
      reason: 'leak',
      certificateReason: 'superseded',
      dryRun: true,
      breakGlass: { reason: 'alone' },
    });
  });
  it('no --reason gives an empty reason (the router refuses it)', () => {
    expect(executeFromOptions({ fleet: true }).reason).toBe('');
  });
  const LOCKDOWN: Array<[string, Record<string, string | boolean | string[]>, unknown]> = [
    ['--message alone: stop operating for 7 days', { message: 'Return to dock' }, { actions: ['stop_operating'], message: 'Return to dock', validForSeconds: 604800 }],
    ['--order-actions alone: the reason as message', { 'order-actions': ' stop_operating, ,lock_uv ' }, { actions: ['stop_operating', 'lock_uv'], message: 'leak', validForSeconds: 604800 }],
    ['--valid-for alone', { 'valid-for': '3600' }, { actions: ['stop_operating'], message: 'leak', validForSeconds: 3600 }],
    ['--mode alone', { mode: 'latched' }, { actions: ['stop_operating'], message: 'leak', validForSeconds: 604800, mode: 'latched' }],
    // --distrust-ca (repeatable): distrust_ca added to the actions, the CA ids as distrustCaIds (docs/cli.md).
    ['--distrust-ca alone', { 'distrust-ca': ['ca-a', 'ca-b'] }, { actions: ['stop_operating', 'distrust_ca'], distrustCaIds: ['ca-a', 'ca-b'], message: 'leak', validForSeconds: 604800 }],
    ['--distrust-ca with distrust_ca in --order-actions: once', { 'distrust-ca': ['ca-a'], 'order-actions': 'distrust_ca' }, { actions: ['distrust_ca'], distrustCaIds: ['ca-a'], message: 'leak', validForSeconds: 604800 }],
    // Comma-separated as well as repeated (docs/cli.md), read like --robot: spaces and empty items dropped, a plain string too.
    ['--distrust-ca comma-separated, spaces and empty items dropped', { 'distrust-ca': [' ca-a , ,ca-b', 'ca-c,'] }, { actions: ['stop_operating', 'distrust_ca'], distrustCaIds: ['ca-a', 'ca-b', 'ca-c'], message: 'leak', validForSeconds: 604800 }],
    ['--distrust-ca as a plain string', { 'distrust-ca': 'ca-a,ca-b' }, { actions: ['stop_operating', 'distrust_ca'], distrustCaIds: ['ca-a', 'ca-b'], message: 'leak', validForSeconds: 604800 }],
    ['--distrust-ca that names no CA (only commas and spaces): no distrust_ca, no CA ids', { 'distrust-ca': [' , ', ''] }, { actions: ['stop_operating'], message: 'leak', validForSeconds: 604800 }],
  ];
  it.each(LOCKDOWN)('lockdown settings: %s', (_why, extra, lockdown) => {
    expect(executeFromOptions({ fleet: true, reason: 'leak', lockdown: true, ...extra }).lockdown).toEqual(lockdown);
  });
});

const PREVIEW: EmergencyPreview = {
  scope: { kind: 'site', site: 'Plant 1' },
  approval: 'two_person',
  robots: {
    total: 3,
    byStatus: [{ status: 'active', count: 2 }, { status: 'quarantined', count: 1 }],
    sample: [{ deviceId: 'uv-1', name: 'One', site: 'Plant 1', model: 'UV-7', firmware: '2.1', status: 'active' }],
  },
  certificates: { total: 3, sample: [{ serial: '7F01', deviceId: 'uv-1', notAfter: '2027-01-01' }, { serial: '7F02', deviceId: 'uv-2', notAfter: '2027-01-01' }] },
  keys: [
    { keyId: 'K1', label: 'Comms', type: 'communication', state: 'active', versions: [{ version: 1, robotsInScope: 2 }, { version: 2, robotsInScope: 1 }], robotsInScope: 3, robotsOutside: 4, plan: 'rotate', providers: ['local', 'aws'] },
    { keyId: 'K2', label: null, type: null, state: null, versions: [], robotsInScope: 0, robotsOutside: 0, plan: 'none', providers: [] },
  ],
  reach: { now: ['uv-1', 'uv-2'], later: 1, how: ['at a station', 'by USB stick'] },
  providers: [
    { providerId: 'local', purposes: ['keys'], configured: true, reachable: true },
    { providerId: 'aws', purposes: ['keys', 'ca'], configured: true, reachable: false },
    { providerId: 'gcp', purposes: ['keys'], configured: false, reachable: false },
  ],
  outside: { sharedKeys: 1, holdingsOutside: 4, summary: '1 shared key held by 4 robots outside' },
  ca: { caId: 'CA1', subject: 'CN=Fleet CA', providerId: 'local', state: 'current', certificates: 9, robots: 8 },
};
const PREVIEW_TEXT = [
  'scope: {"kind":"site","site":"Plant 1"} (two-person approval; break-glass until then)',
  'robots: 3 (2 active, 1 quarantined)',
  '  uv-1  Plant 1  UV-7  2.1  active',
  'certificates: 3 (7F01, 7F02, ...)',
  'keys: 2',
  '  K1  communication  Comms  versions v1:2 v2:1  outside 4  -> rotate  [local, aws]',
  '  K2  ?    versions -  outside 0  -> none  []',
  'reach now (at a station): uv-1, uv-2; later: 1 (at a station; by USB stick)',
  'providers:',
  '  local: keys',
  '  aws: keys, ca (not reachable now)',
  '  gcp: keys (NOT CONFIGURED)',
  'outside the scope: 1 shared key held by 4 robots outside',
  'fleet CA (revoked by --revoke-ca whatever the scope): CA1 CN=Fleet CA (current): 9 certificate(s) not revoked, 8 robot(s)',
].join('\n');

describe('the preview as the CLI prints it', () => {
  it('every line of a full preview', () => {
    expect(formatPreview(PREVIEW)).toBe(PREVIEW_TEXT);
  });
  it('an empty preview: one officer, no robots, certificates, keys, reach or CA', () => {
    const empty: EmergencyPreview = {
      ...PREVIEW,
      scope: { kind: 'robot', deviceId: 'uv-9' },
      approval: 'one_officer',
      robots: { total: 0, byStatus: [], sample: [] },
      certificates: { total: 0, sample: [] },
      keys: [],
      reach: { now: [], later: 0, how: [] },
      providers: [],
      ca: null,
    };
    expect(formatPreview(empty)).toBe([
      'scope: {"kind":"robot","deviceId":"uv-9"} (one security officer)',
      'robots: 0 (none)',
      'certificates: 0',
      'keys: 0',
      'reach now (at a station): none; later: 0 ()',
      'providers:',
      'outside the scope: 1 shared key held by 4 robots outside',
      'fleet CA (revoked by --revoke-ca whatever the scope): none',
    ].join('\n'));
  });
  it('no "..." when every certificate is in the sample', () => {
    const all = { ...PREVIEW, certificates: { total: 2, sample: PREVIEW.certificates.sample } };
    expect(formatPreview(all).split('\n')[3]).toBe('certificates: 2 (7F01, 7F02)');
  });
});

const RUN: EmergencyRunView = {
  runId: 'R1', createdAt: '2026-12-05T10:00:00.000Z', updatedAt: '2026-12-05T10:00:01.000Z', actor: 'Ada',
  scope: { kind: 'fleet' }, actions: ['quarantine', 'lockdown'], reason: 'r', robots: 4, state: 'failed', breakGlassReason: null,
  review: 'not_needed', reviewedBy: null, reviewedAt: null, reviewNote: null, origin: 'playbook',
  steps: [
    {
      position: 0, action: 'quarantine', state: 'done', attempts: 1, errorCode: null, errorMessage: null, updatedAt: '',
      detail: { items: { a: { state: 'done' }, b: { state: 'done' }, c: { state: 'skipped' }, d: { state: 'pending' } } },
    },
    { position: 1, action: 'lockdown', state: 'failed', attempts: 2, errorCode: 'unavailable', errorMessage: 'provider down', updatedAt: '', detail: { items: { a: { state: 'failed' } } } },
    { position: 2, action: 'rotate_shared', state: 'pending', attempts: 0, errorCode: null, errorMessage: null, updatedAt: '', detail: {} },
  ],
};
const RUN_TEXT = [
  'run R1: failed (4 robot(s), by Ada)',
  '  1. quarantine: done (2 done, 0 failed, 1 skipped; attempt 1)',
  '  2. lockdown: failed (0 done, 1 failed, 0 skipped; attempt 2) - unavailable: provider down',
  '  3. rotate_shared: pending (0 done, 0 failed, 0 skipped; attempt 0)',
].join('\n');

describe('a run and an execute answer as the CLI prints them', () => {
  it('each step with its items counted by state and its error', () => {
    expect(formatRun(RUN)).toBe(RUN_TEXT);
  });
  it('a run: the run; a dry run or no run: the preview under DRY RUN', () => {
    expect(formatExecute({ dryRun: false, preview: PREVIEW, run: RUN, lockdownFile: null })).toBe(RUN_TEXT);
    const dry = `DRY RUN: nothing was changed (one audit record)\n${PREVIEW_TEXT}`;
    expect(formatExecute({ dryRun: true, preview: PREVIEW, run: null, lockdownFile: null })).toBe(dry);
    expect(formatExecute({ dryRun: true, preview: PREVIEW, run: RUN, lockdownFile: null })).toBe(dry);
    expect(formatExecute({ dryRun: false, preview: PREVIEW, run: null, lockdownFile: null })).toBe(dry);
  });
});
