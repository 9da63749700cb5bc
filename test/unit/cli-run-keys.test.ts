// The CLI's signature, key backup and migration commands (electron/ipc/cli/commands.ts, keysCli.ts through runCli, in
// this process) against docs/cli.md ("Signatures, key backups and migration") and the role table of
// shared/permissions.ts / docs/operators.md: `keys sign / verify / backup / verify-backup / migrate`. The exit code
// must tell the truth for scripts: a signature checked by Node's own crypto against the key's public key, a flipped
// byte in the data or in the signature exits 1 with signature_invalid, an altered backup row exits 1 with
// integrity_failure, and a migration that stops on a key (the AWS KMS emulator on 127.0.0.1 down) exits 1 with the
// failure's code. Every test seeds its own store.
import Database from 'better-sqlite3';
import crypto from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorRole } from '../../shared/operatorsContract.ts';
import type { AwsKmsEmulator } from '../emulators/aws-kms/index.ts';
import { startTestEmulator, TEST_CREDENTIALS, TEST_REGION } from '../emulators/aws-kms/testkit.ts';
import { asBob, auditRows, BOB_PASS, cli, cliEnv, cliFolder, ok, refused, seededStore, TEST_CTX, withConsole, usageError, type Run } from './cli-run-testkit.ts';

const { fresh } = cliFolder('ecps-cli-keys-');
const CAROL_PASS = 'carol keeps the keys safe 42';
const STEVE_PASS = 'steve provisions the robots 7';
const SALLY_PASS = 'sally watches for incidents 9';
/** The limits docs/cli.md states for keys sign / verify: the file at most 1 MiB, the signature at most 1536 bytes. */
const MAX_DATA = 1024 * 1024;
const MAX_SIG = 1536;

let emu: AwsKmsEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(async () => {
  await emu?.close();
});

/** The settings docs/providers.md names for AWS KMS (the emulator); one attempt, a short deadline. */
const awsConfig = (id: string) => ({
  provider: 'aws_kms', id, region: TEST_REGION, endpoint: emu.endpoint, aws_access_key_id: TEST_CREDENTIALS.accessKeyId,
  aws_secret_access_key: TEST_CREDENTIALS.secretAccessKey, use_kms_for_storage: false, retries: 0, timeout_ms: 5000,
});

type Call = <T>(channel: string, input: unknown) => Promise<T>;

/** A store (alice admin, bob viewer, carol key custodian, steve station operator, sally security officer) and a runner. */
async function store(seed?: (call: Call) => Promise<void>): Promise<{ dir: string; run: (args: string[], env?: NodeJS.ProcessEnv) => Promise<Run> }> {
  const dir = await seededStore(fresh());
  await withConsole(dir, async (c) => {
    const call: Call = (channel, input) => (c.handlers as unknown as Record<string, (i: unknown, ctx: typeof TEST_CTX) => Promise<never>>)[channel]!(input, TEST_CTX);
    // A second approver would need the first one's approval (operator.approver): alice, alone, turns that off first.
    const { policies } = await call<{ policies: Array<{ action: string; approvals: number; roles: string[]; operators: string[]; ttlSeconds: number }> }>('approvals:policies', {});
    const approver = policies.find((p) => p.action === 'operator.approver')!;
    await call('approvals:setPolicy', { policy: { action: approver.action, approvals: 0, roles: approver.roles, operators: approver.operators, ttlSeconds: approver.ttlSeconds } });
    await call('operators:add', { name: 'carol', role: 'key_custodian', passphrase: CAROL_PASS });
    await call('operators:add', { name: 'steve', role: 'station_operator', passphrase: STEVE_PASS });
    await call('operators:add', { name: 'sally', role: 'security_officer', passphrase: SALLY_PASS });
    await seed?.(call);
  });
  const run = (args: string[], env = cliEnv()) => cli([...args, '--data-dir', dir], { env });
  return { dir, run };
}

/** Creates a key through the console (outside any command) and returns its id. */
async function createKey(dir: string, input: Record<string, unknown>): Promise<string> {
  return withConsole(dir, async (c) => (await c.handlers['keys:create'](input as never, TEST_CTX)).id);
}

async function publicPem(dir: string, keyId: string, version?: number): Promise<string> {
  return withConsole(dir, async (c) => (await c.handlers['keys:publicKey']({ keyId, ...(version === undefined ? {} : { version }) }, TEST_CTX)).pem);
}

