// The browser host's WebSocket message format (fixed by the lead):
//   client -> server  {"id": <positive integer>, "channel": "<contract channel>", "input": <json>}
//   server -> client  {"id": <same id>, "envelope": <Envelope>}   |   {"event": "<event name>", "payload": ...}
// A message that is not of that shape gets {"id": null, envelope: invalid_input} (the id is echoed when it is valid).
import type { Envelope, EventName } from '../../shared/contract.ts';

export interface SocketCall {
  id: number;
  channel: string;
  input: unknown;
}

export type ParsedSocketMessage = { ok: true; call: SocketCall } | { ok: false; id: number | null; message: string };

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

export function parseSocketMessage(text: string): ParsedSocketMessage {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, id: null, message: 'Malformed message: not JSON.' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, id: null, message: 'Malformed message: expected an object {id, channel, input}.' };
  }
  const msg = data as Record<string, unknown>;
  const id = isId(msg.id) ? msg.id : null;
  if (id === null) return { ok: false, id: null, message: 'Malformed message: id must be a positive integer.' };
  if (typeof msg.channel !== 'string') return { ok: false, id, message: 'Malformed message: channel must be a string.' };
  const extra = Object.keys(msg).filter((k) => k !== 'id' && k !== 'channel' && k !== 'input');
  if (extra.length > 0) return { ok: false, id, message: 'Malformed message: only id, channel and input are allowed.' };
  return { ok: true, call: { id, channel: msg.channel, input: msg.input } };
}

export function replyFrame(id: number | null, envelope: Envelope<unknown>): string {
  return JSON.stringify({ id, envelope });
}

export function malformedReply(id: number | null, message: string): string {
  return replyFrame(id, { ok: false, error: { code: 'invalid_input', message } });
}

export function eventFrame(event: EventName, payload: unknown): string {
  return JSON.stringify({ event, payload });
}
