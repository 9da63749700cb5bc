// The Key Vault emulator checks every answer it sends against the response schemas written from the REST
// specification (test/emulators/azure-key-vault/kvSchemas.ts). Here the official SDK (@azure/keyvault-keys), through
// the adapter and directly, drives every operation the adapter uses and every newly served one, and each answer must
// have been checked and have conformed; and a deliberately drifted answer must fail loudly instead of passing.
import crypto from 'node:crypto';
import type { JsonWebKey } from '@azure/keyvault-keys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkResponse } from '../emulators/azure-key-vault/kvSchemas.ts';
import { startAzureTestBed, type AzureTestBed } from '../emulators/azure-key-vault/testkit.ts';

const aad = Buffer.from('robot-7|schema');
const bytes = (b64u: string | undefined) => new Uint8Array(Buffer.from(b64u ?? '', 'base64url'));

/** The answers of one test bed that were checked, by operation, with any that did not conform. */
function summary(bed: AzureTestBed) {
  const checks = bed.emu.schema.checks;
  return { operations: new Set(checks.filter((c) => c.status < 400).map((c) => c.operation)), errors: checks.filter((c) => c.status >= 400).length, drift: bed.emu.schema.violations() };
}

describe('every Key Vault answer is checked against the specification schemas', () => {
  let bed: AzureTestBed;
  let hsm: AzureTestBed;
  beforeAll(async () => {
    bed = await startAzureTestBed({ retentionDays: 30 });
    hsm = await startAzureTestBed({ managedHsm: true });
  });
  afterAll(async () => {
    await bed?.close();
    await hsm?.close();
  });

  it('the adapter and the SDK drive every operation, and each answer conformed', async () => {
    const p = bed.provider();
    // Everything the adapter uses.
    const aes = await p.createKey({ name: 'schema-aes', spec: 'AES_256', usage: 'encrypt', rotationPeriodDays: 30 });
    const { ciphertext } = await p.encrypt(aes.keyRef, Buffer.from('checked'), aad);
    expect((await p.decrypt(aes.keyRef, ciphertext, aad)).plaintext.toString()).toBe('checked');
    await p.rotate(aes.keyRef);
    await p.disable(aes.keyRef);
    await p.enable(aes.keyRef);
    await p.describeKey(aes.keyRef);
    await p.listKeys();
    const ec = await p.createKey({ name: 'schema-ec', spec: 'EC_P256', usage: 'sign' });
    const { signature } = await p.sign(ec.keyRef, Buffer.from('m'));
    expect(await p.verify(ec.keyRef, Buffer.from('m'), signature)).toBe(true);
    await p.getPublicKey(ec.keyRef);
    await p.scheduleDestruction(ec.keyRef, 7);
    await p.cancelDestruction(ec.keyRef);
    await p.scheduleDestruction(ec.keyRef, 7);
    await p.purge(ec.keyRef);
    expect((await p.health()).ok).toBe(true);

    // The operations the adapter does not use, through the SDK.
    const kc = bed.rawKeyClient();
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const j = privateKey.export({ format: 'jwk' });
    const jwk: JsonWebKey = { kty: 'RSA', n: bytes(j.n), e: bytes(j.e), d: bytes(j.d), p: bytes(j.p), q: bytes(j.q), dp: bytes(j.dp), dq: bytes(j.dq), qi: bytes(j.qi), keyOps: ['encrypt', 'decrypt', 'sign', 'verify'] };
    const imported = await kc.importKey('schema-imported', jwk, { expiresOn: new Date(Date.now() + 86_400_000), notBefore: new Date(Date.now() - 60_000) });
    expect(imported.properties.expiresOn).toBeInstanceOf(Date);
    await kc.updateKeyProperties('schema-imported', imported.properties.version!, { expiresOn: new Date(Date.now() + 2 * 86_400_000) });
    const rsa = bed.rawCryptoClient(imported.id!);
    const sealed = await rsa.encrypt('RSA-OAEP-256', Buffer.from('secret'));
    expect(Buffer.from((await rsa.decrypt('RSA-OAEP-256', sealed.result)).result).toString()).toBe('secret');
    const digest = crypto.createHash('sha256').update('m').digest();
    const rsaSig = await rsa.sign('PS256', digest);
    expect((await rsa.verify('PS256', digest, rsaSig.result)).result).toBe(true);
    const p384 = await kc.createEcKey('schema-p384', { curve: 'P-384' });
    const ec384 = bed.rawCryptoClient(p384.id!);
    const d384 = crypto.createHash('sha384').update('m').digest();
    expect((await ec384.verify('ES384', d384, (await ec384.sign('ES384', d384)).result)).result).toBe(true);
    await kc.updateKeyRotationPolicy('schema-p384', { lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'PT240H' }], expiresIn: 'P90D' });
    expect((await kc.getKeyRotationPolicy('schema-p384')).expiresIn).toBe('P90D');
    const backup = await kc.backupKey('schema-p384');
    await (await kc.beginDeleteKey('schema-p384', { intervalInMs: 50 })).pollUntilDone();
    const deleted = [];
    for await (const k of kc.listDeletedKeys()) deleted.push(k.name);
    expect(deleted).toContain('schema-p384');
    await kc.purgeDeletedKey('schema-p384');
    expect((await kc.restoreKeyBackup(backup!)).name).toBe('schema-p384');
    expect((await kc.getRandomBytes(32)).length).toBe(32);

    // The Managed HSM's symmetric operations.
    const hp = hsm.provider({ id: 'schema-hsm' });
    const hk = await hp.createKey({ name: 'schema-hsm-aes', spec: 'AES_256', usage: 'encrypt' });
    const hc = await hp.encrypt(hk.keyRef, Buffer.from('in hsm'), aad);
    expect((await hp.decrypt(hk.keyRef, hc.ciphertext, aad)).plaintext.toString()).toBe('in hsm');
    const hkc = hsm.rawKeyClient();
    const oct = await hkc.createOctKey('schema-kw', { hsm: true, keySize: 256, keyOps: ['wrapKey', 'unwrapKey'] });
    const kw = hsm.rawCryptoClient(oct.id!);
    const cek = crypto.randomBytes(32);
    expect(Buffer.from((await kw.unwrapKey('A256KW', (await kw.wrapKey('A256KW', cek)).result)).result)).toEqual(cek);
    expect((await hkc.getRandomBytes(16)).length).toBe(16);

    const vaultOps = summary(bed);
    const hsmOps = summary(hsm);
    for (const op of [
      'CreateKey', 'GetKey', 'UpdateKey', 'GetKeys', 'GetKeyVersions', 'RotateKey', 'GetKeyRotationPolicy', 'UpdateKeyRotationPolicy',
      'wrapKey', 'unwrapKey', 'sign', 'DeleteKey', 'GetDeletedKey', 'RecoverDeletedKey', 'PurgeDeletedKey',
      'ImportKey', 'encrypt', 'decrypt', 'verify', 'BackupKey', 'RestoreKey', 'GetDeletedKeys', 'GetRandomBytes',
    ])
      expect(vaultOps.operations, `${op} answered and checked`).toContain(op);
    for (const op of ['CreateKey', 'encrypt', 'decrypt', 'wrapKey', 'unwrapKey', 'GetRandomBytes']) expect(hsmOps.operations, `HSM ${op}`).toContain(op);
    // Error answers are checked too (the adapter's existence probe before a create gets 404 KeyNotFound).
    expect(vaultOps.errors).toBeGreaterThan(0);
    expect([...vaultOps.drift, ...hsmOps.drift]).toEqual([]);
  });
});

