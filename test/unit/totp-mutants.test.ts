// The TOTP verifier's edges that test/unit/totp.test.ts left open (mutation round (r), docs/mutation-testing.md): the
// first time step (T = 0, where the window's earlier step would be negative), the enrolment's issuer, and new secrets.
// Expected codes come from RFC 4226 Appendix D (HOTP of the secret "12345678901234567890" for counters 0 to 9) and from
// the RFC 4226 section 5.3 algorithm written out below with node:crypto, never from the module.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newTotpSecret, totpCodeAt, totpEnrolmentOf, verifyTotp } from '../../electron/services/secondFactor/totp.ts';

const RFC_SECRET = Buffer.from('12345678901234567890', 'ascii');
/** RFC 4226 Appendix D: the 6-digit HOTP values of counters 0 to 9. */
const RFC_4226_HOTP = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];

/** RFC 4226 section 5.3: HMAC-SHA-1 over the 8-byte big-endian counter, dynamic truncation, modulo 10^digits. */
function hotp(secret: Buffer, counter: bigint, digits = 6): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(counter);
  const hs = crypto.createHmac('sha1', secret).update(msg).digest();
  const offset = hs[19]! & 0xf;
  const bin = ((hs[offset]! & 0x7f) << 24) | (hs[offset + 1]! << 16) | (hs[offset + 2]! << 8) | hs[offset + 3]!;
  return String(bin % 10 ** digits).padStart(digits, '0');
}

describe('RFC 4226 Appendix D (HOTP, counters 0 to 9)', () => {
  it('the reference algorithm above gives the RFC table (so it can stand for the RFC below)', () => {
    expect(RFC_4226_HOTP.map((_, c) => hotp(RFC_SECRET, BigInt(c)))).toEqual(RFC_4226_HOTP);
  });

  it('the code of each counter is the code of that time step', () => {
    RFC_4226_HOTP.forEach((code, c) => expect(totpCodeAt(RFC_SECRET, c), `counter ${c}`).toBe(code));
  });

  it('each counter is accepted at its own time step (30 s each), with no step used before', () => {
    RFC_4226_HOTP.forEach((code, c) => {
      expect(verifyTotp({ secret: RFC_SECRET, code, nowMs: c * 30_000 + 15_000, lastStep: null }), `counter ${c}`).toEqual({ ok: true, step: c });
    });
  });
});

describe('the first time step (T = 0: Unix time 0 to 29 s)', () => {
  it('the code of step 0 is accepted at step 0 when no step was used yet, and step 1 (next) too', () => {
    for (const nowMs of [0, 29_999]) {
      expect(verifyTotp({ secret: RFC_SECRET, code: RFC_4226_HOTP[0]!, nowMs, lastStep: null })).toEqual({ ok: true, step: 0 });
      expect(verifyTotp({ secret: RFC_SECRET, code: RFC_4226_HOTP[1]!, nowMs, lastStep: null })).toEqual({ ok: true, step: 1 });
    }
  });

  it('step 0 once used is a replay; step 1 after it is not', () => {
    expect(verifyTotp({ secret: RFC_SECRET, code: RFC_4226_HOTP[0]!, nowMs: 0, lastStep: 0 })).toEqual({ ok: false, reason: 'replayed' });
    expect(verifyTotp({ secret: RFC_SECRET, code: RFC_4226_HOTP[1]!, nowMs: 0, lastStep: 0 })).toEqual({ ok: true, step: 1 });
  });

  it('there is no step before 0: the code of counter 2^64 - 1 (what -1 would wrap to) is wrong at step 0', () => {
    const wrapped = hotp(RFC_SECRET, 2n ** 64n - 1n);
    // Not by chance the code of step 0 or 1 (then the check below would prove nothing).
    expect([RFC_4226_HOTP[0], RFC_4226_HOTP[1]]).not.toContain(wrapped);
    expect(verifyTotp({ secret: RFC_SECRET, code: wrapped, nowMs: 0, lastStep: null })).toEqual({ ok: false, reason: 'wrong' });
  });
});

describe('enrolment and new secrets', () => {
  it('the authenticator app is given the console as issuer, in the label and as the issuer parameter', () => {
    const issuer = 'ECPS-UV Fleet Console';
    const e = totpEnrolmentOf(RFC_SECRET, 'alice');
    expect(e.issuer).toBe(issuer);
    expect(e.label).toBe('alice');
    const uri = new URL(e.uri);
    expect(uri.searchParams.get('issuer')).toBe(issuer);
    expect(decodeURIComponent(uri.pathname)).toBe(`/${issuer}:alice`);
  });

  it('a new secret is 20 random bytes (160 bits, RFC 4226 section 4), different each time', () => {
    const a = newTotpSecret();
    const b = newTotpSecret();
    expect(Buffer.isBuffer(a)).toBe(true);
    expect(a.length).toBe(20);
    expect(b.length).toBe(20);
    expect(a.equals(b)).toBe(false);
  });
});
