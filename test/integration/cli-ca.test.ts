// The CLI's fleet CA commands (docs/cli.md, "The fleet CA"; docs/fleet-ca.md) through runCli in this process on a
// real store: ca history with dates and counts, ca replace and ca revoke --ca-id answering approval_required with the
// request id (a second officer approves, the requester executes), ca crl of the current and of a retired CA (checked
// with openssl against each CA certificate), ca crl --published by a viewer (the officer's CRL, not a new one; a compromised CA's final CRL), emergency preview --ca-id naming the retired CA, and usage mistakes (2).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openssl, robotCsr, writeFile } from './fleetca-kit.ts';
import { cliRunner } from './support/cliProcess.ts';
import { contractCaller, addOperators } from './support/consoleCalls.ts';
import { CTX, open, PASSPHRASE, removeTempDirs } from '../unit/store-testkit.ts';

const pass = (name: string) => `${name} has a long passphrase`;
const { dir, cli } = cliRunner('ecps-cli-ca-', PASSPHRASE, 'in-process');
const as = (operator: string, args: string[]) => cli(args, undefined, { ECPS_OPERATOR: operator, ECPS_PASSPHRASE: pass(operator) });
const ROBOTS = ['uv-k1', 'uv-k2'];

interface Ca { id: string; state: string; certificatePem: string; createdAt: string; certificates: { total: number; valid: number; revoked: number; expired: number } }
interface History { cas: Ca[]; renewals: Array<{ deviceId: string; caId: string; reason: string }> }
const history = async (): Promise<History> => {
  const r = await as('Otto', ['ca', 'history', '--json']);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as History;
};

/** Otto asks (exit 1, approval_required, the request id on stderr), Olga approves, Otto executes: its JSON answer. */
async function approved(args: string[]): Promise<Record<string, unknown>> {
  const before = await history();
  const asked = await as('Otto', args);
  expect(asked.code).toBe(1);
  expect(asked.stderr).toContain('error [approval_required]');
  expect(await history()).toEqual(before);
  const requests = (JSON.parse((await as('Otto', ['approvals', 'list', '--json'])).stdout) as { requests: Array<{ id: string; channel: string }> }).requests;
  const id = requests.find((q) => q.channel === `ca:${args[1]}`)!.id;
  expect(asked.stderr).toContain(id);
  expect((await as('Olga', ['approvals', 'approve', id])).code).toBe(0);
  const run = await as('Otto', ['approvals', 'execute', id, '--json']);
  expect(run.stderr).toBe('');
  return (JSON.parse(run.stdout) as { result: Record<string, unknown> }).result;
}

let firstCa: Ca;

beforeAll(async () => {
  const c = await open(join(dir, 'store'));
  const call = contractCaller(() => c);
  await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
  await addOperators(c, { name: 'alice', passphrase: PASSPHRASE }, [
    ...['Otto', 'Olga'].map((name) => ({ name, role: 'security_officer' as const, passphrase: pass(name) })),
    { name: 'Vera', role: 'viewer' as const, passphrase: pass('Vera') },
  ]);
  await call('ca:init', { providerId: 'local', algorithm: 'EC_P256', commonName: 'CLI Fleet CA' });
  const ca = await c.ca.require();
  for (const deviceId of ROBOTS) {
    await call('fleet:create', { deviceId, name: deviceId, model: 'UV-7', site: 'Plant 1' });
    const issued = await ca.issueDeviceCertificate(robotCsr(dir, `/CN=${deviceId}`, 'ec', deviceId), { deviceId });
    c.fleet.attachCertificate(deviceId, { serial: issued.serial, subject: `CN=${deviceId}`, notBefore: issued.notBefore, notAfter: issued.notAfter, pem: issued.pem });
  }
  c.close();
});

afterAll(() => removeTempDirs());