/** Node's own check of a signature, as a robot or openssl would make it (the algorithms of docs/ciphertext-format.md). */
function nodeVerifies(algorithm: 'EC_P256' | 'RSA_2048', pem: string, data: Buffer, signature: Buffer): boolean {
  if (algorithm === 'EC_P256') return crypto.verify('sha256', data, { key: pem, dsaEncoding: 'der' }, signature);
  return crypto.verify('sha256', data, { key: pem, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_AUTO }, signature);
}

const flipped = (b: Buffer, at: number) => {
  const c = Buffer.from(b);
  c[at] = c[at]! ^ 0x01;
  return c;
};

/** A file's bytes: a pattern that is not all one value, so a flipped byte is a different file. */
const sample = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff));

/** A keys job's progress line on stderr, as docs/cli.md writes it: `migrate|backup JOB: N/M key(s) (F failed)`. */
const PROGRESS = /^(migrate|backup) ([0-9a-f-]{36}): (\d+)\/(\d+) keys? \((\d+) failed\)$/;
/** stderr read as progress lines: [verb, job, done, total, failed] each; any other line fails the test. */
function progressLines(stderr: string): Array<[string, string, number, number, number]> {
  return stderr.split('\n').filter((l) => l !== '').map((l) => {
    const m = PROGRESS.exec(l);
    expect(m, `not a progress line: ${l}`).not.toBeNull();
    return [m![1]!, m![2]!, Number(m![3]), Number(m![4]), Number(m![5])];
  });
}
/** Exit 0 with only progress lines on stderr (of `verb`, one job); returns the run and the lines' done counts. */
function okWithProgress(r: Run, verb: string): Run & { done: number[] } {
  expect(r.code, r.stderr).toBe(0);
  const lines = progressLines(r.stderr);
  expect(new Set(lines.map((l) => `${l[0]} ${l[1]}`)).size).toBeLessThanOrEqual(1);
  for (const l of lines) expect(l[0]).toBe(verb);
  return { ...r, done: lines.map((l) => l[2]) };
}

