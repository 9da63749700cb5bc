// CRC32C (Castagnoli) against published check values, and the adapter's table-driven version against the emulator's
// independent bit-by-bit one.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCrc32c } from '../../electron/providers/gcp/crc32c.ts';
import { createNibbleCrc32c } from '../emulators/gcp-kms/crc32c.ts';

const crc32c = createCrc32c();
const nibble = createNibbleCrc32c();

describe('CRC32C', () => {
  it('matches the standard check value and the RFC 3720 (iSCSI) test vectors', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(nibble(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    expect(crc32c(Buffer.alloc(32, 0x00))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)))).toBe(0x113fdb5c);
  });

  it('agrees with the independent nibble-table implementation and detects a single flipped bit', () => {
    for (const size of [1, 7, 64, 1000, 65_536]) {
      const data = crypto.randomBytes(size);
      expect(crc32c(data)).toBe(nibble(data));
      const flipped = Buffer.from(data);
      flipped[size >> 1]! ^= 0x10;
      expect(crc32c(flipped)).not.toBe(crc32c(data));
    }
  });
});
