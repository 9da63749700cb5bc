// The console side of a key distribution session (electron/station/distributeSession.ts) in this process: the real
// robot session code (test/robot-sim/robotSession.ts, which installs with installBundle.ts) or a scripted robot on the
// other end of an in-memory cable, a kit CA that signs bundles, and in-memory dependencies. Expectations come from
// docs/provisioning-protocol.md ("Key bundles over the serial link": steps, sequence rules, Kb and the INSTALLED and
// DONE MACs, what a failure records) and from tables in this file.
import { X509Certificate, createHash, createHmac, generateKeyPairSync, hkdfSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { createBundle } from '../../electron/station/bundle.ts';
import {
  runDistributionSession, type BundleForLink, type DistributionDeps, type DistributionFailure, type DistributionOptions, type InstalledRecord, type OrderAnswer,
  type ReissueFailure, type ReissueOffer, type ReissuedCertificate,
} from '../../electron/station/distributeSession.ts';
import { StationError } from '../../electron/station/errors.ts';
import { FrameDecoder, MessageType, encodeFrame, type Frame } from '../../electron/station/frame.ts';
import { decodeBundle, decodeError, decodeRenew, encodeCsr, encodeHello, encodeInstalled, encodeRenewed } from '../../electron/station/protocol.ts';
import type { FrameChannel } from '../../electron/station/transport.ts';
import { runRobot, type Misbehaviour } from '../robot-sim/robotSession.ts';
import { robotStoredKeys } from '../robot-sim/scenario.ts';
import { kitCa, kitIssuingCa, type KitCa } from './bundle-kit.ts';
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

// The re-issue exchange after a CA replacement: docs/provisioning-protocol.md ("Re-issue after a CA replacement": the
// four frames, their fields and sequence numbers, the console numbering on from 2 and the robot from 3) and
// docs/fleet-ca.md ("Re-issue at the station": the console's checks, each refusal's code and reason, the failure
// audited with the serial of a certificate issued in it, no bundle after a refusal). The robot is the simulator's real
// session code (test/robot-sim/reissue.ts), trusting the retired CA `ca`; `newCa` is the current CA.
describe('the re-issue exchange (RENEW, CSR, CERT, RENEWED)', () => {
  let newCa: Awaited<ReturnType<typeof kitIssuingCa>>;
  let offer: ReissueOffer;
  beforeAll(async () => {
    newCa = await kitIssuingCa();
    const retiredSpki = ca.publicKey.export({ format: 'der', type: 'spki' });
    offer = {
      fromCaId: 'ca-retired', toCaId: 'ca-current', caCertDer: newCa.caCertDer,
      endorserKeyId: createHash('sha256').update(retiredSpki).digest('hex'), endorsement: await ca.sign(fields('ECPS-CA-ENDORSE-v1', newCa.caCertDer)),
    };
  });

  interface ReissueLog { issued: ReissuedCertificate[]; commits: unknown[]; fails: ReissueFailure[] }
  /** The re-issue dependencies, recording what the session asked; `over` replaces some. */
  function reissueDeps(over: Partial<DistributionDeps> = {}): { deps: Partial<DistributionDeps>; log: ReissueLog } {
    const log: ReissueLog = { issued: [], commits: [], fails: [] };
    const deps: Partial<DistributionDeps> = {
      reissueOffer: (id) => (id === ID ? offer : null),
      robotIdentityKey: (id) => (id === ID ? identity.publicKey : null),
      async reissueCertificate(id, csrDer) {
        const c = await newCa.issueCertificate(csrDer, id);
        const issued = { serial: new X509Certificate(c.certDer).serialNumber, certDer: c.certDer };
        log.issued.push(issued);
        return issued;
      },
      commitReissue: (r) => void log.commits.push(r),
      failReissue: (f) => void log.fails.push(f),
      ...over,
    };
    return { deps, log };
  }

  interface ReissueRefusal { code: string; message: string; reason: string; details: Record<string, unknown> | undefined; serial: string | null }
  /** A refusal whose details are the device and the reason (docs/fleet-ca.md's reasons). */
  const refusal = (code: string, message: string, reason: string, serial: string | null = null): ReissueRefusal => ({ code, message, reason, details: { deviceId: ID, reason }, serial });

  /** A refused re-issue: the session fails at reissue, the failure audited once with its reason, no bundle, no commit. */
  function expectReissueFailure(run: Run, log: ReissueLog, f: ReissueRefusal): void {
    expect(run.result.ok).toBe(false);
    if (run.result.ok) return;
    expect(run.result.error).toBeInstanceOf(StationError);
    expect({ step: run.result.step, sequence: run.result.sequence, code: run.result.error.code, message: run.result.error.message, details: run.result.error.details })
      .toStrictEqual({ step: 'reissue', sequence: null, code: f.code, message: f.message, details: f.details });
    expect(log.fails).toStrictEqual([{ port: PORT, deviceId: ID, code: f.code, reason: f.reason, message: f.message, serial: f.serial }]);
    expect(run.failures).toStrictEqual([{ port: PORT, deviceId: ID, step: 'reissue', sequence: null, code: f.code, message: f.message, ...(f.details ? { details: f.details } : {}) }]);
    expect(log.commits).toEqual([]);
    expect(run.commits).toEqual([]);
    expect(run.issued).toBe(0);
    expect(run.steps).toEqual(['hello:null', `reissue:${ID}`]);
  }

  /** A robot that says HELLO, reads RENEW and answers with `csr(robotNonce, renew)`; then waits for the end. */
  const scriptedRobot = (csr: (robotNonce: Buffer, renew: ReturnType<typeof decodeRenew>) => Buffer) => async (ch: FrameChannel) => {
    const robotNonce = randomBytes(32);
    await ch.send({ type: MessageType.HELLO, seq: 0, payload: encodeHello({ deviceId: ID, robotNonce, firmware: 'fw-2.1' }) });
    const renew = decodeRenew((await ch.receive(5000, 'RENEW')).frame.payload);
    await ch.send({ type: MessageType.CSR, seq: 1, payload: csr(robotNonce, renew) });
    return ch.receive(5000, 'the end');
  };

  /** The simulator's real robot, which sends `instead` where it would send its RENEWED frame. */
  const robotSendingInsteadOfRenewed = (instead: Frame) => (ch: FrameChannel) => {
    ch.sendRaw = ((send) => (raw: Buffer) => {
      const f = new FrameDecoder().push(raw)[0];
      return send(f?.kind === 'frame' && f.frame.type === MessageType.RENEWED ? encodeFrame(instead) : raw);
    })(ch.sendRaw.bind(ch));
    return runRobot(ch, { deviceId: ID, keystore: provisionedKeystore(), caCertPem: ca.caCertPem, keyType: 'ec', firmware: 'fw-2.1', stepTimeoutMs: 5000 });
  };

  it('a flagged robot: RENEW 0 with the endorsed CA certificate, CERT 1, the bundle then numbered on from 2, one commit', async () => {
    const { deps, log } = reissueDeps();
    const run = await distribute({ deps });
    expect(run.robot).toEqual({ ok: true, deviceId: ID, mode: 'distribute', keys: 2, sequence: SEQUENCE, reissued: true });
    expect(run.result).toStrictEqual({ ok: true, deviceId: ID, sequence: SEQUENCE, keyVersions: KEY_VERSIONS, durationMs: 1000 });
    expect(run.steps).toEqual(['hello:null', `reissue:${ID}`, ...stepsUpTo('done').slice(1)]);
    expect(sentTypes(run)).toEqual([[MessageType.RENEW, 0], [MessageType.CERT, 1], [MessageType.BUNDLE, 2], [MessageType.DONE, 3]]);
    expect(run.robotSent.map((f) => [f.type, f.seq])).toEqual([[MessageType.HELLO, 0], [MessageType.CSR, 1], [MessageType.RENEWED, 2], [MessageType.INSTALLED, 3]]);
    // RENEW = console nonce (32 bytes), CA certificate, endorser key id, endorsement.
    const renew = run.sent[0]!.payload;
    expect(renew.readUInt32BE(0)).toBe(32);
    const consoleNonce = renew.subarray(4, 36);
    expect(renew).toEqual(fields(consoleNonce, offer.caCertDer, offer.endorserKeyId, offer.endorsement));
    // The CSR echoes HELLO's robot nonce and this console nonce.
    const helloNonce = run.robotSent[0]!.payload.subarray(4 + ID.length + 4, 4 + ID.length + 4 + 32);
    expect(run.robotSent[1]!.payload.subarray(0, 72)).toEqual(fields(helloNonce, consoleNonce));
    // CERT = the certificate, a chain of one: the current CA certificate (no emergency key field).
    expect(log.issued).toHaveLength(1);
    const issued = log.issued[0]!;
    expect(run.sent[1]!.payload).toEqual(fields(issued.certDer, u32(1), offer.caCertDer));
    expect(log.commits).toStrictEqual([{ port: PORT, deviceId: ID, offer, issued }]);
    expect(log.fails).toEqual([]);
    expect(run.failures).toEqual([]);
    // Each session draws its own console nonce.
    const again = await distribute({ deps: reissueDeps().deps });
    expect(again.sent[0]!.payload.subarray(4, 36).equals(consoleNonce)).toBe(false);
  });

  it('needs no commit or failure recorder to run: without them it still re-issues, and still fails a refusal', async () => {
    expect((await distribute({ deps: reissueDeps({ commitReissue: undefined, failReissue: undefined }).deps })).result.ok).toBe(true);
    const refused = await distribute({ deps: reissueDeps({ failReissue: undefined }).deps, misbehave: 'reissue-other-key' });
    expect(refused.result).toMatchObject({ ok: false, step: 'reissue', error: { code: 'identity_key_mismatch' } });
  });

  it('orders after a re-issue: ORDER numbered 2, its ORDER_ACK 3, then BUNDLE 3 and INSTALLED 4 (docs: distributeSeqs)', async () => {
    const answers: OrderAnswer[] = [];
    const { deps } = reissueDeps({ orderItems: () => [{ kind: 'order', content: Buffer.from('an order'), ref: 8 }], recordOrderAnswer: (a) => void answers.push(a) });
    const run = await distribute({ deps });
    expect(run.result.ok).toBe(true);
    expect(sentTypes(run)).toEqual([[MessageType.RENEW, 0], [MessageType.CERT, 1], [MessageType.ORDER, 2], [MessageType.BUNDLE, 3], [MessageType.DONE, 4]]);
    expect(run.robotSent.map((f) => [f.type, f.seq])).toEqual([[MessageType.HELLO, 0], [MessageType.CSR, 1], [MessageType.RENEWED, 2], [MessageType.ORDER_ACK, 3], [MessageType.INSTALLED, 4]]);
    expect(answers.map((a) => [a.ref, a.result])).toEqual([[8, 'no_emergency_key']]);
  });

  it('a robot without a registered identity key: not_provisioned (no_identity_key), no RENEW sent', async () => {
    for (const robotIdentityKey of [() => null, undefined]) {
      const { deps, log } = reissueDeps({ robotIdentityKey });
      const run = await distribute({ deps });
      const message = `robot ${ID} has no registered identity key: it cannot be re-issued a certificate`;
      expectReissueFailure(run, log, refusal('not_provisioned', message, 'no_identity_key'));
      expect(sentTypes(run)).toEqual([[MessageType.ERROR, 0xffffffff]]);
      expect(errorFrame(run)).toEqual({ seq: 0xffffffff, code: 'not_provisioned', message });
    }
  });

  it('a CSR with the nonces of another session (either one): replayed_message, nothing issued', async () => {
    for (const which of ['robot', 'console'] as const) {
      const { deps, log } = reissueDeps();
      const run = await distribute({
        deps,
        robot: scriptedRobot((robotNonce, renew) => encodeCsr({
          robotNonce: which === 'robot' ? randomBytes(32) : robotNonce, consoleNonce: which === 'console' ? randomBytes(32) : renew.consoleNonce,
          csrDer: Buffer.from('a CSR'), nonceSignature: Buffer.from('a signature'),
        })),
      });
      expectReissueFailure(run, log, refusal('replayed_message', 'the re-issue CSR answers another session (nonces differ): replay refused', 'reissue_nonce_mismatch'));
      expect(log.issued).toEqual([]);
    }
  });

  it('a CSR signed for the session by another key (forged_csr), or for another key than the registered one (identity_key_mismatch): nothing issued', async () => {
    const cases = [
      ['reissue-bad-signature', refusal('forged_csr', 'the signature over the re-issue session is not made with the key of the CSR', 'nonce_signature_invalid')],
      ['reissue-other-key', refusal('identity_key_mismatch', `the re-issue CSR is for another key than ${ID}'s registered identity key: refused`, 'csr_key_not_registered')],
    ] as const;
    for (const [misbehave, refused] of cases) {
      const { deps, log } = reissueDeps();
      const run = await distribute({ deps, misbehave });
      expectReissueFailure(run, log, refused);
      expect(log.issued).toEqual([]);
      expect(errorFrame(run)).toEqual({ seq: 0xffffffff, code: refused.code, message: refused.message });
    }
  });

  it('a console that cannot issue: internal; a CA that refuses: certificate_rejected (ca_refused), whatever it threw', async () => {
    const { deps, log } = reissueDeps({ reissueCertificate: undefined });
    expectReissueFailure(await distribute({ deps }), log, {
      code: 'internal', message: 'this console cannot re-issue certificates', reason: 'internal', details: { deviceId: ID }, serial: null,
    });
    for (const [thrown, text] of [[new Error('CA key disabled'), 'CA key disabled'], ['CA key disabled', 'CA key disabled'], [null, 'null']] as const) {
      const refused = reissueDeps({ reissueCertificate: () => Promise.reject(thrown) });
      expectReissueFailure(await distribute({ deps: refused.deps }), refused.log, refusal('certificate_rejected', `the fleet CA refused the re-issue CSR: ${text}`, 'ca_refused'));
    }
  });

  it('a certificate that does not carry the robot key (or is none): certificate_rejected, and its serial is named to be revoked', async () => {
    const cases = [
      // The CA's own certificate: a real certificate, for the CA's key.
      [{ serial: '0a1b', certDer: newCa.caCertDer }, 'the issued certificate does not carry the robot identity key', 'certificate_key_mismatch'],
      [{ serial: '0c2d', certDer: Buffer.from('not DER') }, 'the CA returned something that is not a certificate', 'certificate_malformed'],
    ] as const;
    for (const [issued, message, reason] of cases) {
      const { deps, log } = reissueDeps({ reissueCertificate: async () => issued });
      const run = await distribute({ deps });
      expectReissueFailure(run, log, refusal('certificate_rejected', message, reason, issued.serial));
      expect(sentTypes(run)).toEqual([[MessageType.RENEW, 0], [MessageType.ERROR, 0xffffffff]]);
    }
  });

  it('a RENEWED not signed by the identity key over this session and certificate: forged_ack, the new certificate to be revoked', async () => {
    const { deps, log } = reissueDeps();
    const run = await distribute({
      deps,
      // The real robot, whose RENEWED carries an identity-key signature over something else.
      robot: robotSendingInsteadOfRenewed({ type: MessageType.RENEWED, seq: 2, payload: encodeRenewed({ signature: sign('sha256', Buffer.from('another session'), identity.privateKey) }) }),
    });
    const message = `the RENEWED answer is not signed by ${ID}'s identity key for this certificate: refused`;
    expect(log.issued).toHaveLength(1);
    expectReissueFailure(run, log, refusal('forged_ack', message, 'renewed_signature_invalid', log.issued[0]!.serial));
  });

  it('a registry that cannot record the certificate: commit_failed, the certificate to be revoked, whatever it threw', async () => {
    for (const [thrown, text] of [[new Error('disk full'), 'disk full'], ['disk full', 'disk full'], [undefined, 'undefined']] as const) {
      const { deps, log } = reissueDeps({ commitReissue: () => Promise.reject(thrown) });
      const run = await distribute({ deps });
      expect(log.issued).toHaveLength(1);
      expectReissueFailure(run, log, {
        code: 'commit_failed', message: `recording the re-issued certificate of ${ID} failed: ${text}`, reason: 'commit_failed', details: { deviceId: ID }, serial: log.issued[0]!.serial,
      });
    }
  });

  it("a robot that refuses the endorsement (it trusts another CA): robot_error, reason robot:<its code>, no ERROR back", async () => {
    const { deps, log } = reissueDeps();
    const run = await distribute({ deps, robotCaPem: otherCa.caCertPem });
    expectReissueFailure(run, log, {
      code: 'robot_error', message: 'robot reported certificate_rejected: the new CA certificate is endorsed by a CA this robot does not trust',
      reason: 'robot:certificate_rejected', details: { robotCode: 'certificate_rejected' }, serial: null,
    });
    expect(sentTypes(run)).toEqual([[MessageType.RENEW, 0]]);
  });

  it('a robot that stops answering after RENEW: timeout, its code as the reason', async () => {
    const { deps, log } = reissueDeps();
    const run = await distribute({
      deps, opts: { stepTimeoutMs: 200 },
      robot: async (ch) => {
        await ch.send({ type: MessageType.HELLO, seq: 0, payload: encodeHello({ deviceId: ID, robotNonce: randomBytes(32), firmware: 'fw-2.1' }) });
        return ch.receive(5000, 'RENEW');
      },
    });
    expectReissueFailure(run, log, {
      code: 'timeout', message: 'no answer from the robot within 200 ms (waiting for CSR)', reason: 'timeout', details: { step: 'CSR', timeoutMs: 200 }, serial: null,
    });
  });

  it('a robot that leaves after RENEW: disconnected, its code as the reason (no details)', async () => {
    const { deps, log } = reissueDeps();
    const run = await distribute({
      deps, unplugWhenRobotEnds: true,
      robot: async (ch) => {
        await ch.send({ type: MessageType.HELLO, seq: 0, payload: encodeHello({ deviceId: ID, robotNonce: randomBytes(32), firmware: 'fw-2.1' }) });
        await ch.receive(5000, 'RENEW');
      },
    });
    expectReissueFailure(run, log, { code: 'disconnected', message: 'serial link closed', reason: 'disconnected', details: undefined, serial: null });
  });

  it('another frame in place of RENEWED: unexpected_message naming RENEWED, the new certificate to be revoked', async () => {
    const { deps, log } = reissueDeps();
    const run = await distribute({
      deps,
      robot: robotSendingInsteadOfRenewed({ type: MessageType.INSTALLED, seq: 2, payload: Buffer.alloc(0) }),
    });
    expect(log.issued).toHaveLength(1);
    expect(run.result).toMatchObject({ ok: false, step: 'reissue', error: { code: 'unexpected_message', message: 'INSTALLED frame while expecting RENEWED' } });
    expect(log.fails).toMatchObject([{ code: 'unexpected_message', reason: 'unexpected_message', serial: log.issued[0]!.serial }]);
  });

  it('an unexpected failure (the registry throws): internal, reason internal, whatever was thrown', async () => {
    for (const [thrown, text] of [[new Error('registry offline'), 'registry offline'], ['registry offline', 'registry offline'], [null, 'null']] as const) {
      const { deps, log } = reissueDeps({ robotIdentityKey: () => { throw thrown; } });
      expectReissueFailure(await distribute({ deps }), log, {
        code: 'internal', message: `the re-issue failed unexpectedly: ${text}`, reason: 'internal', details: { deviceId: ID }, serial: null,
      });
    }
  });
});
