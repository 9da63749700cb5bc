// A frame the other side never takes (a robot that stopped reading, the line's buffers full) must not hold a station
// session, and its port, for ever: FrameChannel.send gives up after its write timeout with a typed `timeout`
// (electron/station/transport.ts); a frame is the 12-byte header, the payload and the 4-byte CRC trailer. A write that fails is `disconnected`; one that is taken resolves.
import { describe, expect, it } from 'vitest';
import { StationError } from '../../electron/station/errors.ts';
import { MessageType } from '../../electron/station/frame.ts';
import { DEFAULT_WRITE_TIMEOUT_MS, FrameChannel } from '../../electron/station/transport.ts';
import { MemoryEnd } from './station-link-kit.ts';

const frame = { type: MessageType.ORDER_CHUNK, seq: 3, payload: Buffer.alloc(4096, 7) };

async function outcome(p: Promise<unknown>): Promise<{ code: string; message: string; details: unknown } | 'sent'> {
  try {
    await p;
    return 'sent';
  } catch (e) {
    if (e instanceof StationError) return { code: e.code, message: e.message, details: e.details };
    throw e;
  }
}

describe('FrameChannel.send and the other side that stops reading', () => {
  it('the default write timeout is the 30 s of docs/station.md', () => {
    expect(DEFAULT_WRITE_TIMEOUT_MS).toBe(30_000);
  });

  it('a write never taken is a timeout naming the frame\'s size and the limit', async () => {
    const end = new MemoryEnd();
    end.stallFrom = 0;
    const ch = new FrameChannel(end, undefined, { writeTimeoutMs: 40 });
    const bytes = ch.send(frame).then(() => 'sent');
    expect(await outcome(bytes)).toEqual({
      code: 'timeout',
      message: `a ${4096 + 12 + 4}-byte frame was not taken by the other side within 0.04 s (serial write not drained)`,
      details: { bytes: 4096 + 12 + 4 },
    });
  });

  it('a write that fails is disconnected; a write that is taken resolves (and its timer does not fire later)', async () => {
    const failing = new MemoryEnd();
    failing.failFrom = { index: 0, error: new Error('EIO') };
    expect(await outcome(new FrameChannel(failing, undefined, { writeTimeoutMs: 40 }).send(frame))).toMatchObject({ code: 'disconnected', message: 'serial write failed: EIO' });
    const fired: number[] = [];
    const cleared: unknown[] = [];
    const timers = {
      setTimeout: (_fn: () => void, ms: number) => (fired.push(ms), fired.length),
      clearTimeout: (h: unknown) => void cleared.push(h),
    };
    const taking = new MemoryEnd();
    expect(await outcome(new FrameChannel(taking, timers, { writeTimeoutMs: 40 }).send(frame))).toBe('sent');
    expect({ armed: fired, cleared }).toEqual({ armed: [40], cleared: [1] });
    expect(taking.frames()).toEqual([frame]);
  });
});
