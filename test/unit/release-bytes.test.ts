// releaseBytes (electron/crypto/releaseBytes.ts): a byte array that is the whole of its own ArrayBuffer has its memory
// handed back at once (the buffer detached, every view of it empty); anything else is left exactly as it was: a view
// into a larger buffer (Node's pool, a socket's read buffer), a SharedArrayBuffer, an empty or already released one.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { releaseBytes } from '../../electron/crypto/releaseBytes.ts';

const detached = (ab: ArrayBufferLike) => (ab as ArrayBuffer & { detached: boolean }).detached;

describe('releaseBytes', () => {
  it('releases a 1 MiB Buffer that owns its ArrayBuffer: the buffer is detached and every view of it is empty', () => {
    const b = Buffer.allocUnsafe(1024 * 1024);
    const otherView = new Uint8Array(b.buffer);
    expect(releaseBytes(b)).toBe(true);
    expect(detached(b.buffer)).toBe(true);
    expect(b.byteLength).toBe(0);
    expect(otherView.byteLength).toBe(0);
  });

  it('releases a plain Uint8Array and the output of a cipher update (what the envelope releases)', () => {
    const u = new Uint8Array(4096);
    expect(releaseBytes(u)).toBe(true);
    expect(u.byteLength).toBe(0);
    const c = crypto.createCipheriv('aes-256-gcm', crypto.randomBytes(32), crypto.randomBytes(12));
    const out = c.update(crypto.randomBytes(65_536));
    expect(releaseBytes(out)).toBe(true);
    expect(out.byteLength).toBe(0);
  });

  it('leaves a view into a larger buffer as it was, and the rest of that buffer', () => {
    const whole = Buffer.from(crypto.randomBytes(3000));
    const before = Buffer.from(whole);
    const view = whole.subarray(1000, 2000);
    expect(releaseBytes(view)).toBe(false);
    expect(view.byteLength).toBe(1000);
    expect(whole.equals(before)).toBe(true);
    // A small Buffer lives in Node's shared pool: a view, never released.
    const pooled = Buffer.from('robot-7/telemetry');
    expect(pooled.byteLength).toBeLessThan(pooled.buffer.byteLength);
    expect(releaseBytes(pooled)).toBe(false);
    expect(pooled.toString()).toBe('robot-7/telemetry');
    // The head of a buffer (offset 0 but shorter) is a view too.
    const head = new Uint8Array(new ArrayBuffer(64), 0, 32);
    expect(releaseBytes(head)).toBe(false);
    expect(head.byteLength).toBe(32);
  });

  it('leaves SharedArrayBuffer memory, empty arrays and released ones alone, without throwing', () => {
    const shared = new Uint8Array(new SharedArrayBuffer(1024));
    expect(releaseBytes(shared)).toBe(false);
    expect(shared.byteLength).toBe(1024);
    const empty = new Uint8Array(0);
    expect(releaseBytes(empty)).toBe(false);
    expect(detached(empty.buffer)).toBe(false);
    const once = new Uint8Array(128);
    expect(releaseBytes(once)).toBe(true);
    expect(releaseBytes(once)).toBe(false);
  });

  it('leaves a buffer its owner made non-detachable (WebAssembly memory) in use, with its bytes, and says so', () => {
    // WebAssembly is a global of every Node; the project's TypeScript libraries do not declare it.
    const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } };
    const memory = new wasm.Memory({ initial: 1 });
    const bytes = new Uint8Array(memory.buffer);
    bytes.set([1, 2, 3], 0);
    expect(releaseBytes(bytes)).toBe(false);
    expect(bytes.byteLength).toBe(65_536);
    expect(Array.from(bytes.subarray(0, 3))).toEqual([1, 2, 3]);
  });
});
