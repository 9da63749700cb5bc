// Chunked transfer of an item too large for one frame (docs/provisioning-protocol.md, "Chunked items"): a CRL of
// 10,000 entries is ~430 KB, an ORDER or BUNDLE frame carries at most 60 KiB. The console splits the item into
// ORDER_CHUNK frames (0x0C: an order or a CRL) or BUNDLE_CHUNK frames (0x0F: a key bundle file whose CRLs make it
// too large), each naming the item's kind, its index, the chunk count, the whole item's length and SHA-256 and the
// session's nonce (ORDER_CHUNK: the console nonce of the orders step; BUNDLE_CHUNK: the robot's HELLO nonce, which the
// robot checks against its own); the robot reassembles them in order (ChunkAssembler), checks the length and the
// digest of the whole, then treats the item as if one ORDER or BUNDLE frame had carried it (its own checks, e.g. the
// CRL's or the bundle's signature, run over the whole). Anything else is refused with `bad_chunk` and a reason: out
// of order, duplicate, missing, inconsistent with the first chunk, oversize, digest mismatch, another session.
import { createHash } from 'node:crypto';
import { StationError } from './errors.ts';
import { MAX_PAYLOAD } from './frame.ts';
import { FieldReader, FieldWriter, MAX_BUNDLE_FILE, MAX_ORDER_ITEM, NONCE_LENGTH, ORDER_ITEM_KINDS, malformed, type OrderItemKind, type OrderMessage } from './protocol.ts';

/** Data bytes per chunk: every chunk but the last carries exactly this many. */
export const CHUNK_DATA = MAX_ORDER_ITEM;
/**
 * The largest chunked item a robot takes when its HELLO announces no size (2 MiB, a CRL of about 48,000 entries):
 * what every robot in the field can hold at once.
 */
export const DEFAULT_CHUNKED_ITEM = 2 * 1024 * 1024;
/** The former name of DEFAULT_CHUNKED_ITEM (the limit was fixed before HELLO announced one). */
export const MAX_CHUNKED_ITEM = DEFAULT_CHUNKED_ITEM;
/**
 * The console's own ceiling, whatever a robot announces (64 MiB, a CRL of about 1.5 million entries): 1,093 chunks,
 * about 97 minutes at 115200 baud. An item over it is never sent over the link (the USB file remains).
 */
export const CONSOLE_MAX_CHUNKED_ITEM = 64 * 1024 * 1024;

/** The largest chunked item the console sends this robot: what its HELLO announces (else the default), at most the ceiling. */
export function chunkLimitOf(hello: { maxChunkedItem?: number }): number {
  return Math.min(hello.maxChunkedItem ?? DEFAULT_CHUNKED_ITEM, CONSOLE_MAX_CHUNKED_ITEM);
}

/** What a chunk carries: an order or a CRL (ORDER_CHUNK), a key bundle file (BUNDLE_CHUNK). */
export const CHUNK_KINDS = { ...ORDER_ITEM_KINDS, bundle: 3 } as const;
export type ChunkKind = keyof typeof CHUNK_KINDS;
/** The frames that carry chunks and the kinds each may carry. */
export type ChunkFrame = 'ORDER_CHUNK' | 'BUNDLE_CHUNK';
const FRAME_KINDS: Record<ChunkFrame, readonly ChunkKind[]> = { ORDER_CHUNK: ['order', 'crl'], BUNDLE_CHUNK: ['bundle'] };

export interface ChunkMessage<K extends ChunkKind = ChunkKind> {
  kind: K;
  /** 0-based. */
  index: number;
  /** How many chunks the item has (>= 2: an item that fits one frame goes as ORDER). */
  total: number;
  /** The whole item's length in bytes. */
  length: number;
  /** SHA-256 of the whole item. */
  digest: Buffer;
  /** The session's nonce: ORDER_CHUNK the console nonce of the orders step, BUNDLE_CHUNK the robot's HELLO nonce. */
  nonce: Buffer;
  data: Buffer;
}
export type OrderChunkMessage = ChunkMessage<OrderItemKind>;

