// The CLI's batch rotation commands (rotation batch start|status|cancel|resume, --json), through runCli in this
// process on a real store: a job over a list of keys and over a type, its per-key results, exit codes, usage errors
// (exit 2) and refusals (exit 1, typed code), and resume after a job was left unfinished.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole } from '../../electron/app.ts';
import { silentLogger } from '../../electron/logger.ts';
import { CTX, FAST_KDF, withRawDb } from '../unit/store-testkit.ts';
import { cliJson, cliRunner } from './support/cliProcess.ts';

const PASS = 'Rotation-Batch-CLI-Passphrase 0123';

describe('rotation batch commands', () => {
  const { dir, cli } = cliRunner('ecps-cli-batch-', PASS, 'in-process');
  const ids: string[] = [];
  beforeAll(async () => {
    const c = await createConsole({ dataDir: join(dir, 'store'), kdf: FAST_KDF, logger: silentLogger, rotation: { scheduler: false } });
    await c.handlers['session:init']({ operator: 'alice', passphrase: PASS }, CTX);
    for (let i = 0; i < 3; i++) ids.push((await c.keys.create({ type: 'storage', label: `disk ${i}` })).id);
    ids.push((await c.keys.create({ type: 'communication', label: 'link' })).id);
    c.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const json = cliJson(cli);
  type Job = { batchId: string; state: string; total: number; done: number; failed: number; items: Array<{ keyId: string; state: string; fromVersion: number; toVersion: number }> };

  it('start --keys rotates the listed keys, waits for the end and prints the summary and its failed keys (none); status --all has each result', async () => {
    const job = (await json(['rotation', 'batch', 'start', '--keys', `${ids[0]},${ids[1]}`, '--concurrency', '2'])) as unknown as Job;
    // docs/cli.md: the job's view plus outcome "failed", matching, items (the first page of failed keys), nextCursor
    expect(job).toMatchObject({ state: 'done', total: 2, done: 2, failed: 0, outcome: 'failed', matching: 0, items: [], nextCursor: null });
    const all = (await json(['rotation', 'batch', 'status', job.batchId, '--all'])) as unknown as Job;
    expect(all.items.map((i) => [i.keyId, i.state, i.fromVersion, i.toVersion])).toEqual([
      [ids[0], 'done', 1, 2],
      [ids[1], 'done', 1, 2],
    ]);
    const keys = (await json(['keys', 'list'])) as { keys: Array<{ id: string; currentVersion: number }> };
    expect(ids.map((id) => keys.keys.find((k) => k.id === id)!.currentVersion)).toEqual([2, 2, 1, 1]);
  });

  it('start in human form: the start line, the summary, where to see every key; progress on stderr', async () => {
    const r = await cli(['rotation', 'batch', 'start', '--keys', ids[2]!]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const batchId = /^batch (\S+): 1 key\(s\), \d+ at a time$/.exec(lines[0]!)?.[1];
    expect(batchId).toBeDefined();
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain(`${batchId}  `);
    expect(lines[1]).toContain('1/1 done, 0 failed, 0 superseded, 0 cancelled, 0 pending');
    expect(lines[2]).toBe(`every key: rotation batch status ${batchId} --all`);
    // one key: its one tenth step (all of it) printed once
    expect(r.stderr).toBe(`batch ${batchId}: 1/1 settled (1 done, 0 failed, 0 superseded, 0 cancelled)\n`);
  });

  it('start --type rotates every active key of the type; status lists the jobs and shows one with its items', async () => {
    const job = (await json(['rotation', 'batch', 'start', '--type', 'storage'])) as unknown as Job;
    expect(job).toMatchObject({ state: 'done', total: 3, done: 3 });
    const list = (await json(['rotation', 'batch', 'status'])) as { jobs: Job[] };
    expect(list.jobs.map((j) => j.batchId)).toContain(job.batchId);
    const one = (await json(['rotation', 'batch', 'status', job.batchId])) as unknown as Job;
    expect(one.items).toHaveLength(3);
    const human = await cli(['rotation', 'batch', 'status', job.batchId]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`${job.batchId}`);
    expect(human.stdout).toContain('3/3 done');
  });

  it('usage mistakes exit 2; refusals exit 1 with their typed code', async () => {
    for (const args of [
      ['rotation', 'batch'],
      ['rotation', 'batch', 'go'],
      ['rotation', 'batch', 'start'],
      ['rotation', 'batch', 'start', '--type', 'storage', '--site', 'Plant A'],
      ['rotation', 'batch', 'start', '--type', 'storage', '--concurrency', 'many'],
      ['rotation', 'batch', 'cancel'],
      ['rotation', 'batch', 'status', '--type', 'storage'],
      ['rotation', 'batch', 'start', '--type', 'storage', 'extra-id'],
    ]) {
      const r = await cli(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
    }
    const refused = [
      [['rotation', 'batch', 'start', '--type', 'storage', '--concurrency', '0'], 'invalid_input'],
      [['rotation', 'batch', 'start', '--type', 'robot'], 'invalid_input'],
      [['rotation', 'batch', 'start', '--keys', 'not-a-key'], 'invalid_input'],
      [['rotation', 'batch', 'start', '--site', 'Nowhere'], 'invalid_input'],
      [['rotation', 'batch', 'status', '0b7c2a52-3f1e-4c1a-9a57-3c7f2b8e4d10'], 'not_found'],
    ] as const;
    for (const [args, code] of refused) {
      const r = await cli([...args, '--json']);
      expect({ args, code: r.code, stderr: r.stderr.includes(code) }).toEqual({ args, code: 1, stderr: true });
    }
  });

  it('cancel refuses a finished job; resume finishes a job a killed console left running', async () => {
    const job = (await json(['rotation', 'batch', 'start', '--keys', ids[3]!])) as unknown as Job;
    const r = await cli(['rotation', 'batch', 'cancel', job.batchId, '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('illegal_transition');
    // As a SIGKILL leaves it: the job running, its item marked rotating, the version never committed.
    withRawDb(join(dir, 'store'), (db) => {
      db.prepare("UPDATE rotation_batches SET state = 'running', finished_at = NULL WHERE id = ?").run(job.batchId);
      db.prepare("UPDATE rotation_batch_items SET state = 'rotating', to_version = NULL WHERE batch_id = ?").run(job.batchId);
      db.prepare('DELETE FROM key_versions WHERE key_id = ? AND version = 2').run(ids[3]);
      db.prepare('UPDATE keys SET current_version = 1 WHERE id = ?').run(ids[3]);
    });
    const resumed = (await json(['rotation', 'batch', 'resume'])) as { jobs: Job[] };
    expect(resumed.jobs).toMatchObject([{ batchId: job.batchId, state: 'done', done: 1, outcome: 'failed', matching: 0, items: [], nextCursor: null }]);
    const one = (await json(['rotation', 'batch', 'status', job.batchId])) as unknown as Job;
    expect(one.items[0]).toMatchObject({ state: 'done', toVersion: 2 });
    expect((await json(['rotation', 'batch', 'resume'])) as { jobs: Job[] }).toEqual({ jobs: [] });
  });
});
