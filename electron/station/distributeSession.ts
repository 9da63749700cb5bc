// Console side of one key distribution session on one serial link (docs/provisioning-protocol.md, "Key bundles over the serial link"):
// HELLO -> [RENEW -> CSR -> CERT -> RENEWED] -> (ORDER -> ORDER_ACK)* -> BUNDLE (or BUNDLE_CHUNK..., for a file over
// 60 KiB to a robot whose HELLO announces them) -> INSTALLED -> commit -> DONE, each wait
// bounded by the step timeout. The re-issue exchange (after a CA replacement) gives a flagged robot a certificate of
// the current CA for its registered identity key, and the current CA's certificate endorsed by the retired one.
// The ORDER frames (issue 15) carry the lockdown/lift orders pending for the robot and the newest CRL; each answer
// (accepted or a typed refusal) is recorded at once, whatever the bundle's fate. The robot must be known and
// provisioned; the bundle is the robot's next one (same key choice as bundles:build). The robot's INSTALLED MAC is
// keyed with Kb, which only a holder of the identity private key (hence of every unwrapped key) can derive.
// Any failure: an ERROR frame to the robot (best effort), the bundle row 'failed', a failure audit, nothing recorded
// in the registry. Kb is zeroed when the session ends.
import { randomBytes, type KeyObject } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { bundleFileHash, distributionDoneMac, installedMac } from './bundle.ts';
import { StationError, isStationError } from './errors.ts';
import { MessageType } from './frame.ts';
import { checkCsr, checkIssued, identitySignatureValid } from './csr.ts';
import { macEquals } from './keywrap.ts';
import { DEFAULT_CHUNKED_ITEM, chunkLimitOf, encodeBundleChunk, encodeOrderChunk, needsChunks, splitBundle, splitItem } from './orderChunks.ts';
import {
  DISTRIBUTE_ROBOT_SEQ, HELLO_CAPABILITIES, MAX_BUNDLE_FILE, MAX_ORDER_ITEMS, NONCE_LENGTH, RENEW_SEQ, decodeCsr, decodeHello, decodeInstalled, decodeOrderAck, decodeRenewed, distributeSeqs,
  encodeBundle, encodeCert, encodeMac, encodeOrder, encodeRenew, orderAckSignatureInput, orderItemDigest, reissueSignatureInput, renewedSignatureInput,
  type Hello, type OrderItemKind,
} from './protocol.ts';
import { expectFrame, markSeen, sendDone, sendErrorBestEffort } from './session.ts';
import type { FrameChannel } from './transport.ts';

export const DISTRIBUTE_SESSION_STEPS = ['hello', 'reissue', 'orders', 'bundle', 'install', 'commit', 'done'] as const;
export type DistributeStep = (typeof DISTRIBUTE_SESSION_STEPS)[number];

export interface KeyVersionRef { keyId: string; version: number }

/** A signed bundle for this robot (its row 'issued'). `kb` is secret: the session zeroes it. */
export interface BundleForLink { sequence: number; bundleId: string; file: Buffer; keyVersions: KeyVersionRef[]; kb: Buffer }

export interface InstalledRecord { deviceId: string; sequence: number; bundleId: string; keyVersions: KeyVersionRef[]; port: string }

export interface DistributionFailure {
  port: string;
  deviceId: string | null;
  step: DistributeStep;
  /** The bundle sequence reserved in this session, when there is one (its row becomes 'failed'), even if its build failed. */
  sequence: number | null;
  code: string;
  message: string;
  details?: Record<string, string | number | boolean | null>;
}

/**
 * An item the robot must hear before its bundle: an order file (ref = its sequence) or a CRL (ref = its CRL number,
 * `caId` its CA: numbers count per CA). `caId` stays on the console: the robot names an item by its SHA-256.
 */
export interface OrderItemForLink { kind: OrderItemKind; content: Buffer; ref: number; caId?: string; about?: OrderItemAbout }

/**
 * What the Station screen says of an item (it stays on the console, like `caId`): an order's kind and scope in words,
 * or whether a CRL is the current fleet CA's. Carried into the answer so the station can show it per port.
 */
export type OrderItemAbout = { orderKind: 'lockdown' | 'lift'; scope: string } | { ca: 'current' | 'other' };

/** The robot's answer to one item: `accepted` or its refusal code (docs/lockdown-orders.md, "Delivery"). */
export interface OrderAnswer { port: string; deviceId: string; kind: OrderItemKind; ref: number; caId?: string; about?: OrderItemAbout; result: string; message: string }

