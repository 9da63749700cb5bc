// The emergency delivery frames of docs/provisioning-protocol.md ("Emergency key and orders"), byte for byte: ORDER
// (0x0A, console -> robot: u32 kind 1 order / 2 CRL | bytes content | 32-byte console nonce), ORDER_ACK (0x0B, robot ->
// console: u32 kind | 32-byte SHA-256 of the content | text result | text message | signature), the CERT frame's
// optional emergency key field, and the running sequence numbers of a distribution session that starts with ORDER
// frames. Bad frames give typed errors. The console accepts an ORDER_ACK only with the robot's identity-key signature
// over this session and this item: a forged ack, an ack for another order and an ack replayed from an earlier session
// are refused (forged_ack / replayed_message), audited through refuseOrderAnswer, and nothing is recorded as delivered.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, MessageType, encodeFrame } from '../../electron/station/frame.ts';
import { manualClock } from '../../electron/clock.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { runDistributionSession, type DistributionFailure, type OrderAnswer, type RefusedOrderAnswer } from '../../electron/station/distributeSession.ts';
import { StationError } from '../../electron/station/errors.ts';
import {
  decodeCert, decodeOrder, decodeOrderAck, distributeSeqs, encodeCert, encodeHello, encodeOrder, encodeOrderAck, MAX_ORDER_ITEMS,
  orderAckSignatureInput,
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
  const nonce = randomBytes(32);
  const sig = Buffer.from('signature bytes');

  it('ORDER is u32 kind (1 order, 2 CRL), the content, then the session\'s console nonce, in a frame of type 0x0A', () => {
    expect(encodeOrder({ kind: 'order', content: orderFile, consoleNonce: nonce })).toEqual(fields(1, orderFile, nonce));
    expect(encodeOrder({ kind: 'crl', content: Buffer.from([0x30, 0x03]), consoleNonce: nonce })).toEqual(fields(2, Buffer.from([0x30, 0x03]), nonce));
    expect(decodeOrder(fields(2, 'crl-bytes', nonce))).toEqual({ kind: 'crl', content: Buffer.from('crl-bytes'), consoleNonce: nonce });
    const [ev] = new FrameDecoder().push(encodeFrame({ type: MessageType.ORDER, seq: 0, payload: fields(1, orderFile, nonce) }));
    expect(ev).toMatchObject({ kind: 'frame', frame: { type: 0x0a, seq: 0 } });
  });

  it('ORDER_ACK names the item by kind and SHA-256, with the result, a message and a signature, in a frame of type 0x0B', () => {
    const digest = createHash('sha256').update(orderFile).digest();
    const bytes = fields(1, digest, 'replayed', 'sequence 3 is not above 4', sig);
    expect(encodeOrderAck({ kind: 'order', digest, result: 'replayed', message: 'sequence 3 is not above 4', signature: sig })).toEqual(bytes);
    expect(decodeOrderAck(bytes)).toEqual({ kind: 'order', digest, result: 'replayed', message: 'sequence 3 is not above 4', signature: sig });
    const [ev] = new FrameDecoder().push(encodeFrame({ type: MessageType.ORDER_ACK, seq: 1, payload: bytes }));
    expect(ev).toMatchObject({ kind: 'frame', frame: { type: 0x0b, seq: 1 } });
  });

  it.each([
    ['ORDER truncated', () => decodeOrder(fields(1, orderFile, nonce).subarray(0, 20)), 'malformed ORDER message: field length out of bounds'],
    ['ORDER without its content', () => decodeOrder(fields(1)), 'malformed ORDER message: truncated'],
    ['ORDER without its console nonce', () => decodeOrder(fields(1, orderFile)), 'malformed ORDER message: truncated'],
    ['ORDER with a short console nonce', () => decodeOrder(fields(1, orderFile, randomBytes(31))), 'malformed ORDER message: field must be 32 bytes'],
    ['ORDER of an unknown kind', () => decodeOrder(fields(3, orderFile, nonce)), 'malformed ORDER message: unknown item kind 3'],
    ['ORDER with empty content', () => decodeOrder(fields(1, Buffer.alloc(0), nonce)), 'malformed ORDER message: empty item'],
    ['ORDER over 60 KiB', () => decodeOrder(fields(2, Buffer.alloc(60 * 1024 + 1), nonce)), 'malformed ORDER message: field length out of bounds'],
    ['ORDER with a trailing byte', () => decodeOrder(Buffer.concat([fields(1, orderFile, nonce), Buffer.from([0])])), 'malformed ORDER message: trailing bytes'],
    ['ORDER_ACK with a short digest', () => decodeOrderAck(fields(1, randomBytes(31), 'accepted', '', sig)), 'malformed ORDER_ACK message: field must be 32 bytes'],
    ['ORDER_ACK of an unknown kind', () => decodeOrderAck(fields(0, randomBytes(32), 'accepted', '', sig)), 'malformed ORDER_ACK message: unknown item kind 0'],
    ['ORDER_ACK with a result that is no code', () => decodeOrderAck(fields(1, randomBytes(32), 'Accepted!', '', sig)), 'malformed ORDER_ACK message: result must be accepted or a refusal code'],
    // The result is `[a-z][a-z_]*` as a whole: a code with anything before or after it is not a code either.
    ['ORDER_ACK with a result that only ends as a code', () => decodeOrderAck(fields(1, randomBytes(32), '_accepted', '', sig)), 'malformed ORDER_ACK message: result must be accepted or a refusal code'],
    ['ORDER_ACK with a result that only starts as a code', () => decodeOrderAck(fields(1, randomBytes(32), 'accepted-1', '', sig)), 'malformed ORDER_ACK message: result must be accepted or a refusal code'],
    ['ORDER_ACK with a trailing byte', () => decodeOrderAck(Buffer.concat([fields(1, randomBytes(32), 'accepted', '', sig), Buffer.from([0])])), 'malformed ORDER_ACK message: trailing bytes'],
    ['ORDER_ACK truncated', () => decodeOrderAck(fields(1, randomBytes(32), 'accepted')), 'malformed ORDER_ACK message: truncated'],
    ['ORDER_ACK without a signature (an unsigned, pre-authentication answer)', () => decodeOrderAck(fields(1, randomBytes(32), 'accepted', '')), 'malformed ORDER_ACK message: truncated'],
    ['ORDER_ACK with an empty signature', () => decodeOrderAck(fields(1, randomBytes(32), 'accepted', '', Buffer.alloc(0))), 'malformed ORDER_ACK message: the signature is missing'],
    ['ORDER_ACK with a signature over 1024 bytes', () => decodeOrderAck(fields(1, randomBytes(32), 'accepted', '', Buffer.alloc(1025))), 'malformed ORDER_ACK message: field length out of bounds'],
  ])('%s: bad_frame', (_name, decode, message) => {
    expect(codeOf(decode)).toEqual({ code: 'bad_frame', message });
  });

  it('refuses to encode an empty or oversized item (frame_oversize): it would not fit a frame', () => {
    // The message names the kind, the size and the 1..61,440-byte range of an ORDER's content (the operator reads it).
    expect(codeOf(() => encodeOrder({ kind: 'crl', content: Buffer.alloc(60 * 1024 + 1), consoleNonce: nonce }))).toEqual({
      code: 'frame_oversize', message: 'a CRL of 61441 bytes does not fit an ORDER frame (1..61440)',
    });
    expect(codeOf(() => encodeOrder({ kind: 'order', content: Buffer.alloc(0), consoleNonce: nonce }))).toEqual({
      code: 'frame_oversize', message: 'an order of 0 bytes does not fit an ORDER frame (1..61440)',
    });
    expect(encodeOrder({ kind: 'crl', content: Buffer.alloc(60 * 1024), consoleNonce: nonce })).toHaveLength(4 + 4 + 4 + 60 * 1024 + 4 + 32);
  });

  it('a frame whose type byte is no known type is an unknown_type error, not an order', () => {
    const raw = encodeFrame({ type: MessageType.ORDER, seq: 0, payload: fields(1, orderFile, nonce) });
    raw[3] = 0x3c; // no frame type (docs/provisioning-protocol.md lists 0x01-0x0e and 0x7f)
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
    expect([s.bundle, s.done]).toEqual([2, 3]);
    expect([s.ack(0), s.ack(1), s.installed]).toEqual([1, 2, 3]);
    const none = distributeSeqs(0);
    expect([none.bundle, none.installed, none.done]).toEqual([0, 1, 1]);
  });

  it('with chunked items the console numbers every frame it sent: 2 items in 9 frames put BUNDLE at 9 and DONE at 10', () => {
    const s = distributeSeqs(2, 9);
    expect([s.bundle, s.done, s.ack(0), s.ack(1), s.installed]).toEqual([9, 10, 1, 2, 3]);
  });
});

