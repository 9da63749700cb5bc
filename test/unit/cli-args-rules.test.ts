// The CLI's command-line rules (electron/ipc/cli/args.ts) called directly, against docs/cli.md and the usage text it
// documents: which words name which command, which options each command takes and requires, the arguments it
// expects, the numbers it accepts (--port, --limit, --version, --concurrency, --max-attempts), the global options and
// their fallbacks, and the refusal of a passphrase on the command line (argv is visible through ps). Every expected
// command, value and refusal is written out in the tables below; none is taken from the parser.
import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { KIT_OFFLINE_COMMANDS, parseCommandLine, PLAYBOOK_ACTIONS, refusePassphraseFlag, USAGE, UsageError } from '../../electron/ipc/cli/args.ts';

const ENV: NodeJS.ProcessEnv = { ECPS_OPERATOR: 'alice' };
const parse = (argv: string[], env: NodeJS.ProcessEnv = ENV) => parseCommandLine(argv, env);

/** The UsageError message of `argv`, or a failure when it parses. */
function refusal(argv: string[]): string {
  try {
    parse(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).name).toBe('UsageError');
    return (e as Error).message;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
}

// docs/cli.md's command list: each command with every option it takes, and what the parse must give.
const EVERY_OPTION: Array<{ argv: string[]; command: string; args?: string[]; options: Record<string, string | boolean> }> = [
  { argv: ['serve', '--port', '8080'], command: 'serve', options: { port: '8080' } },
  { argv: ['init'], command: 'init', options: {} },
  { argv: ['unlock'], command: 'unlock', options: {} },
  { argv: ['keys', 'list', '--type', 'storage'], command: 'keys list', options: { type: 'storage' } },
  {
    argv: ['keys', 'create', '--type', 'storage', '--label', 'Backup disk', '--algorithm', 'AES_256'],
    command: 'keys create',
    options: { type: 'storage', label: 'Backup disk', algorithm: 'AES_256' },
  },
  { argv: ['keys', 'rotate', 'K1'], command: 'keys rotate', args: ['K1'], options: {} },
  { argv: ['keys', 'state', 'K1', 'suspended', '--reason', 'maintenance'], command: 'keys state', args: ['K1', 'suspended'], options: { reason: 'maintenance' } },
  {
    argv: ['encrypt', '--key', 'K1', '--in', 'a.bin', '--out', 'a.enc', '--aad', 'robot-7', '--force'],
    command: 'encrypt',
    options: { key: 'K1', in: 'a.bin', out: 'a.enc', aad: 'robot-7', force: true },
  },
  { argv: ['decrypt', '--in', 'a.enc', '--out', 'a.bin', '--aad', 'robot-7', '--force'], command: 'decrypt', options: { in: 'a.enc', out: 'a.bin', aad: 'robot-7', force: true } },
  { argv: ['audit', 'verify'], command: 'audit verify', options: {} },
  { argv: ['audit', 'export', '--out', 'audit.jsonl', '--force'], command: 'audit export', options: { out: 'audit.jsonl', force: true } },
  {
    argv: ['provision', '--device-id', 'R1', '--port', '/dev/ttyUSB0', '--ca-cert-out', 'ca.pem', '--kms-config', 'k.json', '--storage-path', '/s', '--allow-reprovision'],
    command: 'provision',
    options: { 'device-id': 'R1', port: '/dev/ttyUSB0', 'ca-cert-out': 'ca.pem', 'kms-config': 'k.json', 'storage-path': '/s', 'allow-reprovision': true },
  },
  { argv: ['bundle', '--device-id', 'R1', '--out', 'b.bin', '--force'], command: 'bundle', options: { 'device-id': 'R1', out: 'b.bin', force: true } },
  { argv: ['distribute', '--device-id', 'R1', '--port', '/dev/ttyUSB0'], command: 'distribute', options: { 'device-id': 'R1', port: '/dev/ttyUSB0' } },
  { argv: ['key-assignments', '--device-id', 'R1'], command: 'key-assignments', options: { 'device-id': 'R1' } },
  { argv: ['key-assignments', '--site', 'north'], command: 'key-assignments', options: { site: 'north' } },
  { argv: ['assign-key', '--site', 'north', '--type', 'storage', '--key', 'K1'], command: 'assign-key', options: { site: 'north', type: 'storage', key: 'K1' } },
  { argv: ['assign-key', '--device-id', 'R1', '--type', 'communication', '--key', 'K1'], command: 'assign-key', options: { 'device-id': 'R1', type: 'communication', key: 'K1' } },
  { argv: ['unassign-key', '--device-id', 'R1', '--type', 'storage'], command: 'unassign-key', options: { 'device-id': 'R1', type: 'storage' } },
  { argv: ['unassign-key', '--site', 'north', '--type', 'storage'], command: 'unassign-key', options: { site: 'north', type: 'storage' } },
  { argv: ['key-usage', '--key', 'K1', '--version', '2', '--all'], command: 'key-usage', options: { key: 'K1', version: '2', all: true } },
  { argv: ['rotation', 'status'], command: 'rotation status', options: {} },
  { argv: ['rotation', 'run-due'], command: 'rotation run-due', options: {} },
  { argv: ['rotation', 'jobs', '--key', 'K1', '--limit', '20'], command: 'rotation jobs', options: { key: 'K1', limit: '20' } },
  { argv: ['rotation', 'policy', 'get', '--type', 'storage'], command: 'rotation policy', args: ['get'], options: { type: 'storage' } },
  { argv: ['rotation', 'policy', 'get', '--key', 'K1'], command: 'rotation policy', args: ['get'], options: { key: 'K1' } },
  { argv: ['rotation', 'policy', 'set', '--key', 'K1', '--policy', 'p.json'], command: 'rotation policy', args: ['set'], options: { key: 'K1', policy: 'p.json' } },
  { argv: ['rotation', 'drift', '--key', 'K1'], command: 'rotation drift', options: { key: 'K1' } },
  {
    argv: ['rotation', 'batch', 'start', '--keys', 'K1,K2', '--concurrency', '8', '--max-attempts', '3'],
    command: 'rotation batch',
    args: ['start'],
    options: { keys: 'K1,K2', concurrency: '8', 'max-attempts': '3' },
  },
  { argv: ['rotation', 'batch', 'start', '--type', 'storage'], command: 'rotation batch', args: ['start'], options: { type: 'storage' } },
  { argv: ['rotation', 'batch', 'start', '--site', 'north'], command: 'rotation batch', args: ['start'], options: { site: 'north' } },
  { argv: ['rotation', 'batch', 'status'], command: 'rotation batch', args: ['status'], options: {} },
  { argv: ['rotation', 'batch', 'status', 'J1', '--limit', '5'], command: 'rotation batch', args: ['status', 'J1'], options: { limit: '5' } },
  {
    argv: ['rotation', 'batch', 'status', 'J1', '--outcome', 'failed', '--limit', '5', '--after', 'C1'],
    command: 'rotation batch',
    args: ['status', 'J1'],
    options: { outcome: 'failed', limit: '5', after: 'C1' },
  },
  { argv: ['rotation', 'batch', 'status', 'J1', '--all'], command: 'rotation batch', args: ['status', 'J1'], options: { all: true } },
  { argv: ['rotation', 'batch', 'cancel', 'J1'], command: 'rotation batch', args: ['cancel', 'J1'], options: {} },
  { argv: ['rotation', 'batch', 'resume'], command: 'rotation batch', args: ['resume'], options: {} },
  {
    argv: ['report', '--from', '2026-01-01', '--to', '2026-03-31', '--format', 'csv', '--out', 'q1.csv', '--force'],
    command: 'report',
    options: { from: '2026-01-01', to: '2026-03-31', format: 'csv', out: 'q1.csv', force: true },
  },
  { argv: ['scheduler'], command: 'scheduler', options: {} },
  { argv: ['help'], command: 'help', options: {} },
  { argv: ['operators', 'idle-time', 'set', '15'], command: 'operators idle-time', args: ['set', '15'], options: {} },
  { argv: ['operators', 'reset-factor', 'Tom'], command: 'operators reset-factor', args: ['Tom'], options: {} },
  { argv: ['operators', 'totp', 'enrol'], command: 'operators totp', args: ['enrol'], options: {} },
  { argv: ['operators', 'totp', 'confirm', '--code', '123 456'], command: 'operators totp', args: ['confirm'], options: { code: '123 456' } },
  { argv: ['operators', 'token', 'slots', '--module', '/m.so'], command: 'operators token', args: ['slots'], options: { module: '/m.so' } },
  {
    argv: ['operators', 'token', 'bind', '--module', '/m.so', '--token-label', 'card', '--key-label', 'me'],
    command: 'operators token',
    args: ['bind'],
    options: { module: '/m.so', 'token-label': 'card', 'key-label': 'me' },
  },
  {
    argv: ['approvals', 'policy', 'set', 'key.destroy', '--m', '2', '--eligible', 'admin,key_custodian', '--eligible-operators', 'Ann', '--ttl', '3600'],
    command: 'approvals policy',
    args: ['set', 'key.destroy'],
    options: { m: '2', eligible: 'admin,key_custodian', 'eligible-operators': 'Ann', ttl: '3600' },
  },
  { argv: ['keys', 'verify-integrity', 'K1'], command: 'keys verify-integrity', args: ['K1'], options: {} },
  { argv: ['providers', 'list'], command: 'providers list', options: {} },
  { argv: ['providers', 'test', 'aws-kms'], command: 'providers test', args: ['aws-kms'], options: {} },
  { argv: ['providers', 'save', '--config', 'aws.json'], command: 'providers save', options: { config: 'aws.json' } },
  { argv: ['providers', 'remove', 'aws-kms'], command: 'providers remove', args: ['aws-kms'], options: {} },
  { argv: ['providers', 'health'], command: 'providers health', options: {} },
  { argv: ['approvals', 'revoked-keys'], command: 'approvals revoked-keys', options: {} },
  { argv: ['approvals', 'keys'], command: 'approvals keys', options: {} },
];

