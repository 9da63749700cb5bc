// AWS adapter behaviour beyond the conformance suite: alias naming, versions from rotations, signing of long messages,
// listing only the console's keys, alias references, time-driven rotation and deletion in the emulator.
import crypto from 'node:crypto';
import { CreateAliasCommand, CreateKeyCommand } from '@aws-sdk/client-kms';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { createAwsKmsProvider } from '../../electron/providers/aws/awsKmsProvider.ts';
import { isProviderError, type KmsProvider } from '../../electron/providers/types.ts';
import type { AwsKmsEmulator } from '../emulators/aws-kms/index.ts';
import { rawClient, startTestEmulator, TEST_REGION, testProvider } from '../emulators/aws-kms/testkit.ts';

const DAY = 86_400_000;
const opened: Array<{ emu: AwsKmsEmulator; p: KmsProvider }> = [];
afterEach(async () => {
  for (const { emu, p } of opened.splice(0)) {
    await p.close();
    await emu.close();
  }
});

async function setup(extra: Parameters<typeof startTestEmulator>[0] = {}) {
  const emu = await startTestEmulator(extra);
  const p = testProvider(emu);
  opened.push({ emu, p });
  return { emu, p };
}

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (e) {
    if (isProviderError(e)) return e;
    throw e;
  }
  throw new Error('expected a ProviderError');
}