/** The robot's identity key pair (EC P-256, signatures ECDSA-SHA256 DER as protocol v1 makes them). */
const robotKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const KIND_CODE = { order: 1, crl: 2 } as const;
/** The signed bytes of an ORDER_ACK, from the documented layout (written here, not taken from protocol.ts). */
function ackInput(a: { deviceId: string; robotNonce: Buffer; consoleNonce: Buffer; index: number; kind: 'order' | 'crl'; digest: Buffer; result: string; message: string }): Buffer {
  return fields('ECPS-ORDER-ACK-v1', a.deviceId, a.robotNonce, a.consoleNonce, a.index, KIND_CODE[a.kind], a.digest, a.result, a.message);
}
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();

describe('the ORDER_ACK signature input', () => {
  it('is fields("ECPS-ORDER-ACK-v1", device id, robot nonce, console nonce, u32 index, u32 kind, digest, result, message)', () => {
    const a = { deviceId: 'R-1', robotNonce: randomBytes(32), consoleNonce: randomBytes(32), index: 2, kind: 'crl' as const, digest: randomBytes(32), result: 'crl_stale', message: 'CRL 3 is not above 4' };
    expect(orderAckSignatureInput(a)).toEqual(ackInput(a));
    // The message is signed as sent: cut to 200 characters.
    expect(orderAckSignatureInput({ ...a, message: 'x'.repeat(300) })).toEqual(ackInput({ ...a, message: 'x'.repeat(200) }));
  });
});

