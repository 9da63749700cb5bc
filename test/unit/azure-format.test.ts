// Pure parts of the Azure adapter: the ciphertext layout and its parser, GCM binding, name mapping, JWK -> PEM, and
// the r||s -> DER conversion checked against node:crypto's own signatures.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeCiphertext, encodeCiphertext, gcmAad, joseToDer, jwkToPem, openGcm, sealGcm, vaultKeyName } from '../../electron/providers/azure/azureFormat.ts';
import { isoDays, orderVersions } from '../../electron/providers/azure/azureKeys.ts';

describe('Azure adapter format', () => {
  const versionId = crypto.randomBytes(16).toString('hex');

  it('round-trips the ciphertext layout and refuses foreign or truncated bytes', () => {
    const key = crypto.randomBytes(32);
    const sealed = sealGcm(key, Buffer.from('payload'), gcmAad('k1', versionId, Buffer.from('aad')));
    const bytes = encodeCiphertext({ versionId, wrapped: crypto.randomBytes(384), ...sealed });
    expect(bytes.subarray(0, 3).toString('latin1')).toBe('AZ\u0001');
    const parsed = decodeCiphertext(bytes)!;
    expect(parsed.versionId).toBe(versionId);
    expect(parsed.wrapped.length).toBe(384);
    expect(openGcm(key, parsed, gcmAad('k1', versionId, Buffer.from('aad')))?.toString()).toBe('payload');
    expect(openGcm(key, parsed, gcmAad('k2', versionId, Buffer.from('aad')))).toBeNull();
    expect(openGcm(key, parsed, gcmAad('k1', versionId, Buffer.from('other')))).toBeNull();
    expect(decodeCiphertext(bytes.subarray(0, 30))).toBeNull();
    expect(decodeCiphertext(Buffer.concat([Buffer.from('AW'), bytes.subarray(2)]))).toBeNull();
    const format2 = Buffer.from(bytes);
    format2[2] = 2;
    expect(decodeCiphertext(format2)).toBeNull();
  });

  it('maps console names to Key Vault names', () => {
    expect(vaultKeyName('key-1_a')).toBe('key-1-a');
  });

  it('converts JWK public keys to PEM and JWS ECDSA signatures to DER that node:crypto verifies', () => {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const jwk = publicKey.export({ format: 'jwk' });
    const pem = jwkToPem({ kty: 'EC', crv: 'P-256', x: Buffer.from(jwk.x!, 'base64url'), y: Buffer.from(jwk.y!, 'base64url') });
    expect(pem).toBe(publicKey.export({ type: 'spki', format: 'pem' }).toString());
    for (let i = 0; i < 20; i++) {
      const message = crypto.randomBytes(20);
      const jose = crypto.sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      const der = joseToDer(jose);
      expect(crypto.verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, der)).toBe(true);
    }
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const r = rsa.export({ format: 'jwk' });
    expect(jwkToPem({ kty: 'RSA', n: Buffer.from(r.n!, 'base64url'), e: Buffer.from(r.e!, 'base64url') })).toBe(rsa.export({ type: 'spki', format: 'pem' }).toString());
  });

  it('numbers versions in creation order, ties broken by the version tag', () => {
    const at = (s: number) => new Date(s * 1000);
    const order = orderVersions([
      { version: 'c', createdOn: at(20), tags: {} },
      { version: 'b', createdOn: at(10), tags: { 'ecps-version': '2' } },
      { version: 'a', createdOn: at(10), tags: { 'ecps-version': '1' } },
    ] as never);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(isoDays('P30D')).toBe(30);
    expect(isoDays('P1Y')).toBe(365);
    expect(isoDays('PT1H')).toBeNull();
  });
});
