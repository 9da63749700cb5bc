// Shared by the in-process CLI tests of test/unit (cli-run-entry, cli-run-security, cli-run-emergency): runCli with captured streams on
// stores in one temp folder, and stores seeded through the console's channels while no command runs.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect } from 'vitest';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { silentLogger } from '../../electron/logger.ts';
import { runCli } from '../../electron/ipc/cli/runCli.ts';

export const PASS = 'Cli-Run-Passphrase correct horse';
export const BOB_PASS = 'bob the viewer has a passphrase';
export const TEST_CTX = { transport: 'test' } as const;

export interface Run { code: number; stdout: string; stderr: string }

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  /** Called once the command serves (serve, field, scheduler), with what stdout holds then; resolves with the reason. */
  untilStopped?: (out: () => string) => Promise<string>;
  now?: () => Date;
}

/** Temp folder for this test file: `fresh()` names a store folder not created yet. */
export function cliFolder(prefix: string): { fresh: (what?: string) => string } {
  let root = '';
  let n = 0;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  return { fresh: (what = 'store') => join(root, `${what}-${++n}`) };
}

export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ECPS_KDF_LOG2N: '10', ECPS_OPERATOR: 'alice', ECPS_PASSPHRASE: PASS, ...extra };
}

export async function cli(args: string[], o: CliOptions = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const until = o.untilStopped;
  const code = await runCli({
    argv: args,
    env: o.env ?? cliEnv(),
    stdin: Readable.from([]),
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    ...(until ? { untilStopped: () => until(() => stdout) } : {}),
    ...(o.now ? { now: o.now } : {}),
  });
  return { code, stdout, stderr };
}

/** Runs fn on a console of `dir` signed in as alice, then closes it. */
export async function withConsole<T>(dir: string, fn: (c: FleetConsole) => Promise<T>, o: { init?: boolean } = {}): Promise<T> {
  const c = await createConsole({ dataDir: dir, kdf: { N: 1024, r: 8, p: 1 }, logger: silentLogger, rotation: { scheduler: false } });
  try {
    await c.handlers[o.init ? 'session:init' : 'session:unlock']({ operator: 'alice', passphrase: PASS }, TEST_CTX);
    return await fn(c);
  } finally {
    c.close();
  }
}

/** A new store with alice (admin) and bob (viewer), and a fleet CA when asked. */
export async function seededStore(dir: string, o: { ca?: boolean } = {}): Promise<string> {
  await withConsole(dir, async (c) => {
    await c.handlers['operators:add']({ name: 'bob', role: 'viewer', passphrase: BOB_PASS }, TEST_CTX);
    if (o.ca) await c.handlers['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'CLI Test CA' }, TEST_CTX);
  }, { init: true });
  return dir;
}

/** A port free now: the OS picks it, the probe lets it go. */
export const freePort = () => new Promise<number>((resolve) => {
  const probe = createServer();
  probe.listen(0, '127.0.0.1', () => {
    const p = (probe.address() as AddressInfo).port;
    probe.close(() => resolve(p));
  });
});

export const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The store's audit records, oldest first, details parsed (the console holding the file must be closed). */
export function auditRows(dir: string): Array<{ actor: string; action: string; outcome: string; details: Record<string, unknown> }> {
  const db = new Database(join(dir, 'console.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT actor, action, outcome, details FROM audit_records ORDER BY seq').all() as Array<{ actor: string; action: string; outcome: string; details: string }>;
    return rows.map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }));
  } finally {
    db.close();
  }
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port (polled every 20 ms; fails after `attempts`). */
export async function listening(port: number, attempts = 500): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

/** A store with an emergency key and two deployed robots at Plant 1 (what a kit and an order need). */
export async function fleetStore(fresh: () => string, o: { siteKey?: boolean } = {}): Promise<{ dir: string; emergencyPem: string; emergencyId: string }> {
  const dir = await seededStore(fresh());
  return withConsole(dir, async (c) => {
    const call = <T,>(channel: string, input: unknown) => (c.handlers as unknown as Record<string, (i: unknown, ctx: typeof TEST_CTX) => Promise<T>>)[channel]!(input, TEST_CTX);
    const emergency = await call<{ id: string }>('keys:create', { type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' });
    for (const deviceId of ['uv-001', 'uv-002']) await call('fleet:create', { deviceId, name: deviceId, model: 'UV-7', site: 'Plant 1', firmware: '2.1.0', tags: [], status: 'deployed' });
    if (o.siteKey) {
      const comm = await call<{ id: string }>('keys:create', { type: 'communication', label: 'Plant 1 comm', algorithm: 'AES_256' });
      await call('fleet:assignKey', { scope: 'site', scopeId: 'Plant 1', keyType: 'communication', keyId: comm.id });
      for (const deviceId of ['uv-001', 'uv-002']) c.fleet.recordKeyVersions(deviceId, [{ keyId: comm.id, version: 1 }], 'provisioning');
    }
    const { pem } = await call<{ pem: string }>('keys:publicKey', { keyId: emergency.id });
    return { dir, emergencyPem: pem, emergencyId: emergency.id };
  });
}

export const asBob = () => cliEnv({ ECPS_OPERATOR: 'bob', ECPS_PASSPHRASE: BOB_PASS });

export const ok = (r: Run) => {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r;
};
/** A usage mistake: exit 2, nothing on stdout, the mistake and where to look on stderr (docs/cli.md). */
export const usageError = (r: Run) => {
  expect([r.code, r.stdout]).toEqual([2, '']);
  expect(r.stderr).toMatch(/^usage error: .+\nRun "ecps-console help" for the list of commands\.\n$/);
};
export const refused = (r: Run, code: string) => {
  expect([r.code, r.stdout]).toEqual([1, '']);
  expect(r.stderr).toMatch(new RegExp(`^error \\[${code}\\]: .+\\nhint: .+\\n$`));
};
