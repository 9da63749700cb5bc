// Console side of one provisioning session on one serial link
// (spec: docs/provisioning-protocol.md, "Session").
// HELLO -> CHALLENGE -> CSR -> CERT + KEYS -> CONFIRM -> commit -> DONE, each wait bounded by a timeout.
// Any failure: an ERROR frame to the robot (best effort), an audit entry, nothing committed.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { checkCsr, checkIssued, checkNonceSignature } from './csr.ts';
import { StationError, isStationError } from './errors.ts';
import { MessageType, messageTypeName, type Frame, type MessageTypeCode } from './frame.ts';
import { confirmationKey, consoleDoneMac, macEquals, robotConfirmMac, wrapKey } from './keywrap.ts';
import {
  CONSOLE_SEQ, NONCE_LENGTH, ROBOT_SEQ, decodeCsr, decodeError, decodeHello, decodeMac, encodeCert, encodeChallenge,
  encodeError, encodeKeys, encodeMac, errorFromRobot, nonceSignatureInput, transcriptHash, type Hello,
} from './protocol.ts';
import type { FrameChannel, Received } from './transport.ts';

export interface DeliverableKey { keyId: string; version: number; material: Buffer }

export interface StationAuditEntry {
  action: 'station.provision';
  outcome: 'success' | 'failure';
  port: string;
  deviceId: string | null;
  step: SessionStep;
  code?: string;
  message?: string;
  details?: Record<string, string | number | boolean | null>;
}

export interface CommitRecord {
  deviceId: string;
  certificate: Buffer;
  keyVersions: Array<{ keyId: string; version: number }>;
  transcriptHash: string;
  firmware: string;
}

/** What the session needs from the rest of the console; the caller runs commitProvisioned in one transaction. */
export interface ProvisioningDeps {
  issueCertificate(csrDer: Buffer, deviceId: string): Promise<{ certDer: Buffer; chainDer?: Buffer[] }>;
  keysToDeliver(deviceId: string): Promise<DeliverableKey[]>;
  isKnownRobot(deviceId: string): Promise<boolean> | boolean;
  isProvisioned(deviceId: string): Promise<boolean> | boolean;
  /**
   * The fleet emergency public key (SPKI DER) the robot must trust for lockdown orders, sent in the CERT frame; null
   * when the console has no active emergency key (the robot then refuses orders until a bundle brings one).
   */
  emergencyPublicKey?(): Promise<Buffer | null> | Buffer | null;
  /** A known robot said HELLO (robots.last_seen); never fails the session. */
  seen?(deviceId: string): void;
  commitProvisioned(record: CommitRecord): Promise<void>;
  audit(entry: StationAuditEntry): Promise<void> | void;
}

export const SESSION_STEPS = ['hello', 'challenge', 'csr', 'certificate', 'keys', 'confirm', 'commit', 'done'] as const;
export type SessionStep = (typeof SESSION_STEPS)[number];

export interface SessionOptions {
  port: string;
  clock: Clock;
  logger: Logger;
  /** Per-step wait for the robot, ms. */
  stepTimeoutMs: number;
  /** Re-provisioning an already provisioned robot, confirmed by the officer (for all robots, or per device id). */
  allowReprovision?: boolean | ((deviceId: string) => boolean);
  onStep?: (step: SessionStep, deviceId: string | null) => void;
}

export type SessionResult =
  | { ok: true; deviceId: string; transcriptHash: string; keyVersions: Array<{ keyId: string; version: number }>; durationMs: number }
  | { ok: false; deviceId: string | null; step: SessionStep; error: StationError; durationMs: number };

export async function runConsoleSession(channel: FrameChannel, deps: ProvisioningDeps, opts: SessionOptions): Promise<SessionResult> {
  const started = opts.clock.now();
  const st: { step: SessionStep; deviceId: string | null } = { step: 'hello', deviceId: null };
  const enter = (step: SessionStep) => {
    st.step = step;
    opts.onStep?.(step, st.deviceId);
  };
  try {
    const out = await provision(channel, deps, opts, st, enter);
    const durationMs = opts.clock.now() - started;
    await deps.audit({ action: 'station.provision', outcome: 'success', port: opts.port, deviceId: out.deviceId, step: 'done', details: { keys: out.keyVersions.length, durationMs } });
    opts.logger.info('robot provisioned', { port: opts.port, deviceId: out.deviceId, durationMs });
    return { ok: true, ...out, durationMs };
  } catch (e) {
    const error = isStationError(e) ? e : new StationError('internal', `provisioning failed unexpectedly: ${(e as Error)?.message ?? String(e)}`);
    await sendErrorBestEffort(channel, error);
    const durationMs = opts.clock.now() - started;
    try {
      await deps.audit({
        action: 'station.provision', outcome: 'failure', port: opts.port, deviceId: st.deviceId, step: st.step,
        code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}),
      });
    } catch (auditError) {
      opts.logger.error('audit of a failed provisioning failed', { port: opts.port, error: auditError as Error });
    }
    opts.logger.warn('provisioning failed', { port: opts.port, deviceId: st.deviceId, step: st.step, code: error.code, error: error.message });
    return { ok: false, deviceId: st.deviceId, step: st.step, error, durationMs };
  }
}

