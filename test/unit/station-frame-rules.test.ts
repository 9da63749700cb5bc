// The frame rules of docs/provisioning-protocol.md ("Frame"): the type codes, the limits at their exact boundaries,
// the decoder's order of checks (oversize reported at once, before the bytes arrive) and its garbage accounting.
import { describe, expect, it } from 'vitest';
import { StationError } from '../../electron/station/errors.ts';
import { FrameDecoder, MAX_PAYLOAD, MessageType, encodeFrame, messageTypeName, type DecodeEvent } from '../../electron/station/frame.ts';
import { handFrame } from './station-link-kit.ts';

const rawFrame = handFrame;

const errorOf = (ev: DecodeEvent | undefined) => (ev?.kind === 'error' ? ev.error : undefined);

describe('frame types and limits', () => {
  it('uses the documented type codes, and names them', () => {
    expect(MessageType).toEqual({ HELLO: 0x01, CHALLENGE: 0x02, CSR: 0x03, CERT: 0x04, KEYS: 0x05, CONFIRM: 0x06, DONE: 0x07, BUNDLE: 0x08, INSTALLED: 0x09, ORDER: 0x0a, ORDER_ACK: 0x0b, ORDER_CHUNK: 0x0c, RENEW: 0x0d, RENEWED: 0x0e, BUNDLE_CHUNK: 0x0f, ERROR: 0x7f });
    expect(messageTypeName(0x01)).toBe('HELLO');
    expect(messageTypeName(0x09)).toBe('INSTALLED');
    expect(messageTypeName(0x7f)).toBe('ERROR');
    expect(messageTypeName(0x00)).toBeUndefined();
    expect(messageTypeName(0x0a)).toBe('ORDER');
    expect(messageTypeName(0x0e)).toBe('RENEWED');
    expect(messageTypeName(0x10)).toBeUndefined();
  });

  it('encodes a payload of exactly 65536 bytes and refuses one byte more', () => {
    expect(MAX_PAYLOAD).toBe(65536);
    expect(encodeFrame({ type: MessageType.CERT, seq: 1, payload: Buffer.alloc(65536) })).toHaveLength(12 + 65536 + 4);
    expect(() => encodeFrame({ type: MessageType.CERT, seq: 1, payload: Buffer.alloc(65537) })).toThrow(expect.objectContaining({ code: 'frame_oversize', message: 'payload of 65537 bytes exceeds 65536' }) as unknown as Error);
  });

  it('takes sequence numbers 0 to 0xFFFFFFFF (ERROR uses the top one) and refuses anything else with a station error', () => {
    for (const seq of [0, 1, 0xfffffffe, 0xffffffff]) expect(encodeFrame({ type: MessageType.ERROR, seq, payload: Buffer.alloc(0) }).readUInt32BE(4)).toBe(seq);
    for (const seq of [-1, 0x100000000, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => encodeFrame({ type: MessageType.ERROR, seq, payload: Buffer.alloc(0) }), String(seq)).toThrow(StationError);
      expect(() => encodeFrame({ type: MessageType.ERROR, seq, payload: Buffer.alloc(0) })).toThrow(expect.objectContaining({ code: 'internal', message: 'sequence number out of range' }) as unknown as Error);
    }
  });

  it('matches the documented layout byte for byte', () => {
    const payload = Buffer.from('payload');
    expect(encodeFrame({ type: MessageType.KEYS, seq: 2, payload })).toEqual(rawFrame(1, 0x05, 2, payload));
    expect(encodeFrame({ type: MessageType.KEYS, seq: 2, payload }, 3)).toEqual(rawFrame(3, 0x05, 2, payload));
  });
});

