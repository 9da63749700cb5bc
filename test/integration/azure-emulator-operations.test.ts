// The Key Vault emulator serves what the keys REST specification (2025-07-01) offers and the service documents:
// key dates (nbf / exp) with the date-time rule, rotation policies with any ISO 8601 duration and expiryTime applied
// to rotated versions, every curve, import, backup / restore, the deleted-key listing, random bytes, and the Managed
// HSM's AES key wrap and AES-CBC. Raw HTTPS requests; expectations come from node:crypto or the documentation.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzureKeyVaultEmulator, type AzureKeyVaultEmulator } from '../emulators/azure-key-vault/server.ts';
import { makeTestPki, newTestIdentity, rawRequest, type TestPki } from '../emulators/azure-key-vault/testkit.ts';

const V = 'api%2Dversion=2025-07-01';
const HOUR = 3600;
let pki: TestPki;
let emu: AzureKeyVaultEmulator;
let hsm: AzureKeyVaultEmulator;
let now = Date.parse('2026-06-01T00:00:00Z');
const seconds = () => Math.floor(now / 1000);

const vault = (method: string, path: string, body?: unknown) => rawRequest(emu, pki.caPem, method, path, { body });
const onHsm = (method: string, path: string, body?: unknown) => rawRequest(hsm, pki.caPem, method, path, { body });
const versionOf = (reply: { body: Record<string, unknown> }) => (reply.body.key as { kid: string }).kid.split('/').pop()!;
const b64u = (b: Buffer) => b.toString('base64url');
const NODE_CURVE: Record<string, string> = { 'P-256': 'P-256', 'P-384': 'P-384', 'P-521': 'P-521', 'P-256K': 'secp256k1' };

beforeAll(async () => {
  pki = makeTestPki();
  const tls = { certPem: pki.certPem, keyPem: pki.keyPem };
  emu = await startAzureKeyVaultEmulator({ tls, ...newTestIdentity(), now: () => now });
  hsm = await startAzureKeyVaultEmulator({ tls, ...newTestIdentity(), managedHsm: true });
});
afterAll(async () => {
  await emu?.close();
  await hsm?.close();
  expect(emu.schema.violations()).toEqual([]);
  expect(hsm.schema.violations()).toEqual([]);
});

describe('Key Vault emulator: key dates', () => {
  it('keeps nbf / exp and, outside them, refuses encrypt, wrapKey and sign (KeyExpired / KeyNotYetValid) but still decrypts, unwraps and verifies', async () => {
    const created = await vault('POST', `/keys/dated/create?${V}`, { kty: 'RSA', key_size: 2048, attributes: { nbf: seconds() - HOUR, exp: seconds() + HOUR } });
    expect(created.body.attributes).toMatchObject({ nbf: seconds() - HOUR, exp: seconds() + HOUR, enabled: true });
    const v = versionOf(created);
    const op = (name: string, body: Record<string, unknown>) => vault('POST', `/keys/dated/${v}/${name}?${V}`, body);
    const digest = b64u(crypto.createHash('sha256').update('telemetry').digest());
    const value = b64u(Buffer.alloc(32, 7));
    const wrapped = (await op('wrapkey', { alg: 'RSA-OAEP-256', value })).body.value;
    const encrypted = (await op('encrypt', { alg: 'RSA-OAEP', value })).body.value;
    const signature = (await op('sign', { alg: 'RS256', value: digest })).body.value;
    now += 2 * HOUR * 1000;
    for (const [name, body] of [['wrapkey', { alg: 'RSA-OAEP-256', value }], ['encrypt', { alg: 'RSA-OAEP', value }], ['sign', { alg: 'RS256', value: digest }]] as const) {
      const refused = await op(name, body);
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatchObject({ code: 'Forbidden', innererror: { code: 'KeyExpired' } });
    }
    expect((await op('unwrapkey', { alg: 'RSA-OAEP-256', value: wrapped })).body.value).toBe(value);
    expect((await op('decrypt', { alg: 'RSA-OAEP', value: encrypted })).body.value).toBe(value);
    expect((await op('verify', { alg: 'RS256', digest, value: signature })).body).toEqual({ value: true });
    // Moving nbf into the future makes the key not yet valid.
    const patched = await vault('PATCH', `/keys/dated/${v}?${V}`, { attributes: { nbf: seconds() + HOUR, exp: seconds() + 2 * HOUR } });
    expect(patched.body.attributes).toMatchObject({ nbf: seconds() + HOUR, exp: seconds() + 2 * HOUR });
    expect((await op('wrapkey', { alg: 'RSA-OAEP-256', value })).body.error).toMatchObject({ innererror: { code: 'KeyNotYetValid' } });
    expect((await vault('PATCH', `/keys/dated/${v}?${V}`, { attributes: { nbf: seconds(), exp: seconds() - 1 } })).status).toBe(400);
  });

  it('accepts every ISO 8601 duration in a rotation policy and gives rotated versions the policy expiryTime as exp', async () => {
    await vault('POST', `/keys/policy/create?${V}`, { kty: 'EC', crv: 'P-256' });
    const bare = await vault('GET', `/keys/policy/rotationpolicy?${V}`);
    expect(bare.body).not.toHaveProperty('attributes');
    const put = (body: unknown) => vault('PUT', `/keys/policy/rotationpolicy?${V}`, body);
    expect((await put({ lifetimeActions: [{ trigger: { timeAfterCreate: 'PT167H' }, action: { type: 'Rotate' } }] })).status).toBe(400);
    const set = await put({ lifetimeActions: [{ trigger: { timeAfterCreate: 'PT240H' }, action: { type: 'rotate' } }, { trigger: { timeBeforeExpiry: 'P1W' }, action: { type: 'Notify' } }], attributes: { expiryTime: 'P3M' } });
    expect(set.status).toBe(200);
    expect(set.body.attributes).toEqual({ expiryTime: 'P3M', created: seconds(), updated: seconds() });
    expect((await put({ lifetimeActions: [{ trigger: { timeAfterCreate: 'P8D' }, action: { type: 'Rotate' } }, { trigger: { timeAfterCreate: 'P9D' }, action: { type: 'Rotate' } }] })).status).toBe(400);
    const rotated = await vault('POST', `/keys/policy/rotate?${V}`);
    expect(rotated.body.attributes).toMatchObject({ created: seconds(), exp: seconds() + 90 * 86_400 });
  });
});

