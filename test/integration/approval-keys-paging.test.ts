// Paging the approval key lists, a removed operator's key, and who has a key on the Operators screen (issue 14,
// docs/two-person-control.md "Paging the key lists", "Removing an operator revokes their key", "Leftover keys"), on a
// real store. The rules written here, not read from the service:
// - approvals:listKeys and approvals:listRevokedKeys take an optional limit (1 to 500, default 100) and cursor (the
//   previous page's nextCursor) and answer {keys, nextCursor}; enrolled keys come newest enrolment first, then by
//   operator; revoked keys newest revocation first, then by fingerprint; nextCursor is null on the last page;
// - keyset pages: a key enrolled between two pages (newer than every key listed) does not shift the next page;
// - a bad limit or cursor is `invalid_input` naming the field (a cursor of the other list too);
// - removing an operator revokes their approval key in the same step: listed revoked (`why: removed`, reason
//   "operator removed", by whoever ran the removal), audited `approval.revoke_key`, pushed approvals:changed;
// - a key left in the store by an operator removed before that (a store made earlier) is listed with
//   operatorRemoved: true, counts for no one, and an admin revokes it by name with a reason (audited);
// - operators:list gives each operator's enrolled key (fingerprint, enrolled at) or null;
// - the CLI pages with --limit N, --after CURSOR and --all (text and --json), refusing --after with --all (exit 2)
//   and a bad limit or cursor (exit 1, invalid_input).
import crypto from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalsChanged } from '../../shared/approvalsContract.ts';
import type { ChannelName, Envelope } from '../../shared/contract.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import { generateApprovalKey } from '../../electron/services/approvals/approvalFile.ts';
import { createApprovalsRepo } from '../../electron/store/approvalsRepo.ts';
import { cliRunner } from './support/cliProcess.ts';
import { addOperators } from './support/consoleCalls.ts';
import { CTX, open, PASSPHRASE, removeTempDirs, withRawDb } from '../unit/store-testkit.ts';

const pass = (name: string) => `${name} has a long passphrase`;
const passOf = (name: string) => (name === 'alice' ? PASSPHRASE : pass(name));
const TEAM = [
  { name: 'Bea', role: 'admin' },
  { name: 'Abe', role: 'viewer' },
  { name: 'Cy', role: 'viewer' },
  { name: 'Dora', role: 'viewer' },
  { name: 'Eve', role: 'viewer' },
  { name: 'Fay', role: 'viewer' },
  { name: 'Hal', role: 'viewer' },
] as const;
const KEY_PASS = 'approval key passphrase';
const T0 = Date.parse('2026-04-01T08:00:00.000Z');
const at = (hours: number) => new Date(T0 + hours * 3600_000).toISOString();
const newKey = () => {
  const { publicPem } = generateApprovalKey(KEY_PASS);
  const fingerprint = crypto.createHash('sha256').update(crypto.createPublicKey(publicPem).export({ format: 'der', type: 'spki' })).digest('hex');
  return { publicPem, fingerprint };
};
type Key = ReturnType<typeof newKey>;

/** Enrolments, hour by hour (three at hour 0 and two at hour 2: ties ordered by operator). */
const ENROLMENTS: Array<{ hour: number; who: string }> = [
  { hour: 0, who: 'Dora' },
  { hour: 0, who: 'Abe' },
  { hour: 0, who: 'Cy' },
  { hour: 1, who: 'Eve' },
  { hour: 2, who: 'Fay' },
  { hour: 2, who: 'Bea' },
];
/** The enrolled list expected after ENROLMENTS, written from the rule: newest first, then by operator name. */
const ENROLLED_ORDER: Array<{ who: string; hour: number }> = [
  { who: 'Bea', hour: 2 },
  { who: 'Fay', hour: 2 },
  { who: 'Eve', hour: 1 },
  { who: 'Abe', hour: 0 },
  { who: 'Cy', hour: 0 },
  { who: 'Dora', hour: 0 },
];

