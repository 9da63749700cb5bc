// The Key Vault emulator refuses what the service refuses: requests without api-version or with an unknown one, no /
// invalid / expired bearer token (with the challenge), unknown keys and versions, operations a key does not allow or
// its state forbids, malformed bodies, bad rotation policies, reuse of a soft-deleted name; and its soft delete keeps
// the retention window. Raw HTTPS requests (trusting only the per-run CA) plus the official credential.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzureKeyVaultEmulator, type AzureKeyVaultEmulator } from '../emulators/azure-key-vault/server.ts';
import { makeTestPki, newTestIdentity, rawRequest, type TestPki } from '../emulators/azure-key-vault/testkit.ts';

let pki: TestPki;
let emu: AzureKeyVaultEmulator;
let now = Date.parse('2026-06-01T00:00:00Z');
const identity = newTestIdentity();
const V = 'api%2Dversion=2025-07-01';

const request = (method: string, path: string, options: { token?: string | null; body?: unknown; form?: string } = {}) => rawRequest(emu, pki.caPem, method, path, options);
const versionOf = (reply: { body: Record<string, unknown> }) => (reply.body.key as { kid: string }).kid.split('/').pop()!;

const createRsa = (name: string, ops: string[]) => request('POST', `/keys/${name}/create?${V}`, { body: { kty: 'RSA', key_size: 2048, key_ops: ops } });

beforeAll(async () => {
  pki = makeTestPki();
  emu = await startAzureKeyVaultEmulator({ tls: { certPem: pki.certPem, keyPem: pki.keyPem }, ...identity, retentionDays: 7, now: () => now });
});
afterAll(async () => {
  await emu?.close();
  // Every answer of this file was checked against the Key Vault response schemas, and all conformed.
  expect(emu.schema.checks.length).toBeGreaterThan(30);
  expect(emu.schema.violations()).toEqual([]);
});

