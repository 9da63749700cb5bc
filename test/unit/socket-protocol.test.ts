// The browser host's WebSocket messages (docs/ipc-contract.md "Browser host frames", docs/security.md "Browser host
// security model"): the client sends {"id": <positive integer>, "channel": "<string>", "input": <json>}, as one text
// frame of JSON, or as one binary frame when it carries bytes (u32 big-endian header length, UTF-8 JSON header with
// each Uint8Array replaced by {"$bytes": i} plus "attachments": [lengths], then the attachments). The server answers
// {"id", "envelope"} and pushes {"event", "payload"} the same way. A malformed message gets
// {"id": null, "envelope": {"ok": false, "error": {"code": "invalid_input", "message"}}}, the id echoed when it was a
// valid positive integer. Frames are built and read by hand here from that layout; every expected message is written
// out in the tables below.
import { describe, expect, it } from 'vitest';
import { controlFrame, eventFrame, malformedReply, parseSocketMessage, replyFrame } from '../../electron/host/socketProtocol.ts';

/** A binary frame built from the documented layout. */
function binaryFrame(header: unknown, attachments: Uint8Array[] = []): Uint8Array {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const frame = Buffer.alloc(4 + json.length + attachments.reduce((n, a) => n + a.length, 0));
  frame.writeUInt32BE(json.length, 0);
  json.copy(frame, 4);
  let at = 4 + json.length;
  for (const a of attachments) {
    frame.set(a, at);
    at += a.length;
  }
  return new Uint8Array(frame.buffer, frame.byteOffset, frame.length);
}
/** Reads a binary frame by the documented layout: the header JSON and the attachments. */
function readBinary(frame: Uint8Array): { header: Record<string, unknown>; attachments: Buffer[] } {
  const b = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  const h = b.readUInt32BE(0);
  const header = JSON.parse(b.subarray(4, 4 + h).toString('utf8')) as Record<string, unknown>;
  const attachments: Buffer[] = [];
  let at = 4 + h;
  for (const n of header.attachments as number[]) {
    attachments.push(b.subarray(at, at + n));
    at += n;
  }
  expect(at).toBe(b.length);
  return { header, attachments };
}

const NOT_OBJECT = 'Malformed message: expected an object {id, channel, input}.';
const BAD_ID = 'Malformed message: id must be a positive integer.';
const BAD_CHANNEL = 'Malformed message: channel must be a string.';
const EXTRA = 'Malformed message: only id, channel and input are allowed.';
const NOT_JSON = 'Malformed message: not JSON.';

describe('parseSocketMessage: text frames', () => {
  it('accepts {id, channel, input} and hands the call on as it came', () => {
    expect(parseSocketMessage('{"id":7,"channel":"keys:list","input":{"limit":5}}')).toEqual({ ok: true, call: { id: 7, channel: 'keys:list', input: { limit: 5 } } });
    // input may be absent (the router's schema decides); the largest safe integer is a valid id
    expect(parseSocketMessage(JSON.stringify({ id: Number.MAX_SAFE_INTEGER, channel: 'session:status' }))).toEqual({
      ok: true, call: { id: Number.MAX_SAFE_INTEGER, channel: 'session:status', input: undefined },
    });
    // any string is a channel here; the router refuses unknown ones
    expect(parseSocketMessage('{"id":1,"channel":"","input":null}')).toEqual({ ok: true, call: { id: 1, channel: '', input: null } });
  });

  // [what, the frame, the id echoed, the message]
  const malformed: Array<[string, string, number | null, string]> = [
    ['not JSON', '{"id":1,', null, NOT_JSON],
    ['empty text', '', null, NOT_JSON],
    ['a JSON string', '"keys:list"', null, NOT_OBJECT],
    ['a JSON number', '5', null, NOT_OBJECT],
    ['JSON null', 'null', null, NOT_OBJECT],
    ['a JSON array', '[1,"keys:list",{}]', null, NOT_OBJECT],
    ['no id', '{"channel":"keys:list","input":{}}', null, BAD_ID],
    ['id 0', '{"id":0,"channel":"keys:list","input":{}}', null, BAD_ID],
    ['id -3', '{"id":-3,"channel":"keys:list","input":{}}', null, BAD_ID],
    ['id 1.5', '{"id":1.5,"channel":"keys:list","input":{}}', null, BAD_ID],
    ['id beyond the safe integers', '{"id":9007199254740992,"channel":"keys:list","input":{}}', null, BAD_ID],
    ['id as a string', '{"id":"4","channel":"keys:list","input":{}}', null, BAD_ID],
    ['id true', '{"id":true,"channel":"keys:list","input":{}}', null, BAD_ID],
    ['no channel', '{"id":4,"input":{}}', 4, BAD_CHANNEL],
    ['channel a number', '{"id":4,"channel":12,"input":{}}', 4, BAD_CHANNEL],
    ['channel null', '{"id":4,"channel":null,"input":{}}', 4, BAD_CHANNEL],
    ['an extra key', '{"id":5,"channel":"keys:list","input":{},"token":"x"}', 5, EXTRA],
    ['an extra key and no input', '{"id":5,"channel":"keys:list","extra":1}', 5, EXTRA],
    ['__proto__ as an own key', '{"id":5,"channel":"keys:list","input":{},"__proto__":{"x":1}}', 5, EXTRA],
  ];
  it.each(malformed)('refuses %s', (_what, frame, id, message) => {
    expect(parseSocketMessage(frame)).toEqual({ ok: false, id, message });
  });
});