describe('Key Vault emulator: curves, import, backup and restore, deleted keys, random bytes', () => {
  it.each([['P-256', 'ES256', 'sha256', 'prime256v1'], ['P-384', 'ES384', 'sha384', 'secp384r1'], ['P-521', 'ES512', 'sha512', 'secp521r1'], ['P-256K', 'ES256K', 'sha256', 'secp256k1']] as const)(
    'creates %s keys that sign with %s as node:crypto verifies, and verifies node:crypto signatures of an imported %s key',
    async (crv, alg, hash, nodeCurve) => {
      const name = `curve-${crv.toLowerCase().replace(/[^a-z0-9]/g, '')}`;
      const created = await vault('POST', `/keys/${name}/create?${V}`, { kty: 'EC', crv });
      expect(created.status).toBe(200);
      const jwk = created.body.key as { crv: string; x: string; y: string };
      expect(jwk.crv).toBe(crv);
      const pub = crypto.createPublicKey({ key: { kty: 'EC', crv: NODE_CURVE[crv], x: jwk.x, y: jwk.y }, format: 'jwk' });
      const message = Buffer.from(`stop robot ${crv}`);
      const digest = b64u(crypto.createHash(hash).update(message).digest());
      const signed = await vault('POST', `/keys/${name}/${versionOf(created)}/sign?${V}`, { alg, value: digest });
      expect(crypto.verify(hash, message, { key: pub, dsaEncoding: 'ieee-p1363' }, Buffer.from(signed.body.value as string, 'base64url'))).toBe(true);
      expect((await vault('POST', `/keys/${name}/${versionOf(created)}/sign?${V}`, { alg: alg === 'ES256' ? 'ES384' : 'ES256', value: digest })).status).toBe(400);
      // The other direction: node:crypto signs with a key it made, the vault verifies with the imported key.
      const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: nodeCurve });
      const imported = await vault('PUT', `/keys/${name}-imported?${V}`, { key: { ...privateKey.export({ format: 'jwk' }), crv } });
      expect(imported.status).toBe(200);
      const verify = (d: string, value: Buffer) => vault('POST', `/keys/${name}-imported/${versionOf(imported)}/verify?${V}`, { alg, digest: d, value: b64u(value) });
      const foreign = crypto.sign(hash, message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      expect((await verify(digest, foreign)).body).toEqual({ value: true });
      expect((await verify(b64u(crypto.createHash(hash).update('resume').digest()), foreign)).body).toEqual({ value: false });
    },
  );

  it('imports an RSA key (PUT /keys/NAME, not a key named "restore" or a 404) and uses that key material', async () => {
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = privateKey.export({ format: 'jwk' });
    const imported = await vault('PUT', `/keys/imported?${V}`, { key: { ...jwk, key_ops: ['wrapKey', 'unwrapKey'] }, tags: { origin: 'test' } });
    expect(imported.status).toBe(200);
    expect(imported.body.key).toMatchObject({ kty: 'RSA', n: jwk.n, key_ops: ['wrapKey', 'unwrapKey'] });
    expect(imported.body.key).not.toHaveProperty('d');
    const wrapped = await vault('POST', `/keys/imported/${versionOf(imported)}/wrapkey?${V}`, { alg: 'RSA-OAEP-256', value: b64u(Buffer.from('content key')) });
    const opened = crypto.privateDecrypt({ key: privateKey, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(wrapped.body.value as string, 'base64url'));
    expect(opened.toString()).toBe('content key');
    expect((await vault('PUT', `/keys/broken?${V}`, { key: { kty: 'RSA', n: jwk.n, e: jwk.e } })).status).toBe(400);
  });

  it('backs up a whole key, restores it with its versions after a purge, and refuses to restore over an existing name', async () => {
    const first = versionOf(await vault('POST', `/keys/kept/create?${V}`, { kty: 'RSA', key_size: 2048 }));
    const second = versionOf(await vault('POST', `/keys/kept/rotate?${V}`));
    const backup = await vault('POST', `/keys/kept/backup?${V}`);
    expect(backup.status).toBe(200);
    expect((await vault('POST', `/keys/restore?${V}`, { value: backup.body.value })).status).toBe(409);
    await vault('DELETE', `/keys/kept?${V}`);
    expect((await vault('POST', `/keys/restore?${V}`, { value: backup.body.value })).status).toBe(409);
    expect((await vault('DELETE', `/deletedkeys/kept?${V}`)).status).toBe(204);
    const restored = await vault('POST', `/keys/restore?${V}`, { value: backup.body.value });
    expect(restored.status).toBe(200);
    expect(versionOf(restored)).toBe(second);
    const versions = (await vault('GET', `/keys/kept/versions?${V}`)).body.value as Array<{ kid: string }>;
    expect(versions.map((x) => x.kid.split('/').pop())).toEqual([first, second]);
    expect((await vault('POST', `/keys/restore?${V}`, { value: b64u(Buffer.from('not a backup')) })).status).toBe(400);
  });

  it('lists deleted keys in pages with their recovery information', async () => {
    for (const n of ['gone-a', 'gone-b', 'gone-c']) {
      await vault('POST', `/keys/${n}/create?${V}`, { kty: 'EC' });
      await vault('DELETE', `/keys/${n}?${V}`);
    }
    const first = await vault('GET', `/deletedkeys?${V}&maxresults=2`);
    expect(first.status).toBe(200);
    const items = first.body.value as Array<Record<string, unknown>>;
    expect(items.map((i) => i.kid)).toEqual([`${emu.vaultUrl}/keys/gone-a`, `${emu.vaultUrl}/keys/gone-b`]);
    expect(items[0]).toMatchObject({ recoveryId: `${emu.vaultUrl}/deletedkeys/gone-a`, deletedDate: seconds(), scheduledPurgeDate: seconds() + 90 * 86_400 });
    const next = new URL(first.body.nextLink as string);
    const rest = await vault('GET', `${next.pathname}${next.search}`);
    expect((rest.body.value as Array<{ kid: string }>).map((i) => i.kid)).toContain(`${emu.vaultUrl}/keys/gone-c`);
    expect(rest.body).not.toHaveProperty('nextLink');
  });

  it('answers random bytes for 1 to 128 bytes', async () => {
    const got = await vault('POST', `/rng?${V}`, { count: 128 });
    expect(Buffer.from(got.body.value as string, 'base64url').length).toBe(128);
    expect((await vault('POST', `/rng?${V}`, { count: 129 })).status).toBe(400);
    expect((await vault('POST', `/rng?${V}`, { count: 0 })).status).toBe(400);
  });
});

