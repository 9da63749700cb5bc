// Audit log at scale (issue 11), each row against its baseline in the same run:
// - query: the first page unfiltered, and the first page filtered by actor + action + time range, on 1,000,000
//   records vs 1,000 (pages/s; target: a page at 1M costs <= 2x one at 1k, i.e. ratio >= 0.5);
// - verify at the default checkpoint interval, 100,000 and 1,000,000 records, vs raw SHA-256 of the same canonical
//   lines on one thread (target >= 0.8x); the console's verify as configured by default is measured, verify with hash
//   workers (rows read on the calling thread) is reported beside it;
// - export of 5,000,000 records to a file in a child process: records/s vs a raw SQLite-to-file copy of the same rows,
//   and peak resident memory vs the same export of 1,000,000 records (constant memory: <= 1.25x, and < 256 MB).
// Run: npm run bench audit-scale. Sizes: AUDIT_SCALE_QUERY_RECORDS, AUDIT_SCALE_EXPORT_RECORDS (smaller for a quick look);
// parts: AUDIT_SCALE_PARTS=verify (or query, export, comma-separated).
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, hash } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { manualClock } from '../../electron/clock.ts';
import { createAuditLog, createAuditSigner, DEFAULT_CHECKPOINT_EVERY, type AuditEntry, type AuditQuery } from '../../electron/services/audit/index.ts';
import { defaultVerifyWorkers } from '../../electron/services/audit/parallelWalk.ts';
import { walkChain } from '../../electron/services/audit/walkChain.ts';
import { AUDIT_QUERY_INDEXES_SQL, AUDIT_SCHEMA_SQL, createAuditRepo } from '../../electron/store/auditRepo.ts';
import type { BenchResult } from './types.ts';

const BIG = Number(process.env.AUDIT_SCALE_QUERY_RECORDS ?? 1_000_000);
const SMALL = 1_000;
const MID = 100_000;
const EXPORT = Number(process.env.AUDIT_SCALE_EXPORT_RECORDS ?? 5_000_000);
const START = Date.parse('2026-01-01T00:00:00Z');
const { privateKey } = generateKeyPairSync('ed25519');
const signer = createAuditSigner(privateKey);

const sample = (i: number): AuditEntry => ({
  // Two officers, three actions: one officer's one action in a time range still fills a page of 100 at 1,000 records.
  actor: ['alice', 'bob'][i % 2] as string,
  action: ['key.encrypt', 'key.decrypt', 'key.rotate'][i % 3] as string,
  targetType: 'key',
  targetId: `0000000${i % 10}-0000-4000-8000-000000000000`,
  outcome: 'success',
  details: { version: (i % 4) + 1 },
});

function openDb(file: string, fresh = true) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF'); // generation only
  if (fresh) {
    db.exec(AUDIT_SCHEMA_SQL);
    db.exec(AUDIT_QUERY_INDEXES_SQL);
  }
  return db;
}

/**
 * Appends records from..to (1-based) at the default checkpoint interval; 1,000 distinct times over the log (one per
 * batch), so a time range selects a share of the log that does not depend on its size.
 */
function generate(db: Database.Database, from: number, to: number, total: number) {
  const batch = Math.max(1, Math.floor(total / 1000));
  const clock = manualClock(START + Math.floor((from - 1) / batch) * 60_000);
  const log = createAuditLog(db, { clock });
  log.setSigner(signer);
  const entries: AuditEntry[] = [];
  for (let i = from; i <= to; i++) {
    entries.push(sample(i));
    if (entries.length === batch || i === to) {
      log.appendMany(entries.splice(0));
      clock.advance(60_000);
    }
  }
  return log;
}

function build(file: string, n: number) {
  const db = openDb(file);
  const log = generate(db, 1, n, n);
  return { db, log };
}

function result(name: string, unit: string, baseline: number, measured: number, target: number, what: string, note: string): BenchResult {
  const ratio = measured / baseline;
  return { name, unit, baseline, measured, ratio, target: `>= ${target}x ${what}`, pass: ratio >= target, note };
}

/** Pages per second: the median of many single calls (a page is well under a millisecond). */
function pagesPerSecond(run: () => unknown): number {
  for (let i = 0; i < 50; i++) run();
  const times: number[] = [];
  for (let i = 0; i < 400; i++) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return 1000 / (times[times.length >> 1] as number);
}

