// A CRL over 2 MiB (55,000 revoked serials: a fleet-wide incident on a large fleet) over the serial link
// (docs/provisioning-protocol.md, "Chunked items" and "Capabilities"). A robot simulator provisioned by a real test CA
// over a socat pty pair, then the station's own distribution session (electron/station/distributeSession.ts) whose one
// item is that CRL:
//  - a robot whose HELLO announces 8 MiB (--max-chunked-item) takes it in ORDER_CHUNK frames, checks the CA signature
//    over the whole, keeps it and then refuses a listed peer;
//  - a robot that announces no size (a firmware of before the field: 2 MiB) is sent nothing of it: the session fails
//    at `orders` with frame_oversize, reason over_chunk_limit, both sizes named, the failure recorded, and the message
//    says what the officer can do (a USB file);
//  - the chunks tampered with on the line (a table below: reordered, missing, twice, another session's nonce, an
//    oversize total announced in chunk 0, to the 8 MiB robot and to a 2 MiB one): the robot refuses with bad_chunk and
//    its reason at that chunk, keeps nothing (judged on the robot's own result; the console may time out instead of
//    hearing its ERROR on a loaded machine, docs/not-done.md).
import { X509Certificate, createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../electron/clock.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { runDistributionSession, type DistributionFailure, type OrderAnswer, type OrderItemForLink } from '../../electron/station/distributeSession.ts';
import { StationError } from '../../electron/station/errors.ts';
import { MessageType, type Frame } from '../../electron/station/frame.ts';
import { encodeOrderChunk, splitItem, type OrderChunkMessage } from '../../electron/station/orderChunks.ts';
import { decodeError, decodeHello } from '../../electron/station/protocol.ts';
import type { FrameChannel } from '../../electron/station/transport.ts';
import { overCable as onCable, provisionedRobot, revokedSerials } from '../robot-sim/harness.ts';
import type { TestCa } from '../robot-sim/testCa.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { robotSays } from './support/stationRig.ts';

const DEVICE = 'uv-bigcrl';
const ENTRIES = 55_000;
const serials = revokedSerials(ENTRIES);
/** The documented sizes: 2 MiB taken by a robot that announces none, 60 KiB of data per chunk. */
const TWO_MIB = 2 * 1024 * 1024;
const EIGHT_MIB = 8 * 1024 * 1024;
const CHUNK = 60 * 1024;
const ANNOUNCE_8 = ['--max-chunked-item', String(EIGHT_MIB)];

const checkPeer = (keystore: string, serial: string) => robotSays(['--check-peer', serial, '--keystore', keystore]);

describe('a CRL over 2 MiB crosses the serial link to a robot that announces it takes it', () => {
  const work = tempDir('ecps-big-crl-');
  let ca: TestCa;
  let caFile = '';
  let keystore = '';
  let bigCrl: Buffer;

  beforeAll(async () => {
    ({ ca, caFile, keystore } = await provisionedRobot(work, DEVICE));
    bigCrl = ca.issueCrlFast(serials, 2);
  });
  afterAll(() => removeTempDirs());

  const identity = () => new X509Certificate(readFileSync(path.join(keystore, 'identity.cert.pem'))).publicKey;
  const held = () => (existsSync(path.join(keystore, 'crl.der')) ? readFileSync(path.join(keystore, 'crl.der')) : null);
  const overCable = <T,>(extraArgs: string[], consoleSide: (channel: FrameChannel, port: string) => Promise<T>) => onCable({ deviceId: DEVICE, keystore, caCertFile: caFile, extraArgs }, consoleSide);

  /** The station's distribution session with `items` before the bundle, the frame types it sent and what it recorded. */
  const distribute = (items: OrderItemForLink[], extraArgs: string[]) =>
    overCable(extraArgs, async (channel, port) => {
      const answers: OrderAnswer[] = [];
      const failures: DistributionFailure[] = [];
      const sent: number[] = [];
      const send = channel.send.bind(channel);
      channel.send = (f: Frame) => (sent.push(f.type), send(f));
      const result = await runDistributionSession(channel, {
        isKnownRobot: (id) => id === DEVICE,
        orderItems: () => items,
        robotIdentityKey: identity,
        recordOrderAnswer: (a) => void answers.push(a),
        issueBundle: () => Promise.reject(new StationError('not_provisioned', 'orders only')),
        commitInstalled: () => undefined,
        recordFailure: (f) => void failures.push(f),
      }, { port, clock: systemClock, logger: createMemoryLogger(), stepTimeoutMs: 120_000 });
      return { result, answers, failures, sent };
    });

  it('the robot that announces 8 MiB takes the CRL in chunks, checks it whole, keeps it and refuses listed peers', async () => {
    expect(bigCrl.length).toBeGreaterThan(TWO_MIB);
    expect(bigCrl.length).toBeLessThan(EIGHT_MIB);
    const out = await distribute([{ kind: 'crl', content: bigCrl, ref: 2 }], ANNOUNCE_8);
    expect(out.result.answers, JSON.stringify(out.robot)).toEqual([{ port: expect.any(String), deviceId: DEVICE, kind: 'crl', ref: 2, result: 'accepted', message: `CRL 2 held (${ENTRIES} revoked)` }]);
    expect(out.result.sent.slice(0, -1)).toEqual(Array<number>(Math.ceil(bigCrl.length / CHUNK)).fill(MessageType.ORDER_CHUNK));
    expect(held()).toEqual(bigCrl);
    for (const s of [serials[0], serials[ENTRIES - 1]] as string[]) {
      expect(await checkPeer(keystore, s), s).toMatchObject({ exitCode: 1, json: { ok: false, code: 'peer_revoked' } });
    }
  });

  it('the robot that announces no size (2 MiB) is sent nothing of it: frame_oversize naming both sizes and the USB file, recorded', async () => {
    const before = held();
    const out = await distribute([{ kind: 'crl', content: bigCrl, ref: 3 }], []);
    const message = `CRL 3 of ${bigCrl.length} bytes is over the ${TWO_MIB} bytes robot ${DEVICE} takes in chunks (its HELLO announces no size, so it takes the default ${TWO_MIB} bytes); nothing of it was sent: give the robot the CRL as a file on a USB stick (robot --apply-crl)`;
    expect(out.result.result).toMatchObject({
      ok: false, step: 'orders',
      error: { code: 'frame_oversize', message, details: { reason: 'over_chunk_limit', bytes: bigCrl.length, limit: TWO_MIB, announced: null, deviceId: DEVICE } },
    });
    expect(out.result.sent).toEqual([MessageType.ERROR]);
    expect(out.result.failures).toMatchObject([{ deviceId: DEVICE, step: 'orders', code: 'frame_oversize', message, details: { reason: 'over_chunk_limit', bytes: bigCrl.length, limit: TWO_MIB } }]);
    expect(out.result.answers).toEqual([]);
    expect(out.robot.json).toMatchObject({ ok: false, code: 'robot_error' });
    expect(held()).toEqual(before);
  });

  /**
   * A console that sends the chunks `plan` names (by index into the CRL's chunks split for 8 MiB; `other` = chunk 1 of
   * the same CRL bound to another console nonce; `long` = chunk 0 naming an item one byte over `announce`), then, if
   * the robot has not answered, a BUNDLE frame; returns the robot's ERROR. Writes go on in the background: the robot
   * stops reading once it refuses.
   */
  type Step = number | 'other' | 'long';
  const sendChunks = (announce: number | null, plan: Step[]) =>
    overCable(announce === null ? [] : ['--max-chunked-item', String(announce)], async (channel) => {
      const hello = decodeHello((await channel.receive(120_000, 'HELLO')).frame.payload);
      expect(hello.maxChunkedItem).toBe(announce ?? undefined);
      const nonce = Buffer.alloc(32, 9);
      const chunks = splitItem({ kind: 'crl', content: bigCrl, consoleNonce: nonce }, EIGHT_MIB);
      const other = splitItem({ kind: 'crl', content: bigCrl, consoleNonce: Buffer.alloc(32, 7) }, EIGHT_MIB)[1] as OrderChunkMessage;
      // Chunk 0 of an item one byte longer than the robot announced: the count and the data as that length makes them.
      const longLength = (announce ?? TWO_MIB) + 1;
      const long = { ...chunks[0], total: Math.ceil(longLength / CHUNK), length: longLength, digest: createHash('sha256').update('another item').digest() } as OrderChunkMessage;
      // A hang guard only: the robot's own result (its process output) is what the test judges.
      const answer = channel.receive(60_000, 'the robot answer');
      void (async () => {
        let seq = 0;
        for (const step of plan) {
          const c = step === 'other' ? other : step === 'long' ? long : (chunks[step] as OrderChunkMessage);
          await channel.send({ type: MessageType.ORDER_CHUNK, seq: seq++, payload: encodeOrderChunk(c) });
        }
        await channel.send({ type: MessageType.BUNDLE, seq, payload: Buffer.alloc(8) });
      })().catch(() => undefined);
      const got = await answer.catch((e: unknown) => e as StationError);
      if (got instanceof StationError) return { code: got.code, message: got.message };
      return got.frame.type === MessageType.ERROR ? decodeError(got.frame.payload) : { code: `frame type ${got.frame.type}`, message: '' };
    });

  const total = () => Math.ceil(bigCrl.length / CHUNK);
  it.each<[string, number | null, Step[], () => string]>([
    ['reordered (chunk 2 before chunk 1)', EIGHT_MIB, [0, 2, 1], () => `chunk 2 of ${total()} arrived before chunk 1`],
    ['missing (chunk 0 never sent)', EIGHT_MIB, [1, 2], () => `chunk 1 of ${total()} arrived first: chunk 0 is missing`],
    ['missing (cut after chunk 1: the bundle came instead)', EIGHT_MIB, [0, 1], () => `the item ended after 2 of ${total()} chunks`],
    ['duplicated (chunk 1 twice)', EIGHT_MIB, [0, 1, 1], () => `chunk 1 of ${total()} arrived twice`],
    ['of another session (chunk 1 bound to another console nonce)', EIGHT_MIB, [0, 'other'], () => 'chunk 1 names another item than chunk 0 (kind, count, length, digest or session)'],
    ['an oversize total in chunk 0 (one byte over the 8 MiB announced)', EIGHT_MIB, ['long'], () => `an item of ${EIGHT_MIB + 1} bytes is over the ${EIGHT_MIB}-byte limit of a chunked item`],
    ['the > 2 MiB CRL itself to a robot that announces no size', null, [0], () => `an item of ${bigCrl.length} bytes is over the ${TWO_MIB}-byte limit of a chunked item`],
    ['an oversize total in chunk 0 to a robot that announces 1 MiB', 1024 * 1024, ['long'], () => `an item of ${1024 * 1024 + 1} bytes is over the ${1024 * 1024}-byte limit of a chunked item`],
  ])('chunks %s: the robot refuses with bad_chunk at that chunk and keeps nothing', async (_name, announce, plan, messageOf) => {
    const before = held();
    const out = await sendChunks(announce, plan);
    expect(out.robot.json).toEqual({ ok: false, deviceId: DEVICE, code: 'bad_chunk', message: messageOf() });
    // The console hears the robot's ERROR, or, on a loaded machine, nothing before its guard (the known case of
    // docs/not-done.md: the robot's ERROR does not always reach the console while chunks are still being written).
    if (out.result.code !== 'timeout') expect(out.result).toEqual({ code: 'bad_chunk', message: messageOf() });
    expect(held()).toEqual(before);
  });
});
