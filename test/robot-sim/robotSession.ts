// Robot side of the station protocol, with its own key store folder, and misbehaviours on command. After HELLO, a
// CHALLENGE means provisioning (new identity, certificate, keys); a BUNDLE means installing a key bundle with the
// identity key and the CA certificate it already holds (installBundle.ts), then proving it (INSTALLED MAC). ORDER
// frames before the BUNDLE carry lockdown/lift orders and the CRL (lockdown.ts): each is answered by an ORDER_ACK.
// A bundle or a RENEW of a CA an accepted order distrusted is refused with ERROR bundle_ca_distrusted / ca_distrusted.
// A bundle file over 60 KiB comes in BUNDLE_CHUNK frames (its HELLO announces it takes them, unless the robot plays
// an older firmware with `oneFrameBundles`): reassembled and checked whole before the same install.
import 'reflect-metadata';
import { X509Certificate, KeyObject, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { mkdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { BundleError, bundleConfirmationKey, bundleFileHash, distributionDoneMac, installedMac } from '../../electron/station/bundle.ts';
import { StationError, isStationError } from '../../electron/station/errors.ts';
import { MessageType, encodeFrame } from '../../electron/station/frame.ts';
import { confirmationKey, consoleDoneMac, macEquals, robotConfirmMac, unwrapKey, wrapKey } from '../../electron/station/keywrap.ts';
import {
  CONSOLE_SEQ, DISTRIBUTE_CONSOLE_SEQ, HELLO_CAPABILITIES, NONCE_LENGTH, RENEW_SEQ, ROBOT_SEQ, decodeBundle, decodeCert, decodeChallenge,
  decodeError, decodeKeys, decodeMac, decodeOrder, distributeSeqs, encodeCsr, encodeError, encodeHello, encodeInstalled, encodeMac,
  encodeOrderAck, nonceSignatureInput, orderAckSignatureInput, orderItemDigest, transcriptHash, type OrderAckBinding,
} from '../../electron/station/protocol.ts';
import { signWithIdentity } from '../../electron/station/csr.ts';
import { ChunkAssembler, DEFAULT_CHUNKED_ITEM, decodeBundleChunk, decodeOrderChunk } from '../../electron/station/orderChunks.ts';
import type { RobotFacts } from '../../electron/services/emergency/lockdownOrder.ts';
import { installBundle } from './installBundle.ts';
import { answerRenew, trustedCaPems } from './reissue.ts';
import { receiveItem, storeEmergencyKey } from './lockdown.ts';
import { CaDistrustedError, endDistrust } from './distrust.ts';
import type { FrameChannel, Received } from '../../electron/station/transport.ts';

export const MISBEHAVIOURS = ['corrupt-frame', 'stall', 'drop', 'forged-csr', 'wrong-nonce-key', 'replay', 'wrong-id', 'bad-confirm', 'bad-install-mac', 'forged-ack', 'replay-ack', 'reissue-other-key', 'reissue-bad-signature', 'reissue-forged-renewed'] as const;
export type Misbehaviour = (typeof MISBEHAVIOURS)[number];

export interface RobotOptions {
  deviceId: string;
  keystore: string;
  caCertPem: string;
  keyType: 'ec' | 'rsa';
  firmware: string;
  misbehave?: Misbehaviour;
  stepTimeoutMs: number;
  /** Modelled robot-side compute time (key generation, unwrapping on a small MCU) before the CSR and the CONFIRM, ms. */
  thinkMs?: number;
  /** What the robot knows of itself, to check an order's scope (device id and firmware always; the rest may be unknown). */
  facts?: Omit<RobotFacts, 'deviceId' | 'firmware'>;
  /** The robot's clock for order checks (default: the real time). */
  now?: Date;
  /** Plays a firmware that knows only one-frame BUNDLE (its HELLO announces no capability). */
  oneFrameBundles?: boolean;
  /**
   * The largest item (bytes) the robot takes in ORDER_CHUNK or BUNDLE_CHUNK frames, announced in its HELLO; without it
   * the HELLO announces no size (a firmware of before the field) and the robot takes DEFAULT_CHUNKED_ITEM (2 MiB).
   * A chunk naming a longer item is refused (bad_chunk, oversize) before anything of it is kept.
   */
  maxChunkedItem?: number;
}

export type RobotResult =
  | { ok: true; deviceId: string; mode: 'provision' | 'distribute'; keys: number; sequence?: number; orders?: Array<{ kind: string; result: string }>; reissued?: boolean }
  | { ok: false; deviceId: string; code: string; message: string };

export async function runRobot(ch: FrameChannel, o: RobotOptions): Promise<RobotResult> {
  try {
    mkdirSync(o.keystore, { recursive: true, mode: 0o700 });
    const robotNonce = randomBytes(NONCE_LENGTH);
    const announce = { ...(o.oneFrameBundles ? {} : { capabilities: HELLO_CAPABILITIES.BUNDLE_CHUNKS }), ...(o.maxChunkedItem === undefined ? {} : { maxChunkedItem: o.maxChunkedItem }) };
    const hello = await ch.send({ type: MessageType.HELLO, seq: ROBOT_SEQ.HELLO, payload: encodeHello({ deviceId: o.deviceId, robotNonce, firmware: o.firmware, ...announce }) });
    // The console's first answer says what this session is.
    let first = await expectOneOf(ch, o, [[MessageType.CHALLENGE, CONSOLE_SEQ.CHALLENGE], [MessageType.BUNDLE, DISTRIBUTE_CONSOLE_SEQ.BUNDLE], ...bundleChunkAt(o, DISTRIBUTE_CONSOLE_SEQ.BUNDLE), [MessageType.ORDER, 0], [MessageType.ORDER_CHUNK, 0], [MessageType.RENEW, RENEW_SEQ.RENEW]]);
    const keys = () => (JSON.parse(readFileSync(path.join(o.keystore, 'keys.json'), 'utf8')) as unknown[]).length;
    // A re-issue first (after a CA replacement: RENEW, CSR, CERT, RENEWED; the frames after it are numbered on from 2).
    const renewed = first.frame.type === MessageType.RENEW;
    const base = distributeSeqs(0, 0, renewed).consoleBase;
    if (renewed) {
      await answerRenew(ch, o, robotNonce, first, verifyChain);
      first = await expectOneOf(ch, o, [[MessageType.BUNDLE, base], ...bundleChunkAt(o, base), [MessageType.ORDER, base], [MessageType.ORDER_CHUNK, base]]);
    }
    // Emergency items first (each one ORDER, or ORDER_CHUNK frames for a large item; answered by ORDER_ACK i + 1),
    // then the bundle. The console numbers its frames on from the last one it sent.
    const orders: Array<{ kind: string; result: string }> = [];
    const chunks = new ChunkAssembler();
    let consoleSeq = base;
    while (first.frame.type === MessageType.ORDER || first.frame.type === MessageType.ORDER_CHUNK) {
      consoleSeq += 1;
      const item = first.frame.type === MessageType.ORDER ? decodeOrder(first.frame.payload) : chunked(chunks.push(decodeOrderChunk(first.frame.payload, chunkLimit(o))));
      if (item === null) {
        first = await nextChunk(ch, o, chunks, MessageType.ORDER_CHUNK, consoleSeq);
        continue;
      }
      const index = orders.length;
      const answer = receiveItem({ keystore: o.keystore, facts: factsOf(o), caCertPem: o.caCertPem, kind: item.kind, content: item.content, now: o.now ?? new Date() });
      orders.push({ kind: item.kind, result: answer.result });
      const binding = { deviceId: o.deviceId, robotNonce, consoleNonce: item.consoleNonce, index, kind: item.kind, digest: orderItemDigest(item.content), ...answer };
      await sendOrderAck(ch, o, binding, distributeSeqs(index + 1, index + 1, renewed).ack(index));
      first = await expectOneOf(ch, o, [[MessageType.ORDER, consoleSeq], [MessageType.ORDER_CHUNK, consoleSeq], [MessageType.BUNDLE, consoleSeq], ...bundleChunkAt(o, consoleSeq)]);
    }
    if (first.frame.type === MessageType.BUNDLE || first.frame.type === MessageType.BUNDLE_CHUNK) {
      const { file, frames } = await receiveBundle(ch, o, first, robotNonce);
      const sequence = await installOverLink(ch, o, file, hello, distributeSeqs(orders.length, consoleSeq - base, renewed, frames));
      return { ok: true, deviceId: o.deviceId, mode: 'distribute', keys: keys(), sequence, ...(orders.length > 0 ? { orders } : {}), ...(renewed ? { reissued: true } : {}) };
    }
    await provisionRobot(ch, o, { raw: hello, robotNonce }, first);
    return { ok: true, deviceId: o.deviceId, mode: 'provision', keys: keys() };
  } catch (e) {
    if (e instanceof BundleError) {
      // A refused bundle: the console hears bundle_<reason> (nothing was installed).
      await ch.send({ type: MessageType.ERROR, seq: 0xffffffff, payload: encodeError({ code: `bundle_${e.code}`, message: e.message }) }).catch(() => undefined);
      return { ok: false, deviceId: o.deviceId, code: `bundle_${e.code}`, message: e.message };
    }
    if (e instanceof CaDistrustedError) {
      // A bundle or RENEW of a distrusted CA (nothing installed, nothing trusted): bundle_ca_distrusted or ca_distrusted.
      const code = e.inBundle ? `bundle_${e.code}` : e.code;
      await ch.send({ type: MessageType.ERROR, seq: 0xffffffff, payload: encodeError({ code, message: e.message }) }).catch(() => undefined);
      return { ok: false, deviceId: o.deviceId, code, message: e.message };
    }
    const err = isStationError(e) ? e : new StationError('internal', (e as Error)?.message ?? String(e));
    if (err.code !== 'robot_error' && err.code !== 'disconnected' && !ch.closed) {
      await ch.send({ type: MessageType.ERROR, seq: 0xffffffff, payload: encodeError({ code: err.code, message: err.message }) }).catch(() => undefined);
    }
    return { ok: false, deviceId: o.deviceId, code: err.code, message: err.message };
  }
}

async function provisionRobot(ch: FrameChannel, o: RobotOptions, helloSent: { raw: Buffer; robotNonce: Buffer }, challengeFrame: Received): Promise<void> {
  const transcript: Buffer[] = [];
  const { robotNonce } = helloSent;
  const hello = helloSent.raw;
  transcript.push(hello);

  const challenge = decodeChallenge(challengeFrame.frame.payload);
  if (!challenge.robotNonce.equals(robotNonce)) throw new StationError('replayed_message', 'the challenge answers another HELLO');
  transcript.push(challengeFrame.raw);

  await think(o);
  // The identity key pair is generated here, on the robot; only the public key leaves it (in the CSR).
  const identity = await generateIdentity(o.keyType);
  const csrName = o.misbehave === 'wrong-id' ? `${o.deviceId}-other` : o.deviceId;
  let csrDer: Buffer = Buffer.from((await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${csrName}`, keys: identity.pair, signingAlgorithm: identity.alg })).rawData);
  if (o.misbehave === 'forged-csr') csrDer = flipLastByte(csrDer); // the CSR's signature no longer proves possession
  const input = nonceSignatureInput(o.deviceId, robotNonce, challenge.consoleNonce, csrDer);
  // wrong-nonce-key: a valid CSR (perhaps copied from a genuine robot) with the nonces signed by a key the CSR does not
  // name, so the sender has not shown that it holds the CSR's key in this session.
  const nonceKey = o.misbehave === 'wrong-nonce-key' ? (await generateIdentity(o.keyType)).privateKey : identity.privateKey;
  const nonceSignature = signWithIdentity(nonceKey, input);
  const csrRaw = encodeFrame({ type: MessageType.CSR, seq: ROBOT_SEQ.CSR, payload: encodeCsr({ robotNonce, consoleNonce: challenge.consoleNonce, csrDer, nonceSignature }) });
  const lastCsr = path.join(o.keystore, 'last-csr.frame');

  switch (o.misbehave) {
    case 'stall':
      // Says nothing more; only the console's step timeout (and its ERROR frame) ends the session.
      await expect(ch, { ...o, stepTimeoutMs: 10 * 60_000 }, MessageType.DONE, CONSOLE_SEQ.DONE);
      throw new StationError('internal', 'the console answered a stalled robot');
    case 'drop':
      await ch.sendRaw(csrRaw.subarray(0, csrRaw.length >> 1));
      throw new StationError('disconnected', 'dropped the line mid-frame (on command)');
    case 'corrupt-frame': {
      const bad = Buffer.from(csrRaw);
      bad[20] = (bad[20] ?? 0) ^ 0x5a;
      await ch.sendRaw(bad);
      break;
    }
    case 'replay':
      // A CSR frame recorded in an earlier session (or, without one, the HELLO of this session again).
      await ch.sendRaw(existsSync(lastCsr) ? readFileSync(lastCsr) : hello);
      break;
    default:
      await ch.sendRaw(csrRaw);
  }
  writeFileSync(lastCsr, csrRaw);
  transcript.push(csrRaw);

  const certFrame = await expect(ch, o, MessageType.CERT, CONSOLE_SEQ.CERT);
  const cert = decodeCert(certFrame.frame.payload);
  verifyChain(cert.certDer, cert.chainDer, o.caCertPem, identity.publicKey, o.deviceId);
  transcript.push(certFrame.raw);
  const keysFrame = await expect(ch, o, MessageType.KEYS, CONSOLE_SEQ.KEYS);
  const wrapped = decodeKeys(keysFrame.frame.payload).keys;
  transcript.push(keysFrame.raw);
  const ctx = { deviceId: o.deviceId, robotNonce, consoleNonce: challenge.consoleNonce };
  const keys = wrapped.map((w) => ({ keyId: w.keyId, version: w.version, material: unwrapKey(identity.privateKey, ctx, w) }));

  await think(o);
  const th = transcriptHash(transcript);
  const kc = confirmationKey(ctx, keys.map((k) => k.material));
  const mac = robotConfirmMac(kc, th);
  if (o.misbehave === 'bad-confirm') mac[0] = (mac[0] ?? 0) ^ 1;
  // Stored before confirming: the console records the robot only after a good confirmation.
  writeFileSync(path.join(o.keystore, 'identity.key.pem'), identity.privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  writeFileSync(path.join(o.keystore, 'identity.cert.pem'), new X509Certificate(cert.certDer).toString());
  writeFileSync(path.join(o.keystore, 'keys.json'), JSON.stringify(keys.map((k) => ({ keyId: k.keyId, version: k.version, material: k.material.toString('base64') }))), { mode: 0o600 });
  writeFileSync(path.join(o.keystore, 'state.json'), JSON.stringify({ provisioned: false, transcriptHash: th.toString('hex') }));
  // The emergency key came in the CERT frame, covered by the transcript that DONE confirms; trusted from then on.
  if (cert.emergencyKeyDer) storeEmergencyKey(o.keystore, cert.emergencyKeyDer);
  await ch.send({ type: MessageType.CONFIRM, seq: ROBOT_SEQ.CONFIRM, payload: encodeMac({ mac }) });

  const doneFrame = await expect(ch, o, MessageType.DONE, CONSOLE_SEQ.DONE);
  if (!macEquals(decodeMac(doneFrame.frame.payload, 'DONE').mac, consoleDoneMac(kc, th, mac))) {
    throw new StationError('key_confirmation_failed', 'the console DONE MAC does not match');
  }
  writeFileSync(path.join(o.keystore, 'state.json'), JSON.stringify({ provisioned: true, transcriptHash: th.toString('hex') }));
  // Provisioned anew (with the CA of --ca-cert): the CAs earlier orders distrusted are no longer held against it.
  endDistrust(o.keystore);
}

/** A BUNDLE_CHUNK frame with this sequence number is an accepted answer, unless the robot plays an older firmware. */
const bundleChunkAt = (o: RobotOptions, seq: number): Array<[number, number]> => (o.oneFrameBundles ? [] : [[MessageType.BUNDLE_CHUNK, seq]]);

/** The largest chunked item this robot takes: what its HELLO announced, else the default (2 MiB). */
const chunkLimit = (o: RobotOptions): number => o.maxChunkedItem ?? DEFAULT_CHUNKED_ITEM;

/** An item reassembled from ORDER_CHUNK frames, named as one ORDER names it. */
const chunked = (c: { kind: 'order' | 'crl'; content: Buffer; nonce: Buffer } | null) => (c === null ? null : { kind: c.kind, content: c.content, consoleNonce: c.nonce });

/**
 * The bundle file of one BUNDLE frame, or reassembled from BUNDLE_CHUNK frames (numbered on from the first, each bound
 * to this session's HELLO nonce; the whole checked against its length and SHA-256), and how many frames carried it.
 * A refused chunk throws bad_chunk: nothing is installed.
 */
async function receiveBundle(ch: FrameChannel, o: RobotOptions, first: Received, robotNonce: Buffer): Promise<{ file: Buffer; frames: number }> {
  if (first.frame.type === MessageType.BUNDLE) return { file: decodeBundle(first.frame.payload).file, frames: 1 };
  const chunks = new ChunkAssembler<'bundle'>({ sessionNonce: robotNonce });
  let frame = first;
  for (let frames = 1; ; frames++) {
    const whole = chunks.push(decodeBundleChunk(frame.frame.payload, chunkLimit(o)));
    if (whole) return { file: whole.content, frames };
    frame = await nextChunk(ch, o, chunks, MessageType.BUNDLE_CHUNK, first.frame.seq + frames);
  }
}

/**
 * Installs a bundle file (all or nothing, exactly as --install-bundle) and proves it with the INSTALLED MAC; then
 * checks the console's DONE MAC. A refused bundle throws its BundleError (sent to the console as ERROR).
 */
async function installOverLink(ch: FrameChannel, o: RobotOptions, file: Buffer, hello: Buffer, seqs: ReturnType<typeof distributeSeqs>): Promise<number> {
  if (!existsSync(path.join(o.keystore, 'identity.key.pem'))) throw new BundleError('foreign', 'this robot holds no identity key: it was never provisioned');
  let kb: Buffer = Buffer.alloc(0);
  await think(o);
  const installed = installBundle({ keystore: o.keystore, deviceId: o.deviceId, caCertPem: trustedCaPems(o.keystore, o.caCertPem), file, facts: factsOf(o), ...(o.now ? { now: o.now } : {}) }, (v) => {
    kb = bundleConfirmationKey(o.deviceId, v.body.bundleId, v.keys.map((k) => k.material));
  });
  try {
    const fileHash = bundleFileHash(file);
    const mac = installedMac(kb, fileHash);
    if (o.misbehave === 'bad-install-mac') mac[0] = (mac[0] ?? 0) ^ 1;
    const raw = encodeFrame({ type: MessageType.INSTALLED, seq: seqs.installed, payload: encodeInstalled({ bundleId: Buffer.from(installed.bundleId, 'hex'), sequence: installed.sequence, mac }) });
    const lastInstalled = path.join(o.keystore, 'last-installed.frame');
    switch (o.misbehave) {
      case 'stall':
        await expect(ch, { ...o, stepTimeoutMs: 10 * 60_000 }, MessageType.DONE, seqs.done);
        throw new StationError('internal', 'the console answered a stalled robot');
      case 'drop':
        await ch.sendRaw(raw.subarray(0, raw.length >> 1));
        throw new StationError('disconnected', 'dropped the line mid-frame (on command)');
      case 'corrupt-frame': {
        const bad = Buffer.from(raw);
        bad[20] = (bad[20] ?? 0) ^ 0x5a;
        await ch.sendRaw(bad);
        break;
      }
      case 'replay':
        // An INSTALLED frame recorded in an earlier session (or, without one, the HELLO of this session again).
        await ch.sendRaw(existsSync(lastInstalled) ? readFileSync(lastInstalled) : hello);
        break;
      default:
        await ch.sendRaw(raw);
    }
    writeFileSync(lastInstalled, raw);
    const doneFrame = await expect(ch, o, MessageType.DONE, seqs.done);
    if (!macEquals(decodeMac(doneFrame.frame.payload, 'DONE').mac, distributionDoneMac(kb, fileHash, mac))) {
      throw new StationError('key_confirmation_failed', 'the console DONE MAC does not match');
    }
    return installed.sequence;
  } finally {
    kb.fill(0);
  }
}

/**
 * The robot's answer to one item, signed with its identity key over this session and this item (a robot never
 * provisioned has no identity key and signs nothing: the console refuses its empty signature). Misbehaviours:
 * forged-ack signs with a key nobody certified; replay-ack sends the ORDER_ACK frame it sent in an earlier session
 * (its signature covers that session's nonces), when it kept one.
 */
async function sendOrderAck(ch: FrameChannel, o: RobotOptions, b: OrderAckBinding, seq: number): Promise<void> {
  const keyFile = path.join(o.keystore, 'identity.key.pem');
  const key = o.misbehave === 'forged-ack' ? (await generateIdentity(o.keyType)).privateKey : existsSync(keyFile) ? createPrivateKey(readFileSync(keyFile)) : null;
  const signature = key ? signWithIdentity(key, orderAckSignatureInput(b)) : Buffer.alloc(0);
  const raw = encodeFrame({ type: MessageType.ORDER_ACK, seq, payload: encodeOrderAck({ kind: b.kind, digest: b.digest, result: b.result, message: b.message, signature }) });
  const lastAck = path.join(o.keystore, `last-ack-${b.index}.frame`);
  const replayed = o.misbehave === 'replay-ack' && existsSync(lastAck) ? readFileSync(lastAck) : null;
  await ch.sendRaw(replayed ?? raw);
  if (!replayed) writeFileSync(lastAck, raw);
}

/** The next frame while a chunked item is partly received: its next ORDER_CHUNK or BUNDLE_CHUNK (the assembler judges its index). */
async function nextChunk(ch: FrameChannel, o: RobotOptions, chunks: { interrupted(): StationError }, type: number, seq: number): Promise<Received> {
  const name = type === MessageType.ORDER_CHUNK ? 'ORDER_CHUNK' : 'BUNDLE_CHUNK';
  const got = await ch.receive(o.stepTimeoutMs, `the next ${name}`);
  if (got.frame.type === MessageType.ERROR) throw new StationError('robot_error', `console reported ${decodeError(got.frame.payload).code}`);
  if (got.frame.type !== type) throw chunks.interrupted();
  if (got.frame.seq !== seq) throw new StationError('replayed_message', `${name} with sequence ${got.frame.seq}, expected ${seq}`);
  return got;
}

async function expectOneOf(ch: FrameChannel, o: RobotOptions, accepted: Array<[number, number]>): Promise<Received> {
  const got = await ch.receive(o.stepTimeoutMs, 'the console\'s answer to HELLO');
  if (got.frame.type === MessageType.ERROR) throw new StationError('robot_error', `console reported ${decodeError(got.frame.payload).code}`);
  if (!accepted.some(([type, seq]) => got.frame.type === type && got.frame.seq === seq)) {
    throw new StationError('unexpected_message', `unexpected frame type ${got.frame.type} seq ${got.frame.seq}`);
  }
  return got;
}

async function expect(ch: FrameChannel, o: RobotOptions, type: number, seq: number): Promise<Received> {
  const got = await ch.receive(o.stepTimeoutMs, `console frame type ${type}`);
  if (got.frame.type === MessageType.ERROR) throw new StationError('robot_error', `console reported ${decodeError(got.frame.payload).code}`);
  if (got.frame.type !== type || got.frame.seq !== seq) throw new StationError('unexpected_message', `unexpected frame type ${got.frame.type} seq ${got.frame.seq}`);
  return got;
}

/**
 * Runs the session's crypto and encoding paths once on throwaway values (key pair, CSR, nonce signature, key wrap and
 * unwrap, confirmation MACs; not the certificate checks, since the CA file may not exist yet). A simulator booted with --wait-signal calls it before it says it is
 * ready, so a "powered-on" robot does not pay Node's first-call costs (lazy module initialisation, JIT) inside the
 * session: robot firmware is compiled code and has none. Nothing is stored and nothing is sent.
 */
export async function warmUp(o: Pick<RobotOptions, 'deviceId' | 'keyType'>): Promise<void> {
  const identity = await generateIdentity(o.keyType);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${o.deviceId}`, keys: identity.pair, signingAlgorithm: identity.alg });
  const csrDer = Buffer.from(csr.rawData);
  const ctx = { deviceId: o.deviceId, robotNonce: randomBytes(NONCE_LENGTH), consoleNonce: randomBytes(NONCE_LENGTH) };
  const input = nonceSignatureInput(o.deviceId, ctx.robotNonce, ctx.consoleNonce, csrDer);
  const nonceSignature = signWithIdentity(identity.privateKey, input);
  const frame = encodeFrame({ type: MessageType.CSR, seq: ROBOT_SEQ.CSR, payload: encodeCsr({ robotNonce: ctx.robotNonce, consoleNonce: ctx.consoleNonce, csrDer, nonceSignature }) });
  const material = randomBytes(32);
  const wrapped = wrapKey(identity.publicKey, ctx, { keyId: 'warm-up', version: 1, material });
  const back = unwrapKey(identity.privateKey, ctx, { keyId: 'warm-up', version: 1, ...wrapped });
  const th = transcriptHash([frame]);
  const kc = confirmationKey(ctx, [back]);
  const mac = robotConfirmMac(kc, th);
  macEquals(consoleDoneMac(kc, th, mac), mac);
  identity.privateKey.export({ format: 'pem', type: 'pkcs8' });
  for (const b of [material, back, kc]) b.fill(0);
}

async function generateIdentity(keyType: 'ec' | 'rsa') {
  const alg = keyType === 'rsa'
    ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 }
    : { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const pair = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  return { alg, pair, privateKey: KeyObject.from(pair.privateKey), publicKey: KeyObject.from(pair.publicKey) };
}

/** The certificate must be for this robot's key and name, signed by the CA the robot was given, and valid now. */
export function verifyChain(certDer: Buffer, chainDer: Buffer[], caCertPem: string, publicKey: KeyObject, deviceId: string): void {
  const cert = new X509Certificate(certDer);
  const ca = new X509Certificate(caCertPem);
  const intermediates = chainDer.map((d) => new X509Certificate(d)).filter((c) => !c.raw.equals(ca.raw));
  let issuerCert = cert;
  for (const next of [...intermediates, ca]) {
    if (!issuerCert.checkIssued(next) || !issuerCert.verify(next.publicKey)) throw new StationError('certificate_rejected', 'certificate chain does not lead to the fleet CA');
    issuerCert = next;
  }
  const now = Date.now();
  if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) < now) throw new StationError('certificate_rejected', 'certificate not valid now');
  if (!cert.publicKey.export({ format: 'der', type: 'spki' }).equals(publicKey.export({ format: 'der', type: 'spki' }))) {
    throw new StationError('certificate_rejected', 'certificate is not for this robot key');
  }
  if (!cert.subject.split('\n').includes(`CN=${deviceId}`)) throw new StationError('certificate_rejected', 'certificate names another device');
}

export function factsOf(o: Pick<RobotOptions, 'deviceId' | 'firmware' | 'facts'>): RobotFacts {
  return { deviceId: o.deviceId, firmware: o.firmware, site: o.facts?.site ?? null, model: o.facts?.model ?? null, tags: o.facts?.tags ?? null };
}

function think(o: RobotOptions): Promise<void> {
  return o.thinkMs ? new Promise((r) => setTimeout(r, o.thinkMs)) : Promise.resolve();
}

function flipLastByte(b: Buffer): Buffer {
  const out = Buffer.from(b);
  out[out.length - 1] = (out[out.length - 1] ?? 0) ^ 0xff;
  return out;
}
