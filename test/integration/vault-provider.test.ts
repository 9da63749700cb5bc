// The Vault transit adapter's own behaviour beyond the conformance suite: rewrap and retired versions, namespaces,
// mounts, the console-side disable flag, error normalisation with Vault's codes, timeouts, and what it never leaks.
import crypto from 'node:crypto';
import nodeVault from 'node-vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../electron/logger.ts';
import { isProviderError, type ProviderError } from '../../electron/providers/types.ts';
import { createVaultTransitProvider, type VaultTransitProviderOptions } from '../../electron/providers/vault/vaultProvider.ts';
import { startVaultEmulator, type VaultEmulator } from '../emulators/vault/server.ts';

const token = `hvs.${crypto.randomBytes(18).toString('base64url')}`;
let vault: VaultEmulator;
let raw: nodeVault.client;
let n = 0;
const name = (what: string) => `it-${what}-${++n}`;
const providers: Array<{ close(): Promise<void> }> = [];

function provider(extra: Partial<VaultTransitProviderOptions> = {}) {
  const p = createVaultTransitProvider({ id: 'vault-it', endpoint: vault.endpoint, token, timeoutMs: 5_000, ...extra });
  providers.push(p);
  return p;
}

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  if (!isProviderError(e)) throw new Error(`expected a ProviderError, got ${String(e)}`);
  return e;
}

beforeAll(async () => {
  vault = await startVaultEmulator({ token, namespaces: ['fleet', 'empty'], mounts: ['transit', 'kms/transit'] });
  raw = nodeVault({ endpoint: vault.endpoint, token, debug: () => undefined });
});
afterAll(async () => {
  for (const p of providers) await p.close();
  await vault?.close();
});

describe('vault adapter: versions', () => {
  it('rewraps old ciphertext to the newest version; after min_decryption_version moves, only the rewrapped copy decrypts', async () => {
    const p = provider();
    const key = await p.createKey({ name: name('rewrap'), spec: 'AES_256', usage: 'encrypt' });
    const old = await p.encrypt(key.keyRef, Buffer.from('telemetry v1'));
    expect(old.version).toBe(1);
    expect(old.ciphertext.toString()).toMatch(/^vault:v1:/);
    await p.rotate(key.keyRef);
    const rewrapped = await p.rewrap(key.keyRef, old.ciphertext);
    expect(rewrapped.version).toBe(2);
    await raw.write(`transit/keys/${key.keyRef}/config`, { min_decryption_version: 2 });
    const refused = await failure(p.decrypt(key.keyRef, old.ciphertext));
    expect(refused.kind).toBe('KeyDisabled');
    expect(refused.providerCode).toBe('400');
    expect((await p.decrypt(key.keyRef, rewrapped.ciphertext)).plaintext.toString()).toBe('telemetry v1');
  });

  it('serves public keys per version and refuses versions that do not exist or keys without one', async () => {
    const p = provider();
    const key = await p.createKey({ name: name('pub'), spec: 'EC_P256', usage: 'sign' });
    await p.rotate(key.keyRef);
    const v1 = await p.getPublicKey(key.keyRef, 1);
    const v2 = await p.getPublicKey(key.keyRef);
    expect(v2.version).toBe(2);
    expect(v1.pem).not.toBe(v2.pem);
    expect((await failure(p.getPublicKey(key.keyRef, 9))).kind).toBe('NotFound');
    const aes = await p.createKey({ name: name('pub-aes'), spec: 'AES_256', usage: 'encrypt' });
    expect((await failure(p.getPublicKey(aes.keyRef))).kind).toBe('InvalidInput');
  });

  it('answers false, not an error, for signature bytes that are not even well-formed', async () => {
    const p = provider();
    const key = await p.createKey({ name: name('sig'), spec: 'EC_P256', usage: 'sign' });
    expect(await p.verify(key.keyRef, Buffer.from('m'), Buffer.from('not a DER signature'))).toBe(false);
    expect(await p.verify(key.keyRef, Buffer.from('m'), Buffer.alloc(0))).toBe(false);
  });

  it('passes rotationPeriodDays to Vault as auto_rotate_period', async () => {
    const p = provider();
    const key = await p.createKey({ name: name('auto'), spec: 'AES_256', usage: 'encrypt', rotationPeriodDays: 1 });
    expect(key.rotationPeriodDays).toBe(1);
    expect((await raw.read(`transit/keys/${key.keyRef}`)).data.auto_rotate_period).toBe(86400);
  });
});