describe('ca commands', () => {
  it('ca history: the current CA with its dates and counts', async () => {
    const h = await history();
    expect(h.cas.map((x) => [x.state, x.certificates])).toEqual([['current', { total: 2, valid: 2, revoked: 0, expired: 0 }]]);
    firstCa = h.cas[0]!;
    const text = (await as('Otto', ['ca', 'history'])).stdout;
    expect(text).toContain(`${firstCa.id}  current`);
    expect(text).toContain('certificates 2 (2 valid, 0 revoked, 0 expired)');
    expect(text).toContain('no robot needs a certificate from the current CA');
  });

  it('ca replace: guarded; once approved and executed the old CA is retired and its robots flagged', async () => {
    const result = await approved(['ca', 'replace', '--common-name', 'CLI Fleet CA 2', '--reason', 'planned replacement']);
    expect([...(result.flagged as string[])].sort()).toEqual(ROBOTS);
    const h = await history();
    expect(h.cas.map((x) => x.state)).toEqual(['current', 'retired']);
    expect(h.cas[1]!.id).toBe(firstCa.id);
    expect(h.renewals.map((r) => [r.deviceId, r.caId, r.reason])).toEqual(ROBOTS.map((d) => [d, firstCa.id, 'ca_replaced']));
  });

  it('ca crl: the current CA\'s and, with --ca-id, the retired CA\'s, each signed by its own CA', async () => {
    const h = await history();
    for (const [ca, args] of [[h.cas[0]!, []], [firstCa, ['--ca-id', firstCa.id]]] as const) {
      const out = join(dir, `crl-${ca.id}.pem`);
      const r = await as('Otto', ['ca', 'crl', ...args, '--out', out, '--json']);
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toMatchObject({ out, caId: args.length ? ca.id : null });
      const caFile = writeFile(dir, `ca-${ca.id}.pem`, ca.certificatePem);
      expect(openssl(dir, ['crl', '-in', out, '-noout', '-CAfile', caFile]).out).toMatch(/verify OK/);
      expect(readFileSync(out, 'utf8')).toContain('BEGIN X509 CRL');
    }
    // An existing file is kept without --force, and refused before a CRL is signed: no CRL number is used up.
    const published = async (name: string) => (JSON.parse((await as('Otto', ['ca', 'crl', '--published', '--out', join(dir, name), '--json'])).stdout) as { crlNumber: number }).crlNumber;
    const numberBefore = await published('published-before-refusal.pem');
    const again = await as('Otto', ['ca', 'crl', '--out', join(dir, `crl-${h.cas[0]!.id}.pem`)]);
    expect([again.code, again.stderr]).toEqual([1, expect.stringContaining('--force')]);
    expect(await published('published-after-refusal.pem')).toBe(numberBefore);
  });

  it('ca crl --published: a viewer saves the CRL the officer published (the same bytes), but may not sign one', async () => {
    const h = await history();
    for (const [ca, args] of [[h.cas[0]!, []], [firstCa, ['--ca-id', firstCa.id]]] as const) {
      const signed = join(dir, `crl-now-${ca.id}.pem`);
      expect((await as('Otto', ['ca', 'crl', ...args, '--out', signed])).code).toBe(0);
      const out = join(dir, `published-${ca.id}.pem`);
      const r = await as('Vera', ['ca', 'crl', '--published', ...args, '--out', out, '--json']);
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toMatchObject({ out, caId: args.length ? ca.id : null });
      // The officer's file: nothing was signed since.
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(signed, 'utf8'));
    }
    const refused = await as('Vera', ['ca', 'crl', '--out', join(dir, 'vera-fresh.pem')]);
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringContaining('error [forbidden]')]);
  });

  it('emergency preview --ca-id names the retired CA that --revoke-ca would revoke', async () => {
    const r = await as('Otto', ['emergency', 'preview', '--fleet', '--ca-id', firstCa.id, '--json']);
    expect(r.stderr).toBe('');
    expect((JSON.parse(r.stdout) as { ca: unknown }).ca).toMatchObject({ caId: firstCa.id, state: 'retired', certificates: 2, robots: 2 });
  });

  it('ca revoke --ca-id: guarded; the retired CA becomes compromised, every certificate of it revoked', async () => {
    const result = await approved(['ca', 'revoke', '--ca-id', firstCa.id, '--reason', 'old CA key leaked']);
    expect((result.revokedSerials as string[]).length).toBe(2);
    const h = await history();
    expect(h.cas.map((x) => [x.id, x.state])).toEqual([[h.cas[0]!.id, 'current'], [firstCa.id, 'compromised']]);
    expect(h.cas[1]!.certificates).toEqual({ total: 2, valid: 0, revoked: 2, expired: 0 });
    // A viewer fetches the compromised CA's final CRL (stored at the revocation, not signed again): both serials,
    // reason cACompromise, signed by that CA.
    const out = join(dir, 'published-compromised.pem');
    const r = await as('Vera', ['ca', 'crl', '--published', '--ca-id', firstCa.id, '--out', out, '--json']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ revoked: 2, caId: firstCa.id });
    const caFile = writeFile(dir, 'compromised-ca.pem', firstCa.certificatePem);
    const text = openssl(dir, ['crl', '-in', out, '-noout', '-text', '-CAfile', caFile]).out;
    expect(text).toMatch(/verify OK/);
    const listed = [...text.matchAll(/Serial Number: ([0-9A-F]+)/gi)].map((m) => m[1]!.toLowerCase()).sort();
    expect(listed).toEqual((result.revokedSerials as string[]).map((x) => x.toLowerCase()).sort());
    expect(text.match(/CA Compromise/g)).toHaveLength(2);
  });

  it('usage mistakes exit 2', async () => {
    for (const args of [['ca', 'revoke'], ['ca', 'crl'], ['ca', 'replace', '--reason', 'x'], ['ca', 'history', 'extra']]) {
      expect((await as('Otto', args)).code, args.join(' ')).toBe(2);
    }
  });
});
