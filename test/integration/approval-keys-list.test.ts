// Listing the approval keys enrolled now (issue 14, docs/two-person-control.md "Who has an approval key"): the channel
// approvals:listKeys, the CLI's `approvals keys`, and the approvals:changed push when a key is enrolled or revoked, on
// a real store. The rules written here, not read from the service:
// - every key enrolled is listed, newest enrolment first (then by operator): operator, fingerprint (SHA-256 of the
//   SPKI), enrolled at, operatorRemoved (false here: removing an operator revokes their key; a leftover key of a store
//   made before that is in approval-keys-paging.test.ts); a replaced or removed key is not (it is in
//   approvals:listRevokedKeys), and a removed operator's key was revoked with them;
// - nothing else leaves: no public key bytes; the input is strict (limit and cursor only: paging is tested in
//   approval-keys-paging.test.ts);
// - any signed-in operator reads it, a viewer included; a locked store answers `locked`;
// - enrolling and revoking push one approvals:changed {requestId: null, state: null}; a refused enrolment pushes none;
// - enrolment refuses a private key (by its PEM label, never taken), a key of another type, text that is no key and a
//   revoked key, each with `field: publicKeyPem`;
// - the CLI prints the same list (--json: the channel's value; otherwise a table), exit 0, for a viewer too.
import crypto from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalsChanged } from '../../shared/approvalsContract.ts';
import type { ChannelName, Envelope } from '../../shared/contract.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import { generateApprovalKey } from '../../electron/services/approvals/approvalFile.ts';
import { cliRunner } from './support/cliProcess.ts';
import { addOperators } from './support/consoleCalls.ts';
import { CTX, open, PASSPHRASE, removeTempDirs } from '../unit/store-testkit.ts';

const pass = (name: string) => `${name} has a long passphrase`;
const passOf = (name: string) => (name === 'alice' ? PASSPHRASE : pass(name));
const TEAM = [
  { name: 'Bea', role: 'admin' },
  { name: 'Kate', role: 'key_custodian' },
  { name: 'Ken', role: 'key_custodian' },
  { name: 'Otto', role: 'security_officer' },
  { name: 'Sam', role: 'station_operator' },
  { name: 'Vera', role: 'viewer' },
] as const;
const fingerprintOf = (publicPem: string) => crypto.createHash('sha256').update(crypto.createPublicKey(publicPem).export({ format: 'der', type: 'spki' })).digest('hex');
const KEY_PASS = 'approval key passphrase';

const T0 = Date.parse('2026-03-02T08:00:00.000Z');
const at = (hours: number) => new Date(T0 + hours * 3600_000).toISOString();
const keys = {
  ken1: generateApprovalKey(KEY_PASS),
  ken2: generateApprovalKey(KEY_PASS),
  kate1: generateApprovalKey(KEY_PASS),
  otto1: generateApprovalKey(KEY_PASS),
  sam1: generateApprovalKey(KEY_PASS),
  vera1: generateApprovalKey(KEY_PASS),
};
type KeyName = keyof typeof keys;

/**
 * What happens, hour by hour. Sam is removed at hour 3 (alice asks, Bea approves, alice executes) and a new Sam is
 * added at hour 4: removing the first Sam revoked his key (docs/two-person-control.md "Removing an operator revokes
 * their key"), so it is not listed, and the new Sam has none.
 */
type Step = { hour: number; who: string } & ({ enrol: KeyName } | { revoke: string; reason: string } | { remove: string } | { add: string });
const STEPS: Step[] = [
  { hour: 0, who: 'Ken', enrol: 'ken1' },
  { hour: 0, who: 'Kate', enrol: 'kate1' },
  { hour: 0, who: 'Vera', enrol: 'vera1' },
  { hour: 0, who: 'Otto', enrol: 'otto1' },
  { hour: 0, who: 'Sam', enrol: 'sam1' },
  { hour: 1, who: 'Ken', enrol: 'ken2' },
  { hour: 2, who: 'Bea', revoke: 'Kate', reason: 'laptop stolen' },
  { hour: 3, who: 'alice', remove: 'Sam' },
  { hour: 4, who: 'alice', add: 'Sam' },
];
/** The list expected after STEPS, newest enrolment first, then by operator (written from the steps above). */
const EXPECTED_ROWS: Array<{ operator: string; key: KeyName; enrolledHour: number }> = [
  { operator: 'Ken', key: 'ken2', enrolledHour: 1 },
  { operator: 'Otto', key: 'otto1', enrolledHour: 0 },
  { operator: 'Vera', key: 'vera1', enrolledHour: 0 },
];
const expectedList = () =>
  EXPECTED_ROWS.map((r) => ({ operator: r.operator, fingerprint: fingerprintOf(keys[r.key].publicPem), enrolledAt: at(r.enrolledHour), operatorRemoved: false }));
