// Importing an incident kit (docs/incident-kit.md, "Import and reconcile") in process, so Stryker sees kitService.ts
// (the round trip through a whole console is test/integration/incident-kit.test.ts and incident-kit-responder.test.ts,
// outside the mutation run). Real parts: a real SQLite store (the store's own open function), the real audit log
// signing with an Ed25519 key the test holds, the real fleet registry and kit repository. Each kit is made by hand
// (incident-kit-testkit.ts) and signed with that audit key; the findings expected are the doc's table, written out.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { createAuditLog, createAuditSigner } from '../../electron/services/audit/index.ts';
import { createFleetRegistry } from '../../electron/services/fleet/fleetRegistry.ts';
import { createKitService, responderChanges } from '../../electron/services/incidentKit/kitService.ts';
import { openStoreDatabase } from '../../electron/store/database.ts';
import { createFleetRepo } from '../../electron/store/fleetRepo.ts';
import { createIncidentKitRepo } from '../../electron/store/incidentKitRepo.ts';
import { createKeysRepo } from '../../electron/store/keysRepo.ts';
import type { Session } from '../../electron/services/session/session.ts';
import { ConsoleError } from '../../shared/errors.ts';
import type { Logger } from '../../electron/logger.ts';
import {
  consoleKey, handKit, kitFolderWith, newDir, ORDER_1, ORDER_2, REC, refusal, removeKitDirs, RESPONDER, robot, type HandKit, type HandRecord,
} from './incident-kit-testkit.ts';

afterAll(removeKitDirs);

const EXPORTED_AT = '2026-12-05T08:00:00.000Z'; // handKit's exportedAt
const T = (hhmm: string) => `2026-12-05T${hhmm}:00.000Z`;

/** A console's parts over a fresh store: the kit service with the real audit log, fleet registry and kit repository. */
function world(cas: Array<{ caId: string; subject: string; state: string }> = []) {
  const clock = manualClock(Date.parse('2026-12-05T07:00:00.000Z'));
  const nowIso = () => new Date(clock.now()).toISOString();
  const store = openStoreDatabase(newDir(), nowIso);
  const audit = createAuditLog(store.db, { clock });
  audit.setSigner(createAuditSigner(consoleKey.privateKey));
  const runTransaction = store.db.transaction((fn: () => unknown) => fn());
  const transaction = <T>(fn: () => T): T => runTransaction.immediate(fn) as T;
  const fleetRepo = createFleetRepo(store.db);
  const repo = createIncidentKitRepo(store.db);
  let locked = false;
  const session = {
    require() {
      if (locked) throw new ConsoleError('locked', 'The console is locked.');
    },
    actor: () => 'importer',
  };
  const lock = () => void (locked = true);
  const logger = { error() {}, warn() {}, info() {}, debug() {} } as unknown as Logger;
  const fleet = createFleetRegistry({ repo: fleetRepo, keys: createKeysRepo(store.db), session: session as unknown as Session, audit, clock, logger, transaction, onFleetChanged() {} });
  const kits = createKitService({
    repo, fleetRepo, fleet, lockdown: { issue: () => Promise.reject(new Error('not in these tests')) }, publicKey: () => Promise.reject(new Error('no')),
    fleetCas: () => cas, crl: () => Promise.resolve(null), checkPassphrase: () => Promise.resolve(false), audit, session, clock, kdf: { N: 1024, r: 8, p: 1 }, transaction,
  });
  const at = (iso: string) => clock.set(Date.parse(iso));
  /** The kit as this console exported it: its row and its kit.export record at the manifest's exportedAt. */
  const exported = (k: HandKit, details: Record<string, string> = {}) => {
    at(k.body.exportedAt);
    repo.insert({ kitId: k.kitId, responder: k.body.responder, exportedBy: k.body.exportedBy, exportedAt: k.body.exportedAt, expiresAt: k.body.expiresAt, orders: k.body.orders.length, robots: k.body.robots });
    audit.append({ actor: k.body.responder, action: 'kit.export', targetType: 'store', targetId: k.kitId, outcome: 'success', details: { responder: k.body.responder, ...details } });
  };
  const roleChange = (iso: string, action: 'operator.set_role' | 'operator.remove' | 'operator.add', details: Record<string, string>, o: { target?: string; outcome?: 'success' | 'failure' } = {}) => {
    at(iso);
    audit.append({ actor: 'admin', action, targetType: 'operator', targetId: o.target ?? RESPONDER, outcome: o.outcome ?? 'success', details });
  };
  /** A robot in the registry (its site and model first, as the registry's own create does). */
  const addRobot = (r: ReturnType<typeof robot>) => {
    fleetRepo.ensureSite(r.site, r.createdAt);
    fleetRepo.ensureModel(r.model, r.createdAt);
    fleetRepo.insert(r);
  };
  const records = (prefix: string) => audit.query({ actionPrefix: prefix, limit: 500 }).records.sort((a, b) => a.seq - b.seq);
  const close = () => {
    audit.close();
    store.close();
  };
  return { clock, at, store, audit, fleetRepo, addRobot, repo, kits, exported, roleChange, records, close, lock };
}