/** An ORDER_ACK the console refused (forged, another session's, another item's): audited; the item stays pending. */
export interface RefusedOrderAnswer { port: string; deviceId: string; kind: OrderItemKind; ref: number; caId?: string; about?: OrderItemAbout; code: 'forged_ack' | 'replayed_message'; message: string }

const refOf = (item: OrderItemForLink): { caId?: string; about?: OrderItemAbout } => ({
  ...(item.caId === undefined ? {} : { caId: item.caId }),
  ...(item.about === undefined ? {} : { about: item.about }),
});

/**
 * A flagged robot's re-issue offer: the current CA's certificate, endorsed by the retired CA whose certificate the
 * robot holds (`endorserKeyId`: that CA's signerKeyId), from CA `fromCaId` to CA `toCaId`.
 */
export interface ReissueOffer { fromCaId: string; toCaId: string; caCertDer: Buffer; endorserKeyId: string; endorsement: Buffer }

/** A certificate issued in a re-issue exchange, not yet recorded in the registry. */
export interface ReissuedCertificate { serial: string; certDer: Buffer }

/** A refused or failed re-issue (audited `station.reissue` failure; the flag stays open). */
export interface ReissueFailure { port: string; deviceId: string; code: string; reason: string; message: string; serial: string | null }

/** What the session needs from the console (electron/services/station/distributionDeps.ts). */
export interface DistributionDeps {
  isKnownRobot(deviceId: string): Promise<boolean> | boolean;
  /** A known robot said HELLO (robots.last_seen); never fails the session. */
  seen?(deviceId: string): void;
  /**
   * Builds and signs the robot's next bundle; StationError('not_provisioned') for a robot that may not receive one.
   * `reserved` is called with the robot's next sequence once it is reserved, before the CA signature: a build failing
   * after that has burnt the sequence, and the session's failure record names it.
   */
  issueBundle(deviceId: string, reserved: (sequence: number) => void): Promise<BundleForLink>;
  /** ONE transaction: bundle row 'installed', registry key versions (source 'distribution'), audit bundle.install success. */
  commitInstalled(record: InstalledRecord): Promise<void> | void;
  /** ONE transaction: bundle row 'failed' (when issued), audit bundle.install failure. */
  recordFailure(failure: DistributionFailure): Promise<void> | void;
  /** The orders pending for this robot (oldest first) and the newest CRL, sent before the bundle; none when absent. */
  orderItems?(deviceId: string): Promise<OrderItemForLink[]> | OrderItemForLink[];
  /** Records and audits the robot's answer to one item (in one transaction). */
  recordOrderAnswer?(answer: OrderAnswer): Promise<void> | void;
  /**
   * The robot's identity public key, to authenticate its ORDER_ACK answers: from the newest certificate the fleet CA
   * issued to it (a revoked one too: a compromised robot still answers its lockdown). Null: the robot has none, and
   * no item is sent (it could not be authenticated). Needed when orderItems gives items.
   */
  robotIdentityKey?(deviceId: string): Promise<KeyObject | null> | KeyObject | null;
  /** Audits a refused ORDER_ACK (nothing recorded as delivered: the item stays pending). */
  refuseOrderAnswer?(refused: RefusedOrderAnswer): Promise<void> | void;
  /** The re-issue offer for a robot flagged as needing a certificate of the current CA; null: no re-issue. */
  reissueOffer?(deviceId: string): Promise<ReissueOffer | null> | ReissueOffer | null;
  /** Issues a certificate of the current CA for the (checked) CSR; recorded by the CA, not yet in the registry. */
  reissueCertificate?(deviceId: string, csrDer: Buffer): Promise<ReissuedCertificate>;
  /** ONE transaction: the certificate in the registry, audit station.reissue success (the flag settles with it). */
  commitReissue?(r: { port: string; deviceId: string; offer: ReissueOffer; issued: ReissuedCertificate }): Promise<void> | void;
  /** Audits a refused or failed re-issue; a certificate issued in it (`serial`) is revoked. Never rejects. */
  failReissue?(f: ReissueFailure): Promise<void> | void;
}

export interface DistributionOptions {
  port: string;
  clock: Clock;
  logger: Logger;
  stepTimeoutMs: number;
  onStep?: (step: DistributeStep, deviceId: string | null) => void;
}

