// `rotation rollout` run as a function (runCli) in this process on a real store, against docs/cli.md ("rotation
// rollout goes through the rollout:* channels") and docs/rotation.md ("Policy": the fields and the built-in values;
// "Grace and retirement"):
// - `policy [--key ID]` prints the policy in force and where it comes from (the built-in default, the default an
//   officer set, or a key's own); `policy set` reads it and sends it with ONLY the fields given changed; `policy clear`
//   removes the default (back to built-in) or a key's own (back to the default); each prints the policy then in force;
//   `--json` prints {policy, source}. Reading is every role's; setting and clearing the admin's (exit 1 forbidden);
//   a value out of range exits 1 invalid_input; usage mistakes exit 2;
// - `list` prints one line per rollout and its progress per wave and site ("no rollouts" when none); `halt` (reason
//   required) and `resume` print the rollout; `versions KEY` one line per version; `retire KEY VERSION` is refused
//   while robots hold it (illegal_transition) unless `--force --reason`, which flags them; `reinstate` for 1-90 days;
//   halt, resume, retire and reinstate need the `keys` permission (docs/operators.md: key custodian or admin).
// Expected values are the docs' (the built-in table) and the rows written here; each test runs its own commands.
import { describe, expect, it } from 'vitest';
import { createConsole } from '../../electron/app.ts';
import { silentLogger } from '../../electron/logger.ts';
import { addOperators } from '../integration/support/consoleCalls.ts';
import { cli, cliEnv, cliFolder, ok, PASS, refused, TEST_CTX, usageError } from './cli-run-testkit.ts';

const { fresh } = cliFolder('ecps-cli-run-rollout-');
const passOf = (name: string) => (name === 'alice' ? PASS : `${name} has a long passphrase`);
const as = (name: string) => cliEnv({ ECPS_OPERATOR: name, ECPS_PASSPHRASE: passOf(name) });
const TEAM = [
  { name: 'Kate', role: 'key_custodian' },
  { name: 'Otto', role: 'security_officer' },
  { name: 'Vera', role: 'viewer' },
] as const;

/** docs/rotation.md "Policy", the built-in column. */
const BUILTIN = { canaryRobots: [] as string[], canaryPercent: 10, canarySites: [] as string[], maxFailureRatio: 0.1, graceVersions: 1, graceSeconds: 604_800 };
type Policy = typeof BUILTIN;
const line = (from: string, p: Policy) =>
  `rollout policy (${from}): canary ${p.canaryPercent} % of ${p.canarySites.length ? p.canarySites.join(',') : 'every site'}, canary robots ${p.canaryRobots.length ? p.canaryRobots.join(',') : 'none'}, halt above ${p.maxFailureRatio} failed, grace ${p.graceVersions} version(s) for ${p.graceSeconds} s`;

/** One flag of `policy set` each: what is given, and the one field it changes (lists: comma-separated, trimmed). */
const FIELDS: Array<[string, string, Partial<Policy>]> = [
  ['--canary-percent', '25', { canaryPercent: 25 }],
  ['--canary-percent', '0', { canaryPercent: 0 }],
  ['--canary-robots', 'uv-001, uv-002,', { canaryRobots: ['uv-001', 'uv-002'] }],
  ['--canary-sites', ' Plant 1 ,Plant 2', { canarySites: ['Plant 1', 'Plant 2'] }],
  ['--max-failure-ratio', '0.5', { maxFailureRatio: 0.5 }],
  ['--max-failure-ratio', '0', { maxFailureRatio: 0 }],
  ['--grace-versions', '3', { graceVersions: 3 }],
  ['--grace-seconds', '60', { graceSeconds: 60 }],
];

/**
 * A store with alice (admin) and the team; key `link` at v1 held by uv-c1 and uv-c2 of Plant A, rotated to v2 under a
 * default policy of a 50 % canary (so a rollout of two waves is queued), and key `spare` never rotated.
 */
