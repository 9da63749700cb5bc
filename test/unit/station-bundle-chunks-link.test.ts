// The console's side of a chunked key bundle (docs/provisioning-protocol.md, "Key bundles over one frame" and
// "Capabilities"), in this process over an in-memory cable with a robot scripted in the test, so that the choice
// between one BUNDLE frame and BUNDLE_CHUNK frames (distributeSession.ts bundlePayloads) is measured by the unit tests
// (the slow test bundle-chunks.slow.test.ts runs it against the simulator process, outside Stryker's reach).
// Expectations from the docs, written out here: a file of at most 61,440 bytes goes in one BUNDLE frame whatever the
// robot announces; a larger one goes in ceil(length / 61,440) BUNDLE_CHUNK frames (u32 kind 3 | u32 index | u32 total
// | u32 whole length | SHA-256 of the whole | the robot's HELLO nonce | data, each a length-prefixed field) numbered on
// from the BUNDLE frame's number, DONE after them, INSTALLED keeping its number; only to a robot whose HELLO sets bit
// 0x1 (another bit alone does not), else frame_oversize (reason robot_takes_one_frame_bundles, the file's size) before
// any of it is sent; a file over what the robot's HELLO announces it takes (2 MiB when it announces no size) is
// frame_oversize (reason over_chunk_limit, both sizes); a robot announcing more than 2 MiB is sent a larger file.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { runDistributionSession, type BundleForLink, type DistributionFailure } from '../../electron/station/distributeSession.ts';
import { MessageType, type Frame } from '../../electron/station/frame.ts';
import { encodeHello, encodeInstalled } from '../../electron/station/protocol.ts';
import { memoryCable } from './station-link-kit.ts';

const ID = 'R-9';
const PIECE = 61_440;
const TWO_MIB = 2 * 1024 * 1024;
/** What the officer can do, as the Station screen shows it. */
const USB = 'give the robot its key bundle as a file on a USB stick (bundles:build, CLI bundle)';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();

