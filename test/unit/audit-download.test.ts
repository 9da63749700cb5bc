// The browser host's audit export download (docs/audit-log.md, "How an export is produced"): audit:export hands out
// /exports/audit/<id>; the id is random (18 bytes), single-use, valid for 60 s, GET only (a HEAD does not use it up);
// the response is the export, chunked (no Content-Length), and a failure half-way destroys the connection, so the
// browser marks the download failed. Every response carries the host's security headers (docs/security.md).
// A refused download is `404` with the text below (a plain-text body, like the host's other refusals), a refused
// method `405` with `Allow: GET`.
// Real objects: an HTTP server on 127.0.0.1 (port 0) whose handler is serveAuditDownload, the real audit exports over
// a real SQLite audit log with a real Ed25519 key, and a manual clock for the 60 s.
import { createServer, request, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditExportProgress } from '../../shared/contract.ts';
import { manualClock } from '../../electron/clock.ts';
import { isAuditDownload, serveAuditDownload } from '../../electron/host/auditDownload.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { browserHostCsp, securityHeaders } from '../../electron/security/csp.ts';
import { createAuditExports, type AuditExports } from '../../electron/services/audit/auditExports.ts';
import { verifyExport, type AuditLog } from '../../electron/services/audit/index.ts';
import { entry, makeLog, newSigner, openTestDb } from './audit-testdb.ts';

/** docs/audit-log.md: the download path and how long a prepared download waits. */
const PREFIX = '/exports/audit/';
const TTL_MS = 60_000;
const GONE_BODY = 'ECPS console: unknown or expired audit export (start the export again)';
const METHOD_BODY = 'ECPS console: method not allowed';
const RECORDS = 9_000;
/** What the officer sees in the export's progress when the browser closed the download. */
const CANCELLED_MESSAGE = 'The audit export download was closed before it finished.'; // more than two chunks of 4,096 records

interface Got {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The connection ended before a complete response (destroyed by the server). */
  broken: boolean;
}

let t: ReturnType<typeof openTestDb>;
let log: AuditLog;
let server: Server;
let port: number;
let hostHeaders: Record<string, string>;
let exports: AuditExports;
let clock: ReturnType<typeof manualClock>;
let logger: ReturnType<typeof createMemoryLogger>;
let progress: AuditExportProgress[];
/** Every id the download handed to claim(). */
let claimed: string[];
/** Called with the server side of each download before it is served (to watch it). */
let watch: ((res: ServerResponse) => void) | null = null;

beforeAll(async () => {
  t = openTestDb('audit-download-');
  log = makeLog(t.db).log;
  log.setSigner(newSigner());
  const batch = [];
  for (let i = 0; i < RECORDS; i++) {
    batch.push(entry(i));
    if (batch.length === 1000) log.appendMany(batch.splice(0));
  }
  server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (!isAuditDownload(pathname)) {
      res.writeHead(418).end();
      return;
    }
    watch?.(res);
    void serveAuditDownload({ req, res, pathname, exports: recording(exports), headers: hostHeaders, logger });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  hostHeaders = securityHeaders(browserHostCsp(port));
});
afterAll(async () => {
  await new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
  t.cleanup();
});
beforeEach(() => {
  clock = manualClock();
  logger = createMemoryLogger();
  progress = [];
  claimed = [];
  watch = null;
  exports = createAuditExports({
    audit: log,
    session: { require() {}, actor: () => 'alice' },
    emitProgress: (p) => progress.push(p),
    clock,
    logger,
  });
});
afterEach(() => {
  // Nothing was left half-done by a test.
  expect(server.listening).toBe(true);
});

/** The real exports, with the ids the download asks for recorded. */
function recording(real: AuditExports): AuditExports {
  return { ...real, claim: (id) => (claimed.push(id), real.claim(id)) };
}

function get(path: string, method = 'GET', onFirstData?: (destroy: () => void) => void): Promise<Got> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      let broken = false;
      const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), broken });
      res.on('data', (c: Buffer) => {
        if (chunks.length === 0 && onFirstData) onFirstData(() => res.destroy());
        chunks.push(c);
      });
      res.on('aborted', () => (broken = true));
      res.on('error', () => (broken = true));
      res.on('close', () => {
        if (!res.complete) broken = true;
        done();
      });
    });
    req.on('error', () => resolve({ status: 0, headers: {}, body: '', broken: true }));
    req.end();
  });
}

async function startDownload(): Promise<{ exportId: string; path: string; fileName: string; records: number }> {
  const started = await exports.start('browser-host');
  expect(started.delivery.kind).toBe('download');
  const path = (started.delivery as { path: string }).path;
  return { exportId: started.exportId!, path, fileName: started.fileName, records: started.records };
}

