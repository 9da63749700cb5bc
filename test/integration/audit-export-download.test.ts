// The audit export over the browser host (issue 11): audit:export on the socket hands out a single-use download path;
// GET on it, under the host's token rule, streams the export (verified here by the offline verifier) with progress
// events on the socket, and the export is audited when it ends. A download closed half-way is audited as cancelled.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyExport } from '../../electron/services/audit/index.ts';
import { cookieFor, openSocket, rawRequest, socketClient, startHostKit, type HostKit } from '../security/hostKit.ts';
import { until } from './support/consoleCalls.ts';

const PASS = 'download test passphrase 0123';
let kit: HostKit;
let client: ReturnType<typeof socketClient>;

beforeAll(async () => {
  kit = await startHostKit();
  const opened = await openSocket(`ws://127.0.0.1:${kit.host.port}/ws`, cookieFor(kit.host));
  if (!('ws' in opened)) throw new Error('socket refused');
  client = socketClient(opened.ws);
  expect((await client.call('session:init', { operator: 'alice', passphrase: PASS })).ok).toBe(true);
  // Enough records that the export takes many chunks (4,096 records each).
  const batch = Array.from({ length: 1000 }, (_, i) => ({ actor: 'seed', action: 'robot.heartbeat', targetType: 'robot' as const, targetId: `r-${i}`, outcome: 'success' as const, details: { i } }));
  for (let k = 0; k < 20; k++) kit.fleet.audit.appendMany(batch);
});
afterAll(async () => {
  await kit?.close();
});

type Started = { exportId: string; fileName: string; records: number; delivery: { kind: string; path: string } };
const start = async () => {
  const reply = await client.call('audit:export', {});
  expect(reply.ok).toBe(true);
  return reply.value as Started;
};
const exportRecords = async () =>
  ((await client.call('audit:query', { action: 'audit.export', limit: 10 })).value as { records: Array<{ outcome: string; details: Record<string, unknown> }> }).records;

describe('audit export as a browser-host download', () => {
  it('is refused without the token, streamed once with it (a verified export with progress), then gone; audited', async () => {
    const started = await start();
    expect(started.delivery.kind).toBe('download');
    expect(started.records).toBeGreaterThan(20_000);
    const path = started.delivery.path;

    expect((await rawRequest(kit.host.port, path)).status).toBe(401);
    // HEAD does not use up the ticket.
    expect((await rawRequest(kit.host.port, path, { method: 'HEAD', headers: cookieFor(kit.host) })).status).toBe(405);

    const got = await rawRequest(kit.host.port, path, { headers: cookieFor(kit.host) });
    expect(got.status).toBe(200);
    expect(got.headers['content-disposition']).toBe(`attachment; filename="${started.fileName}"`);
    expect(got.headers['content-length']).toBeUndefined(); // streamed (chunked), not built first
    expect(verifyExport(got.body)).toMatchObject({ ok: true, checkedRecords: started.records, firstBad: null });

    expect((await rawRequest(kit.host.port, path, { headers: cookieFor(kit.host) })).status).toBe(404);
    expect((await rawRequest(kit.host.port, '/exports/audit/not-a-ticket-at-all-000', { headers: cookieFor(kit.host) })).status).toBe(404);

    const progress = await until('the export reported done', () => {
      const mine = client.events.filter((e) => e.event === 'audit:exportProgress').map((e) => e.payload as { exportId: string; state: string; records: number; total: number });
      const own = mine.filter((p) => p.exportId === started.exportId);
      return own.some((p) => p.state === 'done') ? own : undefined;
    });
    expect(progress[0]).toMatchObject({ state: 'running', records: 0, total: started.records });
    expect(progress.at(-1)).toMatchObject({ state: 'done', records: started.records, total: started.records });
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.length).toBeLessThanOrEqual(102);
    const running = progress.filter((p) => p.state === 'running').map((p) => p.records);
    expect(running).toEqual([...running].sort((a, b) => a - b));

    const audited = await until('the export is audited', async () => ((await exportRecords()).find((r) => r.outcome === 'success')));
    expect(audited.details).toMatchObject({ records: started.records });
  });

  it('a download closed after its first bytes is audited as cancelled, and the chain stays intact', async () => {
    const started = await start();
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: kit.host.port, path: started.delivery.path, headers: cookieFor(kit.host) }, (res) => {
        res.once('data', () => {
          res.destroy();
          resolve();
        });
      });
      req.on('error', reject);
      req.end();
    });
    const failed = await until('the cancelled export is audited', async () => (await exportRecords()).find((r) => r.outcome === 'failure'));
    expect(failed.details).toMatchObject({ code: 'cancelled' });
    expect(((await client.call('audit:verify', {})).value as { ok: boolean }).ok).toBe(true);
  });
});