describe('vault adapter: namespaces, mounts and keys it did not make', () => {
  it('keeps namespaces apart and uses the configured mount', async () => {
    const fleet = provider({ namespace: 'fleet' });
    const rootNs = provider();
    const kms = provider({ namespace: 'fleet', mount: 'kms/transit' });
    const key = await fleet.createKey({ name: name('ns'), spec: 'AES_256', usage: 'encrypt' });
    expect((await failure(rootNs.describeKey(key.keyRef))).kind).toBe('NotFound');
    expect((await failure(kms.describeKey(key.keyRef))).kind).toBe('NotFound');
    await kms.createKey({ name: key.keyRef, spec: 'AES_256', usage: 'encrypt' });
    expect((await kms.describeKey(key.keyRef)).keyRef).toBe(key.keyRef);
  });

  it('ignores VAULT_NAMESPACE in the environment (the options decide)', async () => {
    const saved = process.env['VAULT_NAMESPACE'];
    process.env['VAULT_NAMESPACE'] = 'nowhere';
    try {
      const p = provider();
      expect((await p.createKey({ name: name('env'), spec: 'AES_256', usage: 'encrypt' })).state).toBe('enabled');
    } finally {
      if (saved === undefined) delete process.env['VAULT_NAMESPACE'];
      else process.env['VAULT_NAMESPACE'] = saved;
    }
  });

  it('reports a mount that does not exist as NotFound with Vault\'s route message, and an empty mount as an empty list', async () => {
    const e = await failure(provider({ mount: 'nope' }).describeKey('k'));
    expect(e.kind).toBe('NotFound');
    expect(e.message).toMatch(/no handler for route/);
    expect(await provider({ namespace: 'empty' }).listKeys()).toEqual({ items: [], nextPageToken: null });
  });

  it('never creates a key by encrypting: a missing key is NotFound and stays missing', async () => {
    const p = provider();
    const missing = name('missing');
    const e = await failure(p.encrypt(missing, Buffer.from('x')));
    expect(e.kind).toBe('NotFound');
    expect(e.providerCode).toBe('404');
    await expect(raw.read(`transit/keys/${missing}`)).rejects.toMatchObject({ response: { statusCode: 404 } });
  });

  it('costs one request per encrypt once the key type is known', async () => {
    const p = provider();
    const key = await p.createKey({ name: name('cost'), spec: 'AES_256', usage: 'encrypt' });
    const before = vault.faults.requestCount;
    await p.encrypt(key.keyRef, Buffer.from('a'));
    await p.encrypt(key.keyRef, Buffer.from('b'));
    expect(vault.faults.requestCount - before).toBe(2);
  });

  it('a read of a key whose connection is reset is tried once more (a GET changes nothing); a second reset fails; a write is never repeated', async () => {
    const p = provider();
    const key = await p.createKey({ name: name('reset'), spec: 'AES_256', usage: 'encrypt' });
    // One connection dropped by the server: the read is sent again and answers (2 requests reached the emulator).
    let before = vault.faults.requestCount;
    vault.faults.dropNext(1);
    expect((await p.describeKey(key.keyRef)).keyRef).toBe(key.keyRef);
    expect(vault.faults.requestCount - before).toBe(2);
    // Two in a row: the one retry is used up and the reset is reported (Unavailable, ECONNRESET).
    before = vault.faults.requestCount;
    vault.faults.dropNext(2);
    expect(await failure(p.describeKey(key.keyRef))).toMatchObject({ kind: 'Unavailable', providerCode: 'ECONNRESET' });
    expect(vault.faults.requestCount - before).toBe(2);
    // An encrypt (a POST) whose connection is reset is not sent again by the adapter.
    before = vault.faults.requestCount;
    vault.faults.dropNext(1);
    expect(await failure(p.encrypt(key.keyRef, Buffer.from('once')))).toMatchObject({ kind: 'Unavailable', providerCode: 'ECONNRESET' });
    expect(vault.faults.requestCount - before).toBe(1);
  });
});

describe('vault adapter: console-side disable and destruction', () => {
  it('keeps the disabled flag in the injected set, so another instance sharing it refuses too', async () => {
    const flags = new Set<string>();
    const a = provider({ disabledKeys: flags });
    const b = provider({ disabledKeys: flags });
    const key = await a.createKey({ name: name('flag'), spec: 'EC_P256', usage: 'sign' });
    await a.disable(key.keyRef);
    expect(flags.has(key.keyRef)).toBe(true);
    expect((await failure(b.sign(key.keyRef, Buffer.from('m')))).kind).toBe('KeyDisabled');
    expect((await b.describeKey(key.keyRef)).state).toBe('disabled');
    await b.enable(key.keyRef);
    expect((await a.sign(key.keyRef, Buffer.from('m'))).version).toBe(1);
    expect((await failure(a.disable(name('nokey')))).kind).toBe('NotFound');
  });

  it('has no pending destruction to cancel: InvalidInput while the key exists, NotFound once destroyed', async () => {
    const p = provider();
    const key = await p.createKey({ name: name('cancel'), spec: 'AES_256', usage: 'encrypt' });
    expect((await failure(p.cancelDestruction(key.keyRef))).kind).toBe('InvalidInput');
    await p.scheduleDestruction(key.keyRef, 0);
    expect((await failure(p.cancelDestruction(key.keyRef))).kind).toBe('NotFound');
  });
});

