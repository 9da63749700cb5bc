// Passphrase -> key-encryption key with scrypt. Parameters and salt are stored with the store.
import crypto from 'node:crypto';
import { ConsoleError } from '../../shared/errors.ts';
import type { KdfParams } from '../store/storeMetaRepo.ts';

/** Production default: N=2^17, r=8, p=1 (about 0.6 s on the build machine). */
export const DEFAULT_KDF: KdfParams = { N: 2 ** 17, r: 8, p: 1 };
export const SALT_BYTES = 16;

export function validateKdfParams(kdf: KdfParams): KdfParams {
  const { N, r, p } = kdf;
  const powerOfTwo = Number.isInteger(N) && N >= 2 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > 2 ** 22) throw new ConsoleError('invalid_input', 'kdf.N must be a power of two between 2 and 2^22.');
  if (!Number.isInteger(r) || r < 1 || r > 32) throw new ConsoleError('invalid_input', 'kdf.r must be an integer from 1 to 32.');
  if (!Number.isInteger(p) || p < 1 || p > 16) throw new ConsoleError('invalid_input', 'kdf.p must be an integer from 1 to 16.');
  return { N, r, p };
}

/** A key derived ahead by the process wrapper (electron/cli-bin.js) while the process was small, and its inputs. */
interface Prederived {
  secret: Buffer;
  salt: Buffer;
  kdf: KdfParams;
  key: Buffer;
}
let prederived: Prederived | null = null;

/** The passphrase bytes scrypt is given: NFC, UTF-8 (electron/cli-bin.js derives ahead with the same bytes). */
export const passphraseBytes = (passphrase: string): Buffer => Buffer.from(passphrase.normalize('NFC'), 'utf8');

/**
 * Holds a key derived ahead (the CLI derives before it loads the console's modules, so the 128 MiB scrypt work area
 * and the modules are never resident together: docs/benchmarks.md, CLI memory). The next deriveKek call takes it
 * only when its passphrase, salt and parameters are the same, else zeroes it; it is one-shot either way.
 */
export function offerPrederivedKek(passphrase: string, salt: Buffer, kdf: KdfParams, key: Buffer): void {
  dropPrederivedKek();
  prederived = { secret: passphraseBytes(passphrase), salt: Buffer.from(salt), kdf: { N: kdf.N, r: kdf.r, p: kdf.p }, key };
}

/** Zeroes and forgets a key derived ahead that no derivation took (at exit). */
export function dropPrederivedKek(): void {
  if (!prederived) return;
  prederived.secret.fill(0);
  prederived.key.fill(0);
  prederived = null;
}

/** The key derived ahead, when it was derived from exactly these inputs (consumed either way). */
function takePrederived(secret: Buffer, salt: Buffer, kdf: KdfParams): Buffer | null {
  const held = prederived;
  if (!held) return null;
  prederived = null;
  const same =
    held.kdf.N === kdf.N && held.kdf.r === kdf.r && held.kdf.p === kdf.p && held.salt.equals(salt) &&
    held.secret.length === secret.length && crypto.timingSafeEqual(held.secret, secret) && held.key.length === 32;
  held.secret.fill(0);
  if (same) return held.key;
  held.key.fill(0);
  return null;
}

/**
 * scrypt(NFC UTF-8 passphrase, salt) -> 32 bytes. Bad parameters reject the promise (invalid_input from
 * validateKdfParams), never throw at the call: an `async` function, so a caller's `.catch()` sees every failure.
 */
export async function deriveKek(passphrase: string, salt: Buffer, kdf: KdfParams): Promise<Buffer> {
  const { N, r, p } = validateKdfParams(kdf);
  const secret = passphraseBytes(passphrase);
  const ahead = takePrederived(secret, salt, { N, r, p });
  if (ahead) {
    secret.fill(0);
    return ahead;
  }
  const maxmem = 128 * N * r * p + 64 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    crypto.scrypt(secret, salt, 32, { N, r, p, maxmem }, (err, key) => {
      secret.fill(0);
      if (err) reject(new ConsoleError('internal', 'The passphrase key derivation failed.'));
      else resolve(key);
    });
  });
}