describe('commands and their options (docs/cli.md)', () => {
  it.each(EVERY_OPTION)('$argv.0 $argv.1 $argv.2: accepted with every option it takes', ({ argv, command, args, options }) => {
    const p = parse(argv);
    expect(p.command).toBe(command);
    expect(p.args).toEqual(args ?? []);
    expect(p.options).toEqual(options);
    expect(p.json).toBe(false);
    expect(p.dataDir).toBeUndefined();
  });

  it('every command of the table is in the usage text, with its name as typed', () => {
    const names = new Set(EVERY_OPTION.map((c) => c.command));
    expect(names.size).toBe(40);
    for (const name of names) expect(USAGE).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    expect(USAGE).toMatch(/^Usage: ecps-console <command> \[options\]/);
    expect(USAGE).toContain('--data-dir DIR');
    expect(USAGE).toContain('never from argv');
  });

  it('no words, --help and -h give help, whatever else is on the line', () => {
    for (const argv of [[], ['--help'], ['-h'], ['keys', 'list', '--help'], ['--json']]) {
      expect(parse(argv).command, argv.join(' ')).toBe('help');
    }
    expect(parse(['keys', 'list', '--help']).args).toEqual([]);
  });

  // [argv, the unknown words the message names]
  const UNKNOWN: Array<[string[], string]> = [
    [['bogus'], 'bogus'],
    [['keys'], 'keys'],
    [['keys', 'bogus', 'more'], 'keys bogus'],
    [['rotation'], 'rotation'],
    [['list', 'keys'], 'list keys'],
  ];
  it.each(UNKNOWN)('%j: unknown command "%s"', (argv, words) => {
    expect(refusal(argv)).toBe(`unknown command "${words}"`);
  });

  it('a two-word command takes its words before its arguments; a one-word command keeps its second word as an argument', () => {
    expect(parse(['keys', 'rotate', 'list']).args).toEqual(['list']);
    expect(refusal(['init', 'list'])).toBe('init: expected no arguments, got 1');
  });

  // [argv, the message]: an option the command does not take.
  const NOT_APPLYING: Array<[string[], string]> = [
    [['keys', 'list', '--label', 'x'], 'keys list: option --label does not apply'],
    [['init', '--port', '1'], 'init: option --port does not apply'],
    [['serve', '--device-id', 'R1'], 'serve: option --device-id does not apply'],
    [['decrypt', '--in', 'a', '--out', 'b', '--key', 'K1'], 'decrypt: option --key does not apply'],
    [['audit', 'verify', '--force'], 'audit verify: option --force does not apply'],
    [['rotation', 'batch', 'status', '--policy', 'p'], 'rotation batch: option --policy does not apply'],
    [['help', '--type', 'x'], 'help: option --type does not apply'],
  ];
  it.each(NOT_APPLYING)('%j is refused', (argv, message) => {
    expect(refusal(argv)).toBe(message);
  });

  it('the global options apply to every command and fill their fields', () => {
    const p = parse(['init', '--data-dir', '/tmp/store', '--operator', 'bob', '--json']);
    expect(p).toMatchObject({ command: 'init', dataDir: '/tmp/store', operator: 'bob', json: true });
    expect(parse(['keys', 'list', '--json']).json).toBe(true);
  });

  // [argv, the missing option]
  const REQUIRED: Array<[string[], string]> = [
    [['keys', 'create', '--label', 'L'], 'keys create: --type is required'],
    [['keys', 'create', '--type', 'storage'], 'keys create: --label is required'],
    [['keys', 'create', '--type', 'storage', '--label', ''], 'keys create: --label is required'],
    [['keys', 'state', 'K1', 'suspended'], 'keys state: --reason is required'],
    [['encrypt', '--in', 'a', '--out', 'b'], 'encrypt: --key is required'],
    [['encrypt', '--key', 'K1', '--out', 'b'], 'encrypt: --in is required'],
    [['encrypt', '--key', 'K1', '--in', 'a'], 'encrypt: --out is required'],
    [['decrypt', '--out', 'b'], 'decrypt: --in is required'],
    [['decrypt', '--in', 'a'], 'decrypt: --out is required'],
    [['audit', 'export'], 'audit export: --out is required'],
    [['provision', '--port', '/dev/ttyUSB0'], 'provision: --device-id is required'],
    [['provision', '--device-id', 'R1'], 'provision: --port is required'],
    [['bundle', '--out', 'b'], 'bundle: --device-id is required'],
    [['bundle', '--device-id', 'R1'], 'bundle: --out is required'],
    [['distribute', '--port', '/dev/ttyUSB0'], 'distribute: --device-id is required'],
    [['distribute', '--device-id', 'R1'], 'distribute: --port is required'],
    [['assign-key', '--site', 'n', '--key', 'K1'], 'assign-key: --type is required'],
    [['assign-key', '--site', 'n', '--type', 'storage'], 'assign-key: --key is required'],
    [['unassign-key', '--site', 'n'], 'unassign-key: --type is required'],
    [['key-usage'], 'key-usage: --key is required'],
  ];
  it.each(REQUIRED)('%j: %s', (argv, message) => {
    expect(refusal(argv)).toBe(message);
  });

  // [argv, the message]: exactly one scope.
  const ONE_OF: Array<[string[], string]> = [
    [['key-assignments'], 'key-assignments: give exactly one of --device-id or --site'],
    [['key-assignments', '--device-id', 'R1', '--site', 'n'], 'key-assignments: give exactly one of --device-id or --site, not both'],
    [['assign-key', '--type', 'storage', '--key', 'K1'], 'assign-key: give exactly one of --device-id or --site'],
    [['unassign-key', '--device-id', 'R1', '--site', 'n', '--type', 'storage'], 'unassign-key: give exactly one of --device-id or --site, not both'],
    [['rotation', 'policy', 'get'], 'rotation policy: give exactly one of --type or --key'],
    [['rotation', 'policy', 'get', '--type', 'storage', '--key', 'K1'], 'rotation policy: give exactly one of --type or --key, not both'],
  ];
  it.each(ONE_OF)('%j: %s', (argv, message) => {
    expect(refusal(argv)).toBe(message);
  });

  // [argv, the message]: the arguments after the command words.
  const ARGUMENTS: Array<[string[], string]> = [
    [['keys', 'rotate'], 'keys rotate: expected ID, got none'],
    [['keys', 'rotate', 'K1', 'K2'], 'keys rotate: expected ID, got 2'],
    [['keys', 'state', 'K1', '--reason', 'r'], 'keys state: expected ID STATE, got 1'],
    [['serve', 'now'], 'serve: expected no arguments, got 1'],
    [['audit', 'verify', 'all', 'now'], 'audit verify: expected no arguments, got 2'],
    [['providers', 'health', 'aws-kms'], 'providers health: expected no arguments, got 1'],
    [['approvals', 'revoked-keys', 'Kate'], 'approvals revoked-keys: expected no arguments, got 1'],
    [['approvals', 'keys', 'Kate'], 'approvals keys: expected no arguments, got 1'],
    [['rotation', 'policy', '--type', 'storage'], 'rotation policy: expected get|set, got none'],
    [['rotation', 'policy', 'show', '--type', 'storage'], 'rotation policy: expected get or set'],
    [['rotation', 'policy', 'set', '--type', 'storage'], 'rotation policy set: --policy is required'],
    [['rotation', 'policy', 'get', '--type', 'storage', '--policy', 'p.json'], 'rotation policy get: option --policy does not apply'],
  ];
  it.each(ARGUMENTS)('%j: %s', (argv, message) => {
    expect(refusal(argv)).toBe(message);
  });
});