export type ChunkRefusal = 'out_of_order' | 'duplicate' | 'missing' | 'inconsistent' | 'oversize' | 'digest_mismatch' | 'wrong_session';

export function chunkError(reason: ChunkRefusal, message: string): StationError {
  return new StationError('bad_chunk', message, { reason });
}

const chunkCount = (length: number) => Math.ceil(length / CHUNK_DATA);

/** Whether an item must travel in chunks (over one ORDER frame's 60 KiB; a bundle file: over one BUNDLE frame's). */
export function needsChunks(content: Buffer): boolean {
  return content.length > MAX_ORDER_ITEM;
}

/**
 * The chunk messages of one item, in order. `limit`: the largest item the robot takes (chunkLimitOf its HELLO; default
 * DEFAULT_CHUNKED_ITEM). An item over it, or over the console's ceiling, is refused before anything is sent
 * (frame_oversize, reason over_chunk_limit, or over_console_chunk_limit, with both sizes in the details).
 */
export function splitChunks<K extends ChunkKind>(kind: K, content: Buffer, nonce: Buffer, limit = DEFAULT_CHUNKED_ITEM): Array<ChunkMessage<K>> {
  if (content.length > CONSOLE_MAX_CHUNKED_ITEM) {
    throw new StationError('frame_oversize', `a ${kind} of ${content.length} bytes is over the console's ${CONSOLE_MAX_CHUNKED_ITEM}-byte ceiling for a chunked item`, {
      reason: 'over_console_chunk_limit', bytes: content.length, limit: CONSOLE_MAX_CHUNKED_ITEM,
    });
  }
  if (content.length > limit) {
    throw new StationError('frame_oversize', `a ${kind} of ${content.length} bytes is over the ${limit}-byte limit of a chunked item`, { reason: 'over_chunk_limit', bytes: content.length, limit });
  }
  const total = chunkCount(content.length);
  const digest = createHash('sha256').update(content).digest();
  return Array.from({ length: total }, (_, index) => ({
    kind, index, total, length: content.length, digest, nonce, data: content.subarray(index * CHUNK_DATA, (index + 1) * CHUNK_DATA),
  }));
}

/** The ORDER_CHUNK messages of one order or CRL. */
export function splitItem(m: OrderMessage, limit = DEFAULT_CHUNKED_ITEM): OrderChunkMessage[] {
  return splitChunks(m.kind, m.content, m.consoleNonce, limit);
}

/** The BUNDLE_CHUNK messages of one bundle file, bound to the robot's HELLO nonce. */
export function splitBundle(file: Buffer, robotNonce: Buffer, limit = DEFAULT_CHUNKED_ITEM): Array<ChunkMessage<'bundle'>> {
  return splitChunks('bundle', file, robotNonce, limit);
}

export function encodeChunk(m: ChunkMessage): Buffer {
  return new FieldWriter().u32(CHUNK_KINDS[m.kind]).u32(m.index).u32(m.total).u32(m.length).bytes(m.digest).bytes(m.nonce).bytes(m.data).done();
}
export const encodeOrderChunk: (m: OrderChunkMessage) => Buffer = encodeChunk;
export const encodeBundleChunk: (m: ChunkMessage<'bundle'>) => Buffer = encodeChunk;

function chunkKind(code: number, frame: ChunkFrame): ChunkKind {
  const kind = FRAME_KINDS[frame].find((k) => CHUNK_KINDS[k] === code);
  if (kind === undefined) throw malformed(frame, `item kind ${code} does not travel in ${frame} frames`);
  return kind;
}

/**
 * Decodes one ORDER_CHUNK and checks it on its own (bad_frame); the sequence of chunks is the assembler's. `limit`:
 * the largest item this robot announced (default DEFAULT_CHUNKED_ITEM): a chunk naming a longer item is refused
 * (bad_chunk, oversize) before anything of it is kept.
 */
