// Messages of the station protocol: payload layouts, parsing with bounds checks, transcript hashing.
// Spec: docs/provisioning-protocol.md ("Messages") and "Key bundles over the serial link" (BUNDLE,
// INSTALLED). Every payload is a fixed sequence of fields, each a u32 BE length followed by that many bytes;
// integers are u32 BE fields of length 4.
import { createHash, createPublicKey } from 'node:crypto';
import { StationError, type StationErrorCode } from './errors.ts';
import { MessageType, type MessageTypeCode } from './frame.ts';

export const NONCE_LENGTH = 32;
export const MAC_LENGTH = 32;
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_KEYS = 32;
const MAX_CHAIN = 8;

/**
 * `capabilities`: an optional trailing u32 bit set (docs/provisioning-protocol.md, "Capabilities"); a firmware that
 * does not send it has none (0). `maxChunkedItem`: an optional u32 after it, the largest item (bytes) the robot takes
 * in ORDER_CHUNK or BUNDLE_CHUNK frames; a firmware that does not send it takes DEFAULT_CHUNKED_ITEM (2 MiB).
 */
export interface Hello { deviceId: string; robotNonce: Buffer; firmware: string; capabilities?: number; maxChunkedItem?: number }
/** The HELLO capability bits. BUNDLE_CHUNKS: the robot takes a bundle file over 60 KiB in BUNDLE_CHUNK frames. */
export const HELLO_CAPABILITIES = { BUNDLE_CHUNKS: 0x1 } as const;
export interface Challenge { robotNonce: Buffer; consoleNonce: Buffer }
export interface CsrMessage { robotNonce: Buffer; consoleNonce: Buffer; csrDer: Buffer; nonceSignature: Buffer }
/**
 * `emergencyKeyDer`: the fleet emergency public key (SubjectPublicKeyInfo DER, RSA), an optional trailing field that
 * consoles with an active emergency key send (docs/provisioning-protocol.md, "Emergency key and orders").
 */
export interface CertMessage { certDer: Buffer; chainDer: Buffer[]; emergencyKeyDer?: Buffer }
export interface WrappedKey { keyId: string; version: number; scheme: number; wrapped: Buffer }
export interface KeysMessage { keys: WrappedKey[] }
export interface MacMessage { mac: Buffer }
export interface ErrorMessage { code: string; message: string }
export interface BundleMessage { file: Buffer }
export interface InstalledMessage { bundleId: Buffer; sequence: number; mac: Buffer }
/** What an ORDER frame carries: a lockdown/lift order file (ECPS-LOCKDOWN-v1) or a CRL (DER). */
export const ORDER_ITEM_KINDS = { order: 1, crl: 2 } as const;
export type OrderItemKind = keyof typeof ORDER_ITEM_KINDS;
/** `consoleNonce`: fresh per session (32 bytes), the same in every ORDER and ORDER_CHUNK frame of the session. */
export interface OrderMessage { kind: OrderItemKind; content: Buffer; consoleNonce: Buffer }
/**
 * The robot's answer: the item's kind and SHA-256, `accepted` or a refusal code, a message, and the robot's signature
 * with its identity key over `orderAckSignatureInput` (binds the answer to the item and to this session).
 */
export interface OrderAckMessage { kind: OrderItemKind; digest: Buffer; result: string; message: string; signature: Buffer }

