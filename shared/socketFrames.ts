// The browser host's WebSocket frames (docs/ipc-contract.md, "Browser host frames"). A message without bytes is one
// text frame of JSON, as it always was. A message that carries bytes (a Uint8Array anywhere in it) is one binary
// frame, so no byte is ever base64-encoded:
//   u32 big-endian  H, the header length (2..MAX_FRAME_HEADER_BYTES)
//   H bytes         UTF-8 JSON: the message with each Uint8Array replaced by {"$bytes": i}, plus "attachments": [n0, n1, ...]
//   n0 + n1 + ...   the attachments, back to back, ending exactly at the end of the frame
// Used by the host (electron/host/socketProtocol.ts) and the window's client (renderer/src/transport/wsClient.ts).

import type { ErrorInfo } from './errors.ts';

/**
 * What the host answers about a call id after a reconnect (`{"outcomes": [...]}`; electron/host/callOutcomes.ts keeps
 * them, renderer/src/transport/callBook.ts acts on them; docs/ui.md "Calls in flight at a drop").
 */
export type OutcomeState = 'running' | 'replied' | 'completed' | 'expired' | 'unknown';
export interface OutcomeReport {
  id: number;
  state: OutcomeState;
  /** With `completed`: whether the call succeeded. */
  ok?: boolean;
  /** With `completed` and ok false: the call's error. */
  error?: ErrorInfo;
}

export const MAX_FRAME_HEADER_BYTES = 64 * 1024;
export const MAX_FRAME_ATTACHMENTS = 16;
const MAX_DEPTH = 32;
const PLACEHOLDER = '$bytes';
const ATTACHMENTS = 'attachments';

export type DecodedFrame =
  | { ok: true; message: Record<string, unknown> }
  /** `header` is the parsed JSON header when it parsed (so a reply can still name the call's id). */
  | { ok: false; reason: string; header: Record<string, unknown> | null };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One frame for `message`: a string when it holds no bytes, else a binary frame. Throws TypeError on an unencodable message. */
export function encodeFrame(message: Record<string, unknown>): string | Uint8Array {
  const attachments: Uint8Array[] = [];
  const replace = (value: unknown, depth: number): unknown => {
    if (value instanceof Uint8Array) {
      if (attachments.length >= MAX_FRAME_ATTACHMENTS) throw new TypeError(`a frame carries at most ${MAX_FRAME_ATTACHMENTS} byte fields`);
      attachments.push(value);
      return { [PLACEHOLDER]: attachments.length - 1 };
    }
    if (typeof value !== 'object' || value === null) return value;
    if (depth >= MAX_DEPTH) throw new TypeError('message nested too deeply');
    if (Array.isArray(value)) return value.map((v: unknown) => replace(v, depth + 1));
    if (Object.prototype.hasOwnProperty.call(value, PLACEHOLDER)) throw new TypeError(`a field may not be named ${PLACEHOLDER}`);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replace(v, depth + 1)]));
  };
  if (Object.prototype.hasOwnProperty.call(message, ATTACHMENTS)) throw new TypeError(`a message may not have a field named ${ATTACHMENTS}`);
  const replaced = replace(message, 0) as Record<string, unknown>;
  if (attachments.length === 0) return JSON.stringify(message);
  const header = new TextEncoder().encode(JSON.stringify({ ...replaced, [ATTACHMENTS]: attachments.map((a) => a.byteLength) }));
  if (header.byteLength > MAX_FRAME_HEADER_BYTES) throw new TypeError('frame header too large');
  const total = 4 + header.byteLength + attachments.reduce((n, a) => n + a.byteLength, 0);
  const frame = new Uint8Array(total);
  new DataView(frame.buffer).setUint32(0, header.byteLength);
  frame.set(header, 4);
  let at = 4 + header.byteLength;
  for (const a of attachments) {
    frame.set(a, at);
    at += a.byteLength;
  }
  return frame;
}

/** Parses a binary frame; the attachments come back as views into `frame` (no copy). Never throws. */
export function decodeBinaryFrame(frame: Uint8Array): DecodedFrame {
  const fail = (reason: string, header: Record<string, unknown> | null = null): DecodedFrame => ({ ok: false, reason, header });
  if (frame.byteLength < 4) return fail('binary frame shorter than its header length');
  const headerLength = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0);
  if (headerLength < 2 || headerLength > MAX_FRAME_HEADER_BYTES) return fail('binary frame header length out of range');
  if (4 + headerLength > frame.byteLength) return fail('binary frame ends inside its header');
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(frame.subarray(4, 4 + headerLength)));
  } catch {
    return fail('binary frame header is not UTF-8 JSON');
  }
  if (!isRecord(header)) return fail('binary frame header must be a JSON object');
  const lengths = header[ATTACHMENTS];
  if (!Array.isArray(lengths) || lengths.length > MAX_FRAME_ATTACHMENTS || !lengths.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)) {
    return fail(`binary frame header needs "${ATTACHMENTS}": at most ${MAX_FRAME_ATTACHMENTS} byte lengths`, header);
  }
  const sizes = lengths as number[];
  if (4 + headerLength + sizes.reduce((n, a) => n + a, 0) !== frame.byteLength) return fail('binary frame attachments do not end at the end of the frame', header);
  const views: Uint8Array[] = [];
  let at = 4 + headerLength;
  for (const n of sizes) {
    views.push(frame.subarray(at, at + n));
    at += n;
  }
  const used = new Set<number>();
  let problem: string | null = null;
  const restore = (value: unknown, depth: number): unknown => {
    if (problem !== null || typeof value !== 'object' || value === null) return value;
    if (depth >= MAX_DEPTH) {
      problem = 'binary frame header nested too deeply';
      return value;
    }
    if (Array.isArray(value)) return value.map((v: unknown) => restore(v, depth + 1));
    const record = value as Record<string, unknown>;
    if (Object.prototype.hasOwnProperty.call(record, PLACEHOLDER)) {
      const index = record[PLACEHOLDER];
      const keys = Object.keys(record);
      if (keys.length !== 1 || typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= views.length || used.has(index)) {
        problem = 'binary frame has a bad attachment reference';
        return value;
      }
      used.add(index);
      return views[index];
    }
    // fromEntries defines own properties: a "__proto__" key stays a key (and is refused by the schema), never a prototype.
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, restore(v, depth + 1)]));
  };
  const rest = Object.fromEntries(Object.entries(header).filter(([k]) => k !== ATTACHMENTS));
  const message = restore(rest, 0) as Record<string, unknown>;
  if (problem !== null) return fail(problem, header);
  if (used.size !== views.length) return fail('binary frame has an attachment nothing refers to', header);
  return { ok: true, message };
}
