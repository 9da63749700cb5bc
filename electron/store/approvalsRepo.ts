// Repository of two-person control (issue 14, docs/two-person-control.md): approval policies per action, requests
// (the exact channel, the hash of its input and the input itself sealed under the master key), one approval row per
// approving operator (the primary key makes an operator's approval count once), each operator's enrolled
// approval public key (for signed approval files), and the keys revoked (removed by an admin or replaced by their
// operator: migration 40), kept so that a file they signed is refused and they are never enrolled again.
import type { OperatorRole } from '../../shared/operatorsContract.ts';
import type { RequestAction, RequestState } from '../../shared/approvalsContract.ts';
import type { Db } from './database.ts';

export const APPROVALS_SCHEMA_SQL = `
CREATE TABLE approval_policies (
  action VARCHAR(32) PRIMARY KEY,
  approvals INTEGER NOT NULL,
  roles VARCHAR(200) NOT NULL,
  operators VARCHAR(4000) NOT NULL,
  ttl_seconds INTEGER NOT NULL,
  updated_at VARCHAR(40) NOT NULL,
  updated_by VARCHAR(64) NOT NULL
);
CREATE TABLE approval_requests (
  id VARCHAR(36) PRIMARY KEY,
  action VARCHAR(32) NOT NULL,
  channel VARCHAR(64) NOT NULL,
  input_hash VARCHAR(64) NOT NULL,
  input_sealed BLOB NOT NULL,
  summary VARCHAR(4000) NOT NULL,
  requester VARCHAR(64) NOT NULL,
  created_at VARCHAR(40) NOT NULL,
  expires_at VARCHAR(40) NOT NULL,
  state VARCHAR(10) NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'executed', 'expired')),
  required INTEGER NOT NULL,
  decided_by VARCHAR(64),
  reason VARCHAR(500),
  executed_at VARCHAR(40),
  executed_by VARCHAR(64)
);
CREATE INDEX approval_requests_state ON approval_requests (state, expires_at);
CREATE TABLE approval_votes (
  request_id VARCHAR(36) NOT NULL REFERENCES approval_requests (id),
  approver VARCHAR(64) NOT NULL,
  approved_at VARCHAR(40) NOT NULL,
  via VARCHAR(8) NOT NULL CHECK (via IN ('session', 'file')),
  signature BLOB,
  PRIMARY KEY (request_id, approver)
);
CREATE TABLE approval_keys (
  operator VARCHAR(64) PRIMARY KEY,
  public_spki BLOB NOT NULL,
  fingerprint VARCHAR(64) NOT NULL,
  enrolled_at VARCHAR(40) NOT NULL
);
`;

/**
 * Migration 40. A revoked key keeps its public key (to recognise a file it signed and say so) and why: `removed` by
 * an admin (with the reason given) or `replaced` by its operator enrolling another. The fingerprint is the primary
 * key: a revoked key cannot be enrolled again, so it is revoked once.
 */
export const APPROVAL_KEYS_REVOKED_SQL = `
CREATE TABLE approval_keys_revoked (
  fingerprint VARCHAR(64) PRIMARY KEY,
  operator VARCHAR(64) NOT NULL,
  public_spki BLOB NOT NULL,
  enrolled_at VARCHAR(40) NOT NULL,
  revoked_at VARCHAR(40) NOT NULL,
  revoked_by VARCHAR(64) NOT NULL,
  why VARCHAR(8) NOT NULL CHECK (why IN ('removed', 'replaced')),
  reason VARCHAR(500)
);
CREATE INDEX approval_keys_revoked_operator ON approval_keys_revoked (operator);
`;

export interface PolicyRow {
  action: string;
  approvals: number;
  roles: OperatorRole[];
  operators: string[];
  ttlSeconds: number;
  updatedAt: string;
  updatedBy: string;
}

