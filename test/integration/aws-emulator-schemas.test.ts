// Every response of the AWS KMS emulator is checked against the AWS KMS API Reference (responseSchemas.ts): driving
// each action the adapter uses must leave a non-zero count for it and no violation, and a response corrupted on
// purpose must be caught, reach the SDK as an error naming the violation, and be recorded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KmsProvider } from '../../electron/providers/types.ts';
import type { AwsKmsEmulator } from '../emulators/aws-kms/index.ts';
import { kmsRequest } from '../emulators/aws-kms/rawRequest.ts';
import { startTestEmulator, testProvider } from '../emulators/aws-kms/testkit.ts';
import { SCHEMA_VIOLATION } from '../emulators/schemaCheck.ts';
import { providerFailure } from './conformance/suite.ts';

let emu: AwsKmsEmulator;
let p: KmsProvider;

beforeAll(async () => {
  emu = await startTestEmulator();
  p = testProvider(emu, { timeoutMs: 5_000 });
});
afterAll(async () => {
  await p?.close();
  await emu?.close();
});

describe('AWS KMS emulator responses follow the API Reference', () => {
  it('checks a response of every action the adapter uses, and none drifts', async () => {
    emu.responses.reset();
    expect(emu.responses.enabled).toBe(true);
    const aes = await p.createKey({ name: 'aes', spec: 'AES_256', usage: 'encrypt', rotationPeriodDays: 90 });
    const aad = Buffer.from('robot-7');
    const enc = await p.encrypt(aes.keyRef, Buffer.from('order'), aad);
    expect((await p.decrypt(aes.keyRef, enc.ciphertext, aad)).plaintext.toString()).toBe('order');
    expect((await providerFailure(p.decrypt(aes.keyRef, enc.ciphertext, Buffer.from('robot-8')))).kind).toBe('IntegrityFailure');
    (await p.generateDataKey(aes.keyRef)).plaintext.fill(0);
    expect((await p.rotate(aes.keyRef)).version).toBe(2);
    expect((await p.describeKey(aes.keyRef)).currentVersion).toBe(2);
    for (const spec of ['EC_P256', 'RSA_2048'] as const) {
      const signer = await p.createKey({ name: `sig-${spec}`, spec, usage: 'sign' });
      const { signature } = await p.sign(signer.keyRef, Buffer.from('stop'));
      expect(await p.verify(signer.keyRef, Buffer.from('stop'), signature)).toBe(true);
      expect(await p.verify(signer.keyRef, Buffer.from('go'), signature)).toBe(false);
      expect((await p.getPublicKey(signer.keyRef)).pem).toMatch(/BEGIN PUBLIC KEY/);
    }
    await p.disable(aes.keyRef);
    await p.enable(aes.keyRef);
    expect((await p.listKeys()).items.length).toBe(3);
    await p.scheduleDestruction(aes.keyRef, 7);
    await p.cancelDestruction(aes.keyRef);
    expect((await kmsRequest(emu.endpoint, 'TrentService.ListKeys', { Limit: 1 })).status).toBe(200);

    const actions = ['CreateKey', 'DescribeKey', 'ListKeys', 'ListAliases', 'CreateAlias', 'EnableKey', 'DisableKey', 'ScheduleKeyDeletion', 'CancelKeyDeletion',
      'EnableKeyRotation', 'GetKeyRotationStatus', 'RotateKeyOnDemand', 'ListKeyRotations', 'Encrypt', 'Decrypt', 'GenerateDataKey', 'Sign', 'Verify', 'GetPublicKey'];
    for (const a of actions) expect(emu.responses.checked.get(a) ?? 0, a).toBeGreaterThan(0);
    expect(emu.responses.violations).toEqual([]);
  });

  it('catches a drifting response: the SDK gets KMSInternalException naming the violation, and it is recorded', async () => {
    const key = await p.createKey({ name: 'drift', spec: 'AES_256', usage: 'encrypt' });
    emu.responses.reset();
    emu.responses.corruptNextResponse((body) => void (body['KeyId'] = 'not-an-arn'));
    const e = await providerFailure(p.encrypt(key.keyRef, Buffer.from('x')));
    expect(e.providerCode).toBe('KMSInternalException');
    expect(e.message).toContain(SCHEMA_VIOLATION);
    expect(emu.responses.violations.map((v) => v.operation)).toEqual(['Encrypt']);
    expect(emu.responses.violations[0]!.problems.every((problem) => problem.startsWith('KeyId: '))).toBe(true);
  });

  it('catches a field the reference does not define and a KeyMetadata that contradicts itself', async () => {
    const key = await p.createKey({ name: 'drift-2', spec: 'AES_256', usage: 'encrypt' });
    emu.responses.reset();
    const { ciphertext } = await p.encrypt(key.keyRef, Buffer.from('x'));
    emu.responses.corruptNextResponse((body) => void (body['PlaintextLength'] = 5));
    expect((await providerFailure(p.decrypt(key.keyRef, ciphertext))).message).toMatch(/Unrecognized key: "PlaintextLength"/);
    emu.responses.corruptNextResponse((body) => void ((body['KeyMetadata'] as Record<string, unknown>)['KeyState'] = 'Disabled'));
    expect((await providerFailure(p.describeKey(key.keyRef))).message).toMatch(/Enabled disagrees with KeyState/);
    expect(emu.responses.violations.map((v) => v.operation)).toEqual(['Decrypt', 'DescribeKey']);
  });
});
