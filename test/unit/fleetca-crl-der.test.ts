// The CRL's entries are written directly (crlTbsDer, electron/crypto/der.ts) instead of through the asn1 library's
// object model, for speed. The bytes must be exactly the library's: each case of the table below is written both ways
// (the library's own serialization of crlTbs is the reference), and a long signed CRL (lengths of three bytes) must be
// read and verified by openssl.
import { rmSync } from 'node:fs';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { derChildren, derHeaderSize, derTime, putDerHeader } from '../../electron/crypto/der.ts';
import { signatureAlgorithm, signCrl, toPem, x509SignerFor, type X509Signer } from '../../electron/crypto/x509Sign.ts';
import { crlTbs, crlTbsDer, type CrlEntryGroup, type CrlEntryInput, type CrlProfileInput, type RevocationReason } from '../../electron/services/ca/fleetCaProfiles.ts';
import { caFixture, newCa, openssl, workDir, writeFile, type CaFixture } from '../integration/fleetca-kit.ts';
import { removeTempDirs } from './store-testkit.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
afterAll(() => removeTempDirs());

async function ca(spec: 'EC_P256' | 'RSA_2048' = 'EC_P256'): Promise<{ f: CaFixture; signer: X509Signer; issuer: asn1X509.Name; pem: string }> {
  const f = caFixture();
  cleanups.push(() => f.store.close());
  const made = await newCa(f, f.store.provider, spec);
  const signer = await x509SignerFor(f.store.provider, made.keyRef);
  const issuer = AsnConvert.parse(made.caCertificateDer(), asn1X509.Certificate).tbsCertificate.subject;
  return { f, signer, issuer, pem: made.caCertificatePem() };
}

