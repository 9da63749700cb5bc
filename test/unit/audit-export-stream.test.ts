// The streamed audit export (issue 11): the same bytes as the one-string export, produced in bounded chunks, one at a
// time (the next chunk is not built before the sink took the previous one: backpressure, so memory does not grow with
// the log), with progress; a damaged log stops the stream and leaves no file. Expectations come from docs/audit-log.md
// ("Export") and from verifyExport, the offline verifier.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleError } from '../../shared/errors.ts';
import { writeExportFile } from '../../electron/services/audit/exportFile.ts';
import { verifyExport, type AuditLog } from '../../electron/services/audit/index.ts';
import { entry, makeLog, newSigner, openTestDb } from './audit-testdb.ts';

const RECORDS = 20_000;
/** Records per chunk, as docs/audit-log.md states it. */
const RECORDS_PER_CHUNK = 4096;
let t: ReturnType<typeof openTestDb>;
let log: AuditLog;

beforeAll(() => {
  t = openTestDb('audit-stream-');
  const made = makeLog(t.db);
  log = made.log;
  log.setSigner(newSigner());
  const batch = [];
  for (let i = 0; i < RECORDS; i++) {
    batch.push(entry(i));
    if (batch.length === 1000) {
      log.appendMany(batch.splice(0));
      made.clock.advance(1000);
    }
  }
});
afterAll(() => t.cleanup());

describe('writeExport streams the export', () => {
  it('in chunks of at most 4,096 records, each taken by the sink before the next is built, with rising progress', async () => {
    const chunks: string[] = [];
    let outstanding = 0;
    let maxOutstanding = 0;
    const progress: number[] = [];
    const plan = log.prepareExport();
    const summary = await log.writeExport(plan, {
      // A slow sink: each write settles on a later turn of the event loop; the producer must wait for it.
      write: async (chunk) => {
        outstanding++;
        maxOutstanding = Math.max(maxOutstanding, outstanding);
        chunks.push(chunk);
        await new Promise((r) => setTimeout(r, 0));
        outstanding--;
      },
    }, { onProgress: (p) => progress.push(p.records) });

    expect(maxOutstanding).toBe(1);
    const recordLines = chunks.map((c) => c.split('\n').filter((l) => l.startsWith('{"seq":')).length);
    expect(Math.max(...recordLines)).toBeLessThanOrEqual(RECORDS_PER_CHUNK);
    expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil(plan.headSeq / RECORDS_PER_CHUNK));
    // No chunk is the whole export, or anywhere near it.
    const content = chunks.join('');
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(content.length / 4);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(plan.headSeq);
    expect(summary).toMatchObject({ records: plan.headSeq, bytes: Buffer.byteLength(content) });
    expect(verifyExport(content)).toMatchObject({ ok: true, checkedRecords: plan.headSeq, firstBad: null });
  });

  it('writes the same bytes as the one-string export of the same log (the format did not change)', async () => {
    const whole = log.exportJsonl();
    // exportJsonl signed a fresh checkpoint and fixed its time; the streamed export of the same plan must match it.
    const plan = log.prepareExport();
    const parts: string[] = [];
    await log.writeExport(plan, { write: (c) => void parts.push(c) });
    const streamed = parts.join('');
    const body = (s: string) => s.split('\n').slice(1, -2);
    expect(body(streamed)).toEqual(body(whole.content));
    expect(streamed.split('\n')[0]!.replace(/"exportedAt":"[^"]+"/, '')).toBe(whole.content.split('\n')[0]!.replace(/"exportedAt":"[^"]+"/, ''));
  });

  it('to a file: owner-only, complete, verified by the offline verifier; an existing file is kept unless overwrite', async () => {
    const out = path.join(t.dir, 'export.jsonl');
    const plan = log.prepareExport();
    await writeExportFile(out, { overwrite: false }, (sink) => log.writeExport(plan, sink));
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(verifyExport(readFileSync(out))).toMatchObject({ ok: true, checkedRecords: plan.headSeq });
    writeFileSync(out, 'keep me');
    const refused = await writeExportFile(out, { overwrite: false }, (sink) => log.writeExport(log.prepareExport(), sink)).catch((e: unknown) => e);
    expect((refused as ConsoleError).code).toBe('invalid_input');
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    await writeExportFile(out, { overwrite: true }, (sink) => log.writeExport(log.prepareExport(), sink));
    expect(verifyExport(readFileSync(out)).ok).toBe(true);
  });

  it('a record changed under the export stops it with integrity_failure after some chunks, and no file is left', async () => {
    const plan = log.prepareExport();
    t.db.prepare("UPDATE audit_records SET actor = 'mallory' WHERE seq = ?").run(15_000);
    try {
      const parts: string[] = [];
      const failed = await log.writeExport(plan, { write: (c) => void parts.push(c) }).catch((e: unknown) => e);
      expect((failed as ConsoleError).code).toBe('integrity_failure');
      expect((failed as ConsoleError).message).toContain('record 15000');
      // It streamed (the first records went out before the bad one was met), and what went out has no seal.
      expect(parts.length).toBeGreaterThan(1);
      expect(verifyExport(parts.join('')).ok).toBe(false);

      const dir = path.join(t.dir, 'out');
      mkdirSync(dir);
      const target = path.join(dir, 'bad.jsonl');
      const fileFailed = await writeExportFile(target, { overwrite: false }, (sink) => log.writeExport(plan, sink)).catch((e: unknown) => e);
      expect((fileFailed as ConsoleError).code).toBe('integrity_failure');
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      t.db.prepare('UPDATE audit_records SET actor = ? WHERE seq = ?').run(entry(14_999).actor, 15_000);
    }
    expect(log.verify().ok).toBe(true);
  });
});
