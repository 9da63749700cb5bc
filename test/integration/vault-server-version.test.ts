// Vault versions that silently drop a guarantee are refused, naming the minimum. First the emulator, set to an old
// version or Vault Community, is shown (through the raw node-vault client, not the adapter) to drop exactly what that
// Vault drops; then the adapter is shown to refuse that server instead of losing the guarantee. The versions come
// from Vault's CHANGELOG (table in docs/provider-vault.md), written out here rather than read from the adapter.
import crypto from 'node:crypto';
import nodeVault from 'node-vault';
import { afterEach, describe, expect, it } from 'vitest';
import { createVaultTransitProvider, type VaultTransitProvider } from '../../electron/providers/vault/vaultProvider.ts';
import { startVaultEmulator, type VaultEmulator } from '../emulators/vault/server.ts';
import type { VaultServerProfile } from '../emulators/vault/serverProfile.ts';
import { providerFailure } from './conformance/suite.ts';

const token = `hvs.${crypto.randomBytes(18).toString('base64url')}`;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const running: Array<{ close(): Promise<void> }> = [];

async function vaultOf(server: VaultServerProfile): Promise<VaultEmulator> {
  const v = await startVaultEmulator({ token, namespaces: ['fleet'], server });
  running.push(v);
  return v;
}
function adapter(v: VaultEmulator, namespace?: string): VaultTransitProvider {
  const p = createVaultTransitProvider({ id: 'vault-version', endpoint: v.endpoint, token, timeoutMs: 5_000, ...(namespace ? { namespace } : {}) });
  running.push(p);
  return p;
}
function raw(v: VaultEmulator, namespace?: string): nodeVault.client {
  const c = nodeVault({ endpoint: v.endpoint, token, noCustomHTTPVerbs: true, debug: () => undefined });
  (c as unknown as { namespace?: string }).namespace = namespace;
  return c;
}
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});

describe('the emulator drops what an old Vault drops', () => {
  it('Vault 1.12 ignores associated_data: a ciphertext decrypts with the wrong associated data', async () => {
    const c = raw(await vaultOf({ version: '1.12.9', enterprise: false }));
    await c.write('transit/keys/k', {});
    const { ciphertext } = (await c.write('transit/encrypt/k', { plaintext: b64('order'), associated_data: b64('robot-1') })).data;
    expect((await c.write('transit/decrypt/k', { ciphertext, associated_data: b64('robot-2') })).data.plaintext).toBe(b64('order'));
  });

  it('Vault 1.11 ignores salt_length: an RSA-PSS signature does not verify with the hash-length salt', async () => {
    const c = raw(await vaultOf({ version: '1.11.4', enterprise: false }));
    await c.write('transit/keys/r', { type: 'rsa-2048' });
    const pem = (await c.read('transit/keys/r')).data.keys['1'].public_key;
    const { signature } = (await c.write('transit/sign/r/sha2-256', { input: b64('m'), signature_algorithm: 'pss', salt_length: 'hash' })).data;
    const sig = Buffer.from(signature.slice('vault:v1:'.length), 'base64');
    const opts = { key: crypto.createPublicKey(pem), padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    expect(crypto.verify('sha256', Buffer.from('m'), opts, sig)).toBe(false);
  });

  it('Vault 1.9 ignores auto_rotate_period: the key has no rotation period at all', async () => {
    const c = raw(await vaultOf({ version: '1.9.10', enterprise: false }));
    await c.write('transit/keys/a', { auto_rotate_period: '24h' });
    expect((await c.read('transit/keys/a')).data).not.toHaveProperty('auto_rotate_period');
  });

  it('Vault Community ignores X-Vault-Namespace and serves the root namespace', async () => {
    const v = await vaultOf({ version: '1.17.0', enterprise: false });
    await raw(v, 'fleet').write('transit/keys/in-fleet', {});
    expect((await raw(v).read('transit/keys/in-fleet')).data.name).toBe('in-fleet');
  });
});

describe('vault adapter: servers that would drop a guarantee are refused', () => {
  const tooOld: Array<[string, RegExp]> = [
    ['1.12.9', /associated_data/],
    ['1.11.4', /salt_length/],
    ['1.9.10', /auto_rotate_period/],
  ];
  for (const [version, dropped] of tooOld)
    it(`refuses Vault ${version}, naming the minimum 1.13.0 and what it would drop, before sending any key operation`, async () => {
      const v = await vaultOf({ version, enterprise: false });
      const p = adapter(v);
      const before = v.faults.requestCount;
      const e = await providerFailure(p.createKey({ name: 'k', spec: 'AES_256', usage: 'encrypt' }));
      expect(e.kind).toBe('Unsupported');
      expect(e.message).toContain('1.13.0');
      expect(e.message).toMatch(dropped);
      expect(v.faults.requestCount - before).toBe(1); // sys/health only
      expect((await providerFailure(p.encrypt('k', Buffer.from('x'), Buffer.from('aad')))).kind).toBe('Unsupported');
      const health = await p.health();
      expect(health.ok).toBe(false);
      expect(health.detail).toMatch(/Unsupported: .*1\.13\.0/);
    });

  it('refuses a namespace on Vault Community (which would serve the root namespace), and accepts it without one', async () => {
    const v = await vaultOf({ version: '1.17.0', enterprise: false });
    const withNamespace = adapter(v, 'fleet');
    const e = await providerFailure(withNamespace.listKeys());
    expect(e.kind).toBe('Unsupported');
    expect(e.message).toMatch(/namespace "fleet".*not Vault Enterprise/);
    expect((await withNamespace.health()).ok).toBe(false);
    const rootOnly = adapter(v);
    expect((await rootOnly.createKey({ name: 'k', spec: 'AES_256', usage: 'encrypt' })).currentVersion).toBe(1);
    expect((await rootOnly.health()).ok).toBe(true);
  });

  it('accepts Vault Enterprise 1.13.0, which reports no enterprise field yet ("+ent" says the edition), with a namespace', async () => {
    const p = adapter(await vaultOf({ version: '1.13.0+ent', enterprise: true }), 'fleet');
    const key = await p.createKey({ name: 'k', spec: 'AES_256', usage: 'encrypt', rotationPeriodDays: 1 });
    const { ciphertext } = await p.encrypt(key.keyRef, Buffer.from('order'), Buffer.from('robot-1'));
    expect((await providerFailure(p.decrypt(key.keyRef, ciphertext, Buffer.from('robot-2')))).kind).toBe('IntegrityFailure');
    expect((await p.health()).ok).toBe(true);
  });
});