describe('keys sign / keys verify: the raw signature, checked by Node; exit 1 signature_invalid when it does not verify', () => {
  it.each([
    ['EC_P256', 'device_identity', 'ECDSA-P256-SHA256-DER'],
    ['RSA_2048', 'emergency', 'RSASSA-PSS-SHA256'],
  ] as const)('%s: signs, verifies, and refuses a flipped byte in the file and in the signature', async (algorithm, type, named) => {
    const { dir, run } = await store();
    const keyId = await createKey(dir, { type, label: `signer ${algorithm}`, algorithm });
    const data = sample(3000);
    const file = join(dir, 'firmware.bin');
    const sig = join(dir, 'firmware.sig');
    writeFileSync(file, data);

    const signed = ok(await run(['keys', 'sign', keyId, '--in', file, '--out', sig]));
    expect(signed.stdout).toBe(`signed 3000 bytes with key ${keyId} v1 (${named}) -> ${sig}\n`);
    const signature = readFileSync(sig);
    expect(statSync(sig).mode & 0o777).toBe(0o600);
    expect(nodeVerifies(algorithm, await publicPem(dir, keyId), data, signature)).toBe(true);
    // no temp file left beside it
    expect(readdirSync(dir).filter((n) => n.includes('.partial'))).toEqual([]);

    expect(ok(await run(['keys', 'verify', keyId, '--in', file, '--sig', sig])).stdout).toBe(`signature ${sig} verifies over ${file} under key ${keyId} (its current version)\n`);
    expect(JSON.parse(ok(await run(['keys', 'verify', keyId, '--in', file, '--sig', sig, '--json'])).stdout)).toEqual({ keyId, version: null, valid: true });

    // a flipped byte anywhere in the file, or in the signature: exit 1, signature_invalid, nothing on stdout
    for (const at of [0, 1500, 2999]) {
      writeFileSync(join(dir, 'altered.bin'), flipped(data, at));
      const r = await run(['keys', 'verify', keyId, '--in', join(dir, 'altered.bin'), '--sig', sig]);
      refused(r, 'signature_invalid');
      expect(r.stderr).toContain(`error [signature_invalid]: The signature in ${sig} does not verify over ${join(dir, 'altered.bin')} under key ${keyId} (its current version).`);
    }
    for (const at of [0, Math.floor(signature.length / 2), signature.length - 1]) {
      writeFileSync(join(dir, 'altered.sig'), flipped(signature, at));
      refused(await run(['keys', 'verify', keyId, '--in', file, '--sig', join(dir, 'altered.sig')]), 'signature_invalid');
      refused(await run(['keys', 'verify', keyId, '--in', file, '--sig', join(dir, 'altered.sig'), '--json']), 'signature_invalid');
    }
    // a signature cut short, and an empty one
    writeFileSync(join(dir, 'short.sig'), signature.subarray(0, signature.length - 1));
    refused(await run(['keys', 'verify', keyId, '--in', file, '--sig', join(dir, 'short.sig')]), 'signature_invalid');
    writeFileSync(join(dir, 'empty.sig'), Buffer.alloc(0));
    refused(await run(['keys', 'verify', keyId, '--in', file, '--sig', join(dir, 'empty.sig')]), 'signature_invalid');

    const audit = auditRows(dir);
    expect(audit.filter((r) => r.action === 'key.sign').map((r) => [r.actor, r.outcome, r.details.bytes])).toEqual([['alice', 'success', 3000]]);
    const verdicts = audit.filter((r) => r.action === 'key.verify').map((r) => r.details.valid);
    expect(verdicts).toEqual([true, true, false, false, false, false, false, false, false, false, false, false, false]);
  });

  it('after a rotation the old signature verifies with --version 1 only; the output is never overwritten without --force', async () => {
    const { dir, run } = await store();
    const keyId = await createKey(dir, { type: 'device_identity', label: 'rotating signer', algorithm: 'EC_P256' });
    const file = join(dir, 'data.bin');
    const sig = join(dir, 'data.sig');
    writeFileSync(file, sample(100));
    ok(await run(['keys', 'sign', keyId, '--in', file, '--out', sig]));
    const first = readFileSync(sig);

    // an existing --out: refused before the key signs (its one key.sign record is the refusal's), the file unchanged
    const again = await run(['keys', 'sign', keyId, '--in', file, '--out', sig]);
    refused(again, 'invalid_input');
    expect(again.stderr).toContain(`Output file ${sig} exists; it was not changed (use --force to replace it).`);
    expect(readFileSync(sig)).toEqual(first);
    expect(auditRows(dir).filter((r) => r.action === 'key.sign').map((r) => r.outcome)).toEqual(['success', 'failure']);

    await withConsole(dir, async (c) => {
      await c.handlers['keys:rotate']({ keyId }, TEST_CTX);
    });
    refused(await run(['keys', 'verify', keyId, '--in', file, '--sig', sig]), 'signature_invalid');
    expect(ok(await run(['keys', 'verify', keyId, '--in', file, '--sig', sig, '--version', '1'])).stdout).toBe(`signature ${sig} verifies over ${file} under key ${keyId} v1\n`);
    const v2 = await run(['keys', 'verify', keyId, '--in', file, '--sig', sig, '--version', '2']);
    refused(v2, 'signature_invalid');
    expect(v2.stderr).toContain(`under key ${keyId} v2.`);

    // --force replaces it (0600 again) with a signature by v2
    writeFileSync(sig, first, { mode: 0o644 });
    const forced = JSON.parse(ok(await run(['keys', 'sign', keyId, '--in', file, '--out', sig, '--force', '--json'])).stdout) as Record<string, unknown>;
    expect(forced).toEqual({ keyId, version: 2, algorithm: 'ECDSA-P256-SHA256-DER', bytes: 100, signatureBytes: readFileSync(sig).length, out: sig });
    expect(statSync(sig).mode & 0o777).toBe(0o600);
    expect(nodeVerifies('EC_P256', await publicPem(dir, keyId, 2), readFileSync(file), readFileSync(sig))).toBe(true);
    ok(await run(['keys', 'verify', keyId, '--in', file, '--sig', sig]));
  });

  it('an --out that exists is refused after sign-in and before the key signs: one failed key.sign record, refusedBy cli (docs/cli.md)', async () => {
    const { dir, run } = await store();
    const keyId = await createKey(dir, { type: 'device_identity', label: 'signer', algorithm: 'EC_P256' });
    const file = join(dir, 'data.bin');
    writeFileSync(file, sample(64));
    const taken = join(dir, 'taken.sig');
    writeFileSync(taken, 'an earlier signature');
    const why = { code: 'invalid_input', refusal: `Output file ${taken} exists; it was not changed (use --force to replace it).`, field: 'out', refusedBy: 'cli' };
    type Row = { actor: string; action: string; target_type: string | null; target_id: string | null; outcome: string; details: Record<string, unknown> };
    const rows = (): Row[] => {
      const db = new Database(join(dir, 'console.db'), { readonly: true });
      try {
        return (db.prepare('SELECT actor, action, target_type, target_id, outcome, details FROM audit_records ORDER BY seq').all() as Array<Row & { details: string }>)
          .map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }));
      } finally {
        db.close();
      }
    };
    // [who, the command's env, its error code, the records of key.sign / access.denied / session.unlock it adds].
    const cases: Array<[string, NodeJS.ProcessEnv, string, Array<Partial<Row>>]> = [
      ['the key custodian', cliEnv({ ECPS_OPERATOR: 'carol', ECPS_PASSPHRASE: CAROL_PASS }), 'invalid_input',
        [{ actor: 'carol', action: 'session.unlock', outcome: 'success' }, { actor: 'carol', action: 'key.sign', target_type: 'key', target_id: keyId, outcome: 'failure', details: why }]],
      ['a viewer: forbidden first (audited as such), no key.sign record', asBob(), 'forbidden',
        [{ actor: 'bob', action: 'session.unlock', outcome: 'success' }, { actor: 'bob', action: 'access.denied', target_type: 'channel', target_id: 'keys:sign', outcome: 'failure' }]],
      ['a wrong passphrase: refused at sign-in, no key.sign record', cliEnv({ ECPS_OPERATOR: 'carol', ECPS_PASSPHRASE: 'not the passphrase of carol 1' }), 'wrong_passphrase',
        [{ actor: 'carol', action: 'session.unlock', outcome: 'failure' }]],
    ];
    const WATCHED = ['key.sign', 'access.denied', 'session.unlock'];
    for (const [who, env, code, expected] of cases) {
      const before = rows().length;
      const r = await run(['keys', 'sign', keyId, '--in', file, '--out', taken], env);
      expect([who, r.code]).toEqual([who, 1]);
      refused(r, code);
      const added = rows().slice(before).filter((x) => WATCHED.includes(x.action));
      expect([who, added.length]).toEqual([who, expected.length]);
      added.forEach((x, i) => expect([who, x]).toEqual([who, expect.objectContaining(expected[i]!)]));
      expect(JSON.stringify(added)).not.toContain(CAROL_PASS);
    }
    expect(readFileSync(taken, 'utf8')).toBe('an earlier signature');
    expect(rows().filter((x) => x.action === 'key.sign' && x.outcome === 'success')).toEqual([]);
  });

  it('input files are size-checked and must be regular files; an AES key makes no signatures; unknown keys are not_found', async () => {
    const { dir, run } = await store();
    const keyId = await createKey(dir, { type: 'device_identity', label: 'signer', algorithm: 'EC_P256' });
    const aes = await createKey(dir, { type: 'storage', label: 'disk', algorithm: 'AES_256' });
    const big = join(dir, 'big.bin');
    writeFileSync(big, Buffer.alloc(MAX_DATA + 1, 1));
    const limit = join(dir, 'limit.bin');
    writeFileSync(limit, Buffer.alloc(MAX_DATA, 1));
    const sig = join(dir, 'limit.sig');

    const tooBig = await run(['keys', 'sign', keyId, '--in', big, '--out', join(dir, 'big.sig')]);
    refused(tooBig, 'invalid_input');
    expect(tooBig.stderr).toContain(`Input file ${big} is ${MAX_DATA + 1} bytes; at most ${MAX_DATA} bytes per call.`);
    expect(readdirSync(dir).some((n) => n.startsWith('big.sig') || n.startsWith('.big.sig'))).toBe(false);
    ok(await run(['keys', 'sign', keyId, '--in', limit, '--out', sig]));
    ok(await run(['keys', 'verify', keyId, '--in', limit, '--sig', sig]));
    refused(await run(['keys', 'verify', keyId, '--in', big, '--sig', sig]), 'invalid_input');

    const longSig = join(dir, 'long.sig');
    writeFileSync(longSig, Buffer.alloc(MAX_SIG + 1, 2));
    const r = await run(['keys', 'verify', keyId, '--in', limit, '--sig', longSig]);
    refused(r, 'invalid_input');
    expect(r.stderr).toContain(`Input file ${longSig} is ${MAX_SIG + 1} bytes; at most ${MAX_SIG} bytes per call.`);
    const dirSig = await run(['keys', 'verify', keyId, '--in', limit, '--sig', dir]);
    refused(dirSig, 'invalid_input');
    expect(dirSig.stderr).toContain(`--sig ${dir} is not a regular file.`);
    refused(await run(['keys', 'verify', keyId, '--in', limit, '--sig', join(dir, 'absent.sig')]), 'not_found');
    refused(await run(['keys', 'sign', keyId, '--in', join(dir, 'absent.bin'), '--out', join(dir, 'x.sig')]), 'not_found');

    refused(await run(['keys', 'sign', aes, '--in', limit, '--out', join(dir, 'aes.sig')]), 'unsupported_operation');
    refused(await run(['keys', 'verify', aes, '--in', limit, '--sig', sig]), 'unsupported_operation');
    refused(await run(['keys', 'sign', '6adc3764-d2ca-4ea0-b97f-147b1c0fee40', '--in', limit, '--out', join(dir, 'none.sig')]), 'not_found');
    refused(await run(['keys', 'verify', 'not-a-key-id', '--in', limit, '--sig', sig]), 'invalid_input');
    expect(readdirSync(dir).filter((n) => n.endsWith('.sig') || n.includes('.partial')).sort()).toEqual(['limit.sig', 'long.sig']);
  });
});