async function provision(
  channel: FrameChannel,
  deps: ProvisioningDeps,
  opts: SessionOptions,
  st: { deviceId: string | null },
  enter: (s: SessionStep) => void,
): Promise<{ deviceId: string; transcriptHash: string; keyVersions: Array<{ keyId: string; version: number }> }> {
  const transcript: Buffer[] = [];
  enter('hello');
  const helloFrame = await expectFrame(channel, opts.stepTimeoutMs, MessageType.HELLO, ROBOT_SEQ.HELLO, 'HELLO');
  const hello: Hello = decodeHello(helloFrame.frame.payload);
  st.deviceId = hello.deviceId;
  transcript.push(helloFrame.raw);
  if (!(await deps.isKnownRobot(hello.deviceId))) throw new StationError('unknown_robot', `robot ${hello.deviceId} is not in the fleet registry`, { deviceId: hello.deviceId });
  markSeen(deps, opts, hello.deviceId);
  if ((await deps.isProvisioned(hello.deviceId)) && !reprovisionAllowed(opts, hello.deviceId)) {
    throw new StationError('already_provisioned', `robot ${hello.deviceId} is already provisioned; confirm re-provisioning to replace its identity`, { deviceId: hello.deviceId });
  }

  enter('challenge');
  const consoleNonce = randomBytes(NONCE_LENGTH);
  const ctx = { deviceId: hello.deviceId, robotNonce: hello.robotNonce, consoleNonce };
  transcript.push(await channel.send({ type: MessageType.CHALLENGE, seq: CONSOLE_SEQ.CHALLENGE, payload: encodeChallenge({ robotNonce: hello.robotNonce, consoleNonce }) }));

  enter('csr');
  const csrFrame = await expectFrame(channel, opts.stepTimeoutMs, MessageType.CSR, ROBOT_SEQ.CSR, 'CSR');
  const csrMsg = decodeCsr(csrFrame.frame.payload);
  if (!csrMsg.robotNonce.equals(hello.robotNonce) || !csrMsg.consoleNonce.equals(consoleNonce)) {
    throw new StationError('replayed_message', 'the CSR message answers another session (nonces differ): replay refused', { deviceId: hello.deviceId });
  }
  const checked = await checkCsr(csrMsg.csrDer, hello.deviceId);
  checkNonceSignature(checked.identityKey, nonceSignatureInput(hello.deviceId, hello.robotNonce, consoleNonce, csrMsg.csrDer), csrMsg.nonceSignature, hello.deviceId);
  transcript.push(csrFrame.raw);

  enter('certificate');
  // The keys are chosen before the certificate is issued: a robot whose keys cannot be delivered (an assigned key
  // compromised, none created yet) gets no certificate at all, rather than one that must be revoked again.
  let keys: DeliverableKey[];
  try {
    keys = await deps.keysToDeliver(hello.deviceId);
  } catch (e) {
    if (isStationError(e)) throw e;
    throw new StationError('keys_unavailable', (e as Error)?.message ?? String(e), { deviceId: hello.deviceId });
  }
  let issued: { certDer: Buffer; chainDer?: Buffer[] };
  try {
    issued = await deps.issueCertificate(csrMsg.csrDer, hello.deviceId);
  } catch (e) {
    throw new StationError('certificate_rejected', `the fleet CA refused the CSR: ${(e as Error)?.message ?? String(e)}`, { deviceId: hello.deviceId });
  }
  checkIssued(issued.certDer, checked.identityKey, hello.deviceId);
  const emergencyKeyDer = (await deps.emergencyPublicKey?.()) ?? null;
  const cert = { certDer: issued.certDer, chainDer: issued.chainDer ?? [], ...(emergencyKeyDer ? { emergencyKeyDer } : {}) };
  transcript.push(await channel.send({ type: MessageType.CERT, seq: CONSOLE_SEQ.CERT, payload: encodeCert(cert) }));

  enter('keys');
  if (keys.length === 0) throw new StationError('internal', 'no keys to deliver: key confirmation needs at least one key', { deviceId: hello.deviceId });
  for (const k of keys) if (k.material.length !== 32) throw new StationError('internal', `key ${k.keyId} v${k.version} is not AES-256 material`);
  const wrapped = keys.map((k) => ({ keyId: k.keyId, version: k.version, ...wrapKey(checked.identityKey, ctx, k) }));
  transcript.push(await channel.send({ type: MessageType.KEYS, seq: CONSOLE_SEQ.KEYS, payload: encodeKeys({ keys: wrapped }) }));

  enter('confirm');
  const th = transcriptHash(transcript);
  const kc = confirmationKey(ctx, keys.map((k) => k.material));
  const confirmFrame = await expectFrame(channel, opts.stepTimeoutMs, MessageType.CONFIRM, ROBOT_SEQ.CONFIRM, 'CONFIRM');
  const robotMac = decodeMac(confirmFrame.frame.payload, 'CONFIRM').mac;
  if (!macEquals(robotMac, robotConfirmMac(kc, th))) {
    throw new StationError('key_confirmation_failed', 'the robot confirmation MAC does not match: it did not receive the same keys or transcript', { deviceId: hello.deviceId });
  }

  enter('commit');
  const keyVersions = keys.map((k) => ({ keyId: k.keyId, version: k.version }));
  try {
    await deps.commitProvisioned({ deviceId: hello.deviceId, certificate: issued.certDer, keyVersions, transcriptHash: th.toString('hex'), firmware: hello.firmware });
  } catch (e) {
    throw new StationError('commit_failed', `recording robot ${hello.deviceId} failed, nothing was recorded: ${(e as Error)?.message ?? String(e)}`, { deviceId: hello.deviceId });
  }

  enter('done');
  await sendDone(channel, { type: MessageType.DONE, seq: CONSOLE_SEQ.DONE, payload: encodeMac({ mac: consoleDoneMac(kc, th, robotMac) }) }, hello.deviceId, 'the robot is recorded as provisioned');
  return { deviceId: hello.deviceId, transcriptHash: th.toString('hex'), keyVersions };
}

