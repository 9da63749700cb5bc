// Scheduler scale (issue 13's benchmark row: cost ratio <= 12, no worse than linear): one scheduler pass over a store
// of 100,000 keys and 100,000 robots against one over 10,000 keys and 10,000 robots. Every key is an active
// communication key (scheduled every 24 hours, docs/rotation.md), made now, so a pass plans every key and finds none
// due. Keys are seeded as copies of one key made by the console (rows copied in one transaction), robots through the
// fleet repository. Measured: the first pass (plans a job per key: one insert each) and a steady pass (jobs planned
// already), median of 5. Run once: npm run bench -- rotation-scheduler-scale
import crypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createConsole } from '../../electron/app.ts';
import { silentLogger } from '../../electron/logger.ts';
import { seedRobots } from '../e2e/support/fleetSeed.ts';
import type { BenchResult } from './types.ts';

const KDF = { N: 1024, r: 8, p: 1 };
const CTX = { transport: 'test' } as const;
const PASS = 'bench passphrase 0123';
const SMALL = Number(process.env.SCHEDULER_BENCH_SMALL ?? 10_000);
const LARGE = Number(process.env.SCHEDULER_BENCH_LARGE ?? 100_000);
const STEADY_ROUNDS = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Copies every column of one row under a new key id. */
function copier(db: Database.Database, table: string, idColumn: string) {
  const cols = (db.prepare(`SELECT * FROM ${table} LIMIT 0`).columns() as Array<{ name: string }>).map((c) => c.name);
  const insert = db.prepare(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`);
  return (row: Record<string, unknown>, id: string) => insert.run({ ...row, [idColumn]: id });
}

async function measure(n: number): Promise<{ firstMs: number; steadyMs: number }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ecps-bench-scheduler-'));
  try {
    const c0 = await createConsole({ dataDir, kdf: KDF, logger: silentLogger, env: {}, rotation: { scheduler: false } });
    await c0.handlers['session:init']({ operator: 'Bench Officer', passphrase: PASS }, CTX);
    const template = await c0.keys.create({ type: 'communication', label: 'fleet link' });
    const storePath = c0.storePath;
    c0.close();
    seedRobots(storePath, n);
    const db = new Database(storePath);
    try {
      const key = db.prepare('SELECT * FROM keys WHERE id = ?').get(template.id) as Record<string, unknown>;
      const version = db.prepare('SELECT * FROM key_versions WHERE key_id = ?').get(template.id) as Record<string, unknown>;
      const copyKey = copier(db, 'keys', 'id');
      const copyVersion = copier(db, 'key_versions', 'key_id');
      db.transaction(() => {
        for (let i = 1; i < n; i++) {
          const id = crypto.randomUUID();
          copyKey(key, id);
          copyVersion(version, id);
        }
      })();
    } finally {
      db.close();
    }
    const c = await createConsole({ dataDir, kdf: KDF, logger: silentLogger, env: {}, rotation: { scheduler: false } });
    try {
      await c.handlers['session:unlock']({ operator: 'Bench Officer', passphrase: PASS }, CTX);
      const t0 = performance.now();
      const first = await c.rotation.scheduler.tick();
      const firstMs = performance.now() - t0;
      if (first.ran.length !== 0 || c.rotation.scheduler.upcoming().length !== n) throw new Error(`pass over ${n}: ran ${first.ran.length}, planned ${c.rotation.scheduler.upcoming().length}`);
      const steady: number[] = [];
      for (let r = 0; r < STEADY_ROUNDS; r++) {
        const t = performance.now();
        await c.rotation.scheduler.tick();
        steady.push(performance.now() - t);
      }
      return { firstMs, steadyMs: median(steady) };
    } finally {
      c.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult[]> {
  const small = await measure(SMALL);
  const large = await measure(LARGE);
  const target = LARGE / SMALL + 2;
  const load = `load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`;
  const row = (what: string, s: number, l: number, note: string): BenchResult => ({
    name: `scheduler ${what}: ${LARGE.toLocaleString('en')} keys + ${LARGE.toLocaleString('en')} robots vs ${SMALL.toLocaleString('en')} + ${SMALL.toLocaleString('en')}`,
    unit: 'ms',
    baseline: s,
    measured: l,
    ratio: l / s,
    target: `<= ${target} (cost ratio)`,
    pass: l / s <= target,
    note: `${note}; run once; ${load}`,
  });
  return [
    row('first pass (plans a job per key)', small.firstMs, large.firstMs, 'one pass'),
    row('steady pass (jobs planned already)', small.steadyMs, large.steadyMs, `median of ${STEADY_ROUNDS} passes`),
  ];
}
