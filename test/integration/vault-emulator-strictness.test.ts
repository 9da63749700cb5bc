// The Vault emulator refuses what Vault refuses, with Vault's status codes and error texts, so that an adapter bug
// cannot hide behind a lenient emulator. Requests go through the raw node-vault client (and fetch where the exact
// status of sys/health matters), never through the adapter.
import crypto from 'node:crypto';
import nodeVault from 'node-vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVaultEmulator, type VaultEmulator } from '../emulators/vault/server.ts';

const token = `hvs.${crypto.randomBytes(18).toString('base64url')}`;
let vault: VaultEmulator;
let root: nodeVault.client;
let n = 0;
const keyName = () => `strict-${process.pid}-${++n}`;
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

function client(options: { token?: string; namespace?: string } = {}): nodeVault.client {
  const c = nodeVault({ endpoint: vault.endpoint, token: options.token ?? token, noCustomHTTPVerbs: true, debug: () => undefined });
  (c as unknown as { namespace?: string }).namespace = options.namespace;
  return c;
}

/** The rejection of `p` as Vault sent it: status and the errors array. */
async function rejection(p: Promise<unknown>): Promise<{ status: number; errors: string[] }> {
  try {
    await p;
  } catch (e) {
    const r = (e as { response?: { statusCode: number; body: { errors?: string[] } } }).response;
    if (!r) throw e;
    return { status: r.statusCode, errors: r.body?.errors ?? [] };
  }
  throw new Error('expected Vault to refuse the request');
}

beforeAll(async () => {
  vault = await startVaultEmulator({ token, namespaces: ['fleet', 'fleet/eu'] });
  root = client();
});
afterAll(async () => {
  await vault?.close();
});

describe('vault emulator: authentication and namespaces', () => {
  it('refuses a wrong token and a missing token with 403 permission denied', async () => {
    const name = keyName();
    expect(await rejection(client({ token: 'hvs.wrong' }).write(`transit/keys/${name}`, {}))).toEqual({ status: 403, errors: ['permission denied'] });
    const anonymous = nodeVault({ endpoint: vault.endpoint, noCustomHTTPVerbs: true, debug: () => undefined });
    anonymous.token = '';
    expect(await rejection(anonymous.read(`transit/keys/${name}`))).toEqual({ status: 403, errors: ['permission denied'] });
  });

  it('refuses an unknown namespace and keeps namespaces apart', async () => {
    const name = keyName();
    expect((await rejection(client({ namespace: 'nowhere' }).write(`transit/keys/${name}`, {}))).status).toBe(403);
    await client({ namespace: 'fleet/eu' }).write(`transit/keys/${name}`, { type: 'aes256-gcm96' });
    expect((await client({ namespace: 'fleet/eu' }).read(`transit/keys/${name}`)).data.name).toBe(name);
    expect((await rejection(client({ namespace: 'fleet' }).read(`transit/keys/${name}`))).status).toBe(404);
    expect((await rejection(root.read(`transit/keys/${name}`))).status).toBe(404);
  });

  it('answers 404 "no handler for route" for a mount that does not exist and 405 for an unsupported method', async () => {
    const r = await rejection(root.read('kms/keys/x'));
    expect(r.status).toBe(404);
    expect(r.errors[0]).toMatch(/no handler for route "kms\/keys\/x"/);
    expect((await rejection(root.read(`transit/encrypt/${keyName()}`))).status).toBe(405);
  });
});

