// Which CRLs a robot must still hear (docs/lockdown-orders.md, "Delivery"; docs/fleet-ca.md, "What a robot trusts"):
// the current CA's newest CRL, and the newest CRL of each retired or compromised CA that issued the robot a
// certificate, each until the robot gives a final answer to that CA's number (CRL numbers count per CA, so an answer
// to one CA's number 2 does not settle another's). A CA endorsed to a robot (robot_ca_endorsements, migration 38) counts
// like one that issued it a certificate. A key bundle carries the same CRLs (the others make it v4). A store migrated to
// the latest version, seeded through the repositories; the CRL contents are opaque bytes here (the robot checks them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry, AuditLog } from '../../electron/services/audit/auditLog.ts';
import { createOrderDelivery, type OrderDelivery } from '../../electron/services/emergency/orderDelivery.ts';
import { openStoreDatabase, type OpenedStore } from '../../electron/store/database.ts';
import { createCaTransitionsRepo } from '../../electron/store/caTransitionsRepo.ts';
import { createFleetCaRepo } from '../../electron/store/fleetCaRepo.ts';
import { createFleetRepo } from '../../electron/store/fleetRepo.ts';
import { createOrderDeliveryRepo, type OrderDeliveryRepo } from '../../electron/store/orderDeliveryRepo.ts';
import { createCaEndorsedRepo } from '../../electron/store/caEndorsedRepo.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { rollBackMigrations } from './support/legacyStore.ts';

afterAll(() => removeTempDirs());

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const iso = (days: number) => new Date(T0 + days * 86_400_000).toISOString();
/** A CRL's bytes as the test names it: which CA, which number. */
const crlBytes = (ca: string, n: number) => Buffer.from(`crl ${ca} ${n}`);

// The CAs in creation order: A (the factory CA, retired by a replacement), K (compromised), B (current).
const CAS = ['ca-a', 'ca-k', 'ca-b'] as const;
// Every CRL each CA published; numbers count per CA, so A and B both have a number 2.
const CRLS: Record<string, number[]> = { 'ca-a': [1, 2], 'ca-k': [1], 'ca-b': [1, 2] };
// Robot -> the CAs that issued it a certificate.
const ROBOTS: Record<string, string[]> = {
  'r-current': ['ca-b'],
  'r-retired': ['ca-a'],
  'r-reissued': ['ca-a', 'ca-b'],
  'r-compromised': ['ca-k'],
  // Learnt K by endorsement (a bundle or RENEW while K was current) and never got a certificate from it.
  'r-endorsed': ['ca-a'],
  // Endorsed the current CA only: nothing more than its own CAs' CRLs.
  'r-endorsed-current': ['ca-a'],
};
// Robot -> the CAs the console endorsed to it (sent its certificate endorsed by a CA the robot trusted).
const ENDORSED: Record<string, string[]> = { 'r-endorsed': ['ca-k'], 'r-endorsed-current': ['ca-b'] };
// What each robot must hear before any answer, as [CA, CRL number]: the current CA's newest first.
const PENDING: Array<[string, Array<[string, number]>]> = [
  ['r-current', [['ca-b', 2]]],
  ['r-retired', [['ca-b', 2], ['ca-a', 2]]],
  ['r-reissued', [['ca-b', 2], ['ca-a', 2]]],
  ['r-compromised', [['ca-b', 2], ['ca-k', 1]]],
  ['r-endorsed', [['ca-b', 2], ['ca-a', 2], ['ca-k', 1]]],
  ['r-endorsed-current', [['ca-b', 2], ['ca-a', 2]]],
];

