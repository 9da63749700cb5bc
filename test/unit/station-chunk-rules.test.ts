// The per-chunk and reassembly rules of docs/provisioning-protocol.md ("Chunked items"), written out as tables with
// the exact refusal each one gives: where an item starts needing chunks (over 61,440 bytes), each rule's own message
// (the robot's ERROR frame carries it, so an operator reads it), the assembler's checks that the other tests reach
// only together (a chunk naming another count or another length than chunk 0, chunks that do not add up to the length
// they announce) and an assembler that takes the next item once one is whole.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChunkAssembler, decodeBundleChunk, decodeOrderChunk, encodeOrderChunk, needsChunks, splitBundle, splitItem, type ChunkMessage, type OrderChunkMessage } from '../../electron/station/orderChunks.ts';
import { fields, refusal } from './station-link-kit.ts';

const PIECE = 61_440;
const TWO_MIB = 2 * 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();
const nonce = randomBytes(32);

describe('when an item needs chunks', () => {
  it.each([
    [1, false],
    [PIECE - 1, false],
    [PIECE, false],
    [PIECE + 1, true],
    [TWO_MIB, true],
  ])('%i bytes: chunks %s', (length, chunked) => {
    expect(needsChunks(Buffer.alloc(length))).toBe(chunked);
  });

  it('an item over 2 MiB is refused with its size (frame_oversize, over_chunk_limit)', () => {
    for (const [what, split] of [['crl', () => splitItem({ kind: 'crl', content: Buffer.alloc(TWO_MIB + 1), consoleNonce: nonce })], ['bundle', () => splitBundle(Buffer.alloc(TWO_MIB + 1), nonce)]] as const) {
      let details: unknown;
      try {
        split();
      } catch (e) {
        details = (e as { details?: unknown }).details;
      }
      expect({ what, refused: refusal(split), details }).toEqual({
        what, refused: { code: 'frame_oversize', reason: 'over_chunk_limit', message: `a ${what} of ${TWO_MIB + 1} bytes is over the ${TWO_MIB}-byte limit of a chunked item` }, details: { reason: 'over_chunk_limit', bytes: TWO_MIB + 1, limit: TWO_MIB },
      });
    }
  });

  it('the limit is the one given (what the robot announced); over the console ceiling (64 MiB) the reason is over_console_chunk_limit', () => {
    const MIB = 1024 * 1024;
    expect(splitItem({ kind: 'crl', content: Buffer.alloc(3 * MIB), consoleNonce: nonce }, 3 * MIB)).toHaveLength(Math.ceil((3 * MIB) / (60 * 1024)));
    expect(refusal(() => splitItem({ kind: 'crl', content: Buffer.alloc(MIB + 1), consoleNonce: nonce }, MIB))).toEqual({
      code: 'frame_oversize', reason: 'over_chunk_limit', message: `a crl of ${MIB + 1} bytes is over the ${MIB}-byte limit of a chunked item`,
    });
    // A limit above the ceiling does not lift it.
    expect(refusal(() => splitBundle(Buffer.alloc(64 * MIB + 1), nonce, 128 * MIB))).toEqual({
      code: 'frame_oversize', reason: 'over_console_chunk_limit', message: `a bundle of ${64 * MIB + 1} bytes is over the console's ${64 * MIB}-byte ceiling for a chunked item`,
    });
  });
});

describe('a chunk checked on its own: each refusal and its message', () => {
  const item = randomBytes(2 * PIECE + 1000);
  const d = sha256(item);
  const full = item.subarray(0, PIECE);
  it.each([
    ['a CRL in a BUNDLE_CHUNK', () => decodeBundleChunk(fields(2, 0, 3, item.length, d, nonce, full)), 'bad_frame', undefined, 'malformed BUNDLE_CHUNK message: item kind 2 does not travel in BUNDLE_CHUNK frames'],
    ['a bundle in an ORDER_CHUNK', () => decodeOrderChunk(fields(3, 0, 3, item.length, d, nonce, full)), 'bad_frame', undefined, 'malformed ORDER_CHUNK message: item kind 3 does not travel in ORDER_CHUNK frames'],
    ['an unknown kind (0)', () => decodeOrderChunk(fields(0, 0, 3, item.length, d, nonce, full)), 'bad_frame', undefined, 'malformed ORDER_CHUNK message: item kind 0 does not travel in ORDER_CHUNK frames'],
    ['a whole length over 2 MiB', () => decodeOrderChunk(fields(2, 0, 35, TWO_MIB + 1, d, nonce, full)), 'bad_chunk', 'oversize', `an item of ${TWO_MIB + 1} bytes is over the ${TWO_MIB}-byte limit of a chunked item`],
    ['an order that fits one ORDER frame', () => decodeOrderChunk(fields(1, 0, 1, PIECE, d, nonce, full)), 'bad_chunk', 'inconsistent', `an item of ${PIECE} bytes fits one ORDER frame: it is not sent in chunks`],
    ['a bundle that fits one BUNDLE frame', () => decodeBundleChunk(fields(3, 0, 1, PIECE, d, nonce, full)), 'bad_chunk', 'inconsistent', `an item of ${PIECE} bytes fits one BUNDLE frame: it is not sent in chunks`],
    ['a count that does not match the length', () => decodeOrderChunk(fields(2, 0, 4, item.length, d, nonce, full)), 'bad_chunk', 'inconsistent', `an item of ${item.length} bytes has 3 chunks, not 4`],
    ['an index equal to the count', () => decodeOrderChunk(fields(2, 3, 3, item.length, d, nonce, full)), 'bad_chunk', 'inconsistent', 'chunk index 3 is not below the count 3'],
    ['a first chunk one byte short', () => decodeOrderChunk(fields(2, 0, 3, item.length, d, nonce, full.subarray(1))), 'bad_chunk', 'inconsistent', `chunk 0 of 3 carries ${PIECE - 1} bytes, not ${PIECE}`],
    ['a last chunk one byte short', () => decodeOrderChunk(fields(2, 2, 3, item.length, d, nonce, Buffer.alloc(999))), 'bad_chunk', 'inconsistent', 'chunk 2 of 3 carries 999 bytes, not 1000'],
    ['a last chunk one byte long', () => decodeOrderChunk(fields(2, 2, 3, item.length, d, nonce, Buffer.alloc(1001))), 'bad_chunk', 'oversize', 'chunk 2 of 3 carries 1001 bytes, not 1000'],
  ])('%s: %s', (_what, fn, code, reason, message) => {
    expect(refusal(fn)).toEqual({ code, reason, message });
  });

  it('the smallest chunked item (61,441 bytes) is 2 chunks, the last carrying 1 byte; each decodes', () => {
    const small = randomBytes(PIECE + 1);
    const s = sha256(small);
    expect(decodeOrderChunk(fields(2, 1, 2, PIECE + 1, s, nonce, small.subarray(PIECE)))).toMatchObject({ index: 1, total: 2, length: PIECE + 1 });
    expect(decodeBundleChunk(fields(3, 0, 2, PIECE + 1, s, nonce, small.subarray(0, PIECE)))).toMatchObject({ index: 0, total: 2, kind: 'bundle' });
  });
});

