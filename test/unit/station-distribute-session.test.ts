// The console side of a key distribution session (electron/station/distributeSession.ts) in this process: the real
// robot session code (test/robot-sim/robotSession.ts, which installs with installBundle.ts) or a scripted robot on the
// other end of an in-memory cable, a kit CA that signs bundles, and in-memory dependencies. Expectations come from
// docs/provisioning-protocol.md ("Key bundles over the serial link": steps, sequence rules, Kb and the INSTALLED and
// DONE MACs, what a failure records) and from tables in this file.
import { createHash, createHmac, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { createBundle } from '../../electron/station/bundle.ts';
import { runDistributionSession, type BundleForLink, type DistributionDeps, type DistributionFailure, type DistributionOptions, type InstalledRecord } from '../../electron/station/distributeSession.ts';
import { StationError } from '../../electron/station/errors.ts';
import { MessageType, type Frame } from '../../electron/station/frame.ts';
import { decodeBundle, decodeError, encodeHello, encodeInstalled } from '../../electron/station/protocol.ts';
import type { FrameChannel } from '../../electron/station/transport.ts';
import { runRobot, type Misbehaviour } from '../robot-sim/robotSession.ts';
import { robotStoredKeys } from '../robot-sim/scenario.ts';
import { kitCa, type KitCa } from './bundle-kit.ts';
import { memoryCable } from './station-link-kit.ts';

const ID = 'R-7';
const PORT = '/dev/ttyACM9';
const SEQUENCE = 4;
const STEPS = ['hello', 'bundle', 'install', 'commit', 'done'];
const KEY_VERSIONS = [{ keyId: 'comm-R-7', version: 2 }, { keyId: 'storage-R-7', version: 5 }];

let ca: KitCa;
let otherCa: KitCa;
let identity: { publicKey: KeyObject; privateKey: KeyObject };
let root: string;
beforeAll(async () => {
  ca = await kitCa('CN=Distribution Fleet CA');
  otherCa = await kitCa('CN=Another Fleet CA');
  identity = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  root = mkdtempSync(path.join(tmpdir(), 'station-distribute-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** `fields(a, b, ...)` of the docs: each part as u32 BE length | bytes. */
function fields(...parts: Array<string | Buffer>): Buffer {
  return Buffer.concat(parts.flatMap((p) => {
    const b = typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return [len, b];
  }));
}
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** The body of a bundle file (docs/key-bundles.md: {"format", "body": base64 JSON, "signature"}). */
const bodyOf = (file: Buffer) => JSON.parse(Buffer.from((JSON.parse(file.toString()) as { body: string }).body, 'base64').toString()) as { bundleId: string };

/** The robot's next bundle, built as bundles:build does, and Kb as the docs define it. */
async function nextBundle(sequence = SEQUENCE): Promise<BundleForLink & { materials: Buffer[] }> {
  const materials = KEY_VERSIONS.map(() => randomBytes(32));
  const file = await createBundle({
    deviceId: ID, identityPublicKey: identity.publicKey, caPublicKey: ca.publicKey, sequence, issuedAt: '2026-01-01T00:00:00.000Z',
    keys: KEY_VERSIONS.map((k, i) => ({ ...k, material: materials[i]! })), sign: ca.sign,
  });
  const { bundleId } = bodyOf(file);
  const kb = Buffer.from(hkdfSync('sha256', Buffer.concat(materials), Buffer.from(bundleId, 'hex'), fields('ECPS-KEYBUNDLE-v1 key-confirmation', ID), 32));
  return { sequence, bundleId, file, keyVersions: KEY_VERSIONS, kb, materials };
}

/** A provisioned robot's key store: its identity key (the CA certificate is given to the robot session). */
function provisionedKeystore(): string {
  const keystore = mkdtempSync(path.join(root, 'ks-'));
  writeFileSync(path.join(keystore, 'identity.key.pem'), identity.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  return keystore;
}

interface Run {
  result: Awaited<ReturnType<typeof runDistributionSession>>;
  robot: unknown;
  bundle: Awaited<ReturnType<typeof nextBundle>>;
  /** A copy of Kb taken before the session (the session zeroes the original). */
  kb: Buffer;
  commits: InstalledRecord[];
  failures: DistributionFailure[];
  steps: string[];
  seen: string[];
  issued: number;
  logs: ReturnType<typeof createMemoryLogger>['entries'];
  sent: Frame[];
  robotSent: Frame[];
  keystore: string;
}

interface RunOptions {
  misbehave?: Misbehaviour;
  robot?: (ch: FrameChannel) => Promise<unknown>;
  robotCaPem?: string;
  known?: string[];
  deps?: Partial<DistributionDeps>;
  opts?: Partial<DistributionOptions>;
  cable?: (c: ReturnType<typeof memoryCable>) => void;
  unplugWhenRobotEnds?: boolean;
}

async function distribute(o: RunOptions = {}): Promise<Run> {
  const cable = memoryCable();
  o.cable?.(cable);
  const clock = manualClock();
  const logger = createMemoryLogger();
  const commits: InstalledRecord[] = [];
  const failures: DistributionFailure[] = [];
  const steps: string[] = [];
  const seen: string[] = [];
  let issued = 0;
  const bundle = await nextBundle();
  const kb = Buffer.from(bundle.kb);
  const known = o.known ?? [ID];
  const deps: DistributionDeps = {
    isKnownRobot: async (id) => known.includes(id),
    seen: (id) => void seen.push(id),
    async issueBundle(deviceId, reserved) {
      expect(deviceId).toBe(ID);
      reserved(bundle.sequence);
      clock.advance(250);
      issued++;
      return bundle;
    },
    async commitInstalled(record) {
      clock.advance(750);
      commits.push(record);
    },
    recordFailure: (f) => void failures.push(f),
    ...o.deps,
  };
  const keystore = provisionedKeystore();
  let robotRun: Promise<unknown> = o.robot
    ? o.robot(cable.robotChannel).catch((e: unknown) => e)
    : runRobot(cable.robotChannel, { deviceId: ID, keystore, caCertPem: o.robotCaPem ?? ca.caCertPem, keyType: 'ec', firmware: 'fw-2.1', misbehave: o.misbehave, stepTimeoutMs: 5000 });
  if (o.unplugWhenRobotEnds) robotRun = robotRun.finally(() => cable.unplug());
  const result = await runDistributionSession(cable.consoleChannel, deps, {
    port: PORT, clock, logger, stepTimeoutMs: 5000, onStep: (s, id) => steps.push(`${s}:${id}`), ...o.opts,
  });
  cable.unplug();
  const robot = await robotRun;
  return {
    result, robot, bundle, kb, commits, failures, steps, seen, issued, logs: logger.entries, keystore,
    sent: cable.consoleEnd.frames(), robotSent: cable.robotEnd.frames(),
  };
}

const stepsUpTo = (last: string) => STEPS.slice(0, STEPS.indexOf(last) + 1).map((s) => `${s}:${s === 'hello' ? null : ID}`);
const sentTypes = (run: Run) => run.sent.map((f) => [f.type, f.seq]);
const errorFrame = (run: Run) => {
  const f = run.sent.find((x) => x.type === MessageType.ERROR);
  return f ? { seq: f.seq, ...decodeError(f.payload) } : undefined;
};

interface Failure { step: string; code: string; message: string; details?: Record<string, unknown>; sequence: number | null; durationMs?: number }

/** A failed session: its result, its one failure record and its warning, exactly; nothing committed. */
function expectFailure(run: Run, f: Failure): void {
  expect(run.result.ok).toBe(false);
  if (run.result.ok) return;
  expect(run.result.error).toBeInstanceOf(StationError);
  expect({
    deviceId: run.result.deviceId, step: run.result.step, sequence: run.result.sequence, code: run.result.error.code,
    message: run.result.error.message, details: run.result.error.details, durationMs: run.result.durationMs,
  }).toStrictEqual({ deviceId: ID, step: f.step, sequence: f.sequence, code: f.code, message: f.message, details: f.details, durationMs: f.durationMs ?? 0 });
  expect(run.failures).toStrictEqual([{
    port: PORT, deviceId: ID, step: f.step, sequence: f.sequence, code: f.code, message: f.message, ...(f.details ? { details: f.details } : {}),
  }]);
  expect(run.logs.filter((l) => l.message === 'distribution failed')).toStrictEqual([
    { level: 'warn', message: 'distribution failed', fields: { port: PORT, deviceId: ID, step: f.step, code: f.code, error: f.message } },
  ]);
  expect(run.commits).toEqual([]);
  expect(run.steps).toEqual(stepsUpTo(f.step));
  // Kb of a bundle handed to the session is zeroed when it ends.
  if (run.issued > 0) expect(run.bundle.kb.equals(Buffer.alloc(32))).toBe(true);
}

describe('a distribution session that succeeds', () => {
  it('sends BUNDLE, checks INSTALLED (bundle id, sequence, MAC under Kb), commits once, answers DONE and zeroes Kb', async () => {
    const run = await distribute();
    expect(run.robot).toEqual({ ok: true, deviceId: ID, mode: 'distribute', keys: 2, sequence: SEQUENCE });
    expect(robotStoredKeys(run.keystore)).toEqual(KEY_VERSIONS.map((k, i) => ({ ...k, material: run.bundle.materials[i]!.toString('base64') })));
    expect(run.result).toStrictEqual({ ok: true, deviceId: ID, sequence: SEQUENCE, keyVersions: KEY_VERSIONS, durationMs: 1000 });
    expect(run.commits).toStrictEqual([{ deviceId: ID, sequence: SEQUENCE, bundleId: run.bundle.bundleId, keyVersions: KEY_VERSIONS, port: PORT }]);
    expect(run.failures).toEqual([]);
    expect(run.logs).toStrictEqual([{ level: 'info', message: 'key bundle installed', fields: { port: PORT, deviceId: ID, sequence: SEQUENCE, durationMs: 1000 } }]);
    expect(run.steps).toEqual(stepsUpTo('done'));
    expect(run.seen).toEqual([ID]);
    expect(sentTypes(run)).toEqual([[MessageType.BUNDLE, 0], [MessageType.DONE, 1]]);
    expect(run.sent[0]!.payload).toEqual(fields(run.bundle.file));
    // INSTALLED = bundle id (16), u32 sequence, MAC; DONE = MAC, both keyed with Kb over H = SHA-256(file).
    const h = createHash('sha256').update(run.bundle.file).digest();
    const installedMac = createHmac('sha256', run.kb).update('ECPS-KEYBUNDLE-v1 installed').update(h).digest();
    expect(run.robotSent.map((f) => [f.type, f.seq])).toEqual([[MessageType.HELLO, 0], [MessageType.INSTALLED, 1]]);
    expect(run.robotSent[1]!.payload).toEqual(fields(Buffer.from(run.bundle.bundleId, 'hex'), u32(SEQUENCE), installedMac));
    expect(run.sent[1]!.payload).toEqual(fields(createHmac('sha256', run.kb).update('ECPS-KEYBUNDLE-v1 console-done').update(h).update(installedMac).digest()));
    expect(run.bundle.kb.equals(Buffer.alloc(32))).toBe(true);
  });

  it('needs no progress listener and no last-seen recorder, and carries on when recording last seen fails', async () => {
    expect((await distribute({ opts: { onStep: undefined }, deps: { seen: undefined } })).result.ok).toBe(true);
    for (const [thrown, logged] of [[new Error('database is locked'), { name: 'Error', message: 'database is locked' }], ['busy', 'busy']] as const) {
      const run = await distribute({ deps: { seen: () => { throw thrown; } } });
      expect(run.result.ok).toBe(true);
      expect(run.logs.filter((l) => l.level === 'warn')).toStrictEqual([
        { level: 'warn', message: 'recording last seen failed', fields: { port: PORT, deviceId: ID, error: logged } },
      ]);
    }
  });
});

describe('refusals before the bundle is sent', () => {
  it('an unknown robot: unknown_robot, no bundle built, nothing seen', async () => {
    const run = await distribute({ known: [] });
    const message = `robot ${ID} is not in the fleet registry`;
    expectFailure(run, { step: 'hello', code: 'unknown_robot', message, details: { deviceId: ID }, sequence: null });
    expect(errorFrame(run)).toEqual({ seq: 0xffffffff, code: 'unknown_robot', message });
    expect(run.robot).toMatchObject({ ok: false, code: 'robot_error' });
    expect(run.issued).toBe(0);
    expect(run.seen).toEqual([]);
  });

  it('a robot that may not receive a bundle: not_provisioned as the builder said, no sequence', async () => {
    const refusal = new StationError('not_provisioned', `robot ${ID} has no active certificate of the current fleet CA`, { deviceId: ID });
    const run = await distribute({ deps: { issueBundle: () => Promise.reject(refusal) } });
    expectFailure(run, { step: 'bundle', code: 'not_provisioned', message: refusal.message, details: { deviceId: ID }, sequence: null });
  });

  it('a build that fails after reserving its sequence: internal, and the failure names the burnt sequence', async () => {
    for (const [thrown, text] of [[new Error('CA key disabled'), 'CA key disabled'], ['CA key disabled', 'CA key disabled'], [null, 'null']] as const) {
      const run = await distribute({
        deps: {
          issueBundle: async (_id, reserved) => {
            reserved(9);
            throw thrown;
          },
        },
      });
      expectFailure(run, { step: 'bundle', code: 'internal', message: `the key bundle could not be built: ${text}`, details: { deviceId: ID }, sequence: 9 });
      expect(sentTypes(run)).toEqual([[MessageType.ERROR, 0xffffffff]]);
    }
  });

  it('a registry that fails: internal, whatever it threw', async () => {
    for (const [thrown, text] of [[new Error('registry offline'), 'registry offline'], ['registry offline', 'registry offline'], [null, 'null']] as const) {
      const run = await distribute({ deps: { isKnownRobot: () => Promise.reject(thrown) } });
      expectFailure(run, { step: 'hello', code: 'internal', message: `distribution failed unexpectedly: ${text}`, sequence: null });
    }
  });
});

describe('the INSTALLED answer (docs: this bundle id and sequence, else replayed_message; its MAC, else key_confirmation_failed)', () => {
  it('a wrong MAC: key_confirmation_failed, the bundle sequence recorded as failed', async () => {
    const run = await distribute({ misbehave: 'bad-install-mac' });
    const message = 'the robot installation MAC does not match: it does not hold the keys of this bundle';
    expectFailure(run, { step: 'install', code: 'key_confirmation_failed', message, details: { deviceId: ID }, sequence: SEQUENCE, durationMs: 250 });
    expect(errorFrame(run)).toEqual({ seq: 0xffffffff, code: 'key_confirmation_failed', message });
  });

  it('an INSTALLED for another bundle id or another sequence is a replay', async () => {
    for (const which of ['bundleId', 'sequence'] as const) {
      const run = await distribute({
        robot: async (ch) => {
          await ch.send({ type: MessageType.HELLO, seq: 0, payload: encodeHello({ deviceId: ID, robotNonce: randomBytes(32), firmware: 'fw-2.1' }) });
          const file = decodeBundle((await ch.receive(5000, 'BUNDLE')).frame.payload).file;
          const bundleId = bodyOf(file).bundleId;
          const installed = which === 'bundleId'
            ? { bundleId: randomBytes(16), sequence: SEQUENCE, mac: randomBytes(32) }
            : { bundleId: Buffer.from(bundleId, 'hex'), sequence: SEQUENCE + 1, mac: randomBytes(32) };
          await ch.send({ type: MessageType.INSTALLED, seq: 1, payload: encodeInstalled(installed) });
        },
      });
      const sequence = which === 'bundleId' ? SEQUENCE : SEQUENCE + 1;
      expectFailure(run, {
        step: 'install', code: 'replayed_message', message: `the INSTALLED message answers another bundle (sequence ${sequence}): replay refused`, details: { deviceId: ID }, sequence: SEQUENCE, durationMs: 250,
      });
    }
  });

  it('a replayed HELLO instead of INSTALLED is refused by its sequence number', async () => {
    const run = await distribute({ misbehave: 'replay' });
    expectFailure(run, { step: 'install', code: 'replayed_message', message: 'HELLO frame with sequence 0 while expecting INSTALLED #1: replay refused', details: { seq: 0 }, sequence: SEQUENCE, durationMs: 250 });
  });

  it("the robot's refusal (a bundle of another CA): robot_error with the robot's code, not answered with ERROR", async () => {
    const run = await distribute({ robotCaPem: otherCa.caCertPem });
    expectFailure(run, {
      step: 'install', code: 'robot_error', message: 'robot reported bundle_foreign: the bundle was signed by another CA', details: { robotCode: 'bundle_foreign' }, sequence: SEQUENCE, durationMs: 250,
    });
    expect(sentTypes(run)).toEqual([[MessageType.BUNDLE, 0]]);
  });

  it('a robot that stops answering: timeout; one that leaves: disconnected and no ERROR frame', async () => {
    const stalled = await distribute({ misbehave: 'stall', opts: { stepTimeoutMs: 200 } });
    expectFailure(stalled, { step: 'install', code: 'timeout', message: 'no answer from the robot within 200 ms (waiting for INSTALLED)', details: { step: 'INSTALLED', timeoutMs: 200 }, sequence: SEQUENCE, durationMs: 250 });
    const dropped = await distribute({ misbehave: 'drop', unplugWhenRobotEnds: true });
    expectFailure(dropped, { step: 'install', code: 'disconnected', message: 'serial link closed', sequence: SEQUENCE, durationMs: 250 });
    expect(sentTypes(dropped)).toEqual([[MessageType.BUNDLE, 0]]);
  });
});

describe('the first frame (docs: the robot opens with HELLO)', () => {
  it('any other frame is unexpected_message naming HELLO; no robot, no bundle', async () => {
    const run = await distribute({ robot: (ch) => ch.send({ type: MessageType.INSTALLED, seq: 0, payload: Buffer.alloc(0) }) });
    expect(run.result).toMatchObject({ ok: false, deviceId: null, step: 'hello', sequence: null, error: { code: 'unexpected_message', message: 'INSTALLED frame while expecting HELLO' } });
    expect(run.issued).toBe(0);
    expect(run.failures).toMatchObject([{ deviceId: null, step: 'hello', code: 'unexpected_message', message: 'INSTALLED frame while expecting HELLO' }]);
  });
});

describe('commit and DONE (docs: the commit is one transaction; a DONE not sent after it fails the session, the commit stands)', () => {
  it('a commit that fails is commit_failed; the robot is told', async () => {
    for (const [thrown, text] of [[new Error('disk full'), 'disk full'], ['disk full', 'disk full'], [undefined, 'undefined']] as const) {
      const run = await distribute({ deps: { commitInstalled: () => Promise.reject(thrown) } });
      const message = `recording the installation on ${ID} failed, nothing was recorded: ${text}`;
      expectFailure(run, { step: 'commit', code: 'commit_failed', message, details: { deviceId: ID }, sequence: SEQUENCE, durationMs: 250 });
      expect(errorFrame(run)).toEqual({ seq: 0xffffffff, code: 'commit_failed', message });
    }
  });

  it('DONE that cannot be sent after the commit: done_not_delivered at done, its failure recorded; the commit stands', async () => {
    // The console's second write is DONE (BUNDLE, DONE).
    const run = await distribute({ cable: (c) => void (c.consoleEnd.failFrom = { index: 1, error: new Error('EIO') }) });
    const message = `bundle ${SEQUENCE} is recorded as installed, but the DONE frame could not be sent to ${ID}: serial write failed: EIO`;
    expect(run.result.ok).toBe(false);
    if (run.result.ok) return;
    expect({ step: run.result.step, sequence: run.result.sequence, code: run.result.error.code, message: run.result.error.message })
      .toStrictEqual({ step: 'done', sequence: SEQUENCE, code: 'done_not_delivered', message });
    expect(run.commits).toHaveLength(1);
    expect(run.failures).toStrictEqual([
      { port: PORT, deviceId: ID, step: 'done', sequence: SEQUENCE, code: 'done_not_delivered', message, details: { deviceId: ID, cause: 'disconnected' } },
    ]);
    expect(run.logs.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual(['distribution failed']);
    expect(run.bundle.kb.equals(Buffer.alloc(32))).toBe(true);
  });

  it('a failure record that cannot be written is logged, and the session still ends with its own error', async () => {
    const run = await distribute({ known: [], deps: { recordFailure: () => { throw new Error('store closed'); } } });
    expect(run.result).toMatchObject({ ok: false, step: 'hello', error: { code: 'unknown_robot' } });
    expect(run.logs.filter((l) => l.level === 'error')).toStrictEqual([
      { level: 'error', message: 'recording a failed distribution failed', fields: { port: PORT, error: { name: 'Error', message: 'store closed' } } },
    ]);
  });
});