describe('CRLs pending for a robot, per CA', () => {
  let store: OpenedStore;
  let repo: OrderDeliveryRepo;
  let delivery: OrderDelivery;
  const audited: AuditEntry[] = [];
  const pendingOf = (deviceId: string) => delivery.itemsFor(deviceId).filter((i) => i.kind === 'crl').map((i) => [i.caId, i.ref]);
  const answer = (deviceId: string, caId: string, ref: number, result: string) =>
    delivery.recordAnswer({ port: '/dev/test', deviceId, kind: 'crl', ref, caId, result, message: result });

  beforeAll(() => {
    store = openStoreDatabase(tempDir(), () => iso(0));
    const db = store.db;
    const ca = createFleetCaRepo(db);
    const fleet = createFleetRepo(db);
    const transitions = createCaTransitionsRepo(db);
    repo = createOrderDeliveryRepo(db);
    CAS.forEach((id, i) => ca.insertCa({ id, provider: 'local', keyRef: id, subject: `CN=${id}`, certDer: Buffer.from(id), notAfter: iso(3650), crlNumber: 0, createdAt: iso(i) }));
    transitions.record({ caId: 'ca-a', state: 'retired', successorId: 'ca-b', changedAt: iso(3), changedBy: 'officer', reason: 'replaced' });
    transitions.record({ caId: 'ca-k', state: 'compromised', successorId: null, changedAt: iso(3), changedBy: 'officer', reason: 'key leaked' });
    for (const [caId, numbers] of Object.entries(CRLS)) for (const n of numbers) repo.saveCrl(caId, n, iso(n), crlBytes(caId, n));
    fleet.ensureSite('s', iso(0));
    fleet.ensureModel('m', iso(0));
    for (const [deviceId, cas] of Object.entries(ROBOTS)) {
      fleet.insert({ deviceId, name: deviceId, model: 'm', site: 's', firmware: '1', tags: [], status: 'deployed', statusReason: null, lastSeen: null, createdAt: iso(0), updatedAt: iso(0) });
      cas.forEach((caId, k) => ca.insertCert({ caId, serial: `${k + 1}${Buffer.from(deviceId).toString('hex')}`, deviceId, subject: `CN=${deviceId}`, notBefore: iso(0), notAfter: iso(365), certDer: Buffer.from('x'), issuedAt: iso(k), revokedAt: null, revocationReason: null }));
    }
    const endorsed = createCaEndorsedRepo(db);
    for (const [deviceId, cas] of Object.entries(ENDORSED)) for (const caId of cas) endorsed.record({ deviceId, caId, endorsedBy: 'ca-a', via: 'bundle', firstSentAt: iso(2) });
    // Recording the same endorsement again keeps the first record.
    endorsed.record({ deviceId: 'r-endorsed', caId: 'ca-k', endorsedBy: 'ca-a', via: 'renew', firstSentAt: iso(3) });
    expect(endorsed.listFor('r-endorsed').map((e) => [e.caId, e.via, e.firstSentAt])).toEqual([['ca-k', 'bundle', iso(2)]]);
    const audit = { append: (e: AuditEntry) => void audited.push(e) } as unknown as AuditLog;
    delivery = createOrderDelivery({
      repo, fleetRepo: fleet, keys: { list: () => [] }, publicKey: () => Promise.reject(new Error('no emergency key in this test')),
      currentCaId: () => ca.currentCaId(), audit, actor: () => 'officer', clock: { now: () => T0 + 10 * 86_400_000 } as never,
      transaction: (fn) => db.transaction(fn)(),
    });
    expect(ca.currentCaId()).toBe('ca-b');
  });
  afterAll(() => store?.close());

  it.each(PENDING)('%s hears %j', (deviceId, expected) => {
    expect(pendingOf(deviceId)).toEqual(expected);
    const items = delivery.itemsFor(deviceId).filter((i) => i.kind === 'crl');
    expect(items.map((i) => i.content.toString())).toEqual(expected.map(([caId, n]) => crlBytes(caId, n).toString()));
  });

  it.each(PENDING)('a key bundle for %s carries the same CRLs: %j', async (deviceId, expected) => {
    const b = await delivery.forBundle(deviceId);
    const [current, ...others] = expected;
    expect(b.crl && [b.crl.caId, b.crl.ref, b.crl.content.toString()]).toEqual([...current!, crlBytes(...current!).toString()]);
    expect(b.otherCrls.map((c) => [c.caId, c.ref, c.content.toString()])).toEqual(others.map(([caId, n]) => [caId, n, crlBytes(caId, n).toString()]));
  });

  it('an answer settles that CA\'s number only, is recorded with its CA and audited', () => {
    answer('r-reissued', 'ca-a', 2, 'accepted');
    expect(pendingOf('r-reissued')).toEqual([['ca-b', 2]]);
    answer('r-reissued', 'ca-b', 2, 'accepted');
    expect(pendingOf('r-reissued')).toEqual([]);
    expect(repo.list('r-reissued').map((r) => [r.caId, r.ref, r.result, r.channel])).toEqual([['ca-a', 2, 'accepted', 'serial'], ['ca-b', 2, 'accepted', 'serial']]);
    expect(audited.slice(-2).map((e) => [e.action, e.targetId, e.details?.caId, e.details?.ref, e.details?.result])).toEqual([
      ['lockdown.deliver', 'r-reissued', 'ca-a', 2, 'accepted'],
      ['lockdown.deliver', 'r-reissued', 'ca-b', 2, 'accepted'],
    ]);
  });

  it('crl_foreign is final for a retired CA\'s CRL, not for the current CA\'s (learnt in a re-issue)', () => {
    answer('r-retired', 'ca-a', 2, 'crl_foreign');
    answer('r-retired', 'ca-b', 2, 'crl_foreign');
    expect(pendingOf('r-retired')).toEqual([['ca-b', 2]]);
  });

  it('a compromised CA\'s final CRL (a newer number) is pending again after the older one was taken', () => {
    answer('r-compromised', 'ca-k', 1, 'accepted');
    expect(pendingOf('r-compromised')).toEqual([['ca-b', 2]]);
    repo.saveCrl('ca-k', 2, iso(4), crlBytes('ca-k', 2));
    expect(pendingOf('r-compromised')).toEqual([['ca-b', 2], ['ca-k', 2]]);
    answer('r-compromised', 'ca-k', 2, 'crl_stale');
    expect(pendingOf('r-compromised')).toEqual([['ca-b', 2]]);
  });
});