/** The length-prefixed fields of a payload (u32 BE length | bytes each), read by hand. */
function fieldsOf(p: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < p.length;) {
    const len = p.readUInt32BE(off);
    out.push(p.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  return out;
}

interface Outcome {
  result: Awaited<ReturnType<typeof runDistributionSession>>;
  sent: Frame[];
  failures: DistributionFailure[];
  nonce: Buffer;
}

/**
 * One session whose bundle file is `file`, the robot's HELLO announcing `capabilities` (none when undefined) and the
 * largest chunked item it takes (`maxChunkedItem`, none when undefined).
 */
async function session(file: Buffer, capabilities?: number, maxChunkedItem?: number): Promise<Outcome> {
  const cable = memoryCable();
  const kb = randomBytes(32);
  const macKey = Buffer.from(kb);
  const bundle: BundleForLink = { sequence: 3, bundleId: randomBytes(16).toString('hex'), file, keyVersions: [{ keyId: 'comm-R-9', version: 1 }], kb };
  const nonce = randomBytes(32);
  const failures: DistributionFailure[] = [];
  const robot = (async () => {
    const ch = cable.robotChannel;
    await ch.send({ type: MessageType.HELLO, seq: 0, payload: encodeHello({ deviceId: ID, robotNonce: nonce, firmware: 'fw-3', ...(capabilities === undefined ? {} : { capabilities }), ...(maxChunkedItem === undefined ? {} : { maxChunkedItem }) }) });
    // Until the whole file came (one BUNDLE, or the chunk whose index is total - 1), then INSTALLED and DONE.
    for (;;) {
      const { frame } = await ch.receive(5000, 'BUNDLE');
      if (frame.type === MessageType.BUNDLE) break;
      const f = fieldsOf(frame.payload);
      if (frame.type !== MessageType.BUNDLE_CHUNK || f[1]!.readUInt32BE(0) === f[2]!.readUInt32BE(0) - 1) break;
    }
    const mac = createHmac('sha256', macKey).update('ECPS-KEYBUNDLE-v1 installed').update(sha256(file)).digest();
    await ch.send({ type: MessageType.INSTALLED, seq: 1, payload: encodeInstalled({ bundleId: Buffer.from(bundle.bundleId, 'hex'), sequence: bundle.sequence, mac }) });
    await ch.receive(5000, 'DONE');
  })().catch(() => undefined);
  const result = await runDistributionSession(cable.consoleChannel, {
    isKnownRobot: () => true,
    issueBundle: async (_id, reserved) => (reserved(bundle.sequence), bundle),
    commitInstalled: () => undefined,
    recordFailure: (f) => void failures.push(f),
  }, { port: 'mem', clock: manualClock(), logger: createMemoryLogger(), stepTimeoutMs: 5000 });
  cable.unplug();
  await robot;
  return { result, sent: cable.consoleEnd.frames(), failures, nonce };
}

/** The frames the docs give for a file of `length` bytes sent to a robot that takes chunks: [type, seq] each. */
function expectedFrames(length: number): Array<[number, number]> {
  if (length <= PIECE) return [[MessageType.BUNDLE, 0], [MessageType.DONE, 1]];
  const k = Math.ceil(length / PIECE);
  return [...Array.from({ length: k }, (_, i): [number, number] => [MessageType.BUNDLE_CHUNK, i]), [MessageType.DONE, k]];
}

describe('the bundle frames the console sends', () => {
  // [file length, HELLO capabilities, largest chunked item announced] -> what the docs say is sent (expectedFrames).
  it.each<[number, number | undefined, number | undefined]>([
    [PIECE, 1, undefined],
    [PIECE, undefined, undefined],
    [PIECE + 1, 1, undefined],
    [PIECE + 1, 3, undefined],
    [3 * PIECE + 7, 1, undefined],
    [4 * PIECE, 1, undefined],
    [TWO_MIB, 1, undefined],
    [TWO_MIB + 1, 1, 3 * 1024 * 1024],
    [4 * PIECE, 1, 4 * PIECE],
  ])('a file of %i bytes, capabilities %s, announced size %s: one BUNDLE when it fits, else BUNDLE_CHUNK frames numbered on, then DONE', async (length, capabilities, maxChunkedItem) => {
    const file = randomBytes(length);
    const o = await session(file, capabilities, maxChunkedItem);
    expect(o.result).toMatchObject({ ok: true, deviceId: ID, sequence: 3 });
    expect(o.sent.map((f) => [f.type, f.seq])).toEqual(expectedFrames(length));
    const bundleFrames = o.sent.filter((f) => f.type !== MessageType.DONE);
    if (length <= PIECE) {
      expect(fieldsOf(bundleFrames[0]!.payload)).toEqual([file]);
      return;
    }
    const total = Math.ceil(length / PIECE);
    const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
    bundleFrames.forEach((f, i) => {
      expect(fieldsOf(f.payload)).toEqual([u32(3), u32(i), u32(total), u32(length), sha256(file), o.nonce, file.subarray(i * PIECE, Math.min(length, (i + 1) * PIECE))]);
    });
  });

  const oneFrameOnly = (length: number) => ({
    code: 'frame_oversize',
    message: `the key bundle of ${length} bytes is over one BUNDLE frame (61440 bytes) and robot ${ID}'s firmware (fw-3) does not announce BUNDLE_CHUNK frames`,
    details: { deviceId: ID, reason: 'robot_takes_one_frame_bundles', bytes: length },
  });
  it.each([
    ['announces nothing', PIECE + 1, undefined, oneFrameOnly(PIECE + 1), undefined],
    ['announces 0', 5 * PIECE, 0, oneFrameOnly(5 * PIECE), undefined],
    ['announces another bit (0x2) only', PIECE + 1, 2, oneFrameOnly(PIECE + 1), undefined],
    ['announces 8 MiB but not the BUNDLE_CHUNK bit', PIECE + 1, 0, oneFrameOnly(PIECE + 1), 8 * 1024 * 1024],
    ['takes chunks and announces no size, but the file is over 2 MiB', TWO_MIB + 1, 1, {
      code: 'frame_oversize',
      message: `the key bundle of ${TWO_MIB + 1} bytes is over the ${TWO_MIB} bytes robot ${ID} takes in chunks (its HELLO announces no size, so it takes the default ${TWO_MIB} bytes); nothing of it was sent: ${USB}`,
      details: { reason: 'over_chunk_limit', bytes: TWO_MIB + 1, limit: TWO_MIB, deviceId: ID, announced: null },
    }, undefined],
    ['takes chunks and announces 1 MiB, the file is 1 MiB + 1', 1024 * 1024 + 1, 1, {
      code: 'frame_oversize',
      message: `the key bundle of ${1024 * 1024 + 1} bytes is over the ${1024 * 1024} bytes robot ${ID} takes in chunks (its HELLO announces ${1024 * 1024} bytes); nothing of it was sent: ${USB}`,
      details: { reason: 'over_chunk_limit', bytes: 1024 * 1024 + 1, limit: 1024 * 1024, deviceId: ID, announced: 1024 * 1024 },
    }, 1024 * 1024],
  ])('a robot that %s is sent nothing of a %i-byte file: frame_oversize at bundle', async (_what, length, capabilities, error, maxChunkedItem) => {
    const o = await session(Buffer.alloc(length, 7), capabilities, maxChunkedItem);
    expect(o.result.ok).toBe(false);
    if (o.result.ok) return;
    expect({ step: o.result.step, sequence: o.result.sequence, code: o.result.error.code, message: o.result.error.message, details: o.result.error.details })
      .toEqual({ step: 'bundle', sequence: 3, ...error });
    expect(o.failures).toMatchObject([{ step: 'bundle', code: 'frame_oversize', sequence: 3 }]);
    // Only the ERROR frame: no BUNDLE, no chunk, no DONE.
    expect(o.sent.map((f) => f.type)).toEqual([MessageType.ERROR]);
  });
});
