// operators:list over several operators in different states at once (docs/operators.md "Operators and roles"), on a
// real store: each row's second factor, recovery codes left, last sign-in, open incident kits and approval key, from a
// table written here. The rules the table follows (docs/operators.md, docs/incident-kit.md, docs/two-person-control.md):
// - secondFactor: 'pkcs11' when a token is enrolled (even with an authenticator app too), 'totp' once an app is
//   confirmed, 'none' before (an enrolment started, not confirmed, counts for nothing);
// - recoveryCodesLeft: the codes of the set not used yet (0 when all used or none handed);
// - lastSignInAt: the newest successful unlock (or, for the first admin, the first run); failures, other actions and
//   other actors (a longer name that starts with hers) do not count;
// - openKits: the responder's kits not imported whose orders expire after now, oldest export first (a kit expiring at
//   this very instant is closed); no field at all without one;
// - approvalKey: the key enrolled now (at or after the operator's row), else approvalKeyRevoked: the last one revoked.
// The last tests count the SQL statements one operators:list runs: the same for 3 operators and for 8 (a constant
// number of queries, not one or more per operator), and check that its queries describe one moment of the store.
import crypto from 'node:crypto';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { createApprovalsRepo } from '../../electron/store/approvalsRepo.ts';
import { createIncidentKitRepo } from '../../electron/store/incidentKitRepo.ts';
import { silentLogger } from '../../electron/logger.ts';
import { createAuditLog } from '../../electron/services/audit/createAuditLog.ts';
import { createOperatorHandlers } from '../../electron/services/operators/operators.ts';
import { createSession } from '../../electron/services/session/session.ts';
import { openStoreDatabase } from '../../electron/store/database.ts';
import { createOperatorsRepo, type OperatorsRepo } from '../../electron/store/operatorsRepo.ts';
import { createStoreMetaRepo } from '../../electron/store/storeMetaRepo.ts';
import type { OperatorInfo } from '../../shared/operatorsContract.ts';
import { contractCaller } from '../integration/support/consoleCalls.ts';
import { CTX, FAST_KDF, open, PASSPHRASE, removeTempDirs, tempDir, withRawDb } from './store-testkit.ts';
import { statementsRunBy } from '../integration/support/statementCount.ts';

const T0 = Date.parse('2026-07-01T09:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const pass = (name: string) => (name === 'alice' ? PASSPHRASE : `${name} has a long passphrase`);
const OPTIONS = { rotation: { scheduler: false }, idleLock: { intervalMs: null } } as const;

/** The operators added after alice (minute 1, 2, ...), each with a role that needs no second approver to add. */
const ADDED = [
  { name: 'tom', role: 'station_operator' },
  { name: 'pat', role: 'viewer' },
  { name: 'una', role: 'viewer' },
  { name: 'val', role: 'viewer' },
  { name: 'kim', role: 'security_officer' },
  { name: 'ned', role: 'viewer' },
  { name: 'ora', role: 'station_operator' },
] as const;

/** A P-256 public key (SPKI DER) and its SHA-256 fingerprint, as approvals:enrolKey stores it. */
const spkiKey = () => {
  const der = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });
  return { publicSpki: der, fingerprint: crypto.createHash('sha256').update(der).digest('hex') };
};
const KEYS = { tom: spkiKey(), pat: spkiKey(), valOld: spkiKey(), ora: spkiKey(), oraNew: spkiKey() };

const token = (name: string) => ({
  modulePath: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: `${name}-token`, keyLabel: `ecps-operator-${name}`,
  publicKeyPem: crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' }).toString(), enabledAt: at(20),
});
const codes = (n: number) => Array.from({ length: n }, (_, i) => ({ position: i + 1, kdf: FAST_KDF, salt: crypto.randomBytes(16), hash: crypto.randomBytes(32) }));

/** The listed time: minute 40 (after every seed below). */
const NOW = 40;

