// Repository for incident kits (issue 15, migration 21, docs/incident-kit.md): one row per kit this console exported,
// so a kit's import is accepted once. The row's state moves exported -> imported in one conditional UPDATE inside the
// import's transaction, so two imports of the same kit cannot both merge.
import type { Db } from './database.ts';

/** DDL of migration 21. */
export const INCIDENT_KIT_SCHEMA_SQL = `
CREATE TABLE incident_kits (
  kit_id VARCHAR(36) PRIMARY KEY,
  responder VARCHAR(128) NOT NULL,
  exported_by VARCHAR(128) NOT NULL,
  exported_at VARCHAR(40) NOT NULL,
  expires_at VARCHAR(40) NOT NULL,
  orders INTEGER NOT NULL,
  robots INTEGER NOT NULL,
  state VARCHAR(8) NOT NULL CHECK (state IN ('exported', 'imported')),
  imported_at VARCHAR(40),
  imported_by VARCHAR(128),
  imported_records INTEGER
);
CREATE INDEX incident_kits_exported ON incident_kits (exported_at);
`;

export interface IncidentKitRow {
  kitId: string;
  responder: string;
  exportedBy: string;
  exportedAt: string;
  expiresAt: string;
  orders: number;
  robots: number;
  state: 'exported' | 'imported';
  importedAt: string | null;
  importedBy: string | null;
  importedRecords: number | null;
}

interface Raw {
  kit_id: string;
  responder: string;
  exported_by: string;
  exported_at: string;
  expires_at: string;
  orders: number;
  robots: number;
  state: 'exported' | 'imported';
  imported_at: string | null;
  imported_by: string | null;
  imported_records: number | null;
}

const fromRaw = (r: Raw): IncidentKitRow => ({
  kitId: r.kit_id, responder: r.responder, exportedBy: r.exported_by, exportedAt: r.exported_at, expiresAt: r.expires_at, orders: r.orders,
  robots: r.robots, state: r.state, importedAt: r.imported_at, importedBy: r.imported_by, importedRecords: r.imported_records,
});

export interface IncidentKitRepo {
  insert(row: Omit<IncidentKitRow, 'state' | 'importedAt' | 'importedBy' | 'importedRecords'>): void;
  get(kitId: string): IncidentKitRow | null;
  /** exported -> imported; false when the kit was imported already (nothing changed). */
  markImported(kitId: string, at: string, by: string, records: number): boolean;
  list(limit: number): IncidentKitRow[];
  /**
   * Each responder's kits not imported yet whose orders have not all expired at `now` (ISO), oldest first: every
   * responder's in one query (operators:list, whatever the number of operators), or the one `responder`'s. A responder
   * without an open kit is not in the map.
   */
  openByResponder(now: string, responder?: string): Map<string, IncidentKitRow[]>;
}

export function createIncidentKitRepo(db: Db): IncidentKitRepo {
  const insert = db.prepare(
    `INSERT INTO incident_kits (kit_id, responder, exported_by, exported_at, expires_at, orders, robots, state)
     VALUES (@kitId, @responder, @exportedBy, @exportedAt, @expiresAt, @orders, @robots, 'exported')`,
  );
  const getStmt = db.prepare('SELECT * FROM incident_kits WHERE kit_id = ?');
  const imported = db.prepare("UPDATE incident_kits SET state = 'imported', imported_at = ?, imported_by = ?, imported_records = ? WHERE kit_id = ? AND state = 'exported'");
  const listStmt = db.prepare('SELECT * FROM incident_kits ORDER BY exported_at DESC, kit_id LIMIT ?');
  const openStmt = db.prepare("SELECT * FROM incident_kits WHERE responder = ? AND state = 'exported' AND expires_at > ? ORDER BY exported_at, kit_id");
  const openAll = db.prepare("SELECT * FROM incident_kits WHERE state = 'exported' AND expires_at > ? ORDER BY exported_at, kit_id");
  const byResponder = (rows: Raw[]) => {
    const out = new Map<string, IncidentKitRow[]>();
    for (const r of rows) {
      const kits = out.get(r.responder);
      if (kits) kits.push(fromRaw(r));
      else out.set(r.responder, [fromRaw(r)]);
    }
    return out;
  };
  return {
    insert: (row) => void insert.run(row),
    get: (kitId) => {
      const r = getStmt.get(kitId) as Raw | undefined;
      return r ? fromRaw(r) : null;
    },
    markImported: (kitId, at, by, records) => imported.run(at, by, records, kitId).changes === 1,
    list: (limit) => (listStmt.all(limit) as Raw[]).map(fromRaw),
    openByResponder: (now, responder) => byResponder((responder === undefined ? openAll.all(now) : openStmt.all(responder, now)) as Raw[]),
  };
}
