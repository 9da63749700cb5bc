// `approvals keys` and `approvals revoked-keys` run as a function (runCli) in this process on a real store, against
// docs/cli.md ("approvals revoked-keys ... approvals keys ...", "Both lists page as rotation batch status ID does") and
// docs/two-person-control.md ("Paging the key lists"): every role reads both lists; rows come newest first (enrolment,
// or revocation), then by operator (enrolled) or by fingerprint (revoked); `--json` prints the channel's answer
// {keys, nextCursor}; `--limit N` keys a page (over 500 exits 1 invalid_input, not a number from 1 to 1000 exits 2), a
// line `N key(s) on this page; next page: --after CURSOR` when more follow, `--after CURSOR` the next page (another
// list's cursor exits 1 invalid_input), `--all` every page (the header once, then `N key(s)`; with --json one document
// with nextCursor null), `--after` with `--all` exits 2.
// The keys are enrolled at hours written in the table below on a manual clock, so every row, time and cursor (base64url
// of the JSON array [list, time, name], docs/two-person-control.md) is written here, not read from the console.
// Every test runs its own commands (each opens and closes its console); the store is seeded once per file, before
// any command, through the console's handlers (never measured by Stryker: no mutated CLI line runs there).
import crypto from 'node:crypto';
import { describe, expect, it, beforeAll } from 'vitest';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { silentLogger } from '../../electron/logger.ts';
import { generateApprovalKey } from '../../electron/services/approvals/approvalFile.ts';
import { addOperators } from '../integration/support/consoleCalls.ts';
import { cli, cliEnv, cliFolder, ok, PASS, refused, TEST_CTX, usageError } from './cli-run-testkit.ts';

const { fresh } = cliFolder('ecps-cli-run-approval-keys-');
const passOf = (name: string) => (name === 'alice' ? PASS : `${name} has a long passphrase`);
const as = (name: string) => cliEnv({ ECPS_OPERATOR: name, ECPS_PASSPHRASE: passOf(name) });

const TEAM = [
  { name: 'Dora', role: 'key_custodian' },
  { name: 'Eve', role: 'security_officer' },
  { name: 'Abe', role: 'viewer' },
  { name: 'Cy', role: 'station_operator' },
] as const;
const ROLES_OF_EVERYONE = ['alice', 'Abe', 'Cy', 'Dora', 'Eve'];

const T0 = Date.parse('2026-05-04T09:00:00.000Z');
const at = (hours: number) => new Date(T0 + hours * 3600_000).toISOString();
const fingerprintOf = (publicPem: string) => crypto.createHash('sha256').update(crypto.createPublicKey(publicPem).export({ format: 'der', type: 'spki' })).digest('hex');
const KEY_PASS = 'approval key passphrase';
const newKey = () => fingerprintAnd(generateApprovalKey(KEY_PASS).publicPem);
const fingerprintAnd = (publicPem: string) => ({ publicPem, fingerprint: fingerprintOf(publicPem) });

/** What happens, hour by hour: enrolments, Eve replacing her key, alice (admin) removing Cy's. */
type Step = { hour: number; who: string } & ({ enrol: string } | { revoke: string; reason: string });
const STEPS: Step[] = [
  { hour: 0, who: 'Dora', enrol: 'dora1' },
  { hour: 0, who: 'Abe', enrol: 'abe1' },
  { hour: 1, who: 'Cy', enrol: 'cy1' },
  { hour: 2, who: 'Eve', enrol: 'eve1' },
  { hour: 3, who: 'alice', enrol: 'alice1' },
  { hour: 4, who: 'Eve', enrol: 'eve2' },
  { hour: 5, who: 'alice', revoke: 'Cy', reason: 'Cy left the team' },
];
const KEYS = new Map<string, { publicPem: string; fingerprint: string }>(['dora1', 'abe1', 'cy1', 'eve1', 'alice1', 'eve2'].map((k) => [k, newKey()]));
const fp = (k: string) => KEYS.get(k)!.fingerprint;

