// The CLI's incident kit commands (docs/incident-kit.md, docs/cli.md) through runCli in this process on a real store:
// kit export writes the kit folder (exit 0; a non-empty folder exit 1), the offline commands run with no store (a
// data folder that does not exist stays absent), a use beyond the order's maximum exits 1, a wrong passphrase exits
// 1, kit import merges once (exit 0, then 1), and usage mistakes exit 2. Expected exit codes are the table below.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole } from '../../electron/app.ts';
import { silentLogger } from '../../electron/logger.ts';
import { CTX, FAST_KDF } from '../unit/store-testkit.ts';
import { cliEnv, cliInProcess, cliJson, cliRunner } from './support/cliProcess.ts';

const PASS = 'Kit-CLI-Passphrase-Marker 0815';
const { dir, cli: run } = cliRunner('ecps-cli-kit-', PASS, 'in-process');
const json = cliJson(run);
const kit = join(dir, 'kit');
/** The offline console: no --data-dir of a store (one that does not exist, to show none is opened). */
const noStore = join(dir, 'never-created');
const offline = (args: string[], passphrase = PASS) => cliInProcess(['--data-dir', noStore, ...args], { env: cliEnv({ ECPS_PASSPHRASE: passphrase }) });

beforeAll(async () => {
  expect((await run(['init'])).code).toBe(0);
  const c = await createConsole({ dataDir: join(dir, 'store'), kdf: FAST_KDF, logger: silentLogger, rotation: { scheduler: false } });
  try {
    await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASS }, CTX);
    await c.handlers['keys:create']({ type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' }, CTX);
    for (const deviceId of ['uv-001', 'uv-002']) await c.handlers['fleet:create']({ deviceId, name: deviceId, model: 'UV-7', site: 'Plant 1', firmware: '2.1.0', tags: [], status: 'deployed' }, CTX);
  } finally {
    c.close();
  }
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kit commands', () => {
  it('usage mistakes exit 2', async () => {
    const USAGE: string[][] = [
      ['kit', 'export', '--out', kit, '--reason', 'x'],
      ['kit', 'export', '--out', kit, '--order', 'building:7', '--reason', 'x'],
      ['kit', 'export', '--out', kit, '--order', 'fleet', '--reason', 'x', '--max-uses', 'many'],
      ['kit', 'import'],
      ['kit', 'status'],
      ['kit', 'use', '--kit', kit, '--reason', 'x'],
    ];
    for (const args of USAGE) expect((await run(args)).code, args.join(' ')).toBe(2);
  });

  it('export, offline status and use, import: the exit codes of the table', async () => {
    const exported = await json(['kit', 'export', '--out', kit, '--order', 'site:Plant 1', '--order', 'robot:uv-002', '--max-uses', '1', '--reason', 'uv-002 stolen']);
    expect(exported).toMatchObject({ responder: 'alice', robots: 2, dir: kit });
    expect(readdirSync(kit).sort()).toEqual(['audit-head.json', 'audit.jsonl', 'kit.sealed', 'manifest.json']);
    mkdirSync(join(dir, 'busy'));
    writeFileSync(join(dir, 'busy', 'note.txt'), 'x');
    const order = join(dir, 'order.json');
    const TABLE: Array<[string, () => Promise<{ code: number | null; stdout: string; stderr: string }>, number, RegExp]> = [
      ['export into a non-empty folder', () => run(['kit', 'export', '--out', join(dir, 'busy'), '--order', 'fleet', '--reason', 'x']), 1, /not empty/],
      ['status offline', () => offline(['kit', 'status', '--kit', kit]), 0, /OFFLINE: incident kit .* no provider is called/],
      ['status with a wrong passphrase', () => offline(['kit', 'status', '--kit', kit], 'not the passphrase'), 1, /wrong_passphrase/],
      ['status as another operator', () => offline(['--operator', 'bob', 'kit', 'status', '--kit', kit]), 1, /forbidden/],
      ['use an order', () => offline(['kit', 'use', 'site:Plant 1', '--kit', kit, '--reason', 'lock the site', '--out', order]), 0, /quarantined in the kit: uv-001, uv-002/],
      ['use it beyond its maximum', () => offline(['kit', 'use', 'site:Plant 1', '--kit', kit, '--reason', 'again']), 1, /usage_limit_reached/],
      ['use an order the kit lacks', () => offline(['kit', 'use', 'site:Plant 9', '--kit', kit, '--reason', 'x']), 1, /not_found/],
      ['import', () => run(['kit', 'import', kit]), 0, /quarantined now: uv-001, uv-002/],
      ['import again', () => run(['kit', 'import', kit]), 1, /illegal_transition.*imported/],
      ['import a folder with no kit', () => run(['kit', 'import', join(dir, 'busy')]), 1, /not_found/],
    ];
    for (const [what, cmd, code, output] of TABLE) {
      const r = await cmd();
      expect(r.code, `${what}: ${r.stderr}`).toBe(code);
      expect(r.stdout + r.stderr, what).toMatch(output);
    }
    expect(existsSync(noStore)).toBe(false);
    expect(existsSync(order)).toBe(true);
    const status = JSON.parse((await offline(['kit', 'status', '--kit', kit, '--json'])).stdout) as { offline: boolean; providers: string; orders: Array<{ name: string; used: number }> };
    expect([status.offline, status.providers, status.orders.map((o) => [o.name, o.used])]).toEqual([true, 'none', [['site:Plant 1', 1], ['robot:uv-002', 0]]]);
  });

  it('wrong passphrases are throttled per kit: after the third, even the right one waits (exit 1, the wait in words)', async () => {
    // A clock that does not move (the wait never passes by itself): 3 free attempts, then 5 s (docs/operators.md).
    const frozen = new Date();
    const at = (args: string[], passphrase: string) => cliInProcess(['--data-dir', noStore, ...args], { env: cliEnv({ ECPS_PASSPHRASE: passphrase }), now: () => frozen });
    for (let i = 0; i < 3; i++) expect((await at(['kit', 'status', '--kit', kit], 'not the passphrase')).stderr).toMatch(/wrong_passphrase/);
    const held = await at(['kit', 'status', '--kit', kit], PASS);
    expect([held.code, held.stderr]).toEqual([1, expect.stringMatching(/too_many_attempts.*try again in 5 s/)]);
    expect((await at(['kit', 'use', 'robot:uv-002', '--kit', kit, '--reason', 'x'], PASS)).stderr).toMatch(/too_many_attempts/);
  });
});
