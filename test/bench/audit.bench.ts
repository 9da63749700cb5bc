// Audit benchmarks: durable append vs raw SQLite inserts of the same rows (same pragmas, one transaction each), and
// verification of 1,000,000 records vs raw SHA-256 over the same canonical lines. Run: npm run bench audit
import Database from 'better-sqlite3';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { manualClock } from '../../electron/clock.ts';
import { createAuditLog, createAuditSigner, type AuditEntry } from '../../electron/services/audit/index.ts';
import { AUDIT_SCHEMA_SQL } from '../../electron/store/auditRepo.ts';
import type { BenchResult } from './types.ts';

const APPENDS = Number(process.env.AUDIT_BENCH_APPENDS ?? 300);
const VERIFY_RECORDS = Number(process.env.AUDIT_BENCH_RECORDS ?? 1_000_000);

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

async function benchVerify(dir: string): Promise<BenchResult> {
  const db = openDb(dir, 'verify.db');
  db.pragma('synchronous = OFF'); // generation only; verification reads
  const log = createAuditLog(db, { clock: manualClock(), checkpointEvery: 1000 });
  log.setSigner(createAuditSigner(generateKeyPairSync('ed25519').privateKey));
  const batch: AuditEntry[] = [];
  for (let i = 0; i < VERIFY_RECORDS; i++) {
    batch.push(sample(i));
    if (batch.length === 50_000) log.appendMany(batch.splice(0));
  }
  if (batch.length) log.appendMany(batch.splice(0));

  // The same bytes the verifier hashes: every canonical line, captured from the export path's walk.
  const lines: Buffer[] = [];
  const exportText = log.exportJsonl().content;
  let start = exportText.indexOf('\n') + 1;
  for (let i = 0; i < VERIFY_RECORDS; i++) {
    const end = exportText.indexOf('\n', start);
    lines.push(Buffer.from(exportText.slice(start, end)));
    start = end + 1;
  }

  const t0 = performance.now();
  const v = log.verify();
  const verifyMs = performance.now() - t0;
  if (!v.ok || v.checkedRecords !== VERIFY_RECORDS) throw new Error(`verification failed in the benchmark: ${JSON.stringify(v.firstBad)}`);

  const t1 = performance.now();
  let x = 0;
  for (const l of lines) x ^= createHash('sha256').update(l).digest()[0]!;
  const rawMs = performance.now() - t1;
  db.close();
  const bytes = lines.reduce((n, l) => n + l.length, 0);
  return result('audit verify, 1M records', 'records/s', (VERIFY_RECORDS / rawMs) * 1000, (VERIFY_RECORDS / verifyMs) * 1000, 0.5,
    'raw SHA-256 of the same lines', `${VERIFY_RECORDS} records (${(bytes / 1e6).toFixed(0)} MB of lines), ${v.checkpoints} signed checkpoints verified; verify ${verifyMs.toFixed(0)} ms vs hashing ${rawMs.toFixed(0)} ms (x${x & 0})`);
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'audit-bench-'));
  try {
    return [benchAppend(dir), await benchVerify(dir)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
