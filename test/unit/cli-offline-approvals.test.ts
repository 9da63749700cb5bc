// The approver's offline CLI side (electron/ipc/cli/approvalKeyFiles.ts, docs/two-person-control.md) without a store:
// `approvals keygen` writes an encrypted Ed25519 private key 0600 and prints the public key; a short passphrase, an
// existing file without --force and unreadable inputs are typed refusals. Also the operator line of `operators list`.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import crypto from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../electron/ipc/cli/args.ts';
import { runOfflineApprovalCommand } from '../../electron/ipc/cli/approvalKeyFiles.ts';
import { formatOperator } from '../../electron/ipc/cli/format.ts';

const dir = mkdtempSync(join(tmpdir(), 'ecps-offline-approvals-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const PASS = 'approver key passphrase';

async function run(argv: string[], passphrase = PASS) {
  const lines: string[] = [];
  const asked: Array<{ confirm?: boolean }> = [];
  const code = await runOfflineApprovalCommand(parseCommandLine(argv, { ECPS_OPERATOR: 'Bea' }), {
    out: (l) => void lines.push(l),
    readKeyPassphrase: async (o) => (asked.push(o), passphrase),
    now: () => new Date('2026-06-01T08:00:00Z'),
  });
  return { code, lines, asked };
}
const refusal = (p: Promise<unknown>) => p.then(() => null, (e: { code?: string; message?: string; details?: unknown }) => ({ code: e.code, message: e.message, details: e.details }));

describe('approvals keygen', () => {
  it('writes the private key encrypted under the passphrase, mode 0600, and prints the matching public key', async () => {
    const out = join(dir, 'key.pem');
    const r = await run(['approvals', 'keygen', '--out', out]);
    expect([r.code, r.asked]).toEqual([0, [{ confirm: true }]]);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const pem = readFileSync(out, 'utf8');
    expect(pem).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----');
    const key = crypto.createPrivateKey({ key: pem, passphrase: PASS });
    expect(key.asymmetricKeyType).toBe('ed25519');
    const publicPem = crypto.createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString().trimEnd();
    expect(r.lines).toEqual([`approval private key written to ${out} (keep it on this workstation); enrol this public key with "approvals enrol":\n${publicPem}`]);
    expect(() => crypto.createPrivateKey({ key: pem, passphrase: 'another passphrase' })).toThrow();
  });

  it('--json prints the path and the public key', async () => {
    const out = join(dir, 'key-json.pem');
    const r = await run(['approvals', 'keygen', '--out', out, '--json']);
    const printed = JSON.parse(r.lines[0]!) as { out: string; publicKeyPem: string };
    expect(printed.out).toBe(out);
    expect(printed.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });

  it('refuses a passphrase under 12 characters (11 refused, 12 accepted) and writes nothing', async () => {
    const out = join(dir, 'weak.pem');
    expect(await refusal(run(['approvals', 'keygen', '--out', out], 'x'.repeat(11)))).toMatchObject({ code: 'weak_passphrase', message: 'The approval key passphrase must have at least 12 characters.' });
    expect(() => statSync(out)).toThrow();
    expect((await run(['approvals', 'keygen', '--out', out], 'x'.repeat(12))).code).toBe(0);
  });

  it('never replaces an existing file without --force (the file is unchanged); --force replaces it', async () => {
    const out = join(dir, 'taken.pem');
    writeFileSync(out, 'keep me');
    expect(await refusal(run(['approvals', 'keygen', '--out', out]))).toEqual({
      code: 'invalid_input', message: `Output file ${out} exists; it was not changed (use --force to replace it).`, details: { field: 'out' },
    });
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    expect((await run(['approvals', 'keygen', '--out', out, '--force'])).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('ENCRYPTED PRIVATE KEY');
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it('an output folder that does not exist is refused with its code, naming the field', async () => {
    const out = join(dir, 'missing', 'key.pem');
    expect(await refusal(run(['approvals', 'keygen', '--out', out]))).toEqual({ code: 'invalid_input', message: `Output file ${out} cannot be written (ENOENT).`, details: { field: 'out' } });
  });
});

describe('approvals sign', () => {
  // A request file as the console exports it (docs/two-person-control.md, "Approval files").
  const REQUEST = {
    format: 'ecps-approval-request/v1', storeId: 'store-1', requestId: '8d3c1f4e-2b6a-4c1d-9e7f-0a1b2c3d4e5f', action: 'key.destroy',
    channel: 'keys:setState', inputHash: 'ab'.repeat(32), summary: { keyId: 'k-1', state: 'destroyed' }, requester: 'Kate',
    createdAt: '2026-06-01T07:00:00.000Z', expiresAt: '2026-06-02T07:00:00.000Z', required: 1,
  };

  it('signs the request as --operator with the key (its passphrase asked once) and writes the approval file 0600', async () => {
    const key = join(dir, 'signer.pem');
    await run(['approvals', 'keygen', '--out', key]);
    const request = join(dir, 'request-ok.json');
    writeFileSync(request, JSON.stringify(REQUEST));
    const out = join(dir, 'approval.json');
    const r = await run(['approvals', 'sign', '--in', request, '--key', key, '--out', out, '--operator', 'Bea']);
    expect([r.code, r.asked]).toEqual([0, [{}]]);
    expect(r.lines).toEqual([`approved as Bea: key.destroy (keys:setState keyId=k-1 state=destroyed) requested by Kate; approval file written to ${out}`]);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const file = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    expect(file).toMatchObject({ requestId: REQUEST.requestId, approver: 'Bea', inputHash: REQUEST.inputHash });
    const json = await run(['approvals', 'sign', '--in', request, '--key', key, '--out', join(dir, 'approval2.json'), '--operator', 'Bea', '--json']);
    expect(JSON.parse(json.lines[0]!)).toEqual({ out: join(dir, 'approval2.json'), requestId: REQUEST.requestId, approver: 'Bea' });
    // A wrong key passphrase is refused and writes nothing.
    const wrong = join(dir, 'approval3.json');
    expect((await refusal(run(['approvals', 'sign', '--in', request, '--key', key, '--out', wrong, '--operator', 'Bea'], 'not the key passphrase')))?.code).toBeTruthy();
    expect(() => statSync(wrong)).toThrow();
  });

  it('a request file or key file that cannot be read is not_found, naming which', async () => {
    const key = join(dir, 'key.pem');
    const missing = join(dir, 'no-request.json');
    expect(await refusal(run(['approvals', 'sign', '--in', missing, '--key', key, '--out', join(dir, 'a.json')]))).toMatchObject({ code: 'not_found', message: `The request file ${missing} cannot be read.` });
    const request = join(dir, 'request.json');
    writeFileSync(request, 'not json');
    const r = await refusal(run(['approvals', 'sign', '--in', request, '--key', key, '--out', join(dir, 'a.json')]));
    expect(r?.code).toBe('invalid_input');
  });

  it('a readable request with a key file that cannot be read is not_found naming the approval key file, and writes nothing', async () => {
    const request = join(dir, 'request-for-missing-key.json');
    writeFileSync(request, JSON.stringify(REQUEST));
    const key = join(dir, 'no-such-key.pem');
    const out = join(dir, 'approval-missing-key.json');
    const r = await run(['approvals', 'sign', '--in', request, '--key', key, '--out', out, '--operator', 'Bea']).then(() => null, (e: { code?: string; message?: string }) => ({ code: e.code, message: e.message }));
    expect(r).toEqual({ code: 'not_found', message: `The approval key file ${key} cannot be read.` });
    expect(() => statSync(out)).toThrow();
  });
});

describe('operators list line', () => {
  const base = { name: 'bob', role: 'viewer', createdAt: '2026-06-01T08:00:00.000Z', createdBy: 'alice', passphraseChangedAt: null, secondFactor: 'totp', recoveryCodesLeft: 10, lastSignInAt: null, approvalKey: null, approvalKeyRevoked: null } as const;
  it.each([
    [{ failedAttempts: 0, retryAfterMs: 0 }, 'bob  viewer  second factor: totp  added 2026-06-01T08:00:00.000Z by alice  never signed in'],
    [{ failedAttempts: 0, retryAfterMs: 0, lastSignInAt: '2026-06-02T09:30:00.000Z' }, 'bob  viewer  second factor: totp  added 2026-06-01T08:00:00.000Z by alice  last sign-in 2026-06-02T09:30:00.000Z'],
    [{ failedAttempts: 3, retryAfterMs: 4001 }, 'bob  viewer  second factor: totp  added 2026-06-01T08:00:00.000Z by alice  never signed in, unlock paused 5 s after 3 wrong passphrases'],
    [{ failedAttempts: 4, retryAfterMs: 1 }, 'bob  viewer  second factor: totp  added 2026-06-01T08:00:00.000Z by alice  never signed in, unlock paused 1 s after 4 wrong passphrases'],
    [
      { failedAttempts: 0, retryAfterMs: 0, approvalKey: { fingerprint: `0123456789abcdef${'e'.repeat(48)}`, enrolledAt: '2026-06-01T09:00:00.000Z' } },
      'bob  viewer  second factor: totp  added 2026-06-01T08:00:00.000Z by alice  never signed in  approval key 0123456789abcdef…',
    ],
    [
      {
        failedAttempts: 0,
        retryAfterMs: 0,
        approvalKeyRevoked: { fingerprint: `fedcba9876543210${'a'.repeat(48)}`, revokedAt: '2026-06-03T10:00:00.000Z', revokedBy: 'alice', reason: 'laptop lost\nin "Lyon"' },
      },
      'bob  viewer  second factor: totp  added 2026-06-01T08:00:00.000Z by alice  never signed in  approval key fedcba9876543210… revoked 2026-06-03T10:00:00.000Z by alice ("laptop lost\\nin \\"Lyon\\"")',
    ],
    [
      { failedAttempts: 0, retryAfterMs: 0, approvalKeyRevoked: { fingerprint: `fedcba9876543210${'a'.repeat(48)}`, revokedAt: '2026-06-03T10:00:00.000Z', revokedBy: 'bob', reason: null } },
      'bob  viewer  second factor: totp  added 2026-06-01T08:00:00.000Z by alice  never signed in  approval key fedcba9876543210… revoked 2026-06-03T10:00:00.000Z by bob',
    ],
  ])('%o', (throttle, line) => {
    expect(formatOperator({ ...base, ...throttle })).toBe(line);
  });
});
