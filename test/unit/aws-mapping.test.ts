// The AWS KMS vocabulary translations of docs/provider-aws-kms.md (the console <-> AWS KMS table), checked against
// AWS's published KeyMetadata values (KeySpec, KeyUsage, KeyState) and node:crypto for the PEM.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { KeyMetadata } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import {
  AAD_CONTEXT_KEY, AWS_KEY_SPEC, SIGNING_ALGORITHM, consoleSpec, consoleState, consoleUsage, derToPem, encryptionContext, keyInfo,
} from '../../electron/providers/aws/mapping.ts';
import { ProviderError } from '../../electron/providers/types.ts';

const ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('AWS KMS key specs, usages and algorithms', () => {
  it('creates keys with the documented specs and signs with PSS or ECDSA', () => {
    expect(AWS_KEY_SPEC).toEqual({ AES_256: 'SYMMETRIC_DEFAULT', RSA_2048: 'RSA_2048', EC_P256: 'ECC_NIST_P256' });
    expect(SIGNING_ALGORITHM).toEqual({ RSA_2048: 'RSASSA_PSS_SHA_256', EC_P256: 'ECDSA_SHA_256' });
  });

  it.each([
    ['SYMMETRIC_DEFAULT', 'AES_256'], ['RSA_2048', 'RSA_2048'], ['ECC_NIST_P256', 'EC_P256'],
  ])('reads KeySpec %s as %s, also from the older CustomerMasterKeySpec', (aws, console) => {
    expect(consoleSpec({ KeySpec: aws } as KeyMetadata, 'aws-1')).toBe(console);
    expect(consoleSpec({ CustomerMasterKeySpec: aws } as KeyMetadata, 'aws-1')).toBe(console);
  });

  it('prefers KeySpec over CustomerMasterKeySpec', () => {
    expect(consoleSpec({ KeySpec: 'RSA_2048', CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT' } as KeyMetadata, 'aws-1')).toBe('RSA_2048');
  });

  it.each(['RSA_3072', 'RSA_4096', 'ECC_NIST_P384', 'ECC_SECG_P256K1', 'HMAC_256', 'SM2', undefined])('refuses a key of spec %s with InvalidInput naming the key', (spec) => {
    let caught: unknown;
    try {
      consoleSpec({ KeySpec: spec, Arn: ARN } as KeyMetadata, 'aws-1');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ProviderError);
    expect(caught).toMatchObject({ kind: 'InvalidInput', providerId: 'aws-1', message: `AWS KMS key ${ARN} has key spec ${spec}, which the console does not use.` });
    expect(() => consoleSpec({ KeySpec: 'HMAC_256', KeyId: 'kid-1' } as KeyMetadata, 'a')).toThrow('AWS KMS key kid-1 has key spec HMAC_256');
  });

  it('reads KeyUsage: SIGN_VERIFY is sign, ENCRYPT_DECRYPT is encrypt', () => {
    expect(consoleUsage({ KeyUsage: 'SIGN_VERIFY' } as KeyMetadata)).toBe('sign');
    expect(consoleUsage({ KeyUsage: 'ENCRYPT_DECRYPT' } as KeyMetadata)).toBe('encrypt');
  });

  it.each([
    ['Enabled', 'enabled'], ['Updating', 'enabled'],
    ['PendingDeletion', 'pending_deletion'], ['PendingReplicaDeletion', 'pending_deletion'],
    ['Disabled', 'disabled'], ['Creating', 'disabled'], ['PendingImport', 'disabled'], ['Unavailable', 'disabled'], [undefined, 'disabled'],
  ])('reads KeyState %s as %s', (state, expected) => {
    expect(consoleState({ KeyState: state } as KeyMetadata)).toBe(expected);
  });
});

describe('AWS KMS associated data', () => {
  it('carries AAD as the one EncryptionContext pair "ecps:aad" = base64(aad); no or empty AAD is no context', () => {
    expect(AAD_CONTEXT_KEY).toBe('ecps:aad');
    expect(encryptionContext(Buffer.from([0xfb, 0xff, 0x00]))).toEqual({ 'ecps:aad': '+/8A' });
    expect(encryptionContext(Buffer.alloc(0))).toBeUndefined();
    expect(encryptionContext(undefined)).toBeUndefined();
  });
});

describe('AWS KMS key info', () => {
  it('maps KeyMetadata to the console key info', () => {
    const meta = {
      Arn: ARN, KeyId: '1234abcd', KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', KeyState: 'PendingDeletion',
      CreationDate: new Date('2026-01-02T03:04:05Z'), DeletionDate: new Date('2026-02-01T00:00:00Z'),
    } as KeyMetadata;
    expect(keyInfo(meta, 'aws-1', { name: 'robot-ca', currentVersion: 1, rotationPeriodDays: null })).toEqual({
      keyRef: ARN, name: 'robot-ca', spec: 'EC_P256', usage: 'sign', state: 'pending_deletion', currentVersion: 1,
      createdAt: '2026-01-02T03:04:05.000Z', deletionDate: '2026-02-01T00:00:00.000Z', rotationPeriodDays: null,
    });
  });

  it('falls back to the key id without an ARN, to time zero without a creation date, and has no deletion date unless scheduled', () => {
    const meta = { KeyId: 'kid-9', KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', KeyState: 'Enabled' } as KeyMetadata;
    expect(keyInfo(meta, 'aws-1', { name: null, currentVersion: 3, rotationPeriodDays: 365 })).toEqual({
      keyRef: 'kid-9', name: null, spec: 'AES_256', usage: 'encrypt', state: 'enabled', currentVersion: 3,
      createdAt: '1970-01-01T00:00:00.000Z', deletionDate: null, rotationPeriodDays: 365,
    });
  });
});

describe('AWS KMS public keys', () => {
  it('turns GetPublicKey DER into a PEM SPKI with 64-character lines that node:crypto reads back', () => {
    for (const pair of [generateKeyPairSync('rsa', { modulusLength: 2048 }), generateKeyPairSync('ec', { namedCurve: 'prime256v1' })]) {
      const der = pair.publicKey.export({ format: 'der', type: 'spki' });
      const pem = derToPem(new Uint8Array(der));
      expect(pem).toBe(pair.publicKey.export({ format: 'pem', type: 'spki' }));
      const lines = pem.trimEnd().split('\n');
      expect(lines[0]).toBe('-----BEGIN PUBLIC KEY-----');
      expect(lines.at(-1)).toBe('-----END PUBLIC KEY-----');
      expect(lines.slice(1, -2).every((l) => l.length === 64)).toBe(true);
      expect(createPublicKey(pem).export({ format: 'der', type: 'spki' })).toEqual(der);
    }
  });

  it('a DER whose base64 is an exact multiple of 64 characters gets no empty line', () => {
    const der = new Uint8Array(48); // 64 base64 characters
    expect(derToPem(der)).toBe(`-----BEGIN PUBLIC KEY-----\n${'A'.repeat(64)}\n-----END PUBLIC KEY-----\n`);
  });
});
