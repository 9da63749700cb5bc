// The KMS emulator refuses what the real service refuses, so an adapter bug cannot hide behind a lenient emulator:
// signatures (tampered body, wrong secret, unknown key, wrong token, expired date, wrong scope), protocol, sizes,
// key states, key usage and tampered ciphertext. Requests are signed by the SDK's own signer, not the emulator's code.
import {
  CancelKeyDeletionCommand, CreateAliasCommand, CreateKeyCommand, DecryptCommand, DisableKeyCommand, EnableKeyCommand, EnableKeyRotationCommand,
  EncryptCommand, KMSClient, ListKeysCommand, RotateKeyOnDemandCommand, ScheduleKeyDeletionCommand, SignCommand, VerifyCommand,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsKmsEmulator } from '../emulators/aws-kms/index.ts';
import { kmsRequest } from '../emulators/aws-kms/rawRequest.ts';
import { rawClient, startTestEmulator, TEST_CREDENTIALS } from '../emulators/aws-kms/testkit.ts';

async function sdkFailure(p: Promise<unknown>): Promise<{ name: string; status: number | undefined; requestId: string | undefined }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; $metadata?: { httpStatusCode?: number; requestId?: string } };
    return { name: err.name, status: err.$metadata?.httpStatusCode, requestId: err.$metadata?.requestId };
  }
  throw new Error('expected the emulator to refuse the request');
}

let emu: AwsKmsEmulator;
let kms: KMSClient;
const MIN = 60_000;

beforeAll(async () => {
  emu = await startTestEmulator();
  kms = rawClient(emu);
});
afterAll(async () => {
  kms.destroy();
  await emu.close();
});