/** Enrolled now, newest enrolment first, then by operator (written from STEPS). */
const ENROLLED = [
  { operator: 'Eve', key: 'eve2', hour: 4 },
  { operator: 'alice', key: 'alice1', hour: 3 },
  { operator: 'Abe', key: 'abe1', hour: 0 },
  { operator: 'Dora', key: 'dora1', hour: 0 },
].map((r) => ({ operator: r.operator, fingerprint: fp(r.key), enrolledAt: at(r.hour), operatorRemoved: false }));
/** Revoked, newest revocation first (written from STEPS): Cy's removed by alice at 5, Eve's first replaced at 4. */
const REVOKED = [
  { operator: 'Cy', fingerprint: fp('cy1'), enrolledAt: at(1), revokedAt: at(5), revokedBy: 'alice', why: 'removed', reason: 'Cy left the team' },
  { operator: 'Eve', fingerprint: fp('eve1'), enrolledAt: at(2), revokedAt: at(4), revokedBy: 'Eve', why: 'replaced', reason: null },
];

/** The text table of docs/cli.md: the header, then one row per key, columns two spaces apart, padded to the widest. */
const OP = 'OPERATOR'.length;
const FPW = 64;
const enrolledHeader = `${'OPERATOR'.padEnd(OP)}  ${'FINGERPRINT (SHA-256)'.padEnd(FPW)}  ENROLLED AT`;
const enrolledLine = (r: (typeof ENROLLED)[number]) => `${r.operator.padEnd(OP)}  ${r.fingerprint}  ${r.enrolledAt}`;
const REVOKED_REASON = ['removed: Cy left the team', 'replaced by a new key'];
const revokedHeader = `${'OPERATOR'.padEnd(OP)}  ${'FINGERPRINT (SHA-256)'.padEnd(FPW)}  ${'REVOKED AT'.padEnd(24)}  ${'BY'.padEnd(5)}  REASON`;
const revokedLine = (i: number) => {
  const r = REVOKED[i]!;
  return `${r.operator.padEnd(OP)}  ${r.fingerprint}  ${r.revokedAt}  ${r.revokedBy.padEnd(5)}  ${REVOKED_REASON[i]}`;
};
const cursor = (list: 'keys' | 'revoked', time: string, name: string) => Buffer.from(JSON.stringify([list, time, name]), 'utf8').toString('base64url');

let dir = '';
let emptyDir = '';
beforeAll(async () => {
  dir = fresh();
  const clock = manualClock(T0);
  const c: FleetConsole = await createConsole({ dataDir: dir, kdf: { N: 1024, r: 8, p: 1 }, logger: silentLogger, rotation: { scheduler: false }, clock });
  try {
    await c.handlers['session:init']({ operator: 'alice', passphrase: PASS }, TEST_CTX);
    // Eve, an approver added after Dora, needs Dora's approval (docs/two-person-control.md "Adding an approver").
    await addOperators(c, { name: 'alice', passphrase: PASS }, TEAM.map((op) => ({ name: op.name, role: op.role, passphrase: passOf(op.name) })));
    for (const step of STEPS) {
      clock.set(Date.parse(at(step.hour)));
      if ((await c.handlers['session:status']({}, TEST_CTX)).state === 'unlocked') await c.handlers['session:lock']({}, TEST_CTX);
      await c.handlers['session:unlock']({ operator: step.who, passphrase: passOf(step.who) }, TEST_CTX);
      if ('enrol' in step) await c.handlers['approvals:enrolKey']({ publicKeyPem: KEYS.get(step.enrol)!.publicPem }, TEST_CTX);
      else await c.handlers['approvals:revokeKey']({ operator: step.revoke, reason: step.reason }, TEST_CTX);
    }
  } finally {
    c.close();
  }
  emptyDir = fresh('empty');
  const e = await createConsole({ dataDir: emptyDir, kdf: { N: 1024, r: 8, p: 1 }, logger: silentLogger, rotation: { scheduler: false } });
  try {
    await e.handlers['session:init']({ operator: 'alice', passphrase: PASS }, TEST_CTX);
  } finally {
    e.close();
  }
}, 120_000);

const run = (args: string[], who = 'Abe', where = dir) => cli([...args, '--data-dir', where], { env: as(who) });
const json = async (args: string[], who = 'Abe') => JSON.parse(ok(await run([...args, '--json'], who)).stdout) as unknown;

