// The version-1 envelope as docs/ciphertext-format.md lays it out, opened here by an independent reader written from
// that table with node:crypto alone (no code of electron/crypto/ on the decrypting side). encryptEnvelope fills its
// output a slice of the body at a time (64 KiB each, every slice's temporary released once copied), so the sizes cover
// the slice edges and several slices, and the caller's plaintext must come out of it intact.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encryptEnvelope } from '../../electron/crypto/envelope.ts';
import { localRecipient } from '../../electron/crypto/localRecipient.ts';

const STORE_ID = '6f1c2a3b-4d5e-4f60-8172-93a4b5c6d7e8';
const KEY_ID = '0b9e8d7c-6a5b-4c3d-9e2f-1a0b9c8d7e6f';
const VERSION = 3;
const hkdf = (ikm: Buffer, info: string) => Buffer.from(crypto.hkdfSync('sha256', ikm, Buffer.alloc(0), Buffer.from(info, 'utf8'), 32));

/** Reads a one-entry envelope by the documented offsets; returns the plaintext, or throws when a check fails. */
function openByTheTable(ct: Buffer, material: Buffer, aad: Buffer): Buffer {
  let pos = 0;
  const take = (n: number) => {
    if (pos + n > ct.length) throw new Error('short');
    const b = ct.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  expect(take(4).toString('ascii')).toBe('ECPS');
  expect(take(1)[0]).toBe(1);
  expect(take(16).toString('hex')).toBe(STORE_ID.replace(/-/g, ''));
  expect(take(1)[0]).toBe(1);
  const entryStart = pos;
  const provider = take(take(1)[0]!).toString('utf8');
  const keyRef = take(take(1)[0]!).toString('utf8');
  const keyVersion = take(4).readUInt32BE(0);
  const beforeW = pos;
  const wrapped = take(take(2).readUInt16BE(0));
  const nonce = take(12);
  const aadTag = take(32);
  const header = ct.subarray(0, pos);
  expect({ provider, keyRef, keyVersion }).toEqual({ provider: 'local', keyRef: KEY_ID, keyVersion: VERSION });
  expect(wrapped.length).toBe(12 + 32 + 16);
  expect(entryStart).toBe(22);
  // The wrapped key's AAD: the header with the W field and the wrapped bytes left out.
  const wrapAad = Buffer.concat([ct.subarray(0, beforeW), nonce, aadTag]);
  const unwrap = crypto.createDecipheriv('aes-256-gcm', material, wrapped.subarray(0, 12));
  unwrap.setAAD(wrapAad);
  unwrap.setAuthTag(wrapped.subarray(44));
  const dataKey = Buffer.concat([unwrap.update(wrapped.subarray(12, 44)), unwrap.final()]);
  expect(crypto.createHmac('sha256', hkdf(dataKey, 'ecps/envelope/v1/aad')).update(aad).digest().equals(aadTag)).toBe(true);
  const body = crypto.createDecipheriv('aes-256-gcm', hkdf(dataKey, 'ecps/envelope/v1/body'), nonce);
  body.setAAD(header);
  body.setAuthTag(ct.subarray(ct.length - 16));
  return Buffer.concat([body.update(ct.subarray(pos, ct.length - 16)), body.final()]);
}

describe('envelope format version 1, written in slices', () => {
  const material = crypto.randomBytes(32);
  const aad = Buffer.from('robot-7/telemetry');
  // 0, one byte, around one 64 KiB slice, several slices with a partial last one, and 1 MiB (the IPC limit).
  const sizes = [0, 1, 65_535, 65_536, 65_537, 3 * 65_536 + 17, 1024 * 1024];

  for (const size of sizes) {
    it(`${size} bytes: the documented layout, opened independently, gives the plaintext back`, () => {
      const plaintext = crypto.randomBytes(size);
      const kept = Buffer.from(plaintext);
      const ct = encryptEnvelope(STORE_ID, [localRecipient(KEY_ID, VERSION, material)], plaintext, aad);
      expect(plaintext.equals(kept)).toBe(true);
      // Overhead of one local entry, from the table: 22 + (1+5 + 1+36 + 4 + 2+60) + 12 + 32 + 16 = 191 bytes.
      expect(ct.length).toBe(size + 191);
      expect(openByTheTable(ct, material, aad).equals(plaintext)).toBe(true);
    });
  }

  it('each slice is bound: a byte flipped in the second slice fails the independent reader', () => {
    const plaintext = crypto.randomBytes(2 * 65_536 + 5);
    const ct = encryptEnvelope(STORE_ID, [localRecipient(KEY_ID, VERSION, material)], plaintext, aad);
    ct[175 + 65_536 + 10]! ^= 1;
    expect(() => openByTheTable(ct, material, aad)).toThrow();
  });
});