describe('vault emulator: keys', () => {
  it('creates, reads with the data envelope, and refuses unknown key types', async () => {
    const name = keyName();
    const created = await root.write(`transit/keys/${name}`, { type: 'ecdsa-p256' });
    expect(created).toMatchObject({ lease_id: '', renewable: false, lease_duration: 0, wrap_info: null, auth: null });
    expect(created.request_id).toMatch(/^[0-9a-f-]{36}$/);
    const read = (await root.read(`transit/keys/${name}`)).data;
    expect(read).toMatchObject({ name, type: 'ecdsa-p256', latest_version: 1, min_decryption_version: 1, deletion_allowed: false, supports_signing: true, supports_encryption: false });
    expect(read.keys['1'].public_key).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(await rejection(root.write(`transit/keys/${keyName()}`, { type: 'des' }))).toEqual({ status: 400, errors: ['unknown key type: des'] });
  });

  it('refuses DELETE until deletion_allowed is set, then deletes', async () => {
    const name = keyName();
    await root.write(`transit/keys/${name}`, {});
    const r = await rejection(root.delete(`transit/keys/${name}`));
    expect(r).toEqual({ status: 400, errors: [`error deleting policy ${name}: deletion is not allowed for this key`] });
    await root.write(`transit/keys/${name}/config`, { deletion_allowed: true });
    await root.delete(`transit/keys/${name}`);
    expect((await rejection(root.read(`transit/keys/${name}`))).status).toBe(404);
  });

  it('refuses config versions beyond the latest version and min encryption below min decryption', async () => {
    const name = keyName();
    await root.write(`transit/keys/${name}`, {});
    expect((await rejection(root.write(`transit/keys/${name}/config`, { min_decryption_version: 2 }))).errors[0]).toBe(
      'cannot set min decryption version of 2, latest key version is 1',
    );
    expect((await rejection(root.write(`transit/keys/${name}/config`, { min_encryption_version: 2 }))).status).toBe(400);
    await root.write(`transit/keys/${name}/rotate`, {});
    await root.write(`transit/keys/${name}/rotate`, {});
    expect((await rejection(root.write(`transit/keys/${name}/config`, { min_decryption_version: 3, min_encryption_version: 2 }))).status).toBe(400);
    expect((await rejection(root.write(`transit/keys/${name}/config`, { auto_rotate_period: '30m' }))).errors[0]).toMatch(/at least an hour/);
  });

  it('answers LIST on an empty mount with 404 and lists sorted names otherwise', async () => {
    const ns = client({ namespace: 'fleet' });
    expect((await rejection(ns.list('transit/keys'))).status).toBe(404);
    await ns.write('transit/keys/b-key', {});
    await ns.write('transit/keys/a-key', {});
    expect((await ns.list('transit/keys')).data.keys).toEqual(['a-key', 'b-key']);
  });
});

