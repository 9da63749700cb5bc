// walkChain over a real SQLite audit table whose rows this test writes itself, with hashes and checkpoint signatures
// computed from the formats in docs/audit-log.md ("Chain and checkpoints"), then tampered the ways the docs name.
import Database from 'better-sqlite3';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUDIT_SCHEMA_SQL, createAuditRepo, type CheckpointRow } from '../../electron/store/auditRepo.ts';
import { createParallelSignatures } from '../../electron/services/audit/parallelSignatures.ts';
import { walkChain, type WalkOptions } from '../../electron/services/audit/walkChain.ts';

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const GENESIS = sha('ECPS-UV-AUDIT-GENESIS-V1');
const j = (s: string | null) => (s === null ? 'null' : JSON.stringify(s));

interface Row { seq: number; ts: string; actor: string; action: string; targetType: string | null; targetId: string | null; outcome: string; details: string }

/** The canonical line of docs/audit-log.md: fixed member order, no spaces, prev = hash of the previous line. */
const lineOf = (r: Row, prev: string) =>
  `{"seq":${r.seq},"ts":${j(r.ts)},"actor":${j(r.actor)},"action":${j(r.action)},"targetType":${j(r.targetType)},"targetId":${j(r.targetId)},"outcome":${j(r.outcome)},"details":${r.details},"prev":"${prev}"}`;

const row = (seq: number): Row => ({
  seq, ts: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(), actor: seq % 3 ? 'alice' : 'système', action: 'key.rotate',
  targetType: seq % 4 ? 'key' : null, targetId: seq % 4 ? `key-${seq}` : null, outcome: seq % 5 ? 'success' : 'failure', details: `{"note":"op \\"${seq}\\"\\n","version":${seq}}`,
});

let db: Database.Database;
let lines: string[];
let hashes: string[];
const audit = generateKeyPairSync('ed25519');
const spkiB64 = (k: KeyObject) => k.export({ format: 'der', type: 'spki' }).toString('base64');

/** Writes records 1..n, as the log would, and returns nothing: lines[i] / hashes[i] hold record i+1. */
function seed(n: number) {
  lines = [];
  hashes = [];
  const insert = db.prepare('INSERT INTO audit_records (seq, ts, actor, action, target_type, target_id, outcome, details, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    let prev = GENESIS;
    for (let s = 1; s <= n; s++) {
      const r = row(s);
      const line = lineOf(r, prev);
      prev = sha(line);
      lines.push(line);
      hashes.push(prev);
      insert.run(r.seq, r.ts, r.actor, r.action, r.targetType, r.targetId, r.outcome, r.details, prev);
    }
  })();
}

/** A checkpoint over record seq, signed (Ed25519) over {"type":"checkpoint","seq":S,"head":"H","ts":"T"}. */
function checkpoint(seq: number, o: { key?: KeyObject; pub?: KeyObject; head?: string } = {}): CheckpointRow {
  const head = o.head ?? hashes[seq - 1]!;
  const ts = `2026-02-01T00:00:${String(seq % 60).padStart(2, '0')}.000Z`;
  const signature = sign(null, Buffer.from(`{"type":"checkpoint","seq":${seq},"head":"${head}","ts":"${ts}"}`), o.key ?? audit.privateKey).toString('base64');
  return { seq, head, ts, public_key: spkiB64(o.pub ?? audit.publicKey), signature };
}

const trusted = () => audit.publicKey.export({ format: 'der', type: 'spki' });
// Every case runs three ways, with the same expected verdicts: signatures verified inline; every signature verified on
// the worker while the walk hashes (parallelAfter 0); and the checkpoints read from the table in chunks, on the worker.
type Mode = 'inline' | 'worker' | 'stored';
let mode: Mode = 'inline';
const parallel = createParallelSignatures();
afterAll(() => parallel.close());

// The session always walks with the key it authenticated under the master key (docs/audit-log.md): the default here.
const walk = (o: Partial<WalkOptions> = {}) => {
  const options: WalkOptions = { checkpoints: [], trustedKey: trusted(), ...o };
  if (mode !== 'inline') Object.assign(options, { parallel, parallelAfter: 0 });
  if (mode === 'stored' && options.checkpoints !== 'stored') {
    db.prepare('DELETE FROM audit_checkpoints').run();
    const insert = db.prepare('INSERT INTO audit_checkpoints (seq, head, ts, public_key, signature) VALUES (?, ?, ?, ?, ?)');
    for (const cp of options.checkpoints) insert.run(cp.seq, cp.head, cp.ts, cp.public_key, cp.signature);
    options.checkpoints = 'stored';
  }
  return walkChain(createAuditRepo(db), options);
};
const INVALID = (seq: number) => `the checkpoint at record ${seq} has an invalid signature (not signed by the trusted audit key)`;

beforeEach(() => {
  db = new Database(':memory:');
  db.exec(AUDIT_SCHEMA_SQL);
});
afterEach(() => db.close());