export interface RequestRow {
  id: string;
  action: RequestAction;
  channel: string;
  inputHash: string;
  inputSealed: Buffer;
  summary: Record<string, string>;
  requester: string;
  createdAt: string;
  expiresAt: string;
  state: RequestState;
  required: number;
  decidedBy: string | null;
  reason: string | null;
  executedAt: string | null;
  executedBy: string | null;
}

export interface VoteRow {
  approver: string;
  approvedAt: string;
  via: 'session' | 'file';
}

export interface ApprovalKeyRow {
  operator: string;
  publicSpki: Buffer;
  fingerprint: string;
  enrolledAt: string;
}

export interface RevokedApprovalKeyRow extends ApprovalKeyRow {
  revokedAt: string;
  revokedBy: string;
  why: 'removed' | 'replaced';
  reason: string | null;
}

/**
 * An operator's approval key state for the Operators screen: the key enrolled now under their name and the most
 * recent key revoked under it (newest revocation; at the same instant, the later enrolment), each or both absent.
 */
export interface ApprovalKeyState {
  operator: string;
  current: { fingerprint: string; enrolledAt: string } | null;
  lastRevoked: Pick<RevokedApprovalKeyRow, 'fingerprint' | 'enrolledAt' | 'revokedAt' | 'revokedBy' | 'why' | 'reason'> | null;
}

export interface ApprovalsRepo {
  policy(action: string): PolicyRow | null;
  savePolicy(row: PolicyRow): void;
  insertRequest(row: RequestRow): void;
  request(id: string): RequestRow | null;
  /** Newest first; `open`: pending and approved only. */
  requests(open: boolean, limit: number): RequestRow[];
  /** Pending or approved requests whose expiry is at or before `nowIso`. */
  dueToExpire(nowIso: string): RequestRow[];
  setState(id: string, state: RequestState, fields?: { decidedBy?: string; reason?: string; executedAt?: string; executedBy?: string }): void;
  votes(id: string): VoteRow[];
  /** False when this approver already approved (the primary key). */
  addVote(id: string, vote: VoteRow, signature: Buffer | null): boolean;
  approvalKey(operator: string): ApprovalKeyRow | null;
  /** Who enrolled the key with this fingerprint, if anyone. */
  approvalKeyOwner(fingerprint: string): string | null;
  saveApprovalKey(row: ApprovalKeyRow): void;
  /** Moves the operator's enrolled key to the revoked keys (it is no longer enrolled); false when none is enrolled. */
  revokeApprovalKey(operator: string, revocation: Pick<RevokedApprovalKeyRow, 'revokedAt' | 'revokedBy' | 'why' | 'reason'>): boolean;
  /** The revoked key with this fingerprint, if any. */
  revokedApprovalKey(fingerprint: string): RevokedApprovalKeyRow | null;
  /** Every key revoked that was enrolled under this operator name, oldest revocation first. */
  revokedApprovalKeys(operator: string): RevokedApprovalKeyRow[];
  /**
   * Revoked keys of every operator, newest revocation first, then by fingerprint (a total order: the fingerprint is
   * the primary key): at most `limit` after the key `after` names (approvals:listRevokedKeys' keyset pages).
   */
  revokedApprovalKeysPage(after: { revokedAt: string; fingerprint: string } | null, limit: number): RevokedApprovalKeyRow[];
  /**
   * Enrolled (not revoked) keys, newest enrolment first, then by operator (a total order: the operator is the primary
   * key): at most `limit` after the key `after` names (approvals:listKeys' keyset pages).
   */
  approvalKeysPage(after: { enrolledAt: string; operator: string } | null, limit: number): ApprovalKeyRow[];
  /**
   * Every operator's (or only `operator`'s) key enrolled now and most recent revoked key, in one query whatever the
   * number of operators (operators:list). Names of operators no longer in the operators table are not answered.
   */
  approvalKeyStates(operator?: string): Map<string, ApprovalKeyState>;
}

interface RawKeyState {
  operator: string;
  key_fingerprint: string | null;
  key_enrolled_at: string | null;
  revoked_fingerprint: string | null;
  revoked_enrolled_at: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
  why: 'removed' | 'replaced' | null;
  reason: string | null;
}

