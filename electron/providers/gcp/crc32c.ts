// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven, as Google's data-integrity guidance uses it for
// Cloud KMS request and response checksums. The table is built once per call site that asks for it (no module state).
export type Crc32c = (data: Uint8Array) => number;

export function createCrc32c(): Crc32c {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return (data) => {
    let crc = 0xffffffff;
    for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
    return (crc ^ 0xffffffff) >>> 0;
  };
}