/** Fixed robot-side and console-side sequence numbers: anything else is a replay or an out-of-order frame. */
export const ROBOT_SEQ = { HELLO: 0, CSR: 1, CONFIRM: 2 } as const;
export const CONSOLE_SEQ = { CHALLENGE: 0, CERT: 1, KEYS: 2, DONE: 3 } as const;
/** The same for a distribution session: HELLO -> BUNDLE -> INSTALLED -> DONE. */
export const DISTRIBUTE_ROBOT_SEQ = { HELLO: 0, INSTALLED: 1 } as const;
export const DISTRIBUTE_CONSOLE_SEQ = { BUNDLE: 0, DONE: 1 } as const;
/** A bundle file sent over the link is at most 60 KiB (the frame limit is 64 KiB). */
export const MAX_BUNDLE_FILE = 60 * 1024;
export const BUNDLE_ID_LENGTH = 16;
/** An order file or a CRL sent over the link is at most 60 KiB, like a bundle. */
export const MAX_ORDER_ITEM = 60 * 1024;
/** At most this many ORDER frames precede the bundle in one distribution session. */
export const MAX_ORDER_ITEMS = 16;
const RESULT_PATTERN = /^[a-z][a-z_]{0,63}$/;
const MAX_EMERGENCY_KEY = 2048;

/** The largest signature an ORDER_ACK may carry (an RSA-4096 PSS signature is 512 bytes, ECDSA P-256 DER <= 72). */
const MAX_ACK_SIGNATURE = 1024;

/**
 * Sequence numbers of a distribution session that starts with `items` items sent in `consoleFrames` frames (one ORDER
 * per item, or several ORDER_CHUNK frames for an item over MAX_ORDER_ITEM; default one frame per item): the console
 * numbers its frames 0, 1, 2... (ORDER or ORDER_CHUNK..., BUNDLE or BUNDLE_CHUNK..., DONE), the robot too (HELLO,
 * ORDER_ACK..., INSTALLED). `bundleFrames`: 1 for a BUNDLE frame, the chunk count for BUNDLE_CHUNK frames (the first
 * is numbered `bundle`). With no item and one BUNDLE they are DISTRIBUTE_CONSOLE_SEQ and DISTRIBUTE_ROBOT_SEQ.
 */
export function distributeSeqs(items: number, consoleFrames = items, renewed = false, bundleFrames = 1): { ack(i: number): number; bundle: number; installed: number; done: number; consoleBase: number } {
  // A re-issue exchange opens the session (RENEW, CERT from the console; CSR, RENEWED from the robot): two frames each side.
  const base = renewed ? 2 : 0;
  return { ack: (i) => base + i + 1, bundle: base + consoleFrames, installed: base + items + 1, done: base + consoleFrames + bundleFrames, consoleBase: base };
}

/** Sequence numbers of the re-issue exchange, right after HELLO (docs/provisioning-protocol.md, "Re-issue after a CA replacement"). */
export const RENEW_SEQ = { RENEW: 0, CSR: 1, CERT: 1, RENEWED: 2 } as const;

// ---- field codec ----

