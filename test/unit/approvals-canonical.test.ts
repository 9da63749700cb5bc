// Canonical JSON of a request's input (docs/two-person-control.md, "A request"): the rules written in the docs, each
// checked against a literal expected text.
import { describe, expect, it } from 'vitest';
import { canonicalJson, parseCanonical, sha256Hex } from '../../electron/services/approvals/canonical.ts';

describe('canonical JSON', () => {
  const CASES: Array<[string, unknown, string]> = [
    ['keys sorted, no whitespace', { state: 'destroyed', keyId: 'k', reason: 'r' }, '{"keyId":"k","reason":"r","state":"destroyed"}'],
    ['nested objects sorted too', { policy: { ttlSeconds: 60, action: 'key.destroy' } }, '{"policy":{"action":"key.destroy","ttlSeconds":60}}'],
    ['undefined fields left out', { a: 1, b: undefined }, '{"a":1}'],
    ['arrays keep their order', { roles: ['admin', 'viewer'] }, '{"roles":["admin","viewer"]}'],
    ['bytes as base64', { data: new Uint8Array([1, 2, 3]) }, '{"data":{"$bytes":"AQID"}}'],
    ['strings escaped as JSON', { reason: 'a "quote"\n' }, '{"reason":"a \\"quote\\"\\n"}'],
    ['null, booleans, numbers', { n: null, t: true, x: 1.5 }, '{"n":null,"t":true,"x":1.5}'],
  ];
  for (const [what, value, text] of CASES) it(what, () => expect(canonicalJson(value)).toBe(text));

  it('the same input in another key order hashes the same; any change hashes differently', () => {
    const a = sha256Hex(canonicalJson({ keyId: 'k', state: 'destroyed', reason: 'r' }));
    expect(sha256Hex(canonicalJson({ reason: 'r', state: 'destroyed', keyId: 'k' }))).toBe(a);
    expect(sha256Hex(canonicalJson({ keyId: 'k', state: 'destroyed', reason: 'r ' }))).not.toBe(a);
    // SHA-256 of the literal canonical text, computed independently of canonicalJson.
    expect(a).toBe(sha256Hex('{"keyId":"k","reason":"r","state":"destroyed"}'));
  });

  it('reads its own text back, bytes as a Buffer', () => {
    const value = { data: Buffer.from('hello'), n: 1 };
    expect(parseCanonical(canonicalJson(value))).toEqual(value);
  });

  it('refuses what it cannot encode the same way twice', () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(TypeError);
  });
});