/** Flips one byte of a backed-up version's wrapped material in the store (the console holding it closed). */
function alterBackup(dir: string, keyId: string, version: number): void {
  const db = new Database(join(dir, 'console.db'));
  try {
    const row = db.prepare('SELECT wrapped FROM key_backups WHERE key_id = ? AND version = ?').get(keyId, version) as { wrapped: Buffer };
    db.prepare('UPDATE key_backups SET wrapped = ? WHERE key_id = ? AND version = ?').run(flipped(row.wrapped, row.wrapped.length - 5), keyId, version);
  } finally {
    db.close();
  }
}

describe('keys backup / keys verify-backup: to the AWS KMS emulator; exit 1 integrity_failure when a copy differs', () => {
  it('backs up named keys or --all, verifies every version, and refuses an altered copy', async () => {
    const { dir, run } = await store(async (call) => {
      await call('providers:save', { config: awsConfig('aws-cli') });
    });
    const disk = await createKey(dir, { type: 'storage', label: 'disk', algorithm: 'AES_256', provider: 'local' });
    const identity = await createKey(dir, { type: 'device_identity', label: 'robot id', algorithm: 'EC_P256', provider: 'local' });
    await withConsole(dir, async (c) => {
      await c.handlers['keys:rotate']({ keyId: disk }, TEST_CTX);
    });

    // nothing backed up yet: not_found, not "0 versions verified"
    const none = await run(['keys', 'verify-backup', '--provider', 'aws-cli']);
    refused(none, 'not_found');
    expect(none.stderr).toContain("Provider aws-cli holds no backup of this store's keys");

    const one = okWithProgress(await run(['keys', 'backup', '--provider', 'aws-cli', disk]), 'backup');
    expect(one.done).toEqual([1]);
    expect(one.stdout).toMatch(/^backed up 1 key \(2 versions\) to aws-cli under \S+\n$/);
    const all = JSON.parse(ok(await run(['keys', 'backup', '--provider', 'aws-cli', '--all', '--json'])).stdout) as Record<string, unknown>;
    expect(all).toMatchObject({ providerId: 'aws-cli', backedUp: 2, versions: 3 });
    expect(ok(await run(['keys', 'verify-backup', '--provider', 'aws-cli'])).stdout).toBe('backup at aws-cli verified: 3 versions unwrapped and identical to the store\n');
    expect(JSON.parse(ok(await run(['keys', 'verify-backup', '--provider', 'aws-cli', '--json'])).stdout)).toEqual({ providerId: 'aws-cli', ok: true, checked: 3, failures: [] });

    alterBackup(dir, disk, 2);
    const bad = await run(['keys', 'verify-backup', '--provider', 'aws-cli']);
    refused(bad, 'integrity_failure');
    expect(bad.stderr).toMatch(new RegExp(`^error \\[integrity_failure\\]: Backup at aws-cli: 1 of 3 versions did not match the store: ${disk} v2 \\(.+\\)\\.\\n`));
    refused(await run(['keys', 'verify-backup', '--provider', 'aws-cli', '--json']), 'integrity_failure');
    // backing the key up again repairs the copy
    expect(okWithProgress(await run(['keys', 'backup', '--provider', 'aws-cli', disk, identity]), 'backup').done).toEqual([1, 2]);
    ok(await run(['keys', 'verify-backup', '--provider', 'aws-cli']));

    refused(await run(['keys', 'backup', '--provider', 'no-such', '--all']), 'not_found');
    refused(await run(['keys', 'verify-backup', '--provider', 'NOT AN ID']), 'invalid_input');
    refused(await run(['keys', 'backup', '--provider', 'aws-cli', '6adc3764-d2ca-4ea0-b97f-147b1c0fee40']), 'not_found');
    const audit = auditRows(dir);
    expect(audit.filter((r) => r.action === 'key.backup').map((r) => r.outcome)).toEqual(['success', 'success', 'success', 'failure', 'failure']);
    expect(audit.filter((r) => r.action === 'key.verify_backup' && r.outcome === 'success').map((r) => [r.details.checked, r.details.failed])).toEqual([
      [0, 0], [3, 0], [3, 0], [3, 1], [3, 1], [3, 0],
    ]);
  });
});

