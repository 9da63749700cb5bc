// The incident kit's bytes (issue 15, docs/incident-kit.md): what an officer exports to removable media for a
// responder's offline laptop, and what comes back. Both sides build and check it here and nowhere else.
//   manifest.json   {"format":"ECPS-INCIDENT-KIT-v1","body":b64(bodyBytes),"signature":b64,"auditKey":b64(SPKI DER)}
//                   signature = the console's audit key (Ed25519) over ("ECPS-INCIDENT-KIT-v1" | 0x00 | bodyBytes)
//   kit.sealed      AES-256-GCM under the kit's data key, AAD "ecps/incident-kit/v1|<kitId>": the registry copy,
//                   certificates, CRL, the signed lockdown orders and the kit's own audit signing key
//   audit.jsonl     the kit's audit chain: one record line per action (the main chain's line format, audit/canonical.ts)
//                   plus a "signature" member, the kit key's Ed25519 signature over "ECPS-KIT-RECORD|<kitId>|<hash>";
//                   the first record's prev is SHA-256("ECPS-UV-KIT-AUDIT-GENESIS-V1|<kitId>")
//   audit-head.json {"seq":n,"head":hash,"signature":b64} over "ECPS-KIT-HEAD|<kitId>|<seq>|<hash>" (a cut tail shows)
// The data key is sealed in the manifest's responder slot under scrypt(the responder's passphrase), the AAD binding
// the kit id, the responder's name and the scrypt parameters: a lost stick reveals nothing without that passphrase.
import { createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { ConsoleError, type ErrorCode } from '../../../shared/errors.ts';
import { open, seal } from '../../crypto/aead.ts';
import { deriveKek } from '../../crypto/kdf.ts';
import type { KdfParams } from '../../store/storeMetaRepo.ts';
import type { CertificateRow, RobotRow } from '../../store/fleetRepo.ts';
import type { AuditDetails } from '../audit/auditLog.ts';
import { canonicalDetails, recordLine, sha256Hex } from '../audit/canonical.ts';
import type { LockdownAction, OrderScope } from '../emergency/lockdownOrder.ts';
import type { KitDistrustedCa, KitErrorKind } from '../../../shared/kitOfflineContract.ts';

export const KIT_FORMAT = 'ECPS-INCIDENT-KIT-v1';
export const KIT_FILES = { manifest: 'manifest.json', payload: 'kit.sealed', audit: 'audit.jsonl', head: 'audit-head.json' } as const;

/** Why a kit is refused: each a ConsoleError whose details.kitError says which check failed (shared/kitOfflineContract.ts). */
export type { KitErrorKind };

export function kitError(code: ErrorCode, kind: KitErrorKind, message: string, extra: Record<string, string | number> = {}): ConsoleError {
  return new ConsoleError(code, message, { kitError: kind, ...extra });
}

export interface KitOrderSummary {
  /** The name the officer gave the order's scope (e.g. "site Plant 1"). */
  name: string;
  orderId: string;
  sequence: number;
  expiresAt: string;
  maxUses: number;
}

export interface ManifestBody {
  v: 1;
  kitId: string;
  exportedAt: string;
  exportedBy: string;
  responder: string;
  /** The latest expiry of the kit's orders: after it the kit can only be read and imported. */
  expiresAt: string;
  robots: number;
  payloadSha256: string;
  slot: { N: number; r: number; p: number; salt: string; sealed: string };
  /** The kit's audit public key (Ed25519 SPKI DER, base64); its private half is in the sealed payload. */
  kitAuditKey: string;
  orders: KitOrderSummary[];
}

export interface KitOrder extends KitOrderSummary {
  scope: OrderScope;
  actions: LockdownAction[];
  /** The signed order file (lockdownOrder.ts format), base64. */
  file: string;
  /**
   * With the distrust_ca action: the fleet CAs the order names, as they were at export (id, the key id robots know it
   * by, subject, state), so the offline console can say what the order does without the console's store. Absent in
   * other orders and in kits exported before it existed (read as none).
   */
  distrustCas?: KitDistrustedCa[];
}

export interface KitPayload {
  v: 1;
  robots: RobotRow[];
  certificates: CertificateRow[];
  crl: { pem: string; crlNumber: number } | null;
  emergencyPublicKeyPem: string | null;
  orders: KitOrder[];
  /** PKCS#8 DER, base64: signs the kit's audit records offline. */
  kitAuditPrivateKey: string;
}

const MANIFEST_PREFIX = Buffer.from(`${KIT_FORMAT}\0`);
export const manifestSigningInput = (bodyBytes: Buffer) => Buffer.concat([MANIFEST_PREFIX, bodyBytes]);
const payloadAad = (kitId: string) => Buffer.from(`ecps/incident-kit/v1|${kitId}`, 'utf8');
const slotAad = (kitId: string, responder: string, kdf: KdfParams) =>
  Buffer.from(`ecps/kit-slot/v1|${kitId}|${responder.normalize('NFC')}|N=${kdf.N},r=${kdf.r},p=${kdf.p}`, 'utf8');
export const kitGenesis = (kitId: string) => sha256Hex(`ECPS-UV-KIT-AUDIT-GENESIS-V1|${kitId}`);
const recordSigningInput = (kitId: string, hash: string) => Buffer.from(`ECPS-KIT-RECORD|${kitId}|${hash}`, 'utf8');
const headSigningInput = (kitId: string, seq: number, hash: string) => Buffer.from(`ECPS-KIT-HEAD|${kitId}|${seq}|${hash}`, 'utf8');

/** Seals the payload under a fresh data key, and the data key under the responder's passphrase. */
export async function sealKit(kitId: string, responder: string, passphrase: string, kdf: KdfParams, payload: KitPayload): Promise<{ sealed: Buffer; slot: ManifestBody['slot'] }> {
  const dataKey = randomBytes(32);
  const salt = randomBytes(16);
  const kek = await deriveKek(passphrase, salt, kdf);
  try {
    const sealed = seal(dataKey, Buffer.from(JSON.stringify(payload), 'utf8'), payloadAad(kitId));
    const slotSealed = seal(kek, dataKey, slotAad(kitId, responder, kdf));
    return { sealed, slot: { N: kdf.N, r: kdf.r, p: kdf.p, salt: salt.toString('base64'), sealed: slotSealed.toString('base64') } };
  } finally {
    kek.fill(0);
    dataKey.fill(0);
  }
}

/** Opens the payload with the responder's passphrase; wrong_passphrase when it does not open their slot. */
export async function openKit(body: ManifestBody, sealed: Buffer, passphrase: string): Promise<KitPayload> {
  const kdf = { N: body.slot.N, r: body.slot.r, p: body.slot.p };
  const kek = await deriveKek(passphrase, Buffer.from(body.slot.salt, 'base64'), kdf);
  let dataKey: Buffer | null;
  try {
    dataKey = open(kek, Buffer.from(body.slot.sealed, 'base64'), slotAad(body.kitId, body.responder, kdf));
  } finally {
    kek.fill(0);
  }
  if (dataKey === null) throw new ConsoleError('wrong_passphrase', `The passphrase does not open ${body.responder}'s slot of incident kit ${body.kitId}.`);
  try {
    const plain = open(dataKey, sealed, payloadAad(body.kitId));
    if (plain === null) throw kitError('integrity_failure', 'payload_tampered', 'The incident kit\'s sealed data fails its authentication: it was changed.');
    return JSON.parse(plain.toString('utf8')) as KitPayload;
  } finally {
    dataKey.fill(0);
  }
}

export function encodeManifest(bodyBytes: Buffer, signature: Buffer, auditKeySpki: Buffer): string {
  return JSON.stringify({ format: KIT_FORMAT, body: bodyBytes.toString('base64'), signature: signature.toString('base64'), auditKey: auditKeySpki.toString('base64') });
}

export interface ParsedManifest {
  body: ManifestBody;
  bodyBytes: Buffer;
  signature: Buffer;
  auditKeySpki: Buffer;
}

const malformed = (what: string) => kitError('invalid_input', 'malformed', `Incident kit: ${what}.`);

/** Parses the manifest file and checks its signature against the audit key it names (the caller checks that key). */
export function readManifest(text: string): ParsedManifest {
  let outer: unknown;
  try {
    outer = JSON.parse(text);
  } catch {
    throw malformed('manifest.json is not JSON');
  }
  const o = outer as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || o.format !== KIT_FORMAT || typeof o.body !== 'string' || typeof o.signature !== 'string' || typeof o.auditKey !== 'string')
    throw malformed(`manifest.json is not an ${KIT_FORMAT} manifest`);
  const bodyBytes = Buffer.from(o.body, 'base64');
  const signature = Buffer.from(o.signature, 'base64');
  const auditKeySpki = Buffer.from(o.auditKey, 'base64');
  let ok: boolean;
  try {
    ok = verify(null, manifestSigningInput(bodyBytes), createPublicKey({ key: auditKeySpki, format: 'der', type: 'spki' }), signature);
  } catch {
    ok = false;
  }
  if (!ok) throw kitError('integrity_failure', 'manifest_tampered', 'The incident kit\'s manifest signature does not verify: the manifest was changed.');
  const body = JSON.parse(bodyBytes.toString('utf8')) as ManifestBody;
  if (body.v !== 1 || typeof body.kitId !== 'string' || !Array.isArray(body.orders)) throw malformed('unsupported manifest version');
  return { body, bodyBytes, signature, auditKeySpki };
}