describe('vault emulator: encryption', () => {
  it('refuses tampered ciphertext and wrong associated data with "cipher: message authentication failed"', async () => {
    const name = keyName();
    await root.write(`transit/keys/${name}`, {});
    const { ciphertext } = (await root.write(`transit/encrypt/${name}`, { plaintext: b64('orders'), associated_data: b64('robot-1') })).data;
    expect(ciphertext).toMatch(/^vault:v1:[A-Za-z0-9+/]+=*$/);
    const raw = Buffer.from(ciphertext.slice('vault:v1:'.length), 'base64');
    raw[20]! ^= 0x01;
    const bad = `vault:v1:${raw.toString('base64')}`;
    expect(await rejection(root.write(`transit/decrypt/${name}`, { ciphertext: bad, associated_data: b64('robot-1') }))).toEqual({
      status: 400,
      errors: ['cipher: message authentication failed'],
    });
    expect((await rejection(root.write(`transit/decrypt/${name}`, { ciphertext, associated_data: b64('robot-2') }))).errors[0]).toBe('cipher: message authentication failed');
    expect((await rejection(root.write(`transit/decrypt/${name}`, { ciphertext: ciphertext.replace('vault:', 'vaulx:') }))).errors[0]).toBe('invalid ciphertext: no prefix');
    expect((await rejection(root.write(`transit/decrypt/${name}`, { ciphertext: ciphertext.replace('v1:', 'v9:') }))).errors[0]).toBe('invalid ciphertext: version is too new');
    expect((await root.write(`transit/decrypt/${name}`, { ciphertext, associated_data: b64('robot-1') })).data.plaintext).toBe(b64('orders'));
  });

  it('refuses decryption below min_decryption_version, and rewrap brings old ciphertext forward', async () => {
    const name = keyName();
    await root.write(`transit/keys/${name}`, {});
    const old = (await root.write(`transit/encrypt/${name}`, { plaintext: b64('v1 data') })).data.ciphertext;
    await root.write(`transit/keys/${name}/rotate`, {});
    const rewrapped = (await root.write(`transit/rewrap/${name}`, { ciphertext: old })).data;
    expect(rewrapped.key_version).toBe(2);
    await root.write(`transit/keys/${name}/config`, { min_decryption_version: 2 });
    expect(await rejection(root.write(`transit/decrypt/${name}`, { ciphertext: old }))).toEqual({
      status: 400,
      errors: ['ciphertext or signature version is disallowed by policy (too old)'],
    });
    expect((await root.write(`transit/decrypt/${name}`, { ciphertext: rewrapped.ciphertext })).data.plaintext).toBe(b64('v1 data'));
  });

  it('refuses oversize requests with 413, bad base64, a key type that cannot encrypt, and versions below min_encryption_version', async () => {
    const small = await startVaultEmulator({ token, maxRequestBytes: 4096 });
    try {
      const c = nodeVault({ endpoint: small.endpoint, token, debug: () => undefined });
      await c.write('transit/keys/k', {});
      expect(await rejection(c.write('transit/encrypt/k', { plaintext: b64(crypto.randomBytes(4096)) }))).toEqual({ status: 413, errors: ['http: request body too large'] });
      expect((await c.write('transit/encrypt/k', { plaintext: b64(crypto.randomBytes(1024)) })).data.key_version).toBe(1);
    } finally {
      await small.close();
    }
    const name = keyName();
    await root.write(`transit/keys/${name}`, {});
    expect((await rejection(root.write(`transit/encrypt/${name}`, { plaintext: 'not base64!' }))).errors[0]).toBe('failed to base64-decode plaintext');
    expect((await rejection(root.write(`transit/encrypt/${name}`, {}))).errors[0]).toBe('missing plaintext to encrypt');
    await root.write(`transit/keys/${name}/rotate`, {});
    await root.write(`transit/keys/${name}/config`, { min_encryption_version: 2 });
    expect((await rejection(root.write(`transit/encrypt/${name}`, { plaintext: b64('x'), key_version: 1 }))).errors[0]).toMatch(/less than the minimum encryption key version/);
    const ec = keyName();
    await root.write(`transit/keys/${ec}`, { type: 'ecdsa-p256' });
    expect((await rejection(root.write(`transit/encrypt/${ec}`, { plaintext: b64('x') }))).errors[0]).toBe('message encryption not supported for key type ecdsa-p256');
  });

  it('creates a missing key on encrypt (upsert) unless config/keys disables it', async () => {
    const ns = client({ namespace: 'fleet' });
    const name = keyName();
    expect((await ns.write(`transit/encrypt/${name}`, { plaintext: b64('x') })).data.key_version).toBe(1);
    expect((await ns.read(`transit/keys/${name}`)).data.type).toBe('aes256-gcm96');
    await ns.write('transit/config/keys', { disable_upsert: true });
    expect(await rejection(ns.write(`transit/encrypt/${keyName()}`, { plaintext: b64('x') }))).toEqual({ status: 400, errors: ['encryption key not found'] });
    expect((await rejection(ns.write(`transit/decrypt/${keyName()}`, { ciphertext: 'vault:v1:AAAA' }))).errors[0]).toBe('encryption key not found');
  });

  it('issues data keys of 256 bits and refuses other sizes', async () => {
    const name = keyName();
    await root.write(`transit/keys/${name}`, {});
    const dk = (await root.write(`transit/datakey/plaintext/${name}`, {})).data;
    expect(Buffer.from(dk.plaintext, 'base64').length).toBe(32);
    expect((await root.write(`transit/decrypt/${name}`, { ciphertext: dk.ciphertext })).data.plaintext).toBe(dk.plaintext);
    expect((await root.write(`transit/datakey/wrapped/${name}`, {})).data.plaintext).toBeUndefined();
    expect((await rejection(root.write(`transit/datakey/plaintext/${name}`, { bits: 100 }))).errors[0]).toBe('invalid bits value');
  });
});

