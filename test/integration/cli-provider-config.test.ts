// A malformed provider configuration in the environment (KMS_PROVIDER and its variables), through runCli in this
// process with that environment (cli-provider-outage.slow.test.ts has real processes): keys
// create refuses with invalid_input naming the variable and creates nothing, instead of quietly putting the key in the
// local store; keys of the refused provider say why they cannot be used; only ECPS_ALLOW_LOCAL_FALLBACK=1 lets the key
// go to the local store, and then the CLI says so on stdout and the audit records it.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsKmsEmulator } from '../emulators/aws-kms/index.ts';
import { startTestEmulator, TEST_CREDENTIALS, TEST_REGION } from '../emulators/aws-kms/testkit.ts';
import { cliRunner, type CliRun } from './support/cliProcess.ts';

const { dir, cli } = cliRunner('ecps-cli-provider-config-', 'Config-cli passphrase 0123', 'in-process');
// Several command lines per case on a loaded build machine; a harness limit, not a speed requirement.
const SLOW_MACHINE = 240_000;
let emu: AwsKmsEmulator;
let good: Record<string, string>;
let awsKeyId: string;
const plain = join(dir, 'orders.txt');

const run = (args: string[], env: Record<string, string> = {}): Promise<CliRun> => cli(args, undefined, env);
const keyIds = async (): Promise<string[]> => {
  const r = await run(['keys', 'list', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { keys: Array<{ id: string }> }).keys.map((k) => k.id).sort();
};

beforeAll(async () => {
  emu = await startTestEmulator();
  good = {
    KMS_PROVIDER: 'aws_kms',
    AWS_REGION: TEST_REGION,
    AWS_ENDPOINT_URL_KMS: emu.endpoint,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    USE_KMS_FOR_STORAGE: 'true',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  writeFileSync(plain, 'hold position\n');
  expect((await run(['init'])).code).toBe(0);
  const created = await run(['keys', 'create', '--type', 'storage', '--label', 'on aws', '--json'], good);
  expect(created.code, created.stderr).toBe(0);
  awsKeyId = (JSON.parse(created.stdout) as { id: string }).id;
}, SLOW_MACHINE);

afterAll(async () => {
  await emu?.close();
  rmSync(dir, { recursive: true, force: true });
});

// What the environment says -> the variable the error must name.
const MALFORMED: Array<[string, Record<string, string>, string]> = [
  ['an unknown provider name', { KMS_PROVIDER: 'aws' }, 'KMS_PROVIDER'],
  ['no region', { AWS_REGION: '' }, 'AWS_REGION'],
  ['a garbage region', { AWS_REGION: 'eu central 1!' }, 'AWS_REGION'],
  ['a garbage endpoint', { AWS_ENDPOINT_URL_KMS: 'ftp://kms.example' }, 'AWS_ENDPOINT_URL_KMS'],
  ['a timeout that is not a number', { KMS_TIMEOUT_MS: 'fast' }, 'KMS_TIMEOUT_MS'],
  ['retries out of range', { KMS_RETRIES: '99' }, 'KMS_RETRIES'],
  ['a storage flag that is neither true nor false', { USE_KMS_FOR_STORAGE: 'maybe' }, 'USE_KMS_FOR_STORAGE'],
];

describe('CLI with a malformed provider configuration in the environment', () => {
  it('keys create refuses, naming the variable, and creates nothing anywhere', { timeout: SLOW_MACHINE }, async () => {
    const before = await keyIds();
    for (const [what, change, variable] of MALFORMED) {
      const r = await run(['keys', 'create', '--type', 'storage', '--label', 'must not exist'], { ...good, ...change });
      expect(r.code, `${what}: ${r.stdout}${r.stderr}`).toBe(1);
      expect(r.stdout, what).toBe('');
      expect(r.stderr, what).toMatch(/^error \[invalid_input\]: The provider configuration in the environment was refused: /m);
      expect(r.stderr, what).toContain(variable);
      expect(r.stderr, what).toContain('No key was created');
      expect(r.stderr, what).toContain('ECPS_ALLOW_LOCAL_FALLBACK=1');
    }
    expect(await keyIds()).toEqual(before);
  });

  it('a key of the refused provider cannot be used, and the error says why', { timeout: SLOW_MACHINE }, async () => {
    const broken = { ...good, AWS_REGION: 'nowhere' };
    const out = join(dir, 'orders.enc');
    const enc = await run(['encrypt', '--key', awsKeyId, '--in', plain, '--out', out], broken);
    expect(enc.code).toBe(1);
    expect(enc.stderr).toMatch(/^error \[invalid_input\]: Key .* lives in provider aws-kms, which is not configured in this console\. The provider configuration in the environment was refused: AWS_REGION/m);
    expect(existsSync(out)).toBe(false);
    // A state change is applied in the console at once (it refuses the key from now on) and the provider's copy is
    // reported as not reached, naming the variable to fix; the same command retries it once the provider is back.
    const state = await run(['keys', 'state', awsKeyId, 'suspended', '--reason', 'maintenance'], broken);
    expect(state.code).toBe(1);
    expect(state.stdout).toMatch(/^not reached: aws-kms \(primary\) disable: \[invalid_input\] .*AWS_REGION/m);
    const list = await run(['keys', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toMatchObject({ keys: [{ id: awsKeyId, state: 'suspended' }] });
    const retried = await run(['keys', 'state', awsKeyId, 'suspended', '--reason', 'maintenance'], good);
    expect(retried.code, retried.stdout + retried.stderr).toBe(0);
    expect(retried.stdout).not.toMatch(/not reached/);
    const back = await run(['keys', 'state', awsKeyId, 'active', '--reason', 'maintenance over'], good);
    expect(back.code, back.stdout + back.stderr).toBe(0);
  });

  it('with ECPS_ALLOW_LOCAL_FALLBACK=1 the key goes to the local store, stdout says why, and the audit records it', { timeout: SLOW_MACHINE }, async () => {
    const optedIn = { ...good, AWS_REGION: 'nowhere', ECPS_ALLOW_LOCAL_FALLBACK: '1' };
    const human = await run(['keys', 'create', '--type', 'storage', '--label', 'local on purpose'], optedIn);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^created .* "local on purpose" \(storage, AES_256, active, v1\)$/m);
    expect(human.stdout).toMatch(/^in the local store, because the provider configuration in the environment was refused and ECPS_ALLOW_LOCAL_FALLBACK=1 is set: .*AWS_REGION/m);
    const json = await run(['keys', 'create', '--type', 'storage', '--label', 'local json', '--json'], optedIn);
    expect(json.code, json.stderr).toBe(0);
    const key = JSON.parse(json.stdout) as { id: string; provider: string; kmsBacked: boolean; localFallback: { variable: string; optIn: string } };
    expect(key).toMatchObject({ provider: 'local', kmsBacked: false, localFallback: { variable: 'AWS_REGION', optIn: 'ECPS_ALLOW_LOCAL_FALLBACK' } });

    const exported = join(dir, 'audit.jsonl');
    expect((await run(['audit', 'export', '--out', exported])).code).toBe(0);
    const records = readFileSync(exported, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action?: string; targetId?: string; outcome?: string; details?: Record<string, unknown> });
    const fallbacks = records.filter((r) => r.action === 'key.local_fallback');
    expect(fallbacks).toEqual([
      expect.objectContaining({ targetId: expect.any(String), outcome: 'success', details: expect.objectContaining({ variable: 'AWS_REGION', optIn: 'ECPS_ALLOW_LOCAL_FALLBACK' }) }),
      expect.objectContaining({ targetId: key.id, outcome: 'success' }),
    ]);
    const refused = records.filter((r) => r.action === 'key.create' && r.outcome === 'failure' && r.details?.reason === 'environment provider refused');
    expect(refused.length).toBe(MALFORMED.length);
  });

  it('refuses a malformed ECPS_ALLOW_LOCAL_FALLBACK instead of guessing', { timeout: SLOW_MACHINE }, async () => {
    const before = await keyIds();
    const r = await run(['keys', 'create', '--type', 'storage', '--label', 'must not exist'], { ...good, AWS_REGION: 'nowhere', ECPS_ALLOW_LOCAL_FALLBACK: 'please' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[invalid_input\]: .*AWS_REGION.*ECPS_ALLOW_LOCAL_FALLBACK \(environment\) must be 1 or 0/m);
    expect(await keyIds()).toEqual(before);
  });
});
