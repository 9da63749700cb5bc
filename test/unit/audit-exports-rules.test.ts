// The console's audit exports (electron/services/audit/auditExports.ts) called directly over a real audit log (real
// SQLite, real Ed25519 key) and real files in a temp dir, against docs/audit-log.md ("How an export is produced"):
// where each transport's export goes, the single-use 60 s download ticket, progress events (running about 100 times,
// then done or failed with the error), and the audit.export record of every export and every refused start, which
// lands after the export so an export never contains itself. The exported bytes are checked by the offline verifier.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditExportProgress, AuditExportStarted, type AuditRecord } from '../../shared/contract.ts';
import { ConsoleError, isConsoleError } from '../../shared/errors.ts';
import { manualClock } from '../../electron/clock.ts';
import { createAuditExports, type AuditExports } from '../../electron/services/audit/auditExports.ts';
import { createAuditLog, verifyExport, type AuditLog, type AuditSigner } from '../../electron/services/audit/index.ts';
import { entry, newSigner, openTestDb } from './audit-testdb.ts';

const RECORDS = 30;
const START = Date.parse('2026-03-04T05:06:07.089Z');
/** The file name docs/audit-log.md's exports carry for that time: ecps-audit-<ISO time, ':' and '.' as '-'>.jsonl. */
const NAME_AT_START = 'ecps-audit-2026-03-04T05-06-07-089Z.jsonl';

let dir: string;
let n = 0;
const fresh = (name: string) => join(dir, `${++n}-${name}`);
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ecps-audit-exports-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface World {
  t: ReturnType<typeof openTestDb>;
  log: AuditLog;
  signer: AuditSigner;
  clock: ReturnType<typeof manualClock>;
  progress: AuditExportProgress[];
  logged: Array<[level: string, message: string, fields: unknown]>;
  session: { locked: boolean; actor: string };
  exports: AuditExports;
  /** Resolves with the next done or failed progress event. */
  ended(): Promise<AuditExportProgress>;
}

let w: World;

function world(o: { chooseSavePath?: (name: string) => Promise<string | null>; ticketTtlMs?: number; records?: number; noLogger?: boolean } = {}): World {
  const t = openTestDb('audit-exports-');
  const clock = manualClock(START);
  const log = createAuditLog(t.db, { clock, quietCheckpointMs: 0 });
  const signer = newSigner();
  log.setSigner(signer);
  const batch = Array.from({ length: o.records ?? RECORDS }, (_, i) => entry(i));
  if (batch.length) log.appendMany(batch);
  const progress: AuditExportProgress[] = [];
  const waiting: Array<(p: AuditExportProgress) => void> = [];
  const logged: World['logged'] = [];
  const session = { locked: false, actor: 'alice' };
  const exports = createAuditExports({
    audit: log,
    session: {
      require: () => {
        if (session.locked) throw new ConsoleError('locked', 'The console is locked.');
      },
      actor: () => session.actor,
    },
    emitProgress: (p) => {
      progress.push(AuditExportProgress.parse(p));
      if (p.state !== 'running') waiting.splice(0).forEach((r) => r(p));
    },
    clock,
    ...(o.noLogger ? {} : {
      logger: {
        info: (m: string, f?: Record<string, unknown>) => void logged.push(['info', m, f]),
        warn: (m: string, f?: Record<string, unknown>) => void logged.push(['warn', m, f]),
        error: (m: string, f?: Record<string, unknown>) => void logged.push(['error', m, f]),
      },
    }),
    ...(o.chooseSavePath ? { chooseSavePath: o.chooseSavePath } : {}),
    ...(o.ticketTtlMs === undefined ? {} : { ticketTtlMs: o.ticketTtlMs }),
  });
  return { t, log, signer, clock, progress, logged, session, exports, ended: () => new Promise((r) => waiting.push(r)) };
}

afterEach(() => w?.t.cleanup());

/** The audit.export records, oldest first. */
function exportRecords(log: AuditLog): AuditRecord[] {
  return log.query({ action: 'audit.export', limit: 100 }).records.reverse();
}

async function failure(p: Promise<unknown> | (() => unknown)): Promise<ConsoleError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (isConsoleError(e)) return e;
    throw e;
  }
  throw new Error('expected a typed error');
}

function checkExport(content: string | Buffer, signer: AuditSigner, records: number): void {
  const v = verifyExport(content, signer.publicKeySpki);
  expect(v.firstBad).toBeNull();
  expect(v.ok).toBe(true);
  expect(v.checkedRecords).toBe(records);
}

