// Repository of the recovery share sets (issue 14, docs/recovery-and-backup.md): per set, who holds which share, k and
// n, when and by whom it was made, and a hash commitment per share so a share typed at the ceremony can be checked.
// The shares themselves are never stored.
import type { Db } from './database.ts';

export const RECOVERY_SCHEMA_SQL = `
CREATE TABLE recovery_share_sets (
  set_id VARCHAR(32) PRIMARY KEY,
  threshold INTEGER NOT NULL,
  share_count INTEGER NOT NULL,
  created_at VARCHAR(40) NOT NULL,
  created_by VARCHAR(64) NOT NULL
);
CREATE TABLE recovery_shares (
  set_id VARCHAR(32) NOT NULL REFERENCES recovery_share_sets (set_id),
  share_index INTEGER NOT NULL,
  custodian VARCHAR(64) NOT NULL,
  commitment VARCHAR(64) NOT NULL,
  PRIMARY KEY (set_id, share_index)
);
`;

export interface ShareSetRow {
  setId: string;
  threshold: number;
  count: number;
  createdAt: string;
  createdBy: string;
  shares: Array<{ index: number; custodian: string; commitment: string }>;
}

export interface RecoveryRepo {
  insert(set: ShareSetRow): void;
  get(setId: string): ShareSetRow | null;
  /** Every set, the newest first. */
  list(): ShareSetRow[];
  /** Removes a set and its shares' commitments (a set whose shares were never handed out); false when unknown. */
  remove(setId: string): boolean;
}

interface RawSet {
  set_id: string;
  threshold: number;
  share_count: number;
  created_at: string;
  created_by: string;
}

export function createRecoveryRepo(db: Db): RecoveryRepo {
  const insertSet = db.prepare('INSERT INTO recovery_share_sets (set_id, threshold, share_count, created_at, created_by) VALUES (?, ?, ?, ?, ?)');
  const insertShare = db.prepare('INSERT INTO recovery_shares (set_id, share_index, custodian, commitment) VALUES (?, ?, ?, ?)');
  const selectSet = db.prepare('SELECT * FROM recovery_share_sets WHERE set_id = ?');
  const selectSets = db.prepare('SELECT * FROM recovery_share_sets ORDER BY created_at DESC, set_id');
  const selectShares = db.prepare('SELECT share_index, custodian, commitment FROM recovery_shares WHERE set_id = ? ORDER BY share_index');
  const deleteShares = db.prepare('DELETE FROM recovery_shares WHERE set_id = ?');
  const deleteSet = db.prepare('DELETE FROM recovery_share_sets WHERE set_id = ?');
  const toRow = (r: RawSet): ShareSetRow => ({
    setId: r.set_id,
    threshold: r.threshold,
    count: r.share_count,
    createdAt: r.created_at,
    createdBy: r.created_by,
    shares: (selectShares.all(r.set_id) as Array<{ share_index: number; custodian: string; commitment: string }>).map((s) => ({
      index: s.share_index,
      custodian: s.custodian,
      commitment: s.commitment,
    })),
  });
  return {
    insert(set) {
      insertSet.run(set.setId, set.threshold, set.count, set.createdAt, set.createdBy);
      for (const s of set.shares) insertShare.run(set.setId, s.index, s.custodian, s.commitment);
    },
    get(setId) {
      const r = selectSet.get(setId) as RawSet | undefined;
      return r ? toRow(r) : null;
    },
    list: () => (selectSets.all() as RawSet[]).map(toRow),
    remove(setId) {
      deleteShares.run(setId);
      return deleteSet.run(setId).changes > 0;
    },
  };
}