/** Rows written into the store by its own repositories, the console closed. */
function seed(db: Database.Database) {
  const ops = createOperatorsRepo(db);
  const kits = createIncidentKitRepo(db);
  const approvals = createApprovalsRepo(db);
  // Second factors: tom an app, pat a token and an app, una an app started but never confirmed, ora a token.
  ops.setTotpPending('tom', crypto.randomBytes(40));
  ops.activateTotp('tom', 1, at(20));
  ops.setTotpPending('pat', crypto.randomBytes(40));
  ops.activateTotp('pat', 1, at(20));
  ops.setToken('pat', token('pat'));
  ops.setTotpPending('una', crypto.randomBytes(40));
  ops.setToken('ora', token('ora'));
  // Recovery codes: tom 10 handed, 3 used; pat 2 handed, both used; ora 5, none used.
  ops.replaceRecoveryCodes('tom', codes(10), at(20));
  for (const position of [2, 5, 9]) expect(ops.useRecoveryCode('tom', position, at(21))).toBe(true);
  ops.replaceRecoveryCodes('pat', codes(2), at(20));
  for (const position of [1, 2]) expect(ops.useRecoveryCode('pat', position, at(21))).toBe(true);
  ops.replaceRecoveryCodes('ora', codes(5), at(20));
  // Incident kits (exported -> imported; open while an order has not expired).
  const kit = (kitId: string, responder: string, exportedAt: string, expiresAt: string) =>
    kits.insert({ kitId, responder, exportedBy: 'alice', exportedAt, expiresAt, orders: 1, robots: 2 });
  kit('kit-tom', 'tom', at(22), at(100));
  kit('kit-pat', 'pat', at(22), at(100));
  expect(kits.markImported('kit-pat', at(30), 'alice', 4)).toBe(true);
  kit('kit-una', 'una', at(22), at(NOW));
  kit('kit-kim-2', 'kim', at(25), at(90));
  kit('kit-kim-1', 'kim', at(23), at(200));
  kit('kit-kim-old', 'kim', at(1), at(30));
  kit('kit-gone', 'zed', at(22), at(100));
  // Approval keys: tom's enrolled; pat's revoked by alice; val's left by a namesake before her row (hers: none);
  // ora's first one replaced, then the new one enrolled.
  approvals.saveApprovalKey({ operator: 'tom', ...KEYS.tom, enrolledAt: at(24) });
  approvals.saveApprovalKey({ operator: 'pat', ...KEYS.pat, enrolledAt: at(24) });
  expect(approvals.revokeApprovalKey('pat', { revokedAt: at(26), revokedBy: 'alice', why: 'removed', reason: 'token lost' })).toBe(true);
  approvals.saveApprovalKey({ operator: 'val', ...KEYS.valOld, enrolledAt: at(0) });
  approvals.saveApprovalKey({ operator: 'ora', ...KEYS.ora, enrolledAt: at(24) });
  expect(approvals.revokeApprovalKey('ora', { revokedAt: at(27), revokedBy: 'ora', why: 'replaced', reason: null })).toBe(true);
  approvals.saveApprovalKey({ operator: 'ora', ...KEYS.oraNew, enrolledAt: at(27) });
}

type Columns = Pick<OperatorInfo, 'secondFactor' | 'recoveryCodesLeft' | 'lastSignInAt' | 'approvalKey' | 'approvalKeyRevoked' | 'openKits' | 'failedAttempts'>;
const none = { approvalKey: null, approvalKeyRevoked: null };