describe('rotation batch (docs/rotation.md, batch jobs)', () => {
  const REFUSED: Array<[string[], string]> = [
    [[], 'rotation batch: expected start, status, cancel or resume'],
    [['stop'], 'rotation batch: expected start, status, cancel or resume'],
    [['cancel'], 'rotation batch cancel: expected a job ID'],
    [['cancel', 'J1', 'J2'], 'rotation batch cancel: expected a job ID'],
    [['status', 'J1', 'J2'], 'rotation batch status: expected at most one job ID'],
    [['start', 'J1', '--keys', 'K1'], 'rotation batch start: expected no job ID'],
    [['resume', 'J1'], 'rotation batch resume: expected no job ID'],
    [['status', '--keys', 'K1'], 'rotation batch status: option --keys does not apply'],
    [['cancel', 'J1', '--type', 'storage'], 'rotation batch cancel: option --type does not apply'],
    [['resume', '--site', 'north'], 'rotation batch resume: option --site does not apply'],
    [['status', '--concurrency', '2'], 'rotation batch status: option --concurrency does not apply'],
    [['resume', '--max-attempts', '2'], 'rotation batch resume: option --max-attempts does not apply'],
    [['cancel', 'J1', '--limit', '5'], 'rotation batch cancel: option --limit does not apply'],
    [['resume', '--limit', '5'], 'rotation batch resume: option --limit does not apply'],
    [['start', '--keys', 'K1', '--limit', '5'], 'rotation batch start: option --limit does not apply'],
    [['start'], 'rotation batch start: give exactly one of --keys, --type or --site'],
    [['start', '--concurrency', '2'], 'rotation batch start: give exactly one of --keys, --type or --site'],
    [['start', '--keys', 'K1', '--type', 'storage'], 'rotation batch start: give exactly one of --keys, --type or --site, not several'],
    [['start', '--type', 'storage', '--site', 'north'], 'rotation batch start: give exactly one of --keys, --type or --site, not several'],
    [['start', '--keys', 'K1', '--site', 'north'], 'rotation batch start: give exactly one of --keys, --type or --site, not several'],
    // Paging a job's keys: status ID only; --after or --all; an outcome is one of the item states.
    [['status', '--outcome', 'failed'], 'rotation batch status: option --outcome applies only to one job (status ID)'],
    [['status', '--all'], 'rotation batch status: option --all applies only to one job (status ID)'],
    [['cancel', 'J1', '--after', 'C1'], 'rotation batch cancel: option --after applies only to one job (status ID)'],
    [['resume', '--all'], 'rotation batch resume: option --all applies only to one job (status ID)'],
    [['start', '--type', 'storage', '--outcome', 'done'], 'rotation batch start: option --outcome applies only to one job (status ID)'],
    [['status', 'J1', '--after', 'C1', '--all'], 'rotation batch status: give --after or --all, not both'],
    [['status', 'J1', '--outcome', 'broken'], 'rotation batch status: --outcome must be one of pending, rotating, done, failed, superseded, cancelled'],
  ];
  it.each(REFUSED)('rotation batch %j: %s', (rest, message) => {
    expect(refusal(['rotation', 'batch', ...rest])).toBe(message);
  });

  // --concurrency and --max-attempts: "a whole number" (at most three digits; the service bounds the value).
  const COUNTS: Array<[string, boolean]> = [
    ['0', true], ['4', true], ['64', true], ['999', true], ['1000', false], ['', false], ['x', false], ['4x', false], ['x4', false], ['1.5', false], ['-1', false],
  ];
  it.each(COUNTS)('--concurrency / --max-attempts %j: accepted %s', (value, ok) => {
    for (const name of ['concurrency', 'max-attempts']) {
      const argv = ['rotation', 'batch', 'start', '--type', 'storage', `--${name}=${value}`];
      if (ok) expect(parse(argv).options[name as 'concurrency']).toBe(value);
      else expect(refusal(argv)).toBe(`rotation batch start: --${name} must be a whole number`);
    }
  });
});