const newSymmetricKey = async () => (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;

describe('SigV4', () => {
  it('accepts a request signed by the SDK signer, with and without x-amz-content-sha256', async () => {
    expect((await kmsRequest(emu.endpoint, 'TrentService.ListKeys', {})).status).toBe(200);
    expect((await kmsRequest(emu.endpoint, 'TrentService.ListKeys', {}, { contentSha256: false })).status).toBe(200);
  });

  it('rejects a body changed after signing (InvalidSignatureException, 400)', async () => {
    for (const contentSha256 of [true, false]) {
      const r = await kmsRequest(emu.endpoint, 'TrentService.ListKeys', { Limit: 1 }, { contentSha256, bodyAfterSigning: '{"Limit":2}' });
      expect(r.status).toBe(400);
      expect(r.body.__type).toBe('InvalidSignatureException');
      expect(r.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('rejects a signature made with the wrong secret', async () => {
    const r = await kmsRequest(emu.endpoint, 'TrentService.ListKeys', {}, { credentials: { ...TEST_CREDENTIALS, secretAccessKey: 'not-the-secret' } });
    expect([r.status, r.body.__type]).toEqual([400, 'InvalidSignatureException']);
    const viaSdk = rawClient(emu, { ...TEST_CREDENTIALS, secretAccessKey: 'not-the-secret' });
    expect((await sdkFailure(viaSdk.send(new ListKeysCommand({})))).name).toBe('InvalidSignatureException');
    viaSdk.destroy();
  });

  it('rejects an unknown access key with UnrecognizedClientException', async () => {
    const r = await kmsRequest(emu.endpoint, 'TrentService.ListKeys', {}, { credentials: { ...TEST_CREDENTIALS, accessKeyId: 'AKIDUNKNOWN' } });
    expect([r.status, r.body.__type]).toEqual([400, 'UnrecognizedClientException']);
  });

  it('rejects a wrong or missing session token where one is configured', async () => {
    const withToken = await startTestEmulator({ credentials: { ...TEST_CREDENTIALS, sessionToken: 'session-token-1' } });
    try {
      const ok = await kmsRequest(withToken.endpoint, 'TrentService.ListKeys', {}, { credentials: { ...TEST_CREDENTIALS, sessionToken: 'session-token-1' } });
      expect(ok.status).toBe(200);
      const wrong = await kmsRequest(withToken.endpoint, 'TrentService.ListKeys', {}, { credentials: { ...TEST_CREDENTIALS, sessionToken: 'session-token-2' } });
      expect(wrong.body.__type).toBe('UnrecognizedClientException');
      expect((await kmsRequest(withToken.endpoint, 'TrentService.ListKeys', {})).body.__type).toBe('UnrecognizedClientException');
    } finally {
      await withToken.close();
    }
  });

  it('rejects an x-amz-date more than 5 minutes away from the server clock, in either direction', async () => {
    for (const offset of [-6 * MIN, 6 * MIN]) {
      const r = await kmsRequest(emu.endpoint, 'TrentService.ListKeys', {}, { signingDate: new Date(Date.now() + offset) });
      expect([r.status, r.body.__type]).toEqual([400, 'InvalidSignatureException']);
    }
    expect((await kmsRequest(emu.endpoint, 'TrentService.ListKeys', {}, { signingDate: new Date(Date.now() - 4 * MIN) })).status).toBe(200);
  });

  it('rejects a credential scoped to another region, a signed header removed, and a missing signature', async () => {
    expect((await kmsRequest(emu.endpoint, 'TrentService.ListKeys', {}, { region: 'us-east-1' })).body.__type).toBe('InvalidSignatureException');
    const changedTarget = await kmsRequest(emu.endpoint, 'TrentService.ListKeys', {}, { mutateHeaders: (h) => void (h['x-amz-target'] = 'TrentService.ListAliases') });
    expect(changedTarget.body.__type).toBe('InvalidSignatureException');
    const unsigned = await kmsRequest(emu.endpoint, 'TrentService.ListKeys', {}, { unsigned: true });
    expect([unsigned.status, unsigned.body.__type]).toEqual([400, 'MissingAuthenticationTokenException']);
  });
});

describe('protocol', () => {
  it('refuses unknown operations and other content types with UnknownOperationException', async () => {
    expect((await kmsRequest(emu.endpoint, 'TrentService.MakeCoffee', {})).body.__type).toBe('UnknownOperationException');
    expect((await kmsRequest(emu.endpoint, 'Other.ListKeys', {})).body.__type).toBe('UnknownOperationException');
    expect((await kmsRequest(emu.endpoint, 'TrentService.ListKeys', {}, { contentType: 'application/json' })).body.__type).toBe('UnknownOperationException');
  });

  it('answers server faults with 500 KMSInternalException and a request id', async () => {
    emu.faults.failNext(1);
    const r = await kmsRequest(emu.endpoint, 'TrentService.ListKeys', {});
    expect([r.status, r.body.__type]).toEqual([500, 'KMSInternalException']);
    expect(r.headers['x-amzn-requestid']).toBeTruthy();
  });
});

describe('limits and validation', () => {
  it('accepts 1..4096 plaintext bytes on Encrypt and refuses 0 and 4097 with ValidationException', async () => {
    const key = await newSymmetricKey();
    for (const n of [1, 4096]) expect((await kms.send(new EncryptCommand({ KeyId: key, Plaintext: Buffer.alloc(n, 1) }))).CiphertextBlob).toBeDefined();
    for (const n of [0, 4097]) {
      const f = await sdkFailure(kms.send(new EncryptCommand({ KeyId: key, Plaintext: Buffer.alloc(n, 1) })));
      expect([f.name, f.status]).toEqual(['ValidationException', 400]);
      expect(f.requestId).toBeTruthy();
    }
  });

  it('checks PendingWindowInDays 7..30, RotationPeriodInDays 90..2560, Limit 1..1000 and alias names', async () => {
    const key = await newSymmetricKey();
    for (const d of [6, 31]) expect((await sdkFailure(kms.send(new ScheduleKeyDeletionCommand({ KeyId: key, PendingWindowInDays: d })))).name).toBe('ValidationException');
    for (const d of [89, 2561]) expect((await sdkFailure(kms.send(new EnableKeyRotationCommand({ KeyId: key, RotationPeriodInDays: d })))).name).toBe('ValidationException');
    for (const l of [0, 1001]) expect((await sdkFailure(kms.send(new ListKeysCommand({ Limit: l })))).name).toBe('ValidationException');
    expect((await sdkFailure(kms.send(new ListKeysCommand({ Marker: 'bm90LWEtbWFya2Vy' })))).name).toBe('InvalidMarkerException');
    expect((await sdkFailure(kms.send(new CreateAliasCommand({ AliasName: 'robots', TargetKeyId: key })))).name).toBe('ValidationException');
    expect((await sdkFailure(kms.send(new CreateAliasCommand({ AliasName: 'alias/aws/robots', TargetKeyId: key })))).name).toBe('InvalidAliasNameException');
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/strict/one', TargetKeyId: key }));
    expect((await sdkFailure(kms.send(new CreateAliasCommand({ AliasName: 'alias/strict/one', TargetKeyId: key })))).name).toBe('AlreadyExistsException');
  });
});

describe('key states and usage', () => {
  it('a disabled key refuses crypto with DisabledException; pending deletion gives KMSInvalidStateException', async () => {
    const key = await newSymmetricKey();
    const blob = (await kms.send(new EncryptCommand({ KeyId: key, Plaintext: Buffer.from('x') }))).CiphertextBlob!;
    await kms.send(new DisableKeyCommand({ KeyId: key }));
    expect((await sdkFailure(kms.send(new EncryptCommand({ KeyId: key, Plaintext: Buffer.from('x') })))).name).toBe('DisabledException');
    expect((await sdkFailure(kms.send(new DecryptCommand({ CiphertextBlob: blob })))).name).toBe('DisabledException');
    expect((await sdkFailure(kms.send(new RotateKeyOnDemandCommand({ KeyId: key })))).name).toBe('DisabledException');
    expect((await sdkFailure(kms.send(new CancelKeyDeletionCommand({ KeyId: key })))).name).toBe('KMSInvalidStateException');
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key, PendingWindowInDays: 7 }));
    expect((await sdkFailure(kms.send(new DecryptCommand({ CiphertextBlob: blob })))).name).toBe('KMSInvalidStateException');
    expect((await sdkFailure(kms.send(new EnableKeyCommand({ KeyId: key })))).name).toBe('KMSInvalidStateException');
    expect((await sdkFailure(kms.send(new ScheduleKeyDeletionCommand({ KeyId: key, PendingWindowInDays: 7 })))).name).toBe('KMSInvalidStateException');
  });

  it('refuses the wrong key usage and rotation of asymmetric keys', async () => {
    const rsa = (await kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.Arn!;
    const aes = await newSymmetricKey();
    expect((await sdkFailure(kms.send(new EncryptCommand({ KeyId: rsa, Plaintext: Buffer.from('x') })))).name).toBe('InvalidKeyUsageException');
    expect((await sdkFailure(kms.send(new SignCommand({ KeyId: aes, Message: Buffer.from('x'), SigningAlgorithm: 'RSASSA_PSS_SHA_256' })))).name).toBe('InvalidKeyUsageException');
    expect((await sdkFailure(kms.send(new SignCommand({ KeyId: rsa, Message: Buffer.from('x'), SigningAlgorithm: 'ECDSA_SHA_256' })))).name).toBe('InvalidKeyUsageException');
    expect((await sdkFailure(kms.send(new SignCommand({ KeyId: rsa, Message: Buffer.alloc(31), MessageType: 'DIGEST', SigningAlgorithm: 'RSASSA_PSS_SHA_256' })))).name).toBe('ValidationException');
    expect((await sdkFailure(kms.send(new RotateKeyOnDemandCommand({ KeyId: rsa })))).name).toBe('UnsupportedOperationException');
    expect((await sdkFailure(kms.send(new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'SIGN_VERIFY' })))).name).toBe('ValidationException');
    const sig = (await kms.send(new SignCommand({ KeyId: rsa, Message: Buffer.from('go'), SigningAlgorithm: 'RSASSA_PSS_SHA_256' }))).Signature!;
    expect((await sdkFailure(kms.send(new VerifyCommand({ KeyId: rsa, Message: Buffer.from('stop'), Signature: sig, SigningAlgorithm: 'RSASSA_PSS_SHA_256' })))).name).toBe('KMSInvalidSignatureException');
  });
});

describe('ciphertext', () => {
  it('refuses a tampered blob, a different EncryptionContext, and a blob presented for another key', async () => {
    const key = await newSymmetricKey();
    const other = await newSymmetricKey();
    const ctx = { robot: '0042' };
    const blob = Buffer.from((await kms.send(new EncryptCommand({ KeyId: key, Plaintext: Buffer.from('orders'), EncryptionContext: ctx }))).CiphertextBlob!);
    for (const at of [0, 10, 42, blob.length - 20, blob.length - 1]) {
      const t = Buffer.from(blob);
      t[at]! ^= 0x01;
      expect((await sdkFailure(kms.send(new DecryptCommand({ CiphertextBlob: t, EncryptionContext: ctx })))).name).toBe('InvalidCiphertextException');
    }
    expect((await sdkFailure(kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { robot: '0043' } })))).name).toBe('InvalidCiphertextException');
    expect((await sdkFailure(kms.send(new DecryptCommand({ CiphertextBlob: blob })))).name).toBe('InvalidCiphertextException');
    expect((await sdkFailure(kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: ctx, KeyId: other })))).name).toBe('IncorrectKeyException');
    const ok = await kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: ctx, KeyId: key }));
    expect(Buffer.from(ok.Plaintext!).toString()).toBe('orders');
  });
});