describe('parseSocketMessage: binary frames', () => {
  it('accepts a call whose bytes travel as attachments; they come back as views of the frame', () => {
    const plaintext = Uint8Array.from([1, 2, 3, 4]);
    const aad = Uint8Array.from([9]);
    const frame = binaryFrame({ id: 3, channel: 'keys:encrypt', input: { keyId: 'k', plaintext: { $bytes: 0 }, aad: { $bytes: 1 } }, attachments: [4, 1] }, [plaintext, aad]);
    const parsed = parseSocketMessage(frame);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok || !parsed.call) throw new Error("not a call");
    expect(parsed.call.id).toBe(3);
    expect(parsed.call.channel).toBe('keys:encrypt');
    const input = parsed.call.input as { keyId: string; plaintext: Uint8Array; aad: Uint8Array };
    expect(input.keyId).toBe('k');
    expect([...input.plaintext]).toEqual([1, 2, 3, 4]);
    expect([...input.aad]).toEqual([9]);
    expect(input.plaintext.buffer).toBe(frame.buffer); // no copy: the host wipes the frame once answered
  });

  it('refuses a bad frame with invalid_input, echoing the id only when its header names a valid one', () => {
    // The attachment lengths do not add up to the frame: the header parsed, so its id is known.
    const short = (header: Record<string, unknown>) => binaryFrame({ ...header, attachments: [5] }, [Uint8Array.from([1, 2])]);
    const reason = 'Malformed message: binary frame attachments do not end at the end of the frame.';
    expect(parseSocketMessage(short({ id: 11, channel: 'keys:encrypt', input: { p: { $bytes: 0 } } }))).toEqual({ ok: false, id: 11, message: reason });
    for (const id of [0, -1, 2.5, '11', null]) expect(parseSocketMessage(short({ id, channel: 'x', input: {} }))).toEqual({ ok: false, id: null, message: reason });
    // A header that is no JSON at all: no id.
    const garbage = Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('{{{')]);
    expect(parseSocketMessage(new Uint8Array(garbage))).toEqual({ ok: false, id: null, message: 'Malformed message: binary frame header is not UTF-8 JSON.' });
  });

  it('applies the same message rules to a binary frame that decoded', () => {
    const bytes = [Uint8Array.from([1])];
    expect(parseSocketMessage(binaryFrame({ id: 0, channel: 'c', input: { $bytes: 0 }, attachments: [1] }, bytes))).toEqual({ ok: false, id: null, message: BAD_ID });
    expect(parseSocketMessage(binaryFrame({ id: 8, channel: 1, input: { $bytes: 0 }, attachments: [1] }, bytes))).toEqual({ ok: false, id: 8, message: BAD_CHANNEL });
    expect(parseSocketMessage(binaryFrame({ id: 8, channel: 'c', input: { $bytes: 0 }, more: { $bytes: 0 }, attachments: [1] }, bytes)).ok).toBe(false);
    expect(parseSocketMessage(binaryFrame({ id: 8, channel: 'c', input: {}, extra: { $bytes: 0 }, attachments: [1] }, bytes))).toEqual({ ok: false, id: 8, message: EXTRA });
  });
});

describe('server frames', () => {
  it('a reply without bytes is one text frame {"id", "envelope"}', () => {
    const envelope = { ok: true as const, value: { keys: [{ id: 'a', label: 'Disk' }] } };
    const frame = replyFrame(4, envelope);
    expect(typeof frame).toBe('string');
    expect(JSON.parse(frame as string)).toEqual({ id: 4, envelope });
  });

  it('a reply with bytes is one binary frame: the header names the attachments, the bytes follow raw', () => {
    const ciphertext = Uint8Array.from([0xde, 0xad, 0xbe, 0xef]);
    const frame = replyFrame(9, { ok: true, value: { ciphertext } });
    expect(frame).toBeInstanceOf(Uint8Array);
    const { header, attachments } = readBinary(frame as Uint8Array);
    expect(header).toEqual({ id: 9, envelope: { ok: true, value: { ciphertext: { $bytes: 0 } } }, attachments: [4] });
    expect([...attachments[0]!]).toEqual([0xde, 0xad, 0xbe, 0xef]);
  });

  it('a malformed-message reply is invalid_input with the id given (or null)', () => {
    expect(JSON.parse(malformedReply(null, BAD_ID))).toEqual({ id: null, envelope: { ok: false, error: { code: 'invalid_input', message: BAD_ID } } });
    expect(JSON.parse(malformedReply(12, EXTRA))).toEqual({ id: 12, envelope: { ok: false, error: { code: 'invalid_input', message: EXTRA } } });
  });

  it('an event is {"event", "payload"}: text without bytes, binary with them', () => {
    expect(JSON.parse(eventFrame('keys:changed', { keyId: 'a' }) as string)).toEqual({ event: 'keys:changed', payload: { keyId: 'a' } });
    const frame = eventFrame('keys:changed', { blob: Uint8Array.from([5, 6]) } as never);
    const { header, attachments } = readBinary(frame as Uint8Array);
    expect(header).toEqual({ event: 'keys:changed', payload: { blob: { $bytes: 0 } }, attachments: [2] });
    expect([...attachments[0]!]).toEqual([5, 6]);
  });
});

