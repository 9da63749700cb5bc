// The CLI's rotation commands (rotation status, run-due, jobs, policy get|set) and the headless scheduler, through
// runCli in this process on a real store. The store is seeded by a console whose clock stands 3 days before now, so
// its communication key (24 h, docs/rotation.md) is overdue by about 2 days for the CLI's real clock.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { runCli } from '../../electron/ipc/cli/runCli.ts';
import { silentLogger } from '../../electron/logger.ts';
import { CTX, FAST_KDF } from '../unit/store-testkit.ts';
import { cliEnv, cliJson, cliRunner } from './support/cliProcess.ts';
import { Readable } from 'node:stream';

const PASS = 'Rotation-CLI-Passphrase 0123';
const DAY = 86_400_000;
/** The default jitter of a 24-hour policy is at most a tenth of the period (docs/rotation.md); the real one is 864 s. */
const JITTER_BOUND_MS = DAY / 10;

async function seed(data: string, types: Array<'communication' | 'storage'>): Promise<string[]> {
  const c = await createConsole({ dataDir: data, kdf: FAST_KDF, logger: silentLogger, clock: manualClock(Date.now() - 3 * DAY), rotation: { scheduler: false } });
  await c.handlers['session:init']({ operator: 'alice', passphrase: PASS }, CTX);
  const ids = [];
  for (const type of types) ids.push((await c.keys.create({ type, label: type })).id);
  c.close();
  return ids;
}

describe('rotation commands', () => {
  const { dir, cli } = cliRunner('ecps-cli-rotation-', PASS, 'in-process');
  let comm = '';
  let storage = '';
  beforeAll(async () => {
    [comm, storage] = (await seed(join(dir, 'store'), ['communication', 'storage'])) as [string, string];
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const json = cliJson(cli);

  it('status lists the overdue communication key and not the manual storage key', async () => {
    const s = (await json(['rotation', 'status'])) as { paused: boolean; locked: boolean; upcoming: Array<{ keyId: string; fromVersion: number; dueAt: string }> };
    expect(s).toMatchObject({ paused: false, locked: false });
    expect(s.upcoming.map((u) => u.keyId)).toEqual([comm]);
    expect(Date.parse(s.upcoming[0]!.dueAt)).toBeLessThan(Date.now() - DAY);
    expect((await cli(['rotation', 'status'])).stdout).toContain(comm);
  });

  it('run-due rotates it once, late by about 2 days; a second run finds nothing; jobs shows the history', async () => {
    const r = (await json(['rotation', 'run-due'])) as { ran: Array<{ keyId: string; toVersion: number; outcome: string; lateMs: number }> };
    expect(r.ran).toMatchObject([{ keyId: comm, toVersion: 2, outcome: 'success' }]);
    expect(r.ran[0]!.lateMs).toBeGreaterThan(2 * DAY - JITTER_BOUND_MS - 60_000);
    expect(r.ran[0]!.lateMs).toBeLessThan(2 * DAY + 60_000);
    expect((await cli(['rotation', 'run-due'])).stdout).toContain('nothing due to run now');
    const keys = (await json(['keys', 'list'])) as { keys: Array<{ id: string; currentVersion: number }> };
    expect(keys.keys.find((k) => k.id === comm)!.currentVersion).toBe(2);
    expect(keys.keys.find((k) => k.id === storage)!.currentVersion).toBe(1);
    const jobs = (await json(['rotation', 'jobs', '--key', comm])) as { jobs: Array<{ fromVersion: number; state: string; toVersion: number | null }> };
    expect(jobs.jobs.find((j) => j.fromVersion === 1)).toMatchObject({ state: 'done', toVersion: 2 });
  });

  it('policy set validates the file and names the field; get shows the policy and its source', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ mode: 'scheduled', periodSeconds: 86_400, timeZone: 'Atlantis/Capital' }));
    const refused = await cli(['rotation', 'policy', 'set', '--type', 'communication', '--policy', bad]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('error [invalid_input]');
    expect(refused.stderr).toContain('Atlantis/Capital');
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ mode: 'scheduled', periodSeconds: 7 * 86_400, timeZone: 'Europe/Berlin', blackoutWindows: [{ cron: '0 6 * * 1-5', durationMinutes: 600 }] }));
    expect(await json(['rotation', 'policy', 'set', '--key', storage, '--policy', good])).toMatchObject({ scope: `key:${storage}`, source: 'key', policy: { periodSeconds: 604_800 } });
    expect(await json(['rotation', 'policy', 'get', '--key', storage])).toMatchObject({ source: 'key', policy: { timeZone: 'Europe/Berlin' } });
    expect(await json(['rotation', 'policy', 'get', '--type', 'emergency'])).toMatchObject({ source: 'default', policy: { mode: 'scheduled', periodSeconds: 365 * 86_400 } });
  });

  it('help lists the rotation commands', async () => {
    const help = await cli(['help']);
    for (const c of ['rotation status', 'rotation run-due', 'rotation jobs', 'rotation policy get', 'rotation policy set', 'scheduler']) expect(help.stdout).toContain(c);
  });

  it('usage mistakes exit 2', async () => {
    for (const args of [
      ['rotation', 'policy', 'frob', '--type', 'storage'],
      ['rotation', 'policy', 'set', '--type', 'storage'],
      ['rotation', 'policy', 'get', '--type', 'storage', '--key', storage],
      ['rotation', 'jobs', '--limit', '0'],
      ['rotation', 'status', 'extra'],
    ]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain('usage error');
    }
  });
});

describe('scheduler (headless)', () => {
  const { dir } = cliRunner('ecps-cli-scheduler-', PASS, 'in-process');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('unlocks, runs the due rotation at once, says so, and stops cleanly on the signal', async () => {
    const data = join(dir, 'store');
    const [comm] = await seed(data, ['communication']);
    let stdout = '';
    let stderr = '';
    let stop: (reason: string) => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      const check = () => {
        if (stdout.includes('scheduler running')) resolve();
      };
      const code = runCli({
        argv: ['--data-dir', data, 'scheduler'],
        env: cliEnv({ ECPS_PASSPHRASE: PASS }),
        stdin: Readable.from([]),
        stdout: { write: (t: string) => { stdout += t; check(); } },
        stderr: { write: (t: string) => (stderr += t) },
        untilStopped: () => new Promise<string>((r) => (stop = r)),
      });
      void code.then((c) => (exit = c));
    });
    let exit: number | null = null;
    await started;
    expect(stdout).toContain('scheduler running: 1 rotation(s) run now');
    stop('SIGTERM');
    while (exit === null) await new Promise((r) => setImmediate(r));
    expect(exit).toBe(0);
    expect(stderr).toContain('SIGTERM: stopping the scheduler');
    const c = await createConsole({ dataDir: data, kdf: FAST_KDF, logger: silentLogger, rotation: { scheduler: false } });
    await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASS }, CTX);
    expect(c.keys.get(comm!).currentVersion).toBe(2);
    c.close();
  });
});
