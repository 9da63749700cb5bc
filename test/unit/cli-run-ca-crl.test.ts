// `ca crl --published` (and `ca crl` beside it) run as a function (runCli) in this process on a real store, against
// docs/cli.md ("ca history / ca replace / ca revoke / ca crl") and docs/fleet-ca.md ("Who may fetch a CRL"):
// - `ca crl --published --out FILE` writes the newest CRL already published (0600), signs nothing, and every role may
//   run it; `ca crl` without it signs a fresh one (security officer or admin; others exit 1 forbidden);
// - `--json` prints the CRL number, count, file name (`ecps-fleet-ca-N.crl.pem`, or with the CA id's first 8
//   characters when `--ca-id` names it), `caId` (null without `--ca-id`) and `out`, never the PEM; the human form is
//   `CRL N (R revoked certificate(s)) -> FILE`;
// - before the CA's first CRL, `--published` exits 1 `not_found` (reason no_crl_published) and writes nothing; a store
//   with no fleet CA exits 1 `not_initialized`; an existing --out without --force exits 1 invalid_input, file kept.
// The published CRL is the officer's: the same bytes as the file `ca crl` wrote, and its number is not used up
// (the next `ca crl` signs N + 1). openssl reads the files (number, issuer signature).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { addOperators } from '../integration/support/consoleCalls.ts';
import { cli, cliEnv, cliFolder, ok, PASS, refused, seededStore, TEST_CTX, usageError, withConsole } from './cli-run-testkit.ts';

const { fresh } = cliFolder('ecps-cli-run-ca-crl-');
/** A new folder for output files. */
const outDir = () => {
  const d = fresh('out');
  mkdirSync(d);
  return d;
};
const passOf = (name: string) => (name === 'alice' ? PASS : `${name} has a long passphrase`);
const as = (name: string) => cliEnv({ ECPS_OPERATOR: name, ECPS_PASSPHRASE: passOf(name) });
const TEAM = [
  { name: 'Kate', role: 'key_custodian' },
  { name: 'Otto', role: 'security_officer' },
  { name: 'Sam', role: 'station_operator' },
  { name: 'Vera', role: 'viewer' },
] as const;
/** Every role (docs/operators.md): alice is the admin. */
const EVERY_ROLE = ['alice', 'Kate', 'Otto', 'Sam', 'Vera'];
/** Who may sign a fresh CRL (docs/cli.md: security officer or admin), and who may not. */
const SIGNERS = ['alice', 'Otto'];
const NOT_SIGNERS = ['Kate', 'Sam', 'Vera'];

function openssl(args: string[]): string {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout + r.stderr;
}
const crlNumberOf = (file: string) => Number.parseInt(/crlNumber=(?:0x)?([0-9A-F]+)/i.exec(openssl(['crl', '-in', file, '-noout', '-crlnumber']))![1]!, 16);
const mode = (file: string) => statSync(file).mode & 0o777;

async function teamStore(o: { ca: boolean }): Promise<{ dir: string; caId: string | null }> {
  const dir = await seededStore(fresh(), o);
  return withConsole(dir, async (c) => {
    await addOperators(c, { name: 'alice', passphrase: PASS }, TEAM.map((op) => ({ name: op.name, role: op.role, passphrase: passOf(op.name) })));
    return { dir, caId: o.ca ? (await c.handlers['ca:history']({}, TEST_CTX)).cas[0]!.id : null };
  });
}

let withCa: Awaited<ReturnType<typeof teamStore>>;
let noCa: Awaited<ReturnType<typeof teamStore>>;
beforeAll(async () => {
  withCa = await teamStore({ ca: true });
  noCa = await teamStore({ ca: false });
}, 120_000);

const run = (who: string, args: string[], dir = withCa.dir) => cli([...args, '--data-dir', dir], { env: as(who) });