describe('AWS KMS adapter', () => {
  it('names keys by alias alias/<prefix><name>, refuses a duplicate name and bad names with InvalidInput', async () => {
    const { emu, p } = await setup();
    const k = await p.createKey({ name: 'storage-1', spec: 'AES_256', usage: 'encrypt' });
    expect(k.keyRef).toMatch(new RegExp(`^arn:aws:kms:${TEST_REGION}:\\d{12}:key/[0-9a-f-]{36}$`));
    expect(k.name).toBe('storage-1');
    expect((await p.describeKey('alias/ecps/storage-1')).keyRef).toBe(k.keyRef);
    const dup = await failure(p.createKey({ name: 'storage-1', spec: 'AES_256', usage: 'encrypt' }));
    expect([dup.kind, dup.providerCode]).toEqual(['InvalidInput', 'AlreadyExistsException']);
    expect(dup.requestId).toBeTruthy();
    for (const name of ['', 'has space', 'x'.repeat(65), 'slash/no']) expect((await failure(p.createKey({ name, spec: 'AES_256', usage: 'encrypt' }))).kind).toBe('InvalidInput');
    expect((await failure(p.createKey({ name: 'bad-spec', spec: 'RSA_2048', usage: 'encrypt' }))).kind).toBe('InvalidInput');
    expect((await failure(p.createKey({ name: 'bad-spec2', spec: 'AES_256', usage: 'sign' }))).kind).toBe('InvalidInput');
    const prefixed = createAwsKmsProvider({ id: 'aws-2', region: TEST_REGION, endpoint: emu.endpoint, credentials: { accessKeyId: 'AKIDECPSTEST0000001', secretAccessKey: 'ecps-test-secret-not-a-real-one' }, aliasPrefix: 'plant-a/' });
    try {
      const other = await prefixed.createKey({ name: 'storage-1', spec: 'AES_256', usage: 'encrypt' });
      expect(other.keyRef).not.toBe(k.keyRef);
      expect((await p.describeKey('alias/plant-a/storage-1')).keyRef).toBe(other.keyRef);
    } finally {
      await prefixed.close();
    }
    expect(() => createAwsKmsProvider({ id: 'x', region: TEST_REGION, aliasPrefix: 'aws/' })).toThrow(/aliasPrefix/);
  });

  it('enables automatic rotation with the requested period, and refuses one for signing keys or out of range', async () => {
    const { p } = await setup();
    const k = await p.createKey({ name: 'comm', spec: 'AES_256', usage: 'encrypt', rotationPeriodDays: 90 });
    expect(k.rotationPeriodDays).toBe(90);
    expect((await p.describeKey(k.keyRef)).rotationPeriodDays).toBe(90);
    expect((await p.describeKey((await p.createKey({ name: 'manual', spec: 'AES_256', usage: 'encrypt' })).keyRef)).rotationPeriodDays).toBeNull();
    const signRot = await failure(p.createKey({ name: 'em', spec: 'RSA_2048', usage: 'sign', rotationPeriodDays: 365 }));
    expect([signRot.kind, signRot.providerCode]).toEqual(['InvalidInput', 'UnsupportedOperationException']);
    expect((await failure(p.createKey({ name: 'c2', spec: 'AES_256', usage: 'encrypt', rotationPeriodDays: 1 }))).kind).toBe('InvalidInput');
  });

  it('counts versions from rotations: on demand, and automatic when the emulator clock passes the period', async () => {
    const clock = manualClock(Date.now());
    const { p } = await setup({ clock });
    const k = await p.createKey({ name: 'rot', spec: 'AES_256', usage: 'encrypt', rotationPeriodDays: 90 });
    const v1 = await p.encrypt(k.keyRef, Buffer.from('v1 data'));
    expect((await p.rotate(k.keyRef)).version).toBe(2);
    clock.advance(91 * DAY);
    expect((await p.describeKey(k.keyRef)).currentVersion).toBe(3);
    expect((await p.rotate('alias/ecps/rot')).version).toBe(4);
    expect((await p.decrypt(k.keyRef, v1.ciphertext)).plaintext.toString()).toBe('v1 data');
  });

  it('a key scheduled for deletion is NotFound once its waiting period has passed', async () => {
    const clock = manualClock(Date.now());
    const { p } = await setup({ clock });
    const k = await p.createKey({ name: 'doomed', spec: 'AES_256', usage: 'encrypt' });
    const { ciphertext } = await p.encrypt(k.keyRef, Buffer.from('x'));
    const { deletionDate } = await p.scheduleDestruction(k.keyRef, 7);
    expect(Date.parse(deletionDate)).toBe(clock.now() + 7 * DAY);
    expect((await failure(p.scheduleDestruction(k.keyRef, 6))).kind).toBe('InvalidInput');
    clock.advance(7 * DAY);
    expect((await failure(p.describeKey(k.keyRef))).kind).toBe('NotFound');
    expect((await failure(p.decrypt(k.keyRef, ciphertext))).kind).toBe('NotFound');
    expect((await p.listKeys()).items.map((i) => i.keyRef)).not.toContain(k.keyRef);
  });

  it('signs messages longer than 4 KiB (as a digest) and the signatures verify with node:crypto', async () => {
    const { p } = await setup();
    for (const spec of ['RSA_2048', 'EC_P256'] as const) {
      const k = await p.createKey({ name: `long-${spec}`, spec, usage: 'sign' });
      const { pem } = await p.getPublicKey(k.keyRef);
      const key = crypto.createPublicKey(pem);
      for (const size of [4096, 4097, 100_000]) {
        const message = crypto.randomBytes(size);
        const { signature } = await p.sign(k.keyRef, message);
        const opts = spec === 'RSA_2048' ? { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : key;
        expect(crypto.verify('sha256', message, opts, signature)).toBe(true);
        expect(await p.verify(k.keyRef, message, signature)).toBe(true);
      }
      expect(await p.verify(k.keyRef, Buffer.from('x'), Buffer.alloc(0))).toBe(false);
      expect((await failure(p.sign(k.keyRef, Buffer.from('x'), 2))).kind).toBe('NotFound');
      expect((await failure(p.getPublicKey(k.keyRef, 2))).kind).toBe('NotFound');
      const rot = await failure(p.rotate(k.keyRef));
      expect([rot.kind, rot.providerCode]).toEqual(['InvalidInput', 'UnsupportedOperationException']);
    }
  });

  it('verify() is true only when the service says SignatureValid: true', async () => {
    // The service answers a bad signature with KMSInvalidSignatureException (API reference, Verify); the emulator's
    // other answers (HTTP 200 with SignatureValid false or absent) prove the adapter reads the field itself. Those
    // answers are off-spec on purpose, so the response-schema check (which would turn them into a 500) is off here.
    const { emu, p } = await setup({ checkResponses: false });
    for (const spec of ['RSA_2048', 'EC_P256'] as const) {
      const k = await p.createKey({ name: `verify-${spec}`, spec, usage: 'sign' });
      const message = Buffer.from('lift lockdown, site 4');
      const { signature } = await p.sign(k.keyRef, message);
      const forged = Buffer.from(signature);
      forged[forged.length - 1]! ^= 0x01;
      for (const answer of ['service', 'signature-valid-false', 'signature-valid-missing'] as const) {
        emu.setVerifyFailureAnswer(answer);
        expect(await p.verify(k.keyRef, message, signature), `${spec} ${answer} genuine`).toBe(true);
        expect(await p.verify(k.keyRef, message, forged), `${spec} ${answer} forged`).toBe(false);
        expect(await p.verify(k.keyRef, Buffer.from('lift lockdown, site 5'), signature), `${spec} ${answer} other message`).toBe(false);
      }
      emu.setVerifyFailureAnswer('service');
    }
  });

  it('lists only the console-prefixed keys, across pages with other aliases in between', async () => {
    const { emu, p } = await setup();
    const raw = rawClient(emu);
    const mine: string[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        mine.push((await p.createKey({ name: `mine-${i}`, spec: 'AES_256', usage: 'encrypt' })).keyRef);
        const foreign = (await raw.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
        await raw.send(new CreateAliasCommand({ AliasName: `alias/other-team/k${i}`, TargetKeyId: foreign }));
      }
    } finally {
      raw.destroy();
    }
    const seen: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const page = await p.listKeys({ pageSize: 3, pageToken: token });
      expect(page.items.every((k) => k.name?.startsWith('mine-'))).toBe(true);
      seen.push(...page.items.map((k) => k.keyRef));
      token = page.nextPageToken;
      pages++;
    } while (token !== null);
    expect(pages).toBeGreaterThan(1);
    expect(seen.sort()).toEqual([...mine].sort());
    expect((await failure(p.listKeys({ pageSize: 0 }))).kind).toBe('InvalidInput');
    expect((await failure(p.listKeys({ pageToken: 'bm9wZQ==' }))).providerCode).toBe('InvalidMarkerException');
  });

  it('accepts alias references for management operations and keeps the cancelled key disabled, as AWS does', async () => {
    const { p } = await setup();
    const k = await p.createKey({ name: 'by-alias', spec: 'AES_256', usage: 'encrypt' });
    await p.disable('alias/ecps/by-alias');
    expect((await p.describeKey(k.keyRef)).state).toBe('disabled');
    await p.enable('alias/ecps/by-alias');
    await p.scheduleDestruction('alias/ecps/by-alias', 30);
    await p.cancelDestruction('alias/ecps/by-alias');
    expect((await p.describeKey(k.keyRef)).state).toBe('disabled');
  });

  it('data keys are 32 fresh bytes bound to the associated data', async () => {
    const { p } = await setup();
    const k = await p.createKey({ name: 'dk', spec: 'AES_256', usage: 'encrypt' });
    const dk = await p.generateDataKey(k.keyRef, Buffer.from('robot-7'));
    expect(dk.plaintext.length).toBe(32);
    expect((await p.decrypt(k.keyRef, dk.wrapped, Buffer.from('robot-7'))).plaintext.equals(dk.plaintext)).toBe(true);
    expect((await failure(p.decrypt(k.keyRef, dk.wrapped))).kind).toBe('IntegrityFailure');
    const other = await p.createKey({ name: 'dk2', spec: 'AES_256', usage: 'encrypt' });
    const wrongKey = await failure(p.decrypt(other.keyRef, dk.wrapped, Buffer.from('robot-7')));
    expect([wrongKey.kind, wrongKey.providerCode]).toEqual(['IntegrityFailure', 'IncorrectKeyException']);
  });
});
