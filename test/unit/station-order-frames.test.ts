// The emergency delivery frames of docs/provisioning-protocol.md ("Emergency key and orders"), byte for byte: ORDER
// (0x0A, console -> robot: u32 kind 1 order / 2 CRL | bytes content), ORDER_ACK (0x0B, robot -> console: u32 kind |
// 32-byte SHA-256 of the content | text result | text message), the CERT frame's optional emergency key field, and
// the running sequence numbers of a distribution session that starts with ORDER frames. Bad frames give typed errors.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, MessageType, encodeFrame } from '../../electron/station/frame.ts';
import { manualClock } from '../../electron/clock.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { runDistributionSession, type DistributionFailure, type OrderAnswer } from '../../electron/station/distributeSession.ts';
import { StationError } from '../../electron/station/errors.ts';
import {
  decodeCert, decodeOrder, decodeOrderAck, distributeSeqs, encodeCert, encodeHello, encodeOrder, encodeOrderAck, MAX_ORDER_ITEMS,
} from '../../electron/station/protocol.ts';
import { memoryCable } from './station-link-kit.ts';

/** The documented field encoding, written here independently: u32 BE length | bytes; an integer is a 4-byte field. */
function fields(...parts: Array<Buffer | string | number>): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) {
    const bytes = typeof p === 'number' ? Buffer.from([p >>> 24, (p >>> 16) & 0xff, (p >>> 8) & 0xff, p & 0xff]) : typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    out.push(len, bytes);
  }
  return Buffer.concat(out);
}

const codeOf = (fn: () => unknown): { code: string; message: string } => {
  try {
    fn();
  } catch (e) {
    return { code: (e as { code: string }).code, message: (e as Error).message };
  }
  return { code: 'none', message: '' };
};

describe('ORDER and ORDER_ACK frames', () => {
  const orderFile = Buffer.from('{"format":"ECPS-LOCKDOWN-v1","body":"e30=","signature":"AA=="}');

  it('ORDER is u32 kind (1 order, 2 CRL) then the content as one field, in a frame of type 0x0A', () => {
    expect(encodeOrder({ kind: 'order', content: orderFile })).toEqual(fields(1, orderFile));
    expect(encodeOrder({ kind: 'crl', content: Buffer.from([0x30, 0x03]) })).toEqual(fields(2, Buffer.from([0x30, 0x03])));
    expect(decodeOrder(fields(2, 'crl-bytes'))).toEqual({ kind: 'crl', content: Buffer.from('crl-bytes') });
    const [ev] = new FrameDecoder().push(encodeFrame({ type: MessageType.ORDER, seq: 0, payload: fields(1, orderFile) }));
    expect(ev).toMatchObject({ kind: 'frame', frame: { type: 0x0a, seq: 0 } });
  });

  it('ORDER_ACK names the item by kind and SHA-256, with the result and a message, in a frame of type 0x0B', () => {
    const digest = createHash('sha256').update(orderFile).digest();
    const bytes = fields(1, digest, 'replayed', 'sequence 3 is not above 4');
    expect(encodeOrderAck({ kind: 'order', digest, result: 'replayed', message: 'sequence 3 is not above 4' })).toEqual(bytes);
    expect(decodeOrderAck(bytes)).toEqual({ kind: 'order', digest, result: 'replayed', message: 'sequence 3 is not above 4' });
    const [ev] = new FrameDecoder().push(encodeFrame({ type: MessageType.ORDER_ACK, seq: 1, payload: bytes }));
    expect(ev).toMatchObject({ kind: 'frame', frame: { type: 0x0b, seq: 1 } });
  });

  it.each([
    ['ORDER truncated', () => decodeOrder(fields(1, orderFile).subarray(0, 20)), 'malformed ORDER message: field length out of bounds'],
    ['ORDER without its content', () => decodeOrder(fields(1)), 'malformed ORDER message: truncated'],
    ['ORDER of an unknown kind', () => decodeOrder(fields(3, orderFile)), 'malformed ORDER message: unknown item kind 3'],
    ['ORDER with empty content', () => decodeOrder(fields(1, Buffer.alloc(0))), 'malformed ORDER message: empty item'],
    ['ORDER over 60 KiB', () => decodeOrder(fields(2, Buffer.alloc(60 * 1024 + 1))), 'malformed ORDER message: field length out of bounds'],
    ['ORDER with a trailing byte', () => decodeOrder(Buffer.concat([fields(1, orderFile), Buffer.from([0])])), 'malformed ORDER message: trailing bytes'],
    ['ORDER_ACK with a short digest', () => decodeOrderAck(fields(1, randomBytes(31), 'accepted', '')), 'malformed ORDER_ACK message: field must be 32 bytes'],
    ['ORDER_ACK of an unknown kind', () => decodeOrderAck(fields(0, randomBytes(32), 'accepted', '')), 'malformed ORDER_ACK message: unknown item kind 0'],
    ['ORDER_ACK with a result that is no code', () => decodeOrderAck(fields(1, randomBytes(32), 'Accepted!', '')), 'malformed ORDER_ACK message: result must be accepted or a refusal code'],
    ['ORDER_ACK truncated', () => decodeOrderAck(fields(1, randomBytes(32), 'accepted')), 'malformed ORDER_ACK message: truncated'],
  ])('%s: bad_frame', (_name, decode, message) => {
    expect(codeOf(decode)).toEqual({ code: 'bad_frame', message });
  });

  it('refuses to encode an empty or oversized item (frame_oversize): it would not fit a frame', () => {
    expect(codeOf(() => encodeOrder({ kind: 'crl', content: Buffer.alloc(60 * 1024 + 1) })).code).toBe('frame_oversize');
    expect(codeOf(() => encodeOrder({ kind: 'order', content: Buffer.alloc(0) })).code).toBe('frame_oversize');
    expect(encodeOrder({ kind: 'crl', content: Buffer.alloc(60 * 1024) })).toHaveLength(4 + 4 + 4 + 60 * 1024);
  });

  it('a frame whose type byte is no known type is an unknown_type error, not an order', () => {
    const raw = encodeFrame({ type: MessageType.ORDER, seq: 0, payload: fields(1, orderFile) });
    raw[3] = 0x0c;
    raw.writeUInt32BE(crc32(raw.subarray(0, raw.length - 4)), raw.length - 4);
    expect(new FrameDecoder().push(raw).map((e) => (e.kind === 'error' ? e.error.code : e.kind))).toEqual(['unknown_type']);
  });
});

