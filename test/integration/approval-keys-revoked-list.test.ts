// Listing the revoked approval keys (issue 14, docs/two-person-control.md "Revoking an approval key"): the channel
// approvals:listRevokedKeys and the CLI's `approvals revoked-keys`, on a real store. The rules written here, not read
// from the service:
// - every revoked key is listed, newest revocation first: operator, fingerprint (SHA-256 of the SPKI), enrolled at,
//   revoked at, by whom, why (`removed` by an admin with the reason; `replaced` by its operator, no reason);
// - nothing else leaves: no public key bytes, no request data; the input is strict (limit and cursor only: paging is
//   tested in approval-keys-paging.test.ts; the whole list fits the default page here: nextCursor null);
// - any signed-in operator reads it, a viewer included (docs/operators.md: viewers read what is not secret); a locked
//   store answers `locked`;
// - the CLI prints the same list (--json: the channel's value; otherwise a table), exit 0, for a viewer too.
import crypto from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
const keys = { ken1: generateApprovalKey(KEY_PASS), ken2: generateApprovalKey(KEY_PASS), kate1: generateApprovalKey(KEY_PASS), otto1: generateApprovalKey(KEY_PASS) };
type KeyName = keyof typeof keys;

/**
 * What happens, hour by hour: who enrols which key, who removes whose (with what reason). Otto's key is never
 * revoked: it must not be listed.
 */
const STEPS: Array<{ hour: number; who: string } & ({ enrol: KeyName } | { revoke: string; reason: string })> = [
  { hour: 0, who: 'Ken', enrol: 'ken1' },
  { hour: 0, who: 'Kate', enrol: 'kate1' },
  { hour: 0, who: 'Otto', enrol: 'otto1' },
  { hour: 1, who: 'Ken', enrol: 'ken2' },
  { hour: 2, who: 'Bea', revoke: 'Kate', reason: 'laptop stolen' },
  { hour: 3, who: 'alice', revoke: 'Ken', reason: 'left the project' },
];
/** The list expected after STEPS, newest revocation first (written from the steps above). */
const EXPECTED_ROWS: Array<{ operator: string; key: KeyName; enrolledHour: number; revokedHour: number; revokedBy: string; why: 'removed' | 'replaced'; reason: string | null }> = [
  { operator: 'Ken', key: 'ken2', enrolledHour: 1, revokedHour: 3, revokedBy: 'alice', why: 'removed', reason: 'left the project' },
  { operator: 'Kate', key: 'kate1', enrolledHour: 0, revokedHour: 2, revokedBy: 'Bea', why: 'removed', reason: 'laptop stolen' },
  { operator: 'Ken', key: 'ken1', enrolledHour: 0, revokedHour: 1, revokedBy: 'Ken', why: 'replaced', reason: null },
];
const expectedList = () =>
  EXPECTED_ROWS.map((r) => ({
    operator: r.operator,
    fingerprint: fingerprintOf(keys[r.key].publicPem),
    enrolledAt: at(r.enrolledHour),
    revokedAt: at(r.revokedHour),
    revokedBy: r.revokedBy,
    why: r.why,
    reason: r.reason,
  }));

afterAll(() => removeTempDirs());

describe('approvals:listRevokedKeys and approvals revoked-keys', () => {
  const { dir, cli } = cliRunner('ecps-revoked-approval-keys-', PASSPHRASE, 'in-process');
  const as = (operator: string, args: string[]) => cli(args, undefined, { ECPS_OPERATOR: operator, ECPS_PASSPHRASE: passOf(operator) });
  const clock = manualClock(T0);
  let c: FleetConsole;
  let route: (channel: ChannelName, input: unknown) => Promise<Envelope<unknown>>;

  async function signIn(name: string): Promise<void> {
    if ((await c.handlers['session:status']({}, CTX)).state === 'unlocked') await c.handlers['session:lock']({}, CTX);
    await c.handlers['session:unlock']({ operator: name, passphrase: passOf(name) }, CTX);
  }

  beforeAll(async () => {
    c = await open(join(dir, 'store'), { clock, rotation: { scheduler: false } });
    await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    await addOperators(c, { name: 'alice', passphrase: PASSPHRASE }, TEAM.map((op) => ({ name: op.name, role: op.role, passphrase: pass(op.name) })));
    const router = createRouter({ handlers: c.handlers, access: c.access });
    route = (channel, input) => router.route({ channel, input, ctx: CTX, trustedSender: true });
  });

  let closed = false;
  afterAll(() => {
    if (!closed) c?.close();
  });

  it('before any revocation the list is empty, for a viewer too', async () => {
    await signIn('Vera');
    expect(await route('approvals:listRevokedKeys', {})).toEqual({ ok: true, value: { keys: [], nextCursor: null } });
  });

  it('lists every revoked key, newest first, with who, when and why; a key still enrolled is not listed', async () => {
    for (const step of STEPS) {
      clock.set(Date.parse(at(step.hour)));
      await signIn(step.who);
      const env = 'enrol' in step
        ? await route('approvals:enrolKey', { publicKeyPem: keys[step.enrol].publicPem })
        : await route('approvals:revokeKey', { operator: step.revoke, reason: step.reason });
      expect(env.ok, JSON.stringify(env)).toBe(true);
    }
    await signIn('Vera');
    const env = await route('approvals:listRevokedKeys', {});
    expect(env).toEqual({ ok: true, value: { keys: expectedList(), nextCursor: null } });
    // Nothing but these seven facts per key (no public key bytes).
    const rows = env.ok ? (env.value as { keys: Array<Record<string, unknown>> }).keys : [];
    for (const row of rows) expect(Object.keys(row).sort()).toEqual(['enrolledAt', 'fingerprint', 'operator', 'reason', 'revokedAt', 'revokedBy', 'why']);
    expect(JSON.stringify(env)).not.toContain(fingerprintOf(keys.otto1.publicPem));
  });

  it('every role reads the same list; the input is strict; a locked store answers locked', async () => {
    const readers = ['Vera', 'Sam', 'Kate', 'Otto', 'Bea', 'alice'];
    for (const who of readers) {
      await signIn(who);
      expect(await route('approvals:listRevokedKeys', {}), who).toEqual({ ok: true, value: { keys: expectedList(), nextCursor: null } });
    }
    expect(await route('approvals:listRevokedKeys', { operator: 'Ken' })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    await c.handlers['session:lock']({}, CTX);
    expect(await route('approvals:listRevokedKeys', {})).toMatchObject({ ok: false, error: { code: 'locked' } });
  });

  it('the CLI prints the list for a viewer: --json the same value, else a table row per key in the same order', async () => {
    c.close();
    closed = true;
    const json = await as('Vera', ['approvals', 'revoked-keys', '--json']);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ keys: expectedList(), nextCursor: null });

    const human = await as('Vera', ['approvals', 'revoked-keys']);
    expect(human.code).toBe(0);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^OPERATOR\s+FINGERPRINT \(SHA-256\)\s+REVOKED AT\s+BY\s+REASON$/);
    const words: Record<'removed' | 'replaced', (r: (typeof EXPECTED_ROWS)[number]) => string> = {
      removed: (r) => `removed: ${r.reason}`,
      replaced: () => 'replaced by a new key',
    };
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/))).toEqual(
      EXPECTED_ROWS.map((r) => [r.operator, fingerprintOf(keys[r.key].publicPem), at(r.revokedHour), r.revokedBy, words[r.why](r)]),
    );
    // Extra words are a usage error (exit 2).
    expect((await as('Vera', ['approvals', 'revoked-keys', 'Ken'])).code).toBe(2);
  });
});
