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

export function deriveKek(passphrase: string, salt: Buffer, kdf: KdfParams): Promise<Buffer> {
  const { N, r, p } = validateKdfParams(kdf);
  const maxmem = 128 * N * r * p + 64 * 1024 * 1024;
  const secret = Buffer.from(passphrase.normalize('NFC'), 'utf8');
  return new Promise((resolve, reject) => {
    crypto.scrypt(secret, salt, 32, { N, r, p, maxmem }, (err, key) => {
      secret.fill(0);
      if (err) reject(new ConsoleError('internal', 'The passphrase key derivation failed.'));
      else resolve(key);
    });
  });
}
