// Chunked transfer of a large emergency item (docs/provisioning-protocol.md, "Chunked items"), byte for byte from the
// documented layout: ORDER_CHUNK (0x0C, console -> robot) = u32 kind | u32 index | u32 total | u32 whole length |
// SHA-256 of the whole (32) | console nonce (32) | data; every chunk but the last carries 61,440 bytes; an item is
// chunked only when over 61,440 bytes and at most 2 MiB. The robot's assembler takes chunks 0..total-1 in order, once
// each, all naming the same item, and checks the whole against its digest: every other input is refused with
// bad_chunk and a reason (tables below), and an item that fits one frame or goes over the cap is refused when encoded.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, MessageType, encodeFrame } from '../../electron/station/frame.ts';
import {
  CHUNK_DATA, ChunkAssembler, MAX_CHUNKED_ITEM, decodeOrderChunk, encodeOrderChunk, splitItem, type OrderChunkMessage,
} from '../../electron/station/orderChunks.ts';
import { fields, refusal } from './station-link-kit.ts';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();

const PIECE = 61_440; // 60 KiB: an ORDER frame's largest item, and a chunk's data
const nonce = randomBytes(32);
/** A CRL-sized item: 2 full chunks and a 1,000-byte last one. */
const item = randomBytes(PIECE * 2 + 1000);
const chunks = () => splitItem({ kind: 'crl', content: item, consoleNonce: nonce });

describe('ORDER_CHUNK frames', () => {
  it('split an item over 60 KiB into 60 KiB pieces, each naming the kind, index, count, whole length, digest and nonce', () => {
    const c = chunks();
    expect(CHUNK_DATA).toBe(PIECE);
    expect(c.map((x) => [x.index, x.total, x.length, x.data.length])).toEqual([[0, 3, item.length, PIECE], [1, 3, item.length, PIECE], [2, 3, item.length, 1000]]);
    expect(Buffer.concat(c.map((x) => x.data))).toEqual(item);
    expect(encodeOrderChunk(c[1] as OrderChunkMessage)).toEqual(fields(2, 1, 3, item.length, sha256(item), nonce, item.subarray(PIECE, 2 * PIECE)));
    expect(decodeOrderChunk(fields(2, 2, 3, item.length, sha256(item), nonce, item.subarray(2 * PIECE)))).toEqual(c[2]);
    const [ev] = new FrameDecoder().push(encodeFrame({ type: MessageType.ORDER_CHUNK, seq: 4, payload: encodeOrderChunk(c[0] as OrderChunkMessage) }));
    expect(ev).toMatchObject({ kind: 'frame', frame: { type: 0x0c, seq: 4 } });
  });

  it('an item of exactly 2 MiB is chunked (35 chunks); one byte more is refused before anything is sent (frame_oversize)', () => {
    expect(MAX_CHUNKED_ITEM).toBe(2 * 1024 * 1024);
    expect(splitItem({ kind: 'crl', content: Buffer.alloc(2 * 1024 * 1024), consoleNonce: nonce })).toHaveLength(35);
    expect(refusal(() => splitItem({ kind: 'crl', content: Buffer.alloc(2 * 1024 * 1024 + 1), consoleNonce: nonce }))).toMatchObject({ code: 'frame_oversize' });
  });

  const d = sha256(item);
  const full = item.subarray(0, PIECE);
  it.each([
    ['unknown kind', fields(3, 0, 3, item.length, d, nonce, full), 'bad_frame', undefined],
    ['short digest', fields(2, 0, 3, item.length, d.subarray(1), nonce, full), 'bad_frame', undefined],
    ['short console nonce', fields(2, 0, 3, item.length, d, nonce.subarray(1), full), 'bad_frame', undefined],
    ['trailing byte', Buffer.concat([fields(2, 0, 3, item.length, d, nonce, full), Buffer.from([0])]), 'bad_frame', undefined],
    ['truncated (no data field)', fields(2, 0, 3, item.length, d, nonce), 'bad_frame', undefined],
    ['whole length over 2 MiB', fields(2, 0, 35, 2 * 1024 * 1024 + 1, d, nonce, full), 'bad_chunk', 'oversize'],
    ['whole length that fits one ORDER frame', fields(2, 0, 1, 500, d, nonce, Buffer.alloc(500)), 'bad_chunk', 'inconsistent'],
    ['count that does not match the length', fields(2, 0, 4, item.length, d, nonce, full), 'bad_chunk', 'inconsistent'],
    ['index not below the count', fields(2, 3, 3, item.length, d, nonce, full), 'bad_chunk', 'inconsistent'],
    ['a middle chunk one byte short', fields(2, 0, 3, item.length, d, nonce, full.subarray(1)), 'bad_chunk', 'inconsistent'],
    ['a chunk over 60 KiB (oversize)', fields(2, 0, 3, item.length, d, nonce, Buffer.alloc(PIECE + 1)), 'bad_chunk', 'oversize'],
    ['a last chunk longer than the rest of the item', fields(2, 2, 3, item.length, d, nonce, Buffer.alloc(1001)), 'bad_chunk', 'oversize'],
  ])('a chunk with %s is refused (%s)', (_name, payload, code, reason) => {
    expect(refusal(() => decodeOrderChunk(payload))).toMatchObject({ code, reason });
  });
});

