// The CAs endorsed to each robot (migration 38, electron/store/caEndorsedRepo.ts; docs/fleet-ca.md, "What a robot
// trusts"), over a real SQLite database holding the migration's own table. The repository keeps the first record per
// robot and CA and lists them in the order first sent; the back-fill carries over what the audit log names: a
// successful bundle.issue with `endorsedBy` endorsed the CA that was newest when it was issued, a successful
// station.reissue names both (`previousCaId` endorsed `caId`); anything else, and robots or CAs no longer in the store,
// are skipped. The expected rows are written out below from that rule.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { backfillCaEndorsements, createCaEndorsedRepo, ROBOT_CA_ENDORSEMENTS_SQL } from '../../electron/store/caEndorsedRepo.ts';

const CA_A = 'aaaaaaaa-0000-4000-8000-000000000001'; // created 2026-01-01
const CA_B = 'bbbbbbbb-0000-4000-8000-000000000002'; // created 2026-06-01
const CA_C = 'cccccccc-0000-4000-8000-000000000003'; // created 2026-11-01

/** The tables the repository reads, with the columns it reads, and migration 38's own table. */
function store() {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  db.exec(`CREATE TABLE robots (device_id VARCHAR(64) PRIMARY KEY);
    CREATE TABLE fleet_ca (id VARCHAR(36) PRIMARY KEY, created_at VARCHAR(40) NOT NULL);
    CREATE TABLE audit_records (seq INTEGER PRIMARY KEY, ts VARCHAR(40) NOT NULL, action VARCHAR(64) NOT NULL, outcome VARCHAR(16) NOT NULL, target_id VARCHAR(128), details TEXT NOT NULL);`);
  db.exec(ROBOT_CA_ENDORSEMENTS_SQL);
  for (const id of ['uv-1', 'uv-2', 'uv-3']) db.prepare('INSERT INTO robots VALUES (?)').run(id);
  for (const [id, at] of [[CA_A, '2026-01-01T00:00:00.000Z'], [CA_B, '2026-06-01T00:00:00.000Z'], [CA_C, '2026-11-01T00:00:00.000Z']]) {
    db.prepare('INSERT INTO fleet_ca VALUES (?, ?)').run(id, at);
  }
  return db;
}

describe('the repository', () => {
  it('keeps the first record per robot and CA, and lists a robot\'s in the order first sent', () => {
    const db = store();
    const repo = createCaEndorsedRepo(db);
    repo.record({ deviceId: 'uv-1', caId: CA_C, endorsedBy: CA_B, via: 'renew', firstSentAt: '2026-11-02T00:00:00.000Z' });
    repo.record({ deviceId: 'uv-1', caId: CA_B, endorsedBy: CA_A, via: 'bundle', firstSentAt: '2026-06-02T00:00:00.000Z' });
    repo.record({ deviceId: 'uv-1', caId: CA_C, endorsedBy: CA_A, via: 'bundle', firstSentAt: '2026-11-03T00:00:00.000Z' });
    repo.record({ deviceId: 'uv-2', caId: CA_C, endorsedBy: CA_B, via: 'bundle', firstSentAt: '2026-11-04T00:00:00.000Z' });
    expect(repo.listFor('uv-1')).toEqual([
      { deviceId: 'uv-1', caId: CA_B, endorsedBy: CA_A, via: 'bundle', firstSentAt: '2026-06-02T00:00:00.000Z' },
      { deviceId: 'uv-1', caId: CA_C, endorsedBy: CA_B, via: 'renew', firstSentAt: '2026-11-02T00:00:00.000Z' },
    ]);
    expect(repo.listFor('uv-2')).toEqual([{ deviceId: 'uv-2', caId: CA_C, endorsedBy: CA_B, via: 'bundle', firstSentAt: '2026-11-04T00:00:00.000Z' }]);
    expect(repo.listFor('uv-3')).toEqual([]);
  });

  it('the same second: ordered by CA id', () => {
    const repo = createCaEndorsedRepo(store());
    const at = '2026-11-05T00:00:00.000Z';
    repo.record({ deviceId: 'uv-1', caId: CA_C, endorsedBy: CA_A, via: 'bundle', firstSentAt: at });
    repo.record({ deviceId: 'uv-1', caId: CA_B, endorsedBy: CA_A, via: 'bundle', firstSentAt: at });
    expect(repo.listFor('uv-1').map((r) => r.caId)).toEqual([CA_B, CA_C]);
  });
});

