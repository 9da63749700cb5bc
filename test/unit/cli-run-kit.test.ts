// The incident kit's commands run as a function (runCli) in this process, against docs/cli.md ("kit export / kit
// import / kit status / kit robots / kit use") and docs/incident-kit.md ("Using it", "What is inside"): the forms
// cli-run-security.test.ts does not check line by line. Offline commands open no store; `kit status` and every offline
// answer say `offline: true` (--json) and the text starts with `OFFLINE:`; `kit robots` lists the registry copy;
// `kit use` quarantines the robots of the order's scope that may become quarantined and lists the others as skipped,
// writes the signed order only with --out; `kit export` defaults to 3 uses and 7 days per order; `kit import` reports
// the records merged, the orders used, the robots quarantined, conflicts and gaps.
// The store (robots, sites, statuses) is written in the test; each test runs its own commands.
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliEnv, cliFolder, escapeRegExp, fleetStore, ok, refused, TEST_CTX, withConsole } from './cli-run-testkit.ts';

const { fresh } = cliFolder('ecps-cli-run-kit-');
const ISO = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`;

/**
 * fleetStore's robots (uv-001 and uv-002 at Plant 1, UV-7, firmware 2.1.0, deployed) and one more written here:
 * uv-003 at Plant 1, decommissioned (a decommissioned robot cannot be quarantined, shared/domain.ts ROBOT_TRANSITIONS: skipped by an order of its site).
 */
const ROBOTS = [
  { deviceId: 'uv-001', site: 'Plant 1', model: 'UV-7', firmware: '2.1.0', status: 'deployed' },
  { deviceId: 'uv-002', site: 'Plant 1', model: 'UV-7', firmware: '2.1.0', status: 'deployed' },
  { deviceId: 'uv-003', site: 'Plant 1', model: 'UV-9', firmware: '3.0.1', status: 'decommissioned' },
];

async function kitStore(): Promise<string> {
  const { dir } = await fleetStore(fresh);
  await withConsole(dir, async (c) => {
    await c.handlers['fleet:create']({ deviceId: 'uv-003', name: 'uv-003', model: 'UV-9', site: 'Plant 1', firmware: '3.0.1', tags: [], status: 'deployed' }, TEST_CTX);
    await c.handlers['fleet:setStatus']({ deviceId: 'uv-003', status: 'decommissioned', reason: 'taken out of service' }, TEST_CTX);
  });
  return dir;
}

describe('kit export, then the offline commands, then import (the text and --json forms)', () => {
  it('export: one line for the kit, one per order with its uses (default 3) and expiry (default 7 days)', async () => {
    const dir = await kitStore();
    const kit = fresh('kit');
    const before = Date.now();
    const r = ok(await cli(['kit', 'export', '--out', kit, '--order', 'site:Plant 1', '--order', 'fleet', '--reason', 'readiness', '--data-dir', dir]));
    const lines = r.stdout.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(new RegExp(`^incident kit [0-9a-f-]{36} for alice written to ${escapeRegExp(kit)} \\(3 robot\\(s\\); usable until ${ISO}\\)$`));
    const orders = lines.slice(1, 3).map((l) => new RegExp(`^  order "(.+)" #(\\d+): (\\d+) use\\(s\\), expires (${ISO})$`).exec(l));
    expect(orders.map((m) => m && [m[1], m[3]])).toEqual([['site:Plant 1', '3'], ['fleet', '3']]);
    for (const m of orders) {
      const expires = Date.parse(m![4]!);
      expect(expires - before).toBeGreaterThanOrEqual(7 * 86_400_000 - 1000);
      expect(expires - Date.now()).toBeLessThanOrEqual(7 * 86_400_000);
    }
    expect(lines[3]).toBe('');
  });

  it('export --json: --max-uses, --valid-for and --order-actions given to every order', async () => {
    const dir = await kitStore();
    const kit = fresh('kit');
    const v = JSON.parse(ok(await cli(['kit', 'export', '--out', kit, '--order', 'robot:uv-001,uv-002', '--order', 'model:UV-9', '--max-uses', '2', '--valid-for', '3600', '--reason', 'drill', '--json', '--data-dir', dir])).stdout) as {
      responder: string; robots: number; orders: Array<{ name: string; maxUses: number; expiresAt: string }>;
    };
    expect(v).toMatchObject({ responder: 'alice', robots: 3 });
    expect(v.orders.map((o) => [o.name, o.maxUses])).toEqual([['robot:uv-001,uv-002', 2], ['model:UV-9', 2]]);
    for (const o of v.orders) expect(Date.parse(o.expiresAt) - Date.now()).toBeLessThanOrEqual(3600_000);
  });

  it('offline: status, robots and use (without --out, then with it), text and --json, no store opened', async () => {
    const dir = await kitStore();
    const kit = fresh('kit');
    ok(await cli(['kit', 'export', '--out', kit, '--order', 'site:Plant 1', '--order', 'robot:uv-002', '--max-uses', '2', '--reason', 'uv-002 stolen', '--data-dir', dir]));
    const noStore = fresh('never-created');
    const offline = (args: string[]) => cli(['--data-dir', noStore, ...args], { env: cliEnv() });

    const status = ok(await offline(['kit', 'status', '--kit', kit])).stdout.split('\n');
    expect(status[0]).toMatch(new RegExp(`^OFFLINE: incident kit [0-9a-f-]{36} for alice \\(exported ${ISO} by alice\\); no provider is called$`));
    // No fleet CA in this store: no certificate and no CRL in the kit.
    expect(status[1]).toMatch(/^registry copy: 3 robot\(s\), 0 certificate\(s\), CRL none; kit audit: \d+ record\(s\)$/);
    expect(status.slice(2, 4).map((l) => l.replace(/#\d+/, '#N').replace(new RegExp(ISO), 'T'))).toEqual([
      '  order "site:Plant 1" #N: 2/2 use(s) left, expires T',
      '  order "robot:uv-002" #N: 2/2 use(s) left, expires T',
    ]);
    expect(status.slice(4)).toEqual(['']);
    const info = JSON.parse(ok(await offline(['kit', 'status', '--kit', kit, '--json'])).stdout) as Record<string, unknown>;
    expect(info).toMatchObject({ offline: true, providers: 'none', responder: 'alice', exportedBy: 'alice', robots: 3, certificates: 0, crlNumber: null });

    // The registry copy: one line per robot (id, site, model, firmware, status); --json says offline.
    expect(ok(await offline(['kit', 'robots', '--kit', kit])).stdout).toBe(ROBOTS.map((x) => `${x.deviceId}  ${x.site}  ${x.model}  ${x.firmware}  ${x.status}`).join('\n') + '\n');
    const robots = JSON.parse(ok(await offline(['kit', 'robots', '--kit', kit, '--json'])).stdout) as { offline: boolean; robots: Array<Record<string, unknown>> };
    expect(robots.offline).toBe(true);
    expect(robots.robots.map((x) => [x.deviceId, x.site, x.model, x.firmware, x.status])).toEqual(ROBOTS.map((x) => [x.deviceId, x.site, x.model, x.firmware, x.status]));

    // The site's order: uv-001 and uv-002 quarantined, the decommissioned uv-003 skipped; no --out, no file.
    const used = ok(await offline(['kit', 'use', 'site:Plant 1', '--kit', kit, '--reason', 'lock the site']));
    expect(used.stdout).toBe([
      'OFFLINE: order "site:Plant 1" used (1/2); quarantined in the kit: uv-001, uv-002',
      '  skipped uv-003 (decommissioned)',
      'no --out: the signed order was not written',
    ].join('\n') + '\n');
    // The robots' order again, --json, with --out: nothing left to quarantine (uv-002 is already), the file written.
    const out = fresh('order.json');
    const j = JSON.parse(ok(await offline(['kit', 'use', 'robot:uv-002', '--kit', kit, '--reason', 'make sure', '--out', out, '--json'])).stdout) as Record<string, unknown>;
    expect(j).toMatchObject({ offline: true, out, order: { name: 'robot:uv-002', used: 1, maxUses: 2 }, quarantined: [], skipped: [{ deviceId: 'uv-002', status: 'quarantined' }] });
    expect(j).not.toHaveProperty('file');
    expect(JSON.parse(readFileSync(out, 'utf8'))).toBeTypeOf('object');
    const text = ok(await offline(['kit', 'use', 'robot:uv-002', '--kit', kit, '--reason', 'last use', '--out', fresh('order2.json')])).stdout;
    // uv-002 is quarantined already, and quarantined -> quarantined is no transition (shared/domain.ts): skipped.
    expect(text).toMatch(/^OFFLINE: order "robot:uv-002" used \(2\/2\); quarantined in the kit: none\n {2}skipped uv-002 \(quarantined\)\nsigned order written to \S+order2\.json-\d+\n$/);
    refused(await offline(['kit', 'use', 'robot:uv-002', '--kit', kit, '--reason', 'one more']), 'usage_limit_reached');
    // The robots list now shows the offline quarantines.
    expect(ok(await offline(['kit', 'robots', '--kit', kit])).stdout.split('\n').map((l) => l.split('  ').pop())).toEqual(['quarantined', 'quarantined', 'decommissioned', '']);
    expect(existsSync(noStore)).toBe(false);

    // Back online: import reports what was merged, per order and robot.
    const imported = ok(await cli(['kit', 'import', kit, '--data-dir', dir])).stdout.split('\n');
    expect(imported[0]).toMatch(/^kit [0-9a-f-]{36} \(responder alice\): \d+ offline record\(s\) merged into the audit$/);
    expect(imported.slice(1)).toEqual(['orders used: site:Plant 1 1/2, robot:uv-002 2/2', 'quarantined now: uv-001, uv-002', 'conflicts: 0', 'gaps: 0', '']);
  });

  it('import of a kit never used: no order used, no robot quarantined; --json is the report', async () => {
    const dir = await kitStore();
    const kit = fresh('kit');
    ok(await cli(['kit', 'export', '--out', kit, '--order', 'fleet', '--reason', 'drill', '--data-dir', dir]));
    const lines = ok(await cli(['kit', 'import', kit, '--data-dir', dir])).stdout.split('\n');
    expect(lines.slice(1)).toEqual(['orders used: none', 'quarantined now: none', 'conflicts: 0', 'gaps: 0', '']);
    const kit2 = fresh('kit');
    ok(await cli(['kit', 'export', '--out', kit2, '--order', 'fleet', '--reason', 'drill 2', '--data-dir', dir]));
    const v = JSON.parse(ok(await cli(['kit', 'import', kit2, '--json', '--data-dir', dir])).stdout) as Record<string, unknown>;
    expect(v).toMatchObject({ responder: 'alice', ordersUsed: [], quarantined: [], conflicts: [], gaps: [] });
  });
});