describe('numbers on the command line', () => {
  // serve --port: 0 to 65535 (0: any free port).
  const PORTS: Array<[string, number | null]> = [
    ['0', 0], ['8080', 8080], ['65535', 65535], ['65536', null], ['123456', null], ['', null], ['http', null], ['80x', null], ['x80', null], ['-1', null], ['8.5', null],
  ];
  it.each(PORTS)('serve --port %j gives %s', (value, port) => {
    const argv = ['serve', `--port=${value}`];
    if (port === null) expect(refusal(argv)).toBe('--port must be a number from 0 to 65535');
    else expect(parse(argv).port).toBe(port);
  });

  it('the port of serve is a number; the serial port of provision and distribute stays a path in options', () => {
    expect(parse(['serve']).port).toBeUndefined();
    const p = parse(['distribute', '--device-id', 'R1', '--port', '8080']);
    expect(p.port).toBeUndefined();
    expect(p.options.port).toBe('8080');
    expect(parse(['provision', '--device-id', 'R1', '--port', '/dev/ttyUSB0']).port).toBeUndefined();
  });

  // --limit: 1 to 1000.
  const LIMITS: Array<[string, boolean]> = [
    ['1', true], ['01', true], ['50', true], ['1000', true], ['0', false], ['1001', false], ['9999', false], ['10000', false], ['', false], ['x1', false], ['1x', false], ['-5', false], ['2.5', false],
  ];
  it.each(LIMITS)('--limit %j: accepted %s', (value, ok) => {
    for (const argv of [['rotation', 'jobs', `--limit=${value}`], ['rotation', 'batch', 'status', `--limit=${value}`]]) {
      const command = argv.slice(0, 2).join(' ');
      if (ok) expect(parse(argv).options.limit).toBe(value);
      else expect(refusal(argv)).toBe(`${command}: --limit must be a number from 1 to 1000`);
    }
  });

  // key-usage --version: a positive integer.
  const VERSIONS: Array<[string, number | null]> = [
    ['1', 1], ['2', 2], ['12', 12], ['9007199254740991', 9007199254740991], ['0', null], ['-1', null], ['9007199254740993', null], ['1.5', null], ['v2', null], ['2x', null], ['', null],
    // Digits only: Number() alone would read these as 1, 1, 16 and 1000.
    [' 1', null], ['1 ', null], ['0x10', null], ['1e3', null],
  ];
  it.each(VERSIONS)('key-usage --version %j gives %s', (value, version) => {
    const argv = ['key-usage', '--key', 'K1', `--version=${value}`];
    if (version === null) expect(refusal(argv)).toBe('key-usage: --version must be a positive integer');
    else expect(parse(argv).version).toBe(version);
  });

  it('no --version leaves the version unset', () => {
    expect(parse(['key-usage', '--key', 'K1']).version).toBeUndefined();
  });
});

describe('the operator and the store folder', () => {
  it('--operator, else ECPS_OPERATOR, else the OS user name', () => {
    expect(parse(['init', '--operator', 'bob'], { ECPS_OPERATOR: 'alice' }).operator).toBe('bob');
    expect(parse(['init'], { ECPS_OPERATOR: 'alice' }).operator).toBe('alice');
    expect(parse(['init'], {}).operator).toBe(userInfo().username);
    expect(parse(['init'], { ECPS_OPERATOR: '' }).operator).toBe(userInfo().username);
  });

  it('--data-dir names the folder; without it the folder is left to ECPS_DATA_DIR or the default', () => {
    expect(parse(['init', '--data-dir', '/srv/ecps']).dataDir).toBe('/srv/ecps');
    expect(parse(['init'], { ECPS_OPERATOR: 'a', ECPS_DATA_DIR: '/elsewhere' }).dataDir).toBeUndefined();
  });
});