/**
 * The key states of the operators `where` selects (a condition on o.name and, alike, on the revoked keys' operator
 * column, so the ranking only reads the rows it needs). Portable SQL: ROW_NUMBER() picks each operator's newest
 * revocation (SQLite 3.25+, PostgreSQL); the fingerprint breaks a tie of both times (a total order).
 */
const keyStatesSql = (whereOperator: string, whereRevoked: string) => `
SELECT o.name AS operator, k.fingerprint AS key_fingerprint, k.enrolled_at AS key_enrolled_at,
       r.fingerprint AS revoked_fingerprint, r.enrolled_at AS revoked_enrolled_at, r.revoked_at, r.revoked_by, r.why, r.reason
FROM operators o
LEFT JOIN approval_keys k ON k.operator = o.name
LEFT JOIN (
  SELECT operator, fingerprint, enrolled_at, revoked_at, revoked_by, why, reason,
         ROW_NUMBER() OVER (PARTITION BY operator ORDER BY revoked_at DESC, enrolled_at DESC, fingerprint DESC) AS newest
  FROM approval_keys_revoked
  WHERE ${whereRevoked}
) r ON r.operator = o.name AND r.newest = 1
WHERE ${whereOperator}`;

const toKeyState = (r: RawKeyState): ApprovalKeyState => ({
  operator: r.operator,
  current: r.key_fingerprint !== null && r.key_enrolled_at !== null ? { fingerprint: r.key_fingerprint, enrolledAt: r.key_enrolled_at } : null,
  lastRevoked:
    r.revoked_fingerprint !== null && r.revoked_enrolled_at !== null && r.revoked_at !== null && r.revoked_by !== null && r.why !== null
      ? { fingerprint: r.revoked_fingerprint, enrolledAt: r.revoked_enrolled_at, revokedAt: r.revoked_at, revokedBy: r.revoked_by, why: r.why, reason: r.reason }
      : null,
});

interface RawRevokedKey {
  operator: string;
  public_spki: Buffer;
  fingerprint: string;
  enrolled_at: string;
  revoked_at: string;
  revoked_by: string;
  why: 'removed' | 'replaced';
  reason: string | null;
}

const toRevokedKey = (r: RawRevokedKey): RevokedApprovalKeyRow => ({
  operator: r.operator,
  publicSpki: r.public_spki,
  fingerprint: r.fingerprint,
  enrolledAt: r.enrolled_at,
  revokedAt: r.revoked_at,
  revokedBy: r.revoked_by,
  why: r.why,
  reason: r.reason,
});

interface RawRequest {
  id: string;
  action: RequestAction;
  channel: string;
  input_hash: string;
  input_sealed: Buffer;
  summary: string;
  requester: string;
  created_at: string;
  expires_at: string;
  state: RequestState;
  required: number;
  decided_by: string | null;
  reason: string | null;
  executed_at: string | null;
  executed_by: string | null;
}

const toRequest = (r: RawRequest): RequestRow => ({
  id: r.id,
  action: r.action,
  channel: r.channel,
  inputHash: r.input_hash,
  inputSealed: r.input_sealed,
  summary: JSON.parse(r.summary) as Record<string, string>,
  requester: r.requester,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  state: r.state,
  required: r.required,
  decidedBy: r.decided_by,
  reason: r.reason,
  executedAt: r.executed_at,
  executedBy: r.executed_by,
});