describe('keys migrate: local keys move to the AWS KMS emulator; old ciphertext still decrypts; a stopped job exits 1', () => {
  it('moves a named key, then --all; the file encrypted before decrypts after; the emulator down is provider_unavailable', async () => {
    const { dir, run } = await store(async (call) => {
      await call('providers:save', { config: awsConfig('aws-cli') });
    });
    const archive = await createKey(dir, { type: 'storage', label: 'archive', algorithm: 'AES_256', provider: 'local' });
    const uplink = await createKey(dir, { type: 'communication', label: 'uplink', algorithm: 'AES_256', provider: 'local' });
    const signer = await createKey(dir, { type: 'emergency', label: 'orders', algorithm: 'RSA_2048', provider: 'local' });
    const plain = join(dir, 'plan.txt');
    writeFileSync(plain, 'the plan before the move');
    ok(await run(['encrypt', '--key', archive, '--in', plain, '--out', join(dir, 'old.enc'), '--aad', 'robot-7']));

    // a signing key does not move: invalid_input naming it, and nothing moved
    const refusedSigner = await run(['keys', 'migrate', '--provider', 'aws-cli', archive, signer]);
    refused(refusedSigner, 'invalid_input');
    expect(refusedSigner.stderr).toContain(signer);

    const moved = okWithProgress(await run(['keys', 'migrate', '--provider', 'aws-cli', archive]), 'migrate');
    expect(moved.done).toEqual([1]);
    expect(moved.stdout).toMatch(/^moved 1 of 1 key to aws-cli \(job [0-9a-f-]{36}\): their next version lives there; earlier versions keep decrypting\n$/);
    const keys = () => run(['keys', 'list', '--json']).then((r) => (JSON.parse(ok(r).stdout) as { keys: Array<{ id: string; provider: string; currentVersion: number }> }).keys);
    expect((await keys()).map((k) => [k.id, k.provider, k.currentVersion]).sort()).toEqual([[archive, 'aws-cli', 2], [uplink, 'local', 1], [signer, 'local', 1]].sort());

    // the ciphertext made before the move decrypts; new data uses version 2, at the provider
    ok(await run(['decrypt', '--in', join(dir, 'old.enc'), '--out', join(dir, 'old.txt'), '--aad', 'robot-7']));
    expect(readFileSync(join(dir, 'old.txt'), 'utf8')).toBe('the plan before the move');
    const fresh = JSON.parse(ok(await run(['encrypt', '--key', archive, '--in', plain, '--out', join(dir, 'new.enc'), '--json'])).stdout) as { version: number };
    expect(fresh.version).toBe(2);
    ok(await run(['decrypt', '--in', join(dir, 'new.enc'), '--out', join(dir, 'new.txt')]));
    expect(readFileSync(join(dir, 'new.txt'), 'utf8')).toBe('the plan before the move');

    // the emulator down: the job stops on the key, exit 1 with provider_unavailable, the key stays local
    await emu.faults.down();
    let down: Run;
    try {
      down = await run(['keys', 'migrate', '--provider', 'aws-cli', '--all']);
    } finally {
      await emu.faults.up();
    }
    expect([down.code, down.stdout]).toEqual([1, '']);
    // the one progress line says the key failed, then the error
    expect(down.stderr).toMatch(new RegExp(`^migrate [0-9a-f-]{36}: 0/1 key \\(1 failed\\)\\nerror \\[provider_unavailable\\]: Key "uplink" \\(${uplink}\\) was not moved: .+ 0 of 1 key moved before it stopped \\(job [0-9a-f-]{36}\\)\\.\\n`));
    expect((await keys()).find((k) => k.id === uplink)).toMatchObject({ provider: 'local', currentVersion: 1 });

    const all = JSON.parse(ok(await run(['keys', 'migrate', '--provider', 'aws-cli', '--all', '--json'])).stdout) as Record<string, unknown>;
    expect(all).toMatchObject({ providerId: 'aws-cli', kind: 'keys.migrate', state: 'done', done: 1, total: 1, error: null });
    expect((await keys()).find((k) => k.id === uplink)).toMatchObject({ provider: 'aws-cli', currentVersion: 2 });
    // nothing left to move: done, 0 of 0
    expect(ok(await run(['keys', 'migrate', '--provider', 'aws-cli', '--all'])).stdout).toMatch(/^moved 0 of 0 keys to aws-cli/);
    expect(auditRows(dir).filter((r) => r.action === 'key.migrate').map((r) => [r.outcome, r.details.code ?? null])).toEqual([
      ['success', null], ['failure', 'provider_unavailable'], ['success', null],
    ]);
  });
});

