// lockdown order / lockdown lift's command line to the emergency:lockdownOrder input (orderFromOptions,
// electron/ipc/cli/emergencyCli.ts). Expected inputs are written out here from docs/cli.md and the docs' defaults:
// docs/emergency-response.md (an order from the CLI: `stop_operating`, valid 7 days = 604,800 s, the reason as
// message) and docs/lockdown-orders.md (a lift names no action; `mode` strict | best_effort; --expect-robots N sent as
// expectedRobots; --distrust-ca CAID, repeatable, adds distrust_ca once and sends the ids as distrustCaIds, in the
// order given). Each input is compared whole, so a field added or left out fails.
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../electron/ipc/cli/args.ts';
import { orderFromOptions } from '../../electron/ipc/cli/emergencyCli.ts';

const SEVEN_DAYS = 604_800;
const KEY = '0b7c3f0e-5d43-4c39-9a41-2a3f7e1d9c10';
const CA1 = '5d1c7a3e-2b4f-4e6a-8c0d-aaaaaaaaaaaa';
const CA2 = '5d1c7a3e-2b4f-4e6a-8c0d-bbbbbbbbbbbb';

const CASES: Array<[string, string[], Record<string, unknown>]> = [
  ['a lockdown with the defaults', ['lockdown', 'order', '--site', 'Plant 1', '--reason', 'fire drill', '--out', 'o.json'],
    { kind: 'lockdown', scope: { site: 'Plant 1' }, actions: ['stop_operating'], reason: 'fire drill', message: 'fire drill', validForSeconds: SEVEN_DAYS }],
  ['a lockdown with every field given',
    ['lockdown', 'order', '--fleet', '--reason', 'r', '--out', 'o.json', '--order-actions', 'safe_mode, refuse_revoked_peers', '--message', 'stay put', '--valid-for', '3600', '--mode', 'best_effort', '--break-glass', 'alone tonight'],
    { kind: 'lockdown', scope: { fleet: true }, actions: ['safe_mode', 'refuse_revoked_peers'], reason: 'r', message: 'stay put', validForSeconds: 3600, mode: 'best_effort', breakGlass: { reason: 'alone tonight' } }],
  ['a lift names no action, even with --order-actions given to the function',
    ['lockdown', 'lift', '--robot', 'uv-001', '--reason', 'found', '--out', 'o.json'],
    { kind: 'lift', scope: { deviceIds: ['uv-001'] }, actions: [], reason: 'found', message: 'found', validForSeconds: SEVEN_DAYS }],
  ['a lift of a key version with --expect-robots',
    ['lockdown', 'lift', '--key', `${KEY}:2`, '--expect-robots', '4', '--reason', 'r', '--out', 'o.json'],
    { kind: 'lift', scope: { keyId: KEY, version: 2 }, actions: [], reason: 'r', message: 'r', validForSeconds: SEVEN_DAYS, expectedRobots: 4 }],
  ['a lockdown of a serial with --expect-robots 0 and --valid-for 60',
    ['lockdown', 'order', '--serial', '7F:01', '--expect-robots', '0', '--valid-for', '60', '--reason', 'r', '--out', 'o.json'],
    { kind: 'lockdown', scope: { serial: '7F:01' }, actions: ['stop_operating'], reason: 'r', message: 'r', validForSeconds: 60, expectedRobots: 0 }],
  ['--distrust-ca adds distrust_ca after the default action, with the CA',
    ['lockdown', 'order', '--robot', 'uv-001', '--distrust-ca', CA1, '--reason', 'r', '--out', 'o.json'],
    { kind: 'lockdown', scope: { deviceIds: ['uv-001'] }, actions: ['stop_operating', 'distrust_ca'], distrustCaIds: [CA1], reason: 'r', message: 'r', validForSeconds: SEVEN_DAYS }],
  ['--distrust-ca twice (and comma-separated), distrust_ca named in --order-actions too: the action once, the CAs in order',
    ['lockdown', 'order', '--fleet', '--order-actions', 'distrust_ca', '--distrust-ca', CA2, '--distrust-ca', `${CA1}, ${KEY}`, '--reason', 'r', '--out', 'o.json'],
    { kind: 'lockdown', scope: { fleet: true }, actions: ['distrust_ca'], distrustCaIds: [CA2, CA1, KEY], reason: 'r', message: 'r', validForSeconds: SEVEN_DAYS }],
  ['a bad CA id is sent as given, for the console to refuse in words (invalid_input)',
    ['lockdown', 'order', '--robot', 'uv-001', '--distrust-ca', 'ca-1', '--reason', 'r', '--out', 'o.json'],
    { kind: 'lockdown', scope: { deviceIds: ['uv-001'] }, actions: ['stop_operating', 'distrust_ca'], distrustCaIds: ['ca-1'], reason: 'r', message: 'r', validForSeconds: SEVEN_DAYS }],
];

describe('lockdown order / lift: the input sent', () => {
  it.each(CASES)('%s', (_name, argv, expected) => {
    const parsed = parseCommandLine(argv, {});
    const kind = argv[1] === 'lift' ? 'lift' : 'lockdown';
    // a lift ignores --order-actions (args.ts does not take it for lift; the function is given it here directly)
    const options = kind === 'lift' ? { ...parsed.options, 'order-actions': 'wipe_keys' } : parsed.options;
    expect(orderFromOptions(kind, options)).toEqual(expected);
  });

  it('no --reason (args.ts requires it; called directly): an empty reason and message, for the channel to refuse', () => {
    expect(orderFromOptions('lockdown', { fleet: true })).toEqual({ kind: 'lockdown', scope: { fleet: true }, actions: ['stop_operating'], reason: '', message: '', validForSeconds: SEVEN_DAYS });
  });
});

describe('--distrust-ca on the other commands', () => {
  it('lockdown lift does not take it (a lift cannot undo a distrust)', () => {
    expect(() => parseCommandLine(['lockdown', 'lift', '--robot', 'uv-001', '--distrust-ca', CA1, '--reason', 'r', '--out', 'o.json'], {})).toThrow(/option --distrust-ca does not apply/);
  });
  it('emergency execute takes it only with --lockdown', () => {
    expect(() => parseCommandLine(['emergency', 'execute', '--robot', 'uv-001', '--quarantine', '--distrust-ca', CA1, '--reason', 'r'], {})).toThrow(/--distrust-ca goes with --lockdown/);
    expect(parseCommandLine(['emergency', 'execute', '--robot', 'uv-001', '--lockdown', '--distrust-ca', CA1, '--reason', 'r'], {}).options['distrust-ca']).toEqual([CA1]);
  });
});