describe('frame decoder', () => {
  it('reports an oversize length as soon as the 12 header bytes are in, and skips one byte to resynchronise', () => {
    const d = new FrameDecoder();
    const header = rawFrame(1, 0x03, 0, Buffer.alloc(0)).subarray(0, 12);
    header.writeUInt32BE(65537, 8);
    const evs = d.push(header);
    expect(evs).toHaveLength(2);
    expect(errorOf(evs[0])).toMatchObject({ code: 'frame_oversize', message: expect.stringMatching(/65537 payload bytes \(limit 65536\)/) });
    // the 'E' was dropped, the rest of the header is garbage up to the next magic
    expect(evs[1]).toEqual({ kind: 'garbage', bytes: 11 });
    expect(d.pending).toBe(0);
  });

  it('accepts a payload of exactly the limit and refuses one byte more (default and configured limits)', () => {
    const small = new FrameDecoder({ maxPayload: 16 });
    expect(small.push(rawFrame(1, 0x06, 2, Buffer.alloc(16, 7)))).toMatchObject([{ kind: 'frame', frame: { type: 0x06, seq: 2 } }]);
    expect(errorOf(new FrameDecoder({ maxPayload: 16 }).push(rawFrame(1, 0x06, 2, Buffer.alloc(17)))[0])?.code).toBe('frame_oversize');
    const [big] = new FrameDecoder().push(rawFrame(1, 0x04, 1, Buffer.alloc(65536, 1)));
    expect(big?.kind === 'frame' && big.frame.payload.length).toBe(65536);
  });

  it('names the failure: bad CRC, wrong version (with the version) and unknown type (with the type)', () => {
    const bad = rawFrame(1, 0x01, 0, Buffer.from('x'));
    bad[bad.length - 1]! ^= 0xff;
    expect(errorOf(new FrameDecoder().push(bad)[0])).toMatchObject({ code: 'bad_crc', message: expect.stringMatching(/CRC-32/) });
    const v2 = errorOf(new FrameDecoder().push(rawFrame(2, 0x01, 0, Buffer.from('x')))[0]);
    expect(v2).toMatchObject({ code: 'wrong_version', message: expect.stringMatching(/version 2 .*expected 1/), details: { version: 2 } });
    const t = errorOf(new FrameDecoder().push(rawFrame(1, 0x42, 0, Buffer.from('x')))[0]);
    expect(t).toMatchObject({ code: 'unknown_type', message: expect.stringMatching(/0x42/), details: { type: 0x42 } });
    expect(errorOf(new FrameDecoder().push(rawFrame(1, 0x00, 0, Buffer.alloc(0)))[0])?.code).toBe('unknown_type');
  });

  it('counts every byte of garbage and keeps nothing that cannot start a frame', () => {
    const d = new FrameDecoder();
    expect(d.push(Buffer.from('boot ok\r\n'))).toEqual([{ kind: 'garbage', bytes: 9 }]);
    expect(d.pending).toBe(0);
    // A trailing 'E' may be the start of the next magic: it is kept.
    expect(d.push(Buffer.from('xE'))).toEqual([{ kind: 'garbage', bytes: 1 }]);
    expect(d.pending).toBe(1);
    expect(d.push(Buffer.alloc(0))).toEqual([]);
    const f = rawFrame(1, 0x07, 3, Buffer.from('done'));
    expect(d.push(f.subarray(1))).toMatchObject([{ kind: 'frame', frame: { type: 0x07, seq: 3 } }]);
    expect(d.pending).toBe(0);
  });

  it('holds a partial header, then decodes once the rest arrives', () => {
    const f = rawFrame(1, 0x02, 0, Buffer.from('challenge'));
    const d = new FrameDecoder();
    expect(d.push(f.subarray(0, 11))).toEqual([]);
    expect(d.pending).toBe(11);
    expect(d.push(f.subarray(11, 12))).toEqual([]);
    expect(d.pending).toBe(12);
    const [ev] = d.push(f.subarray(12));
    expect(ev).toEqual({ kind: 'frame', raw: f, frame: { type: 0x02, seq: 0, payload: Buffer.from('challenge') } });
  });
});