const serial = (hex: string) => Buffer.from(hex, 'hex');
const REASONS: RevocationReason[] = ['unspecified', 'keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'privilegeWithdrawn'];

// [case, entries]: serial forms (16 bytes as the CA makes them, short, 20 bytes), every reason, both time forms
// (UTCTime through 2049, GeneralizedTime from 2050), and dates the direct writer leaves to the library.
const CASES: Array<[string, CrlEntryInput[]]> = [
  ['no entries', []],
  ['one entry of each reason', REASONS.map((reason, i) => ({ serial: serial(`4${i}aabbccddeeff00112233445566778899`.slice(0, 32)), revokedAt: new Date('2026-12-04T23:01:02Z'), reason }))],
  ['short and 20-byte serials', [
    { serial: serial('01'), revokedAt: new Date('2030-01-31T00:00:00Z'), reason: 'keyCompromise' },
    { serial: serial('7f'.repeat(20)), revokedAt: new Date('2030-01-31T00:00:00Z'), reason: 'superseded' },
  ]],
  ['the last UTCTime second and the first GeneralizedTime one', [
    { serial: serial('11'), revokedAt: new Date('2049-12-31T23:59:59Z'), reason: 'keyCompromise' },
    { serial: serial('12'), revokedAt: new Date('2050-01-01T00:00:00Z'), reason: 'unspecified' },
    { serial: serial('13'), revokedAt: new Date('2099-07-04T12:34:56Z'), reason: 'privilegeWithdrawn' },
  ]],
  ['two times and two reasons interleaved (each encoded once, used many times)', Array.from({ length: 6 }, (_, i) => ({
    serial: serial(`6${i}`), revokedAt: new Date(i % 2 === 0 ? '2026-12-05T06:00:00Z' : '2051-02-03T04:05:06Z'), reason: i % 3 === 0 ? 'unspecified' as const : 'keyCompromise' as const,
  }))],
  ['a date with milliseconds (left to the library)', [{ serial: serial('21'), revokedAt: new Date('2026-12-04T23:01:02.345Z'), reason: 'keyCompromise' }]],
  ['a date before 1950 (left to the library)', [{ serial: serial('22'), revokedAt: new Date('1949-12-31T23:59:59Z'), reason: 'keyCompromise' }]],
];

// [case, entries, groups]: pending serials as lists of hex (CrlEntryGroup), listed after the entries. The reference is
// the library's serialization of the same CRL with every group's serial written out here as an entry of its own.
const GROUP_CASES: Array<[string, CrlEntryInput[], CrlEntryGroup[]]> = [
  ['one group of 16-byte serials after a stored entry', [{ serial: serial('0a'), revokedAt: new Date('2026-12-01T00:00:00Z'), reason: 'superseded' }], [
    { serials: ['1e000000000000000000000000000001', '7fffffffffffffffffffffffffffffff', '00ab'], revokedAt: new Date('2026-12-06T08:00:00Z'), reason: 'keyCompromise' },
  ]],
  ['two groups (two times, two reasons, one of them unspecified), no stored entry', [], [
    { serials: ['01', '7f'.repeat(20)], revokedAt: new Date('2049-12-31T23:59:59Z'), reason: 'unspecified' },
    { serials: ['02'], revokedAt: new Date('2050-01-01T00:00:00Z'), reason: 'cessationOfOperation' },
  ]],
  ['an empty group beside a stored entry', [{ serial: serial('0b'), revokedAt: new Date('2026-12-01T00:00:00Z'), reason: 'keyCompromise' }], [{ serials: [], revokedAt: new Date('2026-12-06T08:00:00Z'), reason: 'keyCompromise' }]],
  ['only an empty group (no revokedCertificates)', [], [{ serials: [], revokedAt: new Date('2026-12-06T08:00:00Z'), reason: 'keyCompromise' }]],
  ['a group dated with milliseconds (left to the library)', [], [{ serials: ['21', '22'], revokedAt: new Date('2026-12-04T23:01:02.345Z'), reason: 'keyCompromise' }]],
];
const expanded = (entries: CrlEntryInput[], groups: CrlEntryGroup[]): CrlEntryInput[] => [
  ...entries, ...groups.flatMap((g) => g.serials.map((hex) => ({ serial: serial(hex), revokedAt: g.revokedAt, reason: g.reason }))),
];

// RFC 5280 4.1.2.5: UTCTime for 1950..2049, GeneralizedTime from 2050; the direct writer takes whole seconds only.
const TIMES: Array<[string, 'UTCTime' | 'GeneralizedTime' | 'left to the library']> = [
  ['1950-01-01T00:00:00Z', 'UTCTime'],
  ['2026-12-04T23:01:02Z', 'UTCTime'],
  ['2049-12-31T23:59:59Z', 'UTCTime'],
  ['2050-01-01T00:00:00Z', 'GeneralizedTime'],
  ['9999-12-31T23:59:59Z', 'GeneralizedTime'],
  ['2026-12-04T23:01:02.345Z', 'left to the library'],
  ['1949-12-31T23:59:59Z', 'left to the library'],
];

// X.690 8.1.3: [length, the header's bytes (tag 0x30 then the length octets)].
const HEADERS: Array<[number, string]> = [
  [0, '3000'], [127, '307f'], [128, '308180'], [255, '3081ff'], [256, '30820100'], [65_535, '3082ffff'], [65_536, '3083010000'], [400_000, '3083061a80'],
];


/** `openssl crl -text` over `der` with the CA certificate `pem`, in a fresh folder removed after the test. */
function opensslReadsCrl(der: Buffer, pem: string) {
  const dir = workDir();
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFile(dir, 'ca.pem', pem);
  writeFile(dir, 'crl.pem', toPem(der, 'X509 CRL'));
  return openssl(dir, ['crl', '-in', 'crl.pem', '-CAfile', 'ca.pem', '-noout', '-text']);
}
describe('CRL entries written directly', () => {
  it.each(HEADERS)('a TLV header of content length %i is %s', (length, hex) => {
    expect(derHeaderSize(length)).toBe(hex.length / 2);
    const out = Buffer.alloc(hex.length / 2 + 1, 0xee);
    expect(putDerHeader(out, 1, 0x30, length)).toBe(out.length);
    expect(out.subarray(1).toString('hex')).toBe(hex);
  });

  it.each(TIMES)('%s is written as %s, in the bytes the library writes', (iso, form) => {
    const d = new Date(iso);
    const der = derTime(d);
    if (form === 'left to the library') return expect(der).toBeNull();
    expect(der?.[0]).toBe(form === 'UTCTime' ? 0x17 : 0x18);
    expect(der?.toString('hex')).toBe(Buffer.from(AsnConvert.serialize(new asn1X509.Time(d))).toString('hex'));
  });

  it.each(CASES)('%s: the same bytes as the library writes', async (_name, entries) => {
    const { signer, issuer } = await ca();
    const input: CrlProfileInput = { signer, issuer, crlNumber: 7, thisUpdate: new Date('2026-12-04T23:00:00Z'), nextUpdate: new Date('2026-12-11T23:00:00Z'), entries };
    expect(crlTbsDer(input).toString('hex')).toBe(Buffer.from(AsnConvert.serialize(crlTbs(input))).toString('hex'));
  });

  it.each(GROUP_CASES)('%s: the same bytes as the library writes for those entries', async (_name, entries, groups) => {
    const { signer, issuer } = await ca();
    const base = { signer, issuer, crlNumber: 8, thisUpdate: new Date('2026-12-04T23:00:00Z'), nextUpdate: new Date('2026-12-11T23:00:00Z') };
    const reference = Buffer.from(AsnConvert.serialize(crlTbs({ ...base, entries: expanded(entries, groups) })));
    expect(crlTbsDer({ ...base, entries, groups }).toString('hex')).toBe(reference.toString('hex'));
  });

  it('a group serial that is not hexadecimal is refused, not written as zeros', async () => {
    const { signer, issuer } = await ca();
    const input: CrlProfileInput = { signer, issuer, crlNumber: 9, thisUpdate: new Date('2026-12-04T23:00:00Z'), nextUpdate: new Date('2026-12-11T23:00:00Z'), entries: [], groups: [{ serials: ['zz'], revokedAt: new Date('2026-12-06T08:00:00Z'), reason: 'keyCompromise' }] };
    expect(() => crlTbsDer(input)).toThrow('CRL: a pending serial is not hexadecimal');
  });

  it('a signed CRL of 3,000 entries given as one group is verified by openssl, every serial listed', async () => {
    const { signer, issuer, pem } = await ca();
    const serials = Array.from({ length: 3000 }, (_, i) => `5${String(i).padStart(31, '0')}`);
    const groups: CrlEntryGroup[] = [{ serials, revokedAt: new Date('2026-12-04T23:01:02Z'), reason: 'keyCompromise' }];
    const base = { signer, issuer, crlNumber: 3001, thisUpdate: new Date('2026-12-04T23:00:00Z'), nextUpdate: new Date('2026-12-11T23:00:00Z') };
    const der = await signCrl(signer, crlTbsDer({ ...base, entries: [], groups }));
    const [tbs] = derChildren(der);
    expect(der.subarray(tbs!.start, tbs!.end).equals(Buffer.from(AsnConvert.serialize(crlTbs({ ...base, entries: expanded([], groups) }))))).toBe(true);
    const checked = opensslReadsCrl(der, pem);
    expect(checked.out).toContain('verify OK');
    const listed = [...checked.out.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) => m[1]!.toLowerCase());
    expect(listed).toEqual(serials);
  });

  it.each(['EC_P256', 'RSA_2048'] as const)('a signed %s CRL of 3,000 entries (three-byte lengths) is the library form and openssl verifies it', async (spec) => {
    const { signer, issuer, pem } = await ca(spec);
    const entries = Array.from({ length: 3000 }, (_, i) => ({ serial: serial(`5${String(i).padStart(31, '0')}`), revokedAt: new Date('2026-12-04T23:01:02Z'), reason: REASONS[i % REASONS.length]! }));
    const input: CrlProfileInput = { signer, issuer, crlNumber: 3000, thisUpdate: new Date('2026-12-04T23:00:00Z'), nextUpdate: new Date('2026-12-11T23:00:00Z'), entries };
    const der = await signCrl(signer, crlTbsDer(input));
    // The signed part is the library's serialization of the same TBSCertList (its parser refuses this many nodes).
    const [tbs, algorithm, signature] = derChildren(der);
    expect(der.subarray(tbs!.start, tbs!.end).equals(Buffer.from(AsnConvert.serialize(crlTbs(input))))).toBe(true);
    expect(der.subarray(algorithm!.start, algorithm!.end).equals(Buffer.from(AsnConvert.serialize(signatureAlgorithm(signer.keyType))))).toBe(true);
    expect(signature!.tag).toBe(0x03);
    const checked = opensslReadsCrl(der, pem);
    expect(checked.out).toContain('verify OK');
    expect(checked.out.split('Serial Number:').length - 1).toBe(3000);
    expect(checked.out).toContain('Key Compromise');
  });
});