const useRec = (ts: string, orderId: string, scope: object, o: Partial<HandRecord> = {}): HandRecord =>
  REC('kit.order.use', { ts, details: `{"maxUses":2,"name":"n","orderId":"${orderId}","reason":"stolen","scope":${JSON.stringify(JSON.stringify(scope))},"sequence":7,"use":1}`, ...o });
const quarantineRec = (ts: string, deviceId: string, updatedAtExport: string, statusAtExport = 'deployed'): HandRecord =>
  REC('kit.robot.quarantine', { ts, targetType: 'robot', targetId: deviceId, details: `{"orderId":"${ORDER_1.orderId}","reason":"uv-009 stolen","statusAtExport":"${statusAtExport}","updatedAtExport":"${updatedAtExport}"}` });
const UPDATED = '2026-12-02T00:00:00.000Z'; // the robots' updatedAt at export (testkit's robot())

describe('kit import: reconcile (docs/incident-kit.md, "Import and reconcile")', () => {
  it('merges the kit\'s records in order, applies the quarantines, and reports each finding of the table', () => {
    const w = world();
    // The registry now: uv-001 as at export; uv-002 changed since; uv-004 revoked since; uv-005 removed; uv-006
    // quarantined already; uv-007 registered after the export in the order's site, uv-008 after it elsewhere, uv-009
    // before it in the site (it was in the copy; nothing recorded for it offline).
    w.at('2026-12-01T00:00:00.000Z');
    for (const r of [robot('uv-001', { updatedAt: UPDATED }), robot('uv-002', { updatedAt: '2026-12-05T08:30:00.000Z' }), robot('uv-004', { status: 'revoked', updatedAt: UPDATED }), robot('uv-006', { status: 'quarantined', updatedAt: UPDATED }), robot('uv-009', { updatedAt: UPDATED })]) w.addRobot(r);
    w.addRobot(robot('uv-007', { createdAt: '2026-12-05T10:00:00.000Z', updatedAt: '2026-12-05T10:00:00.000Z' }));
    w.addRobot(robot('uv-008', { site: 'Plant 2', createdAt: '2026-12-05T10:00:00.000Z', updatedAt: '2026-12-05T10:00:00.000Z' }));
    w.addRobot(robot('uv-010', { createdAt: EXPORTED_AT, updatedAt: EXPORTED_AT })); // at the export instant: in the copy
    const k = handKit();
    w.exported(k);
    const recs = [
      REC('kit.open', { ts: T('09:00'), targetId: k.kitId }),
      useRec(T('09:01'), ORDER_1.orderId, { site: 'Plant 1' }),
      quarantineRec(T('09:01'), 'uv-001', UPDATED), quarantineRec(T('09:01'), 'uv-002', UPDATED), quarantineRec(T('09:01'), 'uv-004', UPDATED),
      quarantineRec(T('09:01'), 'uv-005', UPDATED), quarantineRec(T('09:01'), 'uv-006', UPDATED),
      REC('kit.robot.quarantine', { ts: T('09:02'), targetType: 'robot', targetId: 'uv-009', outcome: 'failure', details: '{"reason":"x"}' }),
      REC('kit.lock', { ts: T('09:03'), targetId: k.kitId, details: '{"reason":"idle"}' }),
    ];
    const { dir, hashes } = kitFolderWith(k, recs);
    w.at('2026-12-05T12:00:00.000Z');
    return w.kits.importKit(dir).then((report) => {
      expect(report).toEqual({
        kitId: k.kitId, responder: 'alice', records: 9,
        ordersUsed: [{ orderId: ORDER_1.orderId, name: 'site Plant 1', uses: 1, maxUses: 2 }],
        quarantined: ['uv-001', 'uv-002'],
        conflicts: [
          { kitSeq: 4, deviceId: 'uv-002', kind: 'changed_since_export', message: 'robot uv-002 changed after the export (was deployed, now deployed, updated 2026-12-05T08:30:00.000Z)' },
          { kitSeq: 5, deviceId: 'uv-004', kind: 'not_applied', message: 'robot uv-004 is revoked now; it cannot become quarantined' },
          { kitSeq: 6, deviceId: 'uv-005', kind: 'robot_removed', message: 'robot uv-005 is no longer in the registry; nothing applied' },
        ],
        gaps: [{ kitSeq: 2, deviceId: 'uv-007', kind: 'registered_after_export', message: 'robot uv-007 was registered after the export; the offline response did not quarantine it' }],
        distrustedCas: [],
      });
      // Each kit record in the main audit, in kit order, as kit.offline.<action>, actor the responder.
      const merged = w.records('kit.offline.');
      expect(merged.map((r) => [r.action, r.actor, r.targetType, r.targetId, r.outcome])).toEqual([
        ['kit.offline.open', 'alice', 'store', k.kitId, 'success'], ['kit.offline.order.use', 'alice', 'store', 'k', 'success'],
        ['kit.offline.robot.quarantine', 'alice', 'robot', 'uv-001', 'success'], ['kit.offline.robot.quarantine', 'alice', 'robot', 'uv-002', 'success'],
        ['kit.offline.robot.quarantine', 'alice', 'robot', 'uv-004', 'success'], ['kit.offline.robot.quarantine', 'alice', 'robot', 'uv-005', 'success'],
        ['kit.offline.robot.quarantine', 'alice', 'robot', 'uv-006', 'success'], ['kit.offline.robot.quarantine', 'alice', 'robot', 'uv-009', 'failure'],
        ['kit.offline.lock', 'alice', 'store', k.kitId, 'success'],
      ]);
      expect(merged[8]!.details).toEqual({ reason: 'idle', kitId: k.kitId, kitSeq: 9, kitTs: T('09:03'), kitHash: hashes[8] });
      expect(merged[2]!.details).toMatchObject({ kitSeq: 3, kitHash: hashes[2], statusAtExport: 'deployed' });
      // The quarantines through the fleet registry (its own robot.status record, actor the importer).
      const status = (id: string) => w.fleetRepo.get(id)!;
      expect(['uv-001', 'uv-002', 'uv-004', 'uv-006', 'uv-007', 'uv-008', 'uv-009', 'uv-010'].map((id) => status(id).status)).toEqual(['quarantined', 'quarantined', 'revoked', 'quarantined', 'deployed', 'deployed', 'deployed', 'deployed']);
      expect(status('uv-001').statusReason).toBe(`incident kit ${k.kitId}: uv-009 stolen`);
      expect(w.records('robot.status').map((r) => [r.actor, r.targetId])).toEqual([['importer', 'uv-001'], ['importer', 'uv-002']]);
      const done = w.records('kit.import');
      expect(done.map((r) => [r.actor, r.targetType, r.targetId, r.outcome])).toEqual([['importer', 'store', k.kitId, 'success']]);
      expect(done[0]!.details).toEqual({ responder: 'alice', records: 9, quarantined: 2, conflicts: 3, responderRevoked: 0, gaps: 1, kitHead: hashes[8] });
      expect(w.repo.get(k.kitId)).toMatchObject({ state: 'imported', importedAt: '2026-12-05T12:00:00.000Z', importedBy: 'importer', importedRecords: 9 });
      w.close();
    });
  });

  it('a kit is imported once: the second import is refused and audited, nothing merged again', async () => {
    const w = world();
    w.at('2026-12-01T00:00:00.000Z');
    w.addRobot(robot('uv-001'));
    const k = handKit();
    w.exported(k);
    const { dir } = kitFolderWith(k, [REC('kit.open', { ts: T('09:00') })]);
    w.at('2026-12-05T12:00:00.000Z');
    await w.kits.importKit(dir);
    w.at('2026-12-05T13:00:00.000Z');
    expect(await refusal(() => w.kits.importKit(dir))).toMatchObject({ code: 'illegal_transition', kitError: 'already_imported', message: `Incident kit ${k.kitId} was imported at 2026-12-05T12:00:00.000Z by importer; a kit is imported once.` });
    expect(w.records('kit.offline.')).toHaveLength(1);
    expect(w.records('kit.import').map((r) => [r.outcome, r.targetId, r.details])).toEqual([['success', k.kitId, expect.anything()], ['failure', k.kitId, { kitError: 'already_imported' }]]);
    w.close();
  });

  it('a locked console neither imports nor exports a kit: refused `locked` before reading anything, nothing merged', async () => {
    const w = world();
    w.at('2026-12-01T00:00:00.000Z');
    w.addRobot(robot('uv-001'));
    const k = handKit();
    w.exported(k);
    const { dir } = kitFolderWith(k, [REC('kit.open', { ts: T('09:00') })]);
    w.lock();
    expect(await refusal(() => w.kits.importKit(dir))).toMatchObject({ code: 'locked' });
    expect(await refusal(() => w.kits.exportKit({ dir: newDir(), orders: [] } as unknown as Parameters<typeof w.kits.exportKit>[0]))).toMatchObject({ code: 'locked' });
    expect(w.records('kit.offline.')).toHaveLength(0);
    expect(w.records('kit.import')).toHaveLength(0);
    expect(w.repo.get(k.kitId)?.importedAt ?? null).toBeNull();
    w.close();
  });

  // The checks of the doc's table, each refused before anything is merged, each an audited kit.import failure.
  const refusals: Array<[string, (k: HandKit, dir: string) => void, string, string, 'kit' | null, boolean?]> = [
    ['a manifest changed after signing', (k, dir) => writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...JSON.parse(k.manifest), body: Buffer.from(k.bodyBytes.toString().replace('"robots":4', '"robots":3')).toString('base64') })), 'integrity_failure', 'manifest_tampered', null],
    ['a kit signed by another console', () => undefined, 'integrity_failure', 'foreign_kit', 'kit', true],
    ['kit.sealed replaced', (_k, dir) => writeFileSync(join(dir, 'kit.sealed'), handKit().sealed), 'integrity_failure', 'payload_tampered', 'kit'],
    ['a record removed from the chain', (_k, dir) => writeFileSync(join(dir, 'audit.jsonl'), readFileSync(join(dir, 'audit.jsonl'), 'utf8').split('\n').slice(1).join('\n')), 'integrity_failure', 'audit_tampered', 'kit'],
    ['a missing file', (_k, dir) => rmSync(join(dir, 'audit-head.json')), 'not_found', 'not_found', null],
  ];
  it.each(refusals)('refuses %s: typed, audited with its kitError, nothing merged', async (_n, spoil, code, kitError, target, foreign) => {
    const w = world();
    w.at('2026-12-01T00:00:00.000Z');
    w.addRobot(robot('uv-001'));
    const k = handKit(foreign ? { consoleKey: generateKeyPairSync('ed25519') } : {});
    w.exported(k);
    const { dir } = kitFolderWith(k, [REC('kit.open', { ts: T('09:00') }), useRec(T('09:01'), ORDER_1.orderId, { site: 'Plant 1' }), quarantineRec(T('09:01'), 'uv-001', UPDATED)]);
    spoil(k, dir);
    expect(await refusal(() => w.kits.importKit(dir))).toMatchObject({ code, ...(kitError === code ? {} : { kitError }) });
    const failures = w.records('kit.import');
    expect(failures.map((r) => [r.actor, r.action, r.targetType, r.targetId, r.outcome, r.details])).toEqual([['importer', 'kit.import', 'store', target === 'kit' ? k.kitId : null, 'failure', { kitError }]]);
    expect(w.records('kit.offline.')).toEqual([]);
    expect(w.fleetRepo.get('uv-001')!.status).toBe('deployed');
    expect(w.repo.get(k.kitId)!.state).toBe('exported');
    w.close();
  });

  it('a kit this console never exported is unknown_kit (audited with the kit id)', async () => {
    const w = world();
    const k = handKit();
    const { dir } = kitFolderWith(k, []);
    expect(await refusal(() => w.kits.importKit(dir))).toMatchObject({ code: 'not_found', kitError: 'unknown_kit', message: `This console has no record of exporting incident kit ${k.kitId}.` });
    expect(w.records('kit.import').map((r) => [r.targetId, r.details])).toEqual([[k.kitId, { kitError: 'unknown_kit' }]]);
    w.close();
  });

  it('uses beyond the maximum, of an order the kit never held, or after expiry are conflicts, merged as recorded', async () => {
    const w = world();
    const k = handKit();
    w.exported(k);
    const stranger = 'ab'.repeat(16);
    const { dir } = kitFolderWith(k, [
      useRec(T('09:00'), ORDER_2.orderId, { deviceIds: ['uv-003'] }), useRec(T('09:01'), ORDER_2.orderId, { deviceIds: ['uv-003'] }),
      useRec(T('09:02'), stranger, { fleet: true }),
      useRec(ORDER_1.expiresAt, ORDER_1.orderId, { site: 'Plant 1' }), // at the expiry instant: still valid
      useRec('2026-12-06T12:00:00.001Z', ORDER_1.orderId, { site: 'Plant 1' }),
      useRec(T('09:03'), ORDER_1.orderId, { site: 'Plant 1' }, { outcome: 'failure' }),
    ]);
    const report = await w.kits.importKit(dir);
    expect(report.conflicts).toEqual([
      { kitSeq: 0, deviceId: null, kind: 'order_overused', message: `order ${ORDER_2.orderId} used 2 time(s), its maximum is 1` },
      { kitSeq: 0, deviceId: null, kind: 'order_overused', message: `order ${stranger} used 1 time(s), and the kit never held it` },
      { kitSeq: 5, deviceId: null, kind: 'used_after_expiry', message: `order site Plant 1 used at 2026-12-06T12:00:00.001Z, after it expired at ${ORDER_1.expiresAt}` },
    ]);
    expect(report.ordersUsed).toEqual([
      { orderId: ORDER_2.orderId, name: 'robot uv-003', uses: 2, maxUses: 1 }, { orderId: stranger, name: '?', uses: 1, maxUses: 0 }, { orderId: ORDER_1.orderId, name: 'site Plant 1', uses: 2, maxUses: 2 },
    ]);
    expect(w.records('kit.offline.order.use')).toHaveLength(6);
    w.close();
  });
});