export type DistributionResult =
  | { ok: true; deviceId: string; sequence: number; keyVersions: KeyVersionRef[]; durationMs: number }
  | { ok: false; deviceId: string | null; step: DistributeStep; sequence: number | null; error: StationError; durationMs: number };

interface State {
  step: DistributeStep;
  deviceId: string | null;
  /** The sequence reserved for this session's bundle (set before signing, so also when the build then fails). */
  reserved: number | null;
  bundle: BundleForLink | null;
}

export async function runDistributionSession(channel: FrameChannel, deps: DistributionDeps, opts: DistributionOptions): Promise<DistributionResult> {
  const started = opts.clock.now();
  const st: State = { step: 'hello', deviceId: null, reserved: null, bundle: null };
  const enter = (step: DistributeStep) => {
    st.step = step;
    opts.onStep?.(step, st.deviceId);
  };
  try {
    const out = await distribute(channel, deps, opts, st, enter);
    const durationMs = opts.clock.now() - started;
    opts.logger.info('key bundle installed', { port: opts.port, deviceId: out.deviceId, sequence: out.sequence, durationMs });
    return { ok: true, ...out, durationMs };
  } catch (e) {
    const error = isStationError(e) ? e : new StationError('internal', `distribution failed unexpectedly: ${(e as Error)?.message ?? String(e)}`);
    await sendErrorBestEffort(channel, error);
    const sequence = st.bundle?.sequence ?? st.reserved;
    try {
      await deps.recordFailure({
        port: opts.port, deviceId: st.deviceId, step: st.step, sequence, code: error.code, message: error.message,
        ...(error.details ? { details: error.details } : {}),
      });
    } catch (recordError) {
      opts.logger.error('recording a failed distribution failed', { port: opts.port, error: recordError as Error });
    }
    opts.logger.warn('distribution failed', { port: opts.port, deviceId: st.deviceId, step: st.step, code: error.code, error: error.message });
    return { ok: false, deviceId: st.deviceId, step: st.step, sequence, error, durationMs: opts.clock.now() - started };
  } finally {
    st.bundle?.kb.fill(0);
  }
}

async function distribute(
  channel: FrameChannel,
  deps: DistributionDeps,
  opts: DistributionOptions,
  st: State,
  enter: (s: DistributeStep) => void,
): Promise<{ deviceId: string; sequence: number; keyVersions: KeyVersionRef[] }> {
  enter('hello');
  const helloFrame = await expectFrame(channel, opts.stepTimeoutMs, MessageType.HELLO, DISTRIBUTE_ROBOT_SEQ.HELLO, 'HELLO');
  const hello = decodeHello(helloFrame.frame.payload);
  const deviceId = hello.deviceId;
  st.deviceId = deviceId;
  if (!(await deps.isKnownRobot(deviceId))) throw new StationError('unknown_robot', `robot ${deviceId} is not in the fleet registry`, { deviceId });
  markSeen(deps, opts, deviceId);

  const offer = (await deps.reissueOffer?.(deviceId)) ?? null;
  if (offer) {
    enter('reissue');
    await reissue(channel, deps, opts, { deviceId, robotNonce: hello.robotNonce }, offer);
  }
  const items = ((await deps.orderItems?.(deviceId)) ?? []).slice(0, MAX_ORDER_ITEMS);
  let consoleFrames = 0;
  if (items.length > 0) {
    enter('orders');
    consoleFrames = await sendOrderItems(channel, deps, opts, { deviceId, robotNonce: hello.robotNonce }, items, offer !== null, hello);
  }
  const seqs = distributeSeqs(items.length, consoleFrames, offer !== null);

  enter('bundle');
  let bundle: BundleForLink;
  try {
    bundle = await deps.issueBundle(deviceId, (sequence) => {
      st.reserved = sequence;
    });
  } catch (e) {
    if (isStationError(e)) throw e;
    throw new StationError('internal', `the key bundle could not be built: ${(e as Error)?.message ?? String(e)}`, { deviceId });
  }
  st.bundle = bundle;
  const bundleFrames = bundlePayloads(bundle.file, hello);
  for (const [i, f] of bundleFrames.entries()) await channel.send({ ...f, seq: seqs.bundle + i });

  enter('install');
  const installedFrame = await expectFrame(channel, opts.stepTimeoutMs, MessageType.INSTALLED, seqs.installed, 'INSTALLED');
  const installed = decodeInstalled(installedFrame.frame.payload);
  if (installed.bundleId.toString('hex') !== bundle.bundleId || installed.sequence !== bundle.sequence) {
    throw new StationError('replayed_message', `the INSTALLED message answers another bundle (sequence ${installed.sequence}): replay refused`, { deviceId });
  }
  const fileHash = bundleFileHash(bundle.file);
  if (!macEquals(installed.mac, installedMac(bundle.kb, fileHash))) {
    throw new StationError('key_confirmation_failed', 'the robot installation MAC does not match: it does not hold the keys of this bundle', { deviceId });
  }

  enter('commit');
  try {
    await deps.commitInstalled({ deviceId, sequence: bundle.sequence, bundleId: bundle.bundleId, keyVersions: bundle.keyVersions, port: opts.port });
  } catch (e) {
    throw new StationError('commit_failed', `recording the installation on ${deviceId} failed, nothing was recorded: ${(e as Error)?.message ?? String(e)}`, { deviceId });
  }

  enter('done');
  await sendDone(channel, { type: MessageType.DONE, seq: distributeSeqs(items.length, consoleFrames, offer !== null, bundleFrames.length).done, payload: encodeMac({ mac: distributionDoneMac(bundle.kb, fileHash, installed.mac) }) }, deviceId, `bundle ${bundle.sequence} is recorded as installed`);
  return { deviceId, sequence: bundle.sequence, keyVersions: bundle.keyVersions };
}