describe('ca crl --published before any CRL, and without a fleet CA', () => {
  it('a CA that has published no CRL yet: exit 1 not_found for every role, no file written', async () => {
    for (const who of EVERY_ROLE) {
      const out = join(outDir(), 'none.pem');
      const r = await run(who, ['ca', 'crl', '--published', '--out', out]);
      refused(r, 'not_found');
      expect(r.stderr, who).toMatch(/^error \[not_found\]: This CA has published no CRL yet/);
      expect(existsSync(out), who).toBe(false);
    }
    // The same with --json: nothing on stdout, the error on stderr.
    refused(await run('Vera', ['ca', 'crl', '--published', '--json', '--out', join(outDir(), 'none.json.pem')]), 'not_found');
  });

  it('a store with no fleet CA: --published exits 1 not_initialized; so does ca crl for a signer', async () => {
    for (const who of ['Vera', 'Otto']) refused(await run(who, ['ca', 'crl', '--published', '--out', join(outDir(), 'x.pem')], noCa.dir), 'not_initialized');
    refused(await run('Otto', ['ca', 'crl', '--out', join(outDir(), 'y.pem')], noCa.dir), 'not_initialized');
  });
});

describe('ca crl: the officer signs; ca crl --published: every role saves that CRL', () => {
  /**
   * The officer publishes a CRL: `ca crl --json` gives its number and file name. Run inside each test, never in a
   * hook (a hook reaching the mutated lines makes their mutants static: vitest.mutate.config.ts).
   */
  async function officerSigns(): Promise<{ signedNumber: number; signedFile: string; signedName: string }> {
    const signedFile = join(outDir(), 'officer.pem');
    const r = ok(await run('Otto', ['ca', 'crl', '--out', signedFile, '--json']));
    const v = JSON.parse(r.stdout) as { crlNumber: number; revoked: number; fileName: string; caId: unknown; out: string; pem?: unknown };
    expect(v).toEqual({ crlNumber: crlNumberOf(signedFile), revoked: 0, fileName: `ecps-fleet-ca-${v.crlNumber}.crl.pem`, caId: null, out: signedFile });
    expect(mode(signedFile)).toBe(0o600);
    return { signedNumber: v.crlNumber, signedFile, signedName: v.fileName };
  }

  it('--published --json for every role: the number, count, file name, thisUpdate, caId null and out; the officer\'s bytes', async () => {
    const { signedNumber, signedFile, signedName } = await officerSigns();
    for (const who of EVERY_ROLE) {
      const out = join(outDir(), `published-${who}.pem`);
      const r = ok(await run(who, ['ca', 'crl', '--published', '--out', out, '--json']));
      const v = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(Object.keys(v).sort(), who).toEqual(['caId', 'crlNumber', 'fileName', 'out', 'revoked', 'thisUpdate']);
      expect(v, who).toMatchObject({ crlNumber: signedNumber, revoked: 0, fileName: signedName, caId: null, out });
      // thisUpdate is the CRL's own (openssl prints it to the second).
      const last = /lastUpdate=(.+)/.exec(openssl(['crl', '-in', out, '-noout', '-lastupdate']))![1]!;
      expect(Math.floor(Date.parse(v.thisUpdate as string) / 1000), who).toBe(Date.parse(last) / 1000);
      expect(readFileSync(out, 'utf8'), who).toBe(readFileSync(signedFile, 'utf8'));
      expect(mode(out), who).toBe(0o600);
    }
  });

  it('--published in the human form: "CRL N (0 revoked certificate(s)) -> FILE"', async () => {
    const { signedNumber } = await officerSigns();
    const out = join(outDir(), 'published-human.pem');
    const r = ok(await run('Sam', ['ca', 'crl', '--published', '--out', out]));
    expect(r.stdout).toBe(`CRL ${signedNumber} (0 revoked certificate(s)) -> ${out}\n`);
    expect(readFileSync(out, 'utf8')).toMatch(/^-----BEGIN X509 CRL-----\n[A-Za-z0-9+/=\n]+-----END X509 CRL-----\n?$/);
  });

  it('--published --ca-id names the CA: caId and the file name carry it; an unknown CA is not_found', async () => {
    const { signedNumber, signedFile } = await officerSigns();
    const out = join(outDir(), 'published-by-id.pem');
    const v = JSON.parse(ok(await run('Vera', ['ca', 'crl', '--published', '--ca-id', withCa.caId!, '--out', out, '--json'])).stdout) as Record<string, unknown>;
    expect(v).toMatchObject({ crlNumber: signedNumber, caId: withCa.caId, fileName: `ecps-fleet-ca-${withCa.caId!.slice(0, 8)}-${signedNumber}.crl.pem`, out });
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(signedFile, 'utf8'));
    refused(await run('Vera', ['ca', 'crl', '--published', '--ca-id', '00000000-0000-4000-8000-000000000000', '--out', join(outDir(), 'u.pem')]), 'not_found');
  });

  it('only a security officer or an admin signs a fresh CRL; --published signs nothing (the next CRL is N + 1)', async () => {
    const { signedNumber } = await officerSigns();
    for (const who of NOT_SIGNERS) {
      const out = join(outDir(), `fresh-${who}.pem`);
      refused(await run(who, ['ca', 'crl', '--out', out]), 'forbidden');
      expect(existsSync(out), who).toBe(false);
    }
    // Many --published reads later, the number published is still the officer's.
    const again = join(outDir(), 'published-again.pem');
    ok(await run('Vera', ['ca', 'crl', '--published', '--out', again]));
    expect(crlNumberOf(again)).toBe(signedNumber);
    const numbers: number[] = [];
    for (const who of SIGNERS) {
      const out = join(outDir(), `fresh-${who}.pem`);
      const r = ok(await run(who, ['ca', 'crl', '--out', out]));
      numbers.push(crlNumberOf(out));
      expect(r.stdout, who).toBe(`CRL ${crlNumberOf(out)} (0 revoked certificate(s)) -> ${out}\n`);
    }
    expect(numbers).toEqual([signedNumber + 1, signedNumber + 2]);
    // And --published now gives the newest.
    const newest = join(outDir(), 'published-newest.pem');
    ok(await run('Vera', ['ca', 'crl', '--published', '--out', newest]));
    expect(crlNumberOf(newest)).toBe(signedNumber + 2);
  });

  it('an existing --out: kept without --force (exit 1 invalid_input); replaced (0600) with it', async () => {
    const { signedFile } = await officerSigns();
    const out = join(outDir(), 'taken.pem');
    writeFileSync(out, 'keep me', { mode: 0o644 });
    const r = await run('Vera', ['ca', 'crl', '--published', '--out', out]);
    refused(r, 'invalid_input');
    expect(r.stderr).toContain(`Output file ${out} exists; it was not changed (use --force to replace it).`);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    // Signing into an existing file is refused before the CRL is signed: no CRL number is used up (docs/cli.md).
    const signing = await run('Otto', ['ca', 'crl', '--out', out]);
    refused(signing, 'invalid_input');
    expect(signing.stderr).toContain(`Output file ${out} exists; it was not changed (use --force to replace it).`);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    const check = join(outDir(), 'check.pem');
    ok(await run('Vera', ['ca', 'crl', '--published', '--out', check]));
    expect(readFileSync(check, 'utf8')).toBe(readFileSync(signedFile, 'utf8'));
    ok(await run('Vera', ['ca', 'crl', '--published', '--out', out, '--force']));
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(signedFile, 'utf8'));
    expect(mode(out)).toBe(0o600);
  });

  it('an --out into a folder that does not exist: exit 1 invalid_input before signing, so no CRL number is used (with or without --force)', async () => {
    const { signedNumber } = await officerSigns();
    const missing = join(outDir(), 'no-such-folder');
    const out = join(missing, 'crl.pem');
    for (const extra of [[], ['--force']]) {
      const r = await run('Otto', ['ca', 'crl', '--out', out, ...extra]);
      refused(r, 'invalid_input');
      expect(r.stderr).toContain(`Output file ${out} cannot be written: the folder ${missing} does not exist; nothing was changed.`);
      expect(existsSync(missing)).toBe(false);
    }
    // The next CRL signed takes the number right after the one signed before the refusals (docs/cli.md).
    const next = join(outDir(), 'next.pem');
    ok(await run('Otto', ['ca', 'crl', '--out', next]));
    expect(crlNumberOf(next)).toBe(signedNumber + 1);
  });

  it('usage mistakes exit 2: no --out, a value after --published, an argument', async () => {
    usageError(await run('Vera', ['ca', 'crl', '--published']));
    usageError(await run('Vera', ['ca', 'crl', '--published', 'yes', '--out', join(outDir(), 'a.pem')]));
    usageError(await run('Vera', ['ca', 'crl', 'extra', '--out', join(outDir(), 'b.pem')]));
  });
});
