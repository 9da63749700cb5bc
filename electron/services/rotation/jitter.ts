// The jitter of one key version (issue 13): fixed per version, so a restart and the 30-day forecast compute the same.
import crypto from 'node:crypto';

/** The jitter of one key version: fixed (a hash of key id and version), from 0 to jitterSeconds. */
export function jitterMs(keyId: string, version: number, jitterSeconds: number): number {
  if (jitterSeconds <= 0) return 0;
  const h = crypto.createHash('sha256').update(`${keyId}:${version}`).digest();
  return Math.floor((h.readUInt32BE(0) / 2 ** 32) * jitterSeconds * 1000);
}
