// AWS primary + Vault backup: one data key wrapped under both, decryption while either one is down, failover of new
// keys to the backup when the primary is down (audited), and the offline fallback: degraded encryption under a local
// fallback key with offline_mode (audited), refusal without it, never a cached data key for an unreachable provider.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../electron/crypto/envelope.ts';
import { removeTempDirs } from '../unit/store-testkit.ts';
import { awsConfig, bytes, type Emulators, initialized, startEmulators, vaultConfig } from './providers-kit.ts';

let emu: Emulators;
beforeAll(async () => {
  emu = await startEmulators();
});
afterAll(async () => {
  await emu.close();
  removeTempDirs();
});

async function withDown<T>(faults: { down(): Promise<void>; up(): Promise<void> }, fn: () => Promise<T>): Promise<T> {
  await faults.down();
  try {
    return await fn();
  } finally {
    await faults.up();
  }
}

/** A provider's call timeout no load on a test machine reaches; the down paths below never wait for it. */
const LOAD_PROOF_TIMEOUT_MS = 30_000;

describe('AWS primary + Vault backup', () => {
  it('wraps each data key under both and decrypts with AWS down, then with Vault down', async () => {
    const h = await initialized();
    // A loaded machine (CI with other work) once took over 2 s for AWS's answer and the key failed over to Vault: the
    // timeout here is long, which costs nothing below (a provider that is down refuses the connection at once).
    await h.call('providers:save', { config: awsConfig(emu, { enable_local_cache: false, timeout_ms: LOAD_PROOF_TIMEOUT_MS }) });
    await h.call('providers:save', { config: vaultConfig(emu, { enable_local_cache: false, timeout_ms: LOAD_PROOF_TIMEOUT_MS }) });
    const key = await h.call('keys:create', { type: 'storage', label: 'dual', provider: 'aws-primary', backupProvider: 'vault-backup' });
    expect(key).toMatchObject({ provider: 'aws-primary', backupProvider: 'vault-backup', kmsBacked: true });
    const aad = bytes('site-3');
    const enc = await h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('both ways'), aad });
    expect(parseEnvelope(Buffer.from(enc.ciphertext)).entries.map((e) => e.provider)).toEqual(['aws-primary', 'vault-backup']);

    const viaVault = await withDown(emu.aws.faults, () => h.call('keys:decrypt', { ciphertext: enc.ciphertext, aad }));
    expect(viaVault).toMatchObject({ plaintext: bytes('both ways'), keyId: key.id });
    expect(h.auditOf('key.decrypt')[0]?.details).toMatchObject({ provider: 'vault-backup', unreachable: expect.stringContaining('aws-primary') });
    // "Test connection" closes AWS's circuit again once it answers.
    expect((await h.call('providers:test', { id: 'aws-primary' })).ok).toBe(true);

    const viaAws = await withDown(emu.vault.faults, () => h.call('keys:decrypt', { ciphertext: enc.ciphertext, aad }));
    expect(viaAws.plaintext).toEqual(bytes('both ways'));
    expect(h.auditOf('key.decrypt')[0]?.details).toMatchObject({ provider: 'aws-primary' });

    await withDown(emu.aws.faults, () =>
      withDown(emu.vault.faults, async () => {
        expect((await h.fail(h.call('keys:decrypt', { ciphertext: enc.ciphertext, aad }))).code).toBe('provider_unavailable');
      }),
    );
    h.console.close();
  });

  it('creates a new key on the backup when the primary is down, and the audit says so', async () => {
    const h = await initialized();
    await h.call('providers:save', { config: awsConfig(emu) });
    await h.call('providers:save', { config: vaultConfig(emu) });
    const key = await withDown(emu.aws.faults, () =>
      h.call('keys:create', { type: 'communication', label: 'failover', provider: 'aws-primary', backupProvider: 'vault-backup' }),
    );
    expect(key).toMatchObject({ provider: 'vault-backup', kmsBacked: true });
    const rec = h.auditOf('key.create').find((r) => r.targetId === key.id);
    expect(rec).toMatchObject({ outcome: 'success', details: { failover: true, from: 'aws-primary', to: 'vault-backup' } });
    expect(String(rec?.details.reason)).toMatch(/Unavailable/);
    const enc = await h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('still works') });
    expect((await h.call('keys:decrypt', { ciphertext: enc.ciphertext })).plaintext).toEqual(bytes('still works'));
    h.console.close();
  });
});

describe('offline fallback', () => {
  it('with offline_mode, wraps under a local fallback key while the provider is down and audits it as degraded', async () => {
    const h = await initialized();
    await h.call('providers:save', { config: awsConfig(emu, { offline_mode: true }) });
    const key = await h.call('keys:create', { type: 'storage', label: 'edge', provider: 'aws-primary' });
    const enc = await withDown(emu.aws.faults, async () => {
      const out = await h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('offline data') });
      // Readable now, from the local fallback, while AWS is still down.
      expect((await h.call('keys:decrypt', { ciphertext: out.ciphertext })).plaintext).toEqual(bytes('offline data'));
      return out;
    });
    expect(parseEnvelope(Buffer.from(enc.ciphertext)).entries.map((e) => e.provider)).toEqual(['local-kms']);
    const rec = h.auditOf('key.encrypt').find((r) => r.targetId === key.id);
    expect(rec?.details).toMatchObject({ degraded: true, provider: 'aws-primary' });
    expect(h.logger.entries.some((e) => e.message.startsWith('degraded encryption'))).toBe(true);
    const status = (await h.call('providers:list', {})).providers.find((p) => p.id === 'aws-primary');
    expect(status?.lastError).not.toBeNull();
    h.console.close();
  });

  it('without offline_mode, refuses rather than use a cached data key of an unreachable provider', async () => {
    const h = await initialized();
    await h.call('providers:save', { config: vaultConfig(emu, { use_kms_for_storage: true }) });
    const key = await h.call('keys:create', { type: 'storage', label: 'strict' });
    expect(key.provider).toBe('vault-backup');
    // The first encryption caches its data key (enable_local_cache defaults to true).
    await h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('one') });
    await withDown(emu.vault.faults, async () => {
      // The console learns that Vault is down (a health check) ...
      expect((await h.call('providers:test', { id: 'vault-backup' })).ok).toBe(false);
      const status = (await h.call('providers:list', {})).providers.find((p) => p.id === 'vault-backup');
      expect(status?.health?.ok).toBe(false);
      // ... so the cached data key, wrapped only under Vault, is not used: nothing is written.
      const err = await h.fail(h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('two') }));
      expect(err.code).toBe('provider_unavailable');
    });
    expect(h.auditOf('key.encrypt').find((r) => r.outcome === 'failure')?.details).toMatchObject({ code: 'provider_unavailable' });
    h.console.close();
  });
});