describe('no passphrase on the command line (docs/cli.md: argv is visible via ps)', () => {
  const REFUSED = ['--passphrase', '--passphrase=secret', '-passphrase', '--password', '--password=x', '--pass', '--pass=x', '--PASSPHRASE', '--Password=x'];
  it.each(REFUSED)('%s is refused, anywhere on the line, before anything else is read', (flag) => {
    for (const argv of [[flag], ['init', flag], ['encrypt', '--key', 'K1', '--aad', flag, '--in', 'a', '--out', 'b'], ['bogus', flag]]) {
      expect(() => refusePassphraseFlag(argv)).toThrow(UsageError);
      expect(refusal(argv)).toMatch(/^refusing a passphrase on the command line: argv is visible to other users \(ps\) and kept in shell history\. Set ECPS_PASSPHRASE or type it at the prompt\.$/);
    }
  });

  // Not a passphrase flag: a longer option name, or the word inside a value or a positional.
  const NOT_A_FLAG = [['init'], ['keys', 'create', '--type', 'storage', '--label', 'passphrase'], ['keys', 'rotate', 'x--passphrase'], ['keys', 'rotate', 'password']];
  it.each(NOT_A_FLAG)('%j is not refused as a passphrase', (...argv) => {
    expect(() => refusePassphraseFlag(argv)).not.toThrow();
    expect(() => parse(argv)).not.toThrow();
  });

  it('--passwords or --passage are unknown options, not passphrases', () => {
    for (const flag of ['--passwords', '--passage', '--passphrase-file']) {
      expect(() => refusePassphraseFlag([flag])).not.toThrow();
      expect(refusal(['init', flag])).toMatch(new RegExp(`^Unknown option '${flag}'`));
    }
  });
});

describe('no provider secret on the command line (docs/cli.md: providers save takes a file)', () => {
  // Every secret setting of docs/providers.md, as a flag with dashes or underscores, any case, alone or with =value.
  const SECRETS = ['aws_secret_access_key', 'aws_session_token', 'azure_client_secret', 'gcp_credentials_json', 'vault_token', 'pkcs11_pin'];
  it.each(SECRETS)('%s as a flag is refused by name, never with its value', (name) => {
    for (const flag of [`--${name}`, `--${name.replace(/_/g, '-')}`, `-${name.toUpperCase()}`, `--${name}=s3cr3t-value`]) {
      for (const argv of [['providers', 'save', '--config', 'a.json', flag], [flag, 'providers', 'list']]) {
        const m = refusal(argv);
        expect(m).toMatch(/^refusing the provider secret \S+ on the command line: argv is visible to other users \(ps\) and kept in shell history\. Put it in the file of providers save --config FILE\.json \(readable only by you\)\.$/);
        expect(m.split(' ')[4]!.toLowerCase().replace(/-/g, '_')).toBe(name);
        expect(m).not.toContain('s3cr3t');
      }
    }
  });

  it('a longer name, or the name inside a value, is not a secret flag', () => {
    expect(() => refusePassphraseFlag(['--vault-tokens'])).not.toThrow();
    expect(() => refusePassphraseFlag(['keys', 'rotate', 'x--vault-token'])).not.toThrow();
    expect(() => refusePassphraseFlag(['providers', 'save', '--config', 'vault_token.json'])).not.toThrow();
  });

  it('--config with the settings themselves is refused without repeating them; a file name is taken', () => {
    for (const value of ['{"vault_token":"s3cr3t"}', '  {', '[1]']) {
      const m = refusal(['providers', 'save', '--config', value]);
      expect(m).toBe('providers save: --config takes the name of a JSON file, not the settings themselves (argv is visible to other users via ps and kept in shell history)');
    }
    expect(parse(['providers', 'save', '--config', 'x{.json']).options).toEqual({ config: 'x{.json' });
  });
});

describe('what node:util parseArgs refuses becomes a usage error', () => {
  it('an unknown option, a missing value and a value given to a flag, each as one line', () => {
    const unknown = refusal(['keys', 'list', '--bogus']);
    expect(unknown).toMatch(/^Unknown option '--bogus'/);
    const missing = refusal(['keys', 'list', '--type']);
    expect(missing).toMatch(/--type/);
    const flagValue = refusal(['audit', 'export', '--out', 'f', '--force=yes']);
    expect(flagValue).toMatch(/--force/);
    for (const m of [unknown, missing, flagValue]) expect(m).not.toContain('\n');
  });
});