/** The expected rows, by name (alice's last sign-in is her unlock at minute NOW, after the store was reopened). */
const EXPECTED: Record<string, Columns> = {
  alice: { secondFactor: 'none', recoveryCodesLeft: 0, lastSignInAt: at(NOW), failedAttempts: 0, ...none },
  kim: {
    secondFactor: 'none', recoveryCodesLeft: 0, lastSignInAt: null, failedAttempts: 0, ...none,
    openKits: [
      { kitId: 'kit-kim-1', exportedAt: at(23), expiresAt: at(200) },
      { kitId: 'kit-kim-2', exportedAt: at(25), expiresAt: at(90) },
    ],
  },
  ned: { secondFactor: 'none', recoveryCodesLeft: 0, lastSignInAt: at(12), failedAttempts: 1, ...none },
  ora: {
    secondFactor: 'pkcs11', recoveryCodesLeft: 5, lastSignInAt: null, failedAttempts: 0,
    approvalKey: { fingerprint: KEYS.oraNew.fingerprint, enrolledAt: at(27) }, approvalKeyRevoked: null,
  },
  pat: {
    secondFactor: 'pkcs11', recoveryCodesLeft: 0, lastSignInAt: null, failedAttempts: 0,
    approvalKey: null, approvalKeyRevoked: { fingerprint: KEYS.pat.fingerprint, revokedAt: at(26), revokedBy: 'alice', reason: 'token lost' },
  },
  tom: {
    secondFactor: 'totp', recoveryCodesLeft: 7, lastSignInAt: at(11), failedAttempts: 0,
    approvalKey: { fingerprint: KEYS.tom.fingerprint, enrolledAt: at(24) }, approvalKeyRevoked: null,
    openKits: [{ kitId: 'kit-tom', exportedAt: at(22), expiresAt: at(100) }],
  },
  una: { secondFactor: 'none', recoveryCodesLeft: 0, lastSignInAt: at(13), failedAttempts: 0, ...none },
  val: { secondFactor: 'none', recoveryCodesLeft: 0, lastSignInAt: null, failedAttempts: 0, ...none },
};

/**
 * The store of the table: alice (first run at minute 0) adds the others (minute 1, 2, ...), some sign in, the console
 * closes, `seed` writes the rest, and alice signs in again at minute NOW. `atThree` runs when tom and pat are added.
 */
async function setUp(atThree?: (list: () => Promise<unknown>) => Promise<void>) {
  const clock = manualClock(T0);
  const dir = tempDir('ecps-operators-list-');
  let c: FleetConsole = await open(dir, { clock, ...OPTIONS });
  consoles.push(c);
  const call = contractCaller(() => c);
  const signIn = async (operator: string, passphrase = pass(operator)) => {
    await call('session:lock', {});
    return c.handlers['session:unlock']({ operator, passphrase }, CTX);
  };
  await call('session:init', { operator: 'alice', passphrase: PASSPHRASE });
  for (const [i, o] of ADDED.entries()) {
    clock.set(Date.parse(at(i + 1)));
    await call('operators:add', { name: o.name, role: o.role, passphrase: pass(o.name) });
    if (i === 1) await atThree?.(() => call('operators:list', {}));
  }
  // Sign-ins: tom at 10 and 11, ned at 12 then a wrong passphrase at 14 (a failure: not a sign-in), una at 13.
  for (const [who, minute] of [['tom', 10], ['tom', 11], ['ned', 12], ['una', 13]] as const) {
    clock.set(Date.parse(at(minute)));
    await signIn(who);
  }
  clock.set(Date.parse(at(14)));
  await expect(signIn('ned', 'not ned passphrase at all')).rejects.toMatchObject({ code: 'wrong_passphrase' });
  // Records that are not sign-ins, later than any: val's other action, a failed unlock and a failed first run under her
  // name, and another actor's unlock of a store (her lastSignInAt stays null).
  clock.set(Date.parse(at(15)));
  for (const [action, outcome] of [['key.create', 'success'], ['session.unlock', 'failure'], ['store.init', 'failure']] as const) {
    c.audit.append({ actor: 'val', action, targetType: 'store', targetId: null, outcome });
  }
  c.audit.append({ actor: 'valerie', action: 'session.unlock', targetType: 'store', targetId: null, outcome: 'success' });
  c.close();
  withRawDb(dir, seed);
  clock.set(Date.parse(at(NOW)));
  c = await open(dir, { clock, ...OPTIONS });
  consoles.push(c);
  await call('session:unlock', { operator: 'alice', passphrase: PASSPHRASE });
  return { call };
}