describe('vault adapter: input validation and error normalisation', () => {
  it('refuses bad options, names, specs, page tokens and duplicates with InvalidInput', async () => {
    const bad = (o: Partial<VaultTransitProviderOptions>) => {
      try {
        createVaultTransitProvider({ id: 'v', endpoint: vault.endpoint, token, ...o });
      } catch (e) {
        return isProviderError(e) ? e.kind : 'other';
      }
      return 'accepted';
    };
    expect(bad({ endpoint: 'ftp://127.0.0.1' })).toBe('InvalidInput');
    expect(bad({ token: '' })).toBe('InvalidInput');
    expect(bad({ token: 'has space' })).toBe('InvalidInput');
    expect(bad({ mount: '../sys' })).toBe('InvalidInput');
    expect(bad({ mount: 'sys' })).toBe('InvalidInput');
    expect(bad({ namespace: 'fleet/..' })).toBe('InvalidInput');
    expect(bad({ caCertPem: '-----BEGIN CERTIFICATE-----' })).toBe('InvalidInput'); // http endpoint
    expect(bad({ timeoutMs: 0 })).toBe('InvalidInput');
    const p = provider();
    expect((await failure(p.createKey({ name: 'bad name', spec: 'AES_256', usage: 'encrypt' }))).kind).toBe('InvalidInput');
    expect((await failure(p.createKey({ name: name('rsaenc'), spec: 'RSA_2048', usage: 'encrypt' }))).kind).toBe('InvalidInput');
    const dup = await p.createKey({ name: name('dup'), spec: 'AES_256', usage: 'encrypt' });
    expect((await failure(p.createKey({ name: dup.keyRef, spec: 'AES_256', usage: 'encrypt' }))).kind).toBe('InvalidInput');
    expect((await failure(p.listKeys({ pageToken: 'garbage!' }))).kind).toBe('InvalidInput');
    expect((await failure(p.listKeys({ pageSize: 0 }))).kind).toBe('InvalidInput');
    expect((await failure(p.encrypt('../sys/x', Buffer.from('x')))).kind).toBe('InvalidInput');
  });

  it('maps a refused token to AccessDenied with code 403, and never puts the token in errors or logs', async () => {
    const logger = createMemoryLogger();
    const wrong = `hvs.${crypto.randomBytes(18).toString('base64url')}`;
    const p = provider({ token: wrong, logger });
    const e = await failure(p.describeKey('anything'));
    expect(e.kind).toBe('AccessDenied');
    expect(e.providerCode).toBe('403');
    expect(e.retryable).toBe(false);
    expect(e.cause).toBeUndefined();
    const everything = JSON.stringify([e.message, e.stack, logger.entries, await p.health()]);
    expect(everything).not.toContain(wrong);
    expect(everything).not.toContain(token);
  });

  it('maps throttling, sealed and timeouts to retryable errors and recovers', async () => {
    // Healthy calls stay inside this deadline on a loaded machine; the slow case answers three deadlines late.
    const p = provider({ timeoutMs: 2_000 });
    const key = await p.createKey({ name: name('faults'), spec: 'AES_256', usage: 'encrypt' });
    try {
      vault.faults.throttleNext(1);
      const t = await failure(p.encrypt(key.keyRef, Buffer.from('x')));
      expect([t.kind, t.providerCode, t.retryable]).toEqual(['Throttled', '429', true]);
      vault.faults.failNext(1, 503);
      const s = await failure(p.encrypt(key.keyRef, Buffer.from('x')));
      expect([s.kind, s.providerCode, s.retryable]).toEqual(['Unavailable', '503', true]);
      vault.faults.failNext(1, 503);
      const h = await p.health();
      expect(h.ok).toBe(false);
      expect(h.detail).toMatch(/sealed/);
      vault.faults.setLatency(6_000);
      const slow = await failure(p.encrypt(key.keyRef, Buffer.from('x')));
      expect([slow.kind, slow.retryable]).toEqual(['Unavailable', true]);
    } finally {
      vault.faults.reset();
    }
    expect((await p.encrypt(key.keyRef, Buffer.from('x'))).version).toBe(1);
  });

  it('refuses every call after close()', async () => {
    const p = provider();
    await p.close();
    expect((await failure(p.listKeys())).kind).toBe('Unavailable');
  });
});