export class FieldWriter {
  private readonly parts: Buffer[] = [];
  bytes(b: Buffer): this {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    this.parts.push(len, b);
    return this;
  }
  text(s: string): this {
    return this.bytes(Buffer.from(s, 'utf8'));
  }
  u32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return this.bytes(b);
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export class FieldReader {
  private off = 0;
  private readonly buf: Buffer;
  private readonly what: string;
  constructor(buf: Buffer, what: string) {
    this.buf = buf;
    this.what = what;
  }
  bytes(max = 65536, exact?: number): Buffer {
    if (this.off + 4 > this.buf.length) throw malformed(this.what, 'truncated');
    const len = this.buf.readUInt32BE(this.off);
    if (len > max || this.off + 4 + len > this.buf.length) throw malformed(this.what, 'field length out of bounds');
    if (exact !== undefined && len !== exact) throw malformed(this.what, `field must be ${exact} bytes`);
    const out = Buffer.from(this.buf.subarray(this.off + 4, this.off + 4 + len));
    this.off += 4 + len;
    return out;
  }
  text(max = 256): string {
    const b = this.bytes(max);
    const s = b.toString('utf8');
    if (!Buffer.from(s, 'utf8').equals(b) || /[\u0000-\u001f\u007f]/.test(s)) throw malformed(this.what, 'text field is not clean UTF-8');
    return s;
  }
  u32(): number {
    return this.bytes(4, 4).readUInt32BE(0);
  }
  end(): void {
    if (this.off !== this.buf.length) throw malformed(this.what, 'trailing bytes');
  }
  /** True while fields remain (an optional trailing field). */
  more(): boolean {
    return this.off < this.buf.length;
  }
  /** How many bytes remain unread. */
  get remaining(): number {
    return this.buf.length - this.off;
  }
}

export function malformed(what: string, why: string): StationError {
  return new StationError('bad_frame', `malformed ${what} message: ${why}`);
}

// ---- messages ----

export function encodeHello(m: Hello): Buffer {
  const w = new FieldWriter().text(m.deviceId).bytes(m.robotNonce).text(m.firmware);
  // The size field comes after the capabilities: a robot that announces a size sends its capabilities too (0 if none).
  if (m.capabilities !== undefined || m.maxChunkedItem !== undefined) w.u32(m.capabilities ?? 0);
  if (m.maxChunkedItem !== undefined) w.u32(m.maxChunkedItem);
  return w.done();
}
export function decodeHello(p: Buffer): Hello {
  const r = new FieldReader(p, 'HELLO');
  const base = { deviceId: r.text(64), robotNonce: r.bytes(NONCE_LENGTH, NONCE_LENGTH), firmware: r.text(64) };
  // The optional capabilities field is one u32 field (8 bytes), the optional size field another after it (16 bytes in
  // all); anything else after the firmware is trailing bytes.
  const tail = r.remaining;
  const m: Hello = tail === 8 || tail === 16 ? { ...base, capabilities: r.u32() } : base;
  if (tail === 16) m.maxChunkedItem = r.u32();
  r.end();
  if (m.maxChunkedItem === 0) throw malformed('HELLO', 'the largest chunked item announced is 0 bytes (a robot that takes none omits the field)');
  if (!DEVICE_ID_PATTERN.test(m.deviceId)) throw malformed('HELLO', 'device id has invalid characters');
  return m;
}

export function encodeChallenge(m: Challenge): Buffer {
  return new FieldWriter().bytes(m.robotNonce).bytes(m.consoleNonce).done();
}
export function decodeChallenge(p: Buffer): Challenge {
  const r = new FieldReader(p, 'CHALLENGE');
  const m = { robotNonce: r.bytes(NONCE_LENGTH, NONCE_LENGTH), consoleNonce: r.bytes(NONCE_LENGTH, NONCE_LENGTH) };
  r.end();
  return m;
}

export function encodeCsr(m: CsrMessage): Buffer {
  return new FieldWriter().bytes(m.robotNonce).bytes(m.consoleNonce).bytes(m.csrDer).bytes(m.nonceSignature).done();
}
export function decodeCsr(p: Buffer): CsrMessage {
  const r = new FieldReader(p, 'CSR');
  const m = {
    robotNonce: r.bytes(NONCE_LENGTH, NONCE_LENGTH),
    consoleNonce: r.bytes(NONCE_LENGTH, NONCE_LENGTH),
    csrDer: r.bytes(16384),
    nonceSignature: r.bytes(1024),
  };
  r.end();
  return m;
}

export function encodeCert(m: CertMessage): Buffer {
  const w = new FieldWriter().bytes(m.certDer).u32(m.chainDer.length);
  for (const c of m.chainDer) w.bytes(c);
  if (m.emergencyKeyDer) w.bytes(m.emergencyKeyDer);
  return w.done();
}
export function decodeCert(p: Buffer): CertMessage {
  const r = new FieldReader(p, 'CERT');
  const certDer = r.bytes(16384);
  const n = r.u32();
  if (n > MAX_CHAIN) throw malformed('CERT', 'chain too long');
  const chainDer: Buffer[] = [];
  for (let i = 0; i < n; i++) chainDer.push(r.bytes(16384));
  if (!r.more()) return { certDer, chainDer };
  const emergencyKeyDer = r.bytes(MAX_EMERGENCY_KEY);
  r.end();
  let type: string | undefined;
  try {
    type = createPublicKey({ key: emergencyKeyDer, format: 'der', type: 'spki' }).asymmetricKeyType;
  } catch {
    type = undefined;
  }
  if (type !== 'rsa') throw malformed('CERT', 'the emergency key is not an RSA SubjectPublicKeyInfo');
  return { certDer, chainDer, emergencyKeyDer };
}

export function encodeKeys(m: KeysMessage): Buffer {
  const w = new FieldWriter().u32(m.keys.length);
  for (const k of m.keys) w.text(k.keyId).u32(k.version).u32(k.scheme).bytes(k.wrapped);
  return w.done();
}
export function decodeKeys(p: Buffer): KeysMessage {
  const r = new FieldReader(p, 'KEYS');
  const n = r.u32();
  if (n === 0 || n > MAX_KEYS) throw malformed('KEYS', 'key count out of bounds');
  const keys: WrappedKey[] = [];
  for (let i = 0; i < n; i++) keys.push({ keyId: r.text(128), version: r.u32(), scheme: r.u32(), wrapped: r.bytes(1024) });
  r.end();
  return { keys };
}

export function encodeMac(m: MacMessage): Buffer {
  return new FieldWriter().bytes(m.mac).done();
}
export function decodeMac(p: Buffer, what: string): MacMessage {
  const r = new FieldReader(p, what);
  const m = { mac: r.bytes(MAC_LENGTH, MAC_LENGTH) };
  r.end();
  return m;
}

export function encodeBundle(m: BundleMessage): Buffer {
  if (m.file.length === 0 || m.file.length > MAX_BUNDLE_FILE) throw new StationError('frame_oversize', `a bundle file of ${m.file.length} bytes does not fit a BUNDLE frame (1..${MAX_BUNDLE_FILE})`);
  return new FieldWriter().bytes(m.file).done();
}
/** A payload of one byte field that may not be empty (BUNDLE, RENEWED): at most `max` bytes, else `bad_frame`. */
function decodeOneField(p: Buffer, what: string, max: number, emptyReason: string): Buffer {
  const r = new FieldReader(p, what);
  const b = r.bytes(max);
  r.end();
  if (b.length === 0) throw malformed(what, emptyReason);
  return b;
}

export function decodeBundle(p: Buffer): BundleMessage {
  return { file: decodeOneField(p, 'BUNDLE', MAX_BUNDLE_FILE, 'empty bundle file') };
}

export function encodeInstalled(m: InstalledMessage): Buffer {
  return new FieldWriter().bytes(m.bundleId).u32(m.sequence).bytes(m.mac).done();
}
export function decodeInstalled(p: Buffer): InstalledMessage {
  const r = new FieldReader(p, 'INSTALLED');
  const m = { bundleId: r.bytes(BUNDLE_ID_LENGTH, BUNDLE_ID_LENGTH), sequence: r.u32(), mac: r.bytes(MAC_LENGTH, MAC_LENGTH) };
  r.end();
  if (m.sequence === 0) throw malformed('INSTALLED', 'sequence must be at least 1');
  return m;
}

export function encodeOrder(m: OrderMessage): Buffer {
  if (m.content.length === 0 || m.content.length > MAX_ORDER_ITEM) throw new StationError('frame_oversize', `${m.kind === 'crl' ? 'a CRL' : 'an order'} of ${m.content.length} bytes does not fit an ORDER frame (1..${MAX_ORDER_ITEM})`);
  return new FieldWriter().u32(ORDER_ITEM_KINDS[m.kind]).bytes(m.content).bytes(m.consoleNonce).done();
}
export function itemKind(code: number, what: string): OrderItemKind {
  if (code === ORDER_ITEM_KINDS.order) return 'order';
  if (code === ORDER_ITEM_KINDS.crl) return 'crl';
  throw malformed(what, `unknown item kind ${code}`);
}
export function decodeOrder(p: Buffer): OrderMessage {
  const r = new FieldReader(p, 'ORDER');
  const kind = itemKind(r.u32(), 'ORDER');
  const content = r.bytes(MAX_ORDER_ITEM);
  const consoleNonce = r.bytes(NONCE_LENGTH, NONCE_LENGTH);
  r.end();
  if (content.length === 0) throw malformed('ORDER', 'empty item');
  return { kind, content, consoleNonce };
}

/** SHA-256 of an ORDER item's content, as its ORDER_ACK names it. */
export function orderItemDigest(content: Buffer): Buffer {
  return createHash('sha256').update(content).digest();
}

/** The ORDER_ACK message text as sent and signed: at most 200 characters. */
export const ackMessageText = (message: string): string => message.slice(0, 200);

export function encodeOrderAck(m: OrderAckMessage): Buffer {
  return new FieldWriter().u32(ORDER_ITEM_KINDS[m.kind]).bytes(m.digest).text(m.result).text(ackMessageText(m.message)).bytes(m.signature).done();
}
export function decodeOrderAck(p: Buffer): OrderAckMessage {
  const r = new FieldReader(p, 'ORDER_ACK');
  const m = { kind: itemKind(r.u32(), 'ORDER_ACK'), digest: r.bytes(32, 32), result: r.text(64), message: r.text(256), signature: r.bytes(MAX_ACK_SIGNATURE) };
  r.end();
  if (!RESULT_PATTERN.test(m.result)) throw malformed('ORDER_ACK', 'result must be accepted or a refusal code');
  if (m.signature.length === 0) throw malformed('ORDER_ACK', 'the signature is missing');
  return m;
}

/** What an ORDER_ACK binds: this session (device id, HELLO's robot nonce, the console nonce), the item and the answer. */
export interface OrderAckBinding {
  deviceId: string;
  robotNonce: Buffer;
  consoleNonce: Buffer;
  /** The item's place in the session (0-based). */
  index: number;
  kind: OrderItemKind;
  digest: Buffer;
  result: string;
  message: string;
}

/** The bytes the robot signs with its identity key for an ORDER_ACK (docs/provisioning-protocol.md, "Emergency key and orders"). */
export function orderAckSignatureInput(b: OrderAckBinding): Buffer {
  return new FieldWriter()
    .text('ECPS-ORDER-ACK-v1')
    .text(b.deviceId)
    .bytes(b.robotNonce)
    .bytes(b.consoleNonce)
    .u32(b.index)
    .u32(ORDER_ITEM_KINDS[b.kind])
    .bytes(b.digest)
    .text(b.result)
    .text(ackMessageText(b.message))
    .done();
}

/**
 * RENEW: the current CA's certificate (DER), the retired CA's endorsement of it (its signature over
 * caEndorsementInput), the retired CA's key id (signerKeyId of its certificate: which CA the robot checks it with) and a
 * fresh console nonce.
 */
export interface RenewMessage { consoleNonce: Buffer; caCertDer: Buffer; endorserKeyId: string; endorsement: Buffer }
/** RENEWED: the robot's identity-key signature over renewedSignatureInput. */
export interface RenewedMessage { signature: Buffer }

export function encodeRenew(m: RenewMessage): Buffer {
  return new FieldWriter().bytes(m.consoleNonce).bytes(m.caCertDer).text(m.endorserKeyId).bytes(m.endorsement).done();
}
export function decodeRenew(p: Buffer): RenewMessage {
  const r = new FieldReader(p, 'RENEW');
  const m = { consoleNonce: r.bytes(NONCE_LENGTH, NONCE_LENGTH), caCertDer: r.bytes(16384), endorserKeyId: r.text(64), endorsement: r.bytes(MAX_ACK_SIGNATURE) };
  r.end();
  if (!/^[0-9a-f]{64}$/.test(m.endorserKeyId)) throw malformed('RENEW', 'the endorser key id is not a SHA-256 hex digest');
  if (m.caCertDer.length === 0 || m.endorsement.length === 0) throw malformed('RENEW', 'the CA certificate or its endorsement is missing');
  return m;
}
export function encodeRenewed(m: RenewedMessage): Buffer {
  return new FieldWriter().bytes(m.signature).done();
}
export function decodeRenewed(p: Buffer): RenewedMessage {
  return { signature: decodeOneField(p, 'RENEWED', MAX_ACK_SIGNATURE, 'the signature is missing') };
}

/** What the retired CA signs (with its key, as it signs bundles) to tell its robots to trust the new CA certificate. */
export function caEndorsementInput(caCertDer: Buffer): Buffer {
  return new FieldWriter().text('ECPS-CA-ENDORSE-v1').bytes(caCertDer).done();
}

/** What the robot signs with its identity key besides a re-issue CSR: the session, the CSR's and the new CA's hashes. */
export function reissueSignatureInput(deviceId: string, robotNonce: Buffer, consoleNonce: Buffer, csrDer: Buffer, caCertDer: Buffer): Buffer {
  return new FieldWriter()
    .text('ECPS-REISSUE-v1 possession')
    .text(deviceId)
    .bytes(robotNonce)
    .bytes(consoleNonce)
    .bytes(createHash('sha256').update(csrDer).digest())
    .bytes(createHash('sha256').update(caCertDer).digest())
    .done();
}

/** What RENEWED signs: the session and the certificate the robot checked and stored. */
export function renewedSignatureInput(deviceId: string, robotNonce: Buffer, consoleNonce: Buffer, certDer: Buffer): Buffer {
  return new FieldWriter()
    .text('ECPS-REISSUE-v1 stored')
    .text(deviceId)
    .bytes(robotNonce)
    .bytes(consoleNonce)
    .bytes(createHash('sha256').update(certDer).digest())
    .done();
}

export function encodeError(m: ErrorMessage): Buffer {
  return new FieldWriter().text(m.code).text(m.message.slice(0, 200)).done();
}
export function decodeError(p: Buffer): ErrorMessage {
  const r = new FieldReader(p, 'ERROR');
  const m = { code: r.text(64), message: r.text(256) };
  r.end();
  return m;
}

// ---- binding values ----

/** What the robot signs with its identity key besides the CSR: both nonces, its device id and the CSR's hash. */
export function nonceSignatureInput(deviceId: string, robotNonce: Buffer, consoleNonce: Buffer, csrDer: Buffer): Buffer {
  return new FieldWriter()
    .text('ECPS-PROV-v1 possession')
    .text(deviceId)
    .bytes(robotNonce)
    .bytes(consoleNonce)
    .bytes(createHash('sha256').update(csrDer).digest())
    .done();
}

/** SHA-256 over the raw frames HELLO, CHALLENGE, CSR, CERT, KEYS (each length-prefixed), in that order. */
export function transcriptHash(rawFrames: Buffer[]): Buffer {
  const h = createHash('sha256').update('ECPS-PROV-v1 transcript');
  for (const f of rawFrames) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(f.length);
    h.update(len).update(f);
  }
  return h.digest();
}

export const ROBOT_FRAME_TYPES: readonly MessageTypeCode[] = [MessageType.HELLO, MessageType.CSR, MessageType.CONFIRM, MessageType.INSTALLED, MessageType.ORDER_ACK, MessageType.RENEWED, MessageType.ERROR];

export function errorFromRobot(m: ErrorMessage): StationError {
  return new StationError('robot_error', `robot reported ${m.code}: ${m.message}`, { robotCode: m.code });
}

export function stationErrorMessage(code: StationErrorCode, message: string): Buffer {
  return encodeError({ code, message });
}
