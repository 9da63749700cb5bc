// The fleet registry through the console's own handlers (parsed and checked with the contract's schemas), over a
// real SQLite store: robots and their lifecycle, search/filter/sort/paging, key versions held, certificates, CSV
// import all-or-nothing, export, the dashboard, and an audit record for every change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { CTX, FAST_KDF, removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { contractCaller, failure } from './support/consoleCalls.ts';

const HEADER = 'device_id,name,model,site,firmware,tags,status';
const DAY = 86_400_000;

describe('fleet registry', () => {
  const dir = tempDir('ecps-fleet-it-');
  const clock = manualClock(Date.parse('2026-06-01T00:00:00Z'));
  const events: Array<{ event: string; payload: unknown }> = [];
  let c: FleetConsole;
  const call = contractCaller(() => c);
  const lastAudit = () => c.audit.query({ offset: 0, limit: 1 }).records[0]!;
  const robotCount = async () => (await call('fleet:list', { offset: 0, limit: 1 })).total;

  beforeAll(async () => {
    c = await createConsole({ dataDir: dir, kdf: FAST_KDF, logger: createMemoryLogger(), clock });
    c.onEvent((event, payload) => events.push({ event, payload }));
    await call('session:init', { operator: 'Officer Ada', passphrase: 'fleet passphrase 0123' });
  });
  afterAll(() => {
    c.close();
    removeTempDirs();
  });

  it('registers a robot, audits it, emits fleet:changed, and refuses a second robot with the same device id', async () => {
    const r = await call('fleet:create', { deviceId: 'uv-0001', name: 'Disinfector 1', model: 'UV-7', site: 'Plant 1', firmware: '1.0.0', tags: ['ward-a'] });
    expect(r).toMatchObject({ deviceId: 'uv-0001', status: 'manufactured', tags: ['ward-a'], lastSeen: null });
    expect(lastAudit()).toMatchObject({ action: 'robot.create', targetType: 'robot', targetId: 'uv-0001', outcome: 'success', actor: 'Officer Ada' });
    expect(events).toContainEqual({ event: 'fleet:changed', payload: { deviceId: 'uv-0001' } });
    const dup = await failure(call('fleet:create', { deviceId: 'uv-0001', name: 'x', model: 'UV-7', site: 'Plant 1' }));
    expect(dup.code).toBe('invalid_input');
    expect(lastAudit()).toMatchObject({ action: 'robot.create', outcome: 'failure', details: { code: 'invalid_input' } });
    expect((await call('fleet:sites', {})).sites).toEqual([{ name: 'Plant 1', count: 1 }]);
    expect((await call('fleet:models', {})).models).toEqual([{ name: 'UV-7', count: 1 }]);
  });

  it('walks the status lifecycle and refuses illegal transitions with illegal_transition (audited)', async () => {
    expect((await failure(call('fleet:setStatus', { deviceId: 'uv-0001', status: 'deployed', reason: 'skip' }))).code).toBe('illegal_transition');
    expect(lastAudit()).toMatchObject({ action: 'robot.status', outcome: 'failure', details: { code: 'illegal_transition' } });
    await call('fleet:setStatus', { deviceId: 'uv-0001', status: 'provisioned', reason: 'station 3' });
    await call('fleet:setStatus', { deviceId: 'uv-0001', status: 'deployed', reason: 'ward A' });
    await call('fleet:setStatus', { deviceId: 'uv-0001', status: 'quarantined', reason: 'odd telemetry' });
    expect(lastAudit()).toMatchObject({ action: 'robot.status', outcome: 'success', details: { from: 'deployed', to: 'quarantined', reason: 'odd telemetry' } });
    const d = await call('fleet:get', { deviceId: 'uv-0001' });
    expect(d).toMatchObject({ status: 'quarantined', statusReason: 'odd telemetry' });
    const upd = await call('fleet:update', { deviceId: 'uv-0001', firmware: '1.1.0', site: 'Plant 2' });
    expect(upd).toMatchObject({ firmware: '1.1.0', site: 'Plant 2' });
    expect(lastAudit()).toMatchObject({ action: 'robot.update', details: { firmware: '1.0.0 -> 1.1.0', site: 'Plant 1 -> Plant 2' } });
    expect((await failure(call('fleet:get', { deviceId: 'nope-404' }))).code).toBe('not_found');
  });

  it('records which key version each robot holds, so retiring a version can name the robots that still need it', async () => {
    const key = await call('keys:create', { type: 'communication', label: 'uplink' });
    c.fleet.recordProvisioned('uv-0002', [{ keyId: key.id, version: 1 }], { name: 'Disinfector 2', model: 'UV-7', site: 'Plant 1', firmware: '1.0.0', tags: [] });
    expect(lastAudit()).toMatchObject({ action: 'robot.provision', targetId: 'uv-0002', details: { keys: `${key.id}@1` } });
    await call('keys:rotate', { keyId: key.id });
    c.fleet.recordKeyVersions('uv-0001', [{ keyId: key.id, version: 2 }]);
    expect(c.fleet.holdersOf(key.id, 1)).toEqual(['uv-0002']);
    expect(c.fleet.holdersOf(key.id)).toEqual(['uv-0001', 'uv-0002']);
    const d = await call('fleet:get', { deviceId: 'uv-0002' });
    expect(d.status).toBe('provisioned');
    expect(d.keys).toEqual([expect.objectContaining({ keyId: key.id, label: 'uplink', version: 1, currentVersion: 2, source: 'provisioning' })]);
    expect(() => c.fleet.recordKeyVersions('uv-0001', [{ keyId: key.id, version: 3 }])).toThrow(/no version 3/);
    expect(c.fleet.holdersOf(key.id, 2)).toEqual(['uv-0001']);
  });

  it('stores certificates and the dashboard lists those expiring within 30 days, counts, and overdue keys', async () => {
    const now = clock.now();
    c.fleet.attachCertificate('uv-0002', { serial: '0A1B', notAfter: new Date(now + 10 * DAY).toISOString(), pem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' });
    c.fleet.attachCertificate('uv-0001', { serial: '0A1C', notAfter: new Date(now + 400 * DAY).toISOString(), pem: '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n' });
    expect((await call('fleet:get', { deviceId: 'uv-0002' })).certificates).toEqual([expect.objectContaining({ serial: '0A1B', status: 'active', subject: 'CN=uv-0002' })]);
    clock.advance(2 * DAY); // the communication key's 24 h rotation is now overdue
    const dash = await call('fleet:dashboard', {});
    expect(dash.total).toBe(2);
    expect(dash.byStatus).toMatchObject({ quarantined: 1, provisioned: 1, deployed: 0 });
    expect(dash.bySite).toEqual(
      expect.arrayContaining([
        { site: 'Plant 1', total: 1, byStatus: { provisioned: 1 } },
        { site: 'Plant 2', total: 1, byStatus: { quarantined: 1 } },
      ]),
    );
    expect(dash.expiringCertificates).toEqual([{ deviceId: 'uv-0002', serial: '0A1B', notAfter: expect.any(String), daysLeft: 8 }]);
    expect(dash.overdueKeys).toEqual([expect.objectContaining({ label: 'uplink', robots: 2 })]);
    // Key versions held: uplink is at version 2; uv-0001 holds 2 (current), uv-0002 still 1 (behind).
    expect(dash.keyVersions).toEqual([{ keyId: dash.overdueKeys[0]!.keyId, label: 'uplink', type: 'communication', currentVersion: 2, current: 1, behind: 1 }]);
    expect(dash.keyVersionsTotal).toEqual({ keys: 1, current: 1, behind: 1 });
    expect(dash.providers.map((p) => p.id)).toContain('local');
    c.fleet.revokeCertificate('0A1B', 'robot quarantined');
    expect((await call('fleet:dashboard', {})).expiringCertificatesTotal).toBe(0);
  });

  it('searches, filters, sorts and pages in the main process', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `bulk-${String(i).padStart(3, '0')},Unit ${i},${i % 2 ? 'UV-9' : 'UV-7'},Plant 3,2.${i},${i % 3 ? '' : 'night'},${i < 10 ? 'deployed' : 'manufactured'}`);
    expect(await call('fleet:importCsv', { csv: [HEADER, ...rows].join('\n') })).toEqual({ imported: 30 });
    expect(lastAudit()).toMatchObject({ action: 'fleet.import', outcome: 'success', details: { imported: 30 } });
    const page = await call('fleet:list', { query: 'bulk', sort: 'deviceId', dir: 'desc', offset: 5, limit: 3 });
    expect(page.total).toBe(30);
    expect(page.robots.map((r) => r.deviceId)).toEqual(['bulk-024', 'bulk-023', 'bulk-022']);
    expect((await call('fleet:list', { status: 'deployed', model: 'UV-9', offset: 0, limit: 100 })).total).toBe(5);
    expect((await call('fleet:list', { query: 'NIGHT', offset: 0, limit: 100 })).total).toBe(10);
    expect((await call('fleet:list', { query: '%', offset: 0, limit: 100 })).total).toBe(0);
    const byFirmware = await call('fleet:list', { site: 'Plant 3', sort: 'firmware', dir: 'asc', offset: 0, limit: 2 });
    expect(byFirmware.robots.map((r) => r.firmware)).toEqual(['2.0', '2.1']);
  });

  it('imports all or nothing: a bad row at line 7 is named and nothing of the file is left behind', async () => {
    const before = await robotCount();
    const good = (i: number) => `new-${i},N ${i},UV-7,Plant 9,1.0,,manufactured`;
    const csv = [HEADER, good(1), good(2), good(3), good(4), good(5), 'new-6,N 6,UV-7,Plant 9,1.0,,exploded', good(7)].join('\r\n');
    const e = await failure(call('fleet:importCsv', { csv }));
    expect(e).toMatchObject({ code: 'invalid_input', details: { line: 7, field: 'status' } });
    expect(await robotCount()).toBe(before);
    expect((await call('fleet:sites', {})).sites.map((s) => s.name)).not.toContain('Plant 9');
    expect(lastAudit()).toMatchObject({ action: 'fleet.import', outcome: 'failure', details: { code: 'invalid_input', line: 7 } });
    const clash = [HEADER, good(1), 'uv-0001,Again,UV-7,Plant 9,1.0,,manufactured'].join('\n');
    expect((await failure(call('fleet:importCsv', { csv: clash }))).details).toMatchObject({ line: 3, field: 'device_id' });
    expect(await robotCount()).toBe(before);
  });

  it('checks an import first: the robots and their sites, nothing written or audited; a refusal names its line the same way', async () => {
    const before = await robotCount();
    const auditBefore = lastAudit();
    const row = (i: number, site: string) => `chk-${i},C ${i},UV-7,${site},1.0,,manufactured`;
    // 3 robots at Depot East, 2 at Annex: the sites by count, most first.
    const csv = [HEADER, row(1, 'Depot East'), row(2, 'Annex'), row(3, 'Depot East'), row(4, 'Annex'), row(5, 'Depot East')].join('\n');
    expect(await call('fleet:importCsv', { csv, check: true })).toEqual({ imported: 0, checked: { robots: 5, sites: [{ name: 'Depot East', count: 3 }, { name: 'Annex', count: 2 }] } });
    expect(await robotCount()).toBe(before);
    expect(lastAudit()).toEqual(auditBefore);
    // A robot already registered is refused by the check as by the import (line 3 is uv-0001).
    const clash = [HEADER, row(1, 'Annex'), 'uv-0001,Again,UV-7,Annex,1.0,,manufactured'].join('\n');
    expect(await failure(call('fleet:importCsv', { csv: clash, check: true }))).toMatchObject({ code: 'invalid_input', details: { line: 3, field: 'device_id' } });
    // The confirmed import then writes the same five.
    expect(await call('fleet:importCsv', { csv })).toEqual({ imported: 5 });
    expect(await robotCount()).toBe(before + 5);
  });

  it('exports every robot as CSV with formulas neutralised, and the export re-imports into an empty store', async () => {
    await call('fleet:create', { deviceId: 'evil-001', name: '=cmd|calc', model: 'UV-7', site: 'Plant 1' });
    const out = await call('fleet:exportCsv', {});
    expect(out.robots).toBe(await robotCount());
    expect(out.fileName).toMatch(/^fleet-.*\.csv$/);
    expect(out.content.startsWith(`${HEADER}\r\n`)).toBe(true);
    expect(out.content).toContain("evil-001,'=cmd|calc,UV-7,Plant 1,,,manufactured\r\n");
    expect(lastAudit()).toMatchObject({ action: 'fleet.export', details: { robots: out.robots } });

    const other = await createConsole({ dataDir: tempDir('ecps-fleet-it2-'), kdf: FAST_KDF, logger: createMemoryLogger(), clock });
    try {
      await other.handlers['session:init']({ operator: 'Bob', passphrase: 'fleet passphrase 0123' }, CTX);
      expect(await other.handlers['fleet:importCsv']({ csv: out.content }, CTX)).toEqual({ imported: out.robots });
    } finally {
      other.close();
    }
  });
});