const consoles: FleetConsole[] = [];
afterEach(() => {
  for (const c of consoles.splice(0)) c.close();
  removeTempDirs();
});

describe('operators:list: every column over operators in different states', () => {
  it('answers each operator\'s row as the table says, by name, with the fields every row has', async () => {
    const { call } = await setUp();
    const { operators } = await call('operators:list', {});
    expect(operators.map((o) => o.name)).toEqual(['alice', 'kim', 'ned', 'ora', 'pat', 'tom', 'una', 'val']);
    const columns = Object.fromEntries(
      operators.map((o) => [
        o.name,
        {
          secondFactor: o.secondFactor, recoveryCodesLeft: o.recoveryCodesLeft, lastSignInAt: o.lastSignInAt, failedAttempts: o.failedAttempts,
          approvalKey: o.approvalKey, approvalKeyRevoked: o.approvalKeyRevoked, ...('openKits' in o ? { openKits: o.openKits } : {}),
        },
      ]),
    );
    expect(columns).toEqual(EXPECTED);
    const roles = Object.fromEntries(operators.map((o) => [o.name, [o.role, o.createdAt, o.createdBy, o.passphraseChangedAt, o.retryAfterMs]]));
    expect(roles).toEqual({
      alice: ['admin', at(0), 'alice', null, 0],
      ...Object.fromEntries(ADDED.map((o, i) => [o.name, [o.role, at(i + 1), 'alice', null, 0]])),
    });
  });

  it('operators:setRole answers the same columns for the one operator it changed', async () => {
    const { call } = await setUp();
    for (const [name, role] of [['tom', 'viewer'], ['pat', 'station_operator'], ['kim', 'security_officer'], ['ora', 'viewer'], ['ned', 'station_operator'], ['una', 'station_operator']] as const) {
      const { openKits, failedAttempts: _, ...columns } = EXPECTED[name]!;
      const answer = await call('operators:setRole', { name, role });
      expect(answer, name).toMatchObject({ name, role, ...columns });
      if (openKits) expect(answer.openKits, name).toEqual(openKits);
      else expect(Object.keys(answer), name).not.toContain('openKits');
    }
  });

  it('runs as many SQL statements for 8 operators as for 3 (none per operator)', async () => {
    let withThree = 0;
    const { call } = await setUp(async (list) => {
      withThree = await statementsRunBy(list);
    });
    expect(withThree).toBeGreaterThan(0);
    expect(await statementsRunBy(() => call('operators:list', {}))).toBe(withThree);
  });
});

describe('operators:list: the last sign-in is the newer of the last unlock and the first run', () => {
  it('shows the first run when the clock was set back before the next unlock; an unlock after it once it is newer', async () => {
    // docs/operators.md: "the newest successful unlock (or, for the first admin, the first run)". The system clock
    // moved back an hour after the first run: the later record carries the earlier time, and the newer time is shown.
    const clock = manualClock(Date.parse(at(60)));
    const c = await open(tempDir('ecps-operators-signin-'), { clock, ...OPTIONS });
    consoles.push(c);
    const call = contractCaller(() => c);
    await call('session:init', { operator: 'alice', passphrase: PASSPHRASE });
    const signIn = async () => {
      if ((await call('session:status', {})).state === 'unlocked') await call('session:lock', {});
      await call('session:unlock', { operator: 'alice', passphrase: PASSPHRASE });
    };
    const alice = async () => (await call('operators:list', {})).operators.find((o) => o.name === 'alice')!.lastSignInAt;
    expect(await alice()).toBe(at(60));
    clock.set(Date.parse(at(0)));
    await signIn();
    expect(await alice()).toBe(at(60));
    clock.set(Date.parse(at(61)));
    await signIn();
    expect(await alice()).toBe(at(61));
  });
});