describe('the console side of the orders step (runDistributionSession over an in-memory cable)', () => {
  interface Seen { consoleNonce: Buffer; robotNonce: Buffer; content: Buffer }
  /**
   * A robot that says HELLO (with `robotNonce`), then answers the first ORDER with the frame payload `ack(seen)` and
   * waits for the console's verdict. The console knows the robot by `identity` (its certificate's key).
   */
  async function session(ack: (seen: Seen) => Buffer, o: { robotNonce?: Buffer; identity?: KeyObject | null } = {}) {
    const cable = memoryCable();
    const answers: OrderAnswer[] = [];
    const refused: RefusedOrderAnswer[] = [];
    const failures: DistributionFailure[] = [];
    const item = { kind: 'order' as const, content: Buffer.from('order file bytes'), ref: 7 };
    const run = runDistributionSession(cable.consoleChannel, {
      isKnownRobot: () => true,
      orderItems: () => [item],
      recordOrderAnswer: (a) => void answers.push(a),
      refuseOrderAnswer: (r) => void refused.push(r),
      robotIdentityKey: () => (o.identity === undefined ? robotKeys.publicKey : o.identity),
      issueBundle: () => Promise.reject(new StationError('not_provisioned', 'orders only')),
      commitInstalled: () => undefined,
      recordFailure: (f) => void failures.push(f),
    }, { port: '/dev/ttyACM0', clock: manualClock(), logger: createMemoryLogger(), stepTimeoutMs: 2000 });
    const robotNonce = o.robotNonce ?? randomBytes(32);
    await cable.robotChannel.send({ type: MessageType.HELLO, seq: 0, payload: encodeHello({ deviceId: 'R-1', robotNonce, firmware: 'fw' }) });
    const received = await cable.robotChannel.receive(2000, 'ORDER').catch(() => null);
    const got = received?.frame.type === MessageType.ORDER ? received : null;
    if (got) {
      expect(got.frame.seq).toBe(0);
      const order = decodeOrder(got.frame.payload);
      await cable.robotChannel.send({ type: MessageType.ORDER_ACK, seq: 1, payload: ack({ consoleNonce: order.consoleNonce, robotNonce, content: order.content }) });
    }
    return { result: await run, answers, refused, failures, orderSent: got !== null };
  }
  /** The genuine robot's answer to what it saw: its key signs this session's nonces, item 0 and the answer. */
  const signedAck = (s: Seen, a: { kind?: 'order' | 'crl'; digest?: Buffer; result?: string; message?: string; key?: KeyObject } = {}) => {
    const body = { kind: a.kind ?? ('order' as const), digest: a.digest ?? sha256(s.content), result: a.result ?? 'accepted', message: a.message ?? '' };
    const signature = sign('sha256', ackInput({ deviceId: 'R-1', robotNonce: s.robotNonce, consoleNonce: s.consoleNonce, index: 0, ...body }), a.key ?? robotKeys.privateKey);
    return encodeOrderAck({ ...body, signature });
  };

  it('records a signed answer to an item and goes on to the bundle', async () => {
    const out = await session((s) => signedAck(s, { result: 'expired', message: 'expired at ...' }));
    expect(out.answers).toEqual([{ port: '/dev/ttyACM0', deviceId: 'R-1', kind: 'order', ref: 7, result: 'expired', message: 'expired at ...' }]);
    expect(out.refused).toEqual([]);
    expect(out.result).toMatchObject({ ok: false, step: 'bundle', error: { code: 'not_provisioned' } });
  });

  it('sends a fresh console nonce each session (what makes an earlier session\'s ack worthless)', async () => {
    const nonces: Buffer[] = [];
    for (let i = 0; i < 2; i++) await session((s) => (nonces.push(s.consoleNonce), signedAck(s)));
    expect(nonces).toHaveLength(2);
    expect(nonces[0]?.equals(nonces[1] ?? Buffer.alloc(0))).toBe(false);
  });

  it.each([
    ['signed by another key (a forger on the link)', (s: Seen) => signedAck(s, { key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey })],
    ['with a signature that is not one (random bytes)', (s: Seen) => encodeOrderAck({ kind: 'order', digest: sha256(s.content), result: 'accepted', message: '', signature: randomBytes(70) })],
    ['whose signed answer was changed on the way (refused -> accepted)', (s: Seen) => {
      const genuine = decodeOrderAck(signedAck(s, { result: 'out_of_scope' }));
      return encodeOrderAck({ ...genuine, result: 'accepted' });
    }],
    ['signed over another console nonce', (s: Seen) => signedAck({ ...s, consoleNonce: randomBytes(32) })],
    ['signed over another robot nonce', (s: Seen) => signedAck({ ...s, robotNonce: randomBytes(32) })],
  ])('refuses an ORDER_ACK %s: forged_ack, audited, nothing recorded (the order stays pending)', async (_name, ack) => {
    const out = await session(ack);
    expect(out.answers).toEqual([]);
    expect(out.refused).toEqual([{ port: '/dev/ttyACM0', deviceId: 'R-1', kind: 'order', ref: 7, code: 'forged_ack', message: expect.stringContaining('not signed by R-1') }]);
    expect(out.result).toMatchObject({ ok: false, step: 'orders', error: { code: 'forged_ack', details: { reason: 'ack_signature_invalid' } } });
    expect(out.failures[0]).toMatchObject({ step: 'orders', code: 'forged_ack', deviceId: 'R-1' });
  });

  it('refuses an ORDER_ACK replayed from an earlier session (its signature covers that session\'s console nonce)', async () => {
    let recorded: Buffer | null = null;
    const robotNonce = randomBytes(32);
    const first = await session((s) => (recorded = signedAck(s)), { robotNonce });
    expect(first.answers).toHaveLength(1);
    // The same robot nonce too (a whole earlier session replayed, HELLO included): only the console nonce differs.
    const replay = await session(() => recorded ?? Buffer.alloc(0), { robotNonce });
    expect(replay.answers).toEqual([]);
    expect(replay.refused).toMatchObject([{ code: 'forged_ack', ref: 7 }]);
    expect(replay.result).toMatchObject({ ok: false, step: 'orders', error: { code: 'forged_ack' } });
  });

  it('refuses a signed ORDER_ACK that answers another order (digest or kind): replayed_message, audited, nothing recorded', async () => {
    const other = await session((s) => signedAck(s, { digest: sha256(Buffer.from('another order file')) }));
    expect(other.answers).toEqual([]);
    expect(other.refused).toMatchObject([{ code: 'replayed_message', kind: 'order', ref: 7 }]);
    expect(other.result).toMatchObject({ ok: false, step: 'orders', error: { code: 'replayed_message', details: { reason: 'ack_for_another_item' } } });
    const kind = await session((s) => signedAck(s, { kind: 'crl' }));
    expect(kind.answers).toEqual([]);
    expect(kind.failures[0]).toMatchObject({ step: 'orders', code: 'replayed_message', deviceId: 'R-1' });
    expect(kind.result).toMatchObject({ error: { message: 'the ORDER_ACK answers another crl: replay refused' } });
  });

  it('sends no item to a robot without a certificate (its answer could not be authenticated): not_provisioned', async () => {
    const out = await session((s) => signedAck(s), { identity: null });
    expect(out.orderSent).toBe(false);
    expect(out.result).toMatchObject({ ok: false, step: 'orders', error: { code: 'not_provisioned' } });
  });

  /** A robot that acknowledges every ORDER rightly (signed) until the console sends something else; counts the ORDERs. */
  async function ackingRobot(items: Array<{ kind: 'order' | 'crl'; content: Buffer; ref: number }>, o: { record?: boolean; silent?: boolean } = {}) {
    const cable = memoryCable();
    const answers: OrderAnswer[] = [];
    const failures: DistributionFailure[] = [];
    const run = runDistributionSession(cable.consoleChannel, {
      isKnownRobot: () => true,
      orderItems: () => items,
      robotIdentityKey: () => robotKeys.publicKey,
      ...(o.record === false ? {} : { recordOrderAnswer: (a: OrderAnswer) => void answers.push(a) }),
      issueBundle: () => Promise.reject(new StationError('not_provisioned', 'orders only')),
      commitInstalled: () => undefined,
      recordFailure: (f) => void failures.push(f),
    }, { port: '/dev/ttyACM0', clock: manualClock(), logger: createMemoryLogger(), stepTimeoutMs: o.silent ? 200 : 2000 });
    const robotNonce = randomBytes(32);
    await cable.robotChannel.send({ type: MessageType.HELLO, seq: 0, payload: encodeHello({ deviceId: 'R-1', robotNonce, firmware: 'fw' }) });
    let orders = 0;
    for (;;) {
      const got = await cable.robotChannel.receive(2000, 'a frame').catch(() => null);
      if (!got || got.frame.type !== MessageType.ORDER) break;
      orders += 1;
      if (o.silent) continue;
      const { content, consoleNonce } = decodeOrder(got.frame.payload);
      const body = { kind: 'order' as const, digest: sha256(content), result: 'accepted', message: '' };
      const signature = sign('sha256', ackInput({ deviceId: 'R-1', robotNonce, consoleNonce, index: orders - 1, ...body }), robotKeys.privateKey);
      await cable.robotChannel.send({ type: MessageType.ORDER_ACK, seq: orders, payload: encodeOrderAck({ ...body, signature }) });
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
