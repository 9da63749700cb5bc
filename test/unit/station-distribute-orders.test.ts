// The orders step of a distribution session (electron/station/distributeSession.ts) with an item too large for one
// ORDER frame, over an in-memory cable, the robot's side written here from docs/provisioning-protocol.md ("Emergency
// key and orders", "Chunked items", "Key bundles over the serial link"): the console numbers every frame it sends
// (one per ORDER_CHUNK), each ORDER_ACK is numbered i + 1 and signed over its 0-based index, the BUNDLE goes at the
// count of frames sent, INSTALLED at n + 1 and DONE after BUNDLE. Every frame is read back field by field here, and
// the MACs are computed here from the documented formulas. What the console keeps of an item (the CRL's CA, what the
// Station screen says of it) travels with the recorded answer and with a refused one.
import { createHash, createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import {
  runDistributionSession, type DistributionDeps, type DistributionFailure, type InstalledRecord, type OrderAnswer, type OrderItemForLink, type RefusedOrderAnswer,
} from '../../electron/station/distributeSession.ts';
import { MessageType, type Frame } from '../../electron/station/frame.ts';
import { fields, memoryCable } from './station-link-kit.ts';

const ID = 'R-31';
const PORT = '/dev/ttyACM3';
const KIND = { order: 1, crl: 2 } as const;
/** "Chunked items": every chunk but the last carries exactly 61,440 bytes. */
const CHUNK = 61_440;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();
const robotKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

/** The fields of a payload (each u32 BE length | bytes), read here without the console's decoder. */
function readFields(p: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < p.length;) {
    const len = p.readUInt32BE(at);
    out.push(p.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return out;
}

interface Item { kind: 'order' | 'crl'; content: Buffer; consoleNonce: Buffer; frames: Frame[] }

/**
 * The robot: HELLO, then for each expected item reads its ORDER or ORDER_CHUNK frames (reassembled here), answers
 * `ack(i, item)`'s result signed over the documented input (or `forge` instead), then takes the bundle and sends the
 * genuine INSTALLED for it, and reads DONE.
 */
async function robot(ch: ReturnType<typeof memoryCable>['robotChannel'], items: number, o: { forge?: number; kb?: Buffer; bundleId?: Buffer; sequence?: number } = {}) {
  const robotNonce = randomBytes(32);
  await ch.send({ type: MessageType.HELLO, seq: 0, payload: fields(ID, robotNonce, 'fw-3') });
  const got: Item[] = [];
  for (let i = 0; i < items; i++) {
    const frames: Frame[] = [];
    let item: Item | null = null;
    const parts: Buffer[] = [];
    while (!item) {
      const f = (await ch.receive(5000, 'ORDER')).frame;
      frames.push(f);
      const x = readFields(f.payload);
      if (f.type === MessageType.ORDER) {
        item = { kind: x[0]!.readUInt32BE(0) === 1 ? 'order' : 'crl', content: x[1]!, consoleNonce: x[2]!, frames };
      } else {
        expect(f.type).toBe(MessageType.ORDER_CHUNK);
        const [kind, index, total, length, digest, nonce, data] = x;
        expect(index!.readUInt32BE(0)).toBe(parts.length);
        parts.push(data!);
        if (parts.length === total!.readUInt32BE(0)) {
          const content = Buffer.concat(parts);
          expect([content.length, sha256(content).equals(digest!)]).toEqual([length!.readUInt32BE(0), true]);
          item = { kind: kind!.readUInt32BE(0) === 1 ? 'order' : 'crl', content, consoleNonce: nonce!, frames };
        }
      }
    }
    got.push(item);
    const result = 'accepted';
    const message = `item ${i}`;
    const digest = sha256(item.content);
    const input = fields('ECPS-ORDER-ACK-v1', ID, robotNonce, item.consoleNonce, i, KIND[item.kind], digest, result, message);
    const signature = o.forge === i ? sign('sha256', input, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey) : sign('sha256', input, robotKeys.privateKey);
    await ch.send({ type: MessageType.ORDER_ACK, seq: i + 1, payload: fields(KIND[item.kind], digest, result, message, signature) });
    if (o.forge === i) return { got, rest: [] as Frame[] };
  }
  const rest: Frame[] = [];
  const bundle = (await ch.receive(5000, 'BUNDLE')).frame;
  rest.push(bundle);
  const file = readFields(bundle.payload)[0]!;
  const mac = createHmac('sha256', o.kb!).update('ECPS-KEYBUNDLE-v1 installed').update(sha256(file)).digest();
  await ch.send({ type: MessageType.INSTALLED, seq: items + 1, payload: fields(o.bundleId!, o.sequence!, mac) });
  rest.push((await ch.receive(5000, 'DONE')).frame);
  return { got, rest, mac, file };
}

async function session(items: OrderItemForLink[], o: { forge?: number; without?: Array<keyof DistributionDeps> } = {}) {
  const cable = memoryCable();
  const answers: OrderAnswer[] = [];
  const refused: RefusedOrderAnswer[] = [];
  const failures: DistributionFailure[] = [];
  const commits: InstalledRecord[] = [];
  const kb = randomBytes(32);
  const bundleId = randomBytes(16);
  const sequence = 12;
  const file = Buffer.from('a signed bundle file');
  const deps: DistributionDeps = {
    isKnownRobot: (id) => id === ID,
    orderItems: () => items,
    robotIdentityKey: (id) => (id === ID ? robotKeys.publicKey : null),
    recordOrderAnswer: (a) => void answers.push(a),
    refuseOrderAnswer: (r) => void refused.push(r),
    issueBundle: async (_id, reserved) => {
      reserved(sequence);
      return { sequence, bundleId: bundleId.toString('hex'), file, keyVersions: [{ keyId: 'comm-R-31', version: 1 }], kb: Buffer.from(kb) };
    },
    commitInstalled: (r) => void commits.push(r),
    recordFailure: (f) => void failures.push(f),
  };
  for (const k of o.without ?? []) delete deps[k];
  const run = runDistributionSession(cable.consoleChannel, deps, { port: PORT, clock: manualClock(), logger: createMemoryLogger(), stepTimeoutMs: 5000 });
  const robotSide = await robot(cable.robotChannel, items.length, { ...o, kb, bundleId, sequence });
  const result = await run;
  cable.unplug();
  return { result, answers, refused, failures, commits, kb, ...robotSide };
}

describe('an item over 60 KiB in a distribution session (docs: "Chunked items")', () => {
  // 2 full chunks and 5 bytes: ceil(122,885 / 61,440) = 3 chunks.
  const crl = Buffer.concat([Buffer.from('a large CRL '), randomBytes(2 * CHUNK + 5 - 12)]);
  const order = Buffer.from('{"format":"ECPS-LOCKDOWN-v1"}');
  const items: OrderItemForLink[] = [
    { kind: 'crl', content: crl, ref: 41, caId: 'ca-2', about: { ca: 'current' } },
    { kind: 'order', content: order, ref: 9, about: { orderKind: 'lockdown', scope: 'robot R-31' } },
  ];

  it('goes as ORDER_CHUNK 0, 1, 2 (61,440 + 61,440 + 5 bytes), the next item as ORDER 3, BUNDLE 4 and DONE 5', async () => {
    const out = await session(items);
    expect(out.result).toMatchObject({ ok: true, deviceId: ID, sequence: 12 });
    // What the robot reassembled is the item, byte for byte; both items carry the same console nonce.
    expect(out.got.map((g) => [g.kind, g.content.equals(items[out.got.indexOf(g)]!.content)])).toEqual([['crl', true], ['order', true]]);
    expect(out.got[0]!.consoleNonce.equals(out.got[1]!.consoleNonce)).toBe(true);
    expect(out.got.map((g) => g.frames.map((f) => [f.type, f.seq]))).toEqual([
      [[MessageType.ORDER_CHUNK, 0], [MessageType.ORDER_CHUNK, 1], [MessageType.ORDER_CHUNK, 2]],
      [[MessageType.ORDER, 3]],
    ]);
    expect(out.got[0]!.frames.map((f) => readFields(f.payload)[6]!.length)).toEqual([CHUNK, CHUNK, 5]);
    expect(out.rest.map((f) => [f.type, f.seq])).toEqual([[MessageType.BUNDLE, 4], [MessageType.DONE, 5]]);
    expect(readFields(out.rest[1]!.payload)).toEqual([createHmac('sha256', out.kb).update('ECPS-KEYBUNDLE-v1 console-done').update(sha256(out.file!)).update(out.mac!).digest()]);
    // Each answer is recorded with what the console keeps of its item (the CRL's CA, what the screen says of it).
    expect(out.answers).toStrictEqual([
      { port: PORT, deviceId: ID, kind: 'crl', ref: 41, caId: 'ca-2', about: { ca: 'current' }, result: 'accepted', message: 'item 0' },
      { port: PORT, deviceId: ID, kind: 'order', ref: 9, about: { orderKind: 'lockdown', scope: 'robot R-31' }, result: 'accepted', message: 'item 1' },
    ]);
    expect(out.commits).toHaveLength(1);
    expect(out.failures).toEqual([]);
  });

  it('a forged ack for the second item is refused with what the console keeps of that item; the first stays recorded', async () => {
    // The first item carries neither a CA nor a text for the screen: its answer has neither key.
    const withCa: OrderItemForLink[] = [{ kind: 'order', content: order, ref: 9 }, { kind: 'crl', content: Buffer.from('a small CRL'), ref: 3, caId: 'ca-1', about: { ca: 'other' } }];
    const out = await session(withCa, { forge: 1 });
    expect(out.result).toMatchObject({ ok: false, step: 'orders', error: { code: 'forged_ack', details: { reason: 'ack_signature_invalid', item: 'crl', ref: 3 } } });
    expect(out.answers).toStrictEqual([{ port: PORT, deviceId: ID, kind: 'order', ref: 9, result: 'accepted', message: 'item 0' }]);
    expect(out.refused).toStrictEqual([{
      port: PORT, deviceId: ID, kind: 'crl', ref: 3, caId: 'ca-1', about: { ca: 'other' }, code: 'forged_ack',
      message: `the ORDER_ACK for crl 3 is not signed by ${ID}'s identity key for this session: refused`,
    }]);
    expect(out.got.map((g) => g.frames.map((f) => [f.type, f.seq]))).toEqual([[[MessageType.ORDER, 0]], [[MessageType.ORDER, 1]]]);
    expect(out.commits).toEqual([]);
  });

  it('a forged ack with no refusal recorder still fails the session as forged_ack (the recorder is optional)', async () => {
    const out = await session([items[1]!], { forge: 0, without: ['refuseOrderAnswer'] });
    expect(out.result).toMatchObject({ ok: false, step: 'orders', error: { code: 'forged_ack', details: { reason: 'ack_signature_invalid' } } });
    expect([out.answers, out.refused, out.commits]).toEqual([[], [], []]);
  });
});

describe('a robot the console cannot authenticate (docs: "A robot with no certificate gets no item")', () => {
  // With no identity key, or a console without the key lookup at all, the items wait: not_provisioned at orders.
  it.each([['no certificate', false], ['no key lookup', true]] as const)('%s: not_provisioned, nothing sent but ERROR', async (_name, noLookup) => {
    const cable = memoryCable();
    const failures: DistributionFailure[] = [];
    const deps: DistributionDeps = {
      isKnownRobot: () => true,
      orderItems: () => [{ kind: 'order', content: Buffer.from('an order'), ref: 2 }],
      robotIdentityKey: () => null,
      issueBundle: () => Promise.reject(new Error('no bundle in this test')),
      commitInstalled: () => undefined,
      recordFailure: (f) => void failures.push(f),
    };
    if (noLookup) delete deps.robotIdentityKey;
    const run = runDistributionSession(cable.consoleChannel, deps, { port: PORT, clock: manualClock(), logger: createMemoryLogger(), stepTimeoutMs: 5000 });
    await cable.robotChannel.send({ type: MessageType.HELLO, seq: 0, payload: fields(ID, randomBytes(32), 'fw-3') });
    const next = (await cable.robotChannel.receive(5000, 'ERROR')).frame;
    const result = await run;
    cable.unplug();
    const message = `robot ${ID} has no certificate of the fleet CA: its answers to orders could not be authenticated`;
    expect(result).toMatchObject({ ok: false, step: 'orders', sequence: null });
    if (result.ok) return;
    expect([result.error.code, result.error.message, result.error.details]).toStrictEqual(['not_provisioned', message, { deviceId: ID }]);
    expect([next.type, next.seq, readFields(next.payload).map((b) => b.toString())]).toEqual([MessageType.ERROR, 0xffffffff, ['not_provisioned', message]]);
    expect(failures).toStrictEqual([{ port: PORT, deviceId: ID, step: 'orders', sequence: null, code: 'not_provisioned', message, details: { deviceId: ID } }]);
  });
});

// Mutation round (t), 2026-12-06: an item over what the robot takes in chunks (docs/lockdown-orders.md: the session
// fails at `orders`, frame_oversize, both sizes named, and the Station screen's text says to use the USB file).
describe('an item over what the robot takes in chunks is not sent (docs: lockdown-orders.md, "Chunked items")', () => {
  const MIB = 1024 * 1024;
  async function oversize(item: OrderItemForLink, hello: Buffer) {
    const cable = memoryCable();
    const failures: DistributionFailure[] = [];
    const deps: DistributionDeps = {
      isKnownRobot: () => true,
      orderItems: () => [item],
      robotIdentityKey: () => robotKeys.publicKey,
      issueBundle: () => Promise.reject(new Error('no bundle in this test')),
      commitInstalled: () => undefined,
      recordFailure: (f) => void failures.push(f),
    };
    const run = runDistributionSession(cable.consoleChannel, deps, { port: PORT, clock: manualClock(), logger: createMemoryLogger(), stepTimeoutMs: 5000 });
    await cable.robotChannel.send({ type: MessageType.HELLO, seq: 0, payload: hello });
    const next = (await cable.robotChannel.receive(5000, 'ERROR')).frame;
    const result = await run;
    cable.unplug();
    expect(result.ok).toBe(false);
    if (result.ok) throw new Error('unreachable');
    return { result, next, failures };
  }
  const NO_SIZE = () => fields(ID, randomBytes(32), 'fw-3');
  const CRL_USB = 'give the robot the CRL as a file on a USB stick (robot --apply-crl)';
  const ORDER_USB = 'give the robot the order as a file on a USB stick (lockdown order --out, robot --apply-order)';

  it.each([
    ['a CRL', 'crl', 41, CRL_USB, 'CRL 41'],
    ['an order', 'order', 9, ORDER_USB, 'order 9'],
  ] as const)('%s of 2 MiB + 1 to a robot that announces no size: frame_oversize at orders, named for the robot, the USB file suggested', async (_what, kind, ref, usb, named) => {
    const o = await oversize({ kind, content: Buffer.alloc(2 * MIB + 1, 1), ref }, NO_SIZE());
    const message = `${named} of ${2 * MIB + 1} bytes is over the ${2 * MIB} bytes robot ${ID} takes in chunks (its HELLO announces no size, so it takes the default ${2 * MIB} bytes); nothing of it was sent: ${usb}`;
    expect({ step: o.result.step, code: o.result.error.code, message: o.result.error.message, details: o.result.error.details }).toStrictEqual({
      step: 'orders', code: 'frame_oversize', message,
      details: { reason: 'over_chunk_limit', bytes: 2 * MIB + 1, limit: 2 * MIB, deviceId: ID, announced: null },
    });
    // The ERROR frame carries the code and the message's first 200 characters (docs/provisioning-protocol.md, ERROR).
    expect([o.next.type, readFields(o.next.payload).map((b) => b.toString())]).toEqual([MessageType.ERROR, ['frame_oversize', message.slice(0, 200)]]);
    expect(o.failures).toMatchObject([{ step: 'orders', code: 'frame_oversize', message }]);
  });

  it('over the console\'s 64 MiB ceiling to a robot announcing more: the ceiling is named, not the robot\'s size', async () => {
    const o = await oversize({ kind: 'crl', content: Buffer.alloc(64 * MIB + 1, 1), ref: 5 }, fields(ID, randomBytes(32), 'fw-4', 1, 0xffffffff));
    expect([o.result.error.code, o.result.error.message, o.result.error.details]).toStrictEqual([
      'frame_oversize',
      `CRL 5 of ${64 * MIB + 1} bytes is over the console's ceiling of ${64 * MIB} bytes for a chunked item; nothing of it was sent: ${CRL_USB}`,
      { reason: 'over_console_chunk_limit', bytes: 64 * MIB + 1, limit: 64 * MIB, deviceId: ID, announced: 0xffffffff },
    ]);
  });

  it('an empty order fits no ORDER frame: its own refusal, not rewritten as a size the robot takes', async () => {
    const o = await oversize({ kind: 'order', content: Buffer.alloc(0), ref: 2 }, NO_SIZE());
    expect([o.result.step, o.result.error.code, o.result.error.message]).toStrictEqual(['orders', 'frame_oversize', 'an order of 0 bytes does not fit an ORDER frame (1..61440)']);
  });
});
