// The TOTP verifier (RFC 6238 over RFC 4226, with the `otpauth` package): HMAC-SHA-1, 6 digits, 30-second steps,
// a window of one step either side for clock drift. A code is accepted only for a step after the last one accepted
// for that operator (persisted by the caller), so a code seen over a shoulder or in a log cannot be used again.
import crypto from 'node:crypto';
import { HOTP, Secret, TOTP } from 'otpauth';

export const TOTP_ALGORITHM = 'SHA1';
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_S = 30;
/** Steps accepted before and after the current one. */
export const TOTP_WINDOW = 1;
/** Bytes of a new secret: 160 bits, the HMAC-SHA-1 block RFC 4226 recommends. */
export const TOTP_SECRET_BYTES = 20;
export const TOTP_ISSUER = 'ECPS-UV Fleet Console';

/** The time step (RFC 6238 T) of a moment. */
export const totpStep = (nowMs: number): number => Math.floor(nowMs / 1000 / TOTP_PERIOD_S);

const secretOf = (secret: Buffer) => new Secret({ buffer: Uint8Array.from(secret).buffer });

/** The code of one step (tests and the enrolment check use the verifier below, not this). */
export function totpCodeAt(secret: Buffer, step: number, digits = TOTP_DIGITS): string {
  return HOTP.generate({ secret: secretOf(secret), algorithm: TOTP_ALGORITHM, digits, counter: step });
}

export type TotpVerdict = { ok: true; step: number } | { ok: false; reason: 'malformed' | 'wrong' | 'replayed' };

/**
 * Checks a typed code (spaces ignored) at `nowMs` against the secret: accepted when it is the code of the current step
 * or one step either side, and that step is after `lastStep` (the last accepted one; null: none yet).
 */
export function verifyTotp(o: { secret: Buffer; code: string; nowMs: number; lastStep: number | null; digits?: number }): TotpVerdict {
  const digits = o.digits ?? TOTP_DIGITS;
  const code = o.code.replace(/ /g, '');
  if (!new RegExp(`^\\d{${digits}}$`).test(code)) return { ok: false, reason: 'malformed' };
  const now = totpStep(o.nowMs);
  let replayed = false;
  for (let step = now - TOTP_WINDOW; step <= now + TOTP_WINDOW; step++) {
    if (step < 0) continue;
    const expected = totpCodeAt(o.secret, step, digits);
    if (!crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(code))) continue;
    if (o.lastStep !== null && step <= o.lastStep) {
      replayed = true;
      continue;
    }
    return { ok: true, step };
  }
  return { ok: false, reason: replayed ? 'replayed' : 'wrong' };
}

/** A new random secret. */
export const newTotpSecret = (): Buffer => crypto.randomBytes(TOTP_SECRET_BYTES);

/** What an authenticator app is given: the otpauth:// URI and the base32 secret for typing in by hand. */
export function totpEnrolmentOf(secret: Buffer, operator: string): { uri: string; secret: string; issuer: string; label: string } {
  const totp = new TOTP({ issuer: TOTP_ISSUER, label: operator, algorithm: TOTP_ALGORITHM, digits: TOTP_DIGITS, period: TOTP_PERIOD_S, secret: secretOf(secret) });
  return { uri: totp.toString(), secret: totp.secret.base32, issuer: TOTP_ISSUER, label: operator };
}
