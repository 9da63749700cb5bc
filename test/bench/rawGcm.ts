// The envelope benches' baseline: one raw node:crypto AES-256-GCM encrypt then decrypt of a message under one key,
// a fresh 96-bit nonce, the same AAD, and nothing else (no key service, no header, no audit).
import crypto from 'node:crypto';

export function rawGcmRoundTrip(key: Buffer, msg: Buffer, aad: Buffer): Buffer {
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(msg), c.final()]);
  const tag = c.getAuthTag();
  const d = crypto.createDecipheriv('aes-256-gcm', key, iv);
  d.setAAD(aad);
  d.setAuthTag(tag);
  return Buffer.concat([d.update(ct), d.final()]);
}