/**
 * docs/cli.md: a keys job prints its progress on stderr at each tenth of its keys settled (never twice for one tenth),
 * as `rotation batch start` does; stdout holds the result alone, and with --json stderr stays empty. For 25 keys the
 * tenths are crossed at these keys (floor(n * 10 / 25) grows at n = 3, 5, 8, ...): written here, not computed.
 */
const KEYS = 25;
const TENTHS_OF_25 = [3, 5, 8, 10, 13, 15, 18, 20, 23, 25];

describe('keys migrate / keys backup: progress on stderr at each tenth of the keys, nothing with --json', () => {
  it(`backs up and moves ${KEYS} keys: ${TENTHS_OF_25.length} progress lines each, stdout unchanged`, async () => {
    const { dir, run } = await store(async (call) => {
      await call('providers:save', { config: awsConfig('aws-cli') });
    });
    const ids = await withConsole(dir, async (c) => {
      const made: string[] = [];
      for (let i = 0; i < KEYS + 1; i++) made.push((await c.handlers['keys:create']({ type: 'storage', label: `bulk ${i}`, algorithm: 'AES_256', provider: 'local' }, TEST_CTX)).id);
      return made;
    });
    const many = ids.slice(0, KEYS);
    const last = ids[KEYS]!;

    const backup = await run(['keys', 'backup', '--provider', 'aws-cli', ...many]);
    expect(backup.stdout).toMatch(new RegExp(`^backed up ${KEYS} keys \\(${KEYS} versions\\) to aws-cli under \\S+\\n$`));
    const backupLines = progressLines(backup.stderr);
    expect(backupLines.map(([verb, , done, total, failed]) => [verb, done, total, failed])).toEqual(TENTHS_OF_25.map((n) => ['backup', n, KEYS, 0]));
    expect(new Set(backupLines.map((l) => l[1])).size).toBe(1);
    expect(backup.code).toBe(0);
    // --json: one document on stdout, nothing on stderr
    const backupJson = ok(await run(['keys', 'backup', '--provider', 'aws-cli', ...many, '--json']));
    expect(JSON.parse(backupJson.stdout)).toMatchObject({ providerId: 'aws-cli', backedUp: KEYS, versions: KEYS });

    const moved = await run(['keys', 'migrate', '--provider', 'aws-cli', ...many]);
    const job = /\(job ([0-9a-f-]{36})\)/.exec(moved.stdout)?.[1];
    expect(moved.stdout).toBe(`moved ${KEYS} of ${KEYS} keys to aws-cli (job ${job}): their next version lives there; earlier versions keep decrypting\n`);
    expect(moved.stderr).toBe(TENTHS_OF_25.map((n) => `migrate ${job}: ${n}/${KEYS} keys (0 failed)\n`).join(''));
    expect(moved.code).toBe(0);
    const movedJson = ok(await run(['keys', 'migrate', '--provider', 'aws-cli', last, '--json']));
    expect(JSON.parse(movedJson.stdout)).toMatchObject({ providerId: 'aws-cli', kind: 'keys.migrate', state: 'done', done: 1, total: 1 });
  });
});