/** The log's time span without its first and last tenth. */
function middleRange(n: number): { from: string; to: string } {
  const batches = Math.ceil(n / Math.max(1, Math.floor(n / 1000)));
  const at = (k: number) => new Date(START + k * 60_000).toISOString();
  return { from: at(Math.floor(batches * 0.1)), to: at(Math.floor(batches * 0.9)) };
}

function benchQuery(small: ReturnType<typeof build>, big: ReturnType<typeof build>): BenchResult[] {
  const filtered = (n: number): AuditQuery => ({ actor: 'bob', action: 'key.rotate', ...middleRange(n), limit: 100 });
  const rows: BenchResult[] = [];
  const pages: Array<[string, (n: number) => AuditQuery]> = [
    ['first page, no filter', () => ({ limit: 100 })],
    ['first page, actor + action + time range', filtered],
    // The page after a record half-way through the log: a cursor deep inside the time range.
    ['page at mid-log, actor + action + time range', (n) => ({ ...filtered(n), before: Math.floor(n / 2) })],
  ];
  for (const [label, q] of pages) {
    const qs = q(SMALL);
    const qb = q(BIG);
    const s = small.log.query(qs);
    const b = big.log.query(qb);
    if (b.records.length !== 100 || s.records.length === 0) throw new Error(`query bench: unexpected pages (${s.records.length}, ${b.records.length})`);
    rows.push(result(`audit query ${label}, ${BIG.toLocaleString('en-US')} vs ${SMALL.toLocaleString('en-US')} records`, 'pages/s',
      pagesPerSecond(() => small.log.query(qs)), pagesPerSecond(() => big.log.query(qb)), 0.5,
      `the same page on ${SMALL} records (a page costs <= 2x)`,
      `limit 100; total ${b.total === null ? 'not counted (cursor page)' : `${b.total}${b.totalExact ? '' : '+ (capped)'} vs ${s.total}`}`));
  }
  return rows;
}

function checkedVerify(log: ReturnType<typeof createAuditLog>, n: number): number {
  const v = log.verify();
  if (!v.ok || v.checkedRecords !== n) throw new Error(`verification failed in the benchmark: ${JSON.stringify(v.firstBad)}`);
  return v.checkpoints;
}

function benchVerify(db: Database.Database, n: number): BenchResult {
  // The same bytes the verifier hashes: every canonical line, as the walk builds it.
  const lines: Buffer[] = [];
  walkChain(createAuditRepo(db), { checkpoints: [], trustedKey: null, onLine: (l) => void lines.push(Buffer.from(l)) });
  // The console's verify (its default number of hash workers: none on 2 cores) and verify with hash workers (the
  // default number, at least one), for comparison.
  const workers = Math.max(1, defaultVerifyWorkers());
  const asShipped = createAuditLog(db, { clock: manualClock(START) });
  const parallel = createAuditLog(db, { clock: manualClock(START), verifyWorkers: workers, verifyParallelFrom: 0 });
  asShipped.setSigner(signer);
  parallel.setSigner(signer);
  let x = 0;
  let checkpoints = 0;
  const sides: Record<'verify' | 'workers' | 'oneShot' | 'stream', () => void> = {
    verify: () => void (checkpoints = checkedVerify(asShipped, n)),
    workers: () => void checkedVerify(parallel, n),
    oneShot: () => {
      for (const l of lines) x ^= hash('sha256', l, 'buffer')[0]!;
    },
    stream: () => {
      for (const l of lines) x ^= createHash('sha256').update(l).digest()[0]!;
    },
  };
  // Four rounds, each side once per round in an order that rotates (a neighbour's burst on the shared machine hits every
  // side alike); the best time of each side counts. The first verify also starts the workers.
  const best = { verify: Infinity, workers: Infinity, oneShot: Infinity, stream: Infinity };
  const order = Object.keys(sides) as Array<keyof typeof sides>;
  for (let round = 0; round < 4; round++) {
    for (let k = 0; k < order.length; k++) {
      const side = order[(k + round) % order.length] as keyof typeof sides;
      const t0 = performance.now();
      sides[side]();
      best[side] = Math.min(best[side], performance.now() - t0);
    }
  }
  asShipped.close();
  parallel.close();
  // The baseline is the faster way to hash a line (one-shot crypto.hash), the stricter comparison.
  const rawMs = Math.min(best.stream, best.oneShot);
  const bytes = lines.reduce((s, l) => s + l.length, 0);
  return result(`audit verify, ${n.toLocaleString('en-US')} records, checkpoint every ${DEFAULT_CHECKPOINT_EVERY}`, 'records/s', (n / rawMs) * 1000, (n / best.verify) * 1000, 0.8,
    'raw SHA-256 of the same lines (one thread)',
    `${(bytes / 1e6).toFixed(0)} MB of lines, ${checkpoints} signatures; verify ${best.verify.toFixed(0)} ms (${defaultVerifyWorkers()} hash workers by default on ${availableParallelism()} cores; with ${workers} hash worker${workers === 1 ? '' : 's'}, the rows read on the calling thread: ${best.workers.toFixed(0)} ms = ${(rawMs / best.workers).toFixed(2)}x); hashing ${best.oneShot.toFixed(0)} ms one-shot, ${best.stream.toFixed(0)} ms createHash; load ${loadavg().map((l) => l.toFixed(1)).join(' ')} (x${x & 0})`);
}

