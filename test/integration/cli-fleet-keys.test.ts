// The CLI's key assignment and key usage commands (key-assignments, assign-key, unassign-key, key-usage) through
// runCli in this process (the real binary runs them in cli-process.slow.test.ts) on a real store in a temp folder.
// Robots and the key versions they hold are seeded through a console while no command runs (the store admits one
// console at a time).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { silentLogger } from '../../electron/logger.ts';
import { contract, type ChannelInput, type ChannelName, type ChannelOutput } from '../../shared/contract.ts';
import { KEY_USAGE_PAGE, type KeyUsage, type RobotKeyAssignments, type SiteKeyAssignments } from '../../shared/fleetContract.ts';
import { CTX, FAST_KDF } from '../unit/store-testkit.ts';
import { cliRunner, type CliRun } from './support/cliProcess.ts';
import { exportAuditText } from './support/consoleCalls.ts';

const PASS = 'Fleet-Keys-Passphrase-Marker 0123';

const ROBOTS = KEY_USAGE_PAGE + 37; // more than one page of holders
const id = (i: number) => `uv-${String(i).padStart(4, '0')}`;
const siteOf = (i: number) => (i % 2 === 0 ? 'Plant A' : 'Plant B');
const AT_PLANT_A = Math.ceil(ROBOTS / 2);
const ON_V2 = 3; // robots 0..2 received v2 of the communication key; the others still hold v1

const { dir, cli: run } = cliRunner('ecps-cli-fleet-keys-', PASS, 'in-process');
const data = join(dir, 'store');

/** One command line with the passphrase in its environment; nothing it prints may contain the passphrase. */
async function cli(args: string[]): Promise<CliRun> {
  const r = await run(args);
  expect(r.stdout + r.stderr, args.join(' ')).not.toContain('Fleet-Keys-Passphrase-Marker');
  return r;
}

/** A successful run's stdout (exit 0, nothing on stderr). */
async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  expect(r.stderr, args.join(' ')).toBe('');
  expect(r.code, args.join(' ')).toBe(0);
  return r.stdout;
}

const json = async <T>(args: string[]): Promise<T> => JSON.parse(await ok([...args, '--json'])) as T;

/** A console in this process (the CLI must not be running), unlocked with the store's passphrase. */
async function withConsole<T>(fn: (call: <C extends ChannelName>(channel: C, input: ChannelInput<C>) => Promise<ChannelOutput<C>>, c: FleetConsole) => Promise<T>): Promise<T> {
  const c = await createConsole({ dataDir: data, kdf: FAST_KDF, logger: silentLogger });
  const call = async <C extends ChannelName>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> => {
    const parsed = contract[channel].input.parse(input);
    const raw = await (c.handlers[channel] as (i: unknown, ctx: typeof CTX) => Promise<unknown>)(parsed, CTX);
    return contract[channel].output.parse(raw) as ChannelOutput<C>;
  };
  try {
    await call('session:unlock', { operator: 'alice', passphrase: PASS }); // the CLI's operator (ECPS_OPERATOR), its first admin
    return await fn(call, c);
  } finally {
    c.close();
  }
}

let comm: string; // communication key, rotated to v2, held by every robot; assigned to site Plant A
let disk: string; // storage key assigned to robot 1
let spare: string; // storage key assigned to nobody (the newest unassigned one)