function expectHostHeaders(got: Got): void {
  for (const [name, value] of Object.entries(hostHeaders)) expect(got.headers[name.toLowerCase()], name).toBe(value);
}
function expectRefused(got: Got, status: number, body: string): void {
  expect(got.status).toBe(status);
  expect(got.body).toBe(body);
  expect(got.headers['content-type']).toBe('text/plain; charset=utf-8');
  expect(got.headers['content-length']).toBe(String(Buffer.byteLength(body)));
  expectHostHeaders(got);
}
const auditedExports = () => log.query({ action: 'audit.export', limit: 50 }).records;

describe('audit export download: what a good download gets', () => {
  it('the id is 18 random bytes (base64url) under /exports/audit/, different every time', async () => {
    const a = await startDownload();
    const b = await startDownload();
    for (const s of [a, b]) {
      expect(s.path).toBe(PREFIX + s.exportId);
      expect(s.exportId).toMatch(/^[A-Za-z0-9_-]{24}$/);
      expect(Buffer.from(s.exportId, 'base64url')).toHaveLength(18);
    }
    expect(a.exportId).not.toBe(b.exportId);
  });

  it('streams a verified export as an attachment (chunked, no Content-Length), with the host headers; audited', async () => {
    const s = await startDownload();
    // Constant memory at any size: waiting for the browser to take a chunk adds no listener that outlives the wait.
    const listeners: Array<{ drain: number; close: number }> = [];
    let waits = 0;
    watch = (res) => {
      const count = () => listeners.push({ drain: res.listenerCount('drain'), close: res.listenerCount('close') });
      count();
      res.on('newListener', (event) => void (event === 'drain' && waits++));
      res.on('finish', count);
    };
    const got = await get(s.path);
    expect(got.status).toBe(200);
    expect(got.broken).toBe(false);
    expect(got.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(got.headers['content-disposition']).toBe(`attachment; filename="${s.fileName}"`);
    expect(got.headers['content-length']).toBeUndefined();
    expect(got.headers['transfer-encoding']).toBe('chunked');
    expectHostHeaders(got);
    expect(verifyExport(got.body)).toMatchObject({ ok: true, checkedRecords: s.records, firstBad: null });
    expect(progress.filter((p) => p.exportId === s.exportId).at(-1)).toMatchObject({ state: 'done', records: s.records });
    expect(auditedExports()[0]).toMatchObject({ actor: 'alice', outcome: 'success', details: { records: s.records } });
    expect(logger.entries.filter((e) => e.level !== 'info')).toEqual([]);
    expect(waits).toBeGreaterThan(0); // the export is larger than what the connection takes at once
    // at the end: no drain listener left, and one close listener more than before (the download's own)
    expect(listeners).toEqual([listeners[0], { drain: listeners[0]!.drain, close: listeners[0]!.close + 1 }]);
  });
});

describe('audit export download: a link is single-use, valid 60 s', () => {
  it('a link used once is refused the second time (404)', async () => {
    const s = await startDownload();
    expect((await get(s.path)).status).toBe(200);
    expectRefused(await get(s.path), 404, GONE_BODY);
  });

  it('a link is accepted just before 60 s have passed', async () => {
    const s = await startDownload();
    clock.advance(TTL_MS - 1);
    const got = await get(s.path);
    expect(got.status).toBe(200);
    expect(verifyExport(got.body).ok).toBe(true);
  });

  it('a link not used within 60 s is refused once the clock reaches 60 s (404), and stays refused', async () => {
    const s = await startDownload();
    clock.advance(TTL_MS);
    expectRefused(await get(s.path), 404, GONE_BODY);
    clock.set(clock.now() - TTL_MS); // even if the clock goes back, the expired ticket is gone
    expectRefused(await get(s.path), 404, GONE_BODY);
  });

  it('an expired link is refused even when nothing else touched the exports in between', async () => {
    const s = await startDownload();
    clock.advance(TTL_MS + 5 * 60_000);
    expectRefused(await get(s.path), 404, GONE_BODY);
  });

  it('the 60 s are counted per link from its own start', async () => {
    const first = await startDownload();
    clock.advance(30_000);
    const second = await startDownload();
    clock.advance(30_000); // the first is now 60 s old, the second 30 s
    expectRefused(await get(first.path), 404, GONE_BODY);
    expect((await get(second.path)).status).toBe(200);
  });

  it('an unknown id is refused (404), and so is anything that is no id at all, without looking it up', async () => {
    const unknown = Buffer.alloc(18, 7).toString('base64url');
    expectRefused(await get(PREFIX + unknown), 404, GONE_BODY);
    expect(claimed).toEqual([unknown]);
    const s = await startDownload();
    // Not a ticket: too short (< 16), too long (> 64), characters outside base64url, more path after the id, empty.
    const notIds = ['abcdefghijklmno', 'a'.repeat(65), `${s.exportId.slice(0, 20)}+/==`, `${s.exportId}.jsonl`, `${s.exportId}/x`, ''];
    for (const id of notIds) expectRefused(await get(PREFIX + id), 404, GONE_BODY);
    expect(claimed).toEqual([unknown]);
    // The shortest and longest ids the rule admits are looked up (and unknown).
    for (const id of ['a'.repeat(16), 'Z'.repeat(64), '0123456789_-abcd']) expectRefused(await get(PREFIX + id), 404, GONE_BODY);
    expect(claimed).toEqual([unknown, 'a'.repeat(16), 'Z'.repeat(64), '0123456789_-abcd']);
    // None of that used up the real link.
    expect((await get(s.path)).status).toBe(200);
  });
});

describe('audit export download: GET only', () => {
  it.each(['HEAD', 'POST', 'PUT', 'DELETE'])('%s is refused with 405 Allow: GET and does not use up the link', async (method) => {
    const s = await startDownload();
    const got = await get(s.path, method);
    expect(got.status).toBe(405);
    expect(got.headers.allow).toBe('GET');
    if (method !== 'HEAD') expectRefused({ ...got }, 405, METHOD_BODY);
    else {
      expect(got.headers['content-length']).toBe(String(Buffer.byteLength(METHOD_BODY)));
      expectHostHeaders(got);
    }
    expect(claimed).toEqual([]);
    expect((await get(s.path)).status).toBe(200);
  });
});

describe('audit export download: a failure half-way', () => {
  it('a download the browser closes after its first bytes ends the export as cancelled (audited, logged)', async () => {
    const s = await startDownload();
    const got = await get(s.path, 'GET', (destroy) => destroy());
    expect(got.status).toBe(200);
    expect(got.broken).toBe(true);
    await until(() => logger.entries.some((e) => e.message === 'audit export download failed'));
    expect(logger.entries).toContainEqual({ level: 'warn', message: 'audit export download failed', fields: { error: 'cancelled' } });
    expect(auditedExports()[0]).toMatchObject({ outcome: 'failure', details: { code: 'cancelled' } });
    expect(progress.filter((p) => p.exportId === s.exportId).at(-1)).toMatchObject({ state: 'failed', error: { code: 'cancelled', message: CANCELLED_MESSAGE } });
  });

  it('a connection that drops while the export waits for the browser to take a chunk ends the export at once, as cancelled', async () => {
    const s = await startDownload();
    let recordsAtDrop = -1;
    watch = (res) => {
      // The download adds its drain listener exactly when it starts waiting: drop the connection right then.
      res.on('newListener', (event) => {
        if (event !== 'drain' || recordsAtDrop >= 0) return;
        recordsAtDrop = progress.filter((p) => p.exportId === s.exportId).at(-1)!.records;
        res.socket!.destroy();
      });
    };
    const got = await get(s.path);
    expect(got.broken).toBe(true);
    await until(() => progress.some((p) => p.exportId === s.exportId && p.state === 'failed'));
    const mine = progress.filter((p) => p.exportId === s.exportId);
    // Nothing was produced after the drop: the failure reports the records written before it.
    expect(mine.at(-1)).toMatchObject({ state: 'failed', records: recordsAtDrop, error: { code: 'cancelled', message: CANCELLED_MESSAGE } });
    expect(mine.filter((p) => p.state === 'running').at(-1)!.records).toBe(recordsAtDrop);
    expect(auditedExports()[0]).toMatchObject({ outcome: 'failure', details: { code: 'cancelled' } });
    expect(logger.entries).toContainEqual({ level: 'warn', message: 'audit export download failed', fields: { error: 'cancelled' } });
  });

  it('an export that fails on the server after the headers went out destroys the connection: no sealed file arrives', async () => {
    const s = await startDownload();
    // A record far into the log is changed after the link was handed out: the export's chain check stops there.
    t.db.prepare("UPDATE audit_records SET actor = 'mallory' WHERE seq = ?").run(RECORDS - 10);
    try {
      const got = await get(s.path);
      expect(got.broken).toBe(true);
      if (got.status !== 0) expect(got.status).toBe(200); // the first chunks may have been sent
      expect(got.body).not.toContain('"type":"seal"');
      expect(verifyExport(got.body).ok).toBe(false);
      await until(() => logger.entries.some((e) => e.message === 'audit export download failed'));
      expect(logger.entries).toContainEqual({ level: 'warn', message: 'audit export download failed', fields: { error: 'integrity_failure' } });
    } finally {
      // Put the record back (the same actor entry() gave it) so the log is whole again for the other tests.
      t.db.prepare('UPDATE audit_records SET actor = ? WHERE seq = ?').run(entry(RECORDS - 11).actor, RECORDS - 10);
    }
    expect(verifyExport((await get((await startDownload()).path)).body).ok).toBe(true);
  });
});

describe('isAuditDownload', () => {
  it.each([
    ['/exports/audit/abc', true],
    ['/exports/audit/', true],
    ['/exports/audit', false],
    ['/exports/audits/abc', false],
    ['/x/exports/audit/abc', false],
    ['/', false],
  ])('%s -> %s', (path, expected) => {
    expect(isAuditDownload(path)).toBe(expected);
  });
});

/** Waits for a condition on later turns of the event loop (no fixed sleep; the test timeout bounds it). */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setImmediate(r));
}
