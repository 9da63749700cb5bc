// Child process of audit-scale.bench.ts: one export (or the raw copy it is compared with) in a fresh process, so the
// peak resident memory it reports is the export's alone, not the generation's. Peak = VmHWM of /proc/self/status (the
// high-water mark of this process image; getrusage's maxRSS is not used: Linux carries it over from the forked parent).
// argv: mode ('export' | 'raw'), database path, output path; env AUDIT_BENCH_KEY: the audit key (PKCS#8 PEM).
import Database from 'better-sqlite3';
import { createPrivateKey } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { manualClock } from '../../electron/clock.ts';
import { createAuditLog, createAuditSigner } from '../../electron/services/audit/index.ts';
import { writeExportFile } from '../../electron/services/audit/exportFile.ts';

const [mode, dbPath, outPath] = process.argv.slice(2) as [string, string, string];
const db = new Database(dbPath);
db.pragma('journal_mode = WAL');
const rssBefore = process.memoryUsage().rss;
let records = 0;
let bytes = 0;
let progressEvents = 0;
const t0 = performance.now();
if (mode === 'export') {
  const log = createAuditLog(db, { clock: manualClock(Date.parse('2027-01-01T00:00:00Z')) });
  log.setSigner(createAuditSigner(createPrivateKey(process.env.AUDIT_BENCH_KEY ?? '')));
  const plan = log.prepareExport();
  const summary = await writeExportFile(outPath, { overwrite: true }, (sink) => log.writeExport(plan, sink, { onProgress: () => void progressEvents++ }));
  records = summary.records;
  bytes = summary.bytes;
} else {
  // The baseline: every stored row read in order and written as one JSON line, through a file stream with backpressure.
  const out = createWriteStream(outPath);
  let buffered = '';
  for (const row of db.prepare('SELECT * FROM audit_records ORDER BY seq').raw(true).iterate()) {
    buffered += JSON.stringify(row) + '\n';
    records++;
    if (buffered.length > 1 << 20) {
      bytes += Buffer.byteLength(buffered);
      if (!out.write(buffered)) await once(out, 'drain');
      buffered = '';
    }
  }
  bytes += Buffer.byteLength(buffered);
  out.end(buffered);
  await once(out, 'finish');
}
const ms = performance.now() - t0;
const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
if (!hwm) throw new Error('no VmHWM in /proc/self/status: this benchmark measures peak memory on Linux only');
db.close();
process.stdout.write(JSON.stringify({ records, bytes, ms, progressEvents, rssBeforeMb: rssBefore / 2 ** 20, peakRssMb: Number(hwm[1]) / 1024 }) + '\n');
