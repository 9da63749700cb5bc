// The v4 key bundle lines merged on 2026-12-05 that the mutation run found unpinned (docs/mutation-testing.md, "Mutation round
// of 2026-12-05 (d)"): the cap on CRLs a bundle carries (docs/key-bundles.md: "at most 15", as many as the serial link
// sends in one session), the endorser key id of a v3/v4 endorsement (a SHA-256 digest: 64 lowercase hex characters,
// nothing before or after), and which member a bad v4 CRL is named by (`crls[i]`, v2/v3: `crl`).
import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bundleEmergency, createBundle, type BundleBody } from '../../electron/station/bundle.ts';
import { bundleRefusal, identity, kitCa, material } from './bundle-kit.ts';

const ca = await kitCa();
const robot = identity();
const keys = [{ keyId: 'k-comm', version: 2, material: material() }];
const ISSUED = '2026-12-05T12:00:00.000Z';
const make = (extra: Partial<Parameters<typeof createBundle>[0]>) =>
  createBundle({ deviceId: 'uv-1', identityPublicKey: robot.publicKey, caPublicKey: ca.publicKey, sequence: 5, issuedAt: ISSUED, keys, sign: ca.sign, ...extra });
const crl = (i: number) => Buffer.from([0x30, 0x81, i]);
const bodyOf = (file: Buffer) => JSON.parse(Buffer.from(JSON.parse(file.toString()).body, 'base64').toString()) as Record<string, unknown>;

/** A refusal of an async call, as {code, message}; null when it resolved. */
async function refusalOf(p: Promise<unknown>): Promise<{ code: string; message: string } | null> {
  try {
    await p;
    return null;
  } catch (e) {
    return bundleRefusal(() => { throw e; });
  }
}

describe('how many CRLs a bundle carries: at most 15 (docs/key-bundles.md)', () => {
  // [current CA's CRL given, other CAs' CRLs, refused]
  const ROWS: Array<[boolean, number, boolean]> = [[true, 14, false], [false, 15, false], [true, 15, true], [false, 16, true]];
  for (const [current, others, refused] of ROWS) {
    it(`${current ? 'the current CA\'s and ' : ''}${others} others: ${refused ? 'refused' : 'written'}`, async () => {
      const emergency = { crlDer: current ? crl(0) : null, otherCrlsDer: Array.from({ length: others }, (_, i) => crl(i + 1)) };
      const got = await refusalOf(make({ emergency }));
      if (refused) {
        expect(got).toEqual({ code: 'malformed', message: 'a bundle carries at most 15 CRLs' });
      } else {
        expect(got).toBeNull();
        expect((bodyOf(await make({ emergency })).crls as string[]).length).toBe(15);
      }
    });
  }
});

describe('the endorser key id of an endorsement: 64 lowercase hex characters', () => {
  const caCertDer = Buffer.from(new X509Certificate(ca.caCertPem).raw);
  const HEX = 'ab'.repeat(32);
  // [what, endorserKeyId, accepted]
  const ROWS: Array<[string, string, boolean]> = [
    ['64 lowercase hex', HEX, true],
    ['a character before', `x${HEX}`, false],
    ['a character after', `${HEX}0`, false],
    ['upper case', HEX.toUpperCase(), false],
    ['63 characters', HEX.slice(1), false],
  ];
  for (const [what, endorserKeyId, accepted] of ROWS) {
    it(`${what}: ${accepted ? 'written' : 'refused'}`, async () => {
      const got = await refusalOf(make({ caEndorsement: { caCertDer, endorserKeyId, endorsement: Buffer.from([1, 2, 3]) } }));
      expect(got).toEqual(accepted ? null : { code: 'malformed', message: 'the endorser key id is not a SHA-256 hex digest' });
    });
  }
});

describe('a CRL that is not canonical base64 is named by its member', () => {
  const body = (v: 2 | 4, crls: string[]): BundleBody => ({
    v, bundleId: '0'.repeat(32), deviceId: 'uv-1', issuedAt: ISSUED, sequence: 5, signerKeyId: 'ab'.repeat(32), entries: [],
    emergency: { emergencyKey: null, orders: [], crls },
  });
  it('v4: crls[i], with its index', () => {
    expect(bundleRefusal(() => bundleEmergency(body(4, ['AQID', 'QR=='])))).toEqual({ code: 'tampered', message: 'crls[1] is not canonical base64' });
    expect(bundleRefusal(() => bundleEmergency(body(4, ['***'])))).toEqual({ code: 'malformed', message: 'crls[0] is not base64' });
  });
  it('v2: crl', () => {
    expect(bundleRefusal(() => bundleEmergency(body(2, ['QR=='])))).toEqual({ code: 'tampered', message: 'crl is not canonical base64' });
  });
});