async function rolloutStore(): Promise<{ dir: string; link: string; spare: string }> {
  const dir = fresh();
  const c = await createConsole({ dataDir: dir, kdf: { N: 1024, r: 8, p: 1 }, logger: silentLogger, rotation: { scheduler: false } });
  try {
    await c.handlers['session:init']({ operator: 'alice', passphrase: PASS }, TEST_CTX);
    await addOperators(c, { name: 'alice', passphrase: PASS }, TEAM.map((op) => ({ name: op.name, role: op.role, passphrase: passOf(op.name) })));
    const link = (await c.keys.create({ type: 'communication', label: 'link' })).id;
    const spare = (await c.keys.create({ type: 'communication', label: 'spare' })).id;
    await c.handlers['rollout:setPolicy']({ policy: { ...BUILTIN, canaryPercent: 50, maxFailureRatio: 0, graceSeconds: 3600 } }, TEST_CTX);
    for (const deviceId of ['uv-c1', 'uv-c2']) c.fleet.recordProvisioned(deviceId, [{ keyId: link, version: 1 }], { name: deviceId, model: 'UV-7', site: 'Plant A', firmware: '1.0', tags: [] });
    await c.keys.rotate(link);
    // The default back to the built-in one: the policy tests start from the docs' table.
    await c.handlers['rollout:clearPolicy']({}, TEST_CTX);
    return { dir, link, spare };
  } finally {
    c.close();
  }
}

