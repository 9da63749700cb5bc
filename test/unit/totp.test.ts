// The TOTP verifier (electron/services/secondFactor/totp.ts) against RFC 6238 Appendix B: the SHA-1 rows of its test
// vector table, written here from the RFC (secret: the ASCII string "12345678901234567890", 30-second steps, 8 digits).
// A 6-digit code is the same HOTP value modulo 10^6 (RFC 4226 section 5.3), i.e. the last 6 digits of the 8-digit one.
import { describe, expect, it } from 'vitest';
import { totpEnrolmentOf, verifyTotp } from '../../electron/services/secondFactor/totp.ts';

const RFC_SECRET = Buffer.from('12345678901234567890', 'ascii');
/** RFC 6238 Appendix B, SHA-1 rows: Unix time (s), T (hex), TOTP (8 digits). */
const RFC_6238_SHA1: ReadonlyArray<[timeS: number, stepHex: string, code: string]> = [
  [59, '0000000000000001', '94287082'],
  [1111111109, '00000000023523EC', '07081804'],
  [1111111111, '00000000023523ED', '14050471'],
  [1234567890, '000000000273EF07', '89005924'],
  [2000000000, '0000000003F940AA', '69279037'],
  [20000000000, '0000000027BC86AA', '65353130'],
];

describe('RFC 6238 test vectors (SHA-1)', () => {
  for (const [timeS, stepHex, code8] of RFC_6238_SHA1) {
    const step = parseInt(stepHex, 16);
    it(`T=${timeS}: ${code8} (8 digits) and ${code8.slice(2)} (6 digits) at step ${step}`, () => {
      expect(verifyTotp({ secret: RFC_SECRET, code: code8, nowMs: timeS * 1000, lastStep: null, digits: 8 })).toEqual({ ok: true, step });
      expect(verifyTotp({ secret: RFC_SECRET, code: code8.slice(2), nowMs: timeS * 1000, lastStep: null })).toEqual({ ok: true, step });
      // Typed with a space in the middle, as apps show it.
      expect(verifyTotp({ secret: RFC_SECRET, code: `${code8.slice(2, 5)} ${code8.slice(5)}`, nowMs: timeS * 1000, lastStep: null })).toEqual({ ok: true, step });
    });
  }
});

describe('the window of one step either side', () => {
  // 1111111109 and 1111111111 are consecutive steps (0x23523EC, 0x23523ED) in the table.
  const [, a, b] = RFC_6238_SHA1;
  const stepA = parseInt(a![1], 16);
  const codeA = a![2].slice(2);
  const codeB = b![2].slice(2);
  const at = (step: number, offsetS = 0) => (step * 30 + offsetS) * 1000;

  it('accepts the code of the previous and of the next step, not two steps away', () => {
    expect(verifyTotp({ secret: RFC_SECRET, code: codeA, nowMs: at(stepA + 1), lastStep: null })).toEqual({ ok: true, step: stepA });
    expect(verifyTotp({ secret: RFC_SECRET, code: codeA, nowMs: at(stepA - 1, 29), lastStep: null })).toEqual({ ok: true, step: stepA });
    expect(verifyTotp({ secret: RFC_SECRET, code: codeA, nowMs: at(stepA + 2), lastStep: null })).toEqual({ ok: false, reason: 'wrong' });
    expect(verifyTotp({ secret: RFC_SECRET, code: codeA, nowMs: at(stepA - 2, 29), lastStep: null })).toEqual({ ok: false, reason: 'wrong' });
  });

  it('refuses a code of a step already used, and of any earlier step (replay)', () => {
    expect(verifyTotp({ secret: RFC_SECRET, code: codeA, nowMs: at(stepA), lastStep: stepA })).toEqual({ ok: false, reason: 'replayed' });
    expect(verifyTotp({ secret: RFC_SECRET, code: codeA, nowMs: at(stepA + 1), lastStep: stepA + 1 })).toEqual({ ok: false, reason: 'replayed' });
    expect(verifyTotp({ secret: RFC_SECRET, code: codeB, nowMs: at(stepA), lastStep: stepA })).toEqual({ ok: true, step: stepA + 1 });
  });

  it('refuses a wrong or malformed code', () => {
    const wrong = String((Number(codeA) + 1) % 1_000_000).padStart(6, '0');
    expect(verifyTotp({ secret: RFC_SECRET, code: wrong, nowMs: at(stepA), lastStep: null })).toEqual({ ok: false, reason: 'wrong' });
    for (const code of ['', '12345', '1234567', 'abcdef', `${codeA}0`]) {
      expect(verifyTotp({ secret: RFC_SECRET, code, nowMs: at(stepA), lastStep: null }), code).toEqual({ ok: false, reason: 'malformed' });
    }
  });
});

describe('enrolment text', () => {
  it('the otpauth URI names SHA1, 6 digits, 30 s and the base32 secret (RFC 4648 base32 of the bytes)', () => {
    // "12345678901234567890" in base32 (RFC 4648), worked out by hand from its 5-byte groups.
    const base32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    const e = totpEnrolmentOf(RFC_SECRET, 'alice');
    expect(e.secret).toBe(base32);
    const uri = new URL(e.uri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(Object.fromEntries(uri.searchParams)).toMatchObject({ secret: base32, algorithm: 'SHA1', digits: '6', period: '30' });
    expect(decodeURIComponent(uri.pathname)).toContain('alice');
  });
});