describe('approvals keys (docs/cli.md): who has an approval key enrolled now', () => {
  it('--json prints the channel\'s answer, newest enrolment first then by operator, for every role', async () => {
    for (const who of ROLES_OF_EVERYONE) expect(await json(['approvals', 'keys'], who), who).toEqual({ keys: ENROLLED, nextCursor: null });
  });

  it('prints the table (OPERATOR, FINGERPRINT (SHA-256), ENROLLED AT), and no next-page line when the list fits a page', async () => {
    const r = ok(await run(['approvals', 'keys']));
    expect(r.stdout).toBe([enrolledHeader, ...ENROLLED.map(enrolledLine)].join('\n') + '\n');
  });

  it('--limit 3: the first page and the cursor of the next; --after CURSOR: the page after it, the last (no line)', async () => {
    const first = ok(await run(['approvals', 'keys', '--limit', '3']));
    const next = cursor('keys', ENROLLED[2]!.enrolledAt, ENROLLED[2]!.operator);
    expect(first.stdout).toBe([enrolledHeader, ...ENROLLED.slice(0, 3).map(enrolledLine), `3 key(s) on this page; next page: --after ${next}`].join('\n') + '\n');
    const second = ok(await run(['approvals', 'keys', '--limit', '3', '--after', next]));
    expect(second.stdout).toBe([enrolledHeader, enrolledLine(ENROLLED[3]!)].join('\n') + '\n');
    // --after without --limit: the channel's default page (100) after that cursor.
    expect(await json(['approvals', 'keys', '--after', cursor('keys', ENROLLED[0]!.enrolledAt, ENROLLED[0]!.operator)])).toEqual({ keys: ENROLLED.slice(1), nextCursor: null });
    // --json of a page: the page and its nextCursor.
    expect(await json(['approvals', 'keys', '--limit', '1'])).toEqual({ keys: ENROLLED.slice(0, 1), nextCursor: cursor('keys', ENROLLED[0]!.enrolledAt, ENROLLED[0]!.operator) });
  });

  it('--all: every page as it is read, the header once, then N key(s); --all --json: one document, nextCursor null', async () => {
    for (const limit of ['1', '3', '500']) {
      const r = ok(await run(['approvals', 'keys', '--all', '--limit', limit]));
      expect(r.stdout, `--limit ${limit}`).toBe([enrolledHeader, ...ENROLLED.map(enrolledLine), '4 key(s)'].join('\n') + '\n');
      expect(await json(['approvals', 'keys', '--all', '--limit', limit]), `--limit ${limit}`).toEqual({ keys: ENROLLED, nextCursor: null });
    }
    expect(ok(await run(['approvals', 'keys', '--all'])).stdout).toBe([enrolledHeader, ...ENROLLED.map(enrolledLine), '4 key(s)'].join('\n') + '\n');
  });

  it('a store where no key is enrolled says so (exit 0)', async () => {
    expect(ok(await run(['approvals', 'keys'], 'alice', emptyDir)).stdout).toBe('no approval key is enrolled\n');
    expect(JSON.parse(ok(await run(['approvals', 'keys', '--json'], 'alice', emptyDir)).stdout)).toEqual({ keys: [], nextCursor: null });
    expect(ok(await run(['approvals', 'keys', '--all'], 'alice', emptyDir)).stdout).toBe('no approval key is enrolled\n0 key(s)\n');
  });
});