/** A fresh store in `dir` with these CAs (id -> the day it was created) and robots (deployed). */
function seededStore(dir: string, cas: Record<string, number>, robots: string[]): OpenedStore {
  const store = openStoreDatabase(dir, () => iso(0));
  const ca = createFleetCaRepo(store.db);
  const fleet = createFleetRepo(store.db);
  for (const [id, day] of Object.entries(cas)) ca.insertCa({ id, provider: 'local', keyRef: id, subject: `CN=${id}`, certDer: Buffer.from(id), notAfter: iso(3650), crlNumber: 0, createdAt: iso(day) });
  fleet.ensureSite('s', iso(0));
  fleet.ensureModel('m', iso(0));
  for (const deviceId of robots) fleet.insert({ deviceId, name: deviceId, model: 'm', site: 's', firmware: '1', tags: [], status: 'deployed', statusReason: null, lastSeen: null, createdAt: iso(0), updatedAt: iso(0) });
  return store;
}

describe('migration 37 names the CA of the CRL answers recorded before it', () => {
  it('each old answer gets the CA whose CRL of that number was the newest published at the time', () => {
    const dir = tempDir();
    let store = seededStore(dir, { 'ca-a': 0, 'ca-b': 1 }, ['r1']);
    const repo = createOrderDeliveryRepo(store.db);
    // A's CRL 1 on day 1, B's CRL 1 on day 5: an answer to number 1 on day 3 is A's, on day 6 B's; an order names no CA.
    repo.saveCrl('ca-a', 1, iso(1), crlBytes('ca-a', 1));
    repo.saveCrl('ca-b', 1, iso(5), crlBytes('ca-b', 1));
    // The store as migration 36 left it: the later migrations' tables (and what they changed) undone.
    rollBackMigrations(store.db, 37);
    store.db.exec('ALTER TABLE lockdown_deliveries DROP COLUMN ca_id');
    const old = store.db.prepare('INSERT INTO lockdown_deliveries (device_id, item, ref, channel, result, delivered_at) VALUES (?, ?, ?, ?, ?, ?)');
    old.run('r1', 'crl', 1, 'serial', 'accepted', iso(3));
    old.run('r1', 'crl', 1, 'serial', 'accepted', iso(6));
    old.run('r1', 'order', 1, 'serial', 'accepted', iso(6));
    store.close();
    store = openStoreDatabase(dir, () => iso(7));
    try {
      expect(createOrderDeliveryRepo(store.db).list('r1').map((r) => [r.item, r.ref, r.deliveredAt, r.caId])).toEqual([
        ['crl', 1, iso(3), 'ca-a'],
        ['crl', 1, iso(6), 'ca-b'],
        ['order', 1, iso(6), null],
      ]);
    } finally {
      store.close();
    }
  });
});