describe('operators:list describes one moment of the store', () => {
  it('a change committed by another connection between two of its queries shows in none of its columns; the next list shows it in all', async () => {
    // Two connections to one store file, as two processes sharing a store would have (WAL, normal locking: the
    // console's own connection is exclusive, so this builds the handlers on plain connections): `mine` serves the
    // list, `theirs` commits between its first query (the operators) and its second (their second factors).
    const clock = manualClock(Date.parse(at(NOW)));
    const store = openStoreDatabase(tempDir('ecps-operators-snapshot-'), () => new Date(clock.now()).toISOString());
    store.close();
    const mine = new Database(store.path);
    const theirs = new Database(store.path);
    try {
      for (const db of [mine, theirs]) db.pragma('foreign_keys = ON');
      expect(mine.pragma('journal_mode', { simple: true })).toBe('wal');
      const ops = createOperatorsRepo(mine);
      const audit = createAuditLog(mine, { clock, quietCheckpointMs: 0 });
      const transaction = <T>(fn: () => T): T => mine.transaction(fn).immediate();
      const session = createSession({
        meta: createStoreMetaRepo(mine), operators: ops, audit, clock, logger: silentLogger, kdf: FAST_KDF, storePath: store.path, transaction, onChange: () => undefined,
      });
      await session.init('alice', PASSPHRASE);
      // bob: an authenticator app and 3 codes left; carol: neither.
      for (const [name, minute] of [['bob', 1], ['carol', 2]] as const) {
        ops.insert({
          name, role: 'viewer', slot: { kdf: FAST_KDF, salt: crypto.randomBytes(16), wrappedMaster: crypto.randomBytes(60), keychainBound: false },
          throttle: { failedAttempts: 0, lastFailureMs: null }, createdAt: at(minute), createdBy: 'alice', passphraseChangedAt: null,
        });
      }
      ops.setTotpPending('bob', crypto.randomBytes(40));
      ops.activateTotp('bob', 1, at(3));
      ops.replaceRecoveryCodes('bob', codes(3), at(3));

      // Another connection removes bob (his factor and codes go with him) and confirms carol's app, in one commit.
      let between: (() => void) | null = () => {
        const other = createOperatorsRepo(theirs);
        theirs.transaction(() => {
          other.wipe('bob');
          other.setTotpPending('carol', crypto.randomBytes(40));
          other.activateTotp('carol', 1, at(4));
        })();
      };
      const repo: OperatorsRepo = {
        ...ops,
        secondFactors: (operator) => {
          between?.();
          between = null;
          return ops.secondFactors(operator);
        },
      };
      const kits = createIncidentKitRepo(mine);
      const handlers = createOperatorHandlers({
        repo, session, audit, clock, transaction, checkpointWal: () => undefined, approvalKeys: createApprovalsRepo(mine),
        openKitsByOperator: (now, name) => new Map([...kits.openByResponder(now, name)].map(([who, rows]) => [who, rows.map(({ kitId, exportedAt, expiresAt }) => ({ kitId, exportedAt, expiresAt }))])),
      });
      const rows = async () => (await handlers['operators:list']({}, CTX)).operators.map((o) => [o.name, o.secondFactor, o.recoveryCodesLeft]);

      // The moment of the first query: bob still there with his app and codes, carol without an app.
      expect(await rows()).toEqual([['alice', 'none', 0], ['bob', 'totp', 3], ['carol', 'none', 0]]);
      expect(between).toBeNull();
      // The next list: the other connection's commit in every column.
      expect(await rows()).toEqual([['alice', 'none', 0], ['carol', 'totp', 0]]);
      session.close();
    } finally {
      mine.close();
      theirs.close();
    }
  });
});