describe('vault emulator: signatures', () => {
  it('verifies good signatures, answers valid=false for a changed message, and refuses malformed DER', async () => {
    const name = keyName();
    await root.write(`transit/keys/${name}`, { type: 'ecdsa-p256' });
    const { signature } = (await root.write(`transit/sign/${name}/sha2-256`, { input: b64('stop') })).data;
    expect((await root.write(`transit/verify/${name}/sha2-256`, { input: b64('stop'), signature })).data.valid).toBe(true);
    expect((await root.write(`transit/verify/${name}/sha2-256`, { input: b64('go'), signature })).data.valid).toBe(false);
    const der = Buffer.from(signature.slice('vault:v1:'.length), 'base64');
    const extra = `vault:v1:${Buffer.concat([der, Buffer.from([0])]).toString('base64')}`;
    expect((await rejection(root.write(`transit/verify/${name}/sha2-256`, { input: b64('stop'), signature: extra }))).errors[0]).toBe('supplied signature contains extra data');
    const broken = Buffer.from(der);
    broken[0] = 0x31;
    expect((await rejection(root.write(`transit/verify/${name}/sha2-256`, { input: b64('stop'), signature: `vault:v1:${broken.toString('base64')}` }))).errors[0]).toBe(
      'supplied signature is invalid',
    );
  });

  it('signs RSA with PSS so that node:crypto verifies with the hash-length salt, and refuses signing with an AES key', async () => {
    const name = keyName();
    await root.write(`transit/keys/${name}`, { type: 'rsa-2048' });
    const pem = (await root.read(`transit/keys/${name}`)).data.keys['1'].public_key;
    const { signature } = (await root.write(`transit/sign/${name}/sha2-256`, { input: b64('m'), signature_algorithm: 'pss', salt_length: 'hash' })).data;
    const raw = Buffer.from(signature.slice('vault:v1:'.length), 'base64');
    const opts = { key: crypto.createPublicKey(pem), padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    expect(crypto.verify('sha256', Buffer.from('m'), opts, raw)).toBe(true);
    const aes = keyName();
    await root.write(`transit/keys/${aes}`, {});
    expect((await rejection(root.write(`transit/sign/${aes}/sha2-256`, { input: b64('m') }))).errors[0]).toBe('key type aes256-gcm96 does not support signing');
    expect((await rejection(root.write(`transit/sign/${name}/sha2-512`, { input: b64('m') }))).status).toBe(400);
  });
});

describe('vault emulator: sys/health and faults', () => {
  it('answers sys/health without a token: 200 active, 503 when sealed, 429 under a rate-limit quota', async () => {
    const url = `${vault.endpoint}/v1/sys/health`;
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ initialized: true, sealed: false, standby: false });
    vault.faults.failNext(1, 503);
    const sealed = await fetch(url);
    expect(sealed.status).toBe(503);
    expect(await sealed.json()).toMatchObject({ sealed: true });
    vault.faults.throttleNext(1);
    const limited = await fetch(url);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(((await limited.json()) as { errors: string[] }).errors[0]).toMatch(/rate limit quota exceeded/);
  });

  it('drops connections, goes down and comes back on the same port', async () => {
    vault.faults.dropNext(1);
    await expect(root.read('sys/health')).rejects.toMatchObject({ code: expect.stringMatching(/ECONNRESET|ERR_BAD_RESPONSE|ECONNABORTED/) });
    await vault.faults.down();
    await expect(fetch(`${vault.endpoint}/v1/sys/health`)).rejects.toThrow();
    await vault.faults.up();
    expect((await fetch(`${vault.endpoint}/v1/sys/health`)).status).toBe(200);
  });
});
