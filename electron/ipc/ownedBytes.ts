// Binary values handed to a structured-clone transport. V8's serializer (what Electron IPC uses) writes a typed
// array's whole ArrayBuffer, so a Buffer sliced from Node's shared pool would carry its neighbours' bytes to the
// window: every Uint8Array that does not span its buffer exactly is copied first. Also zeroes a call's own copies,
// then hands their memory back at once (releaseBytes.ts) instead of leaving 1 MiB copies to a full garbage collection.
import { releaseBytes } from '../crypto/releaseBytes.ts';

const MAX_DEPTH = 32;

const spansItsBuffer = (b: Uint8Array) => b.byteOffset === 0 && b.byteLength === b.buffer.byteLength;

/** `value` with every Uint8Array that shares its ArrayBuffer replaced by an exact copy (plain objects and arrays walked). */
export function withOwnedBytes<T>(value: T, depth = 0): T {
  if (value instanceof Uint8Array) return (spansItsBuffer(value) ? value : new Uint8Array(value)) as T;
  if (depth >= MAX_DEPTH || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v: unknown) => withOwnedBytes(v, depth + 1)) as T;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withOwnedBytes(v, depth + 1)])) as T;
}

/** Calls `visit` on every Uint8Array inside `value` (plain objects and arrays walked, MAX_DEPTH levels at most). */
function eachBytesIn(value: unknown, visit: (bytes: Uint8Array) => void, depth: number): void {
  if (value instanceof Uint8Array) {
    visit(value);
    return;
  }
  if (depth >= MAX_DEPTH || typeof value !== 'object' || value === null) return;
  for (const v of Object.values(value)) eachBytesIn(v, visit, depth + 1);
}

/** Overwrites every Uint8Array inside `value` with zeros (a transport's own deserialized copy, once answered). */
export function zeroBytesIn(value: unknown): void {
  eachBytesIn(value, (b) => b.fill(0), 0);
}

/**
 * Releases the memory of every Uint8Array inside `value` that is the whole of its own ArrayBuffer (releaseBytes.ts);
 * views into larger buffers are left. For a transport's own deserialized copy once answered and zeroed (zeroBytesIn
 * first: released memory is not wiped).
 */
export function releaseBytesIn(value: unknown): void {
  eachBytesIn(value, releaseBytes, 0);
}