/**
 * An item too large for what this robot takes in chunks (or for the console's ceiling): the splitter's frame_oversize,
 * named for the robot, with both sizes, and what the officer can do instead (the Station screen shows the message).
 */
function overRobotLimit(e: unknown, hello: Hello, what: string, usb: string): unknown {
  // Only the splitter's size refusals: an item that fits no ORDER frame at all (empty) keeps its own message.
  if (!isStationError(e) || e.code !== 'frame_oversize' || !CHUNK_LIMIT_REASONS.has(String(e.details?.reason))) return e;
  const bytes = Number(e.details?.bytes);
  const limit = Number(e.details?.limit);
  const said = hello.maxChunkedItem === undefined ? `announces no size, so it takes the default ${DEFAULT_CHUNKED_ITEM} bytes` : `announces ${hello.maxChunkedItem} bytes`;
  const whose = e.details?.reason === 'over_console_chunk_limit' ? `the console's ceiling of ${limit} bytes for a chunked item` : `the ${limit} bytes robot ${hello.deviceId} takes in chunks (its HELLO ${said})`;
  return new StationError('frame_oversize', `${what} of ${bytes} bytes is over ${whose}; nothing of it was sent: ${usb}`, {
    ...e.details, deviceId: hello.deviceId, announced: hello.maxChunkedItem ?? null,
  });
}
const CHUNK_LIMIT_REASONS = new Set(['over_chunk_limit', 'over_console_chunk_limit']);
const CRL_BY_USB = 'give the robot the CRL as a file on a USB stick (robot --apply-crl)';
const ORDER_BY_USB = 'give the robot the order as a file on a USB stick (lockdown order --out, robot --apply-order)';
const BUNDLE_BY_USB = 'give the robot its key bundle as a file on a USB stick (bundles:build, CLI bundle)';

/**
 * The frames that carry the bundle file: one BUNDLE frame when it fits (any firmware), else BUNDLE_CHUNK frames bound
 * to the robot's HELLO nonce, when the robot's HELLO says it takes them (up to the size it announces, else 2 MiB; at
 * most CONSOLE_MAX_CHUNKED_ITEM). A firmware
 * that knows only one-frame bundles is not sent a bundle it cannot take: frame_oversize (reason
 * robot_takes_one_frame_bundles), before anything of the bundle is sent.
 */
function bundlePayloads(file: Buffer, hello: Hello): Array<{ type: typeof MessageType.BUNDLE | typeof MessageType.BUNDLE_CHUNK; payload: Buffer }> {
  if (file.length <= MAX_BUNDLE_FILE) return [{ type: MessageType.BUNDLE, payload: encodeBundle({ file }) }];
  if (((hello.capabilities ?? 0) & HELLO_CAPABILITIES.BUNDLE_CHUNKS) === 0) {
    throw new StationError('frame_oversize', `the key bundle of ${file.length} bytes is over one BUNDLE frame (${MAX_BUNDLE_FILE} bytes) and robot ${hello.deviceId}'s firmware (${hello.firmware}) does not announce BUNDLE_CHUNK frames`, {
      deviceId: hello.deviceId, reason: 'robot_takes_one_frame_bundles', bytes: file.length,
    });
  }
  try {
    return splitBundle(file, hello.robotNonce, chunkLimitOf(hello)).map((c) => ({ type: MessageType.BUNDLE_CHUNK, payload: encodeBundleChunk(c) }));
  } catch (e) {
    throw overRobotLimit(e, hello, 'the key bundle', BUNDLE_BY_USB);
  }
}

