import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsoleError } from '../../shared/errors.ts';
import { AuditRecord, AuditVerification } from '../../shared/contract.ts';
import { GENESIS_HASH } from '../../electron/services/audit/index.ts';
import { recordLine, sha256Hex } from '../../electron/services/audit/canonical.ts';
import { entry, makeLog, newSigner, openTestDb } from './audit-testdb.ts';

let t: ReturnType<typeof openTestDb>;
beforeEach(() => {
  t = openTestDb();
});
afterEach(() => t.cleanup());

function seeded(n: number, every = 10) {
  const { log, clock } = makeLog(t.db, { checkpointEvery: every });
  const signer = newSigner();
  log.setSigner(signer);
  for (let i = 0; i < n; i++) {
    log.append(entry(i));
    clock.advance(1000);
  }
  return { log, clock, signer };
}

const errorCode = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof ConsoleError ? e.code : `not a ConsoleError: ${String(e)}`;
  }
  return 'no error';
};

describe('audit log append and chain', () => {
  it('appends records with consecutive seq, clock time and the given fields', () => {
    const { log, clock } = makeLog(t.db);
    const a = log.append({ actor: 'alice', action: 'key.create', targetType: 'key', targetId: 'k1', outcome: 'success', details: { version: 1 } });
    clock.advance(5000);
    const b = log.append({ actor: 'unknown', action: 'session.unlock', targetType: null, targetId: null, outcome: 'failure' });
    expect(AuditRecord.parse(a)).toEqual({ seq: 1, ts: '2026-01-01T00:00:00.000Z', actor: 'alice', action: 'key.create', targetType: 'key', targetId: 'k1', outcome: 'success', details: { version: 1 } });
    expect(b.seq).toBe(2);
    expect(b.ts).toBe('2026-01-01T00:00:05.000Z');
    expect(b.details).toEqual({});
  });

  it('stores as hash the SHA-256 of the canonical line that links to the previous hash, starting from the genesis hash', () => {
    const { log } = makeLog(t.db);
    log.append(entry(0));
    log.append(entry(1));
    const rows = t.db.prepare('SELECT * FROM audit_records ORDER BY seq').all() as Array<Record<string, string | number | null>>;
    let prev = GENESIS_HASH;
    expect(GENESIS_HASH).toBe(sha256Hex('ECPS-UV-AUDIT-GENESIS-V1'));
    for (const r of rows) {
      const line = recordLine(r.seq as number, r.ts as string, r.actor as string, r.action as string, r.target_type as string | null,
        r.target_id as string | null, r.outcome as string, r.details as string, prev);
      expect(r.hash).toBe(sha256Hex(line));
      prev = r.hash as string;
    }
  });

  it('sorts detail keys canonically so the same facts always hash the same', () => {
    const { log } = makeLog(t.db);
    log.append({ actor: 'a', action: 'x.y', targetType: null, targetId: null, outcome: 'success', details: { z: 1, a: 'b', m: null } });
    expect(t.db.prepare('SELECT details FROM audit_records').pluck().get()).toBe('{"a":"b","m":null,"z":1}');
  });

  it('verifies an untouched log with its checkpoints', () => {
    const { log } = seeded(45);
    const v = log.verify();
    expect(AuditVerification.parse(v)).toMatchObject({ ok: true, checkedRecords: 45, checkpoints: 4, lastCheckpointSeq: 40, firstBad: null });
  });

  it('writes a checkpoint only when records were added since the last one', () => {
    const { log } = seeded(12);
    log.checkpoint();
    log.checkpoint();
    expect(t.db.prepare('SELECT seq FROM audit_checkpoints ORDER BY seq').pluck().all()).toEqual([10, 12]);
  });

  it('records appended while locked (no signer) are chained but not checkpointed, and are covered by the next checkpoint', () => {
    const { log } = makeLog(t.db, { checkpointEvery: 2 });
    for (let i = 0; i < 5; i++) log.append(entry(i));
    log.checkpoint();
    expect(t.db.prepare('SELECT count(*) FROM audit_checkpoints').pluck().get()).toBe(0);
    expect(errorCode(() => log.verify())).toBe('locked');
    log.setSigner(newSigner());
    expect(log.verify()).toMatchObject({ ok: true, checkedRecords: 5, checkpoints: 0 });
    log.checkpoint();
    expect(log.verify()).toMatchObject({ ok: true, checkpoints: 1, lastCheckpointSeq: 5 });
  });

  it('appendMany produces exactly the rows and checkpoints that append would', () => {
    const other = openTestDb('audit-many-');
    try {
      const signer = newSigner();
      const one = makeLog(t.db, { checkpointEvery: 7 });
      const many = makeLog(other.db, { checkpointEvery: 7 });
      one.log.setSigner(signer);
      many.log.setSigner(signer);
      const entries = Array.from({ length: 50 }, (_, i) => entry(i));
      for (const e of entries) one.log.append(e);
      const last = many.log.appendMany(entries);
      expect(last?.seq).toBe(50);
      const dump = (db: typeof t.db) => ({
        records: db.prepare('SELECT * FROM audit_records ORDER BY seq').all(),
        checkpoints: db.prepare('SELECT seq, head, ts, public_key, signature FROM audit_checkpoints ORDER BY seq').all(),
      });
      expect(dump(other.db)).toEqual(dump(t.db));
      expect(many.log.verify().ok).toBe(true);
    } finally {
      other.cleanup();
    }
  });

  it('appendMany continues an existing chain and is all-or-nothing on a bad entry', () => {
    const { log } = makeLog(t.db);
    log.setSigner(newSigner());
    log.append(entry(0));
    expect(errorCode(() => log.appendMany([entry(1), { ...entry(2), outcome: 'maybe' as 'success' }]))).toBe('invalid_input');
    expect(t.db.prepare('SELECT count(*) FROM audit_records').pluck().get()).toBe(1);
    log.appendMany([entry(1), entry(2)]);
    expect(log.verify()).toMatchObject({ ok: true, checkedRecords: 3 });
  });

  it('an append inside a caller transaction that rolls back leaves no record and the chain intact', () => {
    const { log } = makeLog(t.db);
    log.setSigner(newSigner());
    log.append(entry(0));
    expect(() =>
      t.db.transaction(() => {
        log.append(entry(1));
        throw new Error('caller failed');
      })(),
    ).toThrow('caller failed');
    log.append(entry(2));
    expect(log.verify()).toMatchObject({ ok: true, checkedRecords: 2 });
  });

  it('two logs on the same database share one chain (the head is read from the database)', () => {
    const a = makeLog(t.db).log;
    const b = makeLog(t.db).log;
    a.setSigner(newSigner());
    a.append(entry(0));
    b.append(entry(1));
    a.append(entry(2));
    expect(a.verify()).toMatchObject({ ok: true, checkedRecords: 3 });
  });

  it('notifies listeners after each append until they unsubscribe, and a failing listener does not fail the append', () => {
    const { log } = makeLog(t.db);
    const seen: number[] = [];
    log.onAppend(() => {
      throw new Error('listener bug');
    });
    const off = log.onAppend((r) => seen.push(r.seq));
    log.append(entry(0));
    log.appendMany([entry(1), entry(2)]);
    off();
    log.append(entry(3));
    expect(seen).toEqual([1, 3]);
  });
});

