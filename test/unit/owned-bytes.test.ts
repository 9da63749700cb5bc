// Bytes handed to Electron's structured clone (docs/ipc-contract.md, "Bytes over IPC"): V8's serializer writes a typed
// array's whole ArrayBuffer, so every reply array that is a view into a larger buffer (a Buffer from Node's shared
// pool) must be copied into its own buffer first; the call's own deserialized copy is zeroed once answered.
// What counts as "its own buffer" is written out here: byteOffset 0 and byteLength equal to the buffer's length.
// The walk is bounded at 32 levels of nesting (the same bound as the browser host's frames, docs/ipc-contract.md), so
// a cyclic value ends instead of overflowing the stack.
import { describe, expect, it } from 'vitest';
import { releaseBytesIn, withOwnedBytes, zeroBytesIn } from '../../electron/ipc/ownedBytes.ts';

const NESTING_LIMIT = 32;

/** A Uint8Array inside `levels` nested objects: {a: {a: ... bytes}} (levels 0 = the array itself). */
function nestedIn(levels: number, bytes: Uint8Array): unknown {
  let v: unknown = bytes;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}
function innermost(value: unknown, levels: number): Uint8Array {
  let v = value as { a: unknown };
  for (let i = 0; i < levels; i++) v = v.a as { a: unknown };
  return v as unknown as Uint8Array;
}
const ownsItsBuffer = (b: Uint8Array) => b.byteOffset === 0 && b.buffer.byteLength === b.byteLength;

describe('withOwnedBytes: each reply array carries exactly its own bytes', () => {
  // [what, a view, whether it already spans its whole buffer]
  const backing = () => Uint8Array.from({ length: 32 }, (_, i) => i + 1);
  const cases: Array<[string, () => Uint8Array, boolean]> = [
    ['a view in the middle of a larger buffer', () => backing().subarray(8, 16), false],
    ['a view at offset 0 that is shorter than its buffer', () => backing().subarray(0, 16), false],
    ['a view that runs to the end of its buffer but does not start at 0', () => backing().subarray(16), false],
    ['a small Buffer from Node\'s shared pool', () => Buffer.from('secret-neighbour'), false],
    ['an array with its own buffer', () => Uint8Array.from([9, 8, 7]), true],
    ['an empty array with its own buffer', () => new Uint8Array(0), true],
  ];
  it.each(cases)('%s', (_what, make, spans) => {
    const input = make();
    const before = [...input];
    const out = withOwnedBytes(input);
    expect(out).toBeInstanceOf(Uint8Array);
    expect(ownsItsBuffer(out)).toBe(true);
    expect([...out]).toEqual(before);
    if (spans) expect(out).toBe(input); // already exact: no copy
    else expect(out.buffer).not.toBe(input.buffer);
    expect([...input]).toEqual(before); // the original is left alone
  });

  it('walks plain objects and arrays, keeping every other value and the shape', () => {
    const pooled = Buffer.from('abcdef').subarray(1, 4);
    const value = { s: 'text', n: 7, f: false, z: null, u: undefined, list: [pooled, 'x', 3, null, [pooled]], inner: { bytes: pooled } };
    const out = withOwnedBytes(value);
    expect(out).not.toBe(value);
    expect(Array.isArray(out.list)).toBe(true);
    expect(Array.isArray(out.list[4])).toBe(true);
    expect(out).toEqual({ s: 'text', n: 7, f: false, z: null, u: undefined, list: [expect.any(Uint8Array), 'x', 3, null, [expect.any(Uint8Array)]], inner: { bytes: expect.any(Uint8Array) } });
    for (const b of [out.list[0], (out.list[4] as Uint8Array[])[0], out.inner.bytes] as Uint8Array[]) {
      expect(ownsItsBuffer(b)).toBe(true);
      expect(Buffer.from(b).toString()).toBe('bcd');
    }
  });

  it('returns scalars and null as they are', () => {
    for (const v of ['abc', '', 0, 42, true, null, undefined, 10n]) expect(withOwnedBytes(v)).toBe(v);
  });

  it(`copies a view nested ${NESTING_LIMIT} levels deep; deeper structure is returned as it is`, () => {
    const at = (levels: number) => innermost(withOwnedBytes(nestedIn(levels, Buffer.from('0123456789').subarray(2, 5))), levels);
    expect(ownsItsBuffer(at(NESTING_LIMIT))).toBe(true);
    expect(ownsItsBuffer(at(NESTING_LIMIT + 1))).toBe(false);
  });

  it('ends on a cyclic value instead of overflowing the stack', () => {
    const cyclic: Record<string, unknown> = { bytes: Buffer.from('xyzw').subarray(1, 3) };
    cyclic.self = cyclic;
    const out = withOwnedBytes(cyclic);
    expect(ownsItsBuffer(out.bytes as Uint8Array)).toBe(true);
  });
});