interface ChildReport { records: number; bytes: number; ms: number; progressEvents: number; rssBeforeMb: number; peakRssMb: number }

function child(mode: 'export' | 'raw', dbFile: string, out: string): ChildReport {
  const stdout = execFileSync(process.execPath, [path.join(import.meta.dirname, 'auditExportChild.ts'), mode, dbFile, out], {
    env: { ...process.env, AUDIT_BENCH_KEY: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() },
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  rmSync(out, { force: true });
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as ChildReport;
}

function benchExport(dir: string, bigFile: string): BenchResult[] {
  const bigExport = child('export', bigFile, path.join(dir, 'big.jsonl'));
  // The large log continues the 1M one (same chain), so only the difference is generated.
  const exportFile = path.join(dir, 'export.db');
  copyFileSync(bigFile, exportFile);
  const db = openDb(exportFile, false);
  generate(db, BIG + 1, EXPORT, EXPORT);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const exp = child('export', exportFile, path.join(dir, 'export.jsonl'));
  const raw = child('raw', exportFile, path.join(dir, 'raw.jsonl'));
  rmSync(exportFile, { force: true });
  if (exp.records !== EXPORT) throw new Error(`export bench: ${exp.records} records exported, ${EXPORT} expected`);
  const n = EXPORT.toLocaleString('en-US');
  const memoryBound = 256;
  const growth = exp.peakRssMb / bigExport.peakRssMb;
  return [
    {
      name: `audit export to a file, ${n} records`,
      unit: 'records/s',
      baseline: (raw.records / raw.ms) * 1000,
      measured: (exp.records / exp.ms) * 1000,
      ratio: (exp.records / exp.ms) / (raw.records / raw.ms),
      target: 'reported (issue 11 sets no speed target); vs a raw SQLite-to-file copy of the rows',
      pass: true,
      note: `${(exp.bytes / 2 ** 20).toFixed(0)} MiB in ${(exp.ms / 1000).toFixed(1)} s, chain verified while writing, ${exp.progressEvents} progress callbacks`,
    },
    {
      name: `audit export peak RSS, ${n} vs ${BIG.toLocaleString('en-US')} records`,
      unit: 'MB',
      baseline: bigExport.peakRssMb,
      measured: exp.peakRssMb,
      ratio: growth,
      target: `<= 1.25x (constant memory) and < ${memoryBound} MB`,
      pass: growth <= 1.25 && exp.peakRssMb < memoryBound,
      note: `ratio = peak at ${n} / peak at ${BIG.toLocaleString('en-US')} (lower is better); RSS at start ${exp.rssBeforeMb.toFixed(0)} MB; raw copy peaked at ${raw.peakRssMb.toFixed(0)} MB`,
    },
  ];
}

/** AUDIT_SCALE_PARTS: a comma list of query, verify, export (default all) for a quick look at one part. */
const PARTS = new Set((process.env.AUDIT_SCALE_PARTS ?? 'query,verify,export').split(','));

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'audit-scale-bench-'));
  try {
    const rows: BenchResult[] = [];
    const bigFile = path.join(dir, 'big.db');
    const big = build(bigFile, BIG);
    if (PARTS.has('query')) {
      const small = build(path.join(dir, 'small.db'), SMALL);
      rows.push(...benchQuery(small, big));
      small.db.close();
    }
    if (PARTS.has('verify')) {
      const mid = build(path.join(dir, 'mid.db'), MID);
      rows.push(benchVerify(mid.db, MID));
      mid.db.close();
      rows.push(benchVerify(big.db, BIG));
    }
    big.log.close();
    big.db.pragma('wal_checkpoint(TRUNCATE)');
    big.db.close();
    if (PARTS.has('export')) rows.push(...benchExport(dir, bigFile));
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