const chunks = <T>(rows: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out.length ? out : [[]];
};
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** Inputs refused by both list channels: code invalid_input, with the field named when there is one. */
const BAD_INPUTS: Array<{ what: string; input: unknown; field?: string; says?: RegExp }> = [
  { what: 'limit 0', input: { limit: 0 }, field: 'limit' },
  { what: 'limit 501 (over the most)', input: { limit: 501 }, field: 'limit' },
  { what: 'limit -1', input: { limit: -1 }, field: 'limit' },
  { what: 'limit 2.5', input: { limit: 2.5 }, field: 'limit' },
  { what: 'limit as text', input: { limit: '10' }, field: 'limit' },
  { what: 'limit null', input: { limit: null }, field: 'limit' },
  { what: 'an empty cursor', input: { cursor: '' }, field: 'cursor' },
  { what: 'a cursor with spaces', input: { cursor: 'not a cursor' }, field: 'cursor' },
  { what: 'a cursor of 401 characters', input: { cursor: 'a'.repeat(401) }, field: 'cursor' },
  { what: 'a number as cursor', input: { cursor: 123 }, field: 'cursor' },
  { what: 'a cursor that is no JSON', input: { cursor: b64('hello') }, field: 'cursor', says: /not a page cursor/ },
  { what: 'a cursor of the wrong shape', input: { cursor: b64('["keys","2026-04-01T08:00:00.000Z"]') }, field: 'cursor', says: /not a page cursor/ },
  { what: 'a cursor with a time that is not one', input: { cursor: b64('["keys","yesterday","Abe"]') }, field: 'cursor', says: /not a page cursor/ },
  { what: 'a cursor of an unknown list', input: { cursor: b64('["robots","2026-04-01T08:00:00.000Z","Abe"]') }, field: 'cursor', says: /not a page cursor/ },
  { what: 'an unknown field', input: { page: 2 } },
];

afterAll(() => removeTempDirs());