describe('rotation rollout policy (docs/cli.md, docs/rotation.md "Rollout to robots")', () => {
  const ACCEPTED: Array<[string[], string[], Record<string, string>]> = [
    [['policy'], ['policy'], {}],
    [['policy', 'clear'], ['policy', 'clear'], {}],
    [['policy', 'clear', '--key', 'K1'], ['policy', 'clear'], { key: 'K1' }],
    [['policy', 'set', '--canary-percent', '25'], ['policy', 'set'], { 'canary-percent': '25' }],
    [['policy', 'set', '--key', 'K1', '--max-failure-ratio', '0.25', '--grace-versions', '2', '--grace-seconds', '3600'], ['policy', 'set'], { key: 'K1', 'max-failure-ratio': '0.25', 'grace-versions': '2', 'grace-seconds': '3600' }],
    [['policy', 'set', '--canary-robots', 'uv-1,uv-2', '--canary-sites', 'Lyon'], ['policy', 'set'], { 'canary-robots': 'uv-1,uv-2', 'canary-sites': 'Lyon' }],
    [['list', '--key', 'K1', '--limit', '5'], ['list'], { key: 'K1', limit: '5' }],
    [['halt', 'R1', '--reason', 'canary failed'], ['halt', 'R1'], { reason: 'canary failed' }],
    [['resume', 'R1'], ['resume', 'R1'], {}],
  ];
  it.each(ACCEPTED)('rotation rollout %j', (rest, args, options) => {
    const p = parse(['rotation', 'rollout', ...rest]);
    expect([p.command, p.args, p.options]).toEqual(['rotation rollout', args, options]);
  });

  const REFUSED: Array<[string[], string]> = [
    [[], 'rotation rollout: expected list, halt, resume, policy, versions, retire or reinstate'],
    [['stop'], 'rotation rollout: expected list, halt, resume, policy, versions, retire or reinstate'],
    [['policy', 'show'], 'rotation rollout policy: expected nothing, set or clear'],
    [['policy', 'set', 'extra'], 'rotation rollout policy: expected nothing, set or clear'],
    [['policy', 'set'], 'rotation rollout policy set: give at least one of --canary-percent, --canary-robots, --canary-sites, --max-failure-ratio, --grace-versions, --grace-seconds'],
    [['policy', '--canary-percent', '5'], 'rotation rollout policy: option --canary-percent does not apply'],
    [['policy', 'clear', '--grace-seconds', '5'], 'rotation rollout policy clear: option --grace-seconds does not apply'],
    [['policy', 'set', '--limit', '5', '--canary-percent', '5'], 'rotation rollout policy set: option --limit does not apply'],
    [['policy', 'set', '--reason', 'x', '--canary-percent', '5'], 'rotation rollout policy set: option --reason does not apply'],
    [['policy', 'set', '--canary-percent', 'ten'], 'rotation rollout policy set: --canary-percent must be a number'],
    [['policy', 'set', '--max-failure-ratio', '.5'], 'rotation rollout policy set: --max-failure-ratio must be a number'],
    [['policy', 'set', '--grace-versions=-1'], 'rotation rollout policy set: --grace-versions must be a number'],
    [['policy', 'set', '--grace-seconds', '1e3'], 'rotation rollout policy set: --grace-seconds must be a number'],
    [['list', 'R1'], 'rotation rollout list: expected no rollout ID'],
    [['halt', '--reason', 'x'], 'rotation rollout halt: expected a rollout ID'],
    [['resume', 'R1', 'R2'], 'rotation rollout resume: expected a rollout ID'],
    [['list', '--reason', 'x'], 'rotation rollout list: option --reason does not apply'],
    [['list', '--canary-percent', '5'], 'rotation rollout list: option --canary-percent does not apply'],
    [['halt', 'R1', '--key', 'K1', '--reason', 'x'], 'rotation rollout halt: option --key does not apply'],
    [['resume', 'R1', '--limit', '5'], 'rotation rollout resume: option --limit does not apply'],
    [['halt', 'R1'], 'rotation rollout halt: --reason is required'],
  ];
  it.each(REFUSED)('rotation rollout %j: %s', (rest, message) => {
    expect(refusal(['rotation', 'rollout', ...rest])).toBe(message);
  });
});

describe('kit (docs/incident-kit.md, docs/cli.md)', () => {
  it('kit export takes its orders (repeated --order joined one per line) and needs --out, --order and --reason', () => {
    const p = parse(['kit', 'export', '--out', '/media/kit', '--order', 'site:Plant 1', '--order', 'robot:uv-1,uv-2', '--reason', 'drill', '--max-uses', '3', '--valid-for', '86400']);
    expect([p.command, p.options]).toEqual(['kit export', { out: '/media/kit', order: 'site:Plant 1\nrobot:uv-1,uv-2', reason: 'drill', 'max-uses': '3', 'valid-for': '86400' }]);
    expect(parse(['kit', 'export', '--out', 'k', '--order', 'fleet', '--reason', 'r']).options.order).toBe('fleet');
    expect(refusal(['kit', 'export', '--order', 'fleet', '--reason', 'r'])).toBe('kit export: --out is required');
    expect(refusal(['kit', 'export', '--out', 'k', '--reason', 'r'])).toBe('kit export: --order is required');
    expect(refusal(['kit', 'export', '--out', 'k', '--order', 'fleet'])).toBe('kit export: --reason is required');
  });

  const ORDERS: Array<[string, boolean]> = [
    ['fleet', true], ['robot:uv-1', true], ['robot:uv-1,uv-2', true], ['site:Plant 1', true], ['model:UV-7', true], ['firmware:2.1.0', true], ['tag:night', true],
    ['fleets', false], ['robot:', false], ['site', false], ['serial:01', false], ['key:K1', false], ['Site:Plant 1', false], [' fleet', false],
    // A fleet CA robots stop trusting (docs/incident-kit.md): the current one, or one by its id (a UUID, any case).
    ['distrust-ca:current', true], ['distrust-ca:6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f', true], ['distrust-ca:6F1C2D3E-4A5B-4C6D-8E7F-9A0B1C2D3E4F', true],
    ['distrust-ca:', false], ['distrust-ca:old', false], ['distrust-ca:current,other', false], ['distrust-ca:6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4', false], ['distrust-ca', false],
  ];
  it.each(ORDERS)('kit export --order %j: accepted %s', (spec, ok) => {
    const argv = ['kit', 'export', '--out', 'k', '--reason', 'r', '--order', spec];
    if (ok) expect(parse(argv).options.order).toBe(spec);
    else expect(refusal(argv)).toBe(`kit export: --order "${spec}" is not fleet, robot:ID[,ID...], site:NAME, model:NAME, firmware:VERSION, tag:TAG, distrust-ca:current or distrust-ca:CA-ID`);
  });

  const COUNTS: Array<[string, boolean]> = [['1', true], ['99999999', true], ['100000000', false], ['0x10', false], ['1.5', false], ['-1', false], ['', false], ['two', false]];
  it.each(COUNTS)('kit export --max-uses / --valid-for %j: accepted %s', (value, ok) => {
    for (const name of ['max-uses', 'valid-for']) {
      const argv = ['kit', 'export', '--out', 'k', '--reason', 'r', '--order', 'fleet', `--${name}=${value}`];
      if (ok) expect(parse(argv).options[name as 'max-uses']).toBe(value);
      else expect(refusal(argv)).toBe(`kit export: --${name} must be a whole number`);
    }
  });

  it('the offline commands need --kit; kit import and kit use take one argument', () => {
    expect(parse(['kit', 'import', '/media/kit'])).toMatchObject({ command: 'kit import', args: ['/media/kit'] });
    expect(parse(['kit', 'status', '--kit', '/media/kit'])).toMatchObject({ command: 'kit status', options: { kit: '/media/kit' } });
    expect(parse(['kit', 'robots', '--kit', '/media/kit'])).toMatchObject({ command: 'kit robots', options: { kit: '/media/kit' } });
    expect(parse(['kit', 'use', 'site Plant 1', '--kit', 'k', '--reason', 'stolen', '--out', 'o.json', '--force'])).toMatchObject({ command: 'kit use', args: ['site Plant 1'], options: { kit: 'k', reason: 'stolen', out: 'o.json', force: true } });
    for (const cmd of ['status', 'robots']) expect(refusal(['kit', cmd])).toBe(`kit ${cmd}: --kit is required`);
    expect(refusal(['kit', 'use', 'x', '--kit', 'k'])).toBe('kit use: --reason is required');
    expect(refusal(['kit', 'status', '--kit', 'k', '--out', 'o'])).toBe('kit status: option --out does not apply');
    expect(refusal(['kit', 'import'])).toBe('kit import: expected DIR, got none');
    expect(refusal(['kit', 'use', '--kit', 'k', '--reason', 'r'])).toBe('kit use: expected ORDER, got none');
    expect(parse(['kit', 'export', '--out', 'k', '--reason', 'r', '--order', 'fleet', '--message', 'Stop now', '--order-actions', 'stop_operating,safe_mode']).options)
      .toMatchObject({ message: 'Stop now', 'order-actions': 'stop_operating,safe_mode' });
  });

  it('kit status, robots and use are the offline console: they open no store (docs/incident-kit.md)', () => {
    expect([...KIT_OFFLINE_COMMANDS].sort()).toEqual(['kit robots', 'kit status', 'kit use']);
  });
});