/**
 * The orders step: each item in one ORDER frame, or in ORDER_CHUNK frames when over 60 KiB, then the robot's ORDER_ACK,
 * authenticated before it is recorded: it must name this item (kind and SHA-256) and carry the robot's identity-key
 * signature over this session's nonces, the item's place and the answer. A refused ack is audited and fails the
 * session; the item stays pending. Returns how many frames the console sent (the sequence numbers go on from there).
 */
async function sendOrderItems(
  channel: FrameChannel,
  deps: DistributionDeps,
  opts: DistributionOptions,
  robot: { deviceId: string; robotNonce: Buffer },
  items: OrderItemForLink[],
  renewed: boolean,
  hello: Hello,
): Promise<number> {
  const { deviceId } = robot;
  const identityKey = (await deps.robotIdentityKey?.(deviceId)) ?? null;
  if (identityKey === null) {
    throw new StationError('not_provisioned', `robot ${deviceId} has no certificate of the fleet CA: its answers to orders could not be authenticated`, { deviceId });
  }
  const consoleNonce = randomBytes(NONCE_LENGTH);
  const seqs = distributeSeqs(items.length, items.length, renewed);
  let frames = 0;
  for (const [index, item] of items.entries()) {
    const m = { kind: item.kind, content: item.content, consoleNonce };
    let payloads: Array<{ type: typeof MessageType.ORDER | typeof MessageType.ORDER_CHUNK; payload: Buffer }>;
    try {
      payloads = needsChunks(item.content) ? splitItem(m, chunkLimitOf(hello)).map((c) => ({ type: MessageType.ORDER_CHUNK, payload: encodeOrderChunk(c) })) : [{ type: MessageType.ORDER, payload: encodeOrder(m) }];
    } catch (e) {
      throw overRobotLimit(e, hello, item.kind === 'crl' ? `CRL ${item.ref}` : `order ${item.ref}`, item.kind === 'crl' ? CRL_BY_USB : ORDER_BY_USB);
    }
    for (const f of payloads) await channel.send({ ...f, seq: seqs.consoleBase + frames++ });
    const ackFrame = await expectFrame(channel, opts.stepTimeoutMs, MessageType.ORDER_ACK, seqs.ack(index), 'ORDER_ACK');
    const ack = decodeOrderAck(ackFrame.frame.payload);
    const digest = orderItemDigest(item.content);
    const refuse = async (code: 'forged_ack' | 'replayed_message', message: string, reason: string): Promise<never> => {
      await deps.refuseOrderAnswer?.({ port: opts.port, deviceId, kind: item.kind, ref: item.ref, ...refOf(item), code, message });
      throw new StationError(code, message, { deviceId, reason, item: item.kind, ref: item.ref });
    };
    if (ack.kind !== item.kind || !ack.digest.equals(digest)) await refuse('replayed_message', `the ORDER_ACK answers another ${ack.kind}: replay refused`, 'ack_for_another_item');
    const signed = orderAckSignatureInput({ ...robot, consoleNonce, index, kind: ack.kind, digest: ack.digest, result: ack.result, message: ack.message });
    if (!identitySignatureValid(identityKey, signed, ack.signature)) {
      await refuse('forged_ack', `the ORDER_ACK for ${item.kind} ${item.ref} is not signed by ${deviceId}'s identity key for this session: refused`, 'ack_signature_invalid');
    }
    await deps.recordOrderAnswer?.({ port: opts.port, deviceId, kind: item.kind, ref: item.ref, ...refOf(item), result: ack.result, message: ack.message });
  }
  return frames;
}

/**
 * The re-issue exchange: RENEW (the current CA's certificate, endorsed by the retired CA, and a fresh nonce); the robot's
 * CSR made with its identity key (proof of possession), with its identity-key signature over the session, the CSR and
 * the CA certificate; the key must be the robot's registered identity key. The current CA issues; CERT carries the
 * certificate and the CA certificate; RENEWED (signed by the identity key over the session and the certificate) says
 * the robot checked and stored it; then the registry records it and the flag settles. A refusal or failure is audited
 * (`station.reissue` failure) and a certificate issued in it revoked; the session then fails.
 */
