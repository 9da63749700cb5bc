import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, HEADER_LENGTH, MAX_PAYLOAD, MessageType, encodeFrame, type DecodeEvent } from '../../electron/station/frame.ts';

const frames = (evs: DecodeEvent[]) => evs.filter((e) => e.kind === 'frame').map((e) => (e.kind === 'frame' ? e.frame : undefined));
const errors = (evs: DecodeEvent[]) => evs.filter((e) => e.kind === 'error').map((e) => (e.kind === 'error' ? e.error.code : ''));

describe('station frame codec', () => {
  it('uses CRC-32/ISO-HDLC (check value of "123456789" is cbf43926)', () => {
    expect(crc32('123456789').toString(16)).toBe('cbf43926');
  });

  it('lays out magic, version, type, sequence, length, payload, CRC as documented', () => {
    const raw = encodeFrame({ type: MessageType.CSR, seq: 0x01020304, payload: Buffer.from('abc') });
    expect(raw.subarray(0, HEADER_LENGTH).toString('hex')).toBe('4550' + '01' + '03' + '01020304' + '00000003');
    expect(raw.subarray(HEADER_LENGTH, HEADER_LENGTH + 3).toString()).toBe('abc');
    expect(raw.readUInt32BE(HEADER_LENGTH + 3)).toBe(crc32(raw.subarray(0, HEADER_LENGTH + 3)));
    expect(raw).toHaveLength(HEADER_LENGTH + 3 + 4);
  });

  it('decodes frames split at every byte boundary and several frames in one chunk', () => {
    const a = encodeFrame({ type: MessageType.HELLO, seq: 0, payload: Buffer.from('hello') });
    const b = encodeFrame({ type: MessageType.ERROR, seq: 7, payload: Buffer.alloc(0) });
    const d = new FrameDecoder();
    const evs: DecodeEvent[] = [];
    for (const byte of Buffer.concat([a, b])) evs.push(...d.push(Buffer.from([byte])));
    expect(frames(evs)).toEqual([
      { type: MessageType.HELLO, seq: 0, payload: Buffer.from('hello') },
      { type: MessageType.ERROR, seq: 7, payload: Buffer.alloc(0) },
    ]);
    expect(frames(new FrameDecoder().push(Buffer.concat([a, b])))).toHaveLength(2);
    expect(d.pending).toBe(0);
  });

  it('skips garbage before a frame and counts it', () => {
    const a = encodeFrame({ type: MessageType.HELLO, seq: 0, payload: Buffer.from('x') });
    const evs = new FrameDecoder().push(Buffer.concat([Buffer.from('boot: ok\r\nE'), a]));
    expect(evs[0]).toEqual({ kind: 'garbage', bytes: 11 });
    expect(frames(evs)).toHaveLength(1);
  });

  it('reports a bad CRC and resynchronises on the next frame', () => {
    const bad = encodeFrame({ type: MessageType.CSR, seq: 1, payload: Buffer.from('payload') });
    bad[14] = (bad[14] ?? 0) ^ 1;
    const good = encodeFrame({ type: MessageType.CONFIRM, seq: 2, payload: Buffer.from('ok') });
    const evs = new FrameDecoder().push(Buffer.concat([bad, good]));
    expect(errors(evs)).toEqual(['bad_crc']);
    expect(frames(evs)).toEqual([{ type: MessageType.CONFIRM, seq: 2, payload: Buffer.from('ok') }]);
  });

  it('refuses an oversize length without waiting for the bytes, then resynchronises', () => {
    const header = Buffer.from('4550010300000000' + (MAX_PAYLOAD + 1).toString(16).padStart(8, '0'), 'hex');
    const good = encodeFrame({ type: MessageType.HELLO, seq: 0, payload: Buffer.from('h') });
    const evs = new FrameDecoder().push(Buffer.concat([header, good]));
    expect(errors(evs)).toEqual(['frame_oversize']);
    expect(frames(evs)).toHaveLength(1);
    expect(() => encodeFrame({ type: MessageType.CERT, seq: 0, payload: Buffer.alloc(MAX_PAYLOAD + 1) })).toThrow(/exceeds/);
  });

  it('reports a wrong protocol version and an unknown message type (with valid CRCs)', () => {
    const v2 = encodeFrame({ type: MessageType.HELLO, seq: 0, payload: Buffer.from('a') }, 2);
    const unknown = encodeFrame({ type: 0x42 as typeof MessageType.HELLO, seq: 0, payload: Buffer.from('b') });
    const evs = new FrameDecoder().push(Buffer.concat([v2, unknown]));
    expect(errors(evs)).toEqual(['wrong_version', 'unknown_type']);
  });

  it('does not lose a frame whose first magic byte ends a chunk', () => {
    const a = encodeFrame({ type: MessageType.DONE, seq: 3, payload: Buffer.from('z') });
    const d = new FrameDecoder();
    expect(d.push(Buffer.concat([Buffer.from('noise'), a.subarray(0, 1)]))).toEqual([{ kind: 'garbage', bytes: 5 }]);
    expect(frames(d.push(a.subarray(1)))).toHaveLength(1);
  });
});
