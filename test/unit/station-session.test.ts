// The console side of a provisioning session (electron/station/session.ts) in this process: the real robot session
// code (test/robot-sim/robotSession.ts) or a scripted robot on the other end of an in-memory cable, the test CA, and
// in-memory dependencies. Expectations come from docs/provisioning-protocol.md ("Session", "Messages", "Transcript
// and key confirmation") and from tables in this file: the steps, codes and messages, the audit entries, what is
// committed, and the exact frames the console sent. The pty tests (test/integration/station-*.test.ts) run the same
// session against the simulator in a child process.
import 'reflect-metadata';
import { createHash, createHmac, generateKeyPairSync, hkdfSync, randomBytes, sign, webcrypto, KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { StationError } from '../../electron/station/errors.ts';
import { MessageType, type Frame } from '../../electron/station/frame.ts';
import {
  decodeCert, decodeChallenge, decodeError, decodeHello, decodeKeys, encodeCsr, encodeError, encodeHello, encodeMac, nonceSignatureInput,
} from '../../electron/station/protocol.ts';
import { expectFrame, runConsoleSession, type CommitRecord, type DeliverableKey, type ProvisioningDeps, type SessionOptions, type StationAuditEntry } from '../../electron/station/session.ts';
import type { FrameChannel } from '../../electron/station/transport.ts';
import { runRobot, type Misbehaviour } from '../robot-sim/robotSession.ts';
import { robotState, robotStoredKeys } from '../robot-sim/scenario.ts';
import { createTestCa, type TestCa } from '../robot-sim/testCa.ts';
import { memoryCable } from './station-link-kit.ts';

const ID = 'R-7';
const PORT = '/dev/ttyACM9';
const FIRMWARE = 'fw-2.1';
const STEPS = ['hello', 'challenge', 'csr', 'certificate', 'keys', 'confirm', 'commit', 'done'];

let ca: TestCa;
let root: string;
beforeAll(async () => {
  ca = await createTestCa();
  root = mkdtempSync(path.join(tmpdir(), 'station-session-'));
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

/** The transcript hash as the docs define it, over raw frames. */
function docTranscript(frames: Buffer[]): Buffer {
  const h = createHash('sha256').update('ECPS-PROV-v1 transcript');
  for (const f of frames) h.update(fields(f));
  return h.digest();
}

interface Run {
  result: Awaited<ReturnType<typeof runConsoleSession>>;
  robot: unknown;
  audits: StationAuditEntry[];
  commits: CommitRecord[];
  steps: string[];
  seen: string[];
  issued: Array<{ deviceId: string; certDer: Buffer }>;
  keys: DeliverableKey[];
  logs: ReturnType<typeof createMemoryLogger>['entries'];
  /** Frames each side sent, decoded, and the raw bytes of each. */
  sent: Frame[];
  robotSent: Frame[];
  consoleRaw: Buffer[];
  robotRaw: Buffer[];
  keystore: string;
}

interface RunOptions {
  misbehave?: Misbehaviour;
  /** Replaces the real robot session (runRobot) with a script on the robot's channel. */
  robot?: (ch: FrameChannel, cable: ReturnType<typeof memoryCable>) => Promise<unknown>;
  known?: string[];
  provisioned?: string[];
  deps?: Partial<ProvisioningDeps>;
  opts?: Partial<SessionOptions>;
  keys?: DeliverableKey[];
  /** Prepares the cable before the session (failing or stalled writes). */
  cable?: (c: ReturnType<typeof memoryCable>) => void;
  /** The robot leaves with the cable: it is pulled as soon as the robot's side ends. */
  unplugWhenRobotEnds?: boolean;
}

async function provision(o: RunOptions = {}): Promise<Run> {
  const cable = memoryCable();
  o.cable?.(cable);
  const clock = manualClock();
  const logger = createMemoryLogger();
  const audits: StationAuditEntry[] = [];
  const commits: CommitRecord[] = [];
  const steps: string[] = [];
  const seen: string[] = [];
  const issued: Run['issued'] = [];
  const keys = o.keys ?? [
    { keyId: 'comm-R-7', version: 1, material: randomBytes(32) },
    { keyId: 'storage-R-7', version: 3, material: randomBytes(32) },
  ];
  const known = o.known ?? [ID];
  const provisioned = o.provisioned ?? [];
  const deps: ProvisioningDeps = {
    async issueCertificate(csrDer, deviceId) {
      const out = await ca.issueCertificate(csrDer, deviceId);
      issued.push({ deviceId, certDer: out.certDer });
      return out;
    },
    async keysToDeliver() {
      clock.advance(250);
      return keys;
    },
    isKnownRobot: (id) => known.includes(id),
    isProvisioned: async (id) => provisioned.includes(id),
    seen: (id) => void seen.push(id),
    async commitProvisioned(record) {
      clock.advance(750);
      commits.push(record);
    },
    audit: (e) => void audits.push(e),
    ...o.deps,
  };
  const keystore = mkdtempSync(path.join(root, 'ks-'));
  let robotRun: Promise<unknown> = o.robot
    ? o.robot(cable.robotChannel, cable).catch((e: unknown) => e)
    : runRobot(cable.robotChannel, { deviceId: ID, keystore, caCertPem: ca.caCertPem, keyType: 'ec', firmware: FIRMWARE, misbehave: o.misbehave, stepTimeoutMs: 5000 });
  if (o.unplugWhenRobotEnds) robotRun = robotRun.finally(() => cable.unplug());
  const result = await runConsoleSession(cable.consoleChannel, deps, {
    port: PORT, clock, logger, stepTimeoutMs: 5000, onStep: (s, id) => steps.push(`${s}:${id}`), ...o.opts,
  });
  // The session is over: pull the cable, so a robot still waiting ends too.
  cable.unplug();
  const robot = await robotRun;
  return {
    result, robot, audits, commits, steps, seen, issued, keys, logs: logger.entries, keystore,
    sent: cable.consoleEnd.frames(), robotSent: cable.robotEnd.frames(), consoleRaw: cable.consoleEnd.rawFrames(), robotRaw: cable.robotEnd.rawFrames(),
  };
}

const stepsUpTo = (last: string, deviceId: string | null = ID) => STEPS.slice(0, STEPS.indexOf(last) + 1).map((s) => `${s}:${s === 'hello' ? null : deviceId}`);

/** The frames the console sent, as [type, seq]. */
const sentTypes = (run: Run) => run.sent.map((f) => [f.type, f.seq]);

/** The ERROR frame the console sent (docs: seq 0xFFFFFFFF, code and message), or undefined. */
function errorFrame(run: Run): { seq: number; code: string; message: string } | undefined {
  const f = run.sent.find((x) => x.type === MessageType.ERROR);
  return f ? { seq: f.seq, ...decodeError(f.payload) } : undefined;
}

interface Failure { step: string; code: string; message: string; details?: Record<string, unknown>; deviceId?: string | null; durationMs?: number }

/** A failed session: its result, its one failure audit entry and its warning, exactly; nothing committed. */
function expectFailure(run: Run, f: Failure): void {
  const deviceId = f.deviceId === undefined ? ID : f.deviceId;
  expect(run.result.ok).toBe(false);
  if (run.result.ok) return;
  expect(run.result.error).toBeInstanceOf(StationError);
  expect({ deviceId: run.result.deviceId, step: run.result.step, code: run.result.error.code, message: run.result.error.message, details: run.result.error.details, durationMs: run.result.durationMs })
    .toStrictEqual({ deviceId, step: f.step, code: f.code, message: f.message, details: f.details, durationMs: f.durationMs ?? 0 });
  expect(run.audits).toStrictEqual([{
    action: 'station.provision', outcome: 'failure', port: PORT, deviceId, step: f.step, code: f.code, message: f.message, ...(f.details ? { details: f.details } : {}),
  }]);
  expect(run.logs.filter((l) => l.message === 'provisioning failed')).toStrictEqual([
    { level: 'warn', message: 'provisioning failed', fields: { port: PORT, deviceId, step: f.step, code: f.code, error: f.message } },
  ]);
  expect(run.commits).toEqual([]);
  expect(run.steps).toEqual(stepsUpTo(f.step, deviceId));
}

/** The console told the robot why (an ERROR frame), and the robot ended on it. */
function expectErrorSent(run: Run, code: string, message: string): void {
  expect(errorFrame(run)).toEqual({ seq: 0xffffffff, code, message });
  expect(run.robot).toMatchObject({ ok: false, code: 'robot_error' });
}

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

/** A robot identity key and its CSR (subject CN=cn), as the robot builds them. */
async function identityCsr(cn = ID): Promise<{ csrDer: Buffer; privateKey: KeyObject }> {
  const pair = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${cn}`, keys: pair, signingAlgorithm: EC });
  return { csrDer: Buffer.from(csr.rawData), privateKey: KeyObject.from(pair.privateKey) };
}

/** Scripted robot: HELLO, then the console's CHALLENGE. */
async function sayHello(ch: FrameChannel, deviceId = ID): Promise<{ robotNonce: Buffer; consoleNonce: Buffer }> {
  const robotNonce = randomBytes(32);
  await ch.send({ type: MessageType.HELLO, seq: 0, payload: encodeHello({ deviceId, robotNonce, firmware: FIRMWARE }) });
  const challenge = await ch.receive(5000, 'CHALLENGE');
  return { robotNonce, consoleNonce: decodeChallenge(challenge.frame.payload).consoleNonce };
}

/** Scripted robot: a CSR message with a valid CSR, echoing the given nonces, signed over the given ones. */
async function sendCsr(ch: FrameChannel, echo: { robotNonce: Buffer; consoleNonce: Buffer }, seq = 1): Promise<void> {
  const { csrDer, privateKey } = await identityCsr();
  const nonceSignature = sign('sha256', nonceSignatureInput(ID, echo.robotNonce, echo.consoleNonce, csrDer), privateKey);
  await ch.send({ type: MessageType.CSR, seq, payload: encodeCsr({ ...echo, csrDer, nonceSignature }) });
}

describe('a provisioning session that succeeds', () => {
  it('runs HELLO .. DONE, commits the robot once with the documented transcript hash, audits and logs success', async () => {
    const run = await provision();
    expect(run.robot).toEqual({ ok: true, deviceId: ID, mode: 'provision', keys: 2 });
    expect(sentTypes(run)).toEqual([[MessageType.CHALLENGE, 0], [MessageType.CERT, 1], [MessageType.KEYS, 2], [MessageType.DONE, 3]]);
    expect(run.robotSent.map((f) => [f.type, f.seq])).toEqual([[MessageType.HELLO, 0], [MessageType.CSR, 1], [MessageType.CONFIRM, 2]]);
    const [hello, csr, confirm] = run.robotRaw as [Buffer, Buffer, Buffer];
    const [challenge, cert, keys] = run.consoleRaw as [Buffer, Buffer, Buffer];
    const th = docTranscript([hello, challenge, csr, cert, keys]);
    const transcriptHash = th.toString('hex');
    const keyVersions = [{ keyId: 'comm-R-7', version: 1 }, { keyId: 'storage-R-7', version: 3 }];
    // The clock moved 250 ms while the keys were chosen and 750 ms during the commit.
    expect(run.result).toStrictEqual({ ok: true, deviceId: ID, transcriptHash, keyVersions, durationMs: 1000 });
    expect(run.issued.map((i) => i.deviceId)).toEqual([ID]);
    expect(run.commits).toStrictEqual([{ deviceId: ID, certificate: run.issued[0]!.certDer, keyVersions, transcriptHash, firmware: FIRMWARE }]);
    expect(run.audits).toStrictEqual([
      { action: 'station.provision', outcome: 'success', port: PORT, deviceId: ID, step: 'done', details: { keys: 2, durationMs: 1000 } },
    ]);
    expect(run.logs).toStrictEqual([{ level: 'info', message: 'robot provisioned', fields: { port: PORT, deviceId: ID, durationMs: 1000 } }]);
    expect(run.steps).toEqual(stepsUpTo('done'));
    expect(run.seen).toEqual([ID]);

    // CHALLENGE: the robot nonce echoed and a 32-byte console nonce. CERT: the issued certificate and the CA chain.
    const robotNonce = decodeHello(run.robotSent[0]!.payload).robotNonce;
    const { consoleNonce } = decodeChallenge(run.sent[0]!.payload);
    expect(run.sent[0]!.payload).toEqual(fields(robotNonce, consoleNonce));
    expect(consoleNonce).toHaveLength(32);
    expect(decodeCert(run.sent[1]!.payload)).toEqual({ certDer: run.issued[0]!.certDer, chainDer: [ca.caCertDer] });
    // KEYS: each key under its id and version (scheme 1 for an EC identity); the robot unwrapped exactly these keys.
    expect(decodeKeys(run.sent[2]!.payload).keys.map((k) => [k.keyId, k.version, k.scheme])).toEqual([['comm-R-7', 1, 1], ['storage-R-7', 3, 1]]);
    expect(robotStoredKeys(run.keystore)).toEqual(run.keys.map((k) => ({ keyId: k.keyId, version: k.version, material: k.material.toString('base64') })));
    // CONFIRM and DONE MACs as the docs define them.
    const kc = Buffer.from(hkdfSync('sha256', Buffer.concat(run.keys.map((k) => k.material)), Buffer.concat([robotNonce, consoleNonce]), fields('ECPS-PROV-v1 key-confirmation', ID), 32));
    const robotMac = createHmac('sha256', kc).update('ECPS-PROV-v1 robot-confirm').update(th).digest();
    expect(run.robotSent[2]!.payload).toEqual(fields(robotMac));
    expect(confirm.length).toBeGreaterThan(0);
    expect(run.sent[3]!.payload).toEqual(fields(createHmac('sha256', kc).update('ECPS-PROV-v1 console-done').update(th).update(robotMac).digest()));
    expect(robotState(run.keystore)).toEqual({ provisioned: true, transcriptHash });
  });

  it('needs no progress listener, no last-seen recorder and no chain from the CA', async () => {
    const run = await provision({
      opts: { onStep: undefined },
      deps: { seen: undefined, issueCertificate: async (csrDer, id) => ({ certDer: (await ca.issueCertificate(csrDer, id)).certDer }) },
    });
    expect(run.result).toMatchObject({ ok: true, deviceId: ID });
    expect(run.robot).toMatchObject({ ok: true });
    expect(decodeCert(run.sent[1]!.payload).chainDer).toEqual([]);
    expect(run.logs.filter((l) => l.level !== 'info')).toEqual([]);
  });

  it("CERT ends with the fleet emergency key's SPKI when the console has one, and without the field when it has none (docs: \"The emergency key at provisioning\")", async () => {
    const spki = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'der', type: 'spki' });
    const one = Buffer.from([0, 0, 0, 1]);
    for (const [emergencyPublicKey, tail] of [[() => spki, [spki]], [() => null, []]] as const) {
      const run = await provision({ deps: { emergencyPublicKey } });
      expect(run.result).toMatchObject({ ok: true, deviceId: ID });
      // certificate DER, u32 chain count (a 4-byte field), the chain, [emergency public key]: each a field.
      expect(run.sent[1]!.payload).toEqual(fields(run.issued[0]!.certDer, one, ca.caCertDer, ...tail));
    }
  });

  it('records a known robot as last seen and carries on when recording it fails', async () => {
    for (const [thrown, logged] of [[new Error('database is locked'), { name: 'Error', message: 'database is locked' }], ['busy', 'busy']] as const) {
      const run = await provision({ deps: { seen: () => { throw thrown; } } });
      expect(run.result.ok).toBe(true);
      expect(run.logs.filter((l) => l.level === 'warn')).toStrictEqual([
        { level: 'warn', message: 'recording last seen failed', fields: { port: PORT, deviceId: ID, error: logged } },
      ]);
    }
  });
});

describe('re-provisioning (docs: refused unless allowReprovision allows it, a boolean or a per-device predicate)', () => {
  const asked: string[] = [];
  const cases: Array<{ name: string; provisioned: boolean; allow: SessionOptions['allowReprovision']; ok: boolean }> = [
    { name: 'a new robot, nothing configured', provisioned: false, allow: undefined, ok: true },
    { name: 'a new robot, re-provisioning refused for it', provisioned: false, allow: () => false, ok: true },
    { name: 'a provisioned robot, nothing configured', provisioned: true, allow: undefined, ok: false },
    { name: 'a provisioned robot, re-provisioning off', provisioned: true, allow: false, ok: false },
    { name: 'a provisioned robot, re-provisioning on', provisioned: true, allow: true, ok: true },
    { name: 'a provisioned robot the officer did not confirm', provisioned: true, allow: (id) => (asked.push(id), false), ok: false },
    { name: 'a provisioned robot the officer confirmed', provisioned: true, allow: (id) => (asked.push(id), id === ID), ok: true },
  ];
  it.each(cases)('$name: $ok', async ({ provisioned, allow, ok }) => {
    asked.length = 0;
    const run = await provision({ provisioned: provisioned ? [ID] : [], opts: { allowReprovision: allow } });
    expect(run.seen).toEqual([ID]);
    if (typeof allow === 'function' && provisioned) expect(asked).toEqual([ID]);
    if (ok) {
      expect(run.result.ok).toBe(true);
      return;
    }
    const message = `robot ${ID} is already provisioned; confirm re-provisioning to replace its identity`;
    expectFailure(run, { step: 'hello', code: 'already_provisioned', message, details: { deviceId: ID } });
    expectErrorSent(run, 'already_provisioned', message);
    expect(sentTypes(run)).toEqual([[MessageType.ERROR, 0xffffffff]]);
  });
});

describe('refusals at HELLO', () => {
  it('refuses a robot that is not in the fleet registry, and records nothing as seen', async () => {
    const run = await provision({ known: ['R-8'] });
    const message = `robot ${ID} is not in the fleet registry`;
    expectFailure(run, { step: 'hello', code: 'unknown_robot', message, details: { deviceId: ID } });
    expectErrorSent(run, 'unknown_robot', message);
    expect(run.seen).toEqual([]);
  });

  it('refuses a HELLO it cannot decode, before it knows the device', async () => {
    const run = await provision({ robot: (ch) => ch.send({ type: MessageType.HELLO, seq: 0, payload: encodeHello({ deviceId: 'R 7', robotNonce: randomBytes(32), firmware: FIRMWARE }) }) });
    expectFailure(run, { step: 'hello', code: 'bad_frame', message: 'malformed HELLO message: device id has invalid characters', deviceId: null });
    expect(errorFrame(run)).toEqual({ seq: 0xffffffff, code: 'bad_frame', message: 'malformed HELLO message: device id has invalid characters' });
  });

  it('reports a registry that fails as internal, whatever it threw', async () => {
    for (const [thrown, text] of [[new Error('registry offline'), 'registry offline'], ['registry offline', 'registry offline'], [null, 'null']] as const) {
      const run = await provision({ deps: { isKnownRobot: () => Promise.reject(thrown) } });
      expectFailure(run, { step: 'hello', code: 'internal', message: `provisioning failed unexpectedly: ${text}` });
    }
  });
});

describe('the robot misbehaves (the robot session of the simulator, in this process)', () => {
  const cases: Array<{ misbehave: Misbehaviour; f: Failure; certificateIssued?: boolean }> = [
    { misbehave: 'forged-csr', f: { step: 'csr', code: 'forged_csr', message: 'the CSR signature (proof of possession) is invalid', details: { deviceId: ID, reason: 'csr_signature_invalid' } } },
    { misbehave: 'wrong-nonce-key', f: { step: 'csr', code: 'forged_csr', message: 'the signature over the session nonces is not made with the key of the CSR', details: { deviceId: ID, reason: 'nonce_signature_invalid' } } },
    { misbehave: 'wrong-id', f: { step: 'csr', code: 'forged_csr', message: 'the CSR names another device than the robot that said hello', details: { deviceId: ID, reason: 'csr_subject_mismatch', csrSubject: `${ID}-other` } } },
    // Without a CSR recorded earlier, the simulator replays its HELLO: a lower sequence number than expected.
    { misbehave: 'replay', f: { step: 'csr', code: 'replayed_message', message: 'HELLO frame with sequence 0 while expecting CSR #1: replay refused', details: { seq: 0 } } },
    { misbehave: 'corrupt-frame', f: { step: 'csr', code: 'bad_crc', message: 'frame checksum (CRC-32) does not match' } },
    {
      misbehave: 'bad-confirm', certificateIssued: true,
      f: { step: 'confirm', code: 'key_confirmation_failed', message: 'the robot confirmation MAC does not match: it did not receive the same keys or transcript', details: { deviceId: ID }, durationMs: 250 },
    },
  ];
  it.each(cases)('$misbehave -> $f.code at $f.step, the robot told, nothing committed', async ({ misbehave, f, certificateIssued }) => {
    const run = await provision({ misbehave });
    expectFailure(run, f);
    expectErrorSent(run, f.code, f.message);
    expect(run.issued.length).toBe(certificateIssued ? 1 : 0);
    expect(robotState(run.keystore)?.provisioned ?? false).toBe(false);
  });

  it('a robot that stops answering: timeout at the step it was waiting for', async () => {
    const run = await provision({ misbehave: 'stall', opts: { stepTimeoutMs: 200 } });
    expectFailure(run, { step: 'csr', code: 'timeout', message: 'no answer from the robot within 200 ms (waiting for CSR)', details: { step: 'CSR', timeoutMs: 200 } });
    expectErrorSent(run, 'timeout', 'no answer from the robot within 200 ms (waiting for CSR)');
  });

  it('a robot unplugged mid-frame: disconnected, and no ERROR frame down a dead line', async () => {
    const run = await provision({ misbehave: 'drop', unplugWhenRobotEnds: true });
    expectFailure(run, { step: 'csr', code: 'disconnected', message: 'serial link closed' });
    expect(sentTypes(run)).toEqual([[MessageType.CHALLENGE, 0]]);
  });
});

describe('the CSR message (docs: nonces of this session, sequence rules)', () => {
  it('refuses a CSR that echoes another console nonce or another robot nonce as a replay', async () => {
    for (const which of ['consoleNonce', 'robotNonce'] as const) {
      const run = await provision({
        robot: async (ch) => {
          const nonces = await sayHello(ch);
          await sendCsr(ch, { ...nonces, [which]: randomBytes(32) });
        },
      });
      const message = 'the CSR message answers another session (nonces differ): replay refused';
      expectFailure(run, { step: 'csr', code: 'replayed_message', message, details: { deviceId: ID } });
      expect(errorFrame(run)).toEqual({ seq: 0xffffffff, code: 'replayed_message', message });
    }
  });

  // What arrives while the console waits for CSR #1 (docs: a lower sequence number, or the expected type with another
  // number, is replayed_message; another type is unexpected_message).
  const frames: Array<{ name: string; type: number; seq: number; code: string; message: string; details: Record<string, unknown> }> = [
    { name: 'HELLO again', type: MessageType.HELLO, seq: 0, code: 'replayed_message', message: 'HELLO frame with sequence 0 while expecting CSR #1: replay refused', details: { seq: 0 } },
    { name: 'a CSR numbered 4', type: MessageType.CSR, seq: 4, code: 'replayed_message', message: 'CSR frame with sequence 4 while expecting CSR #1: replay refused', details: { seq: 4 } },
    { name: 'a CSR numbered 0', type: MessageType.CSR, seq: 0, code: 'replayed_message', message: 'CSR frame with sequence 0 while expecting CSR #1: replay refused', details: { seq: 0 } },
    { name: 'CONFIRM #2', type: MessageType.CONFIRM, seq: 2, code: 'unexpected_message', message: 'CONFIRM frame while expecting CSR', details: { type: MessageType.CONFIRM } },
    { name: 'a CERT numbered like the CSR', type: MessageType.CERT, seq: 1, code: 'unexpected_message', message: 'CERT frame while expecting CSR', details: { type: MessageType.CERT } },
  ];
  it.each(frames)('$name -> $code', async ({ type, seq, code, message, details }) => {
    const run = await provision({
      robot: async (ch) => {
        await sayHello(ch);
        await ch.send({ type: type as Frame['type'], seq, payload: encodeMac({ mac: randomBytes(32) }) });
      },
    });
    expectFailure(run, { step: 'csr', code, message, details });
  });

  it('a first frame other than HELLO is unexpected', async () => {
    const run = await provision({ robot: (ch) => ch.send({ type: MessageType.CONFIRM, seq: 2, payload: encodeMac({ mac: randomBytes(32) }) }) });
    expectFailure(run, { step: 'hello', code: 'unexpected_message', message: 'CONFIRM frame while expecting HELLO', details: { type: MessageType.CONFIRM }, deviceId: null });
  });

  it("the robot's own ERROR ends the session as robot_error, and is not answered with one", async () => {
    const run = await provision({
      robot: async (ch) => {
        await sayHello(ch);
        await ch.send({ type: MessageType.ERROR, seq: 0xffffffff, payload: encodeError({ code: 'low_battery', message: 'battery at 3%' }) });
      },
    });
    expectFailure(run, { step: 'csr', code: 'robot_error', message: 'robot reported low_battery: battery at 3%', details: { robotCode: 'low_battery' } });
    expect(sentTypes(run)).toEqual([[MessageType.CHALLENGE, 0]]);
  });
});

describe('the CONFIRM message (docs: 32-byte MAC, robot sequence 2)', () => {
  /** Scripted robot up to KEYS (a valid CSR for this session), then `answer`. */
  const upToKeys = (answer: (ch: FrameChannel) => Promise<unknown>) => async (ch: FrameChannel) => {
    const nonces = await sayHello(ch);
    await sendCsr(ch, nonces);
    await ch.receive(5000, 'CERT');
    await ch.receive(5000, 'KEYS');
    await answer(ch);
  };

  it('refuses a MAC of another length as a malformed CONFIRM', async () => {
    const run = await provision({ robot: upToKeys((ch) => ch.send({ type: MessageType.CONFIRM, seq: 2, payload: encodeMac({ mac: randomBytes(31) }) })) });
    expectFailure(run, { step: 'confirm', code: 'bad_frame', message: 'malformed CONFIRM message: field must be 32 bytes', durationMs: 250 });
  });

  it('refuses the CSR sent again instead of CONFIRM as a replay', async () => {
    const run = await provision({ robot: upToKeys((ch) => ch.send({ type: MessageType.CSR, seq: 1, payload: encodeMac({ mac: randomBytes(32) }) })) });
    expectFailure(run, { step: 'confirm', code: 'replayed_message', message: 'CSR frame with sequence 1 while expecting CONFIRM #2: replay refused', details: { seq: 1 }, durationMs: 250 });
  });

  it('times out waiting for CONFIRM', async () => {
    const run = await provision({ robot: upToKeys(async () => undefined), opts: { stepTimeoutMs: 200 } });
    expectFailure(run, { step: 'confirm', code: 'timeout', message: 'no answer from the robot within 200 ms (waiting for CONFIRM)', details: { step: 'CONFIRM', timeoutMs: 200 }, durationMs: 250 });
  });
});

describe('keys and certificate (docs: keys chosen first; the certificate must carry the CSR key)', () => {
  it('a key choice that fails is keys_unavailable, and no certificate is issued', async () => {
    for (const [thrown, text] of [[new Error('key k-1 is compromised'), 'key k-1 is compromised'], ['offline', 'offline'], [null, 'null']] as const) {
      const run = await provision({ deps: { keysToDeliver: () => Promise.reject(thrown) } });
      expectFailure(run, { step: 'certificate', code: 'keys_unavailable', message: text, details: { deviceId: ID } });
      expectErrorSent(run, 'keys_unavailable', text);
      expect(run.issued).toEqual([]);
    }
  });

  it("a station error from the key choice is kept as it is", async () => {
    const run = await provision({ deps: { keysToDeliver: () => Promise.reject(new StationError('not_provisioned', 'no storage key of this fleet', { keyType: 'storage' })) } });
    expectFailure(run, { step: 'certificate', code: 'not_provisioned', message: 'no storage key of this fleet', details: { keyType: 'storage' } });
  });

  it('a CA that refuses is certificate_rejected', async () => {
    for (const [thrown, text] of [[new Error('CA key disabled'), 'CA key disabled'], ['CA key disabled', 'CA key disabled'], [undefined, 'undefined']] as const) {
      const run = await provision({ deps: { keysToDeliver: async () => [{ keyId: 'k', version: 1, material: randomBytes(32) }], issueCertificate: () => Promise.reject(thrown) } });
      expectFailure(run, { step: 'certificate', code: 'certificate_rejected', message: `the fleet CA refused the CSR: ${text}`, details: { deviceId: ID } });
    }
  });

  it('a certificate for another key is refused before CERT is sent (certificate_key_mismatch)', async () => {
    const run = await provision({ deps: { issueCertificate: (csrDer, id) => ca.issueForAnotherKey(csrDer, id) } });
    const message = 'the issued certificate does not carry the robot identity key';
    expectFailure(run, { step: 'certificate', code: 'certificate_rejected', message, details: { deviceId: ID, reason: 'certificate_key_mismatch' }, durationMs: 250 });
    expect(sentTypes(run)).toEqual([[MessageType.CHALLENGE, 0], [MessageType.ERROR, 0xffffffff]]);
    expectErrorSent(run, 'certificate_rejected', message);
  });

  it('no key to deliver, or a key that is not 32 bytes, is internal at the keys step', async () => {
    const none = await provision({ keys: [] });
    expectFailure(none, { step: 'keys', code: 'internal', message: 'no keys to deliver: key confirmation needs at least one key', details: { deviceId: ID }, durationMs: 250 });
    for (const length of [16, 31, 33]) {
      const short = await provision({ keys: [{ keyId: 'comm-R-7', version: 1, material: randomBytes(32) }, { keyId: 'storage-R-7', version: 3, material: randomBytes(length) }] });
      expectFailure(short, { step: 'keys', code: 'internal', message: 'key storage-R-7 v3 is not AES-256 material', durationMs: 250 });
      expect(sentTypes(short)).toEqual([[MessageType.CHALLENGE, 0], [MessageType.CERT, 1], [MessageType.ERROR, 0xffffffff]]);
    }
  });
});

describe('commit and DONE (docs: the commit is the only write; a DONE not sent after it fails the session, the commit stands)', () => {
  it('a commit that fails is commit_failed; the robot is told and does not count itself provisioned', async () => {
    for (const [thrown, text] of [[new Error('disk full'), 'disk full'], ['disk full', 'disk full'], [null, 'null']] as const) {
      const run = await provision({ deps: { commitProvisioned: () => Promise.reject(thrown) } });
      const message = `recording robot ${ID} failed, nothing was recorded: ${text}`;
      expectFailure(run, { step: 'commit', code: 'commit_failed', message, details: { deviceId: ID }, durationMs: 250 });
      expectErrorSent(run, 'commit_failed', message);
      expect(robotState(run.keystore)?.provisioned).toBe(false);
    }
  });

  it('DONE that cannot be sent after the commit: done_not_delivered at done, audited as a failure; the commit stands', async () => {
    // The console's fourth write is DONE (CHALLENGE, CERT, KEYS, DONE).
    const run = await provision({ cable: (c) => void (c.consoleEnd.failFrom = { index: 3, error: new Error('EIO') }) });
    const message = `the robot is recorded as provisioned, but the DONE frame could not be sent to ${ID}: serial write failed: EIO`;
    expect(run.result.ok).toBe(false);
    if (run.result.ok) return;
    expect({ step: run.result.step, code: run.result.error.code, message: run.result.error.message, details: run.result.error.details })
      .toStrictEqual({ step: 'done', code: 'done_not_delivered', message, details: { deviceId: ID, cause: 'disconnected' } });
    expect(run.commits).toHaveLength(1);
    expect(run.audits).toStrictEqual([
      { action: 'station.provision', outcome: 'failure', port: PORT, deviceId: ID, step: 'done', code: 'done_not_delivered', message, details: { deviceId: ID, cause: 'disconnected' } },
    ]);
    expect(run.logs.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual(['provisioning failed']);
    expect(run.steps).toEqual(stepsUpTo('done'));
  });
});

describe('ending a failed session (docs: ERROR best effort, except when the link is gone or the robot sent ERROR)', () => {
  it('a channel detached while waiting: disconnected, and no ERROR frame', async () => {
    const run = await provision({
      robot: async (ch, cable) => {
        await sayHello(ch);
        // Once the console waits for the CSR (a tick after its CHALLENGE went out), its channel is detached.
        await new Promise((r) => setImmediate(r));
        cable.consoleChannel.detach();
      },
    });
    expectFailure(run, { step: 'csr', code: 'disconnected', message: 'channel detached' });
    expect(sentTypes(run)).toEqual([[MessageType.CHALLENGE, 0]]);
  });

  it('an ERROR frame that cannot be written, or is never taken, does not hold the session or change its outcome', async () => {
    for (const cable of [
      (c: ReturnType<typeof memoryCable>) => void (c.consoleEnd.failFrom = { index: 0, error: new Error('EIO') }),
      (c: ReturnType<typeof memoryCable>) => void (c.consoleEnd.stallFrom = 0),
    ]) {
      const run = await provision({ known: [], cable });
      expectFailure(run, { step: 'hello', code: 'unknown_robot', message: `robot ${ID} is not in the fleet registry`, details: { deviceId: ID } });
      expect(run.sent).toEqual([]);
    }
  });

  it('an audit that fails for a failed session is logged, and the session still ends with its own error', async () => {
    const run = await provision({ known: [], deps: { audit: () => { throw new Error('audit store full'); } } });
    expect(run.result).toMatchObject({ ok: false, step: 'hello', error: { code: 'unknown_robot' } });
    expect(run.logs.filter((l) => l.level === 'error')).toStrictEqual([
      { level: 'error', message: 'audit of a failed provisioning failed', fields: { port: PORT, error: { name: 'Error', message: 'audit store full' } } },
    ]);
  });
});

describe('a frame of a type the console has no name for (a channel other than the frame decoder, which refuses it first)', () => {
  it('is unexpected_message and named "unknown" in the message', async () => {
    const frame: Frame = { type: 0x7e as Frame['type'], seq: 9, payload: Buffer.alloc(0) };
    const channel = { receive: async () => ({ frame, raw: Buffer.alloc(0) }) } as unknown as FrameChannel;
    const err = await expectFrame(channel, 1000, MessageType.HELLO, 0, 'HELLO').then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(StationError);
    expect(err).toMatchObject({ code: 'unexpected_message', message: 'unknown frame while expecting HELLO', details: { type: 0x7e } });
  });
});
