// Key bundles over one frame's limit (docs/provisioning-protocol.md, "Chunked items" and "Capabilities"), from the
// documented layout: BUNDLE_CHUNK (0x0F, console -> robot) = u32 kind (3: a bundle file) | u32 index | u32 total |
// u32 whole length | SHA-256 of the whole (32) | the robot's HELLO nonce (32) | data; 61,440 data bytes per chunk but
// the last; only a file over 61,440 bytes (one BUNDLE frame's limit) and at most 2 MiB. HELLO may end with a u32
// capability field, bit 0x1 = the robot takes BUNDLE_CHUNK frames; a HELLO without it announces nothing. The robot's
// assembler refuses a chunk naming another nonce than its own HELLO's (wrong_session), and ORDER_CHUNK and
// BUNDLE_CHUNK frames do not carry each other's kinds.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MessageType } from '../../electron/station/frame.ts';
import { ChunkAssembler, chunkLimitOf, decodeBundleChunk, decodeOrderChunk, encodeBundleChunk, splitBundle, type ChunkMessage } from '../../electron/station/orderChunks.ts';
import { decodeHello, distributeSeqs, encodeHello } from '../../electron/station/protocol.ts';
import { fields, refusal } from './station-link-kit.ts';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();

const PIECE = 61_440;
const helloNonce = randomBytes(32);
/** A bundle file of 2 full chunks and a 500-byte last one. */
const file = randomBytes(PIECE * 2 + 500);

describe('BUNDLE_CHUNK frames', () => {
  it('is frame type 0x0F; splits a file over 60 KiB into 60 KiB pieces of kind 3 bound to the HELLO nonce', () => {
    expect(MessageType.BUNDLE_CHUNK).toBe(0x0f);
    const c = splitBundle(file, helloNonce);
    expect(c.map((x) => [x.index, x.total, x.length, x.data.length])).toEqual([[0, 3, file.length, PIECE], [1, 3, file.length, PIECE], [2, 3, file.length, 500]]);
    expect(encodeBundleChunk(c[2]!)).toEqual(fields(3, 2, 3, file.length, sha256(file), helloNonce, file.subarray(2 * PIECE)));
    expect(decodeBundleChunk(fields(3, 0, 3, file.length, sha256(file), helloNonce, file.subarray(0, PIECE)))).toEqual(c[0]);
  });

  it('a file of exactly 2 MiB is 35 chunks; one byte more is refused before anything is sent (frame_oversize)', () => {
    expect(splitBundle(Buffer.alloc(2 * 1024 * 1024), helloNonce)).toHaveLength(35);
    expect(refusal(() => splitBundle(Buffer.alloc(2 * 1024 * 1024 + 1), helloNonce))).toMatchObject({ code: 'frame_oversize', reason: 'over_chunk_limit' });
  });

  const d = sha256(file);
  const piece = file.subarray(0, PIECE);
  it.each([
    ['a CRL (kind 2) in a BUNDLE_CHUNK', () => decodeBundleChunk(fields(2, 0, 3, file.length, d, helloNonce, piece)), 'bad_frame', undefined],
    ['an order (kind 1) in a BUNDLE_CHUNK', () => decodeBundleChunk(fields(1, 0, 3, file.length, d, helloNonce, piece)), 'bad_frame', undefined],
    ['a bundle (kind 3) in an ORDER_CHUNK', () => decodeOrderChunk(fields(3, 0, 3, file.length, d, helloNonce, piece)), 'bad_frame', undefined],
    ['a file that fits one BUNDLE frame (61,440 bytes)', () => decodeBundleChunk(fields(3, 0, 1, PIECE, d, helloNonce, piece)), 'bad_chunk', 'inconsistent'],
    ['a whole length over 2 MiB', () => decodeBundleChunk(fields(3, 0, 35, 2 * 1024 * 1024 + 1, d, helloNonce, piece)), 'bad_chunk', 'oversize'],
    ['a count that does not match the length', () => decodeBundleChunk(fields(3, 0, 4, file.length, d, helloNonce, piece)), 'bad_chunk', 'inconsistent'],
    ['a short nonce', () => decodeBundleChunk(fields(3, 0, 3, file.length, d, helloNonce.subarray(1), piece)), 'bad_frame', undefined],
  ])('refuses %s', (_name, fn, code, reason) => {
    expect(refusal(fn)).toMatchObject({ code, reason });
  });
});

