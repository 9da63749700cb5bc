// The emulator's own CRC32C (Castagnoli, reflected polynomial 0x82F63B78), computed four bits at a time from a
// 16-entry table derived bit by bit: deliberately a different implementation from the adapter's byte-table one, so
// the two check each other.
export function createNibbleCrc32c(): (data: Uint8Array) => number {
  const table = new Uint32Array(16);
  for (let n = 0; n < 16; n++) {
    let c = n;
    for (let k = 0; k < 4; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return (data) => {
    let crc = 0xffffffff;
    for (let i = 0; i < data.length; i++) {
      crc ^= data[i]!;
      crc = table[crc & 0x0f]! ^ (crc >>> 4);
      crc = table[crc & 0x0f]! ^ (crc >>> 4);
    }
    return (crc ^ 0xffffffff) >>> 0;
  };
}