describe('Managed HSM emulator: symmetric algorithms', () => {
  const aesKey = crypto.randomBytes(32);
  let v = '';
  beforeAll(async () => {
    const imported = await onHsm('PUT', `/keys/sym?${V}`, { key: { kty: 'oct-HSM', k: b64u(aesKey), key_ops: ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'] } });
    expect(imported.status).toBe(200);
    v = versionOf(imported);
  });

  it('wraps with A256KW and CKM_AES_KEY_WRAP_PAD exactly as RFC 3394 / RFC 5649, and refuses a changed wrapped key', async () => {
    const cek = crypto.randomBytes(32);
    const kw = await onHsm('POST', `/keys/sym/${v}/wrapkey?${V}`, { alg: 'A256KW', value: b64u(cek) });
    const expected = crypto.createCipheriv('id-aes256-wrap', aesKey, Buffer.from('a6a6a6a6a6a6a6a6', 'hex'));
    expect(kw.body.value).toBe(b64u(Buffer.concat([expected.update(cek), expected.final()])));
    expect((await onHsm('POST', `/keys/sym/${v}/unwrapkey?${V}`, { alg: 'A256KW', value: kw.body.value })).body.value).toBe(b64u(cek));
    const changed = Buffer.from(kw.body.value as string, 'base64url');
    changed[3]! ^= 1;
    expect((await onHsm('POST', `/keys/sym/${v}/unwrapkey?${V}`, { alg: 'A256KW', value: b64u(changed) })).status).toBe(400);
    const odd = crypto.randomBytes(20);
    const padded = await onHsm('POST', `/keys/sym/${v}/wrapkey?${V}`, { alg: 'CKM_AES_KEY_WRAP_PAD', value: b64u(odd) });
    expect((await onHsm('POST', `/keys/sym/${v}/unwrapkey?${V}`, { alg: 'CKM_AES_KEY_WRAP_PAD', value: padded.body.value })).body.value).toBe(b64u(odd));
    expect((await onHsm('POST', `/keys/sym/${v}/wrapkey?${V}`, { alg: 'A128KW', value: b64u(cek) })).status).toBe(400);
  });

  it('encrypts with A256CBCPAD under the caller IV as node:crypto does, and A256CBC needs whole blocks', async () => {
    const iv = crypto.randomBytes(16);
    const plaintext = Buffer.from('seventeen bytes!!');
    const sealed = await onHsm('POST', `/keys/sym/${v}/encrypt?${V}`, { alg: 'A256CBCPAD', value: b64u(plaintext), iv: b64u(iv) });
    const c = crypto.createCipheriv('aes-256-cbc', aesKey, iv);
    expect(sealed.body.value).toBe(b64u(Buffer.concat([c.update(plaintext), c.final()])));
    expect((await onHsm('POST', `/keys/sym/${v}/decrypt?${V}`, { alg: 'A256CBCPAD', value: sealed.body.value, iv: b64u(iv) })).body.value).toBe(b64u(plaintext));
    expect((await onHsm('POST', `/keys/sym/${v}/encrypt?${V}`, { alg: 'A256CBC', value: b64u(plaintext), iv: b64u(iv) })).status).toBe(400);
    expect((await onHsm('POST', `/keys/sym/${v}/encrypt?${V}`, { alg: 'A256CBC', value: b64u(Buffer.alloc(32)), iv: b64u(iv) })).status).toBe(200);
    expect((await onHsm('POST', `/keys/sym/${v}/encrypt?${V}`, { alg: 'A256CBCPAD', value: b64u(plaintext) })).status).toBe(400);
  });
});

describe('Key Vault emulator: the empty version segment as the service is reported to serve it', () => {
  it("with emptyVersionSegment 'latest', /keys/NAME//op goes to the newest version", async () => {
    const lenient = await startAzureKeyVaultEmulator({ tls: { certPem: pki.certPem, keyPem: pki.keyPem }, ...newTestIdentity(), emptyVersionSegment: 'latest' });
    try {
      const call = (method: string, path: string, body?: unknown) => rawRequest(lenient, pki.caPem, method, path, { body });
      await call('POST', `/keys/k/create?${V}`, { kty: 'RSA' });
      const newest = versionOf(await call('POST', `/keys/k/rotate?${V}`));
      const wrapped = await call('POST', `/keys/k//wrapkey?${V}`, { alg: 'RSA-OAEP-256', value: b64u(Buffer.alloc(16)) });
      expect(wrapped.body.kid).toBe(`${lenient.vaultUrl}/keys/k/${newest}`);
    } finally {
      await lenient.close();
    }
  });
});