describe('audit entries are validated and never carry secrets', () => {
  const base = { actor: 'alice', action: 'key.create', targetType: 'key' as const, targetId: 'k', outcome: 'success' as const };
  it.each(['passphrase', 'newPassphrase', 'password', 'plaintext', 'privateKey', 'keyMaterial', 'secret', 'key', 'masterKey', 'token'])(
    'refuses a detail named %s with invalid_input',
    (name) => {
      const { log } = makeLog(t.db);
      expect(errorCode(() => log.append({ ...base, details: { [name]: 'x' } }))).toBe('invalid_input');
      expect(t.db.prepare('SELECT count(*) FROM audit_records').pluck().get()).toBe(0);
    },
  );

  it('refuses PEM private key text anywhere and does not echo it in the error', () => {
    const { log } = makeLog(t.db);
    const pem = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----';
    try {
      log.append({ ...base, details: { note: pem } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConsoleError);
      expect((e as ConsoleError).code).toBe('invalid_input');
      expect((e as Error).message).not.toContain('MC4CAQAw');
    }
  });

  it.each([
    ['empty actor', { ...base, actor: '' }],
    ['bad action', { ...base, action: 'drop table;' }],
    ['bad target type', { ...base, targetType: 'planet' }],
    ['bad outcome', { ...base, outcome: 'ok' }],
    ['array details', { ...base, details: [1] }],
    ['nested details', { ...base, details: { a: { b: 1 } } }],
    ['NaN detail', { ...base, details: { n: Number.NaN } }],
    ['lone surrogate', { ...base, details: { s: 'a\uD800' } }],
    ['control char in actor', { ...base, actor: 'al\u0000ice' }],
    ['huge detail', { ...base, details: { s: 'x'.repeat(2001) } }],
    // A list (name ending in List) may be longer, up to 65,536 characters (docs/audit-log.md).
    ['huge list', { ...base, details: { serialList: 'x'.repeat(65_537) } }],
    ['a list-like name not ending in List', { ...base, details: { listing: 'x'.repeat(2001) } }],
  ])('refuses %s with invalid_input', (_name, bad) => {
    const { log } = makeLog(t.db);
    expect(errorCode(() => log.append(bad as never))).toBe('invalid_input');
  });

  it('keeps details at their limits: 2,000 characters, 65,536 for a list', () => {
    const { log } = makeLog(t.db);
    log.setSigner(newSigner());
    const details = { s: 'x'.repeat(2000), serialList: Array.from({ length: 1000 }, (_, i) => `uv-${String(i).padStart(61, '0')}`).join(' ').padEnd(65_536, 'y') };
    expect(details.serialList).toHaveLength(65_536);
    const r = log.append({ ...base, details });
    expect(log.query({ offset: 0, limit: 1 }).records[0]).toEqual(r);
    expect(log.verify().ok).toBe(true);
  });

  it('keeps unicode, quotes and newlines in details exactly and still verifies', () => {
    const { log } = makeLog(t.db);
    log.setSigner(newSigner());
    const r = log.append({ ...base, actor: 'Zoë 👩‍🔧', details: { reason: 'line1\nline2 "quoted" \\ é', n: -0.5 } });
    expect(log.query({ offset: 0, limit: 1 }).records[0]).toEqual(r);
    expect(log.verify().ok).toBe(true);
  });
});

describe('audit verification reports the first bad record', () => {
  it.each([
    ['actor', "actor = 'mallory'"],
    ['action', "action = 'key.view'"],
    ['target', "target_id = 'other'"],
    ['outcome', "outcome = 'failure'"],
    ['time', "ts = '2025-01-01T00:00:00.000Z'"],
    ['details', `details = '{"version":9}'`],
  ])('detects an out-of-band edit of the %s column at that record', (_c, set) => {
    const { log } = seeded(45);
    t.db.prepare(`UPDATE audit_records SET ${set} WHERE seq = 17`).run();
    expect(log.verify()).toMatchObject({ ok: false, checkedRecords: 16, firstBad: { seq: 17, reason: expect.stringContaining('record 17 was modified') } });
  });

  it('detects an edit whose stored hash was recomputed, at the next record', () => {
    const { log } = seeded(45);
    const r = t.db.prepare('SELECT * FROM audit_records WHERE seq = 17').get() as Record<string, string>;
    const prev = t.db.prepare('SELECT hash FROM audit_records WHERE seq = 16').pluck().get() as string;
    const forged = sha256Hex(recordLine(17, r.ts!, 'mallory', r.action!, r.target_type!, r.target_id!, r.outcome!, r.details!, prev));
    t.db.prepare("UPDATE audit_records SET actor = 'mallory', hash = ? WHERE seq = 17").run(forged);
    expect(log.verify().firstBad?.seq).toBe(18);
  });

  it('detects a deleted record', () => {
    const { log } = seeded(45);
    t.db.prepare('DELETE FROM audit_records WHERE seq = 17').run();
    expect(log.verify().firstBad).toEqual({ seq: 17, reason: 'record 17 is missing (deleted)' });
  });

  it('detects a record inserted in the middle (later records renumbered)', () => {
    const { log } = seeded(45);
    t.db.exec('UPDATE audit_records SET seq = -seq - 1 WHERE seq >= 17; UPDATE audit_records SET seq = -seq WHERE seq < 0');
    const prev = t.db.prepare('SELECT hash FROM audit_records WHERE seq = 16').pluck().get() as string;
    const line = recordLine(17, '2026-01-01T00:00:16.500Z', 'mallory', 'key.create', 'key', 'k', 'success', '{}', prev);
    t.db.prepare('INSERT INTO audit_records VALUES (17, ?, ?, ?, ?, ?, ?, ?, ?)').run('2026-01-01T00:00:16.500Z', 'mallory', 'key.create', 'key', 'k', 'success', '{}', sha256Hex(line));
    const v = log.verify();
    expect(v.ok).toBe(false);
    expect(v.firstBad?.seq).toBe(18);
  });

  it('detects two records swapped', () => {
    const { log } = seeded(45);
    t.db.exec('UPDATE audit_records SET seq = -1 WHERE seq = 17; UPDATE audit_records SET seq = 17 WHERE seq = 18; UPDATE audit_records SET seq = 18 WHERE seq = -1');
    expect(log.verify().firstBad?.seq).toBe(17);
  });

  it('detects truncation after a checkpoint', () => {
    const { log } = seeded(45);
    t.db.prepare('DELETE FROM audit_records WHERE seq > 35').run();
    expect(log.verify()).toMatchObject({
      ok: false,
      checkedRecords: 35,
      firstBad: { seq: 36, reason: expect.stringContaining('checkpoint at record 40 refers to records that were removed') },
    });
  });

  it('detects a forged checkpoint signature and a checkpoint whose head was changed', () => {
    const { log } = seeded(45);
    const sig = t.db.prepare('SELECT signature FROM audit_checkpoints WHERE seq = 30').pluck().get() as string;
    const flipped = Buffer.from(sig, 'base64');
    flipped[5]! ^= 1;
    t.db.prepare('UPDATE audit_checkpoints SET signature = ? WHERE seq = 30').run(flipped.toString('base64'));
    expect(log.verify().firstBad).toEqual({ seq: 30, reason: 'the checkpoint at record 30 has an invalid signature (not signed by the trusted audit key)' });
    t.db.prepare('UPDATE audit_checkpoints SET signature = ?, head = ? WHERE seq = 30').run(sig, 'f'.repeat(64));
    expect(log.verify().firstBad?.reason).toContain('checkpoint at record 30 does not match the chain');
  });

  it('checks signatures against the trusted key only: checkpoints re-signed by an attacker, their key stored beside them, fail', () => {
    const signer = newSigner();
    const { log } = makeLog(t.db, { checkpointEvery: 10 });
    log.setSigner(signer);
    for (let i = 0; i < 20; i++) log.append(entry(i));
    expect(log.verify()).toMatchObject({ ok: true, checkpoints: 2 });
    // The attacker replaces every checkpoint with one signed by their key, and stores that key in each row.
    const mallory = newSigner();
    const attacker = makeLog(t.db, { checkpointEvery: 1000 }).log;
    t.db.prepare('DELETE FROM audit_checkpoints').run();
    attacker.setSigner(mallory);
    attacker.checkpoint();
    expect(t.db.prepare('SELECT public_key FROM audit_checkpoints').pluck().all()).toEqual([mallory.publicKeySpki.toString('base64')]);
    expect(log.verify()).toMatchObject({
      ok: false,
      firstBad: { seq: 20, reason: 'the checkpoint at record 20 has an invalid signature (not signed by the trusted audit key)' },
    });
  });
});

describe('audit export from the log', () => {
  it('refuses to export without the audit key (locked) with the locked code', () => {
    const { log } = makeLog(t.db);
    log.append(entry(0));
    expect(errorCode(() => log.exportJsonl())).toBe('locked');
  });

  it('refuses to export a log that fails verification, with integrity_failure', () => {
    const { log } = seeded(20);
    t.db.prepare("UPDATE audit_records SET outcome = 'failure' WHERE seq = 3").run();
    expect(errorCode(() => log.exportJsonl())).toBe('integrity_failure');
  });

  it('writes a fresh checkpoint so the export ends covered, one line per record equal to its canonical line', () => {
    const { log } = seeded(23);
    const out = log.exportJsonl();
    expect(out.records).toBe(23);
    expect(out.fileName).toMatch(/^ecps-audit-2026-01-01T00-00-23-000Z\.jsonl$/);
    const lines = out.content.trimEnd().split('\n');
    expect(lines).toHaveLength(1 + 23 + 3 + 1);
    expect(JSON.parse(lines[1]!)).toMatchObject({ seq: 1, prev: GENESIS_HASH });
    expect(sha256Hex(lines[23]!)).toBe(t.db.prepare('SELECT hash FROM audit_records WHERE seq = 23').pluck().get());
    expect(JSON.parse(lines[26]!)).toMatchObject({ type: 'checkpoint', seq: 23 });
    expect(lines.join("\n")).not.toMatch(/"passphrase"|PRIVATE KEY/);
  });
});
