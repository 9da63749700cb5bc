// The attacker of issue 10 item 2, written from the format in docs/audit-log.md (not from the console's code): with
// write access to console.db and no passphrase, edit one record, recompute the hash of it and every later record,
// re-sign every checkpoint with their own Ed25519 key, and flip one bit of the stored MAC of the audit public key.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import Database from 'better-sqlite3';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const json = (v: string | null) => (v === null ? 'null' : JSON.stringify(v));
/** docs/audit-log.md: "for record 1 it is SHA-256 of the ASCII text ECPS-UV-AUDIT-GENESIS-V1". */
const GENESIS = sha256('ECPS-UV-AUDIT-GENESIS-V1');

interface Row { seq: number; ts: string; actor: string; action: string; target_type: string | null; target_id: string | null; outcome: string; details: string }

/** The canonical line: fixed member order, no spaces, details as stored (keys already sorted). */
const line = (r: Row, prev: string) =>
  `{"seq":${r.seq},"ts":${json(r.ts)},"actor":${json(r.actor)},"action":${json(r.action)},"targetType":${json(r.target_type)},"targetId":${json(r.target_id)},"outcome":${json(r.outcome)},"details":${r.details},"prev":"${prev}"}`;

export interface Forgery {
  /** The record whose actor was rewritten. */
  seq: number;
  /** Checkpoints re-signed with the attacker's key. */
  resigned: number;
}

export interface ForgeOptions {
  /** The record to rewrite: its seq, or the first record with this action. */
  victim: number | { action: string };
  newActor: string;
  /** Recompute the stored hash of the victim and every later record (default true). */
  recomputeHashes?: boolean;
  /** Re-sign every checkpoint with a fresh attacker key, storing that key beside it (default true). */
  resignCheckpoints?: boolean;
}

/** Rewrites one record in an open audit database (tables as in docs/audit-log.md), in one transaction. */
export function forgeRecords(db: Database.Database, o: ForgeOptions): Forgery {
  const attacker = generateKeyPairSync('ed25519');
  const attackerSpki = attacker.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  return db.transaction(() => {
    const seq = typeof o.victim === 'number'
      ? o.victim
      : (db.prepare('SELECT seq FROM audit_records WHERE action = ? ORDER BY seq LIMIT 1').pluck().get(o.victim.action) as number | undefined);
    if (seq === undefined || db.prepare('UPDATE audit_records SET actor = ? WHERE seq = ?').run(o.newActor, seq).changes !== 1) {
      throw new Error('no such record to forge');
    }
    const hashes = new Map<number, string>();
    if (o.recomputeHashes ?? true) {
      const rows = db.prepare('SELECT seq, ts, actor, action, target_type, target_id, outcome, details FROM audit_records ORDER BY seq').all() as Row[];
      const setHash = db.prepare('UPDATE audit_records SET hash = ? WHERE seq = ?');
      let prev = GENESIS;
      for (const r of rows) {
        prev = sha256(line(r, prev));
        hashes.set(r.seq, prev);
        if (r.seq >= seq) setHash.run(prev, r.seq);
      }
    }
    let resigned = 0;
    if (o.resignCheckpoints ?? true) {
      const checkpoints = db.prepare('SELECT seq, head, ts FROM audit_checkpoints ORDER BY seq').all() as Array<{ seq: number; head: string; ts: string }>;
      const resign = db.prepare('UPDATE audit_checkpoints SET head = ?, public_key = ?, signature = ? WHERE seq = ?');
      for (const cp of checkpoints) {
        const head = hashes.get(cp.seq) ?? cp.head;
        // docs/audit-log.md: the signed message is exactly {"type":"checkpoint","seq":S,"head":"<hex>","ts":"…"}.
        const message = `{"type":"checkpoint","seq":${cp.seq},"head":"${head}","ts":${json(cp.ts)}}`;
        resign.run(head, attackerSpki, sign(null, Buffer.from(message), attacker.privateKey).toString('base64'), cp.seq);
        resigned++;
      }
    }
    return { seq, resigned };
  })();
}

/** Flips one bit of the stored MAC of the audit public key (store_meta.audit_public_mac). */
export function flipAuditKeyMacBit(db: Database.Database): void {
  const mac = Buffer.from(db.prepare('SELECT audit_public_mac FROM store_meta WHERE id = 1').pluck().get() as Buffer);
  mac[0]! ^= 0x01;
  db.prepare('UPDATE store_meta SET audit_public_mac = ? WHERE id = 1').run(mac);
}

/**
 * The whole attack on the database file `dbPath` (nothing may hold it open): the first `victimAction` record gets
 * actor `newActor`, hashes and checkpoints are made consistent under a fresh attacker key, and (unless flipMacBit is
 * false) one bit of the audit public key's MAC is flipped.
 */
export function forgeAuditHistory(dbPath: string, options: { victimAction: string; newActor: string; flipMacBit?: boolean }): Forgery {
  const db = new Database(dbPath);
  try {
    const forged = forgeRecords(db, { victim: { action: options.victimAction }, newActor: options.newActor });
    if (options.flipMacBit ?? true) flipAuditKeyMacBit(db);
    return forged;
  } finally {
    db.close();
  }
}