describe('migration 38 carries over the endorsements the audit log names', () => {
  it('a bundle with endorsedBy endorsed the CA current when it was issued; a re-issue names both CAs; the rest is skipped', () => {
    const dir = tempDir();
    // A on day 0, B on day 2 (A retired), C on day 6 (B retired).
    let store = seededStore(dir, { 'ca-a': 0, 'ca-b': 2, 'ca-c': 6 }, ['r1', 'r2', 'r3']);
    rollBackMigrations(store.db, 38);
    const audit = store.db.prepare('INSERT INTO audit_records (seq, ts, actor, action, target_type, target_id, outcome, details, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const rows: Array<[string, string, string, 'success' | 'failure', Record<string, unknown>]> = [
      [iso(3), 'bundle.issue', 'r1', 'success', { sequence: 1, delivery: 'file', endorsedBy: 'ca-a' }], // B endorsed by A
      [iso(7), 'bundle.issue', 'r1', 'success', { sequence: 2, delivery: 'file', endorsedBy: 'ca-a' }], // C endorsed by A
      [iso(8), 'bundle.issue', 'r2', 'success', { sequence: 1, delivery: 'file' }], // no endorsement
      [iso(8), 'bundle.issue', 'r3', 'failure', { code: 'internal', sequence: 1 }],
      [iso(9), 'station.reissue', 'r2', 'success', { port: '/dev/x', serial: '0a', caId: 'ca-c', previousCaId: 'ca-b' }],
      [iso(9), 'station.reissue', 'r3', 'failure', { port: '/dev/x', code: 'forged_csr' }],
      [iso(9), 'bundle.issue', 'gone', 'success', { sequence: 1, endorsedBy: 'ca-a' }], // not a robot of the store
    ];
    rows.forEach(([ts, action, target, outcome, details], i) => audit.run(1000 + i, ts, 'officer', action, 'robot', target, outcome, JSON.stringify(details), 'x'.repeat(64)));
    store.close();
    store = openStoreDatabase(dir, () => iso(10));
    try {
      const repo = createCaEndorsedRepo(store.db);
      const got = ['r1', 'r2', 'r3'].flatMap((d) => repo.listFor(d).map((e) => [e.deviceId, e.caId, e.endorsedBy, e.via, e.firstSentAt]));
      expect(got).toEqual([
        ['r1', 'ca-b', 'ca-a', 'bundle', iso(3)],
        ['r1', 'ca-c', 'ca-a', 'bundle', iso(7)],
        ['r2', 'ca-c', 'ca-b', 'renew', iso(9)],
      ]);
    } finally {
      store.close();
    }
  });
});
