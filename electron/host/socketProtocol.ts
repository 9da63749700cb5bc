// The browser host's WebSocket message format (fixed by the lead; bytes added in issue 11):
//   client -> server  {"id": <positive integer>, "channel": "<contract channel>", "input": <json>}
//   server -> client  {"id": <same id>, "envelope": <Envelope>}   |   {"event": "<event name>", "payload": ...}
// A message without bytes is a text frame of that JSON; one with bytes is a binary frame (shared/socketFrames.ts):
// JSON header + attachments, each Uint8Array travelling as raw bytes.
// A message that is not of that shape gets {"id": null, envelope: invalid_input} (the id is echoed when it is valid).
// Control messages (issue 15, text frames, one key each; docs/ui.md "Liveness" and "Calls in flight at a drop"):
//   client -> server  {"ping": <n>}          server -> client  {"pong": <n>}   answered before any call's work
//   client -> server  {"hello": "<window key>"}   the window names itself (callOutcomes.ts); first on every socket
//   client -> server  {"outcomes": [<id>...]}     server -> client  {"outcomes": [{"id", "state", "ok"?, "error"?}]}
import type { Envelope, EventName } from '../../shared/contract.ts';
import { decodeBinaryFrame, encodeFrame } from '../../shared/socketFrames.ts';

export interface SocketCall {
  id: number;
  channel: string;
  input: unknown;
}

export type ControlMessage = { kind: 'ping'; n: number } | { kind: 'hello'; key: string } | { kind: 'outcomes'; ids: number[] };

export type ParsedSocketMessage =
  | { ok: true; call: SocketCall; control?: undefined }
  | { ok: true; control: ControlMessage; call?: undefined }
  | { ok: false; id: number | null; message: string };

/** At most this many ids in one outcomes question (a window has at most a few hundred calls unanswered). */
export const MAX_OUTCOME_IDS = 1024;
const WINDOW_KEY = /^[A-Za-z0-9_-]{43}$/;

function controlOf(msg: Record<string, unknown>): ParsedSocketMessage | null {
  const keys = Object.keys(msg);
  if (keys.length !== 1) return null;
  const [key] = keys as [string];
  const value = msg[key];
  if (key === 'ping') {
    return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
      ? { ok: true, control: { kind: 'ping', n: value } }
      : { ok: false, id: null, message: 'Malformed message: ping must be a non-negative integer.' };
  }
  if (key === 'hello') {
    return typeof value === 'string' && WINDOW_KEY.test(value)
      ? { ok: true, control: { kind: 'hello', key: value } }
      : { ok: false, id: null, message: 'Malformed message: hello must be a window key (32 bytes, base64url).' };
  }
  if (key === 'outcomes') {
    return Array.isArray(value) && value.length <= MAX_OUTCOME_IDS && value.every(isId)
      ? { ok: true, control: { kind: 'outcomes', ids: value } }
      : { ok: false, id: null, message: `Malformed message: outcomes must be a list of at most ${MAX_OUTCOME_IDS} call ids.` };
  }
  return null;
}

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const idOf = (header: Record<string, unknown> | null) => (header && isId(header.id) ? header.id : null);

function callOf(data: unknown): ParsedSocketMessage {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, id: null, message: 'Malformed message: expected an object {id, channel, input}.' };
  }
  const msg = data as Record<string, unknown>;
  const control = controlOf(msg);
  if (control) return control;
  const id = isId(msg.id) ? msg.id : null;
  if (id === null) return { ok: false, id: null, message: 'Malformed message: id must be a positive integer.' };
  if (typeof msg.channel !== 'string') return { ok: false, id, message: 'Malformed message: channel must be a string.' };
  const extra = Object.keys(msg).filter((k) => k !== 'id' && k !== 'channel' && k !== 'input');
  if (extra.length > 0) return { ok: false, id, message: 'Malformed message: only id, channel and input are allowed.' };
  return { ok: true, call: { id, channel: msg.channel, input: msg.input } };
}

/** A text frame (JSON) or a binary frame (header + attachments); never throws. */
export function parseSocketMessage(frame: string | Uint8Array): ParsedSocketMessage {
  if (typeof frame !== 'string') {
    const decoded = decodeBinaryFrame(frame);
    if (!decoded.ok) return { ok: false, id: idOf(decoded.header), message: `Malformed message: ${decoded.reason}.` };
    return callOf(decoded.message);
  }
  let data: unknown;
  try {
    data = JSON.parse(frame);
  } catch {
    return { ok: false, id: null, message: 'Malformed message: not JSON.' };
  }
  return callOf(data);
}

export function controlFrame(message: { pong: number } | { outcomes: unknown[] }): string {
  return JSON.stringify(message);
}

/** The reply frame: binary when the envelope carries bytes, text otherwise. */
export function replyFrame(id: number | null, envelope: Envelope<unknown>): string | Uint8Array {
  return encodeFrame({ id, envelope });
}

export function malformedReply(id: number | null, message: string): string {
  return JSON.stringify({ id, envelope: { ok: false, error: { code: 'invalid_input', message } } });
}

export function eventFrame(event: EventName, payload: unknown): string | Uint8Array {
  return encodeFrame({ event, payload });
}
