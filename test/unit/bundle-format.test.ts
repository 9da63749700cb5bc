// Key distribution bundles: create + verify round trip (EC and RSA identities), every flipped byte refused (file and
// signed body), replay refused, foreign device / foreign CA / wrong identity refused, all with typed BundleErrors.
import { describe, expect, it } from 'vitest';
import { BundleError, createBundle, verifyBundle } from '../../electron/station/bundle.ts';
import { identity, kitCa, material } from './bundle-kit.ts';

const refusal = (fn: () => unknown): BundleError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof BundleError) return e;
    throw e;
  }
  throw new Error('expected a BundleError');
};

const ca = await kitCa();
const other = await kitCa('CN=Other CA');

describe('key distribution bundle', () => {
  const id = identity();
  const keys = [{ keyId: 'k-comm', version: 2, material: material() }, { keyId: 'k-stor', version: 3, material: material() }];
  const make = (o: Partial<{ sequence: number; deviceId: string; signer: typeof ca; pub: typeof id.publicKey }> = {}) =>
    createBundle({ deviceId: o.deviceId ?? 'uv-1', identityPublicKey: o.pub ?? id.publicKey, caPublicKey: (o.signer ?? ca).publicKey, sequence: o.sequence ?? 5, issuedAt: '2026-01-01T00:00:00.000Z', keys, sign: (o.signer ?? ca).sign });
  const opts = { caCertPem: ca.caCertPem, deviceId: 'uv-1', identityPrivateKey: id.privateKey, lastSequence: 4 };

  it('round trips for EC and RSA identities', async () => {
    const v = verifyBundle(await make(), opts);
    expect(v.body).toMatchObject({ deviceId: 'uv-1', sequence: 5, entries: [{ keyId: 'k-comm', version: 2 }, { keyId: 'k-stor', version: 3 }] });
    expect(v.keys.map((k) => k.material)).toEqual(keys.map((k) => k.material));
    const rsa = identity('rsa');
    const r = verifyBundle(await make({ pub: rsa.publicKey }), { ...opts, identityPrivateKey: rsa.privateKey });
    expect(r.keys[1]?.material.equals(keys[1]!.material)).toBe(true);
  });

  it('refuses every single flipped byte of the file and of the signed body', async () => {
    const file = await make();
    for (let i = 0; i < file.length; i++) {
      const t = Buffer.from(file);
      t[i] = t[i]! ^ 0x01;
      expect(refusal(() => verifyBundle(t, opts)).code, `file byte ${i}`).toMatch(/^(malformed|tampered|foreign)$/);
    }
    const outer = JSON.parse(file.toString()) as { format: string; body: string; signature: string };
    const body = Buffer.from(outer.body, 'base64');
    for (let i = 0; i < body.length; i++) {
      const t = Buffer.from(body);
      t[i] = t[i]! ^ 0x01;
      const f = Buffer.from(JSON.stringify({ ...outer, body: t.toString('base64') }));
      expect(refusal(() => verifyBundle(f, opts)).code, `body byte ${i}`).toMatch(/^(malformed|tampered|foreign)$/);
    }
  });

  it('refuses a sequence not greater than the last accepted (replay)', async () => {
    const file = await make({ sequence: 5 });
    expect(refusal(() => verifyBundle(file, { ...opts, lastSequence: 5 })).code).toBe('replayed');
    expect(refusal(() => verifyBundle(file, { ...opts, lastSequence: 9 })).code).toBe('replayed');
  });

  it('refuses a bundle for another device, signed by another CA, or wrapped to another identity', async () => {
    expect(refusal(() => verifyBundle(Buffer.alloc(0), opts)).code).toBe('malformed');
    const foreignDevice = await make({ deviceId: 'uv-2' });
    expect(refusal(() => verifyBundle(foreignDevice, opts)).code).toBe('foreign');
    const foreignCa = await make({ signer: other });
    expect(refusal(() => verifyBundle(foreignCa, opts)).code).toBe('foreign');
    const wrongId = identity();
    const wrongIdFile = await make({ pub: wrongId.publicKey });
    expect(refusal(() => verifyBundle(wrongIdFile, opts)).code).toBe('tampered');
  });

  it('create refuses a signer that does not match the CA key, an empty bundle and a bad sequence', async () => {
    await expect(createBundle({ deviceId: 'uv-1', identityPublicKey: id.publicKey, caPublicKey: ca.publicKey, sequence: 1, issuedAt: 'x', keys, sign: other.sign })).rejects.toMatchObject({ code: 'tampered' });
    await expect(make({ sequence: 0 })).rejects.toBeInstanceOf(BundleError);
    await expect(createBundle({ deviceId: 'uv-1', identityPublicKey: id.publicKey, caPublicKey: ca.publicKey, sequence: 1, issuedAt: 'x', keys: [], sign: ca.sign })).rejects.toMatchObject({ code: 'malformed' });
  });
});
