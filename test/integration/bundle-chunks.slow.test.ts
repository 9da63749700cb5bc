// A key bundle too large for one BUNDLE frame crosses the serial link in BUNDLE_CHUNK frames (docs/provisioning-protocol.md,
// "Chunked items" and "Capabilities"). A robot simulator provisioned by a real test CA over a socat pty pair; then the
// station's own distribution session (electron/station/distributeSession.ts) sends it bundles signed by that CA:
//  - a bundle carrying a 10,000-entry CRL (~430 KB, the bundle ~770 KB): BUNDLE_CHUNK frames, installed, confirmed,
//    recorded; the robot then refuses a peer listed in the CRL;
//  - a bundle that fits one frame: one BUNDLE frame, as before;
//  - a firmware that announces no BUNDLE_CHUNK (--one-frame-bundles): a large bundle is not sent (frame_oversize,
//    reason robot_takes_one_frame_bundles, nothing recorded), a small one still is;
//  - the chunks tampered with on the line (reordered, one dropped, one twice, one of another session, the sequence cut
//    short): the robot refuses with bad_chunk and a reason, installs nothing, and the console records nothing.
import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../electron/clock.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { bundleConfirmationKey, createBundle } from '../../electron/station/bundle.ts';
import { runDistributionSession, type BundleForLink, type DistributionFailure, type InstalledRecord } from '../../electron/station/distributeSession.ts';
import { MessageType, type Frame } from '../../electron/station/frame.ts';
import { decodeBundleChunk, encodeBundleChunk, splitBundle } from '../../electron/station/orderChunks.ts';
import type { FrameChannel } from '../../electron/station/transport.ts';
import { overCable, provisionedRobot, revokedSerials } from '../robot-sim/harness.ts';
import type { TestCa } from '../robot-sim/testCa.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { robotSays } from './support/stationRig.ts';

const DEVICE = 'uv-bigbundle';
const ENTRIES = 10_000;
/** The revoked serials (distinct, each a positive INTEGER). */
const serials = revokedSerials(ENTRIES);
/** The documented limits: one BUNDLE frame carries a file of at most 60 KiB; a chunk carries 60 KiB; 2 MiB in all. */
const ONE_FRAME = 60 * 1024;
const chunkCount = (file: Buffer) => Math.ceil(file.length / ONE_FRAME);

const checkPeer = (keystore: string, serial: string) => robotSays(['--check-peer', serial, '--keystore', keystore]);

