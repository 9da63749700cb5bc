// Audit benchmark: durable append vs raw SQLite inserts of the same rows (same pragmas, one transaction each).
// Verify, query and export at scale: audit-scale.bench.ts. Run: npm run bench audit
import Database from 'better-sqlite3';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { manualClock } from '../../electron/clock.ts';
import { createAuditLog, createAuditSigner, type AuditEntry } from '../../electron/services/audit/index.ts';
import { AUDIT_SCHEMA_SQL } from '../../electron/store/auditRepo.ts';
import type { BenchResult } from './types.ts';

const APPENDS = Number(process.env.AUDIT_BENCH_APPENDS ?? 300);

function openDb(dir: string, name: string) {
  const db = new Database(path.join(dir, name));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.exec(AUDIT_SCHEMA_SQL);
  return db;
}

const sample = (i: number): AuditEntry => ({
  actor: i % 3 ? 'alice' : 'bob',
  action: i % 5 ? 'key.encrypt' : 'key.rotate',
  targetType: 'key',
  targetId: `0000000${i % 10}-0000-4000-8000-000000000000`,
  outcome: 'success',
  details: { version: (i % 4) + 1 },
});

function result(name: string, unit: string, baseline: number, measured: number, target: number, what: string, note: string): BenchResult {
  const ratio = measured / baseline;
  return { name, unit, baseline, measured, ratio, target: `>= ${target}x ${what}`, pass: ratio >= target, note };
}

function benchAppend(dir: string): BenchResult {
  const db = openDb(dir, 'append.db');
  const log = createAuditLog(db, { clock: manualClock(), checkpointEvery: 100 });
  log.setSigner(createAuditSigner(generateKeyPairSync('ed25519').privateKey));
  let t0 = performance.now();
  for (let i = 0; i < APPENDS; i++) log.append(sample(i));
  const auditMs = performance.now() - t0;
  const rows = db.prepare('SELECT * FROM audit_records ORDER BY seq').raw(true).all() as unknown[][];
  db.close();

  const raw = openDb(dir, 'raw.db');
  const insert = raw.prepare('INSERT INTO audit_records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const insertTx = raw.transaction((r: unknown[]) => insert.run(...r));
  t0 = performance.now();
  for (const r of rows) insertTx.immediate(r);
  const rawMs = performance.now() - t0;
  raw.close();
  return result('audit append, durable (WAL, synchronous=FULL)', 'records/s', (APPENDS / rawMs) * 1000, (APPENDS / auditMs) * 1000, 0.5,
    'raw SQLite inserts of the same rows', `${APPENDS} appends, one commit each, signed checkpoint every 100`);
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'audit-bench-'));
  try {
    return [benchAppend(dir)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
