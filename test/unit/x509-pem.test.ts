// toPem (electron/crypto/x509Plain.ts) writes PEM (RFC 7468): the armour lines, the base64 of the DER in lines of 64
// characters (48 bytes each), the last one shorter. Each case's expected text is written out here by hand.
import { describe, expect, it } from 'vitest';
import { toPem } from '../../electron/crypto/x509Plain.ts';

const bytes = (n: number, fill = 0) => Buffer.alloc(n, fill);

// [case, DER, label, the PEM expected]
const CASES: Array<[string, Buffer, 'CERTIFICATE' | 'X509 CRL', string]> = [
  ['one byte', Buffer.from([0x30]), 'X509 CRL', '-----BEGIN X509 CRL-----\nMA==\n-----END X509 CRL-----\n'],
  ['three bytes, no padding', Buffer.from([0x30, 0x01, 0x00]), 'CERTIFICATE', '-----BEGIN CERTIFICATE-----\nMAEA\n-----END CERTIFICATE-----\n'],
  ['48 bytes: one full line', bytes(48), 'X509 CRL', `-----BEGIN X509 CRL-----\n${'A'.repeat(64)}\n-----END X509 CRL-----\n`],
  ['49 bytes: a full line and one of 4 characters', bytes(49), 'X509 CRL', `-----BEGIN X509 CRL-----\n${'A'.repeat(64)}\nAA==\n-----END X509 CRL-----\n`],
  ['96 bytes: two full lines', bytes(96, 0xff), 'CERTIFICATE', `-----BEGIN CERTIFICATE-----\n${'/'.repeat(64)}\n${'/'.repeat(64)}\n-----END CERTIFICATE-----\n`],
  ['100 bytes', bytes(100, 0xff), 'X509 CRL', `-----BEGIN X509 CRL-----\n${'/'.repeat(64)}\n${'/'.repeat(64)}\n/////w==\n-----END X509 CRL-----\n`],
  ['no bytes: an empty line', Buffer.alloc(0), 'X509 CRL', '-----BEGIN X509 CRL-----\n\n-----END X509 CRL-----\n'],
];

describe('toPem', () => {
  it.each(CASES)('%s', (_name, der, label, pem) => {
    expect(toPem(der, label)).toBe(pem);
  });

  it('a CRL-sized DER: lines of 64 characters that decode back to it', () => {
    const der = Buffer.from(Array.from({ length: 430_001 }, (_, i) => (i * 7) % 256));
    const lines = toPem(der, 'X509 CRL').split('\n');
    expect([lines[0], lines.at(-2), lines.at(-1)]).toEqual(['-----BEGIN X509 CRL-----', '-----END X509 CRL-----', '']);
    const body = lines.slice(1, -2);
    expect(body.length).toBe(Math.ceil(430_001 / 48));
    expect(body.slice(0, -1).every((l) => l.length === 64)).toBe(true);
    expect(Buffer.from(body.join(''), 'base64').equals(der)).toBe(true);
  });
});