describe('CLI: toFile', () => {
  beforeEach(() => {
    w = world();
  });

  it('writes a verifiable 0600 file of records 1..head, then audits it as one success record after the export', async () => {
    const out = fresh('audit.jsonl');
    const summary = await w.exports.toFile(out, { overwrite: false });
    const content = readFileSync(out);
    checkExport(content, w.signer, RECORDS);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(summary).toEqual({ fileName: NAME_AT_START, records: RECORDS, checkpoints: summary.checkpoints, bytes: content.length });
    expect(summary.checkpoints).toBeGreaterThanOrEqual(1);
    const recs = exportRecords(w.log);
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ seq: RECORDS + 1, actor: 'alice', action: 'audit.export', targetType: 'audit', targetId: null, outcome: 'success', details: { records: RECORDS } });
    expect(content.toString().includes('"action":"audit.export"')).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('sends progress: running from 0, then done with the records and bytes, all under one export id', async () => {
    const out = fresh('audit.jsonl');
    await w.exports.toFile(out, { overwrite: false });
    const p = w.progress;
    expect(p[0]).toEqual({ exportId: p[0]!.exportId, state: 'running', records: 0, total: RECORDS, bytes: 0, error: null });
    expect(p.at(-1)).toEqual({ exportId: p[0]!.exportId, state: 'done', records: RECORDS, total: RECORDS, bytes: statSync(out).size, error: null });
    expect(new Set(p.map((e) => e.exportId)).size).toBe(1);
    expect(p[0]!.exportId).toMatch(/^[A-Za-z0-9_-]{24}$/); // 18 random bytes, base64url
    expect(p.slice(1, -1).every((e) => e.state === 'running')).toBe(true);
  });

  it('every export has its own id', async () => {
    await w.exports.toFile(fresh('a.jsonl'), { overwrite: false });
    await w.exports.toFile(fresh('b.jsonl'), { overwrite: false });
    expect(new Set(w.progress.map((e) => e.exportId)).size).toBe(2);
  });

  it('an existing file is refused without overwrite: failed progress with the error, a failure record, the file untouched', async () => {
    const out = fresh('exists.jsonl');
    writeFileSync(out, 'precious');
    const e = await failure(w.exports.toFile(out, { overwrite: false, overwriteHint: ' (use --force to replace it)' }));
    expect([e.code, e.details]).toEqual(['invalid_input', { field: 'out' }]);
    expect(readFileSync(out, 'utf8')).toBe('precious');
    const last = w.progress.at(-1)!;
    expect(last).toEqual({ exportId: w.progress[0]!.exportId, state: 'failed', records: 0, total: RECORDS, bytes: 0, error: { code: 'invalid_input', message: e.message } });
    expect(exportRecords(w.log).map((r) => [r.outcome, r.details])).toEqual([['failure', { code: 'invalid_input' }]]);
    await w.exports.toFile(out, { overwrite: true });
    checkExport(readFileSync(out), w.signer, RECORDS + 1); // the failure record is in the second export
  });

  it('a locked console is refused before anything starts, and the refusal is audited under the actor', async () => {
    w.session.locked = true;
    w.session.actor = 'unknown';
    const out = fresh('locked.jsonl');
    expect((await failure(w.exports.toFile(out, { overwrite: false }))).code).toBe('locked');
    expect(existsSync(out)).toBe(false);
    expect(w.progress).toEqual([]);
    expect(exportRecords(w.log).map((r) => [r.actor, r.outcome, r.details])).toEqual([['unknown', 'failure', { code: 'locked' }]]);
  });

  it('a log whose audit key is not trusted is refused as the log refuses it (integrity_failure), audited', async () => {
    w.log.setKey({ state: 'untrusted', reason: 'its MAC did not match' });
    expect((await failure(w.exports.toFile(fresh('x.jsonl'), { overwrite: false }))).code).toBe('integrity_failure');
    expect(exportRecords(w.log).map((r) => r.details)).toEqual([{ code: 'integrity_failure' }]);
  });

  it('a log damaged since the last checkpoint is refused at the start (nothing signed over it): no progress, no file, audited', async () => {
    w.t.db.prepare("UPDATE audit_records SET actor = 'mallory' WHERE seq = 7").run();
    const out = fresh('damaged.jsonl');
    const e = await failure(w.exports.toFile(out, { overwrite: false }));
    expect(e.code).toBe('integrity_failure');
    expect(existsSync(out)).toBe(false);
    expect(w.progress).toEqual([]);
    expect(exportRecords(w.log).map((r) => [r.outcome, r.details])).toEqual([['failure', { code: 'integrity_failure' }]]);
  });

  it('a log damaged after the export started stops it half-way: failed progress with the error, audited', async () => {
    const s = await w.exports.start('browser-host');
    w.t.db.prepare("UPDATE audit_records SET actor = 'mallory' WHERE seq = 7").run();
    let got = '';
    const e = await failure(w.exports.deliver(w.exports.claim(s.exportId!)!, { write: (c) => void (got += c) }));
    expect(e.code).toBe('integrity_failure');
    expect(got.includes('"type":"seal"')).toBe(false);
    // failed: where the progress had got to (it never goes back), short of the total, with the error
    const lastRunning = w.progress.filter((p) => p.state === 'running').at(-1)!;
    expect(lastRunning.records).toBeLessThan(RECORDS);
    expect(w.progress.at(-1)).toEqual({ exportId: s.exportId, state: 'failed', records: lastRunning.records, total: RECORDS, bytes: 0, error: { code: 'integrity_failure', message: e.message } });
    expect(exportRecords(w.log).map((r) => [r.outcome, r.details])).toEqual([['failure', { code: 'integrity_failure' }]]);
  });

  it('an unexpected error is answered as internal, and when the record cannot be written the logger says so without details', async () => {
    w.t.db.close(); // the audit log can neither export nor record
    const e = await failure(w.exports.toFile(fresh('closed.jsonl'), { overwrite: false }));
    expect([e.code, e.message]).toEqual(['internal', 'audit.export failed unexpectedly.']);
    expect(w.logged).toEqual([['error', 'the audit export could not be recorded', { error: 'internal' }]]);
  });

  it('a record refused with a typed error is logged with its code', async () => {
    w.session.actor = ''; // the log refuses an empty actor (invalid_input)
    w.session.locked = true;
    expect((await failure(w.exports.toFile(fresh('x.jsonl'), { overwrite: false }))).code).toBe('locked');
    expect(w.logged).toEqual([['error', 'the audit export could not be recorded', { error: 'invalid_input' }]]);
  });
});