describe('a drifted answer fails loudly', () => {
  it.each([
    ['GetKeys', 'a null nextLink', (b: Record<string, unknown>) => ({ ...b, nextLink: null }), /nextLink/],
    ['GetKeyRotationPolicy', 'null policy attributes', (b: Record<string, unknown>) => ({ ...b, attributes: null }), /attributes/],
    ['GetKey', 'a 90-day recovery level with a 30-day retention', (b: Record<string, unknown>) => ({ ...b, attributes: { ...(b.attributes as object), recoveryLevel: 'Recoverable+Purgeable' } }), /recoveryLevel/],
    ['GetKey', 'a private key member', (b: Record<string, unknown>) => ({ ...b, key: { ...(b.key as object), d: 'AQAB' } }), /key/],
    ['wrapKey', 'a key id without its version', (b: Record<string, unknown>) => ({ ...b, kid: String(b.kid).replace(/\/[0-9a-f]{32}$/, '') }), /kid/],
  ])('%s with %s is refused with a 500 and recorded', async (operation, _what, tamper, problem) => {
    const bed = await startAzureTestBed({
      retentionDays: 30,
      tamperResponse: (op, status, body) => (op === operation && status === 200 ? tamper(body as Record<string, unknown>) : body),
    });
    try {
      const p = bed.provider();
      const k = await p.createKey({ name: 'drift', spec: 'AES_256', usage: 'encrypt' });
      const failure = await (operation === 'GetKeys'
        ? p.listKeys()
        : operation === 'GetKeyRotationPolicy'
          ? p.describeKey(k.keyRef)
          : operation === 'GetKey'
            ? bed.rawKeyClient().getKey(k.keyRef)
            : p.encrypt(k.keyRef, Buffer.from('x'), aad)
      ).then(
        () => null,
        (e: unknown) => e as { statusCode?: number; kind?: string; providerCode?: string | null },
      );
      expect(failure).not.toBeNull();
      expect(failure!.statusCode === 500 || (failure!.kind === 'Unavailable' && failure!.providerCode === 'EmulatorSchemaViolation')).toBe(true);
      const drift = bed.emu.schema.violations();
      expect(drift.map((d) => d.operation)).toContain(operation);
      expect(drift.find((d) => d.operation === operation)!.problems.join(' ')).toMatch(problem);
    } finally {
      bed.emu.schema.clear();
      await bed.close();
    }
  });

  it('the checker itself refuses bodies that break the specification (a table written here)', () => {
    const kid = 'https://v.vault.azure.net/keys/k/0123456789abcdef0123456789abcdef';
    const cases: Array<[string, number, unknown, boolean]> = [
      ['GetKey', 200, { key: { kid, kty: 'RSA', n: 'AQAB', e: 'AQAB' }, attributes: { enabled: true, recoverableDays: 90, recoveryLevel: 'Recoverable+Purgeable' } }, true],
      ['GetKey', 200, { key: { kid, kty: 'RSA' }, attributes: { enabled: 'yes' } }, false],
      ['GetKey', 200, { key: { kid, kty: 'RSA', crv: 'P-999' } }, false],
      ['GetKey', 200, { key: { kid, kty: 'RSA' }, attributes: { exp: 1.5 } }, false],
      ['GetKey', 200, { key: { kid, kty: 'RSA' }, surprise: true }, false],
      ['GetKeys', 200, { value: [] }, true],
      ['GetKeys', 200, { value: [], nextLink: null }, false],
      ['encrypt', 200, { kid, value: 'not base64url!' }, false],
      ['verify', 200, { value: 'true' }, false],
      ['GetRandomBytes', 200, {}, false],
      ['PurgeDeletedKey', 204, undefined, true],
      ['PurgeDeletedKey', 200, {}, false],
      ['GetKey', 403, { error: { code: 'Forbidden', message: 'm', innererror: { code: 'KeyDisabled' } } }, true],
      ['GetKey', 403, { error: { code: 'Forbidden', message: 'm', inner: 'KeyDisabled' } }, false],
      ['NoSuchOperation', 200, {}, false],
    ];
    for (const [operation, status, body, conformed] of cases) expect(checkResponse(operation, status, body).conformed, `${operation} ${status} ${JSON.stringify(body)}`).toBe(conformed);
  });
});