describe('the back-fill from the audit log (migration 38)', () => {
  // [what, ts, action, outcome, target, details, the row carried over (caId, endorsedBy, via) or null]
  type Row = [string, string, string, string, string | null, string, [string, string, 'bundle' | 'renew'] | null];
  const bundle = (by: unknown) => JSON.stringify({ endorsedBy: by, sequence: 3 });
  const reissue = (from: unknown, to: unknown) => JSON.stringify({ previousCaId: from, caId: to });
  const ROWS: Row[] = [
    ['a bundle endorsed by A while B is newest', '2026-07-01T00:00:00.000Z', 'bundle.issue', 'success', 'uv-1', bundle(CA_A), [CA_B, CA_A, 'bundle']],
    ['a bundle issued the moment C was created: C is newest', '2026-11-01T00:00:00.000Z', 'bundle.issue', 'success', 'uv-2', bundle(CA_B), [CA_C, CA_B, 'bundle']],
    ['a bundle endorsed by the CA newest then (itself)', '2026-03-01T00:00:00.000Z', 'bundle.issue', 'success', 'uv-3', bundle(CA_A), null],
    ['a bundle without an endorsement', '2026-07-01T00:00:00.000Z', 'bundle.issue', 'success', 'uv-3', JSON.stringify({ sequence: 4 }), null],
    ['a bundle dated before any CA (a clock set wrong)', '2025-12-01T00:00:00.000Z', 'bundle.issue', 'success', 'uv-3', bundle(CA_A), null],
    ['a bundle endorsed by a CA not in the store', '2026-07-01T00:00:00.000Z', 'bundle.issue', 'success', 'uv-3', bundle('gone'), null],
    ['a failed bundle', '2026-07-01T00:00:00.000Z', 'bundle.issue', 'failure', 'uv-3', bundle(CA_A), null],
    ['a bundle for a robot no longer in the store', '2026-07-01T00:00:00.000Z', 'bundle.issue', 'success', 'uv-9', bundle(CA_A), null],
    ['a bundle without a target', '2026-07-01T00:00:00.000Z', 'bundle.issue', 'success', null, bundle(CA_A), null],
    ['details that are not JSON', '2026-07-01T00:00:00.000Z', 'bundle.issue', 'success', 'uv-3', '{not json', null],
    ['a re-issue from B to C', '2026-11-10T00:00:00.000Z', 'station.reissue', 'success', 'uv-3', reissue(CA_B, CA_C), [CA_C, CA_B, 'renew']],
    ['a re-issue to a CA not in the store', '2026-11-10T00:00:00.000Z', 'station.reissue', 'success', 'uv-1', reissue(CA_B, 'gone'), null],
    ['a re-issue naming one CA twice', '2026-11-10T00:00:00.000Z', 'station.reissue', 'success', 'uv-1', reissue(CA_C, CA_C), null],
    ['a failed re-issue (audited without its CAs)', '2026-11-10T00:00:00.000Z', 'station.reissue', 'failure', 'uv-1', JSON.stringify({ code: 'timeout' }), null],
    ['another action naming CAs', '2026-11-10T00:00:00.000Z', 'fleet.ca_rotate', 'success', 'uv-1', reissue(CA_B, CA_C), null],
  ];

  for (const [what, ts, action, outcome, target, details, expected] of ROWS) {
    it(`${what}: ${expected ? `${expected[1].slice(0, 1)} endorsed ${expected[0].slice(0, 1)} (${expected[2]})` : 'not carried over'}`, () => {
      const db = store();
      db.prepare('INSERT INTO audit_records (ts, action, outcome, target_id, details) VALUES (?, ?, ?, ?, ?)').run(ts, action, outcome, target, details);
      backfillCaEndorsements(db);
      const all = ['uv-1', 'uv-2', 'uv-3'].flatMap((d) => createCaEndorsedRepo(db).listFor(d));
      expect(all).toEqual(expected ? [{ deviceId: target, caId: expected[0], endorsedBy: expected[1], via: expected[2], firstSentAt: ts }] : []);
    });
  }

  it('all rows at once, in audit order: a bad row does not stop the rest, the first record per robot and CA is kept', () => {
    const db = store();
    const insert = db.prepare('INSERT INTO audit_records (ts, action, outcome, target_id, details) VALUES (?, ?, ?, ?, ?)');
    for (const [, ts, action, outcome, target, details] of ROWS) insert.run(ts, action, outcome, target, details);
    // uv-1 later learns B again by a re-issue: the bundle's record of July stays.
    insert.run('2026-08-01T00:00:00.000Z', 'station.reissue', 'success', 'uv-1', reissue(CA_A, CA_B));
    backfillCaEndorsements(db);
    const repo = createCaEndorsedRepo(db);
    expect(['uv-1', 'uv-2', 'uv-3'].map((d) => repo.listFor(d).map((r) => [r.caId, r.endorsedBy, r.via, r.firstSentAt]))).toEqual([
      [[CA_B, CA_A, 'bundle', '2026-07-01T00:00:00.000Z']],
      [[CA_C, CA_B, 'bundle', '2026-11-01T00:00:00.000Z']],
      [[CA_C, CA_B, 'renew', '2026-11-10T00:00:00.000Z']],
    ]);
  });
});