describe('browser host: start, claim, deliver', () => {
  beforeEach(() => {
    w = world();
  });

  it('start answers a single-use download path and audits nothing yet', async () => {
    const s = AuditExportStarted.parse(await w.exports.start('browser-host'));
    expect(s).toEqual({ exportId: s.exportId, fileName: NAME_AT_START, records: RECORDS, delivery: { kind: 'download', path: `/exports/audit/${s.exportId}` } });
    expect(s.exportId).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(exportRecords(w.log)).toEqual([]);
    expect(w.progress).toEqual([]);
    const ticket = w.exports.claim(s.exportId!);
    expect(ticket?.id).toBe(s.exportId);
    expect(ticket?.plan.headSeq).toBe(RECORDS);
    expect(w.exports.claim(s.exportId!)).toBeNull(); // single use
    expect(w.exports.claim('not-an-export-id-at-all')).toBeNull();
  });

  it('the same for every transport without a save dialog (cli, test, electron without one)', async () => {
    for (const transport of ['cli', 'test', 'electron'] as const) {
      const s = await w.exports.start(transport);
      expect(s.delivery.kind, transport).toBe('download');
    }
  });

  it('a download waits 60 s by default: claimable just before, gone at 60 s', async () => {
    const a = await w.exports.start('browser-host');
    const b = await w.exports.start('browser-host');
    w.clock.advance(59_999);
    expect(w.exports.claim(a.exportId!)).not.toBeNull();
    w.clock.advance(1);
    expect(w.exports.claim(b.exportId!)).toBeNull();
  });

  it('the wait is configurable', async () => {
    w.t.cleanup();
    w = world({ ticketTtlMs: 1000 });
    const a = await w.exports.start('browser-host');
    const b = await w.exports.start('browser-host');
    w.clock.advance(999);
    expect(w.exports.claim(a.exportId!)).not.toBeNull();
    w.clock.advance(1);
    expect(w.exports.claim(b.exportId!)).toBeNull();
  });

  it('deliver streams the prepared export (records appended since are not in it) and audits it after', async () => {
    const s = await w.exports.start('browser-host');
    w.log.append({ actor: 'bob', action: 'key.create', targetType: 'key', targetId: null, outcome: 'success' });
    const ticket = w.exports.claim(s.exportId!)!;
    let content = '';
    const summary = await w.exports.deliver(ticket, { write: (chunk) => void (content += chunk) });
    checkExport(content, w.signer, RECORDS);
    expect(summary.records).toBe(RECORDS);
    expect(summary.bytes).toBe(Buffer.byteLength(content));
    expect(w.progress.map((p) => p.exportId)).toEqual(w.progress.map(() => s.exportId));
    expect(w.progress.at(-1)).toMatchObject({ state: 'done', records: RECORDS, total: RECORDS, bytes: summary.bytes });
    expect(exportRecords(w.log)).toMatchObject([{ seq: RECORDS + 2, outcome: 'success', details: { records: RECORDS } }]);
  });

  it('a download closed by the browser ends as failed with its code, audited', async () => {
    const s = await w.exports.start('browser-host');
    const e = await failure(w.exports.deliver(w.exports.claim(s.exportId!)!, {
      write: () => {
        throw new ConsoleError('cancelled', 'The audit export download was closed before it finished.');
      },
    }));
    expect(e.code).toBe('cancelled');
    expect(w.progress.at(-1)).toEqual({ exportId: s.exportId, state: 'failed', records: 0, total: RECORDS, bytes: 0, error: { code: 'cancelled', message: 'The audit export download was closed before it finished.' } });
    expect(exportRecords(w.log).map((r) => [r.outcome, r.details])).toEqual([['failure', { code: 'cancelled' }]]);
  });

  it('a key that fails its check between the start and the download stops it: integrity_failure, not exported', async () => {
    const s = await w.exports.start('browser-host');
    w.log.setKey({ state: 'untrusted', reason: 'its MAC did not match' });
    let got = '';
    const e = await failure(w.exports.deliver(w.exports.claim(s.exportId!)!, { write: (c) => void (got += c) }));
    expect(e.code).toBe('integrity_failure');
    // docs/audit-log.md: the reason, and that the chain cannot be trusted; here also that nothing was exported
    expect(e.message).toContain('(its MAC did not match), so the audit chain cannot be trusted');
    expect(e.message).toContain('so it was not exported');
    expect(got).toBe('');
    expect(exportRecords(w.log).map((r) => [r.outcome, r.details])).toEqual([['failure', { code: 'integrity_failure' }]]);
  });

  it('a sink failing with an untyped error is internal', async () => {
    const s = await w.exports.start('browser-host');
    const e = await failure(w.exports.deliver(w.exports.claim(s.exportId!)!, { write: () => Promise.reject(new Error('socket hang up')) }));
    expect([e.code, e.message]).toEqual(['internal', 'audit.export failed unexpectedly.']);
    expect(exportRecords(w.log).map((r) => r.details)).toEqual([{ code: 'internal' }]);
  });

  it('a locked console cannot start one; the refusal is audited', async () => {
    w.session.locked = true;
    expect((await failure(w.exports.start('browser-host'))).code).toBe('locked');
    expect(exportRecords(w.log).map((r) => [r.outcome, r.details])).toEqual([['failure', { code: 'locked' }]]);
  });
});