describe('the robot reassembling a bundle bound to its HELLO nonce', () => {
  const [c0, c1, c2] = splitBundle(file, helloNonce) as [ChunkMessage<'bundle'>, ChunkMessage<'bundle'>, ChunkMessage<'bundle'>];
  const assembler = () => new ChunkAssembler<'bundle'>({ sessionNonce: helloNonce });

  it('gives the whole file after the last chunk', () => {
    const a = assembler();
    expect([a.push(c0), a.push(c1), a.push(c2)]).toEqual([null, null, { kind: 'bundle', content: file, nonce: helloNonce }]);
  });

  // Another session's chunks are consistent among themselves: only the robot's own nonce tells them apart.
  const [o0, o1] = splitBundle(file, randomBytes(32)) as [ChunkMessage<'bundle'>, ChunkMessage<'bundle'>];
  it.each([
    ['a whole sequence of another session (its chunk 0 first)', [o0], 'wrong_session', 'chunk 0 of 3 names another session\'s nonce: refused'],
    ['chunk 1 of another session', [c0, o1], 'wrong_session', 'chunk 1 of 3 names another session\'s nonce: refused'],
    ['chunk 2 before chunk 1 (reordered or dropped)', [c0, c2], 'out_of_order', 'chunk 2 of 3 arrived before chunk 1'],
    ['chunk 0 twice', [c0, c0], 'duplicate', 'chunk 0 of 3 arrived twice'],
  ])('refuses %s: bad_chunk', (_name, sequence, reason, message) => {
    const a = assembler();
    expect(refusal(() => sequence.forEach((c) => a.push(c)))).toEqual({ code: 'bad_chunk', reason, message });
    expect(a.open).toBe(false);
  });

  it('a sequence cut short (another frame instead of the last chunk) is missing chunks', () => {
    const a = assembler();
    a.push(c0);
    a.push(c1);
    expect([a.interrupted().details?.reason, a.open]).toEqual(['missing', false]);
  });
});

describe('the HELLO capability field and the sequence numbers', () => {
  const nonce = randomBytes(32);
  it('a HELLO may end with a u32 capability field (0x1: takes BUNDLE_CHUNK); without it, no capability', () => {
    expect(encodeHello({ deviceId: 'R-1', robotNonce: nonce, firmware: 'fw', capabilities: 1 })).toEqual(fields('R-1', nonce, 'fw', 1));
    expect(decodeHello(fields('R-1', nonce, 'fw', 1))).toEqual({ deviceId: 'R-1', robotNonce: nonce, firmware: 'fw', capabilities: 1 });
    expect(decodeHello(fields('R-1', nonce, 'fw'))).toEqual({ deviceId: 'R-1', robotNonce: nonce, firmware: 'fw' });
    expect(refusal(() => decodeHello(fields('R-1', nonce, 'fw', 1, 1, 1)))).toMatchObject({ code: 'bad_frame' });
  });

  it('a u32 after the capabilities is the largest chunked item the robot takes (bytes); 0 is malformed; the console sends up to it, at most 64 MiB, 2 MiB when absent', () => {
    const EIGHT_MIB = 8 * 1024 * 1024;
    expect(encodeHello({ deviceId: 'R-1', robotNonce: nonce, firmware: 'fw', capabilities: 1, maxChunkedItem: EIGHT_MIB })).toEqual(fields('R-1', nonce, 'fw', 1, EIGHT_MIB));
    // A size without capabilities still writes the capability field first (0: none).
    expect(encodeHello({ deviceId: 'R-1', robotNonce: nonce, firmware: 'fw', maxChunkedItem: 5 })).toEqual(fields('R-1', nonce, 'fw', 0, 5));
    expect(decodeHello(fields('R-1', nonce, 'fw', 1, EIGHT_MIB))).toEqual({ deviceId: 'R-1', robotNonce: nonce, firmware: 'fw', capabilities: 1, maxChunkedItem: EIGHT_MIB });
    expect(refusal(() => decodeHello(fields('R-1', nonce, 'fw', 1, 0)))).toMatchObject({ code: 'bad_frame', message: 'malformed HELLO message: the largest chunked item announced is 0 bytes (a robot that takes none omits the field)' });
    expect([chunkLimitOf({}), chunkLimitOf({ maxChunkedItem: EIGHT_MIB }), chunkLimitOf({ maxChunkedItem: 1000 }), chunkLimitOf({ maxChunkedItem: 0xffffffff })])
      .toEqual([2 * 1024 * 1024, EIGHT_MIB, 1000, 64 * 1024 * 1024]);
  });

  it('BUNDLE_CHUNK frames take the BUNDLE frame\'s numbers on: n items, k chunks -> chunks n..n+k-1, DONE n+k; INSTALLED n+1', () => {
    expect(distributeSeqs(0, 0, false, 13)).toMatchObject({ bundle: 0, done: 13, installed: 1 });
    expect(distributeSeqs(2, 9, false, 13)).toMatchObject({ bundle: 9, done: 22, installed: 3 });
    expect(distributeSeqs(1, 1, true, 4)).toMatchObject({ bundle: 3, done: 7, installed: 4 });
    expect(distributeSeqs(1, 1, false)).toMatchObject({ bundle: 1, done: 2 });
  });
});