beforeAll(async () => {
  await ok(['init']);
  comm = (await json<{ id: string }>(['keys', 'create', '--type', 'communication', '--label', 'fleet comm'])).id;
  disk = (await json<{ id: string }>(['keys', 'create', '--type', 'storage', '--label', 'robot disk'])).id;
  spare = (await json<{ id: string }>(['keys', 'create', '--type', 'storage', '--label', 'spare disk'])).id;
  expect(await json<{ currentVersion: number }>(['keys', 'rotate', comm])).toMatchObject({ currentVersion: 2 });
  await withConsole(async (call, c) => {
    const rows = Array.from({ length: ROBOTS }, (_, i) => `${id(i)},Robot ${i},UV-7,${siteOf(i)},1.0.0,,manufactured`);
    expect(await call('fleet:importCsv', { csv: ['device_id,name,model,site,firmware,tags,status', ...rows].join('\n') + '\n' })).toEqual({ imported: ROBOTS });
    for (let i = 0; i < ROBOTS; i++) c.fleet.recordKeyVersions(id(i), [{ keyId: comm, version: i < ON_V2 ? 2 : 1 }], 'distribution');
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cli key assignment: usage errors (exit 2, the store untouched)', () => {
  it('needs exactly one of --device-id and --site, the required options, and a positive --version', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['key-assignments'], /key-assignments: give exactly one of --device-id or --site$/m],
      [['key-assignments', '--device-id', 'uv-0000', '--site', 'Plant A'], /key-assignments: give exactly one of --device-id or --site, not both/],
      [['assign-key', '--device-id', 'uv-0000', '--site', 'Plant A', '--type', 'storage', '--key', '00000000-0000-4000-8000-000000000000'], /assign-key: give exactly one of --device-id or --site, not both/],
      [['assign-key', '--type', 'storage', '--key', '00000000-0000-4000-8000-000000000000'], /assign-key: give exactly one of --device-id or --site/],
      [['assign-key', '--site', 'Plant A', '--key', '00000000-0000-4000-8000-000000000000'], /assign-key: --type is required/],
      [['unassign-key', '--device-id', 'uv-0000', '--site', 'Plant A', '--type', 'storage'], /unassign-key: give exactly one of --device-id or --site, not both/],
      [['unassign-key', '--site', 'Plant A', '--type', 'storage', '--key', 'x'], /unassign-key: option --key does not apply/],
      [['key-usage'], /key-usage: --key is required/],
      [['key-usage', '--key', '00000000-0000-4000-8000-000000000000', '--version', 'two'], /key-usage: --version must be a positive integer/],
      [['key-usage', '--key', '00000000-0000-4000-8000-000000000000', '--version', '0'], /key-usage: --version must be a positive integer/],
      [['key-usage', '--key', '00000000-0000-4000-8000-000000000000', '--version', '1.5'], /key-usage: --version must be a positive integer/],
      [['key-assignments', '--site', 'Plant A', '--all'], /key-assignments: option --all does not apply/],
    ];
    // Refused before the store is opened, so these command lines can run side by side.
    const runs = await Promise.all(cases.map(([args]) => cli(args)));
    for (const [i, [args, message]] of cases.entries()) {
      const r = runs[i]!;
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr, args.join(' ')).toMatch(/^usage error: /);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('help lists the four commands', async () => {
    const help = await ok(['help']);
    expect(help).toContain('key-assignments (--device-id ID | --site NAME)');
    expect(help).toContain('assign-key (--device-id ID | --site NAME) --type communication|storage --key ID');
    expect(help).toContain('unassign-key (--device-id ID | --site NAME) --type communication|storage');
    expect(help).toContain('key-usage --key ID [--version N] [--all]');
  });
});

describe('cli key assignment on a real store', () => {
  it('assigns a site key and a robot key (text and --json)', async () => {
    const site = await ok(['assign-key', '--site', 'Plant A', '--type', 'communication', '--key', comm]);
    const lines = site.split('\n');
    expect(lines[0]).toBe(`assigned the communication key "fleet comm" (${comm}) v2 to site Plant A`);
    expect(lines[1]).toBe('site Plant A assignments:');
    expect(lines[2]).toMatch(new RegExp(`^  communication: "fleet comm" \\(${comm}\\) v2, active; assigned \\d{4}-\\d\\d-\\d\\dT\\S+Z by alice$`));
    expect(lines.slice(3)).toEqual(['']);
    const robot = await json<{ scope: string; scopeId: string; assignments: unknown[] }>(['assign-key', '--device-id', id(1), '--type', 'storage', '--key', disk]);
    expect(robot).toEqual({
      scope: 'robot',
      scopeId: id(1),
      assignments: [
        { scope: 'robot', scopeId: id(1), keyType: 'storage', keyId: disk, keyLabel: 'robot disk', keyState: 'active', version: 1, assignedAt: expect.any(String), assignedBy: 'alice', problem: null },
      ],
    });
  });

  it("key-assignments --device-id shows each type's effective key and where it comes from", async () => {
    // Robot 0 (Plant A): communication from its site, storage the newest unassigned key (robot disk is dedicated).
    const r0 = await json<RobotKeyAssignments>(['key-assignments', '--device-id', id(0)]);
    expect(r0).toMatchObject({ deviceId: id(0), site: 'Plant A', robotAssignments: [], siteAssignments: [{ scope: 'site', scopeId: 'Plant A', keyType: 'communication', keyId: comm }] });
    expect(r0.effective).toEqual([
      { keyType: 'communication', keyId: comm, keyLabel: 'fleet comm', version: 2, source: 'site', error: null, errorCode: null },
      { keyType: 'storage', keyId: spare, keyLabel: 'spare disk', version: 1, source: 'newest', error: null, errorCode: null },
    ]);
    expect(await ok(['key-assignments', '--device-id', id(0)])).toBe(
      `robot ${id(0)} (site Plant A)\n` +
        `communication: "fleet comm" (${comm}) v2; source: assigned to site Plant A\n` +
        `storage: "spare disk" (${spare}) v1; source: newest unassigned key\n`,
    );

    // Robot 1 (Plant B): its own storage key; no communication key at all (the only one is dedicated to Plant A).
    const r1 = await json<RobotKeyAssignments>(['key-assignments', '--device-id', id(1)]);
    expect(r1.robotAssignments.map((a) => [a.keyType, a.keyId])).toEqual([['storage', disk]]);
    expect(r1.effective[0]).toMatchObject({ keyType: 'communication', keyId: null, source: 'none', errorCode: 'not_found' });
    expect(r1.effective[1]).toEqual({ keyType: 'storage', keyId: disk, keyLabel: 'robot disk', version: 1, source: 'robot', error: null, errorCode: null });
    const text1 = (await ok(['key-assignments', '--device-id', id(1)])).split('\n');
    expect(text1[0]).toBe(`robot ${id(1)} (site Plant B)`);
    expect(text1[1]).toBe('communication: no key; source: none');
    expect(text1[2]).toBe(`  error [not_found]: ${r1.effective[0]!.error}`);
    expect(text1[3]).toBe(`storage: "robot disk" (${disk}) v1; source: assigned to robot ${id(1)}`);
  });

  it("key-assignments --site shows the site's rows and its robot count", async () => {
    const a = await json<SiteKeyAssignments>(['key-assignments', '--site', 'Plant A']);
    expect(a).toMatchObject({ site: 'Plant A', robots: AT_PLANT_A });
    expect(a.assignments.map((x) => [x.keyType, x.keyId, x.version, x.assignedBy, x.problem])).toEqual([['communication', comm, 2, 'alice', null]]);
    const text = await ok(['key-assignments', '--site', 'Plant A']);
    expect(text).toMatch(new RegExp(`^site Plant A: ${AT_PLANT_A} robots\\ncommunication: "fleet comm" \\(${comm}\\) v2, active; assigned \\S+ by alice\\nstorage: not assigned\\n$`));
    const b = await ok(['key-assignments', '--site', 'Plant B']);
    expect(b).toBe(`site Plant B: ${ROBOTS - AT_PLANT_A} robots\ncommunication: not assigned\nstorage: not assigned\n`);
  });

  it('shows a broken assignment (its key suspended) with its error, and refuses nothing else', async () => {
    await ok(['keys', 'state', comm, 'suspended', '--reason', 'key ceremony review']);
    const view = await json<RobotKeyAssignments>(['key-assignments', '--device-id', id(0)]);
    const broken = view.effective[0]!;
    expect(broken).toMatchObject({ keyType: 'communication', keyId: comm, source: 'site', errorCode: 'key_disabled' });
    expect(broken.error).toContain(`The communication key "fleet comm" (${comm}) assigned to site Plant A is suspended; only active keys are delivered.`);
    const text = (await ok(['key-assignments', '--device-id', id(0)])).split('\n');
    expect(text[1]).toBe(`communication: "fleet comm" (${comm}) v2; source: assigned to site Plant A (broken assignment)`);
    expect(text[2]).toBe(`  error [key_disabled]: ${broken.error}`);
    const site = (await ok(['key-assignments', '--site', 'Plant A'])).split('\n');
    expect(site[1]).toMatch(new RegExp(`^communication: "fleet comm" \\(${comm}\\) v2, suspended; assigned`));
    expect(site[2]).toBe(`  problem: ${broken.error}`);
    await ok(['keys', 'state', comm, 'active', '--reason', 'review done']);
    expect((await json<RobotKeyAssignments>(['key-assignments', '--device-id', id(0)])).effective[0]).toMatchObject({ source: 'site', error: null });
  });

  it('unassigns a robot key (the robot falls back to the newest unassigned key); a second unassign is not_found', async () => {
    expect(await ok(['unassign-key', '--device-id', id(1), '--type', 'storage'])).toBe(`cleared the storage key assignment of robot ${id(1)}\nrobot ${id(1)} has no key assignments\n`);
    const view = await json<RobotKeyAssignments>(['key-assignments', '--device-id', id(1)]);
    expect(view.robotAssignments).toEqual([]);
    expect(view.effective[1]).toMatchObject({ keyType: 'storage', source: 'newest', error: null });
    const again = await cli(['unassign-key', '--device-id', id(1), '--type', 'storage']);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(new RegExp(`^error \\[not_found\\]: Robot ${id(1)} has no storage key assignment to clear\\.`));
    // --json prints the channel's result: the scope and what is left assigned to it
    expect(await json(['unassign-key', '--site', 'Plant A', '--type', 'communication'])).toEqual({ scope: 'site', scopeId: 'Plant A', assignments: [] });
    expect(await json<SiteKeyAssignments>(['key-assignments', '--site', 'Plant A'])).toMatchObject({ assignments: [] });
    await ok(['assign-key', '--site', 'Plant A', '--type', 'communication', '--key', comm]); // back, for key-usage
  });
});

describe('cli key usage on a real store', () => {
  const v1Holders = Array.from({ length: ROBOTS - ON_V2 }, (_, i) => i + ON_V2);

  it('prints the counts per version, the first page of holders, how many more, and the assignments', async () => {
    const lines = (await ok(['key-usage', '--key', comm])).trimEnd().split('\n');
    expect(lines[0]).toBe(`${ROBOTS} robots hold this key (v1: ${ROBOTS - ON_V2}, v2: ${ON_V2}); current version v2`);
    expect(lines[1]).toMatch(/^DEVICE ID\s+VERSION\s+SITE\s+STATUS$/);
    const rows = lines.slice(2, 2 + KEY_USAGE_PAGE);
    // oldest version first (the robots that block retiring it), then by device id
    expect(rows[0]).toMatch(new RegExp(`^${id(ON_V2)}\\s+v1\\s+${siteOf(ON_V2)}\\s+manufactured$`));
    expect(rows.map((l) => l.split(/\s+/)[0])).toEqual(v1Holders.slice(0, KEY_USAGE_PAGE).map(id));
    expect(lines[2 + KEY_USAGE_PAGE]).toBe(`... and ${ROBOTS - KEY_USAGE_PAGE} more holders (--all lists every one)`);
    expect(lines[3 + KEY_USAGE_PAGE]).toBe('assignments:');
    expect(lines[4 + KEY_USAGE_PAGE]).toMatch(new RegExp(`^  site Plant A: communication: "fleet comm" \\(${comm}\\) v2, active; assigned \\S+ by alice$`));
    expect(lines).toHaveLength(5 + KEY_USAGE_PAGE);

    const page = await json<KeyUsage>(['key-usage', '--key', comm]);
    expect(page).toMatchObject({ keyId: comm, currentVersion: 2, robots: ROBOTS, matching: ROBOTS, offset: 0 });
    expect(page.versions).toEqual([{ version: 1, robots: ROBOTS - ON_V2 }, { version: 2, robots: ON_V2 }]);
    expect(page.holders).toHaveLength(KEY_USAGE_PAGE);
    expect(page.holders[0]).toEqual({ deviceId: id(ON_V2), name: `Robot ${ON_V2}`, site: siteOf(ON_V2), status: 'manufactured', version: 1, recordedAt: expect.any(String), source: 'distribution' });
    expect(page.assignments.map((a) => [a.scope, a.scopeId, a.keyType])).toEqual([['site', 'Plant A', 'communication']]);
  });

  it('--version filters the holders (the counts still cover every version)', async () => {
    const v2 = await json<KeyUsage>(['key-usage', '--key', comm, '--version', '2']);
    expect(v2).toMatchObject({ robots: ROBOTS, matching: ON_V2 });
    expect(v2.holders.map((h) => [h.deviceId, h.version])).toEqual([[id(0), 2], [id(1), 2], [id(2), 2]]);
    const text = (await ok(['key-usage', '--key', comm, '--version', '2'])).split('\n');
    expect(text[0]).toBe(`${ROBOTS} robots hold this key (v1: ${ROBOTS - ON_V2}, v2: ${ON_V2}); current version v2`);
    expect(text[1]).toBe(`${ON_V2} robots hold v2`);
    expect(text.slice(3, 6).map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual([`${id(0)} v2`, `${id(1)} v2`, `${id(2)} v2`]);
    expect(text.join('\n')).not.toContain('more holders');
    const nobody = await json<KeyUsage>(['key-usage', '--key', comm, '--version', '7']);
    expect(nobody).toMatchObject({ matching: 0, holders: [] });
  });

  it('--all pages through every holder: one table, or one JSON object with all holders', async () => {
    const all = await json<KeyUsage>(['key-usage', '--key', comm, '--all']);
    expect(all).toMatchObject({ keyId: comm, robots: ROBOTS, matching: ROBOTS, offset: 0 });
    expect(all.holders).toHaveLength(ROBOTS);
    expect(all.holders.map((h) => h.deviceId)).toEqual([...v1Holders, 0, 1, 2].map(id));
    expect(new Set(all.holders.map((h) => h.deviceId)).size).toBe(ROBOTS);

    const text = (await ok(['key-usage', '--key', comm, '--all'])).trimEnd().split('\n');
    expect(text.filter((l) => /^uv-\d{4}\s/.test(l))).toHaveLength(ROBOTS);
    expect(text.join('\n')).not.toContain('more holders');

    const v1 = await json<KeyUsage>(['key-usage', '--key', comm, '--version', '1', '--all']);
    expect(v1.matching).toBe(ROBOTS - ON_V2);
    expect(v1.holders.map((h) => h.deviceId)).toEqual(v1Holders.map(id));
  });

  it('a key that no robot holds and nobody is assigned', async () => {
    expect(await ok(['key-usage', '--key', spare])).toBe('0 robots hold this key; current version v1\nassigned to no robot or site\n');
  });
});

describe('cli key assignment and usage: errors from the router', () => {
  const unknownKey = '00000000-0000-4000-8000-000000000000';

  it('an unknown key, robot or site is not_found (exit 1)', async () => {
    for (const args of [
      ['key-usage', '--key', unknownKey],
      ['assign-key', '--device-id', id(4), '--type', 'storage', '--key', unknownKey],
      ['key-assignments', '--device-id', 'uv-9999'],
      ['key-assignments', '--site', 'Atlantis'],
    ]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr, args.join(' ')).toMatch(/^error \[not_found\]: .+\nhint: /);
    }
  });

  it('malformed ids and types are the router\'s invalid_input (exit 1), naming the field', async () => {
    const cases: Array<[string[], string]> = [
      [['key-usage', '--key', 'not-a-uuid'], 'Invalid input for fleet:keyUsage: keyId: must be a key id (UUID)'],
      [['assign-key', '--device-id', id(4), '--type', 'storage', '--key', 'not-a-uuid'], 'Invalid input for fleet:assignKey: keyId: must be a key id (UUID)'],
      [['assign-key', '--device-id', 'bad id!', '--type', 'storage', '--key', disk], 'Invalid input for fleet:assignKey: scopeId: for scope robot: must be a device id'],
      [['assign-key', '--site', 'Plant A', '--type', 'rocket', '--key', disk], 'Invalid input for fleet:assignKey: keyType: '],
      [['unassign-key', '--site', 'Plant <A>', '--type', 'storage'], 'Invalid input for fleet:clearKeyAssignment: scopeId: for scope site: must be a site name'],
      [['key-assignments', '--device-id', 'ab'], 'Invalid input for fleet:keyAssignments: deviceId: must be a device id'],
      [['key-usage', '--key', comm, '--version', '2000000'], 'Invalid input for fleet:keyUsage: version: '],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr, args.join(' ')).toContain(`error [invalid_input]: ${message}`);
    }
  });

  it('assign-key is audited as the channel does: successes and the refused unknown key, in an intact chain', async () => {
    expect(await ok(['audit', 'verify'])).toMatch(/^audit chain intact: \d+ records/);
    await withConsole(async (call, c) => {
      const { records } = await call('audit:query', { action: 'fleet.key.assign', offset: 0, limit: 100 });
      const robot = records.find((r) => r.targetType === 'robot' && r.targetId === id(1) && r.outcome === 'success');
      expect(robot).toMatchObject({ actor: 'alice', details: { scope: 'robot', scopeId: id(1), keyType: 'storage', keyId: disk, version: 1, previousKeyId: null } });
      const refused = records.filter((r) => r.outcome === 'failure');
      expect(refused.map((r) => [r.targetId, r.details.keyId, r.details.code])).toEqual([[id(4), unknownKey, 'not_found']]);
      // Two site assignments (filed under the key) and the robot's; the router refused the malformed inputs before
      // the channel, so they left no record.
      expect(records.filter((r) => r.outcome === 'success').map((r) => [r.targetType, r.targetId])).toEqual(
        expect.arrayContaining([['key', comm], ['key', comm], ['robot', id(1)]]),
      );
      expect(records).toHaveLength(4);
      const unassigned = await call('audit:query', { action: 'fleet.key.unassign', offset: 0, limit: 100 });
      expect(unassigned.records.map((r) => [r.targetType, r.targetId, r.outcome])).toEqual(
        expect.arrayContaining([['robot', id(1), 'success'], ['robot', id(1), 'failure'], ['key', comm, 'success']]),
      );
      const all = await exportAuditText(c);
      expect(all.content).not.toContain('Fleet-Keys-Passphrase-Marker');
    });
  });
});
