// Repository for key assignments (migration 7): which communication / storage key a site or a single robot receives.
// Rows name keys by id only; whether the key can still be delivered is the service's concern (keyAssignments.ts).
import type { AssignableKeyType, KeyAssignmentScope } from '../../shared/fleetContract.ts';
import type { Db } from './database.ts';

export interface KeyAssignmentRow {
  scope: KeyAssignmentScope;
  scopeId: string;
  keyType: AssignableKeyType;
  keyId: string;
  assignedAt: string;
  assignedBy: string;
}

export interface KeyAssignmentsRepo {
  get(scope: KeyAssignmentScope, scopeId: string, keyType: AssignableKeyType): KeyAssignmentRow | null;
  /** The rows of one robot or one site, communication before storage. */
  listFor(scope: KeyAssignmentScope, scopeId: string): KeyAssignmentRow[];
  /** Every robot and site this key is assigned to: sites first, then robots, each by name. */
  listForKey(keyId: string): KeyAssignmentRow[];
  /** Inserts or replaces the row of (scope, scopeId, keyType). */
  set(row: KeyAssignmentRow): void;
  /** Removes the row; false when there was none. */
  clear(scope: KeyAssignmentScope, scopeId: string, keyType: AssignableKeyType): boolean;
  /** Keys of this type that some robot or site is assigned: dedicated, so never anyone's newest-key fallback. */
  assignedKeyIds(keyType: AssignableKeyType): Set<string>;
  siteExists(site: string): boolean;
  robotsAtSite(site: string): number;
}

interface RawAssignment {
  scope: KeyAssignmentScope;
  scope_id: string;
  key_type: AssignableKeyType;
  key_id: string;
  assigned_at: string;
  assigned_by: string;
}

const toRow = (r: RawAssignment): KeyAssignmentRow => ({
  scope: r.scope,
  scopeId: r.scope_id,
  keyType: r.key_type,
  keyId: r.key_id,
  assignedAt: r.assigned_at,
  assignedBy: r.assigned_by,
});

export function createKeyAssignmentsRepo(db: Db): KeyAssignmentsRepo {
  const getOne = db.prepare('SELECT * FROM key_assignments WHERE scope = ? AND scope_id = ? AND key_type = ?');
  const listFor = db.prepare('SELECT * FROM key_assignments WHERE scope = ? AND scope_id = ? ORDER BY key_type');
  const upsert = db.prepare(
    `INSERT INTO key_assignments (scope, scope_id, key_type, key_id, assigned_at, assigned_by) VALUES (@scope, @scopeId, @keyType, @keyId, @assignedAt, @assignedBy)
     ON CONFLICT (scope, scope_id, key_type) DO UPDATE SET key_id = excluded.key_id, assigned_at = excluded.assigned_at, assigned_by = excluded.assigned_by`,
  );
  const forKey = db.prepare("SELECT * FROM key_assignments WHERE key_id = ? ORDER BY CASE scope WHEN 'site' THEN 0 ELSE 1 END, scope_id, key_type");
  const remove = db.prepare('DELETE FROM key_assignments WHERE scope = ? AND scope_id = ? AND key_type = ?');
  const assigned = db.prepare('SELECT DISTINCT key_id FROM key_assignments WHERE key_type = ?');
  const site = db.prepare('SELECT 1 FROM fleet_sites WHERE name = ?');
  const atSite = db.prepare('SELECT COUNT(*) AS n FROM robots WHERE site = ?');

  return {
    get(scope, scopeId, keyType) {
      const r = getOne.get(scope, scopeId, keyType) as RawAssignment | undefined;
      return r ? toRow(r) : null;
    },
    listFor: (scope, scopeId) => (listFor.all(scope, scopeId) as RawAssignment[]).map(toRow),
    listForKey: (keyId) => (forKey.all(keyId) as RawAssignment[]).map(toRow),
    set: (row) => void upsert.run(row),
    clear: (scope, scopeId, keyType) => remove.run(scope, scopeId, keyType).changes === 1,
    assignedKeyIds: (keyType) => new Set((assigned.all(keyType) as Array<{ key_id: string }>).map((r) => r.key_id)),
    siteExists: (name) => site.get(name) !== undefined,
    robotsAtSite: (name) => (atSite.get(name) as { n: number }).n,
  };
}