/** One record of the kit's chain. */
export interface KitRecord {
  seq: number;
  ts: string;
  actor: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: 'success' | 'failure';
  details: AuditDetails;
  hash: string;
}

export interface KitChain {
  records: KitRecord[];
  head: { seq: number; hash: string };
}

const lineOf = (seq: number, e: Omit<KitRecord, 'seq' | 'hash'>, prev: string) =>
  recordLine(seq, e.ts, e.actor, e.action, e.targetType, e.targetId, e.outcome, canonicalDetails(e.details), prev);

/** The next record's line (with its signature) and the new head file, for appending to audit.jsonl. */
export function chainAppend(kitId: string, key: KeyObject, head: KitChain['head'], entry: Omit<KitRecord, 'seq' | 'hash'>): { line: string; headFile: string; record: KitRecord } {
  const seq = head.seq + 1;
  const line = lineOf(seq, entry, head.hash);
  const hash = sha256Hex(line);
  const signature = sign(null, recordSigningInput(kitId, hash), key).toString('base64');
  return { line: `${line.slice(0, -1)},"signature":"${signature}"}`, headFile: headFileOf(kitId, key, seq, hash), record: { ...entry, seq, hash } };
}

export function headFileOf(kitId: string, key: KeyObject, seq: number, hash: string): string {
  return JSON.stringify({ seq, head: hash, signature: sign(null, headSigningInput(kitId, seq, hash), key).toString('base64') });
}