describe('paging the approval key lists; a removed operator\'s key; operators:list', () => {
  const { dir, cli } = cliRunner('ecps-approval-keys-paging-', PASSPHRASE, 'in-process');
  const as = (operator: string, args: string[]) => cli(args, undefined, { ECPS_OPERATOR: operator, ECPS_PASSPHRASE: passOf(operator) });
  const clock = manualClock(T0);
  let c: FleetConsole;
  let route: (channel: ChannelName, input: unknown) => Promise<Envelope<unknown>>;
  const pushed: ApprovalsChanged[] = [];
  const enrolled = new Map<string, Key>();
  const revokedKeys: Array<{ operator: string; key: Key; hour: number; why: 'removed' | 'replaced'; reason: string | null; by: string }> = [];

  const ok = <T = unknown>(env: Envelope<unknown>): T => {
    if (!env.ok) throw new Error(JSON.stringify(env.error));
    return env.value as T;
  };
  async function signIn(name: string): Promise<void> {
    if ((await c.handlers['session:status']({}, CTX)).state === 'unlocked') await c.handlers['session:lock']({}, CTX);
    await c.handlers['session:unlock']({ operator: name, passphrase: passOf(name) }, CTX);
  }
  async function enrol(who: string, hour: number): Promise<Key> {
    clock.set(Date.parse(at(hour)));
    await signIn(who);
    const key = newKey();
    ok(await route('approvals:enrolKey', { publicKeyPem: key.publicPem }));
    enrolled.set(who, key);
    return key;
  }
  const routerFor = (fc: FleetConsole) => {
    const router = createRouter({ handlers: fc.handlers, access: fc.access });
    return (channel: ChannelName, input: unknown) => router.route({ channel, input, ctx: CTX, trustedSender: true });
  };
  type Page<K> = { keys: K[]; nextCursor: string | null };
  /** Every page of a list at this size, following nextCursor. */
  async function pages<K>(channel: 'approvals:listKeys' | 'approvals:listRevokedKeys', limit: number): Promise<K[][]> {
    const out: K[][] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = ok<Page<K>>(await route(channel, cursor === undefined ? { limit } : { limit, cursor }));
      out.push(page.keys);
      if (page.nextCursor === null) return out;
      // A cursor that does not move on would page for ever: more pages than keys is a failure.
      if (out.length > 20) throw new Error(`${channel} at limit ${limit}: more than 20 pages`);
      cursor = page.nextCursor;
    }
  }
  const enrolledRow = (r: { who: string; hour: number }) => ({ operator: r.who, fingerprint: enrolled.get(r.who)!.fingerprint, enrolledAt: at(r.hour), operatorRemoved: false });

  beforeAll(async () => {
    c = await open(join(dir, 'store'), { clock, rotation: { scheduler: false } });
    c.onEvent((event, payload) => {
      if (event === 'approvals:changed') pushed.push(payload as ApprovalsChanged);
    });
    await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    await addOperators(c, { name: 'alice', passphrase: PASSPHRASE }, TEAM.map((op) => ({ name: op.name, role: op.role, passphrase: pass(op.name) })));
    route = routerFor(c);
    for (const e of ENROLMENTS) await enrol(e.who, e.hour);
  });

  let closed = false;
  afterAll(() => {
    if (!closed) c?.close();
  });

  it('approvals:listKeys pages the enrolled keys at every size, newest first then by operator; the default page holds them all', async () => {
    await signIn('Hal');
    const expected = ENROLLED_ORDER.map(enrolledRow);
    for (const limit of [1, 2, 3, 4, 5, 6, 7, 500]) expect(await pages('approvals:listKeys', limit), `limit ${limit}`).toEqual(chunks(expected, limit));
    expect(ok(await route('approvals:listKeys', {}))).toEqual({ keys: expected, nextCursor: null });
  });

  it('a key enrolled between two pages does not shift the next page (keyset)', async () => {
    await signIn('Hal');
    const first = ok<Page<unknown>>(await route('approvals:listKeys', { limit: 2 }));
    const expected = ENROLLED_ORDER.map(enrolledRow);
    expect(first.keys).toEqual(expected.slice(0, 2));
    await enrol('Hal', 3);
    await signIn('Hal');
    expect(ok<Page<unknown>>(await route('approvals:listKeys', { limit: 2, cursor: first.nextCursor })).keys).toEqual(expected.slice(2, 4));
    // Hal's key is the newest: first on a new first page.
    expect(ok<Page<{ operator: string }>>(await route('approvals:listKeys', { limit: 1 })).keys.map((k) => k.operator)).toEqual(['Hal']);
  });

  it('approvals:listRevokedKeys pages the revoked keys, newest revocation first then by fingerprint', async () => {
    // Abe replaces his key twice; Bea removes Cy's and Dora's at the same hour (a tie: by fingerprint).
    const abe1 = enrolled.get('Abe')!;
    await enrol('Abe', 4);
    revokedKeys.push({ operator: 'Abe', key: abe1, hour: 4, why: 'replaced', reason: null, by: 'Abe' });
    const abe2 = enrolled.get('Abe')!;
    await enrol('Abe', 5);
    revokedKeys.push({ operator: 'Abe', key: abe2, hour: 5, why: 'replaced', reason: null, by: 'Abe' });
    clock.set(Date.parse(at(6)));
    await signIn('Bea');
    for (const who of ['Cy', 'Dora']) {
      ok(await route('approvals:revokeKey', { operator: who, reason: `${who} left the team` }));
      revokedKeys.push({ operator: who, key: enrolled.get(who)!, hour: 6, why: 'removed', reason: `${who} left the team`, by: 'Bea' });
      enrolled.delete(who);
    }
    const tie = revokedKeys.filter((r) => r.hour === 6).sort((a, b) => (a.key.fingerprint < b.key.fingerprint ? -1 : 1));
    const order = [...tie, revokedKeys[1]!, revokedKeys[0]!];
    const expected = order.map((r) => ({
      operator: r.operator,
      fingerprint: r.key.fingerprint,
      enrolledAt: r.operator === 'Abe' ? at(r.hour === 4 ? 0 : 4) : at(0),
      revokedAt: at(r.hour),
      revokedBy: r.by,
      why: r.why,
      reason: r.reason,
    }));
    await signIn('Hal');
    for (const limit of [1, 2, 3, 4, 5]) expect(await pages('approvals:listRevokedKeys', limit), `limit ${limit}`).toEqual(chunks(expected, limit));
    expect(ok(await route('approvals:listRevokedKeys', {}))).toEqual({ keys: expected, nextCursor: null });
  });

  for (const channel of ['approvals:listKeys', 'approvals:listRevokedKeys'] as const) {
    for (const bad of BAD_INPUTS) {
      it(`${channel} refuses ${bad.what}: invalid_input${bad.field ? `, field ${bad.field}` : ''}`, async () => {
        await signIn('Hal');
        const env = await route(channel, bad.input);
        expect(env).toMatchObject({ ok: false, error: { code: 'invalid_input', ...(bad.field ? { details: { field: bad.field } } : {}) } });
        if (bad.says) expect(env.ok ? '' : env.error.message).toMatch(bad.says);
      });
    }
    it(`${channel} refuses the other list's cursor (invalid_input, field cursor)`, async () => {
      await signIn('Hal');
      const other = channel === 'approvals:listKeys' ? 'approvals:listRevokedKeys' : 'approvals:listKeys';
      const cursor = ok<Page<unknown>>(await route(other, { limit: 1 })).nextCursor;
      expect(cursor).not.toBeNull();
      const env = await route(channel, { cursor });
      expect(env).toMatchObject({ ok: false, error: { code: 'invalid_input', details: { field: 'cursor' } } });
      expect(env.ok ? '' : env.error.message).toMatch(/was made for the .* list/);
    });
  }

  it('operators:list shows each operator\'s enrolled key, or none', async () => {
    await signIn('alice');
    const { operators } = ok<{ operators: Array<{ name: string; approvalKey: unknown }> }>(await route('operators:list', {}));
    const expected: Record<string, unknown> = {
      alice: null,
      Bea: { fingerprint: enrolled.get('Bea')!.fingerprint, enrolledAt: at(2) },
      Abe: { fingerprint: enrolled.get('Abe')!.fingerprint, enrolledAt: at(5) },
      Cy: null,
      Dora: null,
      Eve: { fingerprint: enrolled.get('Eve')!.fingerprint, enrolledAt: at(1) },
      Fay: { fingerprint: enrolled.get('Fay')!.fingerprint, enrolledAt: at(2) },
      Hal: { fingerprint: enrolled.get('Hal')!.fingerprint, enrolledAt: at(3) },
    };
    expect(Object.fromEntries(operators.map((o) => [o.name, o.approvalKey]))).toEqual(expected);
  });

  it('removing an operator revokes their key at once: listed revoked ("operator removed", by the executor), audited, pushed', async () => {
    clock.set(Date.parse(at(7)));
    await signIn('alice');
    const asked = await route('operators:remove', { name: 'Fay' });
    expect(asked).toMatchObject({ ok: false, error: { code: 'approval_required' } });
    const requestId = asked.ok ? '' : String(asked.error.details?.requestId);
    await signIn('Bea');
    ok(await route('approvals:approve', { requestId }));
    await signIn('alice');
    const from = pushed.length;
    ok(await route('approvals:execute', { requestId }));
    expect(pushed.slice(from)).toContainEqual({ requestId: null, state: null });
    const fay = enrolled.get('Fay')!;
    enrolled.delete('Fay');
    const { keys: revoked } = ok<Page<{ fingerprint: string }>>(await route('approvals:listRevokedKeys', { limit: 1 }));
    expect(revoked).toEqual([{ operator: 'Fay', fingerprint: fay.fingerprint, enrolledAt: at(2), revokedAt: at(7), revokedBy: 'alice', why: 'removed', reason: 'operator removed' }]);
    const { keys } = ok<Page<{ operator: string }>>(await route('approvals:listKeys', {}));
    expect(keys.map((k) => k.operator)).not.toContain('Fay');
    const record = c.audit.query({ action: 'approval.revoke_key', limit: 1 }).records[0];
    expect(record).toMatchObject({ actor: 'alice', targetId: 'Fay', outcome: 'success', details: { fingerprint: fay.fingerprint, reason: 'operator removed' } });
  });

  it('a key left by an operator removed before keys were revoked with them is listed operatorRemoved; an admin revokes it (audited)', async () => {
    c.close();
    closed = true;
    // A store made earlier: Gus was removed, his key stayed in approval_keys.
    const gus = newKey();
    withRawDb(join(dir, 'store'), (db) => createApprovalsRepo(db).saveApprovalKey({ operator: 'Gus', publicSpki: crypto.createPublicKey(gus.publicPem).export({ format: 'der', type: 'spki' }), fingerprint: gus.fingerprint, enrolledAt: at(8) }));
    c = await open(join(dir, 'store'), { clock, rotation: { scheduler: false } });
    closed = false;
    route = routerFor(c);
    clock.set(Date.parse(at(9)));
    await signIn('Hal');
    const first = ok<Page<unknown>>(await route('approvals:listKeys', { limit: 1 }));
    expect(first.keys).toEqual([{ operator: 'Gus', fingerprint: gus.fingerprint, enrolledAt: at(8), operatorRemoved: true }]);
    await signIn('Bea');
    ok(await route('approvals:revokeKey', { operator: 'Gus', reason: 'left by a removed operator' }));
    const record = c.audit.query({ action: 'approval.revoke_key', limit: 1 }).records[0];
    expect(record).toMatchObject({ actor: 'Bea', targetId: 'Gus', outcome: 'success', details: { fingerprint: gus.fingerprint, reason: 'left by a removed operator' } });
    const keys = ok<Page<{ operator: string; operatorRemoved: boolean }>>(await route('approvals:listKeys', {})).keys;
    expect(keys.map((k) => [k.operator, k.operatorRemoved])).toEqual([['Abe', false], ['Hal', false], ['Bea', false], ['Eve', false]]);
    expect(ok<Page<unknown>>(await route('approvals:listRevokedKeys', { limit: 1 })).keys).toEqual([
      { operator: 'Gus', fingerprint: gus.fingerprint, enrolledAt: at(8), revokedAt: at(9), revokedBy: 'Bea', why: 'removed', reason: 'left by a removed operator' },
    ]);
  });

  it('the CLI pages: --limit with the next cursor, --after, --all (text and --json); --after with --all exit 2; a bad limit or cursor exit 1', async () => {
    c.close();
    closed = true;
    // Enrolled now, newest first then by operator (written from the steps above).
    const rows = [
      ['Abe', enrolled.get('Abe')!.fingerprint, at(5)],
      ['Hal', enrolled.get('Hal')!.fingerprint, at(3)],
      ['Bea', enrolled.get('Bea')!.fingerprint, at(2)],
      ['Eve', enrolled.get('Eve')!.fingerprint, at(1)],
    ];
    const cells = (text: string) => text.trimEnd().split('\n').map((l) => l.split(/\s{2,}/));
    const one = await as('Hal', ['approvals', 'keys', '--limit', '3']);
    expect(one.code).toBe(0);
    const lines = one.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^OPERATOR\s+FINGERPRINT \(SHA-256\)\s+ENROLLED AT$/);
    expect(cells(lines.slice(1, 4).join('\n'))).toEqual(rows.slice(0, 3));
    const next = /^3 key\(s\) on this page; next page: --after (\S+)$/.exec(lines[4] ?? '');
    expect(next, lines[4]).not.toBeNull();
    expect(lines).toHaveLength(5);

    const second = await as('Hal', ['approvals', 'keys', '--limit', '3', '--after', next![1]!]);
    expect(second.code).toBe(0);
    expect(cells(second.stdout.split('\n').slice(1).join('\n'))).toEqual(rows.slice(3));

    const json = await as('Hal', ['approvals', 'keys', '--limit', '3', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ keys: rows.slice(0, 3).map(([operator]) => ({ operator })), nextCursor: next![1] });

    const all = await as('Hal', ['approvals', 'keys', '--limit', '1', '--all']);
    expect(all.code).toBe(0);
    const allLines = all.stdout.trimEnd().split('\n');
    expect(allLines[0]).toMatch(/^OPERATOR\s+FINGERPRINT/);
    expect(cells(allLines.slice(1, -1).join('\n'))).toEqual(rows);
    expect(allLines.at(-1)).toBe('4 key(s)');

    const allJson = await as('Hal', ['approvals', 'keys', '--limit', '3', '--all', '--json']);
    expect(JSON.parse(allJson.stdout)).toEqual({ keys: rows.map(([operator, fingerprint, enrolledAt]) => ({ operator, fingerprint, enrolledAt, operatorRemoved: false })), nextCursor: null });

    const revokedAll = await as('Hal', ['approvals', 'revoked-keys', '--limit', '2', '--all', '--json']);
    expect((JSON.parse(revokedAll.stdout) as { keys: Array<{ operator: string }> }).keys.map((k) => k.operator)).toEqual(['Gus', 'Fay', ...revokedKeys.filter((r) => r.hour === 6).sort((a, b) => (a.key.fingerprint < b.key.fingerprint ? -1 : 1)).map((r) => r.operator), 'Abe', 'Abe']);

    expect((await as('Hal', ['approvals', 'keys', '--after', next![1]!, '--all'])).code).toBe(2);
    expect((await as('Hal', ['approvals', 'revoked-keys', '--after', 'x', '--all'])).code).toBe(2);
    // As every command's --limit: not a number from 1 to 1000 is a usage error (exit 2); the channel refuses the rest.
    const CLI_REFUSALS: Array<{ args: string[]; code: number; says?: string }> = [
      { args: ['--limit', '0'], code: 2 },
      { args: ['--limit', 'ten'], code: 2 },
      { args: ['--limit', '501'], code: 1, says: 'error [invalid_input]' },
      { args: ['--after', 'not-a-cursor'], code: 1, says: 'error [invalid_input]' },
      { args: ['--after', b64('["keys","2026-04-01T08:00:00.000Z"]')], code: 1, says: 'not a page cursor' },
    ];
    for (const row of CLI_REFUSALS) {
      for (const list of ['keys', 'revoked-keys']) {
        const r = await as('Hal', ['approvals', list, ...row.args]);
        expect(r.code, `${list} ${row.args.join(' ')}`).toBe(row.code);
        if (row.says) expect(r.stderr).toContain(row.says);
      }
    }
  });
});