describe('the emergency key in CERT', () => {
  const spki = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' });

  it('is an optional last field after the chain: absent for old consoles, present with an RSA SubjectPublicKeyInfo', () => {
    expect(encodeCert({ certDer: Buffer.from('c'), chainDer: [Buffer.from('ca')], emergencyKeyDer: spki })).toEqual(fields('c', 1, 'ca', spki));
    expect(decodeCert(fields('c', 1, 'ca', spki))).toEqual({ certDer: Buffer.from('c'), chainDer: [Buffer.from('ca')], emergencyKeyDer: spki });
    expect(decodeCert(fields('c', 0))).toEqual({ certDer: Buffer.from('c'), chainDer: [] });
  });

  it('refuses a field that is not an RSA public key (an EC key, garbage) or that is oversized', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });
    expect(codeOf(() => decodeCert(fields('c', 0, ec)))).toEqual({ code: 'bad_frame', message: 'malformed CERT message: the emergency key is not an RSA SubjectPublicKeyInfo' });
    expect(codeOf(() => decodeCert(fields('c', 0, 'garbage'))).code).toBe('bad_frame');
    expect(codeOf(() => decodeCert(fields('c', 0, Buffer.alloc(2049)))).message).toBe('malformed CERT message: field length out of bounds');
  });
});

describe('sequence numbers of a distribution session with ORDER frames', () => {
  it('the console counts ORDER 0..n-1, BUNDLE n, DONE n+1; the robot HELLO 0, ORDER_ACK 1..n, INSTALLED n+1', () => {
    const s = distributeSeqs(2);
    expect([s.order(0), s.order(1), s.bundle, s.done]).toEqual([0, 1, 2, 3]);
    expect([s.ack(0), s.ack(1), s.installed]).toEqual([1, 2, 3]);
    const none = distributeSeqs(0);
    expect([none.bundle, none.installed, none.done]).toEqual([0, 1, 1]);
  });
});