export function createApprovalsRepo(db: Db): ApprovalsRepo {
  const selectPolicy = db.prepare('SELECT * FROM approval_policies WHERE action = ?');
  const deletePolicy = db.prepare('DELETE FROM approval_policies WHERE action = ?');
  const insertPolicy = db.prepare(
    'INSERT INTO approval_policies (action, approvals, roles, operators, ttl_seconds, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const insertRequest = db.prepare(
    `INSERT INTO approval_requests (id, action, channel, input_hash, input_sealed, summary, requester, created_at, expires_at, state, required)
     VALUES (@id, @action, @channel, @inputHash, @inputSealed, @summary, @requester, @createdAt, @expiresAt, @state, @required)`,
  );
  const selectRequest = db.prepare('SELECT * FROM approval_requests WHERE id = ?');
  const selectAll = db.prepare('SELECT * FROM approval_requests ORDER BY created_at DESC, id DESC LIMIT ?');
  const selectOpen = db.prepare("SELECT * FROM approval_requests WHERE state IN ('pending', 'approved') ORDER BY created_at DESC, id DESC LIMIT ?");
  const selectDue = db.prepare("SELECT * FROM approval_requests WHERE state IN ('pending', 'approved') AND expires_at <= ?");
  const updateState = db.prepare(
    'UPDATE approval_requests SET state = ?, decided_by = COALESCE(?, decided_by), reason = COALESCE(?, reason), executed_at = COALESCE(?, executed_at), executed_by = COALESCE(?, executed_by) WHERE id = ?',
  );
  const selectVotes = db.prepare('SELECT approver, approved_at, via FROM approval_votes WHERE request_id = ? ORDER BY approved_at, approver');
  const selectVote = db.prepare('SELECT 1 FROM approval_votes WHERE request_id = ? AND approver = ?');
  const insertVote = db.prepare('INSERT INTO approval_votes (request_id, approver, approved_at, via, signature) VALUES (?, ?, ?, ?, ?)');
  const selectKey = db.prepare('SELECT * FROM approval_keys WHERE operator = ?');
  const selectKeyOwner = db.prepare('SELECT operator FROM approval_keys WHERE fingerprint = ?');
  const deleteKey = db.prepare('DELETE FROM approval_keys WHERE operator = ?');
  const insertKey = db.prepare('INSERT INTO approval_keys (operator, public_spki, fingerprint, enrolled_at) VALUES (?, ?, ?, ?)');
  const insertRevoked = db.prepare(
    `INSERT INTO approval_keys_revoked (fingerprint, operator, public_spki, enrolled_at, revoked_at, revoked_by, why, reason)
     SELECT fingerprint, operator, public_spki, enrolled_at, ?, ?, ?, ? FROM approval_keys WHERE operator = ?`,
  );
  const selectRevoked = db.prepare('SELECT * FROM approval_keys_revoked WHERE fingerprint = ?');
  const selectRevokedOf = db.prepare('SELECT * FROM approval_keys_revoked WHERE operator = ? ORDER BY revoked_at, fingerprint');
  // Keyset pages: the row after the cursor's in (time DESC, name ASC) order. Portable SQL (no row values).
  const selectRevokedFirst = db.prepare('SELECT * FROM approval_keys_revoked ORDER BY revoked_at DESC, fingerprint LIMIT ?');
  const selectRevokedAfter = db.prepare(
    'SELECT * FROM approval_keys_revoked WHERE revoked_at < ? OR (revoked_at = ? AND fingerprint > ?) ORDER BY revoked_at DESC, fingerprint LIMIT ?',
  );
  const selectKeysFirst = db.prepare('SELECT operator, public_spki, fingerprint, enrolled_at FROM approval_keys ORDER BY enrolled_at DESC, operator LIMIT ?');
  const selectKeysAfter = db.prepare(
    'SELECT operator, public_spki, fingerprint, enrolled_at FROM approval_keys WHERE enrolled_at < ? OR (enrolled_at = ? AND operator > ?) ORDER BY enrolled_at DESC, operator LIMIT ?',
  );
  const selectKeyStates = db.prepare(keyStatesSql('1 = 1', 'operator IN (SELECT name FROM operators)'));
  const selectKeyStateOf = db.prepare(keyStatesSql('o.name = ?', 'operator = ?'));

  return {
    policy(action) {
      const r = selectPolicy.get(action) as
        | { action: string; approvals: number; roles: string; operators: string; ttl_seconds: number; updated_at: string; updated_by: string }
        | undefined;
      if (!r) return null;
      return {
        action: r.action,
        approvals: r.approvals,
        roles: JSON.parse(r.roles) as OperatorRole[],
        operators: JSON.parse(r.operators) as string[],
        ttlSeconds: r.ttl_seconds,
        updatedAt: r.updated_at,
        updatedBy: r.updated_by,
      };
    },
    savePolicy(p) {
      deletePolicy.run(p.action);
      insertPolicy.run(p.action, p.approvals, JSON.stringify(p.roles), JSON.stringify(p.operators), p.ttlSeconds, p.updatedAt, p.updatedBy);
    },
    insertRequest(r) {
      insertRequest.run({ ...r, summary: JSON.stringify(r.summary) });
    },
    request(id) {
      const r = selectRequest.get(id) as RawRequest | undefined;
      return r ? toRequest(r) : null;
    },
    requests: (open, limit) => ((open ? selectOpen : selectAll).all(limit) as RawRequest[]).map(toRequest),
    dueToExpire: (nowIso) => (selectDue.all(nowIso) as RawRequest[]).map(toRequest),
    setState(id, state, f = {}) {
      updateState.run(state, f.decidedBy ?? null, f.reason ?? null, f.executedAt ?? null, f.executedBy ?? null, id);
    },
    votes: (id) =>
      (selectVotes.all(id) as Array<{ approver: string; approved_at: string; via: 'session' | 'file' }>).map((v) => ({ approver: v.approver, approvedAt: v.approved_at, via: v.via })),
    addVote(id, vote, signature) {
      if (selectVote.get(id, vote.approver)) return false;
      insertVote.run(id, vote.approver, vote.approvedAt, vote.via, signature);
      return true;
    },
    approvalKey(operator) {
      const r = selectKey.get(operator) as { operator: string; public_spki: Buffer; fingerprint: string; enrolled_at: string } | undefined;
      return r ? { operator: r.operator, publicSpki: r.public_spki, fingerprint: r.fingerprint, enrolledAt: r.enrolled_at } : null;
    },
    approvalKeyOwner: (fingerprint) => (selectKeyOwner.pluck().get(fingerprint) as string | undefined) ?? null,
    saveApprovalKey(k) {
      deleteKey.run(k.operator);
      insertKey.run(k.operator, k.publicSpki, k.fingerprint, k.enrolledAt);
    },
    revokeApprovalKey(operator, v) {
      if (insertRevoked.run(v.revokedAt, v.revokedBy, v.why, v.reason, operator).changes === 0) return false;
      deleteKey.run(operator);
      return true;
    },
    revokedApprovalKey(fingerprint) {
      const r = selectRevoked.get(fingerprint) as RawRevokedKey | undefined;
      return r ? toRevokedKey(r) : null;
    },
    revokedApprovalKeys: (operator) => (selectRevokedOf.all(operator) as RawRevokedKey[]).map(toRevokedKey),
    revokedApprovalKeysPage: (after, limit) =>
      ((after === null ? selectRevokedFirst.all(limit) : selectRevokedAfter.all(after.revokedAt, after.revokedAt, after.fingerprint, limit)) as RawRevokedKey[]).map(toRevokedKey),
    approvalKeysPage: (after, limit) =>
      ((after === null ? selectKeysFirst.all(limit) : selectKeysAfter.all(after.enrolledAt, after.enrolledAt, after.operator, limit)) as Array<{
        operator: string;
        public_spki: Buffer;
        fingerprint: string;
        enrolled_at: string;
      }>).map((r) => ({
        operator: r.operator,
        publicSpki: r.public_spki,
        fingerprint: r.fingerprint,
        enrolledAt: r.enrolled_at,
      })),
    approvalKeyStates(operator) {
      const rows = (operator === undefined ? selectKeyStates.all() : selectKeyStateOf.all(operator, operator)) as RawKeyState[];
      return new Map(rows.map((r) => [r.operator, toKeyState(r)]));
    },
  };
}