describe('zeroBytesIn: the call\'s own copy is wiped once answered', () => {
  it('zeroes every Uint8Array in objects and arrays and leaves the rest', () => {
    const a = Uint8Array.from([1, 2, 3]);
    const b = Buffer.from('plaintext');
    const c = Uint8Array.from([4, 5]);
    const value = { a, list: [b, 'keep', 5, null, undefined, [c]], text: 'keep', n: 1, z: null };
    zeroBytesIn(value);
    for (const x of [a, b, c]) expect([...x].every((v) => v === 0)).toBe(true);
    expect(value).toMatchObject({ list: [b, 'keep', 5, null, undefined, [c]], text: 'keep', n: 1, z: null });
  });

  it('zeroes a Uint8Array given directly; accepts scalars and null', () => {
    const a = Uint8Array.from([7, 7]);
    zeroBytesIn(a);
    expect([...a]).toEqual([0, 0]);
    for (const v of ['abc', 0, null, undefined, true]) expect(() => zeroBytesIn(v)).not.toThrow();
  });

  it(`zeroes an array nested ${NESTING_LIMIT} levels deep, not one deeper; a cyclic value ends`, () => {
    const deep = Uint8Array.from([1, 1]);
    const tooDeep = Uint8Array.from([1, 1]);
    zeroBytesIn(nestedIn(NESTING_LIMIT, deep));
    zeroBytesIn(nestedIn(NESTING_LIMIT + 1, tooDeep));
    expect([...deep]).toEqual([0, 0]);
    expect([...tooDeep]).toEqual([1, 1]);
    const cyclic: Record<string, unknown> = { bytes: Uint8Array.from([3]) };
    cyclic.self = cyclic;
    zeroBytesIn(cyclic);
    expect([...(cyclic.bytes as Uint8Array)]).toEqual([0]);
  });
});

describe('releaseBytesIn: the call\'s own copy hands its memory back once wiped', () => {
  it('releases every Uint8Array that owns its buffer, in objects and arrays, and leaves views and the rest', () => {
    const a = new Uint8Array(1024 * 1024);
    const b = Buffer.allocUnsafe(64 * 1024);
    const c = Uint8Array.from([4, 5]);
    const whole = Uint8Array.from([9, 8, 7, 6]);
    const view = whole.subarray(1, 3);
    const value = { a, list: [b, 'keep', 5, null, undefined, [c, view]], text: 'keep', n: 1, z: null };
    releaseBytesIn(value);
    for (const x of [a, b, c]) expect(x.byteLength).toBe(0);
    expect([...view]).toEqual([8, 7]);
    expect([...whole]).toEqual([9, 8, 7, 6]);
    expect(value).toMatchObject({ list: [b, 'keep', 5, null, undefined, [c, view]], text: 'keep', n: 1, z: null });
    for (const v of ['abc', 0, null, undefined, true]) expect(() => releaseBytesIn(v)).not.toThrow();
  });

  it(`releases an array nested ${NESTING_LIMIT} levels deep, not one deeper; a cyclic value ends`, () => {
    const deep = Uint8Array.from([1, 1]);
    const tooDeep = Uint8Array.from([1, 1]);
    releaseBytesIn(nestedIn(NESTING_LIMIT, deep));
    releaseBytesIn(nestedIn(NESTING_LIMIT + 1, tooDeep));
    expect(deep.byteLength).toBe(0);
    expect([...tooDeep]).toEqual([1, 1]);
    const cyclic: Record<string, unknown> = { bytes: Uint8Array.from([3]) };
    cyclic.self = cyclic;
    releaseBytesIn(cyclic);
    expect((cyclic.bytes as Uint8Array).byteLength).toBe(0);
  });
});