describe('Azure Key Vault emulator strictness', () => {
  it('accepts exactly what the SDK sends: /keys/NAME/ with a percent-encoded api%2Dversion', async () => {
    const created = await createRsa('shape', ['wrapKey', 'unwrapKey']);
    expect(created.status).toBe(200);
    const kid = (created.body.key as { kid: string }).kid;
    expect(kid).toMatch(new RegExp(`^${emu.vaultUrl}/keys/shape/[0-9a-f]{32}$`));
    const got = await request('GET', `/keys/shape/?${V}`);
    expect(got.status).toBe(200);
    expect((got.body.key as { kid: string; n: string; e: string }).e).toBe('AQAB');
    expect(got.headers['x-ms-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('requires api-version and refuses an unknown one', async () => {
    const missing = await request('GET', '/keys/shape/');
    expect(missing.status).toBe(400);
    expect(missing.body.error?.code).toBe('BadParameter');
    expect(missing.body.error?.message).toMatch(/api-version/);
    expect((await request('GET', '/keys/shape/?api-version=2016-10-01')).status).toBe(400);
  });

  it('answers the bearer challenge without a token and refuses invalid and expired tokens', async () => {
    const challenge = await request('GET', `/keys/shape/?${V}`, { token: null });
    expect(challenge.status).toBe(401);
    expect(challenge.headers['www-authenticate']).toBe(`Bearer authorization="${emu.authorityHost}/${identity.tenantId}", resource="https://vault.azure.net"`);
    const forged = await request('GET', `/keys/shape/?${V}`, { token: 'not-a-token-this-vault-issued' });
    expect(forged.status).toBe(401);
    expect(forged.body.error?.code).toBe('Unauthorized');
    const token = emu.issueToken();
    expect((await request('GET', `/keys/shape/?${V}`, { token })).status).toBe(200);
    emu.expireTokens();
    const expired = await request('GET', `/keys/shape/?${V}`, { token });
    expect(expired.status).toBe(401);
    expect(expired.body.error?.message).toMatch(/expired/);
  });

  it('issues tokens only for the right tenant, client, secret and scope', async () => {
    const form = (over: Record<string, string>) =>
      new URLSearchParams({ grant_type: 'client_credentials', client_id: identity.clientId, client_secret: identity.clientSecret, scope: 'https://vault.azure.net/.default', ...over }).toString();
    const good = await request('POST', `/${identity.tenantId}/oauth2/v2.0/token`, { token: null, form: form({}) });
    expect(good.status).toBe(200);
    expect(typeof good.body.access_token).toBe('string');
    const wrongSecret = await request('POST', `/${identity.tenantId}/oauth2/v2.0/token`, { token: null, form: form({ client_secret: 'guess' }) });
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body.error).toBe('invalid_client');
    expect((await request('POST', `/${identity.tenantId}/oauth2/v2.0/token`, { token: null, form: form({ scope: 'https://management.azure.com/.default' }) })).status).toBe(400);
    expect((await request('POST', `/00000000-0000-0000-0000-000000000000/oauth2/v2.0/token`, { token: null, form: form({}) })).status).toBe(400);
  });

  it('refuses unknown keys and versions with 404 KeyNotFound, and invalid names with 400', async () => {
    const unknown = await request('GET', `/keys/no-such-key/?${V}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error?.code).toBe('KeyNotFound');
    expect((await request('GET', `/keys/shape/${'0'.repeat(32)}?${V}`)).status).toBe(404);
    expect((await request('GET', `/keys/bad_name/?${V}`)).status).toBe(400);
  });

  it('enforces key operations, algorithms and base64url bodies', async () => {
    const v = versionOf(await createRsa('ops', ['wrapKey', 'unwrapKey']));
    const value = Buffer.alloc(32, 1).toString('base64url');
    const wrapped = await request('POST', `/keys/ops/${v}/wrapkey?${V}`, { body: { alg: 'RSA-OAEP-256', value } });
    expect(wrapped.status).toBe(200);
    expect(wrapped.body.kid).toBe(`${emu.vaultUrl}/keys/ops/${v}`);
    const sign = await request('POST', `/keys/ops/${v}/sign?${V}`, { body: { alg: 'PS256', value } });
    expect(sign.status).toBe(403);
    expect(sign.body.error?.message).toMatch(/not permitted/);
    expect((await request('POST', `/keys/ops/${v}/wrapkey?${V}`, { body: { alg: 'A256GCM', value } })).status).toBe(400);
    expect((await request('POST', `/keys/ops/${v}/wrapkey?${V}`, { body: { alg: 'RSA-OAEP-256', value: 'not base64url!' } })).status).toBe(400);
    expect((await request('POST', `/keys/ops/create?${V}`, { body: { kty: 'RSA', key_size: 1024 } })).status).toBe(400);
    expect((await request('POST', `/keys/ops2/create?${V}`, { body: { kty: 'oct' } })).status).toBe(400);
    const tampered = Buffer.from(wrapped.body.value as string, 'base64url');
    tampered[10]! ^= 1;
    expect((await request('POST', `/keys/ops/${v}/unwrapkey?${V}`, { body: { alg: 'RSA-OAEP-256', value: tampered.toString('base64url') } })).status).toBe(400);
  });

  it('refuses an empty version segment on key operations and updates (the specification requires it)', async () => {
    const v = versionOf(await createRsa('versioned', ['wrapKey', 'unwrapKey']));
    const value = Buffer.alloc(32, 2).toString('base64url');
    for (const [method, path, body] of [
      ['POST', `/keys/versioned//wrapkey?${V}`, { alg: 'RSA-OAEP-256', value }],
      ['POST', `/keys/versioned//unwrapkey?${V}`, { alg: 'RSA-OAEP-256', value }],
      ['PATCH', `/keys/versioned/?${V}`, { attributes: { enabled: true } }],
    ] as const) {
      const refused = await request(method, path, { body });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ code: 'BadParameter' });
      expect(refused.body.error?.message).toMatch(/version/);
    }
    expect((await request('POST', `/keys/versioned/${v}/wrapkey?${V}`, { body: { alg: 'RSA-OAEP-256', value } })).status).toBe(200);
    // A GET may leave the version out (the specification says so for Get Key): /keys/NAME/ is the newest version.
    expect(versionOf(await request('GET', `/keys/versioned/?${V}`))).toBe(v);
  });

  it('a disabled key refuses decrypt, sign and unwrapKey (innererror KeyDisabled) but still encrypts, wraps and verifies', async () => {
    const v = versionOf(await createRsa('off', ['wrapKey', 'unwrapKey', 'encrypt', 'decrypt', 'sign', 'verify']));
    const value = Buffer.alloc(32, 3).toString('base64url');
    const op = (name: string, body: Record<string, unknown>) => request('POST', `/keys/off/${v}/${name}?${V}`, { body });
    const wrapped = (await op('wrapkey', { alg: 'RSA-OAEP-256', value })).body.value as string;
    const encrypted = (await op('encrypt', { alg: 'RSA-OAEP-256', value })).body.value as string;
    const signature = (await op('sign', { alg: 'PS256', value })).body.value as string;
    expect((await request('PATCH', `/keys/off/${v}?${V}`, { body: { attributes: { enabled: false } } })).status).toBe(200);
    for (const [name, body] of [['unwrapkey', { alg: 'RSA-OAEP-256', value: wrapped }], ['decrypt', { alg: 'RSA-OAEP-256', value: encrypted }], ['sign', { alg: 'PS256', value }]] as const) {
      const refused = await op(name, body);
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatchObject({ code: 'Forbidden', innererror: { code: 'KeyDisabled' } });
    }
    expect((await op('wrapkey', { alg: 'RSA-OAEP-256', value })).status).toBe(200);
    expect((await op('encrypt', { alg: 'RSA-OAEP-256', value })).status).toBe(200);
    expect((await op('verify', { alg: 'PS256', digest: value, value: signature })).body).toEqual({ value: true });
    const got = await request('GET', `/keys/off/?${V}`);
    expect(got.status).toBe(200);
    expect((got.body.attributes as { enabled: boolean }).enabled).toBe(false);
  });

  it('validates rotation policies against the service minimums', async () => {
    await createRsa('policy', ['sign', 'verify']);
    const put = (body: unknown) => request('PUT', `/keys/policy/rotationpolicy?${V}`, { body });
    expect((await put({ lifetimeActions: [{ trigger: { timeAfterCreate: 'P6D' }, action: { type: 'Rotate' } }] })).status).toBe(400);
    expect((await put({ lifetimeActions: [], attributes: { expiryTime: 'P27D' } })).status).toBe(400);
    expect((await put({ lifetimeActions: [{ trigger: { timeAfterCreate: 'P30D' }, action: { type: 'Rotate' } }], attributes: { expiryTime: 'P32D' } })).status).toBe(400);
    const good = await put({ lifetimeActions: [{ trigger: { timeAfterCreate: 'P30D' }, action: { type: 'Rotate' } }], attributes: { expiryTime: 'P90D' } });
    expect(good.status).toBe(200);
    expect((await request('GET', `/keys/policy/rotationpolicy?${V}`)).body.lifetimeActions).toEqual([{ trigger: { timeAfterCreate: 'P30D' }, action: { type: 'Rotate' } }]);
  });

  it('pages listings with maxresults 1-25 and a nextLink', async () => {
    expect((await request('GET', `/keys?${V}&maxresults=26`)).status).toBe(400);
    const first = await request('GET', `/keys?${V}&maxresults=2`);
    expect((first.body.value as unknown[]).length).toBe(2);
    const next = new URL(first.body.nextLink as string);
    const second = await request('GET', `${next.pathname}${next.search}`);
    expect(second.status).toBe(200);
    expect((second.body.value as Array<{ kid: string }>)[0]!.kid).not.toBe((first.body.value as Array<{ kid: string }>)[0]!.kid);
    // The last page has no nextLink at all (the specification's nextLink is a string, not nullable).
    const last = await request('GET', `/keys?${V}&maxresults=25`);
    expect(last.body).not.toHaveProperty('nextLink');
  });

  it('soft-deletes with the retention window, refuses the name while deleted, recovers, and purges', async () => {
    await createRsa('doomed', ['wrapKey', 'unwrapKey']);
    const deleted = await request('DELETE', `/keys/doomed?${V}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.scheduledPurgeDate).toBe((deleted.body.deletedDate as number) + 7 * 86_400);
    // A retention under 90 days is a "Customized" recovery level.
    expect(deleted.body.attributes).toMatchObject({ recoverableDays: 7, recoveryLevel: 'CustomizedRecoverable+Purgeable' });
    expect((await request('GET', `/keys/doomed/?${V}`)).status).toBe(404);
    const reuse = await createRsa('doomed', ['wrapKey']);
    expect(reuse.status).toBe(409);
    expect(reuse.body.error?.code).toBe('Conflict');
    expect((await request('POST', `/deletedkeys/doomed/recover?${V}`)).status).toBe(200);
    expect((await request('GET', `/keys/doomed/?${V}`)).status).toBe(200);
    await request('DELETE', `/keys/doomed?${V}`);
    expect((await request('DELETE', `/deletedkeys/doomed?${V}`)).status).toBe(204);
    expect((await request('GET', `/deletedkeys/doomed?${V}`)).status).toBe(404);
  });

  it('purges a soft-deleted key by itself once the retention window has passed', async () => {
    await createRsa('aging', ['wrapKey', 'unwrapKey']);
    await request('DELETE', `/keys/aging?${V}`);
    now += 6 * 86_400_000;
    expect((await request('GET', `/deletedkeys/aging?${V}`)).status).toBe(200);
    now += 2 * 86_400_000;
    expect((await request('GET', `/deletedkeys/aging?${V}`)).status).toBe(404);
    expect((await createRsa('aging', ['wrapKey'])).status).toBe(200);
  });
});

describe('Azure Managed HSM emulator strictness', () => {
  let hsm: AzureKeyVaultEmulator;
  let aesVersion = '';
  const hsmIdentity = newTestIdentity();
  beforeAll(async () => {
    hsm = await startAzureKeyVaultEmulator({ tls: { certPem: pki.certPem, keyPem: pki.keyPem }, ...hsmIdentity, managedHsm: true });
  });
  afterAll(async () => {
    await hsm?.close();
    expect(hsm.schema.violations()).toEqual([]);
  });
  const call = (method: string, path: string, body?: unknown, token: string | null = hsm.issueToken()) => rawRequest(hsm, pki.caPem, method, path, { token, body });

  it('challenges for the Managed HSM resource and holds HSM key types only', async () => {
    const challenge = await call('GET', `/keys/x/?${V}`, undefined, null);
    expect(challenge.headers['www-authenticate']).toContain('resource="https://managedhsm.azure.net"');
    expect((await call('POST', `/keys/soft/create?${V}`, { kty: 'RSA', key_size: 2048 })).status).toBe(400);
    expect((await call('POST', `/keys/aes/create?${V}`, { kty: 'oct-HSM', key_size: 512 })).status).toBe(400);
    const created = await call('POST', `/keys/aes/create?${V}`, { kty: 'oct-HSM', key_size: 256, key_ops: ['encrypt', 'decrypt'] });
    expect(created.status).toBe(200);
    aesVersion = versionOf(created);
  });

  it('does AES-GCM with an HSM-made IV, and refuses a caller IV, a wrong tag or other aad', async () => {
    const value = Buffer.from('payload').toString('base64url');
    const aad = Buffer.from('bound').toString('base64url');
    expect((await call('POST', `/keys/aes/${aesVersion}/encrypt?${V}`, { alg: 'A256GCM', value, iv: Buffer.alloc(12).toString('base64url') })).status).toBe(400);
    expect((await call('POST', `/keys/aes/${aesVersion}/encrypt?${V}`, { alg: 'A128GCM', value })).status).toBe(400);
    const sealed = await call('POST', `/keys/aes/${aesVersion}/encrypt?${V}`, { alg: 'A256GCM', value, aad });
    expect(sealed.status).toBe(200);
    expect(Buffer.from(sealed.body.iv as string, 'base64url').length).toBe(12);
    const open = (over: Record<string, unknown>) => call('POST', `/keys/aes/${aesVersion}/decrypt?${V}`, { alg: 'A256GCM', value: sealed.body.value, iv: sealed.body.iv, tag: sealed.body.tag, aad, ...over });
    expect(Buffer.from((await open({})).body.value as string, 'base64url').toString()).toBe('payload');
    expect((await open({ aad: Buffer.from('other').toString('base64url') })).status).toBe(400);
    const badTag = Buffer.from(sealed.body.tag as string, 'base64url');
    badTag[0]! ^= 1;
    expect((await open({ tag: badTag.toString('base64url') })).status).toBe(400);
  });
});