/**
 * Writes the DONE frame (written and drained) after the commit. A write that fails ends the session as
 * `done_not_delivered`: the commit stands, but the robot did not hear the end and will not count itself done, so the
 * port must not show done (docs/station.md, "DONE").
 */
export async function sendDone(channel: FrameChannel, frame: Frame, deviceId: string, committed: string): Promise<void> {
  try {
    await channel.send(frame);
  } catch (e) {
    const cause = isStationError(e) ? e.code : 'internal';
    const why = (e as Error)?.message ?? String(e);
    throw new StationError('done_not_delivered', `${committed}, but the DONE frame could not be sent to ${deviceId}: ${why}`, { deviceId, cause });
  }
}

/** Tells the robot why the session ends (ERROR frame), unless the link is gone or the robot itself reported the error. */
export async function sendErrorBestEffort(channel: FrameChannel, error: StationError): Promise<void> {
  if (error.code === 'disconnected' || error.code === 'robot_error' || channel.closed) return;
  // Best effort: a robot that stopped reading must not hold the session open.
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    channel.send({ type: MessageType.ERROR, seq: 0xffffffff, payload: encodeError({ code: error.code, message: error.message }) }).catch(() => undefined),
    new Promise((r) => (timer = setTimeout(r, 500))),
  ]);
  clearTimeout(timer);
}

/** Records that a known robot was heard from; a failure there is logged, never fatal. */
export function markSeen(deps: { seen?(deviceId: string): void }, opts: { port: string; logger: Logger }, deviceId: string): void {
  try {
    deps.seen?.(deviceId);
  } catch (e) {
    opts.logger.warn('recording last seen failed', { port: opts.port, deviceId, error: e instanceof Error ? e : String(e) });
  }
}

/** Waits for the frame the protocol expects next; a robot ERROR, a reused sequence number or another type is a typed error. */
export async function expectFrame(channel: FrameChannel, stepTimeoutMs: number, type: MessageTypeCode, seq: number, step: string): Promise<Received> {
  const got = await channel.receive(stepTimeoutMs, step);
  const { frame } = got;
  if (frame.type === MessageType.ERROR) throw errorFromRobot(decodeError(frame.payload));
  if (frame.type === type && frame.seq === seq) return got;
  const name = messageTypeName(frame.type) ?? 'unknown';
  if (frame.seq < seq || (frame.type === type && frame.seq !== seq)) {
    throw new StationError('replayed_message', `${name} frame with sequence ${frame.seq} while expecting ${step} #${seq}: replay refused`, { seq: frame.seq });
  }
  throw new StationError('unexpected_message', `${name} frame while expecting ${step}`, { type: frame.type });
}

function reprovisionAllowed(opts: SessionOptions, deviceId: string): boolean {
  return typeof opts.allowReprovision === 'function' ? opts.allowReprovision(deviceId) : opts.allowReprovision === true;
}