export function decodeOrderChunk(p: Buffer, limit = DEFAULT_CHUNKED_ITEM): OrderChunkMessage {
  return decodeChunk(p, 'ORDER_CHUNK', limit) as OrderChunkMessage;
}
/** Decodes one BUNDLE_CHUNK (only kind 3, a bundle file) and checks it on its own, like decodeOrderChunk. */
export function decodeBundleChunk(p: Buffer, limit = DEFAULT_CHUNKED_ITEM): ChunkMessage<'bundle'> {
  return decodeChunk(p, 'BUNDLE_CHUNK', limit) as ChunkMessage<'bundle'>;
}

function decodeChunk(p: Buffer, frame: ChunkFrame, limit: number): ChunkMessage {
  const r = new FieldReader(p, frame);
  const m = {
    kind: chunkKind(r.u32(), frame), index: r.u32(), total: r.u32(), length: r.u32(),
    digest: r.bytes(32, 32), nonce: r.bytes(NONCE_LENGTH, NONCE_LENGTH), data: r.bytes(MAX_PAYLOAD),
  };
  r.end();
  if (m.length > limit) throw chunkError('oversize', `an item of ${m.length} bytes is over the ${limit}-byte limit of a chunked item`);
  const oneFrame = frame === 'ORDER_CHUNK' ? MAX_ORDER_ITEM : MAX_BUNDLE_FILE;
  if (m.length <= oneFrame) throw chunkError('inconsistent', `an item of ${m.length} bytes fits one ${frame === 'ORDER_CHUNK' ? 'ORDER' : 'BUNDLE'} frame: it is not sent in chunks`);
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
 * item (kind, count, length, digest, nonce); the whole must hash to the digest. `push` returns the whole item
 * after the last chunk, null before. `interrupted` is for a frame of another type arriving mid-item (missing chunks).
 * With `sessionNonce` (BUNDLE_CHUNK: the robot's own HELLO nonce), a chunk naming another nonce is refused
 * (wrong_session) before it is kept.
 */
export class ChunkAssembler<K extends ChunkKind = OrderItemKind> {
  private first: ChunkMessage<K> | null = null;
  private readonly parts: Buffer[] = [];
  private readonly sessionNonce: Buffer | undefined;

  constructor(options: { sessionNonce?: Buffer } = {}) {
    this.sessionNonce = options.sessionNonce;
  }

  /** True while an item is partly received. */
  get open(): boolean {
    return this.first !== null;
  }

  /** A refused chunk drops the whole item received so far (nothing of it is kept). */
  push(c: ChunkMessage<K>): { kind: K; content: Buffer; nonce: Buffer } | null {
    try {
      return this.take(c);
    } catch (e) {
      this.reset();
      throw e;
    }
  }

  private take(c: ChunkMessage<K>): { kind: K; content: Buffer; nonce: Buffer } | null {
    if (this.sessionNonce && !c.nonce.equals(this.sessionNonce)) throw chunkError('wrong_session', `chunk ${c.index} of ${c.total} names another session's nonce: refused`);
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
    this.reset();
    if (content.length !== c.length) throw chunkError('inconsistent', `the chunks carry ${content.length} bytes, not the announced ${c.length}`);
    if (!createHash('sha256').update(content).digest().equals(c.digest)) throw chunkError('digest_mismatch', 'the reassembled item does not match the SHA-256 its chunks announce');
    return { kind: c.kind, content, nonce: c.nonce };
  }

  /** A frame other than the next chunk arrived while an item was partly received. */
  interrupted(): StationError {
    const got = this.parts.length;
    const total = this.first?.total ?? 0;
    this.reset();
    return chunkError('missing', `the item ended after ${got} of ${total} chunks`);
  }

  private reset(): void {
    this.first = null;
    this.parts.length = 0;
  }
}

function sameItem(a: ChunkMessage, b: ChunkMessage): boolean {
  return a.kind === b.kind && a.total === b.total && a.length === b.length && a.digest.equals(b.digest) && a.nonce.equals(b.nonce);
}
