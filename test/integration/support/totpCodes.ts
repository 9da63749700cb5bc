// Authenticator codes computed the way an authenticator app does, written here from RFC 4226 (HOTP, dynamic
// truncation) and RFC 6238 (T = floor(unix seconds / 30)) with node:crypto, independently of the console's verifier
// (which uses the otpauth package); and RFC 4648 base32 decoding of the secret the enrolment shows.
import crypto from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Decode(text: string): Buffer {
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of text.replace(/=+$/, '').toUpperCase()) {
    const i = BASE32.indexOf(ch);
    if (i < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** HOTP(secret, counter) with HMAC-SHA-1, `digits` long (RFC 4226 section 5.3). */
export function hotp(secret: Buffer, counter: number, digits = 6): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = crypto.createHmac('sha1', secret).update(msg).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const bin = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(bin).padStart(digits, '0');
}

/** The 30-second step of a moment (ms). */
export const stepAt = (ms: number): number => Math.floor(ms / 30_000);

/** The code an app shows at `ms` for the base32 secret of an enrolment (or `offset` steps later). */
export const codeAt = (base32Secret: string, ms: number, offset = 0): string => hotp(base32Decode(base32Secret), stepAt(ms) + offset);