describe('progress: about 100 running events per export, rising', () => {
  it('over a log of many chunks: first at 0, then each at least 1/100 of the total further, never repeated', async () => {
    const records = 9000; // three record chunks of 4,096 (docs/audit-log.md)
    w = world({ records });
    const out = fresh('big.jsonl');
    await w.exports.toFile(out, { overwrite: false });
    const running = w.progress.filter((p) => p.state === 'running').map((p) => p.records);
    expect(running[0]).toBe(0);
    expect(running.length).toBeGreaterThan(2); // the chunks are reported
    expect(running.length).toBeLessThanOrEqual(101);
    for (let i = 1; i < running.length; i++) expect(running[i]! - running[i - 1]!).toBeGreaterThanOrEqual(Math.ceil(records / 100));
    expect(w.progress.every((p) => p.total === records)).toBe(true);
    const runningBytes = w.progress.filter((p) => p.state === 'running').map((p) => p.bytes);
    expect(runningBytes[1]).toBeGreaterThan(0);
    expect(runningBytes).toEqual([...runningBytes].sort((a, b) => a - b));
    expect(w.progress.at(-1)).toMatchObject({ state: 'done', records, bytes: statSync(out).size });
  });

  it('an empty log exports as an empty export: total 0, no division by zero', async () => {
    w = world({ records: 0 });
    const out = fresh('empty.jsonl');
    const summary = await w.exports.toFile(out, { overwrite: false });
    expect(summary.records).toBe(0);
    checkExport(readFileSync(out), w.signer, 0);
    expect(w.progress[0]).toMatchObject({ state: 'running', records: 0, total: 0 });
    expect(w.progress.at(-1)).toMatchObject({ state: 'done', records: 0, total: 0 });
  });
});

