// Chunked transfer of an emergency item too large for one ORDER frame (docs/provisioning-protocol.md, "Chunked items"):
// a CRL of 10,000 entries is ~400 KB, an ORDER frame carries at most 60 KiB. The console splits the item into
// ORDER_CHUNK frames (0x0C), each naming the item's kind, its index, the chunk count, the whole item's length and
// SHA-256 and the session's console nonce; the robot reassembles them in order (ChunkAssembler), checks the length
// and the digest of the whole, then treats the item as if one ORDER had carried it (its own checks, e.g. the CRL's
// signature, run over the whole) and answers with one ORDER_ACK. Anything else is refused with `bad_chunk` and a
// reason: out of order, duplicate, missing, inconsistent with the first chunk, oversize, digest mismatch.
import { createHash } from 'node:crypto';
import { StationError } from './errors.ts';
import { MAX_PAYLOAD } from './frame.ts';
import { FieldReader, FieldWriter, MAX_ORDER_ITEM, NONCE_LENGTH, ORDER_ITEM_KINDS, itemKind, type OrderItemKind, type OrderMessage } from './protocol.ts';

/** Data bytes per chunk: every chunk but the last carries exactly this many. */
export const CHUNK_DATA = MAX_ORDER_ITEM;
/** The largest item sent in chunks (2 MiB, about 50,000 CRL entries): what a robot must be able to hold at once. */
export const MAX_CHUNKED_ITEM = 2 * 1024 * 1024;

export interface OrderChunkMessage {
  kind: OrderItemKind;
  /** 0-based. */
  index: number;
  /** How many chunks the item has (>= 2: an item that fits one frame goes as ORDER). */
  total: number;
  /** The whole item's length in bytes. */
  length: number;
  /** SHA-256 of the whole item. */
  digest: Buffer;
  consoleNonce: Buffer;
  data: Buffer;
}

export type ChunkRefusal = 'out_of_order' | 'duplicate' | 'missing' | 'inconsistent' | 'oversize' | 'digest_mismatch';

export function chunkError(reason: ChunkRefusal, message: string): StationError {
  return new StationError('bad_chunk', message, { reason });
}

const chunkCount = (length: number) => Math.ceil(length / CHUNK_DATA);

/** Whether an item must travel in chunks (over one ORDER frame's 60 KiB). */
export function needsChunks(content: Buffer): boolean {
  return content.length > MAX_ORDER_ITEM;
}

/** The ORDER_CHUNK messages of one item, in order; an item over MAX_CHUNKED_ITEM is refused (frame_oversize). */
export function splitItem(m: OrderMessage): OrderChunkMessage[] {
  if (m.content.length > MAX_CHUNKED_ITEM) {
    throw new StationError('frame_oversize', `an ${m.kind} of ${m.content.length} bytes is over the ${MAX_CHUNKED_ITEM}-byte limit of a chunked item`);
  }
  const total = chunkCount(m.content.length);
  const digest = createHash('sha256').update(m.content).digest();
  return Array.from({ length: total }, (_, index) => ({
    kind: m.kind, index, total, length: m.content.length, digest, consoleNonce: m.consoleNonce,
    data: m.content.subarray(index * CHUNK_DATA, (index + 1) * CHUNK_DATA),
  }));
}

export function encodeOrderChunk(m: OrderChunkMessage): Buffer {
  return new FieldWriter().u32(ORDER_ITEM_KINDS[m.kind]).u32(m.index).u32(m.total).u32(m.length).bytes(m.digest).bytes(m.consoleNonce).bytes(m.data).done();
}

/** Decodes one ORDER_CHUNK and checks it on its own (bad_frame); the sequence of chunks is the assembler's. */
export function decodeOrderChunk(p: Buffer): OrderChunkMessage {
  const r = new FieldReader(p, 'ORDER_CHUNK');
  const m = {
    kind: itemKind(r.u32(), 'ORDER_CHUNK'), index: r.u32(), total: r.u32(), length: r.u32(),
    digest: r.bytes(32, 32), consoleNonce: r.bytes(NONCE_LENGTH, NONCE_LENGTH), data: r.bytes(MAX_PAYLOAD),
  };
  r.end();
  if (m.length > MAX_CHUNKED_ITEM) throw chunkError('oversize', `an item of ${m.length} bytes is over the ${MAX_CHUNKED_ITEM}-byte limit of a chunked item`);
  if (m.length <= MAX_ORDER_ITEM) throw chunkError('inconsistent', `an item of ${m.length} bytes fits one ORDER frame: it is not sent in chunks`);
  if (m.total !== chunkCount(m.length)) throw chunkError('inconsistent', `an item of ${m.length} bytes has ${chunkCount(m.length)} chunks, not ${m.total}`);
  if (m.index >= m.total) throw chunkError('inconsistent', `chunk index ${m.index} is not below the count ${m.total}`);
  const expected = m.index === m.total - 1 ? m.length - CHUNK_DATA * (m.total - 1) : CHUNK_DATA;
  if (m.data.length !== expected) {
    throw chunkError(m.data.length > expected ? 'oversize' : 'inconsistent', `chunk ${m.index} of ${m.total} carries ${m.data.length} bytes, not ${expected}`);
  }
  return m;
}

/**
 * The robot's reassembly of one chunked item: chunks must come in order 0..total-1, each once, all naming the same
 * item (kind, count, length, digest, console nonce); the whole must hash to the digest. `push` returns the whole item
 * after the last chunk, null before. `interrupted` is for a frame of another type arriving mid-item (missing chunks).
 */
export class ChunkAssembler {
  private first: OrderChunkMessage | null = null;
  private readonly parts: Buffer[] = [];

  /** True while an item is partly received. */
  get open(): boolean {
    return this.first !== null;
  }

  push(c: OrderChunkMessage): { kind: OrderItemKind; content: Buffer; consoleNonce: Buffer } | null {
    const first = this.first ?? (c.index === 0 ? c : null);
    if (first === null) throw chunkError('missing', `chunk ${c.index} of ${c.total} arrived first: chunk 0 is missing`);
    if (this.first !== null && !sameItem(first, c)) throw chunkError('inconsistent', `chunk ${c.index} names another item than chunk 0 (kind, count, length, digest or session)`);
    const next = this.parts.length;
    if (c.index < next) throw chunkError('duplicate', `chunk ${c.index} of ${c.total} arrived twice`);
    if (c.index > next) throw chunkError('out_of_order', `chunk ${c.index} of ${c.total} arrived before chunk ${next}`);
    this.first = first;
    this.parts.push(c.data);
    if (this.parts.length < c.total) return null;
    const content = Buffer.concat(this.parts);
    this.first = null;
    this.parts.length = 0;
    if (content.length !== c.length) throw chunkError('inconsistent', `the chunks carry ${content.length} bytes, not the announced ${c.length}`);
    if (!createHash('sha256').update(content).digest().equals(c.digest)) throw chunkError('digest_mismatch', 'the reassembled item does not match the SHA-256 its chunks announce');
    return { kind: c.kind, content, consoleNonce: c.consoleNonce };
  }

  /** A frame other than the next chunk arrived while an item was partly received. */
  interrupted(): StationError {
    const got = this.parts.length;
    const total = this.first?.total ?? 0;
    this.first = null;
    this.parts.length = 0;
    return chunkError('missing', `the item ended after ${got} of ${total} chunks`);
  }
}

function sameItem(a: OrderChunkMessage, b: OrderChunkMessage): boolean {
  return a.kind === b.kind && a.total === b.total && a.length === b.length && a.digest.equals(b.digest) && a.consoleNonce.equals(b.consoleNonce);
}