describe('the assembler', () => {
  const item = randomBytes(2 * PIECE + 1000);
  const chunks = () => splitItem({ kind: 'crl', content: item, consoleNonce: nonce }) as [OrderChunkMessage, OrderChunkMessage, OrderChunkMessage];
  const another = 'names another item than chunk 0 (kind, count, length, digest or session)';
  it.each([
    ['another count', (c: OrderChunkMessage) => ({ ...c, total: 4 }), `chunk 1 ${another}`],
    ['another whole length', (c: OrderChunkMessage) => ({ ...c, length: c.length + 1 }), `chunk 1 ${another}`],
  ])('refuses a chunk 1 naming %s than chunk 0 (inconsistent)', (_what, change, message) => {
    const [c0, c1] = chunks();
    const a = new ChunkAssembler();
    a.push(c0);
    expect(refusal(() => a.push(change(c1)))).toEqual({ code: 'bad_chunk', reason: 'inconsistent', message });
    expect(a.open).toBe(false);
  });

  it('refuses chunks that all announce a length their data does not add up to (inconsistent), after the last', () => {
    const wrong = chunks().map((c) => ({ ...c, length: c.length + 5 }));
    const a = new ChunkAssembler();
    expect([a.push(wrong[0]!), a.push(wrong[1]!)]).toEqual([null, null]);
    expect(refusal(() => a.push(wrong[2]!))).toEqual({ code: 'bad_chunk', reason: 'inconsistent', message: `the chunks carry ${item.length} bytes, not the announced ${item.length + 5}` });
    expect(a.open).toBe(false);
  });

  it('takes the next item once one is whole; interrupted with nothing open names 0 of 0', () => {
    const a = new ChunkAssembler();
    expect(a.interrupted().message).toBe('the item ended after 0 of 0 chunks');
    const [c0, c1, c2] = chunks();
    for (let round = 0; round < 2; round++) expect([a.push(c0), a.push(c1), a.push(c2)?.content]).toEqual([null, null, item]);
    expect(a.open).toBe(false);
  });

  it('without a session nonce any nonce is taken (ORDER_CHUNK: the console nonce is checked by the item); with one, only it', () => {
    const file = randomBytes(PIECE + 10);
    const own = randomBytes(32);
    const [b0, b1] = splitBundle(file, own) as [ChunkMessage<'bundle'>, ChunkMessage<'bundle'>];
    const bound = new ChunkAssembler<'bundle'>({ sessionNonce: own });
    expect([bound.push(b0), bound.push(b1)?.content]).toEqual([null, file]);
    const free = new ChunkAssembler<'bundle'>();
    expect([free.push(b0), free.push(b1)?.nonce]).toEqual([null, own]);
  });

  it('the robot refuses a chunk naming an item over the size it announced before keeping anything; up to it, the chunk is read', () => {
    const MIB = 1024 * 1024;
    const [first] = splitItem({ kind: 'crl', content: Buffer.alloc(3 * MIB, 1), consoleNonce: nonce }, 4 * MIB);
    const payload = encodeOrderChunk(first as OrderChunkMessage);
    expect(decodeOrderChunk(payload, 4 * MIB)).toMatchObject({ index: 0, length: 3 * MIB });
    expect(decodeOrderChunk(payload, 3 * MIB)).toMatchObject({ index: 0, length: 3 * MIB });
    expect(refusal(() => decodeOrderChunk(payload, 3 * MIB - 1))).toEqual({ code: 'bad_chunk', reason: 'oversize', message: `an item of ${3 * MIB} bytes is over the ${3 * MIB - 1}-byte limit of a chunked item` });
    // Without a size, the default 2 MiB.
    expect(refusal(() => decodeOrderChunk(payload))).toEqual({ code: 'bad_chunk', reason: 'oversize', message: `an item of ${3 * MIB} bytes is over the ${2 * MIB}-byte limit of a chunked item` });
  });
});
