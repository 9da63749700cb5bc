// Survivors of the mutation round of 2026-12-05 (c) in the CLI's command-line parser (electron/ipc/cli/args.ts), beside
// cli-args-rules.test.ts. docs/cli.md: a token PIN is refused on the command line (--pin, --token-pin), but only as
// an option of its own: the word inside a value or a positional is not a PIN flag.
import { describe, expect, it } from 'vitest';
import { parseCommandLine, refusePassphraseFlag } from '../../electron/ipc/cli/args.ts';

const ENV: NodeJS.ProcessEnv = { ECPS_OPERATOR: 'alice' };

describe('a PIN flag is an option of its own', () => {
  const NOT_A_FLAG: string[][] = [
    ['keys', 'rotate', 'x--pin'],
    ['keys', 'create', '--type', 'storage', '--label', 'spare--token-pin'],
    ['keys', 'create', '--type', 'storage', '--label', 'a-pin=4711'],
  ];
  it.each(NOT_A_FLAG)('%j is not refused as a PIN', (...argv) => {
    expect(() => refusePassphraseFlag(argv)).not.toThrow();
    expect(() => parseCommandLine(argv, ENV)).not.toThrow();
  });
});

/** The UsageError message of `argv`, or a failure when it parses. */
function refusal(argv: string[]): string {
  try {
    parseCommandLine(argv, ENV);
  } catch (e) {
    expect((e as Error).name).toBe('UsageError');
    return (e as Error).message;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
}

// docs/cli.md's command list: operators totp enrol | confirm --code NNNNNN; operators token slots --module PATH |
// bind --module PATH --token-label L --key-label K; operators idle-time get | set MINUTES; recovery shares --k K
// --custodian NAME --custodian NAME ... (at least two). Each refusal's whole message is written out.
describe('the verbs and options of operators totp, token and idle-time, and recovery shares (parsed directly)', () => {
  const ACCEPTED: Array<[string[], string[], Record<string, string>]> = [
    [['operators', 'totp', 'enrol'], ['enrol'], {}],
    [['operators', 'totp', 'confirm', '--code', '123456'], ['confirm'], { code: '123456' }],
    [['operators', 'totp', 'confirm', '--code', '123 456'], ['confirm'], { code: '123 456' }],
    [['operators', 'token', 'slots', '--module', '/m.so'], ['slots'], { module: '/m.so' }],
    [['operators', 'token', 'bind', '--module', '/m.so', '--token-label', 't', '--key-label', 'k'], ['bind'], { module: '/m.so', 'token-label': 't', 'key-label': 'k' }],
    [['operators', 'idle-time', 'get'], ['get'], {}],
    [['operators', 'idle-time', 'set', '15'], ['set', '15'], {}],
    [['operators', 'idle-time', 'set', '240'], ['set', '240'], {}],
  ];
  it.each(ACCEPTED)('%j is accepted', (argv, args, options) => {
    const p = parseCommandLine(argv, ENV);
    expect([p.args, p.options]).toEqual([args, options]);
  });

  const REFUSED: Array<[string[], string]> = [
    [['operators', 'totp'], 'operators totp: expected enrol or confirm'],
    [['operators', 'totp', 'begin'], 'operators totp: expected enrol or confirm'],
    [['operators', 'totp', 'enrol', 'again'], 'operators totp: expected enrol or confirm'],
    [['operators', 'totp', 'confirm', 'now', '--code', '123456'], 'operators totp: expected enrol or confirm'],
    [['operators', 'totp', 'enrol', '--code', '123456'], 'operators totp enrol: option --code does not apply (it goes to operators totp confirm)'],
    [['operators', 'totp', 'confirm'], 'operators totp confirm: --code must be the 6-digit code your authenticator app shows for the new entry'],
    [['operators', 'totp', 'confirm', '--code', 'x123456'], 'operators totp confirm: --code must be the 6-digit code your authenticator app shows for the new entry'],
    [['operators', 'totp', 'confirm', '--code', '1234567'], 'operators totp confirm: --code must be the 6-digit code your authenticator app shows for the new entry'],
    [['operators', 'token', '--module', '/m.so'], 'operators token: expected slots or bind'],
    [['operators', 'token', 'slots', 'more', '--module', '/m.so'], 'operators token: expected slots or bind'],
    [['operators', 'token', 'unbind', '--module', '/m.so'], 'operators token: expected slots or bind'],
    [['operators', 'token', 'slots', '--module', '/m.so', '--token-label', 't'], 'operators token slots: option --token-label does not apply'],
    [['operators', 'token', 'slots', '--module', '/m.so', '--key-label', 'k'], 'operators token slots: option --key-label does not apply'],
    [['operators', 'token', 'bind', '--module', '/m.so', '--key-label', 'k'], 'operators token bind: --token-label is required'],
    [['operators', 'token', 'bind', '--module', '/m.so', '--token-label', '', '--key-label', 'k'], 'operators token bind: --token-label is required'],
    [['operators', 'token', 'bind', '--module', '/m.so', '--token-label', 't'], 'operators token bind: --key-label is required'],
    [['operators', 'token', 'bind', '--module', '/m.so', '--token-label', 't', '--key-label', ''], 'operators token bind: --key-label is required'],
    [['operators', 'idle-time'], 'operators idle-time: expected get or set MINUTES'],
    [['operators', 'idle-time', 'show'], 'operators idle-time: expected get or set MINUTES'],
    [['operators', 'idle-time', 'get', '15'], 'operators idle-time get: expected no other argument'],
    [['operators', 'idle-time', 'set'], 'operators idle-time set: expected MINUTES, a whole number'],
    [['operators', 'idle-time', 'set', '15', '20'], 'operators idle-time set: expected MINUTES, a whole number'],
    [['operators', 'idle-time', 'set', 'ten'], 'operators idle-time set: expected MINUTES, a whole number'],
    [['operators', 'idle-time', 'set', '1234567'], 'operators idle-time set: expected MINUTES, a whole number'],
    [['recovery', 'shares', '--k', 'two', '--custodian', 'a', '--custodian', 'b'], 'recovery shares: --k must be a whole number'],
    [['recovery', 'shares', '--k', '2', '--custodian', 'a'], 'recovery shares: name at least two custodians (--custodian NAME, once per custodian)'],
    [['backup', '--out', 'b.bin', '--custodian', 'a', '--custodian', 'b'], 'backup: --k must be a whole number'],
    [['backup', '--out', 'b.bin', '--k', '2', '--custodian', 'a'], 'backup: name at least two custodians (--custodian NAME, once per custodian)'],
  ];
  it.each(REFUSED)('%j: %s', (argv, message) => {
    expect(refusal(argv)).toBe(message);
  });

  it('recovery shares and a split backup take the custodians in order', () => {
    expect(parseCommandLine(['recovery', 'shares', '--k', '2', '--custodian', 'a', '--custodian', 'b', '--custodian', 'c'], ENV).custodians).toEqual(['a', 'b', 'c']);
    expect(parseCommandLine(['backup', '--out', 'b.bin', '--k', '2', '--custodian', 'b', '--custodian', 'a'], ENV).custodians).toEqual(['b', 'a']);
    expect(parseCommandLine(['backup', '--out', 'b.bin'], ENV).custodians).toEqual([]);
  });
});

// docs/cli.md: SCOPE is exactly one of --robot ID (repeatable) | --site | --model | --firmware | --tag | --key ID[:VERSION]
// | --serial | --fleet; emergency execute needs at least one action; --valid-for is a number of seconds.
describe('the scope and numbers of the emergency and lockdown commands (parsed directly)', () => {
  const SCOPES = 'give exactly one scope of --robot, --site, --model, --firmware, --tag, --key, --serial, --fleet';
  const ACCEPTED: string[][] = [
    ['emergency', 'preview', '--key', 'K1'],
    ['emergency', 'preview', '--key', 'K1:3'],
    ['emergency', 'preview', '--key', 'K1:123456789'],
    ['emergency', 'preview', '--robot', 'uv-1', '--robot', 'uv-2'],
    ['lockdown', 'lift', '--fleet', '--reason', 'r', '--out', 'o', '--valid-for', '3600'],
    ['lockdown', 'lift', '--fleet', '--reason', 'r', '--out', 'o', '--valid-for', '12345678'],
  ];
  it.each(ACCEPTED)('%j is accepted', (...argv) => {
    expect(() => parseCommandLine(argv, ENV)).not.toThrow();
  });
  const REFUSED: Array<[string[], string]> = [
    [['emergency', 'preview'], `emergency preview: ${SCOPES}`],
    [['emergency', 'preview', '--site', 'A', '--fleet'], `emergency preview: ${SCOPES}, not several`],
    [['lockdown', 'lift', '--reason', 'r', '--out', 'o'], `lockdown lift: ${SCOPES}`],
    [['emergency', 'preview', '--key', 'K1:0'], 'emergency preview: --key must be ID or ID:VERSION'],
    [['emergency', 'preview', '--key', 'K1:x'], 'emergency preview: --key must be ID or ID:VERSION'],
    [['emergency', 'preview', '--key', ':3'], 'emergency preview: --key must be ID or ID:VERSION'],
    [['emergency', 'preview', '--key', 'K 1'], 'emergency preview: --key must be ID or ID:VERSION'],
    [['emergency', 'preview', '--key', 'K1:1234567890'], 'emergency preview: --key must be ID or ID:VERSION'],
    [['emergency', 'preview', '--key', 'K1:3:4'], 'emergency preview: --key must be ID or ID:VERSION'],
    [['emergency', 'execute', '--fleet', '--reason', 'r'], 'emergency execute: give at least one action (--compromise-keys --revoke-certs --revoke-ca --quarantine --rotate-shared --lockdown)'],
    [['lockdown', 'lift', '--fleet', '--reason', 'r', '--out', 'o', '--valid-for', '1h'], 'lockdown lift: --valid-for must be a number of seconds'],
    [['lockdown', 'lift', '--fleet', '--reason', 'r', '--out', 'o', '--valid-for', '123456789'], 'lockdown lift: --valid-for must be a number of seconds'],
    [['lockdown', 'lift', '--fleet', '--reason', 'r', '--out', 'o', '--valid-for=-5'], 'lockdown lift: --valid-for must be a number of seconds'],
  ];
  it.each(REFUSED)('%j: %s', (argv, message) => {
    expect(refusal(argv)).toBe(message);
  });
});