describe('repeated options joined one per line', () => {
  it('backup --custodian, given once per custodian', () => {
    expect(parse(['backup', '--out', 'b.bak', '--k', '2', '--custodian', 'Ann', '--custodian', 'Bob']).options.custodian).toBe('Ann\nBob');
    expect(parse(['backup', '--out', 'b.bak']).options).not.toHaveProperty('custodian');
  });
});

describe('emergency execute --revoke-ca (docs/emergency-response.md, "Revoking the fleet CA")', () => {
  it('is one of the playbook actions, and alone is enough', () => {
    expect(PLAYBOOK_ACTIONS).toEqual(['compromise-keys', 'revoke-certs', 'revoke-ca', 'quarantine', 'rotate-shared', 'lockdown']);
    expect(parse(['emergency', 'execute', '--fleet', '--revoke-ca', '--reason', 'CA key leaked']).options).toMatchObject({ fleet: true, 'revoke-ca': true });
    expect(refusal(['emergency', 'execute', '--fleet', '--reason', 'x'])).toBe('emergency execute: give at least one action (--compromise-keys --revoke-certs --revoke-ca --quarantine --rotate-shared --lockdown)');
  });
});

describe('the second factor at sign-in: --totp, ECPS_TOKEN_PIN, --recovery-code (docs/cli.md, docs/operators.md)', () => {
  const CODE = '7K2M-9QXD-4HNA-0TRB';
  // [argv after "keys list", environment besides ECPS_OPERATOR, the fields expected]
  const ACCEPTED: Array<[string, string[], Record<string, string>, { totp?: string; tokenPin?: string; recoveryCode?: string }]> = [
    ['none given', [], {}, {}],
    ['--totp, six digits', ['--totp', '123456'], {}, { totp: '123456' }],
    ['--totp as the app shows it, "123 456"', ['--totp', '123 456'], {}, { totp: '123 456' }],
    ['ECPS_TOTP without the option', [], { ECPS_TOTP: '654321' }, { totp: '654321' }],
    ['--totp over ECPS_TOTP', ['--totp', '111111'], { ECPS_TOTP: '222222' }, { totp: '111111' }],
    ['an empty ECPS_TOTP is none', [], { ECPS_TOTP: '' }, {}],
    ['the token PIN from ECPS_TOKEN_PIN', [], { ECPS_TOKEN_PIN: '4711' }, { tokenPin: '4711' }],
    ['an empty ECPS_TOKEN_PIN is none', [], { ECPS_TOKEN_PIN: '' }, {}],
    ['--recovery-code as shown', ['--recovery-code', CODE], {}, { recoveryCode: CODE }],
    ['--recovery-code typed in lower case without dashes', ['--recovery-code', '7k2m9qxd4hna0trb'], {}, { recoveryCode: '7k2m9qxd4hna0trb' }],
    ['--recovery-code with spaces', ['--recovery-code', '7K2M 9QXD 4HNA 0TRB'], {}, { recoveryCode: '7K2M 9QXD 4HNA 0TRB' }],
    ['ECPS_RECOVERY_CODE without the option', [], { ECPS_RECOVERY_CODE: CODE }, { recoveryCode: CODE }],
    ['--recovery-code over ECPS_RECOVERY_CODE', ['--recovery-code', 'AAAA-BBBB-CCCC-DDDD'], { ECPS_RECOVERY_CODE: CODE }, { recoveryCode: 'AAAA-BBBB-CCCC-DDDD' }],
    ['an empty ECPS_RECOVERY_CODE is none', [], { ECPS_RECOVERY_CODE: '' }, {}],
    ['a code of 64 characters (the longest accepted)', ['--recovery-code', 'A'.repeat(64)], {}, { recoveryCode: 'A'.repeat(64) }],
  ];
  it.each(ACCEPTED)('%s', (_what, argv, env, fields) => {
    const p = parse(['keys', 'list', ...argv], { ECPS_OPERATOR: 'alice', ...env });
    expect({ totp: p.totp, tokenPin: p.tokenPin, recoveryCode: p.recoveryCode }).toEqual({ totp: undefined, tokenPin: undefined, recoveryCode: undefined, ...fields });
  });

  // [what, argv after "keys list", environment, what the usage error must name]
  const REFUSED: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['five digits', ['--totp', '12345'], {}, /^--totp \(or ECPS_TOTP\) must be the 6-digit code/],
    ['seven digits', ['--totp', '1234567'], {}, /^--totp \(or ECPS_TOTP\) must be the 6-digit code/],
    ['letters', ['--totp', 'abcdef'], {}, /^--totp \(or ECPS_TOTP\) must be the 6-digit code/],
    ['a code with text after it', ['--totp', '123456x'], {}, /^--totp \(or ECPS_TOTP\)/],
    ['text before a code', ['--totp', 'x123456'], {}, /^--totp \(or ECPS_TOTP\)/],
    ['a bad ECPS_TOTP', [], { ECPS_TOTP: '12-34-56' }, /^--totp \(or ECPS_TOTP\)/],
    ['an empty --recovery-code', ['--recovery-code', ''], {}, /^--recovery-code \(or ECPS_RECOVERY_CODE\) must be one of your recovery codes/],
    ['65 characters', ['--recovery-code', 'A'.repeat(65)], {}, /^--recovery-code \(or ECPS_RECOVERY_CODE\)/],
    ['a shell character', ['--recovery-code', '7K2M-9QXD;rm'], {}, /^--recovery-code \(or ECPS_RECOVERY_CODE\)/],
    ['a line break', ['--recovery-code', '7K2M\n9QXD'], {}, /^--recovery-code \(or ECPS_RECOVERY_CODE\)/],
    ['a bad ECPS_RECOVERY_CODE', [], { ECPS_RECOVERY_CODE: 'code=7K2M' }, /^--recovery-code \(or ECPS_RECOVERY_CODE\)/],
  ];
  it.each(REFUSED)('refuses %s', (_what, argv, env, message) => {
    let caught: unknown = null;
    try {
      parse(['keys', 'list', ...argv], { ECPS_OPERATOR: 'alice', ...env });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as Error).message).toMatch(message);
  });

  it('the token PIN is never taken from argv (docs/cli.md)', () => {
    // docs/cli.md: --pin or --token-pin, in any form, is refused with where the PIN comes from instead
    for (const flag of [['--token-pin', '4711'], ['--pin', '4711'], ['--PIN=4711'], ['-pin', '4711']]) {
      expect(refusal(['keys', 'list', ...flag]), flag.join(' ')).toMatch(/^refusing a token PIN on the command line: .*Set ECPS_TOKEN_PIN or type it at the prompt\.$/);
    }
    // an option whose name merely contains "pin" is not taken for one
    expect(refusal(['keys', 'list', '--pinned'])).toMatch(/Unknown option '--pinned'/);
  });

  it('operators recovery-codes takes exactly the word regenerate', () => {
    expect(parse(['operators', 'recovery-codes', 'regenerate'])).toMatchObject({ command: 'operators recovery-codes', args: ['regenerate'] });
    for (const args of [[], ['rotate'], ['regenerate', 'now']]) {
      expect(refusal(['operators', 'recovery-codes', ...args])).toBe('operators recovery-codes: expected regenerate');
    }
  });
});