describe('kit import: a used distrust order (docs/incident-kit.md, "Containing a compromised fleet CA offline")', () => {
  // The console's CAs at import, one per state; the orders of the kit each distrust one, as the console's own kit.export
  // record says (details.distrustCaIds: "<orderId>:<caId>" pairs).
  const CAS = [
    { caId: '10000000-0000-4000-8000-000000000001', subject: 'CN=Fleet CA 3', state: 'current' },
    { caId: '10000000-0000-4000-8000-000000000002', subject: 'CN=Fleet CA 2', state: 'retired' },
    { caId: '10000000-0000-4000-8000-000000000003', subject: 'CN=Fleet CA 1', state: 'compromised' },
  ];
  const GONE = '10000000-0000-4000-8000-000000000009';
  const order = (n: number) => ({ ...ORDER_1, name: `distrust ${n}`, orderId: `${n}`.repeat(32), sequence: 10 + n, scope: { fleet: true as const }, actions: ['distrust_ca' as const] });
  // What the officer must do online, by the CA's state now (docs: revoke and replace online; import revokes nothing).
  const TODO: Array<[string, RegExp]> = [
    [CAS[0]!.caId, /fleet CA CN=Fleet CA 3 .*replace it online \(ca:replace.*then revoke it \(ca:revoke, `ca revoke --ca-id 10000000-0000-4000-8000-000000000001`\).*The import did not revoke it\.$/],
    [CAS[1]!.caId, /fleet CA CN=Fleet CA 2 .*revoke it online \(ca:revoke, `ca revoke --ca-id 10000000-0000-4000-8000-000000000002`\), with its approval\. The import did not revoke it\.$/],
    [CAS[2]!.caId, /fleet CA CN=Fleet CA 1 .*it is revoked already/],
    [GONE, /no longer known to this console.*nothing to revoke here/],
  ];

  it('each successful use is reported per CA with what to do online, from the console\'s own export record; nothing revoked, no robot quarantined', async () => {
    const w = world(CAS);
    w.at('2026-12-01T00:00:00.000Z');
    w.addRobot(robot('uv-001', { updatedAt: UPDATED }));
    const orders = [order(1), order(2), order(3), order(4)];
    const k = handKit({ orders });
    w.exported(k, { distrustCaIds: TODO.map(([caId], i) => `${orders[i]!.orderId}:${caId}`).join(' ') });
    const use = (ts: string, o: ReturnType<typeof order>, extra = '', outcome: 'success' | 'failure' = 'success') =>
      REC('kit.order.use', { ts, outcome, details: `{${extra}"maxUses":2,"name":"${o.name}","orderId":"${o.orderId}","reason":"CA leaked","scope":"{\\"fleet\\":true}","sequence":${o.sequence},"use":1}` });
    const { dir } = kitFolderWith(k, [
      use(T('09:00'), orders[0]!), use(T('09:01'), orders[1]!), use(T('09:02'), orders[2]!), use(T('09:03'), orders[3]!),
      // A refused use reports nothing; a record claiming another CA than the export named is not believed.
      use(T('09:04'), orders[0]!, '', 'failure'),
      use(T('09:05'), orders[1]!, `"distrustCaIds":"${GONE}",`),
    ]);
    const report = await w.kits.importKit(dir);
    expect(report.distrustedCas.map((d) => [d.kitSeq, d.orderId, d.name, d.caId, d.subject, d.state])).toEqual([
      [1, orders[0]!.orderId, 'distrust 1', CAS[0]!.caId, 'CN=Fleet CA 3', 'current'],
      [2, orders[1]!.orderId, 'distrust 2', CAS[1]!.caId, 'CN=Fleet CA 2', 'retired'],
      [3, orders[2]!.orderId, 'distrust 3', CAS[2]!.caId, 'CN=Fleet CA 1', 'compromised'],
      [4, orders[3]!.orderId, 'distrust 4', GONE, null, null],
      [6, orders[1]!.orderId, 'distrust 2', CAS[1]!.caId, 'CN=Fleet CA 2', 'retired'],
    ]);
    for (const [i, [, todo]] of TODO.entries()) expect(report.distrustedCas[i]!.message).toMatch(todo);
    expect(report.quarantined).toEqual([]);
    expect(w.fleetRepo.get('uv-001')!.status).toBe('deployed');
    expect(w.records('kit.import')[0]!.details.distrustedCas).toBe([...CAS.map((c) => c.caId), GONE].join(','));
    w.close();
  });

  it('a kit without distrust orders reports none, and its kit.import record names none', async () => {
    const w = world(CAS);
    const k = handKit();
    w.exported(k);
    const { dir } = kitFolderWith(k, [useRec(T('09:00'), ORDER_2.orderId, { deviceIds: ['uv-003'] })]);
    expect((await w.kits.importKit(dir)).distrustedCas).toEqual([]);
    expect(w.records('kit.import')[0]!.details).not.toHaveProperty('distrustedCas');
    w.close();
  });
});

describe('kit import: responder_revoked (the responder\'s role in the main audit)', () => {
  it('flags every kit record at or after a loss of security, until it is given back; removal says so', async () => {
    const w = world();
    w.at('2026-12-01T00:00:00.000Z');
    w.addRobot(robot('uv-001'));
    const k = handKit();
    w.exported(k);
    w.roleChange(T('09:00'), 'operator.set_role', { from: 'security_officer', to: 'viewer' });
    w.roleChange(T('09:30'), 'operator.set_role', { from: 'viewer', to: 'admin' });
    w.roleChange(T('10:00'), 'operator.remove', { role: 'admin' });
    w.roleChange(T('10:30'), 'operator.add', { role: 'security_officer' });
    // Not the responder's, or failed: ignored.
    w.roleChange(T('08:30'), 'operator.remove', { role: 'security_officer' }, { target: 'bob' });
    w.roleChange(T('08:40'), 'operator.remove', { role: 'security_officer' }, { outcome: 'failure' });
    const { dir } = kitFolderWith(k, [
      REC('kit.open', { ts: T('08:50') }), REC('kit.lock', { ts: T('09:00'), details: '{"reason":"idle"}' }), quarantineRec(T('09:10'), 'uv-001', UPDATED),
      REC('kit.open', { ts: T('09:40') }), REC('kit.open', { ts: T('10:10') }), REC('kit.open', { ts: T('10:40') }),
    ]);
    w.at('2026-12-05T12:00:00.000Z');
    const report = await w.kits.importKit(dir);
    expect(report.conflicts).toEqual([
      { kitSeq: 2, deviceId: null, kind: 'responder_revoked', message: `kit.lock (success) at ${T('09:00')}: the responder alice lost the security permission at ${T('09:00')}` },
      { kitSeq: 3, deviceId: 'uv-001', kind: 'responder_revoked', message: `kit.robot.quarantine (success) at ${T('09:10')}: the responder alice lost the security permission at ${T('09:00')}` },
      { kitSeq: 5, deviceId: null, kind: 'responder_revoked', message: `kit.open (success) at ${T('10:10')}: the responder alice was removed at ${T('10:00')}` },
    ]);
    // Merged as recorded: the quarantine is applied.
    expect(report.quarantined).toEqual(['uv-001']);
    expect(w.records('kit.import')[0]!.details).toMatchObject({ responderRevoked: 3, conflicts: 3 });
    w.close();
  });

  it('responderChanges: only the responder\'s successful changes after the export\'s own record, in audit order', () => {
    const w = world();
    const k = handKit();
    // In the export's millisecond but before its record: not after the export.
    w.roleChange(EXPORTED_AT, 'operator.set_role', { from: 'security_officer', to: 'viewer' });
    w.exported(k);
    w.roleChange(EXPORTED_AT, 'operator.set_role', { from: 'viewer', to: 'station_operator' });
    w.roleChange(T('09:00'), 'operator.add', { role: 'key_custodian' });
    w.roleChange(T('09:10'), 'operator.set_role', { from: 'key_custodian', to: 'security_officer' });
    w.roleChange(T('09:20'), 'operator.set_role', { from: 'security_officer', to: 'no such role' });
    w.roleChange(T('09:30'), 'operator.remove', { role: 'security_officer' });
    w.roleChange(T('09:40'), 'operator.add', { role: 'admin' });
    w.roleChange(T('09:50'), 'operator.set_role', { from: 'admin', to: 'viewer' }, { target: 'alice2' });
    expect(responderChanges(w.audit, k.kitId, RESPONDER, EXPORTED_AT)).toEqual([
      { ts: EXPORTED_AT, holds: false, action: 'operator.set_role' },
      { ts: T('09:00'), holds: false, action: 'operator.add' },
      { ts: T('09:10'), holds: true, action: 'operator.set_role' },
      { ts: T('09:20'), holds: false, action: 'operator.set_role' },
      { ts: T('09:30'), holds: false, action: 'operator.remove' },
      { ts: T('09:40'), holds: true, action: 'operator.add' },
    ]);
    w.close();
  });

  it('responderChanges without the export record: changes strictly after the export time; pages of 200 all read', () => {
    const w = world();
    const k = handKit();
    w.roleChange(EXPORTED_AT, 'operator.set_role', { from: 'security_officer', to: 'viewer' });
    for (let i = 0; i < 205; i++) w.roleChange(new Date(Date.parse(T('09:00')) + i * 1000).toISOString(), 'operator.set_role', { from: 'x', to: i % 2 === 0 ? 'viewer' : 'admin' });
    const changes = responderChanges(w.audit, k.kitId, RESPONDER, EXPORTED_AT);
    expect(changes).toHaveLength(205);
    expect(changes[0]).toEqual({ ts: T('09:00'), holds: false, action: 'operator.set_role' });
    expect(changes[204]).toEqual({ ts: '2026-12-05T09:03:24.000Z', holds: false, action: 'operator.set_role' });
    expect(changes[203]!.holds).toBe(true);
    w.close();
  });
});


// Round (aa): the import's survivors of round (q), and what a rewritten chain may hold (docs/incident-kit.md, "Import
// and reconcile": every kit record lands in the main audit as kit.offline.<action> with the responder as actor; the
// threat model: the responder holds the kit key, so the chain can hold anything they wrote).
describe('kit import: what a rewritten chain cannot do, and the findings\' edges', () => {
  it('a record of any action lands under kit.offline. with the responder as actor: no forged console record, no forged role change', async () => {
    const w = world();
    w.at('2026-12-01T00:00:00.000Z');
    w.addRobot(robot('uv-001'));
    const k = handKit();
    w.exported(k);
    // The responder is demoted at 09:00; a rewritten chain holds an "operator.set_role" back to security_officer at 09:30
    // by "admin", and actions with "kit." elsewhere than at the start.
    w.roleChange(T('09:00'), 'operator.set_role', { from: 'security_officer', to: 'viewer' });
    const { dir } = kitFolderWith(k, [
      REC('operator.set_role', { ts: T('09:30'), actor: 'admin', targetType: 'operator', targetId: RESPONDER, details: '{"from":"viewer","to":"security_officer"}' }),
      REC('x.kit.lock', { ts: T('09:40'), details: '{"reason":"idle"}' }),
      REC('kit.kit.open', { ts: T('09:50') }),
    ]);
    w.at('2026-12-05T12:00:00.000Z');
    const report = await w.kits.importKit(dir);
    const merged = w.records('kit.offline.');
    expect(merged.map((r) => [r.action, r.actor, r.targetType, r.targetId, r.details.kitActor])).toEqual([
      ['kit.offline.operator.set_role', 'alice', 'store', RESPONDER, 'admin'],
      ['kit.offline.x.kit.lock', 'alice', 'store', 'k', undefined],
      ['kit.offline.kit.open', 'alice', 'store', 'k', undefined],
    ]);
    // The main audit's own role changes are the one the console made: the forged one did not undo the demotion.
    expect(w.audit.query({ action: 'operator.set_role', limit: 10 }).records.map((r) => [r.actor, r.details.to])).toEqual([['admin', 'viewer']]);
    expect(report.conflicts.map((c) => [c.kitSeq, c.kind])).toEqual([[1, 'responder_revoked'], [2, 'responder_revoked'], [3, 'responder_revoked']]);
    expect(responderChanges(w.audit, k.kitId, RESPONDER, EXPORTED_AT)).toEqual([{ ts: T('09:00'), holds: false, action: 'operator.set_role' }]);
    w.close();
  });

  it('only a successful use after expiry is used_after_expiry: not a refused use, not a quarantine naming the order', async () => {
    const w = world();
    w.at('2026-12-01T00:00:00.000Z');
    w.addRobot(robot('uv-001'));
    const k = handKit();
    w.exported(k);
    const late = '2026-12-06T13:00:00.000Z'; // after ORDER_1's expiry (12:00)
    const { dir } = kitFolderWith(k, [
      useRec(T('09:00'), ORDER_1.orderId, { site: 'Plant 1' }),
      REC('kit.order.use', { ts: late, details: `{"kitError":"order_expired","name":"site Plant 1","orderId":"${ORDER_1.orderId}","reason":"late"}`, outcome: 'failure' }),
      REC('kit.robot.quarantine', { ts: late, targetType: 'robot', targetId: 'uv-001', details: `{"orderId":"${ORDER_1.orderId}","reason":"r","statusAtExport":"deployed","updatedAtExport":"${UPDATED}"}` }),
    ]);
    w.at('2026-12-06T14:00:00.000Z');
    const report = await w.kits.importKit(dir);
    expect(report.conflicts).toEqual([]);
    expect(report.quarantined).toEqual(['uv-001']);
    w.close();
  });

  it('a successful quarantine record without a robot applies nothing and reports nothing', async () => {
    const w = world();
    w.at('2026-12-01T00:00:00.000Z');
    w.addRobot(robot('uv-001'));
    const k = handKit();
    w.exported(k);
    const { dir } = kitFolderWith(k, [REC('kit.robot.quarantine', { ts: T('09:00'), targetType: 'robot', targetId: null, details: `{"reason":"r","updatedAtExport":"${UPDATED}"}` })]);
    w.at('2026-12-05T12:00:00.000Z');
    const report = await w.kits.importKit(dir);
    expect([report.quarantined, report.conflicts, report.gaps]).toEqual([[], [], []]);
    expect(w.records('robot.status')).toEqual([]);
    expect(w.records('kit.import')[0]!.details).toMatchObject({ records: 1, quarantined: 0, conflicts: 0 });
    w.close();
  });

  it('a gap names the order\'s first successful use, not a refused use or a quarantine of the same order before it', async () => {
    const w = world();
    w.at('2026-12-01T00:00:00.000Z');
    w.addRobot(robot('uv-001'));
    w.addRobot(robot('uv-007', { createdAt: '2026-12-05T10:00:00.000Z', updatedAt: '2026-12-05T10:00:00.000Z' }));
    const k = handKit();
    w.exported(k);
    const { dir } = kitFolderWith(k, [
      REC('kit.order.use', { ts: T('09:00'), outcome: 'failure', details: `{"kitError":"order_exhausted","name":"site Plant 1","orderId":"${ORDER_1.orderId}","reason":"r"}` }),
      quarantineRec(T('09:00'), 'uv-001', UPDATED),
      useRec(T('09:01'), ORDER_1.orderId, { site: 'Plant 1' }),
    ]);
    w.at('2026-12-05T12:00:00.000Z');
    const report = await w.kits.importKit(dir);
    expect(report.gaps).toEqual([{ kitSeq: 3, deviceId: 'uv-007', kind: 'registered_after_export', message: 'robot uv-007 was registered after the export; the offline response did not quarantine it' }]);
    w.close();
  });

  // The texts of the import's own refusals (written here; the codes and kitErrors are the doc's table).
  it('the foreign-kit and sealed-data refusals say which check failed', async () => {
    const TEXTS: Array<[string, boolean, (dir: string) => void, string]> = [
      ['foreign_kit', true, () => undefined, 'This incident kit was not signed by this console\'s audit key.'],
      ['payload_tampered', false, (dir) => writeFileSync(join(dir, 'kit.sealed'), handKit().sealed), 'The incident kit\'s sealed data (registry copy, orders) does not match its signed manifest.'],
    ];
    for (const [kitError, foreign, spoil, message] of TEXTS) {
      const w = world();
      const k = handKit(foreign ? { consoleKey: generateKeyPairSync('ed25519') } : {});
      w.exported(k);
      const { dir } = kitFolderWith(k, []);
      spoil(dir);
      expect(await refusal(() => w.kits.importKit(dir))).toMatchObject({ code: 'integrity_failure', kitError, message });
      w.close();
    }
  });
});

describe('kit import: survivors of round (aa)\'s run', () => {
  it('each used order\'s gap is found from that order\'s own use and scope', async () => {
    const w = world();
    w.at('2026-12-01T00:00:00.000Z');
    w.addRobot(robot('uv-007', { createdAt: '2026-12-05T10:00:00.000Z', updatedAt: '2026-12-05T10:00:00.000Z' }));
    const k = handKit();
    w.exported(k);
    const { dir } = kitFolderWith(k, [useRec(T('09:00'), ORDER_2.orderId, { deviceIds: ['uv-003'] }), useRec(T('09:01'), ORDER_1.orderId, { site: 'Plant 1' })]);
    w.at('2026-12-05T12:00:00.000Z');
    expect((await w.kits.importKit(dir)).gaps.map((g) => [g.kitSeq, g.deviceId])).toEqual([[2, 'uv-007']]);
    w.close();
  });

  it('a quarantine recorded without a reason is applied with the kit named and an empty reason', async () => {
    const w = world();
    w.at('2026-12-01T00:00:00.000Z');
    w.addRobot(robot('uv-001', { updatedAt: UPDATED }));
    const k = handKit();
    w.exported(k);
    const { dir } = kitFolderWith(k, [REC('kit.robot.quarantine', { ts: T('09:00'), targetType: 'robot', targetId: 'uv-001', details: `{"statusAtExport":"deployed","updatedAtExport":"${UPDATED}"}` })]);
    w.at('2026-12-05T12:00:00.000Z');
    expect((await w.kits.importKit(dir)).quarantined).toEqual(['uv-001']);
    expect(w.fleetRepo.get('uv-001')!.statusReason).toBe(`incident kit ${k.kitId}: `);
    w.close();
  });

  it('an import that finds the kit imported meanwhile (the conditional update changes no row) merges nothing and is refused, audited', async () => {
    const w = world();
    w.at('2026-12-01T00:00:00.000Z');
    w.addRobot(robot('uv-001', { updatedAt: UPDATED }));
    const k = handKit();
    w.exported(k);
    // Another console on the store importing first, in effect: this import's update skips the row.
    w.store.db.exec("CREATE TRIGGER test_skip BEFORE UPDATE ON incident_kits WHEN NEW.state = 'imported' BEGIN SELECT RAISE(IGNORE); END");
    const { dir } = kitFolderWith(k, [REC('kit.open', { ts: T('09:00') }), quarantineRec(T('09:01'), 'uv-001', UPDATED)]);
    w.at('2026-12-05T12:00:00.000Z');
    expect(await refusal(() => w.kits.importKit(dir))).toMatchObject({ code: 'illegal_transition', kitError: 'already_imported', message: `Incident kit ${k.kitId} was imported already.` });
    expect(w.records('kit.offline.')).toEqual([]);
    expect(w.fleetRepo.get('uv-001')!.status).toBe('deployed');
    expect(w.records('kit.import').map((r) => [r.outcome, r.details])).toEqual([['failure', { kitError: 'already_imported' }]]);
    w.close();
  });
});