describe('Electron: the save dialog', () => {
  it('asks where to save with the suggested name, answers the file delivery, writes it and audits it', async () => {
    const target = fresh('chosen.jsonl');
    const asked: string[] = [];
    w = world({ chooseSavePath: async (name) => (asked.push(name), target) });
    const done = w.ended();
    const s = AuditExportStarted.parse(await w.exports.start('electron'));
    expect(asked).toEqual([NAME_AT_START]);
    expect(s).toEqual({ exportId: s.exportId, fileName: target.slice(dir.length + 1), records: RECORDS, delivery: { kind: 'file', path: target } });
    expect(s.exportId).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const end = await done;
    expect(end).toMatchObject({ exportId: s.exportId, state: 'done', records: RECORDS });
    checkExport(readFileSync(target), w.signer, RECORDS);
    expect(exportRecords(w.log).map((r) => [r.outcome, r.details])).toEqual([['success', { records: RECORDS }]]);
  });

  it('replaces the chosen file (the dialog asked already)', async () => {
    const target = fresh('chosen.jsonl');
    writeFileSync(target, 'old');
    w = world({ chooseSavePath: async () => target });
    const done = w.ended();
    await w.exports.start('electron');
    expect((await done).state).toBe('done');
    checkExport(readFileSync(target), w.signer, RECORDS);
  });

  it('cancelled: nothing started, nothing audited', async () => {
    w = world({ chooseSavePath: async () => null });
    expect(await w.exports.start('electron')).toEqual({ exportId: null, fileName: NAME_AT_START, records: 0, delivery: { kind: 'cancelled' } });
    expect(w.progress).toEqual([]);
    expect(exportRecords(w.log)).toEqual([]);
  });

  it('a locked console is refused before the dialog opens; the refusal is audited like any refused start', async () => {
    const asked: string[] = [];
    w = world({ chooseSavePath: async (name) => (asked.push(name), fresh('x.jsonl')) });
    w.session.locked = true;
    expect((await failure(w.exports.start('electron'))).code).toBe('locked');
    expect(asked).toEqual([]);
    expect(exportRecords(w.log).map((r) => [r.outcome, r.details])).toEqual([['failure', { code: 'locked' }]]);
  });

  it('a browser transport still gets a download', async () => {
    w = world({ chooseSavePath: async () => fresh('never.jsonl') });
    expect((await w.exports.start('browser-host')).delivery.kind).toBe('download');
  });

  it('a file that cannot be written ends as failed progress, a failure record and a warning in the log', async () => {
    const target = join(dir, 'no-such-dir', 'x.jsonl');
    w = world({ chooseSavePath: async () => target });
    const done = w.ended();
    const s = await w.exports.start('electron');
    const end = await done;
    expect(end).toMatchObject({ exportId: s.exportId, state: 'failed', error: { code: 'invalid_input' } });
    expect(exportRecords(w.log).map((r) => [r.outcome, r.details])).toEqual([['failure', { code: 'invalid_input' }]]);
    // the warning follows the rejection on a later turn: wait for the log line itself
    await expect.poll(() => w.logged).toEqual([['warn', 'audit export to a file failed', { error: 'invalid_input' }]]);
  });
});

describe('without a logger (it is optional)', () => {
  it('a record that cannot be written does not change the answer', async () => {
    w = world({ noLogger: true });
    w.t.db.close();
    const e = await failure(w.exports.toFile(fresh('closed.jsonl'), { overwrite: false }));
    expect([e.code, e.message]).toEqual(['internal', 'audit.export failed unexpectedly.']);
  });

  it('a failed save-dialog export still ends as failed progress and a failure record, with nothing thrown', async () => {
    w = world({ noLogger: true, chooseSavePath: async () => join(dir, 'no-such-dir', 'x.jsonl') });
    const done = w.ended();
    await w.exports.start('electron');
    expect(await done).toMatchObject({ state: 'failed', error: { code: 'invalid_input' } });
    expect(exportRecords(w.log).map((r) => [r.outcome, r.details])).toEqual([['failure', { code: 'invalid_input' }]]);
    // the background promise settles on a later turn; an error thrown there would be an unhandled rejection
    await new Promise<void>((r) => setImmediate(r));
  });
});