describe('the approval key lists: --after or --all, not both (docs/cli.md)', () => {
  const COMMANDS = [['approvals', 'keys'], ['approvals', 'revoked-keys']];
  it.each(COMMANDS)('%s %s refuses both, and takes each alone', (a, b) => {
    expect(refusal([a!, b!, '--after', 'abc', '--all'])).toBe(`${a} ${b}: give --after or --all, not both`);
    expect(parse([a!, b!, '--after', 'abc']).options.after).toBe('abc');
    expect(parse([a!, b!, '--all']).options.all).toBe(true);
  });
});

describe('the approval key lists\' and ca crl\'s options, and their usage lines (docs/cli.md)', () => {
  // [argv, the options the parse must give]
  const ACCEPTED: Array<[string[], Record<string, string | boolean>]> = [
    [['approvals', 'keys', '--limit', '5', '--after', 'C1'], { limit: '5', after: 'C1' }],
    [['approvals', 'keys', '--limit', '500', '--all'], { limit: '500', all: true }],
    [['approvals', 'revoked-keys', '--limit', '1', '--after', 'C1'], { limit: '1', after: 'C1' }],
    [['approvals', 'revoked-keys', '--all', '--limit', '25'], { all: true, limit: '25' }],
    [['ca', 'crl', '--out', 'crl.pem'], { out: 'crl.pem' }],
    [['ca', 'crl', '--ca-id', 'CA1', '--out', 'crl.pem', '--force'], { 'ca-id': 'CA1', out: 'crl.pem', force: true }],
    [['ca', 'crl', '--published', '--ca-id', 'CA1', '--out', 'crl.pem'], { published: true, 'ca-id': 'CA1', out: 'crl.pem' }],
  ];
  it.each(ACCEPTED)('%j', (argv, options) => {
    const p = parse(argv);
    expect([p.command, p.args, p.options]).toEqual([argv.slice(0, 2).join(' '), [], options]);
  });

  // [argv, the message]
  const REFUSED: Array<[string[], string]> = [
    [['approvals', 'keys', '--limit', '0'], 'approvals keys: --limit must be a number from 1 to 1000'],
    [['approvals', 'revoked-keys', '--limit', 'ten'], 'approvals revoked-keys: --limit must be a number from 1 to 1000'],
    [['approvals', 'keys', '--out', 'f'], 'approvals keys: option --out does not apply'],
    [['approvals', 'revoked-keys', '--reason', 'r'], 'approvals revoked-keys: option --reason does not apply'],
    [['approvals', 'keys', '--all=yes'], "Option '--all' does not take an argument"],
    [['ca', 'crl', '--published'], 'ca crl: --out is required'],
    [['ca', 'crl', '--published=yes', '--out', 'f'], "Option '--published' does not take an argument"],
    [['ca', 'crl', 'CA1', '--out', 'f'], 'ca crl: expected no arguments, got 1'],
    [['ca', 'crl', '--out', 'f', '--reason', 'r'], 'ca crl: option --reason does not apply'],
    [['ca', 'history', '--published'], 'ca history: option --published does not apply'],
    [['ca', 'revoke', '--reason', 'r', '--published'], 'ca revoke: option --published does not apply'],
  ];
  it.each(REFUSED)('%j: %s', (argv, message) => {
    expect(refusal(argv).startsWith(message)).toBe(true);
  });

  it('the usage text documents them as docs/cli.md does', () => {
    const lines = [
      '  ca crl [--ca-id ID] --out FILE [--force]      a fresh CRL of the current CA, or of another CA by id (PEM)',
      '  ca crl --published [--ca-id ID] --out FILE    the last published CRL (any role; nothing is signed)',
      '  approvals revoked-keys [--limit N] [--after CURSOR | --all]',
      '                                                the approval keys revoked (removed by an admin or replaced): operator,',
      '                                                fingerprint, when, by whom, reason; newest first, a page at a time',
      '  approvals keys [--limit N] [--after CURSOR | --all]',
      '                                                who has an approval key enrolled now: operator, fingerprint, enrolled',
      '                                                at ("operator removed": a leftover key to revoke); newest first, paged',
    ];
    const usage = USAGE.split('\n');
    for (const line of lines) expect(usage, line).toContain(line);
  });
});
