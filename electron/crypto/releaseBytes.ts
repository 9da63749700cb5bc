// Handing a large byte array's memory back at once. A Buffer of more than a few KiB owns an ArrayBuffer whose memory
// lives outside V8's heap; dropped, it is freed only when a garbage collection finds it, and a full (mark-compact)
// collection is started by how much such memory was allocated since the last one. A 1 MiB temporary that is dropped
// therefore costs a share of a full collection of the whole heap and a fresh allocation (page faults) for the next
// message. Detaching the ArrayBuffer (ArrayBuffer.prototype.transfer, ES2024) frees its memory now, where glibc hands
// it to the next allocation of the same size, and takes it out of V8's count of external memory.

type Detachable = ArrayBuffer & { transfer?(newLength?: number): ArrayBuffer; readonly detached?: boolean };

/**
 * Frees the memory of `bytes` now when it is the whole of its own ArrayBuffer (never a view into a larger one, such
 * as Node's shared pool or a socket's read buffer, nor a SharedArrayBuffer). Afterwards `bytes` (and every other view
 * of that buffer) is empty. The caller must hold the only use of the bytes; secrets are zeroed before, not by this.
 * Returns whether the memory was released.
 */
export function releaseBytes(bytes: Uint8Array): boolean {
  const ab = bytes.buffer as Detachable;
  if (typeof ab.transfer !== 'function' || ab.detached === true) return false;
  if (bytes.byteLength === 0 || bytes.byteOffset !== 0 || bytes.byteLength !== ab.byteLength) return false;
  try {
    ab.transfer(0);
    return true;
  } catch {
    // A buffer its owner made non-detachable (e.g. WebAssembly memory): left to the garbage collector.
    return false;
  }
}
