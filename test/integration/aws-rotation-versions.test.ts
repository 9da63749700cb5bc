// AWS KMS numbers no versions: a key's version is 1 + its completed rotations. The console rotates a key it drives with
// ONE service call (RotateKeyOnDemand), numbering the new version from the version it recorded last; a key whose
// rotation AWS drives (a provider-driven policy: AWS may have rotated it since) is counted at AWS first
// (ListKeyRotations). In both cases the provider version the console records must be AWS's own count, which the test
// reads from the emulator with a raw client. Expected numbers and call counts are the table's.
import { DescribeKeyCommand, ListKeyRotationsCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import type { AwsKmsEmulator } from '../emulators/aws-kms/index.ts';
import { rawClient, startTestEmulator } from '../emulators/aws-kms/testkit.ts';
import { removeTempDirs } from '../unit/store-testkit.ts';
import { awsConfig, type Harness, initialized } from './providers-kit.ts';

const DAY_S = 86_400;
const clock = manualClock(Date.now());
let aws: AwsKmsEmulator;
let h: Harness;

beforeAll(async () => {
  aws = await startTestEmulator({ clock });
  h = await initialized({ clock, rotation: { scheduler: false } });
  await h.call('providers:save', { config: awsConfig({ aws, vault: null as never, vaultToken: '', close: async () => undefined }, { use_kms_for_storage: false }) });
});
afterAll(async () => {
  h.console.close();
  await aws.close();
  removeTempDirs();
});

/** AWS's own version of the console key: 1 + the rotations it lists. */
async function awsVersion(keyId: string): Promise<number> {
  const raw = rawClient(aws);
  try {
    const arn = (await raw.send(new DescribeKeyCommand({ KeyId: `alias/ecps/key-${keyId}` }))).KeyMetadata!.Arn!;
    return 1 + ((await raw.send(new ListKeyRotationsCommand({ KeyId: arn, Limit: 1000 }))).Rotations?.length ?? 0);
  } finally {
    raw.destroy();
  }
}

/** Calls of each operation the emulator answered while fn ran. */
async function callsDuring(fn: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = new Map(aws.responses.checked);
  await fn();
  const out: Record<string, number> = {};
  for (const [op, n] of aws.responses.checked) if (n - (before.get(op) ?? 0) > 0) out[op] = n - (before.get(op) ?? 0);
  return out;
}

const lastRotation = (keyId: string) => h.auditOf('key.rotate').filter((r) => r.targetId === keyId && r.outcome === 'success').at(0)?.details; // newest first

// [step, console version after it, provider version recorded (= AWS's count), calls the rotation made at AWS]
const CONSOLE_DRIVEN: Array<[string, number, number, Record<string, number>]> = [
  ['first rotation', 2, 2, { RotateKeyOnDemand: 1 }],
  ['second rotation', 3, 3, { RotateKeyOnDemand: 1 }],
  ['third rotation', 4, 4, { RotateKeyOnDemand: 1 }],
];

describe('AWS version numbering of console rotations', () => {
  it('a console-driven key: one RotateKeyOnDemand per rotation, numbered from the recorded version, equal to AWS count', async () => {
    const key = await h.call('keys:create', { type: 'storage', label: 'aws-one-call', provider: 'aws-primary' });
    expect(await awsVersion(key.id)).toBe(1);
    for (const [step, version, providerVersion, calls] of CONSOLE_DRIVEN) {
      expect(await callsDuring(() => h.call('keys:rotate', { keyId: key.id })), step).toEqual(calls);
      expect(lastRotation(key.id), step).toMatchObject({ version, providerVersion });
      expect(await awsVersion(key.id), step).toBe(providerVersion);
    }
  });

  it('a provider-driven key that AWS rotated by itself: the rotation lists AWS versions first and records AWS count', async () => {
    const key = await h.call('keys:create', { type: 'storage', label: 'aws-provider-driven', provider: 'aws-primary' });
    await h.console.rotation.provider.setKeyPolicy(key.id, { mode: 'scheduled', driver: 'provider', periodSeconds: 90 * DAY_S });
    clock.advance(91 * DAY_S * 1000);
    expect(await awsVersion(key.id)).toBe(2); // AWS rotated; the console has not looked yet
    const calls = await callsDuring(() => h.call('keys:rotate', { keyId: key.id }));
    expect(calls).toMatchObject({ RotateKeyOnDemand: 1, ListKeyRotations: 1 });
    // Console version 2 (its second), made at AWS as version 3: the automatic one in between is AWS's version 2.
    expect(lastRotation(key.id)).toMatchObject({ version: 2, providerVersion: 3 });
    expect(await awsVersion(key.id)).toBe(3);
  });
});

describe('two rotations of one key at the same moment', () => {
  // Each click on Rotate is a rotation: two at once make two versions, numbered in turn, each equal to AWS's count.
  it.each([
    ['an AWS KMS key', 'aws-primary'],
    ['a local store key', undefined],
  ] as const)('%s: both succeed, versions 2 and 3, no version number reused', async (_what, provider) => {
    const key = await h.call('keys:create', { type: 'storage', label: `concurrent-${provider ?? 'local'}`, ...(provider ? { provider } : {}) });
    const done = await Promise.allSettled([h.call('keys:rotate', { keyId: key.id }), h.call('keys:rotate', { keyId: key.id })]);
    expect(done.map((d) => d.status)).toEqual(['fulfilled', 'fulfilled']);
    const versions = done.map((d) => (d as PromiseFulfilledResult<{ currentVersion: number }>).value.currentVersion).sort();
    expect(versions).toEqual([2, 3]);
    const detail = await h.call('keys:get', { keyId: key.id });
    expect(detail.currentVersion).toBe(3);
    expect(detail.versions.map((v: { version: number }) => v.version).sort()).toEqual([1, 2, 3]);
    if (provider) expect(await awsVersion(key.id)).toBe(3);
  });
});