describe('a key bundle over one frame crosses the serial link in BUNDLE_CHUNK frames', () => {
  const work = tempDir('ecps-bundle-chunks-');
  let ca: TestCa;
  let caFile = '';
  let keystore = '';
  let bigCrl: Buffer;
  let nextSequence = 1;

  beforeAll(async () => {
    ({ ca, caFile, keystore } = await provisionedRobot(work, DEVICE));
    bigCrl = await ca.issueCrl(serials, 2);
  });
  afterAll(() => removeTempDirs());

  /** The robot's next bundle, signed by the CA: one fresh key, and the CRL when given (a v2 bundle). */
  async function bundleFor(crl: Buffer | null): Promise<BundleForLink> {
    const identityPublicKey = new X509Certificate(readFileSync(path.join(keystore, 'identity.cert.pem'))).publicKey;
    const sequence = nextSequence++;
    const bundleId = randomBytes(16).toString('hex');
    const keys = [{ keyId: `comm-${DEVICE}`, version: sequence + 1, material: randomBytes(32) }];
    const file = await createBundle({
      deviceId: DEVICE, identityPublicKey, caPublicKey: ca.publicKey, sequence, issuedAt: new Date().toISOString(), keys, bundleId,
      ...(crl ? { emergency: { crlDer: crl } } : {}), sign: (d) => ca.sign(d),
    });
    return { sequence, bundleId, file, keyVersions: keys.map((k) => ({ keyId: k.keyId, version: k.version })), kb: bundleConfirmationKey(DEVICE, bundleId, keys.map((k) => k.material)) };
  }

  /** The robot's key store files a refused bundle must leave as they were. */
  const stored = () => ['keys.json', 'bundle-state.json', 'crl.der'].map((f) => { try { return readFileSync(path.join(keystore, f)).toString('base64'); } catch { return null; } });

  /**
   * The station's distribution session sending `bundle`, the frames it put on the line (type names) and what it
   * recorded. `onLine` may stand between the session and the line (it sees each frame, and sends it or not).
   */
  async function distribute(bundle: BundleForLink, o: { extraArgs?: string[]; onLine?: (f: Frame, send: (f: Frame) => Promise<Buffer>) => Promise<Buffer> } = {}) {
    const sent: number[] = [];
    const commits: InstalledRecord[] = [];
    const failures: DistributionFailure[] = [];
    const out = await overCable({ deviceId: DEVICE, keystore, caCertFile: caFile, ...(o.extraArgs ? { extraArgs: o.extraArgs } : {}) }, async (channel: FrameChannel, port) => {
      const send = channel.send.bind(channel);
      channel.send = (f: Frame) => (sent.push(f.type), o.onLine ? o.onLine(f, send) : send(f));
      return runDistributionSession(channel, {
        isKnownRobot: (id) => id === DEVICE,
        issueBundle: async (_id, reserved) => (reserved(bundle.sequence), bundle),
        commitInstalled: (r) => void commits.push(r),
        recordFailure: (f) => void failures.push(f),
      }, { port, clock: systemClock, logger: createMemoryLogger(), stepTimeoutMs: 60_000 });
    });
    return { ...out, sent, commits, failures };
  }

  it('a bundle carrying a ~430 KB CRL goes in chunks, is installed and confirmed; the robot then refuses a revoked peer', async () => {
    const bundle = await bundleFor(bigCrl);
    expect(bigCrl.length).toBeGreaterThan(400_000);
    expect(bundle.file.length).toBeGreaterThan(ONE_FRAME);
    expect(bundle.file.length).toBeLessThanOrEqual(2 * 1024 * 1024);
    const out = await distribute(bundle);
    expect(out.result, JSON.stringify(out.robot)).toMatchObject({ ok: true, deviceId: DEVICE, sequence: bundle.sequence });
    expect(out.sent).toEqual([...Array<number>(chunkCount(bundle.file)).fill(0x0f), 0x07]);
    expect(out.robot.json).toMatchObject({ ok: true, mode: 'distribute', sequence: bundle.sequence });
    expect(out.commits).toEqual([{ deviceId: DEVICE, sequence: bundle.sequence, bundleId: bundle.bundleId, keyVersions: bundle.keyVersions, port: expect.any(String) }]);
    expect(readFileSync(path.join(keystore, 'crl.der'))).toEqual(bigCrl);
    for (const s of [serials[0], serials[ENTRIES / 2], serials[ENTRIES - 1]] as string[]) {
      expect(await checkPeer(keystore, s), s).toMatchObject({ exitCode: 1, json: { ok: false, code: 'peer_revoked' } });
    }
    expect((await checkPeer(keystore, '2000000000000000')).exitCode).toBe(0);
  });

  it('a bundle that fits one frame still goes as one BUNDLE frame', async () => {
    const bundle = await bundleFor(null);
    expect(bundle.file.length).toBeLessThanOrEqual(ONE_FRAME);
    const out = await distribute(bundle);
    expect(out.result, JSON.stringify(out.robot)).toMatchObject({ ok: true, sequence: bundle.sequence });
    expect(out.sent).toEqual([0x08, 0x07]);
    expect(out.commits).toHaveLength(1);
  });

  it('a firmware that knows only one-frame bundles is not sent a large one (typed failure, nothing recorded) but still gets a small one', async () => {
    const before = stored();
    const big = await bundleFor(bigCrl);
    const refused = await distribute(big, { extraArgs: ['--one-frame-bundles'] });
    expect(refused.result).toMatchObject({ ok: false, step: 'bundle', sequence: big.sequence, error: { code: 'frame_oversize', details: { reason: 'robot_takes_one_frame_bundles', bytes: big.file.length } } });
    expect(refused.sent).toEqual([0x7f]); // the ERROR frame only: nothing of the bundle
    expect(refused.commits).toEqual([]);
    expect(refused.failures).toMatchObject([{ deviceId: DEVICE, step: 'bundle', sequence: big.sequence, code: 'frame_oversize' }]);
    expect(refused.robot.json).toMatchObject({ ok: false, code: 'robot_error' });
    expect(stored()).toEqual(before);

    const small = await bundleFor(null);
    const out = await distribute(small, { extraArgs: ['--one-frame-bundles'] });
    expect(out.result, JSON.stringify(out.robot)).toMatchObject({ ok: true, sequence: small.sequence });
    expect(out.sent).toEqual([0x08, 0x07]);
  });

  /**
   * What stands on the line for each case: the session's BUNDLE_CHUNK frames are held until the last one, then `plan`
   * says which chunk payloads go out (by index; `other` = chunk 1 of the same file bound to another session's nonce,
   * `cut` = the sequence stops and a DONE frame follows), numbered on from the first chunk's sequence. They are written
   * in the background: the robot stops reading once it refuses, and the session then hears its ERROR.
   */
  type Step = number | 'other' | 'cut';
  const tampered = (bundle: BundleForLink, plan: (total: number) => Step[]) => {
    const held: Frame[] = [];
    return (f: Frame, send: (f: Frame) => Promise<Buffer>): Promise<Buffer> => {
      if (f.type !== MessageType.BUNDLE_CHUNK) return send(f);
      held.push(f);
      const c = decodeBundleChunk(f.payload);
      if (c.index < c.total - 1) return Promise.resolve(Buffer.alloc(0));
      const first = held[0]!.seq;
      const other = encodeBundleChunk(splitBundle(bundle.file, randomBytes(32))[1]!);
      void (async () => {
        for (const [k, step] of plan(c.total).entries()) {
          const seq = first + k;
          if (step === 'cut') await send({ type: MessageType.DONE, seq, payload: Buffer.alloc(36) });
          else await send({ type: MessageType.BUNDLE_CHUNK, seq, payload: step === 'other' ? other : held[step]!.payload });
        }
      })().catch(() => undefined);
      return Promise.resolve(Buffer.alloc(0));
    };
  };
  const upTo = (n: number) => Array.from({ length: n }, (_, i) => i);

  it.each<[string, (total: number) => Step[], (total: number) => string]>([
    ['reordered (chunk 2 before chunk 1)', (t) => [0, 2, 1, ...upTo(t).slice(3)], (t) => `chunk 2 of ${t} arrived before chunk 1`],
    ['dropped (chunk 1 never sent)', (t) => [0, ...upTo(t).slice(2)], (t) => `chunk 2 of ${t} arrived before chunk 1`],
    ['duplicated (chunk 1 twice)', (t) => [0, 1, 1, ...upTo(t).slice(2)], (t) => `chunk 1 of ${t} arrived twice`],
    ['from another session (chunk 1 bound to another HELLO nonce)', (t) => [0, 'other', ...upTo(t).slice(2)], (t) => `chunk 1 of ${t} names another session's nonce: refused`],
    ['truncated (the last chunk missing, the sequence cut)', (t) => [...upTo(t - 1), 'cut'], (t) => `the item ended after ${t - 1} of ${t} chunks`],
  ])('chunks %s: the robot refuses with bad_chunk, installs nothing, nothing is recorded', async (_name, plan, messageOf) => {
    const before = stored();
    const bundle = await bundleFor(bigCrl);
    const total = chunkCount(bundle.file);
    const out = await distribute(bundle, { onLine: tampered(bundle, plan) });
    expect(out.robot.json).toEqual({ ok: false, deviceId: DEVICE, code: 'bad_chunk', message: messageOf(total) });
    // The console fails the session at install. Which code it names depends on timing: the robot's ERROR (bad_chunk), or,
    // on a loaded machine (seen in CI at load 9), a timeout waiting for INSTALLED: the robot's ERROR does not always reach
    // the console while the tampering relay is still writing the rest of the chunks (docs/not-done.md). Either way the
    // robot refused (above), nothing is committed and nothing stored changed (below).
    expect(out.result).toMatchObject({ ok: false, step: 'install', sequence: bundle.sequence });
    const code = (out.result as { error: { code: string; details?: Record<string, unknown> } }).error;
    expect([code.code === 'robot_error' ? code.details?.robotCode : code.details?.step]).toEqual([code.code === 'robot_error' ? 'bad_chunk' : 'INSTALLED']);
    expect(['robot_error', 'timeout']).toContain(code.code);
    expect(out.commits).toEqual([]);
    expect(out.failures).toMatchObject([{ deviceId: DEVICE, step: 'install', sequence: bundle.sequence, code: code.code }]);
    expect(stored()).toEqual(before);
  });

  it('the whole bundle is checked before install: a chunk sequence whose bytes differ from its digest is refused', async () => {
    const before = stored();
    const bundle = await bundleFor(bigCrl);
    const forged = Buffer.from(bundle.file);
    forged.writeUInt8(forged[ONE_FRAME + 10]! ^ 0x01, ONE_FRAME + 10); // inside chunk 1
    const digest = createHash('sha256').update(bundle.file).digest();
    const out = await distribute(bundle, {
      onLine: (f, send) => {
        if (f.type !== MessageType.BUNDLE_CHUNK) return send(f);
        const c = decodeBundleChunk(f.payload);
        // The announced digest stays the genuine file's; chunk 1's bytes are the forged file's.
        return send({ ...f, payload: encodeBundleChunk({ ...c, digest, data: forged.subarray(c.index * ONE_FRAME, (c.index + 1) * ONE_FRAME) }) });
      },
    });
    expect(out.robot.json).toMatchObject({ ok: false, code: 'bad_chunk', message: 'the reassembled item does not match the SHA-256 its chunks announce' });
    expect(out.commits).toEqual([]);
    expect(stored()).toEqual(before);
  });
});