describe('kit use --out and an order past its expiry', () => {
  it('an existing --out without --force stops kit use before the order is used (the use is not spent); --force replaces it', async () => {
    const dir = await kitStore();
    const kit = fresh('kit');
    ok(await cli(['kit', 'export', '--out', kit, '--order', 'robot:uv-001', '--max-uses', '1', '--reason', 'one use only', '--data-dir', dir]));
    const offline = (args: string[]) => cli(['--data-dir', fresh('never-created'), ...args], { env: cliEnv() });
    const out = fresh('existing.json');
    writeFileSync(out, 'keep me');
    // An existing file of the usual mode: --force must not leave the signed order readable by others.
    chmodSync(out, 0o644);
    const r = await offline(['kit', 'use', 'robot:uv-001', '--kit', kit, '--reason', 'stolen', '--out', out]);
    refused(r, 'invalid_input');
    expect(r.stderr).toContain(`Output file ${out} exists; it was not changed (use --force to replace it).`);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    // So is an --out in a folder that does not exist, with or without --force (the write would fail after the use).
    const missing = join(fresh('no-such-folder'), 'order.json');
    for (const extra of [[], ['--force']]) {
      const m = await offline(['kit', 'use', 'robot:uv-001', '--kit', kit, '--reason', 'stolen', '--out', missing, ...extra]);
      refused(m, 'invalid_input');
      expect(m.stderr).toContain(`Output file ${missing} cannot be written: the folder ${dirname(missing)} does not exist; nothing was changed.`);
    }
    // The order's one use is still there, and no robot was quarantined.
    expect(ok(await offline(['kit', 'status', '--kit', kit])).stdout).toMatch(/ {2}order "robot:uv-001" #\d+: 1\/1 use\(s\) left, expires /);
    expect(ok(await offline(['kit', 'robots', '--kit', kit])).stdout.split('\n')[0]).toBe('uv-001  Plant 1  UV-7  2.1.0  deployed');
    const forced = ok(await offline(['kit', 'use', 'robot:uv-001', '--kit', kit, '--reason', 'stolen', '--out', out, '--force']));
    expect(forced.stdout).toBe(`OFFLINE: order "robot:uv-001" used (1/1); quarantined in the kit: uv-001\nsigned order written to ${out}\n`);
    expect(readFileSync(out, 'utf8')).not.toBe('keep me');
    // The replaced file has the mode a fresh one gets, not the old 0644.
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toBeTypeOf('object');
    // A new file needs no --force (and is written 0600, fileCrypto.ts writeWholeFile).
    const kit2 = fresh('kit');
    ok(await cli(['kit', 'export', '--out', kit2, '--order', 'fleet', '--reason', 'drill', '--data-dir', dir]));
    const fresher = fresh('new.json');
    ok(await offline(['kit', 'use', 'fleet', '--kit', kit2, '--reason', 'drill', '--out', fresher]));
    expect(statSync(fresher).mode & 0o777).toBe(0o600);
  });

  it('kit status marks an order past its expiry EXPIRED (the offline clock), and kit use refuses it', async () => {
    const dir = await kitStore();
    const kit = fresh('kit');
    ok(await cli(['kit', 'export', '--out', kit, '--order', 'fleet', '--valid-for', '3600', '--reason', 'short', '--data-dir', dir]));
    const later = () => new Date(Date.now() + 2 * 3600_000);
    const status = ok(await cli(['kit', 'status', '--kit', kit], { env: cliEnv(), now: later })).stdout.split('\n');
    expect(status[2]).toMatch(new RegExp(`^ {2}order "fleet" #\\d+: 3/3 use\\(s\\) left, EXPIRED ${ISO}$`));
    refused(await cli(['kit', 'use', 'fleet', '--kit', kit, '--reason', 'too late'], { env: cliEnv(), now: later }), 'illegal_transition');
    // Before the hour is up, the same order reads "expires".
    expect(ok(await cli(['kit', 'status', '--kit', kit], { env: cliEnv() })).stdout.split('\n')[2]).toMatch(/^ {2}order "fleet" #\d+: 3\/3 use\(s\) left, expires /);
  });
});

describe('a distrust-ca order offline: kit status and kit use in words (docs/incident-kit.md "Containing a compromised fleet CA")', () => {
  it('status says the order stops every robot trusting the CA (subject, short id) and quarantines none; use says so too', async () => {
    const dir = await kitStore();
    const ca = await withConsole(dir, async (c) => {
      await c.handlers['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'Fleet CA Kit' }, TEST_CTX);
      return (await c.handlers['ca:history']({}, TEST_CTX)).cas[0]!;
    });
    const kit = fresh('kit');
    ok(await cli(['kit', 'export', '--out', kit, '--order', 'distrust-ca:current', '--order', 'robot:uv-001', '--max-uses', '1', '--reason', 'CA key may leak', '--data-dir', dir]));
    const offline = (args: string[]) => cli(['--data-dir', fresh('never-created'), ...args], { env: cliEnv() });
    // The CA in words, as the doc writes it: "fleet CA <subject> (<short id>)", the short id being the first 8 characters.
    const inWords = `fleet CA ${ca.subject} (${ca.id.slice(0, 8)})`;
    expect(ca.subject).toContain('Fleet CA Kit');
    const status = ok(await offline(['kit', 'status', '--kit', kit])).stdout.split('\n').slice(2, 4).map((l) => l.replace(/#\d+/, '#N').replace(new RegExp(ISO), 'T'));
    expect(status).toEqual([
      `  order "distrust-ca:current" #N: 1/1 use(s) left, expires T; stops every robot trusting ${inWords} (final on robots; quarantines no robot)`,
      // A plain order's line says nothing more.
      '  order "robot:uv-001" #N: 1/1 use(s) left, expires T',
    ]);
    const out = fresh('distrust.json');
    expect(ok(await offline(['kit', 'use', 'distrust-ca:current', '--kit', kit, '--reason', 'CA key leaked', '--out', out])).stdout).toBe([
      `OFFLINE: order "distrust-ca:current" used (1/1); it stops every robot that takes it trusting ${inWords}, for good; no robot quarantined (the CA is compromised, not the robots)`,
      `signed order written to ${out}`,
    ].join('\n') + '\n');
    // No robot quarantined in the kit.
    expect(ok(await offline(['kit', 'robots', '--kit', kit])).stdout.split('\n').map((l) => l.split('  ').pop())).toEqual(['deployed', 'deployed', 'decommissioned', '']);
  });
});