describe('rotation rollout policy', () => {
  it('every role reads the built-in default (docs/rotation.md) with no policy stored, for the fleet and for a key', async () => {
    const { dir, spare } = await rolloutStore();
    for (const who of ['alice', 'Kate', 'Otto', 'Vera']) {
      expect(JSON.parse(ok(await cli(['rotation', 'rollout', 'policy', '--json', '--data-dir', dir], { env: as(who) })).stdout), who).toEqual({ policy: BUILTIN, source: 'builtin' });
      expect(ok(await cli(['rotation', 'rollout', 'policy', '--data-dir', dir], { env: as(who) })).stdout, who).toBe(`${line('the built-in default', BUILTIN)}\n`);
    }
    expect(JSON.parse(ok(await cli(['rotation', 'rollout', 'policy', '--key', spare, '--json', '--data-dir', dir])).stdout)).toEqual({ policy: BUILTIN, source: 'builtin' });
  });

  it('set changes only the field given (each flag alone), prints the policy then in force; clear goes back to built-in', async () => {
    const { dir } = await rolloutStore();
    for (const [flag, value, changed] of FIELDS) {
      const want = { ...BUILTIN, ...changed };
      const set = ok(await cli(['rotation', 'rollout', 'policy', 'set', flag, value, '--data-dir', dir]));
      expect(set.stdout, `${flag} ${value}`).toBe(`${line('the default', want)}\n`);
      expect(JSON.parse(ok(await cli(['rotation', 'rollout', 'policy', '--json', '--data-dir', dir])).stdout), `${flag} ${value}`).toEqual({ policy: want, source: 'default' });
      const cleared = ok(await cli(['rotation', 'rollout', 'policy', 'clear', '--data-dir', dir]));
      expect(cleared.stdout, `${flag} ${value}`).toBe(`${line('the built-in default', BUILTIN)}\n`);
    }
  });

  it('set keeps the fields stored before: two sets in a row add up; --json prints {policy, source}', async () => {
    const { dir } = await rolloutStore();
    ok(await cli(['rotation', 'rollout', 'policy', 'set', '--canary-percent', '30', '--grace-versions', '2', '--data-dir', dir]));
    const v = JSON.parse(ok(await cli(['rotation', 'rollout', 'policy', 'set', '--canary-sites', 'Plant A', '--max-failure-ratio', '0.2', '--json', '--data-dir', dir])).stdout);
    expect(v).toEqual({ policy: { ...BUILTIN, canaryPercent: 30, graceVersions: 2, canarySites: ['Plant A'], maxFailureRatio: 0.2 }, source: 'default' });
    expect(JSON.parse(ok(await cli(['rotation', 'rollout', 'policy', 'clear', '--json', '--data-dir', dir])).stdout)).toEqual({ policy: BUILTIN, source: 'builtin' });
  });

  it('a key\'s own policy: set from the default in force, named in the line; clear gives the default back', async () => {
    const { dir, spare, link } = await rolloutStore();
    const fleetDefault = { ...BUILTIN, graceSeconds: 7200 };
    ok(await cli(['rotation', 'rollout', 'policy', 'set', '--grace-seconds', '7200', '--data-dir', dir]));
    const own = { ...fleetDefault, canaryRobots: ['uv-c2'], graceVersions: 4 };
    const set = ok(await cli(['rotation', 'rollout', 'policy', 'set', '--key', spare, '--canary-robots', 'uv-c2', '--grace-versions', '4', '--data-dir', dir]));
    expect(set.stdout).toBe(`${line(`key ${spare}'s own`, own)}\n`);
    expect(JSON.parse(ok(await cli(['rotation', 'rollout', 'policy', '--key', spare, '--json', '--data-dir', dir])).stdout)).toEqual({ policy: own, source: 'key' });
    // The fleet default and another key are untouched.
    expect(JSON.parse(ok(await cli(['rotation', 'rollout', 'policy', '--json', '--data-dir', dir])).stdout)).toEqual({ policy: fleetDefault, source: 'default' });
    expect(ok(await cli(['rotation', 'rollout', 'policy', '--key', link, '--data-dir', dir])).stdout).toBe(`${line('the default', fleetDefault)}\n`);
    // A second set starts from the key's own policy, not the default: its grace of 4 versions stays.
    const own2 = { ...own, canaryPercent: 20 };
    expect(JSON.parse(ok(await cli(['rotation', 'rollout', 'policy', 'set', '--key', spare, '--canary-percent', '20', '--json', '--data-dir', dir])).stdout)).toEqual({ policy: own2, source: 'key' });
    const cleared = ok(await cli(['rotation', 'rollout', 'policy', 'clear', '--key', spare, '--data-dir', dir]));
    expect(cleared.stdout).toBe(`${line('the default', fleetDefault)}\n`);
    expect(JSON.parse(ok(await cli(['rotation', 'rollout', 'policy', '--key', spare, '--json', '--data-dir', dir])).stdout)).toEqual({ policy: fleetDefault, source: 'default' });
  });

  it('only an admin sets or clears (others exit 1 forbidden, nothing changed); out of range exits 1 invalid_input', async () => {
    const { dir, spare } = await rolloutStore();
    for (const who of ['Kate', 'Otto', 'Vera']) {
      refused(await cli(['rotation', 'rollout', 'policy', 'set', '--canary-percent', '40', '--data-dir', dir], { env: as(who) }), 'forbidden');
      refused(await cli(['rotation', 'rollout', 'policy', 'set', '--key', spare, '--canary-percent', '40', '--data-dir', dir], { env: as(who) }), 'forbidden');
      refused(await cli(['rotation', 'rollout', 'policy', 'clear', '--data-dir', dir], { env: as(who) }), 'forbidden');
    }
    for (const [flag, value] of [['--canary-percent', '101'], ['--max-failure-ratio', '1.5'], ['--canary-robots', 'not a device id!']]) {
      refused(await cli(['rotation', 'rollout', 'policy', 'set', flag!, value!, '--data-dir', dir]), 'invalid_input');
    }
    refused(await cli(['rotation', 'rollout', 'policy', '--key', 'not-a-key-id', '--data-dir', dir]), 'invalid_input');
    expect(JSON.parse(ok(await cli(['rotation', 'rollout', 'policy', '--json', '--data-dir', dir])).stdout)).toEqual({ policy: BUILTIN, source: 'builtin' });
  });

  it('usage mistakes exit 2', async () => {
    const dir = fresh('never');
    for (const args of [
      ['rotation', 'rollout', 'policy', 'change'],
      ['rotation', 'rollout', 'policy', 'set'],
      ['rotation', 'rollout', 'policy', 'set', '--canary-percent', 'ten'],
      ['rotation', 'rollout', 'policy', '--grace-seconds', '10'],
      ['rotation', 'rollout', 'policy', 'clear', '--grace-versions', '2'],
    ]) usageError(await cli([...args, '--data-dir', dir]));
  });
});

describe('rotation rollout list, halt, resume, versions, retire, reinstate', () => {
  const head = (id: string, key: string, state: string, tail = '') => `${id}  key ${key}  v1 -> v2  ${state}  wave 1/2 open  0/2 installed, 0 failed, 2 pending${tail}`;
  const WAVES = ['  wave 1 (canary)  Plant A: 0/1 installed, 0 failed, 1 pending', '  wave 2  Plant A: 0/1 installed, 0 failed, 1 pending'];

  it('list: one line per rollout and a line per wave and site; --json; "no rollouts" for a key without one', async () => {
    const { dir, link, spare } = await rolloutStore();
    const { rollouts } = JSON.parse(ok(await cli(['rotation', 'rollout', 'list', '--json', '--data-dir', dir], { env: as('Vera') })).stdout) as { rollouts: Array<Record<string, unknown>> };
    expect(rollouts).toHaveLength(1);
    const r = rollouts[0]!;
    expect(r).toMatchObject({ keyId: link, fromVersion: 1, toVersion: 2, state: 'running', openWave: 1, waves: 2, robots: 2, installed: 0, failed: 0, pending: 2, haltReason: null });
    const id = r.rolloutId as string;
    expect(ok(await cli(['rotation', 'rollout', 'list', '--data-dir', dir], { env: as('Vera') })).stdout).toBe([head(id, link, 'running'), ...WAVES].join('\n') + '\n');
    expect(ok(await cli(['rotation', 'rollout', 'list', '--key', link, '--limit', '1', '--data-dir', dir])).stdout).toBe([head(id, link, 'running'), ...WAVES].join('\n') + '\n');
    expect(ok(await cli(['rotation', 'rollout', 'list', '--key', spare, '--data-dir', dir])).stdout).toBe('no rollouts\n');
    expect(JSON.parse(ok(await cli(['rotation', 'rollout', 'list', '--key', spare, '--json', '--data-dir', dir])).stdout)).toEqual({ rollouts: [] });
    // A second rotation queues a second rollout (v2 -> v3): --limit 1 lists one; the text form has both, each head on
    // its own line followed by its waves.
    ok(await cli(['keys', 'rotate', link, '--data-dir', dir]));
    const both = (JSON.parse(ok(await cli(['rotation', 'rollout', 'list', '--json', '--data-dir', dir])).stdout) as { rollouts: Array<{ rolloutId: string; toVersion: number }> }).rollouts;
    expect(both.map((x) => x.toVersion).sort()).toEqual([2, 3]);
    expect((JSON.parse(ok(await cli(['rotation', 'rollout', 'list', '--limit', '1', '--json', '--data-dir', dir])).stdout) as { rollouts: unknown[] }).rollouts).toHaveLength(1);
    const lines = ok(await cli(['rotation', 'rollout', 'list', '--data-dir', dir])).stdout.split('\n');
    for (const x of both) expect(lines.some((l) => l.startsWith(`${x.rolloutId}  key ${link}  v${x.toVersion - 1} -> v${x.toVersion}  `)), x.rolloutId).toBe(true);
    expect(lines.filter((l) => l.startsWith('  wave ')).length + 2 + 1).toBe(lines.length);
  });

  it('halt with a reason, then resume: each prints the rollout; a second halt is illegal_transition; a viewer may not', async () => {
    const { dir, link } = await rolloutStore();
    const id = (JSON.parse(ok(await cli(['rotation', 'rollout', 'list', '--json', '--data-dir', dir])).stdout) as { rollouts: Array<{ rolloutId: string }> }).rollouts[0]!.rolloutId;
    refused(await cli(['rotation', 'rollout', 'halt', id, '--reason', 'x', '--data-dir', dir], { env: as('Vera') }), 'forbidden');
    const halted = ok(await cli(['rotation', 'rollout', 'halt', id, '--reason', 'storm at Plant A', '--data-dir', dir]));
    expect(halted.stdout).toBe([head(id, link, 'halted', '  (storm at Plant A)'), ...WAVES].join('\n') + '\n');
    refused(await cli(['rotation', 'rollout', 'halt', id, '--reason', 'twice', '--data-dir', dir]), 'illegal_transition');
    const resumed = JSON.parse(ok(await cli(['rotation', 'rollout', 'resume', id, '--reason', 'storm over', '--json', '--data-dir', dir])).stdout);
    expect(resumed).toMatchObject({ rolloutId: id, state: 'running', haltReason: null });
    refused(await cli(['rotation', 'rollout', 'resume', id, '--data-dir', dir]), 'illegal_transition');
    // resume without a reason (optional) of a halted rollout.
    ok(await cli(['rotation', 'rollout', 'halt', id, '--reason', 'again', '--data-dir', dir]));
    expect(ok(await cli(['rotation', 'rollout', 'resume', id, '--data-dir', dir])).stdout).toBe([head(id, link, 'running'), ...WAVES].join('\n') + '\n');
    refused(await cli(['rotation', 'rollout', 'resume', '0b7c2a52-3f1e-4c1a-9a57-3c7f2b8e4d10', '--data-dir', dir]), 'not_found');
  });

  it('versions, retire (refused while held, forced with a reason: the holders flagged), reinstate for N days', async () => {
    const { dir, link } = await rolloutStore();
    expect(ok(await cli(['rotation', 'rollout', 'versions', link, '--data-dir', dir], { env: as('Vera') })).stdout).toBe('v1  in its grace  2 robots hold it\nv2  current  0 robots hold it\n');
    // Retiring and reinstating need the keys permission (docs/operators.md: key custodian, admin).
    refused(await cli(['rotation', 'rollout', 'retire', link, '1', '--force', '--reason', 'x', '--data-dir', dir], { env: as('Otto') }), 'forbidden');
    const held = await cli(['rotation', 'rollout', 'retire', link, '1', '--data-dir', dir], { env: as('Kate') });
    refused(held, 'illegal_transition');
    const forced = ok(await cli(['rotation', 'rollout', 'retire', link, '1', '--force', '--reason', 'unit lost in transit', '--data-dir', dir], { env: as('Kate') }));
    expect(forced.stdout).toMatch(/^v1 {2}retired \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z by Kate \(forced: unit lost in transit\) {2}2 robots hold it\nflagged as needing a visit: uv-c1, uv-c2\n$/);
    const v = JSON.parse(ok(await cli(['rotation', 'rollout', 'versions', link, '--json', '--data-dir', dir])).stdout) as { versions: Array<Record<string, unknown>> };
    expect(v.versions[0]).toMatchObject({ version: 1, state: 'retired', retiredBy: 'Kate', forced: true, reason: 'unit lost in transit' });
    refused(await cli(['rotation', 'rollout', 'reinstate', link, '1', '--reason', 're-encrypt logs', '--days', '91', '--data-dir', dir], { env: as('Kate') }), 'invalid_input');
    const back = ok(await cli(['rotation', 'rollout', 'reinstate', link, '1', '--reason', 're-encrypt logs', '--days', '3', '--data-dir', dir], { env: as('Kate') }));
    // Reinstated: it decrypts again (in its grace) until the days have passed.
    expect(back.stdout).toMatch(/^v1 {2}in its grace, reinstated until (\S+) {2}2 robots hold it\n$/);
    const until = /reinstated until (\S+)/.exec(back.stdout)![1]!;
    const retiredAt = /retired (\S+) by/.exec(forced.stdout)![1]!;
    // 3 days after the reinstatement, which came after the retirement.
    expect(Date.parse(until) - Date.parse(retiredAt)).toBeGreaterThanOrEqual(3 * 86_400_000);
    expect(Date.parse(until) - Date.parse(retiredAt)).toBeLessThan(4 * 86_400_000);
  });

  it('retire of a version no robot holds needs no --force and flags no one', async () => {
    const { dir, spare } = await rolloutStore();
    ok(await cli(['keys', 'rotate', spare, '--data-dir', dir]));
    const r = ok(await cli(['rotation', 'rollout', 'retire', spare, '1', '--reason', 'nobody holds it', '--data-dir', dir], { env: as('Kate') }));
    expect(r.stdout).toMatch(/^v1 {2}retired \S+ by Kate {2}0 robots hold it\n$/);
    const j = JSON.parse(ok(await cli(['rotation', 'rollout', 'versions', spare, '--json', '--data-dir', dir])).stdout) as { versions: Array<Record<string, unknown>> };
    expect(j.versions[0]).toMatchObject({ version: 1, state: 'retired', forced: false });
  });
});
