// The console refuses by itself. For a key held by AWS KMS (emulator), in every lifecycle state, the test turns the key
// back on at AWS behind the console's back (raw SDK: CancelKeyDeletion, EnableKey) and proves AWS would serve it again;
// then each operation goes through the console: the ones the state x operation table (test/unit/keys-testkit.ts)
// allows succeed, the others are refused with the table's code without a single request reaching AWS.
import { CancelKeyDeletionCommand, DescribeKeyCommand, EnableKeyCommand, EncryptCommand, SignCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawClient } from '../emulators/aws-kms/testkit.ts';
import { envelopeNaming, EXPECTED_OPERATIONS, type Operation, PATH_FROM_ACTIVE, STATES } from '../unit/keys-testkit.ts';
import { removeTempDirs } from '../unit/store-testkit.ts';
import { awsConfig, bytes, type Emulators, type Harness, initialized, startEmulators } from './providers-kit.ts';

let emu: Emulators;
let h: Harness;
let donor: Buffer;
beforeAll(async () => {
  emu = await startEmulators();
  h = await initialized();
  await h.call('providers:save', { config: awsConfig(emu, { enable_local_cache: false }) });
  const d = await h.call('keys:create', { type: 'storage', label: 'donor', provider: 'aws-primary' });
  donor = Buffer.from((await h.call('keys:encrypt', { keyId: d.id, plaintext: bytes('donor') })).ciphertext);
});
afterAll(async () => {
  h.console.close();
  await emu.close();
  removeTempDirs();
});

const arnOf = async (keyId: string) => (await rawClient(emu.aws).send(new DescribeKeyCommand({ KeyId: `alias/ecps/key-${keyId}` }))).KeyMetadata!;

/** Turns the key on at AWS, whatever the console did to it (an administrator or an attacker with AWS access). */
async function enableBehindTheConsole(keyId: string): Promise<string> {
  const meta = await arnOf(keyId);
  if (meta.KeyState === 'PendingDeletion') await rawClient(emu.aws).send(new CancelKeyDeletionCommand({ KeyId: meta.Arn! }));
  await rawClient(emu.aws).send(new EnableKeyCommand({ KeyId: meta.Arn! }));
  return meta.Arn!;
}

describe('state x operation on an AWS-held key, with AWS willing', () => {
  for (const state of STATES) {
    it(`${state}: the console decides, AWS is not asked when the answer is no`, async () => {
      const activate = state !== 'pre_activation';
      const aes = await h.call('keys:create', { type: 'storage', label: `aes ${state}`, provider: 'aws-primary', activate });
      const ec = await h.call('keys:create', { type: 'device_identity', label: `ec ${state}`, algorithm: 'EC_P256', provider: 'aws-primary', activate });
      const ct = activate
        ? (await h.call('keys:encrypt', { keyId: aes.id, plaintext: bytes('secret') })).ciphertext
        : envelopeNaming(donor, 'aws-primary', (await arnOf(aes.id)).Arn!);
      const sig = activate ? (await h.call('keys:sign', { keyId: ec.id, data: bytes('order') })).signature : Buffer.alloc(72, 1);
      for (const step of PATH_FROM_ACTIVE[state]) {
        for (const k of [aes, ec]) await h.call('keys:setState', { keyId: k.id, state: step, reason: '' });
      }

      const aesArn = await enableBehindTheConsole(aes.id);
      const ecArn = await enableBehindTheConsole(ec.id);
      await rawClient(emu.aws).send(new EncryptCommand({ KeyId: aesArn, Plaintext: Buffer.from('AWS would encrypt') }));
      await rawClient(emu.aws).send(new SignCommand({ KeyId: ecArn, Message: Buffer.from('AWS would sign'), SigningAlgorithm: 'ECDSA_SHA_256' }));

      const run: Record<Exclude<Operation, 'backup'>, () => Promise<unknown>> = {
        encrypt: () => h.call('keys:encrypt', { keyId: aes.id, plaintext: bytes('new') }),
        decrypt: async () => expect((await h.call('keys:decrypt', { ciphertext: ct })).plaintext).toEqual(bytes('secret')),
        sign: () => h.call('keys:sign', { keyId: ec.id, data: bytes('x') }),
        verify: async () => expect((await h.call('keys:verify', { keyId: ec.id, data: bytes('order'), signature: sig })).valid).toBe(true),
        publicKey: () => h.call('keys:publicKey', { keyId: ec.id }),
        rotate: () => h.call('keys:rotate', { keyId: aes.id }),
      };
      for (const op of Object.keys(run) as Array<keyof typeof run>) {
        const expected = EXPECTED_OPERATIONS[state][op];
        if (expected === 'ok') {
          await run[op]();
          continue;
        }
        const before = emu.aws.faults.requestCount;
        expect((await h.fail(run[op]())).code, `${op} with a ${state} key`).toBe(expected);
        expect(emu.aws.faults.requestCount, `${op} with a ${state} key reached AWS`).toBe(before);
      }
    });
  }
});

describe('a state change in flight', () => {
  it('restricts the key before its provider calls return', async () => {
    const key = await h.call('keys:create', { type: 'storage', label: 'in flight', provider: 'aws-primary' });
    emu.aws.faults.setLatency(200);
    try {
      const change = h.call('keys:setState', { keyId: key.id, state: 'compromised', reason: 'breach' });
      // The compromise is waiting for AWS to disable the key; the console already refuses to use it.
      const before = emu.aws.faults.requestCount;
      expect((await h.fail(h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('x') }))).code).toBe('key_disabled');
      expect(emu.aws.faults.requestCount - before).toBeLessThanOrEqual(1);
      // A second state change of the same key (legal from its committed state, active) is refused meanwhile.
      expect((await h.fail(h.call('keys:setState', { keyId: key.id, state: 'suspended', reason: '' }))).code).toBe('illegal_transition');
      expect((await change).state).toBe('compromised');
    } finally {
      emu.aws.faults.setLatency(0);
    }
    expect((await h.fail(h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('x') }))).code).toBe('key_disabled');
  });
});