// shared/permissions.ts: keys:verify needs `read` (every role); keys:sign, :backup, :verifyBackup and :migrate need
// `keys`, which the key custodian and the admin hold (docs/operators.md); the others get forbidden (exit 1, audited).
const MAY: Readonly<Record<string, readonly OperatorRole[]>> = {
  'keys verify': ['viewer', 'station_operator', 'key_custodian', 'security_officer', 'admin'],
  'keys sign': ['key_custodian', 'admin'],
  'keys backup': ['key_custodian', 'admin'],
  'keys verify-backup': ['key_custodian', 'admin'],
  'keys migrate': ['key_custodian', 'admin'],
};
const AS: ReadonlyArray<[OperatorRole, string, NodeJS.ProcessEnv]> = [
  ['viewer', 'bob', asBob()],
  ['station_operator', 'steve', cliEnv({ ECPS_OPERATOR: 'steve', ECPS_PASSPHRASE: STEVE_PASS })],
  ['security_officer', 'sally', cliEnv({ ECPS_OPERATOR: 'sally', ECPS_PASSPHRASE: SALLY_PASS })],
  ['key_custodian', 'carol', cliEnv({ ECPS_OPERATOR: 'carol', ECPS_PASSPHRASE: CAROL_PASS })],
  ['admin', 'alice', cliEnv()],
];

