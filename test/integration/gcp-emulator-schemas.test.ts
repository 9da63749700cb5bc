// Every reply of the Cloud KMS emulator is checked against Google's published protos (responseSchemas.ts): driving
// each method the adapter uses must leave a non-zero count for it and no violation, and a reply corrupted on purpose
// must be caught, reach the official client as INTERNAL naming the violation, and be recorded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KmsProvider } from '../../electron/providers/types.ts';
import type { GcpKmsEmulator } from '../emulators/gcp-kms/index.ts';
import { startTestEmulator, testProvider } from '../emulators/gcp-kms/testkit.ts';
import { SCHEMA_VIOLATION } from '../emulators/schemaCheck.ts';
import { providerFailure } from './conformance/suite.ts';

let emu: GcpKmsEmulator;
let p: KmsProvider;

beforeAll(async () => {
  emu = await startTestEmulator();
  p = testProvider(emu);
});
afterAll(async () => {
  await p?.close();
  await emu?.close();
});

describe('Cloud KMS emulator replies follow the published protos', () => {
  it('checks a reply of every method the adapter uses, and none drifts', async () => {
    emu.responses.reset();
    expect(emu.responses.enabled).toBe(true);
    const aes = await p.createKey({ name: 'aes', spec: 'AES_256', usage: 'encrypt', rotationPeriodDays: 30 });
    const aad = Buffer.from('robot-7');
    const enc = await p.encrypt(aes.keyRef, Buffer.from('order'), aad);
    expect((await p.decrypt(aes.keyRef, enc.ciphertext, aad)).plaintext.toString()).toBe('order');
    expect((await providerFailure(p.decrypt(aes.keyRef, enc.ciphertext, Buffer.from('robot-8')))).kind).toBe('IntegrityFailure');
    (await p.generateDataKey(aes.keyRef)).plaintext.fill(0);
    expect((await p.rotate(aes.keyRef)).version).toBe(2);
    for (const spec of ['EC_P256', 'RSA_2048'] as const) {
      const signer = await p.createKey({ name: `sig-${spec}`, spec, usage: 'sign' });
      const { signature } = await p.sign(signer.keyRef, Buffer.from('stop'));
      expect(await p.verify(signer.keyRef, Buffer.from('stop'), signature)).toBe(true);
      expect((await p.getPublicKey(signer.keyRef)).pem).toMatch(/BEGIN PUBLIC KEY/);
    }
    await p.disable(aes.keyRef);
    await p.enable(aes.keyRef);
    expect((await p.describeKey(aes.keyRef)).state).toBe('enabled');
    expect((await p.listKeys()).items.length).toBe(3);
    await p.scheduleDestruction(aes.keyRef, 1);
    await p.cancelDestruction(aes.keyRef);

    const methods = ['CreateCryptoKey', 'GetCryptoKey', 'ListCryptoKeys', 'ListCryptoKeyVersions', 'CreateCryptoKeyVersion', 'UpdateCryptoKeyPrimaryVersion',
      'UpdateCryptoKeyVersion', 'DestroyCryptoKeyVersion', 'RestoreCryptoKeyVersion', 'Encrypt', 'Decrypt', 'AsymmetricSign', 'GetPublicKey'];
    for (const m of methods) expect(emu.responses.checked.get(m) ?? 0, m).toBeGreaterThan(0);
    expect(emu.responses.violations).toEqual([]);
  });

  it('catches a field the proto does not define: the client gets INTERNAL naming the violation, and it is recorded', async () => {
    const key = await p.createKey({ name: 'drift', spec: 'AES_256', usage: 'encrypt' });
    emu.responses.reset();
    emu.responses.corruptNextResponse((reply) => void (reply['keyVersion'] = 1));
    const e = await providerFailure(p.encrypt(key.keyRef, Buffer.from('x')));
    expect(e.message).toContain(SCHEMA_VIOLATION);
    expect(emu.responses.violations).toEqual([{ operation: 'Encrypt', problems: ['keyVersion: google.cloud.kms.v1.EncryptResponse has no such field'] }]);
  });

  it('catches a wrong enum value, a wrong scalar type, and a version state the proto comments rule out', async () => {
    const key = await p.createKey({ name: 'drift-2', spec: 'EC_P256', usage: 'sign' });
    emu.responses.reset();
    emu.responses.corruptNextResponse((reply) => void (reply['protectionLevel'] = 'SOFTWARE_PLUS'), 'AsymmetricSign');
    expect((await providerFailure(p.sign(key.keyRef, Buffer.from('m')))).message).toMatch(/protectionLevel: "SOFTWARE_PLUS" is not a google\.cloud\.kms\.v1\.ProtectionLevel value/);
    emu.responses.corruptNextResponse((reply) => void (reply['pem'] = 42), 'GetPublicKey');
    expect((await providerFailure(p.getPublicKey(key.keyRef))).message).toMatch(/pem: expected a string/);
    const aes = await p.createKey({ name: 'drift-3', spec: 'AES_256', usage: 'encrypt' });
    emu.responses.corruptNextResponse((reply) => {
      (reply['primary'] as Record<string, unknown>)['destroyTime'] = { seconds: '1', nanos: 0 };
    }, 'GetCryptoKey');
    expect((await providerFailure(p.describeKey(aes.keyRef))).message).toMatch(/primary: destroyTime present in state ENABLED/);
    expect(emu.responses.violations.map((v) => v.operation)).toEqual(['AsymmetricSign', 'GetPublicKey', 'GetCryptoKey']);
  });
});
