// Frame codec of the station protocol (byte layout: docs/provisioning-protocol.md, "Frame").
//   magic 'E','P' (2) | version (1) | type (1) | sequence u32 BE (4) | payload length u32 BE (4) | payload | CRC-32 u32 BE (4)
// The CRC-32 (ISO-HDLC, zlib's) covers everything from the magic to the end of the payload.
import { crc32 } from 'node:zlib';
import { StationError, type StationErrorCode } from './errors.ts';

export const MAGIC = Buffer.from([0x45, 0x50]); // "EP"
export const PROTOCOL_VERSION = 1;
export const HEADER_LENGTH = 12;
export const TRAILER_LENGTH = 4;
export const MAX_PAYLOAD = 64 * 1024;

export const MessageType = {
  HELLO: 0x01,
  CHALLENGE: 0x02,
  CSR: 0x03,
  CERT: 0x04,
  KEYS: 0x05,
  CONFIRM: 0x06,
  DONE: 0x07,
  /** Distribution (protocol v1 additions): a key bundle file, console -> robot. */
  BUNDLE: 0x08,
  /** Distribution: the robot installed the bundle (bundle id, sequence, key-confirmation MAC). */
  INSTALLED: 0x09,
  /** Emergency delivery (issue 15): a signed lockdown/lift order or the fleet CA's CRL, console -> robot. */
  ORDER: 0x0a,
  /** Emergency delivery: the robot's answer to one ORDER (accepted, or a typed refusal). */
  ORDER_ACK: 0x0b,
  /** Emergency delivery: one piece of an item over MAX_ORDER_ITEM (a large CRL), console -> robot (orderChunks.ts). */
  ORDER_CHUNK: 0x0c,
  /**
   * Re-issue (after a CA replacement): the current CA's certificate, endorsed by the retired CA the robot trusts, and a
   * fresh console nonce, console -> robot; the robot answers with a CSR frame made with its identity key.
   */
  RENEW: 0x0d,
  /** Re-issue: the robot stored the new certificate (signed with its identity key over the session and the certificate). */
  RENEWED: 0x0e,
  /**
   * Distribution: one piece of a key bundle file over MAX_BUNDLE_FILE (its CRLs make it too large for one BUNDLE frame),
   * console -> robot, only to a robot whose HELLO announces HELLO_CAPABILITIES.BUNDLE_CHUNKS (orderChunks.ts).
   */
  BUNDLE_CHUNK: 0x0f,
  ERROR: 0x7f,
} as const;
export type MessageTypeName = keyof typeof MessageType;
export type MessageTypeCode = (typeof MessageType)[MessageTypeName];

const TYPE_NAMES = new Map<number, MessageTypeName>(Object.entries(MessageType).map(([k, v]) => [v, k as MessageTypeName]));

export function messageTypeName(type: number): MessageTypeName | undefined {
  return TYPE_NAMES.get(type);
}

export interface Frame {
  type: MessageTypeCode;
  seq: number;
  payload: Buffer;
}

export function encodeFrame(frame: Frame, version = PROTOCOL_VERSION): Buffer {
  if (frame.payload.length > MAX_PAYLOAD) throw new StationError('frame_oversize', `payload of ${frame.payload.length} bytes exceeds ${MAX_PAYLOAD}`);
  if (!Number.isInteger(frame.seq) || frame.seq < 0 || frame.seq > 0xffffffff) throw new StationError('internal', 'sequence number out of range');
  const out = Buffer.alloc(HEADER_LENGTH + frame.payload.length + TRAILER_LENGTH);
  MAGIC.copy(out, 0);
  out.writeUInt8(version, 2);
  out.writeUInt8(frame.type, 3);
  out.writeUInt32BE(frame.seq, 4);
  out.writeUInt32BE(frame.payload.length, 8);
  frame.payload.copy(out, HEADER_LENGTH);
  const end = HEADER_LENGTH + frame.payload.length;
  out.writeUInt32BE(crc32(out.subarray(0, end)), end);
  return out;
}

export type DecodeEvent =
  | { kind: 'frame'; frame: Frame; raw: Buffer }
  | { kind: 'error'; error: StationError }
  | { kind: 'garbage'; bytes: number };

/**
 * Streaming decoder: feed it chunks as they arrive; it returns frames and typed errors in order.
 * After garbage or a damaged frame it resynchronises on the next magic.
 */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private readonly maxPayload: number;

  constructor(options: { maxPayload?: number } = {}) {
    this.maxPayload = options.maxPayload ?? MAX_PAYLOAD;
  }

  /** Bytes held while waiting for the rest of a frame. */
  get pending(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): DecodeEvent[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const events: DecodeEvent[] = [];
    for (;;) {
      const start = this.findMagic();
      if (start > 0) {
        events.push({ kind: 'garbage', bytes: start });
        this.buf = this.buf.subarray(start);
      }
      if (this.buf.length < HEADER_LENGTH) return events;
      const length = this.buf.readUInt32BE(8);
      if (length > this.maxPayload) {
        events.push(this.fail('frame_oversize', `frame announces ${length} payload bytes (limit ${this.maxPayload})`));
        continue;
      }
      const total = HEADER_LENGTH + length + TRAILER_LENGTH;
      if (this.buf.length < total) return events;
      const raw = this.buf.subarray(0, total);
      const expected = raw.readUInt32BE(HEADER_LENGTH + length);
      if (crc32(raw.subarray(0, HEADER_LENGTH + length)) !== expected) {
        events.push(this.fail('bad_crc', 'frame checksum (CRC-32) does not match'));
        continue;
      }
      this.buf = this.buf.subarray(total);
      const version = raw.readUInt8(2);
      const type = raw.readUInt8(3);
      if (version !== PROTOCOL_VERSION) {
        events.push({ kind: 'error', error: new StationError('wrong_version', `protocol version ${version} is not supported (expected ${PROTOCOL_VERSION})`, { version }) });
        continue;
      }
      if (!TYPE_NAMES.has(type)) {
        events.push({ kind: 'error', error: new StationError('unknown_type', `unknown message type 0x${type.toString(16)}`, { type }) });
        continue;
      }
      const copy = Buffer.from(raw);
      events.push({
        kind: 'frame',
        raw: copy,
        frame: { type: type as MessageTypeCode, seq: copy.readUInt32BE(4), payload: copy.subarray(HEADER_LENGTH, HEADER_LENGTH + length) },
      });
    }
  }

  /** Index of the next magic (or of a trailing first magic byte), i.e. how many bytes are garbage. */
  private findMagic(): number {
    const i = this.buf.indexOf(MAGIC);
    if (i >= 0) return i;
    return this.buf.length > 0 && this.buf[this.buf.length - 1] === MAGIC[0] ? this.buf.length - 1 : this.buf.length;
  }

  /** Reports a damaged frame and skips its magic so that the search for the next frame starts after it. */
  private fail(code: StationErrorCode, message: string): DecodeEvent {
    this.buf = this.buf.subarray(1);
    return { kind: 'error', error: new StationError(code, message) };
  }
}