describe('approvals revoked-keys (docs/cli.md): the revoked keys, who, when, why', () => {
  it('--json prints the channel\'s answer (with enrolledAt and why), newest revocation first, for every role', async () => {
    for (const who of ROLES_OF_EVERYONE) expect(await json(['approvals', 'revoked-keys'], who), who).toEqual({ keys: REVOKED, nextCursor: null });
  });

  it('prints the table (OPERATOR, FINGERPRINT (SHA-256), REVOKED AT, BY, REASON): removed: REASON, or replaced by a new key', async () => {
    expect(ok(await run(['approvals', 'revoked-keys'])).stdout).toBe([revokedHeader, revokedLine(0), revokedLine(1)].join('\n') + '\n');
  });

  it('--limit 1 pages it; --after the printed cursor gives the next; --all prints every page once', async () => {
    const next = cursor('revoked', REVOKED[0]!.revokedAt, REVOKED[0]!.fingerprint);
    // The column widths are the page's own: a page of one row pads to that row.
    const one = (i: number) => {
      const r = REVOKED[i]!;
      return [`${'OPERATOR'.padEnd(OP)}  ${'FINGERPRINT (SHA-256)'.padEnd(FPW)}  ${'REVOKED AT'.padEnd(24)}  ${'BY'.padEnd(r.revokedBy.length)}  REASON`, `${r.operator.padEnd(OP)}  ${r.fingerprint}  ${r.revokedAt}  ${r.revokedBy}  ${REVOKED_REASON[i]}`];
    };
    expect(ok(await run(['approvals', 'revoked-keys', '--limit', '1'])).stdout).toBe([...one(0), `1 key(s) on this page; next page: --after ${next}`].join('\n') + '\n');
    expect(ok(await run(['approvals', 'revoked-keys', '--limit', '1', '--after', next])).stdout).toBe(one(1).join('\n') + '\n');
    expect(await json(['approvals', 'revoked-keys', '--limit', '1', '--after', next])).toEqual({ keys: REVOKED.slice(1), nextCursor: null });
    const all = ok(await run(['approvals', 'revoked-keys', '--all', '--limit', '1'])).stdout;
    // The header once (the first page's), then each row as its page is read.
    expect(all).toBe([...one(0), one(1)[1], '2 key(s)'].join('\n') + '\n');
    expect(await json(['approvals', 'revoked-keys', '--all', '--limit', '1'])).toEqual({ keys: REVOKED, nextCursor: null });
  });

  it('a store where no key was revoked says so (exit 0)', async () => {
    expect(ok(await run(['approvals', 'revoked-keys'], 'alice', emptyDir)).stdout).toBe('no approval key has been revoked\n');
    expect(JSON.parse(ok(await run(['approvals', 'revoked-keys', '--json'], 'alice', emptyDir)).stdout)).toEqual({ keys: [], nextCursor: null });
  });
});

describe('the lists\' mistakes: usage (exit 2) and refusals (exit 1)', () => {
  // [args, exit 2 (usage) or the refusal's code]
  const ROWS: Array<[string[], 'usage' | 'invalid_input']> = [
    [['approvals', 'keys', '--limit', '0'], 'usage'],
    [['approvals', 'keys', '--limit', '1001'], 'usage'],
    [['approvals', 'keys', '--limit', 'ten'], 'usage'],
    [['approvals', 'revoked-keys', '--limit', '-1'], 'usage'],
    [['approvals', 'keys', '--all', '--after', cursor('keys', at(0), 'Abe')], 'usage'],
    [['approvals', 'revoked-keys', '--all', '--after', cursor('revoked', at(4), 'x')], 'usage'],
    [['approvals', 'keys', 'extra'], 'usage'],
    [['approvals', 'revoked-keys', 'extra'], 'usage'],
    [['approvals', 'keys', '--limit', '501'], 'invalid_input'],
    [['approvals', 'revoked-keys', '--limit', '501'], 'invalid_input'],
    [['approvals', 'keys', '--after', 'not-a-cursor'], 'invalid_input'],
    // The other list's cursor.
    [['approvals', 'keys', '--after', cursor('revoked', REVOKED[0]!.revokedAt, REVOKED[0]!.fingerprint)], 'invalid_input'],
    [['approvals', 'revoked-keys', '--after', cursor('keys', ENROLLED[0]!.enrolledAt, 'Eve')], 'invalid_input'],
  ];
  it.each(ROWS)('%j -> %s', async (args, expected) => {
    const r = await run(args);
    if (expected === 'usage') usageError(r);
    else refused(r, expected);
  });

  it('a wrong passphrase: the store stays locked, exit 1 wrong_passphrase, nothing listed', async () => {
    refused(await cli(['approvals', 'keys', '--data-dir', dir], { env: cliEnv({ ECPS_OPERATOR: 'Abe', ECPS_PASSPHRASE: 'not the passphrase of Abe' }) }), 'wrong_passphrase');
    refused(await cli(['approvals', 'revoked-keys', '--data-dir', dir], { env: cliEnv({ ECPS_OPERATOR: 'Abe', ECPS_PASSPHRASE: 'not the passphrase of Abe' }) }), 'wrong_passphrase');
  });
});