describe.each<Mode>(['inline', 'worker', 'stored'])('walkChain, signatures %s', (m) => {
beforeEach(() => {
  mode = m;
});

describe('an untouched chain', () => {
  it('checks every record and checkpoint, hands out every line in order, and reports the head', () => {
    seed(10);
    const seen: string[] = [];
    const r = walk({ checkpoints: [checkpoint(4), checkpoint(10)], trustedKey: trusted(), onLine: (l) => seen.push(l) });
    expect(r).toEqual({ ok: true, checkedRecords: 10, checkpoints: 2, lastCheckpointSeq: 10, firstBad: null, headSeq: 10, headHash: hashes[9] });
    expect(seen).toEqual(lines);
    expect(hashes[0]).toBe(sha(lineOf(row(1), GENESIS)));
  });

  it('an empty log is a valid chain whose head is the genesis hash', () => {
    expect(walk()).toEqual({ ok: true, checkedRecords: 0, checkpoints: 0, lastCheckpointSeq: null, firstBad: null, headSeq: 0, headHash: GENESIS });
    expect(GENESIS.startsWith('b944fbfe') && GENESIS.endsWith('3a56')).toBe(true);
  });

  it('reads past one chunk of 4096 rows', () => {
    seed(4100);
    const r = walk({ checkpoints: [checkpoint(4096), checkpoint(4097), checkpoint(4100)] });
    expect(r).toMatchObject({ ok: true, checkedRecords: 4100, checkpoints: 3, lastCheckpointSeq: 4100, headSeq: 4100, headHash: hashes[4099] });
  });

  it('from a start record (and its hash) to an end record, counting only the checkpoints in that range', () => {
    seed(10);
    const cps = [checkpoint(2), checkpoint(4), checkpoint(6), checkpoint(10)];
    expect(walk({ checkpoints: cps, startSeq: 4, startHash: hashes[3] })).toEqual({
      ok: true, checkedRecords: 6, checkpoints: 2, lastCheckpointSeq: 10, firstBad: null, headSeq: 10, headHash: hashes[9],
    });
    expect(walk({ checkpoints: cps, endSeq: 6 })).toEqual({ ok: true, checkedRecords: 6, checkpoints: 3, lastCheckpointSeq: 6, firstBad: null, headSeq: 6, headHash: hashes[5] });
    expect(walk({ checkpoints: cps, startSeq: 2, startHash: hashes[1], endSeq: 5 })).toMatchObject({ ok: true, checkedRecords: 3, checkpoints: 1, lastCheckpointSeq: 4, headSeq: 5 });
    // A checkpoint on the very first record walked is checked and counted.
    expect(walk({ checkpoints: [checkpoint(1), checkpoint(3)], endSeq: 3 })).toMatchObject({ ok: true, checkpoints: 2, lastCheckpointSeq: 3 });
    expect(walk({ checkpoints: [checkpoint(4), checkpoint(5)], startSeq: 4, startHash: hashes[3] })).toMatchObject({ ok: true, checkpoints: 1, lastCheckpointSeq: 5 });
    expect(walk({ checkpoints: [{ ...checkpoint(5), ts: 'forged' }], startSeq: 4, startHash: hashes[3] }).firstBad?.seq).toBe(5);
    // A wrong start hash makes the first record after it fail.
    expect(walk({ startSeq: 4, startHash: hashes[2] }).firstBad).toEqual({ seq: 5, reason: 'record 5 was modified (its content no longer matches its hash, or record 4 was rewritten)' });
  });
});

describe('tampering the docs name', () => {
  it('an edited column is reported at that record, the walk stops there', () => {
    seed(10);
    db.prepare("UPDATE audit_records SET actor = 'mallory' WHERE seq = 7").run();
    expect(walk({ checkpoints: [checkpoint(4), checkpoint(10)] })).toEqual({
      ok: false, checkedRecords: 6, checkpoints: 1, lastCheckpointSeq: 4, headSeq: 6, headHash: hashes[5],
      firstBad: { seq: 7, reason: 'record 7 was modified (its content no longer matches its hash, or record 6 was rewritten)' },
    });
    db.prepare("UPDATE audit_records SET target_id = NULL WHERE seq = 1").run();
    expect(walk().firstBad).toEqual({ seq: 1, reason: 'record 1 was modified (its content no longer matches its hash)' });
  });

  it.each([
    ['details', "UPDATE audit_records SET details = '{\"note\":\"x\",\"version\":3}' WHERE seq = 3"],
    ['ts', "UPDATE audit_records SET ts = '2027-01-01T00:00:00.000Z' WHERE seq = 3"],
    ['outcome', "UPDATE audit_records SET outcome = 'success' WHERE seq = 5"],
    ['action', "UPDATE audit_records SET action = 'key.create' WHERE seq = 3"],
    ['target type', "UPDATE audit_records SET target_type = 'robot' WHERE seq = 3"],
    ['the stored hash', "UPDATE audit_records SET hash = '" + '0'.repeat(64) + "' WHERE seq = 3"],
  ])('an edit of %s is caught', (_what, sql) => {
    seed(6);
    db.prepare(sql).run();
    expect(walk().ok).toBe(false);
  });

  it('a deleted record is missing, and so are several', () => {
    seed(10);
    db.prepare('DELETE FROM audit_records WHERE seq = 5').run();
    expect(walk()).toMatchObject({ ok: false, checkedRecords: 4, headSeq: 4, firstBad: { seq: 5, reason: 'record 5 is missing (deleted)' } });
    db.prepare('DELETE FROM audit_records WHERE seq IN (6, 7)').run();
    expect(walk().firstBad).toEqual({ seq: 5, reason: 'records 5 to 7 are missing (deleted)' });
  });

  it('truncation behind a checkpoint is reported where the records stop', () => {
    seed(10);
    db.prepare('DELETE FROM audit_records WHERE seq > 8').run();
    expect(walk({ checkpoints: [checkpoint(4), checkpoint(10)] })).toEqual({
      ok: false, checkedRecords: 8, checkpoints: 1, lastCheckpointSeq: 4, headSeq: 8, headHash: hashes[7],
      firstBad: { seq: 9, reason: 'the checkpoint at record 10 refers to records that were removed (records 9 to 10 are missing: the log was truncated)' },
    });
    // Walking only up to an end record is not a truncation.
    expect(walk({ checkpoints: [checkpoint(4), checkpoint(10)], endSeq: 8 })).toMatchObject({ ok: true, checkedRecords: 8 });
  });

  it('a checkpoint whose head does not match the chain', () => {
    seed(5);
    expect(walk({ checkpoints: [checkpoint(3, { head: hashes[1] })] })).toMatchObject({
      ok: false, checkpoints: 0, lastCheckpointSeq: null, headSeq: 2,
      firstBad: { seq: 3, reason: 'the checkpoint at record 3 does not match the chain (records up to 3 were changed, or the checkpoint was)' },
    });
  });

  it('a forged signature, and a checkpoint re-signed with another key that the attacker also stored beside it', () => {
    seed(5);
    const good = checkpoint(3);
    const forgedSig = { ...good, ts: '2026-02-01T00:00:59.000Z' };
    expect(walk({ checkpoints: [forgedSig] }).firstBad).toEqual({ seq: 3, reason: INVALID(3) });
    const mallory = generateKeyPairSync('ed25519');
    const resigned = checkpoint(3, { key: mallory.privateKey, pub: mallory.publicKey });
    // The key stored beside the checkpoint is never used: a re-signed history is refused.
    expect(walk({ checkpoints: [resigned] }).firstBad).toEqual({ seq: 3, reason: INVALID(3) });
    // The trusted key is used even when the stored key is garbage.
    expect(walk({ checkpoints: [{ ...good, public_key: 'AAAA' }] }).ok).toBe(true);
  });

  it('a checkpoint met without a trusted key cannot be checked, and a walk without checkpoints needs none', () => {
    seed(5);
    expect(walk({ checkpoints: [checkpoint(3)], trustedKey: null })).toMatchObject({
      ok: false, checkpoints: 0, headSeq: 2, firstBad: { seq: 3, reason: 'the checkpoint at record 3 cannot be checked: no trusted audit key' },
    });
    expect(walk({ trustedKey: null })).toMatchObject({ ok: true, checkedRecords: 5 });
  });

  it('a signature in another spelling or of another length, and a trusted key that is not Ed25519', () => {
    seed(5);
    const good = checkpoint(3);
    expect(good.signature.endsWith('==')).toBe(true);
    for (const signature of [good.signature.slice(0, -2), Buffer.from(good.signature, 'base64').toString('base64url'), Buffer.from(good.signature, 'base64').subarray(0, 63).toString('base64'),
      Buffer.concat([Buffer.from(good.signature, 'base64'), Buffer.from([0])]).toString('base64')]) {
      expect(walk({ checkpoints: [{ ...good, signature }] }).firstBad, signature).toEqual({ seq: 3, reason: INVALID(3) });
    }
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
    // What is stored beside the checkpoint does not matter, whatever it is.
    for (const public_key of [spkiB64(ec), 'AAAA', '']) expect(walk({ checkpoints: [{ ...good, public_key }] }).ok, public_key).toBe(true);
    expect(walk({ checkpoints: [good], trustedKey: ec.export({ format: 'der', type: 'spki' }) }).firstBad?.reason).toBe('the trusted audit key is not an Ed25519 key');
  });

  it('checks every checkpoint, including a second one under the same key', () => {
    seed(6);
    const bad = { ...checkpoint(5), ts: '2026-02-01T00:00:58.000Z' };
    expect(walk({ checkpoints: [checkpoint(2), checkpoint(4), bad] })).toMatchObject({ ok: false, checkpoints: 2, lastCheckpointSeq: 4, firstBad: { seq: 5 } });
  });
});
});
