// The simulator's CA trust and CRLs (docs/fleet-ca.md, "What a robot trusts"; docs/lockdown-orders.md, "The CRL on the
// robot"). A robot trusts the CA certificate it was given at the factory (--ca-cert) and every CA certificate a CA it
// trusts endorsed (trusted-cas.json in its key store: learnt in a re-issue over the link, reissue.ts, or from a key
// bundle that carried its signer's endorsed certificate, installBundle.ts). It keeps one CRL per CA it trusts, each
// checked against its own CA and kept when its CRL number is above the one held of that CA: the factory CA's as
// crl.der, any other's as crl-<signerKeyId>.der. A peer is refused when its issuer's CRL lists it; a CA whose held CRL
// revokes certificates for cACompromise is no longer taken as an endorser. A CA that an accepted lockdown order
// distrusted (distrust_ca, distrust.ts) stays in trusted-cas.json but its CRLs are refused (crl_foreign) and the one
// held of it is kept unchanged.
import 'reflect-metadata';
import { verify as cryptoVerify, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { signerKeyId } from '../../electron/station/bundle.ts';
import { distrustedBecause, isDistrusted } from './distrust.ts';

const trustFile = (keystore: string) => path.join(keystore, 'trusted-cas.json');

function writeAtomic(file: string, content: string | Buffer): void {
  writeFileSync(`${file}.tmp`, content, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** Every CA certificate the robot trusts: the factory one first, then the endorsed successors in the order received. */
export function trustedCaPems(keystore: string, factoryCaPem: string): string[] {
  const stored = existsSync(trustFile(keystore)) ? (JSON.parse(readFileSync(trustFile(keystore), 'utf8')) as string[]) : [];
  return [factoryCaPem, ...stored];
}

/** Trusts one more CA certificate (one the robot checked an endorsement of); nothing when it is trusted already. */
export function addTrustedCa(keystore: string, factoryCaPem: string, pem: string): void {
  const all = trustedCaPems(keystore, factoryCaPem);
  if (all.some((p) => new X509Certificate(p).raw.equals(new X509Certificate(pem).raw))) return;
  writeAtomic(trustFile(keystore), JSON.stringify([...all.slice(1), pem]));
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

/** Where the robot keeps the CRL of one CA it trusts: crl.der for the factory CA, crl-<signerKeyId>.der for another. */
export function crlFileOf(keystore: string, factoryCaPem: string, caPem: string): string {
  const factory = new X509Certificate(factoryCaPem);
  const ca = new X509Certificate(caPem);
  return path.join(keystore, ca.raw.equals(factory.raw) ? 'crl.der' : `crl-${signerKeyId(ca.publicKey)}.der`);
}

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
 * The ASN.1 parser's node budget for a CRL: about 8 nodes per entry (serial, date, reason extension), about 43 bytes;
 * a DER node takes at least 2 bytes, so half the CRL's length bounds its node count: a CRL of any size the robot takes
 * in chunks (2 MiB by default, ~50,000 entries; more when its HELLO announces more) fits. The parser's default
 * (10,000 nodes) stops near 1,300 entries.
 */
const crlParse = (der: Buffer) => ({ berOptions: { maxNodes: Math.max(1_000_000, Math.ceil(der.length / 2)) } });

function parseCrl(der: Buffer): x509.X509Crl {
  try {
    return new x509.X509Crl(der, crlParse(der));
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

/** The CRL the robot holds of one CA it trusts, or null. */
function heldCrl(keystore: string, factoryCaPem: string, caPem: string): x509.X509Crl | null {
  const f = crlFileOf(keystore, factoryCaPem, caPem);
  return existsSync(f) ? parseCrl(readFileSync(f)) : null;
}

/**
 * Checks a CRL and keeps it: issued and signed by a CA the robot trusts (the factory CA or one it learnt by endorsement;
 * several may share a name, the signature tells which), with a CRL number above the one held of THAT CA (each CA
 * numbers its own CRLs). `caCertPem`: the factory CA.
 */
export function applyCrl(o: { keystore: string; caCertPem: string; der: Buffer }): { crlNumber: string; revoked: number; caKeyId: string } {
  const crl = parseCrl(o.der);
  const named = trustedCaPems(o.keystore, o.caCertPem).filter((pem) => new x509.X509Certificate(pem).subjectName.toString() === crl.issuerName.toString());
  if (named.length === 0) throw new CrlError('crl_foreign', 'the CRL was issued by a CA this robot does not trust');
  const caPem = named.find((pem) => crlSignatureValid(o.der, new X509Certificate(pem).publicKey));
  if (caPem === undefined) throw new CrlError('crl_foreign', 'the CRL signature does not verify under the trusted CA that it names');
  // A distrusted CA's CRL is foreign: the robot no longer trusts that CA (crl_foreign is the console's final answer for a
  // CA that is not current, which a compromised CA is once it is revoked; docs/lockdown-orders.md).
  const caKeyId = signerKeyId(new X509Certificate(caPem).publicKey);
  if (isDistrusted(o.keystore, caKeyId)) throw new CrlError('crl_foreign', `the CRL is signed by ${distrustedBecause(caKeyId)}`);
  const number = crlNumberOf(crl);
  if (number === null) throw new CrlError('crl_malformed', 'the CRL has no CRL number');
  const held = heldCrl(o.keystore, o.caCertPem, caPem);
  const heldNumber = held ? crlNumberOf(held) : null;
  if (heldNumber !== null && number <= heldNumber) throw new CrlError('crl_stale', `CRL number ${number} is not above the one held of this CA (${heldNumber})`);
  writeAtomic(crlFileOf(o.keystore, o.caCertPem, caPem), o.der);
  return { crlNumber: number.toString(), revoked: crl.entries.length, caKeyId };
}

const listed = (crl: x509.X509Crl, serial: string) => crl.entries.some((e) => normSerial(e.serialNumber) === normSerial(serial));
const revokedAnswer = (serial: string) => ({ ok: false as const, code: 'peer_revoked' as const, message: `certificate ${normSerial(serial)} is revoked` });

/**
 * Whether the robot talks to a peer presenting a certificate with this serial, when all it has is the serial
 * (`--check-peer SERIAL`): it cannot tell the issuer, so any CRL it holds that lists the serial refuses it.
 */
export function checkPeer(keystore: string, serial: string): { ok: true } | { ok: false; code: 'peer_revoked'; message: string } {
  const files = existsSync(keystore) ? readdirSync(keystore).filter((f) => /^crl(-[0-9a-f]{64})?\.der$/.test(f)) : [];
  return files.some((f) => listed(parseCrl(readFileSync(path.join(keystore, f))), serial)) ? revokedAnswer(serial) : { ok: true };
}

/** Whether a peer certificate issued by `issuerPem` (a trusted CA) is listed on the CRL the robot holds of that CA. */
export function checkPeerOfIssuer(keystore: string, factoryCaPem: string, issuerPem: string, serial: string): { ok: true } | { ok: false; code: 'peer_revoked'; message: string } {
  const crl = heldCrl(keystore, factoryCaPem, issuerPem);
  return crl && listed(crl, serial) ? revokedAnswer(serial) : { ok: true };
}

/** The trusted CAs the robot knows were compromised: the CRL it holds of them revokes certificates for cACompromise. */
export function compromisedCaPems(keystore: string, factoryCaPem: string): string[] {
  return trustedCaPems(keystore, factoryCaPem).filter((pem) => heldCrl(keystore, factoryCaPem, pem)?.entries.some((e) => e.reason === x509.X509CrlReason.cACompromise) ?? false);
}
