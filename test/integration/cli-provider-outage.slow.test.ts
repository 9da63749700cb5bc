// The CLI as real processes against the AWS KMS emulator when the provider is down (connections refused), failing
// (500 on every call), throttling, or slow (answers after the client's deadline): encrypt and keys create end after
// their retries with the typed error on stderr and exit 1, and nothing changes in the store; keys state applies the
// change in the console, names the provider copy it could not reach and exits 1 until retried. Before the fix
// the backoff timer was unref'd, so Node exited mid-retry: exit 0, nothing printed, nothing done.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsKmsEmulator } from '../emulators/aws-kms/index.ts';
import { startTestEmulator, TEST_CREDENTIALS, TEST_REGION } from '../emulators/aws-kms/testkit.ts';
import { cliRunner, type CliRun } from './support/cliProcess.ts';

const { dir, cli } = cliRunner('ecps-cli-outage-', 'Outage-cli passphrase 0123', 'process');
let emu: AwsKmsEmulator;
let providerEnv: Record<string, string>;
let keyId: string;
let baseline: unknown;
const plain = join(dir, 'orders.txt');
// Each case starts four CLI processes that each retry; on a loaded build machine that takes a while. Not a speed limit.
const SLOW_MACHINE = 240_000;

/** The provider from the environment (default deadline and retries), with `extra` variables for this run. */
const run = (args: string[], extra: Record<string, string> = {}): Promise<CliRun> => cli(args, undefined, { ...providerEnv, ...extra });

/** What must not change: which keys exist, where, in which state and version (timestamps and reasons may). */
const summary = (snapshot: unknown) =>
  (snapshot as { keys: Array<{ id: string; state: string; currentVersion: number; provider: string }> }).keys.map(({ id, state, currentVersion, provider }) => ({ id, state, currentVersion, provider }));

const storeSnapshot = async () => {
  const r = await run(['keys', 'list', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as unknown;
};

beforeAll(async () => {
  emu = await startTestEmulator();
  providerEnv = {
    KMS_PROVIDER: 'aws_kms',
    AWS_REGION: TEST_REGION,
    AWS_ENDPOINT_URL_KMS: emu.endpoint,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    USE_KMS_FOR_STORAGE: 'true',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  writeFileSync(plain, 'move robot uv-7 to dock 3\n');
  expect((await run(['init'])).code).toBe(0);
  const created = await run(['keys', 'create', '--type', 'storage', '--label', 'orders', '--json']);
  expect(created.code, created.stderr).toBe(0);
  const key = JSON.parse(created.stdout) as { id: string; provider: string; kmsBacked: boolean };
  expect(key).toMatchObject({ provider: 'aws-kms', kmsBacked: true });
  keyId = key.id;
  baseline = await storeSnapshot();
}, SLOW_MACHINE);

afterAll(async () => {
  await emu?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** exit 1, "error [code]: message" then "hint: ..." on stderr, nothing on stdout. */
function expectTypedFailure(r: CliRun, code: string, message: RegExp): void {
  expect(r.code, r.stdout + r.stderr).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(new RegExp(`^error \\[${code}\\]: `, 'm'));
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toMatch(/^hint: /m);
}

// The default deadline (5 s) and retries (3) where they do not make the run slow: the SDK's own connection timer
// kept short-deadline processes alive by chance, hiding the unref'd backoff timer.
const faults: Array<{ name: string; apply: () => Promise<void>; message: RegExp; env?: Record<string, string> }> = [
  { name: 'refuses connections', apply: () => emu.faults.down(), message: /ECONNREFUSED/ },
  { name: 'answers 500 to every call', apply: async () => emu.faults.failNext(1_000_000, 500), message: /KMSInternalException|server error|500/ },
  { name: 'throttles every call', apply: async () => emu.faults.throttleNext(1_000_000), message: /ThrottlingException/ },
  // Ten times the client's deadline (KMS_TIMEOUT_MS=1000): every attempt times out.
  { name: 'answers after the deadline', apply: async () => emu.faults.setLatency(10_000), message: /timed out|did not answer/, env: { KMS_TIMEOUT_MS: '1000', KMS_RETRIES: '2' } },
];

describe('CLI against a provider that is down, failing, throttling or slow', () => {
  for (const fault of faults) {
    it(`exits 1 naming the failure, creates and encrypts nothing, and keeps the unreached copy for a retry when the provider ${fault.name}`, { timeout: SLOW_MACHINE }, async () => {
      const ciphertext = join(dir, `orders-${fault.name.replace(/\W+/g, '-')}.enc`);
      await fault.apply();
      try {
        expectTypedFailure(await run(['keys', 'create', '--type', 'storage', '--label', 'never', '--json'], fault.env), 'provider_unavailable', fault.message);
        expectTypedFailure(await run(['encrypt', '--key', keyId, '--in', plain, '--out', ciphertext], fault.env), 'provider_unavailable', fault.message);
        expect(existsSync(ciphertext)).toBe(false);
        // The console suspends the key at once; the provider's copy it could not reach is named, exit 1.
        const state = await run(['keys', 'state', keyId, 'suspended', '--reason', 'maintenance'], fault.env);
        expect(state.code, state.stdout + state.stderr).toBe(1);
        expect(state.stdout).toMatch(/^not reached: aws-kms \(primary\) disable: \[provider_unavailable\] /m);
        expect(state.stdout).toMatch(fault.message);
      } finally {
        emu.faults.reset();
        await emu.faults.up();
      }
      // With the provider back, the same command reaches it; reactivating restores the starting point.
      const retried = await run(['keys', 'state', keyId, 'suspended', '--reason', 'maintenance']);
      expect(retried.code, retried.stdout + retried.stderr).toBe(0);
      const back = await run(['keys', 'state', keyId, 'active', '--reason', 'maintenance over']);
      expect(back.code, back.stdout + back.stderr).toBe(0);
      // No key created (not even locally), and the key active at version 1 again.
      expect(summary(await storeSnapshot())).toEqual(summary(baseline));
      expect(summary(baseline)).toEqual([{ id: keyId, state: 'active', currentVersion: 1, provider: 'aws-kms' }]);
    });
  }

  it('leaves the audit chain intact after all of it', async () => {
    const verified = await run(['audit', 'verify']);
    expect(verified.code, verified.stderr).toBe(0);
  });
});
