// emergency execute's options to the channel's input (electron/ipc/cli/emergencyCli.ts), against docs/cli.md and
// docs/emergency-response.md: each action flag names one playbook action (the contract's names, written out here),
// in the playbook's order whatever the order on the command line.
import { describe, expect, it } from 'vitest';
import { parseCommandLine, UsageError } from '../../electron/ipc/cli/args.ts';
import { executeFromOptions, formatRun, orderFromOptions, orderScopeFromOptions } from '../../electron/ipc/cli/emergencyCli.ts';
import type { EmergencyRunView } from '../../shared/emergencyContract.ts';

describe('emergency execute: action flags to playbook actions', () => {
  const FLAGS: Array<[string, string]> = [
    ['compromise-keys', 'compromise_keys'],
    ['revoke-certs', 'revoke_certificates'],
    ['revoke-ca', 'revoke_ca'],
    ['quarantine', 'quarantine'],
    ['rotate-shared', 'rotate_shared'],
    ['lockdown', 'lockdown'],
  ];
  it.each(FLAGS)('--%s alone is the action %s', (flag, action) => {
    expect(executeFromOptions({ fleet: true, reason: 'r', [flag]: true }).actions).toEqual([action]);
  });

  it('all flags give every action in the playbook order; none gives none', () => {
    const all = Object.fromEntries(FLAGS.map(([f]) => [f, true]).reverse());
    expect(executeFromOptions({ fleet: true, reason: 'r', ...all }).actions).toEqual(FLAGS.map(([, a]) => a));
    expect(executeFromOptions({ fleet: true, reason: 'r' }).actions).toEqual([]);
  });

  it('--ca-id names the CA --revoke-ca revokes (caId); without it none is sent (the current CA)', () => {
    const id = '0b7c3f0e-5d43-4c39-9a41-2a3f7e1d9c10';
    expect(executeFromOptions({ fleet: true, reason: 'r', 'revoke-ca': true, 'ca-id': id })).toMatchObject({ actions: ['revoke_ca'], caId: id });
    expect('caId' in executeFromOptions({ fleet: true, reason: 'r', 'revoke-ca': true })).toBe(false);
  });
});

// lockdown order / lift: each scope option to the order's input scope (docs/lockdown-orders.md, "Issuing"): the
// format's own selectors as such, --key and --serial as the holders the console resolves when it signs.
describe('lockdown order: scope options to the order scope, and --break-glass', () => {
  const KEY = '0b7c3f0e-5d43-4c39-9a41-2a3f7e1d9c10';
  const SCOPES: Array<[Record<string, string | boolean | string[]>, unknown]> = [
    [{ robot: 'uv-1' }, { deviceIds: ['uv-1'] }],
    [{ robot: ['uv-1', 'uv-2'] }, { deviceIds: ['uv-1', 'uv-2'] }],
    [{ site: 'Plant 1' }, { site: 'Plant 1' }],
    [{ model: 'UV-7' }, { model: 'UV-7' }],
    [{ firmware: '2.1' }, { firmware: '2.1' }],
    [{ tag: 'night' }, { tag: 'night' }],
    [{ key: KEY }, { keyId: KEY }],
    [{ key: `${KEY}:3` }, { keyId: KEY, version: 3 }],
    [{ serial: '7F:01' }, { serial: '7F:01' }],
    [{ fleet: true }, { fleet: true }],
  ];
  it.each(SCOPES)('%j is the scope %j', (options, scope) => {
    expect(orderScopeFromOptions(options)).toEqual(scope);
    expect(orderFromOptions('lockdown', { ...options, reason: 'r' }).scope).toEqual(scope);
  });
  it('--break-glass REASON is sent as breakGlass; without it none is', () => {
    expect(orderFromOptions('lockdown', { site: 'Plant 1', reason: 'r', 'break-glass': 'alone tonight' }).breakGlass).toEqual({ reason: 'alone tonight' });
    expect('breakGlass' in orderFromOptions('lockdown', { site: 'Plant 1', reason: 'r' })).toBe(false);
  });
});

// --expect-robots N (docs/lockdown-orders.md, "Issuing"): the count the responder expects --key / --serial to resolve
// to, sent as expectedRobots; a bad number or another scope is a usage mistake (nothing reaches the console).
describe('lockdown order --expect-robots', () => {
  const KEY = '0b7c3f0e-5d43-4c39-9a41-2a3f7e1d9c10';
  const BASE = ['--reason', 'r', '--out', 'o.json'];
  const ACCEPTED: Array<[string[], number]> = [
    [['lockdown', 'order', '--key', `${KEY}:2`, '--expect-robots', '3', ...BASE], 3],
    [['lockdown', 'order', '--serial', '7F:01', '--expect-robots', '1', ...BASE], 1],
    [['lockdown', 'order', '--key', KEY, '--expect-robots', '0', ...BASE], 0],
    [['lockdown', 'lift', '--key', KEY, '--expect-robots', '12', ...BASE], 12],
  ];
  it.each(ACCEPTED)('%j sends expectedRobots %i', (argv, expected) => {
    const parsed = parseCommandLine(argv, {});
    expect(orderFromOptions(argv[1] === 'lift' ? 'lift' : 'lockdown', parsed.options).expectedRobots).toBe(expected);
  });
  it('without it no expectedRobots is sent', () => {
    const parsed = parseCommandLine(['lockdown', 'order', '--key', KEY, ...BASE], {});
    expect('expectedRobots' in orderFromOptions('lockdown', parsed.options)).toBe(false);
  });
  const REFUSED: Array<[string[], RegExp]> = [
    [['--key', KEY, '--expect-robots', 'two'], /whole number/],
    [['--key', KEY, '--expect-robots', '-1'], /.+/],
    [['--key', KEY, '--expect-robots', '1.5'], /whole number/],
    [['--site', 'Plant 1', '--expect-robots', '2'], /only to --key and --serial/],
    [['--fleet', '--expect-robots', '2'], /only to --key and --serial/],
  ];
  it.each(REFUSED)('%j is a usage error', (extra, message) => {
    expect(() => parseCommandLine(['lockdown', 'order', ...extra, ...BASE], {})).toThrow(UsageError);
    expect(() => parseCommandLine(['lockdown', 'order', ...extra, ...BASE], {})).toThrow(message);
  });
  it('does not apply to emergency execute', () => {
    expect(() => parseCommandLine(['emergency', 'execute', '--key', KEY, '--lockdown', '--reason', 'r', '--expect-robots', '1'], {})).toThrow(/does not apply/);
  });
});

describe('a run as the CLI prints it', () => {
  const RUN: EmergencyRunView = {
    runId: '0b7c3f0e-5d43-4c39-9a41-2a3f7e1d9c10', createdAt: '2026-12-05T10:00:00.000Z', updatedAt: '2026-12-05T10:00:01.000Z', actor: 'Ada',
    scope: { kind: 'site', site: 'Plant 1' }, actions: ['lockdown'], reason: 'r', robots: 3, state: 'done', breakGlassReason: 'alone tonight',
    review: 'needs_review', reviewedBy: null, reviewedAt: null, reviewNote: null, origin: 'order', steps: [],
  };
  it('says a break-glass order issued on its own is one, and a playbook run is not', () => {
    expect(formatRun(RUN)).toBe(`run ${RUN.runId}: done (a lockdown order issued on its own, 3 robot(s), by Ada, BREAK-GLASS: alone tonight; review: needs_review)`);
    expect(formatRun({ ...RUN, origin: 'playbook' })).toBe(`run ${RUN.runId}: done (3 robot(s), by Ada, BREAK-GLASS: alone tonight; review: needs_review)`);
  });
});