async function reissue(channel: FrameChannel, deps: DistributionDeps, opts: DistributionOptions, robot: { deviceId: string; robotNonce: Buffer }, offer: ReissueOffer): Promise<void> {
  const { deviceId, robotNonce } = robot;
  let issued: ReissuedCertificate | null = null;
  try {
    const identityKey = (await deps.robotIdentityKey?.(deviceId)) ?? null;
    if (identityKey === null) throw new StationError('not_provisioned', `robot ${deviceId} has no registered identity key: it cannot be re-issued a certificate`, { deviceId, reason: 'no_identity_key' });
    const consoleNonce = randomBytes(NONCE_LENGTH);
    await channel.send({ type: MessageType.RENEW, seq: RENEW_SEQ.RENEW, payload: encodeRenew({ consoleNonce, caCertDer: offer.caCertDer, endorserKeyId: offer.endorserKeyId, endorsement: offer.endorsement }) });
    const csrFrame = await expectFrame(channel, opts.stepTimeoutMs, MessageType.CSR, RENEW_SEQ.CSR, 'CSR');
    const csr = decodeCsr(csrFrame.frame.payload);
    if (!csr.robotNonce.equals(robotNonce) || !csr.consoleNonce.equals(consoleNonce)) {
      throw new StationError('replayed_message', 'the re-issue CSR answers another session (nonces differ): replay refused', { deviceId, reason: 'reissue_nonce_mismatch' });
    }
    const checked = await checkCsr(csr.csrDer, deviceId);
    if (!identitySignatureValid(checked.identityKey, reissueSignatureInput(deviceId, robotNonce, consoleNonce, csr.csrDer, offer.caCertDer), csr.nonceSignature)) {
      throw new StationError('forged_csr', 'the signature over the re-issue session is not made with the key of the CSR', { deviceId, reason: 'nonce_signature_invalid' });
    }
    if (!checked.identityKey.equals(identityKey)) {
      throw new StationError('identity_key_mismatch', `the re-issue CSR is for another key than ${deviceId}'s registered identity key: refused`, { deviceId, reason: 'csr_key_not_registered' });
    }
    if (!deps.reissueCertificate) throw new StationError('internal', 'this console cannot re-issue certificates', { deviceId });
    try {
      issued = await deps.reissueCertificate(deviceId, csr.csrDer);
    } catch (e) {
      throw new StationError('certificate_rejected', `the fleet CA refused the re-issue CSR: ${(e as Error)?.message ?? String(e)}`, { deviceId, reason: 'ca_refused' });
    }
    checkIssued(issued.certDer, identityKey, deviceId);
    await channel.send({ type: MessageType.CERT, seq: RENEW_SEQ.CERT, payload: encodeCert({ certDer: issued.certDer, chainDer: [offer.caCertDer] }) });
    const renewedFrame = await expectFrame(channel, opts.stepTimeoutMs, MessageType.RENEWED, RENEW_SEQ.RENEWED, 'RENEWED');
    const renewed = decodeRenewed(renewedFrame.frame.payload);
    if (!identitySignatureValid(identityKey, renewedSignatureInput(deviceId, robotNonce, consoleNonce, issued.certDer), renewed.signature)) {
      throw new StationError('forged_ack', `the RENEWED answer is not signed by ${deviceId}'s identity key for this certificate: refused`, { deviceId, reason: 'renewed_signature_invalid' });
    }
    try {
      await deps.commitReissue?.({ port: opts.port, deviceId, offer, issued });
    } catch (e) {
      throw new StationError('commit_failed', `recording the re-issued certificate of ${deviceId} failed: ${(e as Error)?.message ?? String(e)}`, { deviceId });
    }
  } catch (e) {
    const error = isStationError(e) ? e : new StationError('internal', `the re-issue failed unexpectedly: ${(e as Error)?.message ?? String(e)}`, { deviceId });
    const reason = typeof error.details?.reason === 'string' ? error.details.reason : typeof error.details?.robotCode === 'string' ? `robot:${error.details.robotCode}` : error.code;
    await deps.failReissue?.({ port: opts.port, deviceId, code: error.code, reason, message: error.message, serial: issued?.serial ?? null });
    throw error;
  }
}