const tampered = (why: string, seq: number) => kitError('integrity_failure', 'audit_tampered', `The incident kit's audit chain fails at record ${seq}: ${why}.`, { seq });

/**
 * Walks the kit's chain from its genesis: each line canonical, linked to the one before, signed by the kit key, and
 * the signed head naming the last one (records edited, removed, reordered, or cut off the end all fail).
 */
export function verifyKitChain(kitId: string, kitPublicKey: KeyObject, auditText: string, headText: string): KitChain {
  const lines = auditText.split('\n').filter((l) => l !== '');
  const records: KitRecord[] = [];
  let prev = kitGenesis(kitId);
  for (const [i, text] of lines.entries()) {
    const seq = i + 1;
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw tampered('not JSON', seq);
    }
    if (r.seq !== seq) throw tampered(`sequence ${String(r.seq)} where ${seq} belongs`, seq);
    if (typeof r.signature !== 'string' || typeof r.details !== 'object' || r.details === null) throw tampered('no signature', seq);
    const entry = {
      ts: String(r.ts), actor: String(r.actor), action: String(r.action), targetType: (r.targetType ?? null) as string | null, targetId: (r.targetId ?? null) as string | null,
      outcome: r.outcome as 'success' | 'failure', details: r.details as AuditDetails,
    };
    const line = lineOf(seq, entry, String(r.prev));
    if (`${line.slice(0, -1)},"signature":"${r.signature}"}` !== text) throw tampered('not in canonical form', seq);
    if (r.prev !== prev) throw tampered('its link to the record before is broken', seq);
    const hash = sha256Hex(line);
    if (!verify(null, recordSigningInput(kitId, hash), kitPublicKey, Buffer.from(r.signature, 'base64'))) throw tampered('its signature does not verify', seq);
    records.push({ ...entry, seq, hash });
    prev = hash;
  }
  let head: { seq?: unknown; head?: unknown; signature?: unknown };
  try {
    head = JSON.parse(headText) as typeof head;
  } catch {
    throw tampered('the head file is not JSON', lines.length);
  }
  const ok = head.seq === lines.length && head.head === prev && typeof head.signature === 'string'
    && verify(null, headSigningInput(kitId, lines.length, prev), kitPublicKey, Buffer.from(head.signature, 'base64'));
  if (!ok) throw tampered(`the signed head does not name the last record (records were removed or added)`, lines.length);
  return { records, head: { seq: lines.length, hash: prev } };
}

export const kitPublicKeyOf = (body: ManifestBody) => createPublicKey({ key: Buffer.from(body.kitAuditKey, 'base64'), format: 'der', type: 'spki' });
export const kitPrivateKeyOf = (payload: KitPayload) => createPrivateKey({ key: Buffer.from(payload.kitAuditPrivateKey, 'base64'), format: 'der', type: 'pkcs8' });

/** Uses of each order the chain records (successful kit.order.use records), by order id. */
export function usesByOrder(records: readonly KitRecord[]): Map<string, number> {
  const uses = new Map<string, number>();
  for (const r of records) if (r.action === 'kit.order.use' && r.outcome === 'success' && typeof r.details.orderId === 'string') uses.set(r.details.orderId, (uses.get(r.details.orderId) ?? 0) + 1);
  return uses;
}