/** The whole list in one page (the default page holds 100 keys): no next page. */
const onePage = () => ({ keys: expectedList(), nextCursor: null });

const rsaPublic = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }) as string;
const edPrivatePlain = crypto.generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
/** Enrolments refused, with the code and a word the message must say (field publicKeyPem for each). */
const REFUSALS: Array<{ what: string; pem: () => string; code: string; says: RegExp }> = [
  { what: 'an unencrypted Ed25519 private key', pem: () => edPrivatePlain, code: 'invalid_input', says: /private key/ },
  { what: 'an encrypted Ed25519 private key (the keygen file)', pem: () => keys.ken1.privatePem, code: 'invalid_input', says: /private key/ },
  { what: 'an RSA public key', pem: () => rsaPublic, code: 'invalid_input', says: /Ed25519/ },
  { what: 'text that is no key', pem: () => '-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5IGF0IGFsbCwganVzdCB0ZXh0\n-----END PUBLIC KEY-----\n', code: 'invalid_input', says: /not a PEM public key/ },
  { what: 'a revoked key (Kate\'s, removed by Bea)', pem: () => keys.kate1.publicPem, code: 'approval_key_revoked', says: /removed/ },
];

afterAll(() => removeTempDirs());

describe('approvals:listKeys and approvals keys', () => {
  const { dir, cli } = cliRunner('ecps-approval-keys-list-', PASSPHRASE, 'in-process');
  const as = (operator: string, args: string[]) => cli(args, undefined, { ECPS_OPERATOR: operator, ECPS_PASSPHRASE: passOf(operator) });
  const clock = manualClock(T0);
  let c: FleetConsole;
  let route: (channel: ChannelName, input: unknown) => Promise<Envelope<unknown>>;
  const pushed: ApprovalsChanged[] = [];

  async function signIn(name: string): Promise<void> {
    if ((await c.handlers['session:status']({}, CTX)).state === 'unlocked') await c.handlers['session:lock']({}, CTX);
    await c.handlers['session:unlock']({ operator: name, passphrase: passOf(name) }, CTX);
  }
  const ok = (env: Envelope<unknown>) => {
    if (!env.ok) throw new Error(JSON.stringify(env.error));
    return env.value;
  };
  /** The approvals:changed events pushed while fn ran. */
  async function pushedBy(fn: () => Promise<unknown>): Promise<ApprovalsChanged[]> {
    const from = pushed.length;
    await fn();
    return pushed.slice(from);
  }

  async function run(step: Step): Promise<void> {
    clock.set(Date.parse(at(step.hour)));
    await signIn(step.who);
    if ('enrol' in step) {
      expect(await pushedBy(async () => ok(await route('approvals:enrolKey', { publicKeyPem: keys[step.enrol].publicPem })))).toEqual([{ requestId: null, state: null }]);
    } else if ('revoke' in step) {
      expect(await pushedBy(async () => ok(await route('approvals:revokeKey', { operator: step.revoke, reason: step.reason })))).toEqual([{ requestId: null, state: null }]);
    } else if ('remove' in step) {
      const asked = await route('operators:remove', { name: step.remove });
      expect(asked).toMatchObject({ ok: false, error: { code: 'approval_required' } });
      const requestId = asked.ok ? '' : String(asked.error.details?.requestId);
      await signIn('Bea');
      ok(await route('approvals:approve', { requestId }));
      await signIn(step.who);
      ok(await route('approvals:execute', { requestId }));
    } else {
      ok(await route('operators:add', { name: step.add, role: 'station_operator', passphrase: pass(step.add) }));
    }
  }

  beforeAll(async () => {
    c = await open(join(dir, 'store'), { clock, rotation: { scheduler: false } });
    c.onEvent((event, payload) => {
      if (event === 'approvals:changed') pushed.push(payload as ApprovalsChanged);
    });
    await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    await addOperators(c, { name: 'alice', passphrase: PASSPHRASE }, TEAM.map((op) => ({ name: op.name, role: op.role, passphrase: pass(op.name) })));
    const router = createRouter({ handlers: c.handlers, access: c.access });
    route = (channel, input) => router.route({ channel, input, ctx: CTX, trustedSender: true });
  });

  let closed = false;
  afterAll(() => {
    if (!closed) c?.close();
  });

  it('before any enrolment the list is empty, for a viewer too', async () => {
    await signIn('Vera');
    expect(await route('approvals:listKeys', {})).toEqual({ ok: true, value: { keys: [], nextCursor: null } });
  });

  it('lists every key that counts, newest first: not a replaced or removed key, nor a removed operator\'s; each enrolment and revocation pushed once', async () => {
    for (const step of STEPS) await run(step);
    await signIn('Vera');
    const env = await route('approvals:listKeys', {});
    expect(env).toEqual({ ok: true, value: onePage() });
    // Nothing but these four facts per key (no public key bytes).
    for (const row of (ok(env) as { keys: Array<Record<string, unknown>> }).keys) expect(Object.keys(row).sort()).toEqual(['enrolledAt', 'fingerprint', 'operator', 'operatorRemoved']);
    const pem = (k: KeyName) => keys[k].publicPem.replace(/-----[A-Z ]+-----|\s/g, '');
    for (const k of Object.keys(keys) as KeyName[]) expect(JSON.stringify(env)).not.toContain(pem(k).slice(20, 60));
  });

  it('every role reads the same list; the input is strict; a locked store answers locked', async () => {
    for (const who of ['Vera', 'Sam', 'Kate', 'Otto', 'Bea', 'alice']) {
      await signIn(who);
      expect(await route('approvals:listKeys', {}), who).toEqual({ ok: true, value: onePage() });
    }
    expect(await route('approvals:listKeys', { operator: 'Ken' })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    await c.handlers['session:lock']({}, CTX);
    expect(await route('approvals:listKeys', {})).toMatchObject({ ok: false, error: { code: 'locked' } });
  });

  for (const r of REFUSALS) {
    it(`enrolling ${r.what} is refused (${r.code}, field publicKeyPem), pushes nothing and changes no list`, async () => {
      await signIn('Kate');
      const events = await pushedBy(async () => {
        const env = await route('approvals:enrolKey', { publicKeyPem: r.pem() });
        expect(env).toMatchObject({ ok: false, error: { code: r.code, details: { field: 'publicKeyPem' } } });
        expect(env.ok ? '' : env.error.message).toMatch(r.says);
      });
      expect(events).toEqual([]);
      expect(ok(await route('approvals:listKeys', {}))).toEqual(onePage());
    });
  }

  it('a revocation refused (no key enrolled) pushes nothing', async () => {
    await signIn('alice');
    expect(await pushedBy(async () => expect(await route('approvals:revokeKey', { operator: 'Kate', reason: 'again' })).toMatchObject({ ok: false, error: { code: 'not_found' } }))).toEqual([]);
  });

  it('the CLI prints the list for a viewer: --json the same value, else a table row per key in the same order', async () => {
    c.close();
    closed = true;
    const json = await as('Vera', ['approvals', 'keys', '--json']);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(onePage());

    const human = await as('Vera', ['approvals', 'keys']);
    expect(human.code).toBe(0);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^OPERATOR\s+FINGERPRINT \(SHA-256\)\s+ENROLLED AT$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/))).toEqual(EXPECTED_ROWS.map((r) => [r.operator, fingerprintOf(keys[r.key].publicPem), at(r.enrolledHour)]));
    // Extra words are a usage error (exit 2).
    expect((await as('Vera', ['approvals', 'keys', 'Ken'])).code).toBe(2);
  });
});
