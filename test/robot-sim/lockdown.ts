// The simulator's side of lockdown orders and the CRL (docs/lockdown-orders.md, "Delivery"): a robot checks an order
// with the emergency public key it trusts (emergency-key.pem in its key store, received at provisioning or in a key
// bundle; electron/services/emergency/lockdownOrder.ts verifyOrder is the reference of the checks) and its own facts,
// then records the new state in lockdown-state.json (one atomic write; nothing written on refusal). A CRL is checked
// against the fleet CA certificate and kept (crl.der) when newer than the one held; peers whose certificate serial it
// lists are refused. Used by `robot.ts --apply-order FILE` (USB stick), `--operate`, `--check-peer SERIAL`, by
// robotSession.ts for ORDER frames (serial link) and by installBundle.ts for the orders and CRL of a bundle.
import 'reflect-metadata';
import { createPublicKey, verify as cryptoVerify, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import {
  applyOrder, LockdownOrderError, mayOperate, UNLOCKED, verifyOrder, type OrderBody, type RobotFacts, type RobotLockdownState,
} from '../../electron/services/emergency/lockdownOrder.ts';
import type { OrderItemKind } from '../../electron/station/protocol.ts';

const stateFile = (keystore: string) => path.join(keystore, 'lockdown-state.json');
export const emergencyKeyFile = (keystore: string) => path.join(keystore, 'emergency-key.pem');
const crlFile = (keystore: string) => path.join(keystore, 'crl.der');

function writeAtomic(file: string, content: string | Buffer): void {
  writeFileSync(`${file}.tmp`, content, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

export function lockdownState(keystore: string): RobotLockdownState {
  const f = stateFile(keystore);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as RobotLockdownState) : UNLOCKED;
}

/** Stores the emergency public key (SPKI DER from CERT or a bundle) as the one the robot trusts from now on. */
export function storeEmergencyKey(keystore: string, spkiDer: Buffer): void {
  writeAtomic(emergencyKeyFile(keystore), createPublicKey({ key: spkiDer, format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' }));
}

/** The emergency key the robot trusts: `--emergency-key` when given, else the one stored; none: orders are refused. */
function trustedEmergencyKey(keystore: string, pem: string | undefined): string {
  if (pem !== undefined) return pem;
  if (!existsSync(emergencyKeyFile(keystore))) throw new LockdownOrderError('foreign', 'lockdown order: this robot holds no emergency key (no_emergency_key): it trusts no order');
  return readFileSync(emergencyKeyFile(keystore), 'utf8');
}

export function applyLockdownOrder(o: { keystore: string; facts: RobotFacts; emergencyKeyPem?: string; file: Buffer; now: Date }): { order: OrderBody; state: RobotLockdownState } {
  const before = lockdownState(o.keystore);
  const order = verifyOrder(o.file, { emergencyPublicKey: createPublicKey(trustedEmergencyKey(o.keystore, o.emergencyKeyPem)), robot: o.facts, lastSequence: before.lastSequence, now: o.now });
  const state = applyOrder(before, order);
  writeAtomic(stateFile(o.keystore), JSON.stringify(state));
  return { order, state };
}

/** What `--operate` answers: the robot works unless a standing lockdown says stop_operating. */
export function operate(keystore: string, now: Date): { ok: true; safeMode: boolean } | { ok: false; code: 'locked_down'; message: string } {
  const state = lockdownState(keystore);
  if (mayOperate(state, now)) return { ok: true, safeMode: state.locked !== null && Date.parse(state.locked.expiresAt) > now.getTime() && state.locked.actions.includes('safe_mode') };
  return { ok: false, code: 'locked_down', message: state.locked?.message ?? '' };
}

export type CrlRefusal = 'crl_malformed' | 'crl_foreign' | 'crl_stale';
export class CrlError extends Error {
  readonly code: CrlRefusal;
  constructor(code: CrlRefusal, message: string) {
    super(message);
    this.code = code;
  }
}

/** A certificate serial as the robot compares them: lowercase hex without leading zeros. */
export const normSerial = (s: string) => s.toLowerCase().replace(/^0+(?=.)/, '');

const CRL_NUMBER_OID = '2.5.29.20';
/** The CRL number (an INTEGER in the crlNumber extension's value), or null when absent. */
function crlNumberOf(crl: x509.X509Crl): bigint | null {
  const ext = crl.getExtension(CRL_NUMBER_OID);
  if (!ext) return null;
  const v = Buffer.from(ext.value);
  if (v[0] !== 0x02 || v.length < 3 || v[1] !== v.length - 2) return null;
  return BigInt(`0x${v.subarray(2).toString('hex')}`);
}

/**
 * The ASN.1 parser's node budget for a CRL: about 8 nodes per entry (serial, date, reason extension), so a 2 MiB CRL
 * (the largest a chunked ORDER carries, ~50,000 entries) fits; the parser's default (10,000 nodes) stops near 1,300.
 */
const CRL_PARSE = { berOptions: { maxNodes: 1_000_000 } };

function parseCrl(der: Buffer): x509.X509Crl {
  try {
    return new x509.X509Crl(der, CRL_PARSE);
  } catch {
    throw new CrlError('crl_malformed', 'the CRL does not parse');
  }
}

/** One DER element at `off`: where its content starts and where the element ends. */
function derElement(der: Buffer, off: number): { tag: number; start: number; end: number } {
  const tag = der[off];
  let len = der[off + 1];
  let start = off + 2;
  if (tag === undefined || len === undefined) throw new CrlError('crl_malformed', 'the CRL is truncated');
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > der.length) throw new CrlError('crl_malformed', 'bad DER length in the CRL');
    len = der.readUIntBE(start, n);
    start += n;
  }
  if (start + len > der.length) throw new CrlError('crl_malformed', 'the CRL is truncated');
  return { tag, start, end: start + len };
}

/** The OIDs (DER content) of the fleet CA's CRL signature algorithms. */
const ECDSA_SHA256 = Buffer.from('2a8648ce3d040302', 'hex');
const RSA_SHA256 = Buffer.from('2a864886f70d01010b', 'hex');

/** The CRL signature under the CA key (ecdsa-with-SHA256 or sha256WithRSAEncryption), read from the DER itself. */
function crlSignatureValid(der: Buffer, caPublicKey: KeyObject): boolean {
  const outer = derElement(der, 0);
  const tbs = derElement(der, outer.start);
  const alg = derElement(der, tbs.end);
  const oid = derElement(der, alg.start);
  const bits = derElement(der, alg.end);
  if (oid.tag !== 0x06 || bits.tag !== 0x03 || der[bits.start] !== 0) return false;
  const algOid = der.subarray(oid.start, oid.end);
  const sig = der.subarray(bits.start + 1, bits.end);
  const data = der.subarray(outer.start, tbs.end);
  try {
    if (algOid.equals(ECDSA_SHA256)) return cryptoVerify('sha256', data, { key: caPublicKey, dsaEncoding: 'der' }, sig);
    if (algOid.equals(RSA_SHA256)) return cryptoVerify('sha256', data, caPublicKey, sig);
  } catch {
    return false;
  }
  return false;
}

/** Checks a CRL (issued and signed by the fleet CA, CRL number above the one held) and keeps it. */
export function applyCrl(o: { keystore: string; caCertPem: string; der: Buffer }): { crlNumber: string; revoked: number } {
  const crl = parseCrl(o.der);
  const ca = new X509Certificate(o.caCertPem);
  if (crl.issuerName.toString() !== new x509.X509Certificate(o.caCertPem).subjectName.toString()) throw new CrlError('crl_foreign', 'the CRL was issued by another CA');
  const ok = crlSignatureValid(o.der, ca.publicKey);
  if (!ok) throw new CrlError('crl_foreign', 'the CRL signature does not verify under the fleet CA');
  const number = crlNumberOf(crl);
  if (number === null) throw new CrlError('crl_malformed', 'the CRL has no CRL number');
  if (existsSync(crlFile(o.keystore))) {
    const held = crlNumberOf(parseCrl(readFileSync(crlFile(o.keystore))));
    if (held !== null && number <= held) throw new CrlError('crl_stale', `CRL number ${number} is not above the one held (${held})`);
  }
  writeAtomic(crlFile(o.keystore), o.der);
  return { crlNumber: number.toString(), revoked: crl.entries.length };
}

/** Whether the robot talks to a peer presenting a certificate with this serial: not when the CRL it holds lists it. */
export function checkPeer(keystore: string, serial: string): { ok: true } | { ok: false; code: 'peer_revoked'; message: string } {
  if (!existsSync(crlFile(keystore))) return { ok: true };
  const listed = parseCrl(readFileSync(crlFile(keystore))).entries.some((e) => normSerial(e.serialNumber) === normSerial(serial));
  return listed ? { ok: false, code: 'peer_revoked', message: `certificate ${normSerial(serial)} is revoked` } : { ok: true };
}

/** One item of an ORDER frame (or of a bundle): `accepted`, or the refusal code; the robot changes nothing on refusal. */
export function receiveItem(o: { keystore: string; facts: RobotFacts; caCertPem: string; kind: OrderItemKind; content: Buffer; now: Date }): { result: string; message: string } {
  try {
    if (o.kind === 'crl') {
      const r = applyCrl({ keystore: o.keystore, caCertPem: o.caCertPem, der: o.content });
      return { result: 'accepted', message: `CRL ${r.crlNumber} held (${r.revoked} revoked)` };
    }
    if (!existsSync(emergencyKeyFile(o.keystore))) return { result: 'no_emergency_key', message: 'this robot holds no emergency key: it trusts no order' };
    const { order, state } = applyLockdownOrder({ keystore: o.keystore, facts: o.facts, file: o.content, now: o.now });
    return { result: 'accepted', message: `${order.kind} ${order.sequence} applied${state.locked ? ' (locked)' : ''}` };
  } catch (e) {
    if (e instanceof LockdownOrderError || e instanceof CrlError) return { result: e.code, message: e.message };
    throw e;
  }
}
