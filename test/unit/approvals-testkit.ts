// Shared set-up for the tests of two-person control (electron/services/approvals/): the approvals service over a real
// store database and keyring (localFixture: the request's input sealed and hashed for real) with a manual clock, the
// operators in a map the test edits, and recording stand-ins for the audit log, the access gate, the approvals:changed
// push and the channel an approved input runs on. Also the request of docs/two-person-control.md's examples written
// out (its canonical JSON and SHA-256 by hand), Ed25519 approval key pairs, and the refusal catchers. Each test file
// keeps its cases; nothing here decides what is expected.
import crypto from 'node:crypto';
import { afterEach, expect } from 'vitest';
import { createApprovals, type ApprovalsDeps } from '../../electron/services/approvals/approvals.ts';
import type { AuditEntry } from '../../electron/services/audit/auditLog.ts';
import { createApprovalsRepo } from '../../electron/store/approvalsRepo.ts';
import type { CallContext } from '../../shared/contract.ts';
import type { OperatorRole } from '../../shared/operatorsContract.ts';
import { localFixture, type LocalFixture } from './provider-testkit.ts';
import { removeTempDirs } from './store-testkit.ts';

export const START = '2026-01-01T00:00:00.000Z';
export const DAY_LATER = '2026-01-02T00:00:00.000Z';
export const KEY = '0b0e7b8e-0000-4000-8000-000000000001';
export const DESTROY = { keyId: KEY, state: 'destroyed', reason: 'worn out' };
/** The canonical JSON of DESTROY written out (keys sorted, no whitespace) and its SHA-256. */
export const DESTROY_TEXT = `{"keyId":"${KEY}","reason":"worn out","state":"destroyed"}`;
export const DESTROY_HASH = crypto.createHash('sha256').update(DESTROY_TEXT).digest('hex');
export const CTX: CallContext = { transport: 'test' };
/**
 * What alice's request to destroy KEY asks, made at START under key.destroy's default policy (one approval, a day):
 * the fields the request view and the exported request file both carry (docs/two-person-control.md, "A request").
 */
export const DESTROY_ASKED = {
  action: 'key.destroy',
  channel: 'keys:setState',
  inputHash: DESTROY_HASH,
  summary: { keyId: KEY, state: 'destroyed', reason: 'worn out' },
  requester: 'alice',
  createdAt: START,
  expiresAt: DAY_LATER,
  required: 1,
};
/** The operators of most cases: two admins, a key custodian and a viewer (who approves nothing by default). */
export const TEAM: Array<[string, OperatorRole]> = [['alice', 'admin'], ['bob', 'key_custodian'], ['carol', 'viewer'], ['dave', 'admin']];

/** An audit record as the service appends it (details read freely by the tests). */
export type AuditRow = Omit<AuditEntry, 'details'> & { details: Record<string, unknown> };

export interface Refusal {
  code: string;
  message: string;
  details: unknown;
}

/** What fn threw, as {code, message, details}; null when it returned. */
export function caught(fn: () => unknown): Refusal | null {
  try {
    fn();
    return null;
  } catch (e) {
    const c = e as Refusal;
    return { code: c.code, message: c.message, details: c.details };
  }
}

/** The same for a promise: what it rejected with, or null when it resolved. */
export async function rejected(p: Promise<unknown>): Promise<Refusal | null> {
  try {
    await p;
    return null;
  } catch (e) {
    const c = e as Refusal;
    return { code: c.code, message: c.message, details: c.details };
  }
}

/** A fresh Ed25519 approval key: its public PEM, private key and fingerprint (SHA-256 of the SPKI DER, hex). */
export function approvalKeyPair(): { pem: string; privateKey: crypto.KeyObject; fingerprint: string } {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const pem = publicKey.export({ format: 'pem', type: 'spki' }) as string;
  const fingerprint = crypto.createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex');
  return { pem, privateKey, fingerprint };
}

const fixtures: LocalFixture[] = [];
afterEach(() => {
  for (const f of fixtures.splice(0)) f.close();
  removeTempDirs();
});

/**
 * The service over a fresh store with `people` (each created at START), signed in as the first. `deps` replaces
 * dependencies (e.g. rotationPolicy). Closed after the test.
 */
export function approvalsSetup(people: Array<[string, OperatorRole]> = TEAM, deps: Partial<ApprovalsDeps> = {}) {
  const f = localFixture();
  fixtures.push(f);
  const repo = createApprovalsRepo(f.store.db);
  const ops = new Map<string, { name: string; role: OperatorRole; createdAt: string }>();
  for (const [name, role] of people) ops.set(name, { name, role, createdAt: START });
  let me = people[0]![0];
  const audit: AuditRow[] = [];
  const changes: Array<{ requestId: string | null; state: string | null }> = [];
  const runs: Array<[string, unknown, CallContext]> = [];
  const checks: Array<[string, CallContext, unknown]> = [];
  const behaviour: { deny: Error | null; fail: Error | null; hold: Promise<void> | null; locked: boolean } = { deny: null, fail: null, hold: null, locked: false };
  const approvals = createApprovals({
    repo,
    operators: { get: (name: string) => (ops.get(name) ?? null) as never, list: () => [...ops.values()] as never },
    session: {
      require: () => {
        if (behaviour.locked) throw Object.assign(new Error('The console is locked.'), { code: 'locked' });
        return { operator: me, role: ops.get(me)?.role ?? 'viewer', storeId: f.storeId, keyring: f.keyring() };
      },
      actor: () => me,
    },
    access: {
      check: (channel: string, ctx: CallContext, extra: unknown) => {
        checks.push([channel, ctx, extra]);
        if (behaviour.deny) throw behaviour.deny;
      },
    } as never,
    audit: { append: (r: AuditRow) => void audit.push(r) } as never,
    clock: f.clock,
    transaction: <T>(fn: () => T) => f.store.db.transaction(fn)(),
    onChanged: (c: { requestId: string | null; state: string | null }) => void changes.push(c),
    run: async (channel: string, input: unknown, ctx: CallContext) => {
      runs.push([channel, input, ctx]);
      if (behaviour.hold) await behaviour.hold;
      if (behaviour.fail) throw behaviour.fail;
      return { ran: channel };
    },
    ...deps,
  } as never);
  const as = (name: string) => {
    me = name;
  };
  /** Makes a request as `who` and returns the approval_required error's details. */
  const request = (who: string, input: unknown = DESTROY, channel = 'keys:setState') => {
    as(who);
    const e = caught(() => approvals.require(channel as never, input));
    expect(e?.code).toBe('approval_required');
    return e!.details as { requestId: string; action: string; required: number; expiresAt: string };
  };
  return { f, repo, ops, approvals, audit, changes, runs, checks, behaviour, as, request };
}

export type ApprovalsSetup = ReturnType<typeof approvalsSetup>;