describe('control messages (issue 15: liveness, window, outcomes)', () => {
  const KEY = 'A'.repeat(43);
  it.each([
    ['{"ping":0}', { kind: 'ping', n: 0 }],
    ['{"ping":42}', { kind: 'ping', n: 42 }],
    [`{"hello":"${KEY}"}`, { kind: 'hello', key: KEY }],
    ['{"outcomes":[]}', { kind: 'outcomes', ids: [] }],
    ['{"outcomes":[1,5,9]}', { kind: 'outcomes', ids: [1, 5, 9] }],
  ])('%s is a control message', (text, control) => {
    expect(parseSocketMessage(text)).toEqual({ ok: true, control });
  });

  it.each([
    ['{"ping":-1}', 'ping must be'],
    ['{"ping":"1"}', 'ping must be'],
    ['{"hello":"short"}', 'hello must be'],
    [`{"hello":"${'A'.repeat(42)}="}`, 'hello must be'],
    ['{"outcomes":[0]}', 'outcomes must be'],
    ['{"outcomes":"1"}', 'outcomes must be'],
    [`{"outcomes":[${Array.from({ length: 1025 }, (_, i) => i + 1).join(',')}]}`, 'at most 1024'],
  ])('%s is refused with a plain reason', (text, reason) => {
    const parsed = parseSocketMessage(text);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.id).toBeNull();
    expect(parsed.message).toContain(reason);
  });

  it('a message with a control key and anything else is not a control message', () => {
    const parsed = parseSocketMessage('{"ping":1,"id":2}');
    expect(parsed.ok).toBe(false);
  });
});

// Mutation round (t), 2026-12-06: the limits' edges and the type checks of each control message, with the whole reply.
describe('control messages: edges (the exact refusals)', () => {
  const KEY = 'Ab0_-'.repeat(8) + 'xyz'; // 43 characters of the base64url alphabet
  const PING = 'Malformed message: ping must be a non-negative integer.';
  const HELLO = 'Malformed message: hello must be a window key (32 bytes, base64url).';
  const OUTCOMES = 'Malformed message: outcomes must be a list of at most 1024 call ids.';
  const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

  it('takes exactly 1024 ids in one outcomes question, and a key of the whole base64url alphabet', () => {
    expect(parseSocketMessage(JSON.stringify({ outcomes: ids(1024) }))).toEqual({ ok: true, control: { kind: 'outcomes', ids: ids(1024) } });
    expect(parseSocketMessage(JSON.stringify({ hello: KEY }))).toEqual({ ok: true, control: { kind: 'hello', key: KEY } });
  });

  it.each([
    [{ ping: 1.5 }, PING],
    [{ ping: 2 ** 53 }, PING],
    [{ ping: null }, PING],
    [{ hello: [KEY] }, HELLO], // a list whose text is a key is not a key
    [{ hello: `!${KEY}` }, HELLO],
    [{ hello: `${KEY}!` }, HELLO],
    [{ hello: `${KEY}A` }, HELLO],
    [{ outcomes: ids(1025) }, OUTCOMES],
    [{ outcomes: [1, 1.5] }, OUTCOMES],
  ])('%j is refused: %s', (msg, message) => {
    expect(parseSocketMessage(JSON.stringify(msg))).toEqual({ ok: false, id: null, message });
  });

  it('a one-key message that is no control message is read as a call (and refused for its id)', () => {
    expect(parseSocketMessage('{"channel":"session:status"}')).toEqual({ ok: false, id: null, message: 'Malformed message: id must be a positive integer.' });
    expect(parseSocketMessage('{"input":{"outcomes":[1]}}')).toEqual({ ok: false, id: null, message: 'Malformed message: id must be a positive integer.' });
  });

  it('writes a control answer as the JSON object given, nothing else', () => {
    expect(controlFrame({ pong: 3 })).toBe('{"pong":3}');
    expect(controlFrame({ outcomes: [{ id: 1, state: 'running' }] })).toBe('{"outcomes":[{"id":1,"state":"running"}]}');
  });
});
