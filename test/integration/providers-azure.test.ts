// Azure Key Vault through the console's channels: the specification's dictionary (key_vault_url) plus client
// credentials, the emulator's token endpoint as the authority and its per-run test CA, a KMS-backed key that
// encrypts (RSA-OAEP-256 wrap of a content key) and decrypts, and the client secret never shown again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTempDirs } from '../unit/store-testkit.ts';
import { azureConfig, bytes, initialized } from './providers-kit.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type AzureTestBed, startAzureTestBed } from '../emulators/azure-key-vault/testkit.ts';

let bed: AzureTestBed;
let caFile: string;
beforeAll(async () => {
  bed = await startAzureTestBed();
  caFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ecps-azure-ca-')), 'ca.pem');
  fs.writeFileSync(caFile, bed.pki.caPem);
});
afterAll(async () => {
  await bed.close();
  fs.rmSync(path.dirname(caFile), { recursive: true, force: true });
  removeTempDirs();
});

describe('Azure Key Vault through the console', () => {
  it('holds a KMS-backed key configured from the dictionary, and never shows the client secret again', async () => {
    const h = await initialized();
    const saved = await h.call('providers:save', { config: azureConfig(bed, caFile) });
    expect(saved).toMatchObject({ id: 'azure', kind: 'azure_key_vault', kmsBacked: true });
    expect(saved.settings.azure_client_secret).toBe('set');
    expect((await h.call('providers:test', { id: 'azure' })).ok).toBe(true);

    const key = await h.call('keys:create', { type: 'communication', label: 'fleet link', provider: 'azure' });
    expect(key).toMatchObject({ provider: 'azure', kmsBacked: true });
    const sealed = await h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('dock 9'), aad: bytes('robot-9') });
    expect(Buffer.from((await h.call('keys:decrypt', { ciphertext: sealed.ciphertext, aad: bytes('robot-9') })).plaintext).toString()).toBe('dock 9');
    expect((await h.fail(h.call('keys:decrypt', { ciphertext: sealed.ciphertext, aad: bytes('robot-8') }))).code).toBe('aad_mismatch');

    const signer = await h.call('keys:create', { type: 'emergency', label: 'orders', provider: 'azure' });
    const sig = await h.call('keys:sign', { keyId: signer.id, data: bytes('stop all robots') });
    expect((await h.call('keys:verify', { keyId: signer.id, data: bytes('stop all robots'), signature: sig.signature })).valid).toBe(true);

    // A wrong client secret: the token endpoint refuses it, and the console says the credentials were denied.
    const wrong = await h.call('providers:save', {
      config: azureConfig(bed, caFile, { id: 'azure-wrong', azure_client_secret: 'not-the-secret', use_kms_for_storage: false }),
    });
    expect(wrong.id).toBe('azure-wrong');
    const denied = await h.fail(h.call('keys:create', { type: 'storage', label: 'never', provider: 'azure-wrong' }));
    expect(denied.code).toBe('provider_access_denied');

    const everything = [h.transcript.join('\n'), JSON.stringify(h.console.audit.exportJsonl()), JSON.stringify(h.logger.entries)].join('\n');
    expect(everything).not.toContain(bed.identity.clientSecret);
    h.console.close();
  });
});
