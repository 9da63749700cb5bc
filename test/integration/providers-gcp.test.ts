// Google Cloud KMS through the console's channels: the specification's dictionary (project_id, location_id,
// key_ring_id) plus the endpoint of the gRPC emulator on 127.0.0.1, a KMS-backed key that encrypts and decrypts, and
// a corrupted checksum from the service refused as tampering, never returned as plaintext.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTempDirs } from '../unit/store-testkit.ts';
import type { GcpKmsEmulator } from '../emulators/gcp-kms/index.ts';
import { startTestEmulator, TEST_LOCATION, TEST_PROJECT } from '../emulators/gcp-kms/testkit.ts';
import { bytes, initialized } from './providers-kit.ts';

let emu: GcpKmsEmulator;
beforeAll(async () => {
  process.env.METADATA_SERVER_DETECTION = 'none';
  emu = await startTestEmulator();
});
afterAll(async () => {
  await emu.close();
  removeTempDirs();
});

describe('Google Cloud KMS through the console', () => {
  it('holds a KMS-backed key configured from the specification dictionary and catches a corrupted response', async () => {
    const h = await initialized();
    const saved = await h.call('providers:save', {
      config: { provider: 'google_cloud_kms', id: 'gcp', project_id: TEST_PROJECT, location_id: TEST_LOCATION, key_ring_id: 'console-ring', endpoint: emu.endpoint, use_kms_for_storage: true, retries: 0, enable_local_cache: false },
    });
    expect(saved).toMatchObject({ id: 'gcp', kind: 'google_cloud_kms', kmsBacked: true });
    expect((await h.call('providers:test', { id: 'gcp' })).ok).toBe(true);

    const key = await h.call('keys:create', { type: 'storage', label: 'black box', provider: 'gcp' });
    expect(key).toMatchObject({ provider: 'gcp', kmsBacked: true });
    const sealed = await h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('flight log 7'), aad: bytes('robot-7') });
    expect(Buffer.from((await h.call('keys:decrypt', { ciphertext: sealed.ciphertext, aad: bytes('robot-7') })).plaintext).toString()).toBe('flight log 7');

    const signer = await h.call('keys:create', { type: 'device_identity', label: 'robot-7 identity', algorithm: 'EC_P256', provider: 'gcp' });
    const sig = await h.call('keys:sign', { keyId: signer.id, data: bytes('hello') });
    expect((await h.call('keys:verify', { keyId: signer.id, data: bytes('hello'), signature: sig.signature })).valid).toBe(true);

    // The service answers with a corrupted checksum (the data-key cache is off, so the decrypt reaches it): refused.
    emu.corruptNext('checksum');
    const refused = await h.fail(h.call('keys:decrypt', { ciphertext: sealed.ciphertext, aad: bytes('robot-7') }));
    expect(refused.code).toBe('ciphertext_tampered');
    expect(refused.message).toContain('CRC32C');
    expect(refused.message).not.toContain('flight log 7');
    h.console.close();
  });
});