describe('the robot reassembling a chunked item', () => {
  const feed = (sequence: OrderChunkMessage[]) => {
    const a = new ChunkAssembler();
    let whole: ReturnType<ChunkAssembler['push']> = null;
    for (const c of sequence) whole = a.push(c);
    return whole;
  };

  it('gives the whole item after the last chunk, with its kind and the session nonce, and nothing before', () => {
    const a = new ChunkAssembler();
    const [c0, c1, c2] = chunks() as [OrderChunkMessage, OrderChunkMessage, OrderChunkMessage];
    expect([a.push(c0), a.open, a.push(c1)]).toEqual([null, true, null]);
    expect(a.push(c2)).toEqual({ kind: 'crl', content: item, nonce: nonce });
    expect(a.open).toBe(false);
  });

  const [c0, c1, c2] = chunks() as [OrderChunkMessage, OrderChunkMessage, OrderChunkMessage];
  const otherNonce = randomBytes(32);
  it.each([
    ['starting with chunk 1 (chunk 0 missing)', [c1], 'missing', 'chunk 1 of 3 arrived first: chunk 0 is missing'],
    ['chunk 2 right after chunk 0 (out of order)', [c0, c2], 'out_of_order', 'chunk 2 of 3 arrived before chunk 1'],
    ['chunk 0 twice (duplicate)', [c0, c0], 'duplicate', 'chunk 0 of 3 arrived twice'],
    ['chunk 1 twice (duplicate)', [c0, c1, c1], 'duplicate', 'chunk 1 of 3 arrived twice'],
    ['a chunk of another session (console nonce)', [c0, { ...c1, nonce: otherNonce }], 'inconsistent', 'chunk 1 names another item than chunk 0 (kind, count, length, digest or session)'],
    ['a chunk of another item (digest)', [c0, { ...c1, digest: sha256(Buffer.from('x')) }], 'inconsistent', 'chunk 1 names another item than chunk 0 (kind, count, length, digest or session)'],
    ['a chunk of another kind', [c0, { ...c1, kind: 'order' as const }], 'inconsistent', 'chunk 1 names another item than chunk 0 (kind, count, length, digest or session)'],
    ['a chunk whose bytes were changed (digest of the whole)', [c0, { ...c1, data: Buffer.from(c1.data).fill(7, 0, 1) }, c2], 'digest_mismatch', 'the reassembled item does not match the SHA-256 its chunks announce'],
  ])('refuses %s: bad_chunk', (_name, sequence, reason, message) => {
    expect(refusal(() => feed(sequence as OrderChunkMessage[]))).toEqual({ code: 'bad_chunk', reason, message });
  });

  it('an item cut short by another frame is missing chunks: interrupted() names how many came', () => {
    const a = new ChunkAssembler();
    a.push(c0);
    const e = a.interrupted();
    expect([e.code, e.details?.reason, e.message]).toEqual(['bad_chunk', 'missing', 'the item ended after 1 of 3 chunks']);
    expect(a.open).toBe(false);
  });
});