describe('roles: the role table decides (forbidden, exit 1, audited)', () => {
  it('every role may verify; only the key custodian and the admin sign, back up, verify backups and migrate', async () => {
    const { dir, run } = await store(async (call) => {
      await call('providers:save', { config: awsConfig('aws-cli') });
    });
    expect(BOB_PASS).not.toBe(CAROL_PASS);
    const signer = await createKey(dir, { type: 'device_identity', label: 'signer', algorithm: 'EC_P256', provider: 'local' });
    const file = join(dir, 'data.bin');
    writeFileSync(file, sample(64));
    const sig = join(dir, 'data.sig');
    ok(await run(['keys', 'sign', signer, '--in', file, '--out', sig]));
    okWithProgress(await run(['keys', 'backup', '--provider', 'aws-cli', '--all']), 'backup');
    let n = 0;
    const argv = async (command: string): Promise<string[]> => {
      n++;
      switch (command) {
        case 'keys verify': return ['keys', 'verify', signer, '--in', file, '--sig', sig];
        case 'keys sign': return ['keys', 'sign', signer, '--in', file, '--out', join(dir, `role-${n}.sig`)];
        case 'keys backup': return ['keys', 'backup', '--provider', 'aws-cli', signer];
        case 'keys verify-backup': return ['keys', 'verify-backup', '--provider', 'aws-cli'];
        default: return ['keys', 'migrate', '--provider', 'aws-cli', await createKey(dir, { type: 'storage', label: `move ${n}`, algorithm: 'AES_256', provider: 'local' })];
      }
    };
    for (const [role, , env] of AS) {
      for (const [command, roles] of Object.entries(MAY)) {
        const r = await run(await argv(command), env);
        // (keys backup / migrate of one key print its one progress line on stderr)
        if (roles.includes(role)) expect([role, command, r.code, progressLines(r.stderr).length]).toEqual([role, command, 0, command === 'keys backup' || command === 'keys migrate' ? 1 : 0]);
        else {
          expect([role, command, r.code]).toEqual([role, command, 1]);
          refused(r, 'forbidden');
        }
      }
    }
    // a refused signature wrote no file; each refusal is in the audit under its operator
    const written = readdirSync(dir).filter((f) => /^role-\d+\.sig$/.test(f));
    expect(written).toHaveLength(2);
    const denied = auditRows(dir).filter((r) => r.outcome === 'denied' || r.details.code === 'forbidden');
    for (const [role, name] of AS) {
      const expected = Object.values(MAY).filter((roles) => !roles.includes(role)).length;
      expect([role, denied.filter((r) => r.actor === name).length]).toEqual([role, expected]);
    }
  });
});

describe('usage mistakes exit 2 before any store is opened', () => {
  it.each([
    [['keys', 'sign']],
    [['keys', 'sign', 'ID', '--in', 'f']],
    [['keys', 'sign', 'ID', '--out', 's']],
    [['keys', 'sign', 'A', 'B', '--in', 'f', '--out', 's']],
    [['keys', 'sign', 'ID', '--in', 'f', '--out', 's', '--sig', 'x']],
    [['keys', 'verify', 'ID', '--in', 'f']],
    [['keys', 'verify', 'ID', '--sig', 's']],
    [['keys', 'verify', '--in', 'f', '--sig', 's']],
    [['keys', 'verify', 'ID', '--in', 'f', '--sig', 's', '--version', '0']],
    [['keys', 'verify', 'ID', '--in', 'f', '--sig', 's', '--force']],
    [['keys', 'backup', '--provider', 'aws']],
    [['keys', 'backup', 'ID']],
    [['keys', 'backup', '--provider', 'aws', '--all', 'ID']],
    [['keys', 'verify-backup']],
    [['keys', 'verify-backup', '--provider', 'aws', 'ID']],
    [['keys', 'migrate', '--provider', 'aws']],
    [['keys', 'migrate', '--all']],
    [['keys', 'migrate', '--provider', 'aws', '--all', 'ID']],
    [['keys', 'migrate', '--provider', 'aws', '--all', '--force']],
  ])('%j', async (argv) => {
    const dir = fresh('never');
    usageError(await cli([...argv, '--data-dir', dir]));
    expect(readdirSync(join(dir, '..')).includes(dir.split('/').pop()!)).toBe(false);
  });
});