describe('the console side of the orders step (runDistributionSession over an in-memory cable)', () => {
  /** A robot that says HELLO, then answers the first ORDER with `ack(content)` and waits for the console's verdict. */
  async function session(ack: (content: Buffer) => Buffer) {
    const cable = memoryCable();
    const answers: OrderAnswer[] = [];
    const failures: DistributionFailure[] = [];
    const item = { kind: 'order' as const, content: Buffer.from('order file bytes'), ref: 7 };
    const run = runDistributionSession(cable.consoleChannel, {
      isKnownRobot: () => true,
      orderItems: () => [item],
      recordOrderAnswer: (a) => void answers.push(a),
      issueBundle: () => Promise.reject(new StationError('not_provisioned', 'orders only')),
      commitInstalled: () => undefined,
      recordFailure: (f) => void failures.push(f),
    }, { port: '/dev/ttyACM0', clock: manualClock(), logger: createMemoryLogger(), stepTimeoutMs: 2000 });
    await cable.robotChannel.send({ type: MessageType.HELLO, seq: 0, payload: encodeHello({ deviceId: 'R-1', robotNonce: randomBytes(32), firmware: 'fw' }) });
    const got = await cable.robotChannel.receive(2000, 'ORDER');
    expect(got.frame).toMatchObject({ type: MessageType.ORDER, seq: 0 });
    await cable.robotChannel.send({ type: MessageType.ORDER_ACK, seq: 1, payload: ack(decodeOrder(got.frame.payload).content) });
    return { result: await run, answers, failures };
  }

  it('records the answer to an item and goes on to the bundle', async () => {
    const out = await session((content) => encodeOrderAck({ kind: 'order', digest: createHash('sha256').update(content).digest(), result: 'expired', message: 'expired at ...' }));
    expect(out.answers).toEqual([{ port: '/dev/ttyACM0', deviceId: 'R-1', kind: 'order', ref: 7, result: 'expired', message: 'expired at ...' }]);
    expect(out.result).toMatchObject({ ok: false, step: 'bundle', error: { code: 'not_provisioned' } });
  });

  it('refuses an ORDER_ACK that names another item (digest or kind) as replayed_message, recording no answer', async () => {
    const other = await session(() => encodeOrderAck({ kind: 'order', digest: randomBytes(32), result: 'accepted', message: '' }));
    expect(other.answers).toEqual([]);
    expect(other.result).toMatchObject({ ok: false, step: 'orders', error: { code: 'replayed_message' } });
    const kind = await session((content) => encodeOrderAck({ kind: 'crl', digest: createHash('sha256').update(content).digest(), result: 'accepted', message: '' }));
    expect(kind.answers).toEqual([]);
    expect(kind.failures[0]).toMatchObject({ step: 'orders', code: 'replayed_message', deviceId: 'R-1' });
    expect(kind.result).toMatchObject({ error: { message: 'the ORDER_ACK answers another crl: replay refused' } });
  });

  /** A robot that acknowledges every ORDER rightly until the console sends something else; counts the ORDERs. */
  async function ackingRobot(items: Array<{ kind: 'order' | 'crl'; content: Buffer; ref: number }>, o: { record?: boolean; silent?: boolean } = {}) {
    const cable = memoryCable();
    const answers: OrderAnswer[] = [];
    const failures: DistributionFailure[] = [];
    const run = runDistributionSession(cable.consoleChannel, {
      isKnownRobot: () => true,
      orderItems: () => items,
      ...(o.record === false ? {} : { recordOrderAnswer: (a: OrderAnswer) => void answers.push(a) }),
      issueBundle: () => Promise.reject(new StationError('not_provisioned', 'orders only')),
      commitInstalled: () => undefined,
      recordFailure: (f) => void failures.push(f),
    }, { port: '/dev/ttyACM0', clock: manualClock(), logger: createMemoryLogger(), stepTimeoutMs: o.silent ? 200 : 2000 });
    await cable.robotChannel.send({ type: MessageType.HELLO, seq: 0, payload: encodeHello({ deviceId: 'R-1', robotNonce: randomBytes(32), firmware: 'fw' }) });
    let orders = 0;
    for (;;) {
      const got = await cable.robotChannel.receive(2000, 'a frame').catch(() => null);
      if (!got || got.frame.type !== MessageType.ORDER) break;
      orders += 1;
      if (o.silent) continue;
      const content = decodeOrder(got.frame.payload).content;
      await cable.robotChannel.send({ type: MessageType.ORDER_ACK, seq: orders, payload: encodeOrderAck({ kind: 'order', digest: createHash('sha256').update(content).digest(), result: 'accepted', message: '' }) });
    }
    return { result: await run, answers, failures, orders };
  }

  it(`sends at most ${MAX_ORDER_ITEMS} items in one session (the rest wait for the next visit)`, async () => {
    const items = Array.from({ length: MAX_ORDER_ITEMS + 1 }, (_, i) => ({ kind: 'order' as const, content: Buffer.from(`order ${i}`), ref: i }));
    const out = await ackingRobot(items);
    expect(out.orders).toBe(16);
    expect(out.answers.map((a) => a.ref)).toEqual(items.slice(0, 16).map((i) => i.ref));
    expect(out.result).toMatchObject({ ok: false, step: 'bundle' });
  });

  it('goes on to the bundle when the console records no answers (the dependency is optional)', async () => {
    const out = await ackingRobot([{ kind: 'order', content: Buffer.from('one order'), ref: 1 }], { record: false });
    expect([out.orders, out.answers.length]).toEqual([1, 0]);
    expect(out.result).toMatchObject({ ok: false, step: 'bundle', error: { code: 'not_provisioned' } });
  });

  it('a robot that never acknowledges fails the orders step with a timeout naming ORDER_ACK', async () => {
    const out = await ackingRobot([{ kind: 'order', content: Buffer.from('one order'), ref: 1 }], { silent: true });
    expect(out.orders).toBe(1);
    expect(out.result).toMatchObject({ ok: false, step: 'orders', error: { code: 'timeout', message: expect.stringContaining('ORDER_ACK') } });
  });
});
