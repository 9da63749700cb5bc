// Field key distribution bundles (issue 5): new key versions wrapped to one robot's identity key, signed by the
// fleet CA, carried as a file (USB stick) or over the serial link. Format: docs/key-bundles.md;
// over the link: docs/provisioning-protocol.md, "Key bundles over the serial link" (BUNDLE / INSTALLED, key confirmation below).
//   file = canonical JSON {"format":"ECPS-KEYBUNDLE-v1","body":b64(bodyBytes),"signature":b64(sig)}
//   bodyBytes = UTF-8 JSON with fixed field order {v,bundleId,deviceId,issuedAt,sequence,signerKeyId,entries[]}
//               v 2 (issue 15) adds, after entries, {emergencyKey,orders[],crl}: the emergency public key the robot must
//               trust (b64 SPKI DER or null), lockdown/lift order files (b64) and the fleet CA's CRL (b64 DER or null).
//               v 3 (issue 15) adds, after crl, caEndorsement {caCert, endorserKeyId, endorsement}: the signing CA's
//               certificate endorsed by the retired CA that issued the robot's certificate (a USB bundle for a robot not
//               yet re-issued after a CA replacement); the robot checks it with the CA it trusts, then trusts the new CA.
//               v 4 (issue 15) replaces crl with crls[] (the current CA's CRL, then those of the retired or compromised
//               CAs relevant to the robot) and keeps caEndorsement after it, null when there is none.
//   signature = CA signature over ("ECPS-KEYBUNDLE-v1\0" | bodyBytes): ECDSA P-256 SHA-256 (DER) or RSA-PSS SHA-256 salt 32
//   entry.wrapped = keywrap.ts wrapKey with deviceId field "<deviceId>#bundle:<bundleId>" (AAD binds device, key,
//   version and bundle id) and HKDF salt = bundleId bytes.
import { constants, createHash, createHmac, hkdfSync, randomBytes, verify as cryptoVerify, X509Certificate, type KeyObject } from 'node:crypto';
import { unwrapKey, wrapKey, type KeyToWrap } from './keywrap.ts';
import { caEndorsementInput, FieldWriter } from './protocol.ts';

export const BUNDLE_FORMAT = 'ECPS-KEYBUNDLE-v1';
const SIG_PREFIX = Buffer.from(`${BUNDLE_FORMAT}\0`);

export type BundleErrorCode = 'malformed' | 'tampered' | 'foreign' | 'replayed' | 'endorsement_invalid';

export class BundleError extends Error {
  readonly code: BundleErrorCode;
  constructor(code: BundleErrorCode, message: string) {
    super(message);
    this.name = 'BundleError';
    this.code = code;
  }
}

export interface BundleEntry { keyId: string; version: number; scheme: number; wrapped: string }
/**
 * What a v2+ bundle carries besides keys (docs/key-bundles.md, "Emergency material"): `crls` is v2/v3's `crl` (none or
 * one) or v4's `crls` (any number, each of its own CA).
 */
export interface BundleEmergency { emergencyKey: string | null; orders: string[]; crls: string[] }
/**
 * What a v3 bundle carries for a robot whose CA was replaced (docs/key-bundles.md, "The new CA certificate"): the
 * signing CA's certificate (b64 DER), the retired CA's signerKeyId (hex) and its endorsement (b64: its signature over
 * caEndorsementInput(caCert), the same endorsement RENEW carries over the link).
 */
export interface BundleCaEndorsement { caCert: string; endorserKeyId: string; endorsement: string }
export interface BundleBody {
  v: 1 | 2 | 3 | 4;
  bundleId: string;
  deviceId: string;
  issuedAt: string;
  sequence: number;
  signerKeyId: string;
  entries: BundleEntry[];
  /** v2, v3 and v4. */
  emergency?: BundleEmergency;
  /** v3 (always) and v4 (when the robot needs it). */
  caEndorsement?: BundleCaEndorsement;
}

/** The console signing key id: SHA-256 (hex) of the CA certificate's SubjectPublicKeyInfo. */
export function signerKeyId(caPublicKey: KeyObject): string {
  return createHash('sha256').update(caPublicKey.export({ format: 'der', type: 'spki' })).digest('hex');
}

function wrapCtx(deviceId: string, bundleId: string) {
  return { deviceId: `${deviceId}#bundle:${bundleId}`, robotNonce: Buffer.from(bundleId, 'hex'), consoleNonce: Buffer.alloc(0) };
}

function canonicalBody(b: BundleBody): Buffer {
  const entries = b.entries.map((e) => ({ keyId: e.keyId, version: e.version, scheme: e.scheme, wrapped: e.wrapped }));
  const base = { v: b.v, bundleId: b.bundleId, deviceId: b.deviceId, issuedAt: b.issuedAt, sequence: b.sequence, signerKeyId: b.signerKeyId, entries };
  if (!b.emergency) return Buffer.from(JSON.stringify(base));
  const e = b.emergency;
  const c = b.caEndorsement;
  const endorsement = c ? { caCert: c.caCert, endorserKeyId: c.endorserKeyId, endorsement: c.endorsement } : null;
  if (b.v === 4) return Buffer.from(JSON.stringify({ ...base, emergencyKey: e.emergencyKey, orders: [...e.orders], crls: [...e.crls], caEndorsement: endorsement }));
  if (e.crls.length > 1) throw new BundleError('malformed', `a v${b.v} bundle holds at most one CRL`);
  const v2 = { ...base, emergencyKey: e.emergencyKey, orders: [...e.orders], crl: e.crls[0] ?? null };
  return Buffer.from(JSON.stringify(endorsement ? { ...v2, caEndorsement: endorsement } : v2));
}

export function verifySignature(caPublicKey: KeyObject, body: Buffer, signature: Buffer): boolean {
  return caSignatureValid(caPublicKey, Buffer.concat([SIG_PREFIX, body]), signature);
}

/** Whether `signature` is the CA key's signature (provider.sign) over `data`: ECDSA P-256 SHA-256 (DER) or RSA-PSS SHA-256 salt 32. */
export function caSignatureValid(caPublicKey: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    if (caPublicKey.asymmetricKeyType === 'rsa') {
      return cryptoVerify('sha256', data, { key: caPublicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
    }
    return cryptoVerify('sha256', data, { key: caPublicKey, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}

export interface CreateBundleInput {
  deviceId: string;
  identityPublicKey: KeyObject;
  caPublicKey: KeyObject;
  sequence: number;
  issuedAt: string;
  keys: readonly KeyToWrap[];
  /** 32 hex characters (16 random bytes); a fresh random id when absent. */
  bundleId?: string;
  /**
   * Emergency material for the robot (a v2 bundle when any is given): `crlDer` the current CA's CRL, `otherCrlsDer`
   * those of other CAs (retired or compromised) the robot must hear: any makes the bundle v4.
   */
  emergency?: { emergencyKeyDer?: Buffer | null; orders?: readonly Buffer[]; crlDer?: Buffer | null; otherCrlsDer?: readonly Buffer[] };
  /** The signing CA's certificate endorsed by the robot's retired CA (a v3 bundle when given). */
  caEndorsement?: { caCertDer: Buffer; endorserKeyId: string; endorsement: Buffer };
  /** Signs ("ECPS-KEYBUNDLE-v1\0" | body) with the CA key (provider.sign). */
  sign(data: Buffer): Promise<Buffer>;
}

export async function createBundle(input: CreateBundleInput): Promise<Buffer> {
  if (!Number.isSafeInteger(input.sequence) || input.sequence < 1) throw new BundleError('malformed', 'sequence must be a positive integer');
  if (input.keys.length === 0) throw new BundleError('malformed', 'a bundle carries at least one key');
  if (input.bundleId !== undefined && !/^[0-9a-f]{32}$/.test(input.bundleId)) throw new BundleError('malformed', 'bundleId must be 32 lowercase hex characters');
  const bundleId = input.bundleId ?? randomBytes(16).toString('hex');
  const ctx = wrapCtx(input.deviceId, bundleId);
  const entries = input.keys.map((k) => {
    const w = wrapKey(input.identityPublicKey, ctx, k);
    return { keyId: k.keyId, version: k.version, scheme: w.scheme, wrapped: w.wrapped.toString('base64') };
  });
  const em = input.emergency;
  const crls = [...(em?.crlDer ? [em.crlDer] : []), ...(em?.otherCrlsDer ?? [])].map((c) => c.toString('base64'));
  if (crls.length > MAX_BUNDLE_CRLS) throw new BundleError('malformed', `a bundle carries at most ${MAX_BUNDLE_CRLS} CRLs`);
  const emergency = em && (em.emergencyKeyDer || (em.orders?.length ?? 0) > 0 || crls.length > 0)
    ? { emergencyKey: em.emergencyKeyDer?.toString('base64') ?? null, orders: (em.orders ?? []).map((o) => o.toString('base64')), crls }
    : undefined;
  const common = { bundleId, deviceId: input.deviceId, issuedAt: input.issuedAt, sequence: input.sequence, signerKeyId: signerKeyId(input.caPublicKey), entries };
  const ce = input.caEndorsement;
  if (ce && signerKeyId(new X509Certificate(ce.caCertDer).publicKey) !== common.signerKeyId) {
    throw new BundleError('malformed', 'the endorsed CA certificate is not the certificate of the CA signing the bundle');
  }
  if (ce && !/^[0-9a-f]{64}$/.test(ce.endorserKeyId)) throw new BundleError('malformed', 'the endorser key id is not a SHA-256 hex digest');
  const caEndorsement = ce ? { caCert: ce.caCertDer.toString('base64'), endorserKeyId: ce.endorserKeyId, endorsement: ce.endorsement.toString('base64') } : undefined;
  // The oldest layout that holds what the robot is sent (a robot that knows only an older one still reads it).
  const v = (em?.otherCrlsDer?.length ?? 0) > 0 ? 4 : ce ? 3 : emergency ? 2 : 1;
  const body = canonicalBody(v === 1 ? { v, ...common } : { v, ...common, emergency: emergency ?? { emergencyKey: null, orders: [], crls: [] }, ...(caEndorsement ? { caEndorsement } : {}) });
  const signature = await input.sign(Buffer.concat([SIG_PREFIX, body]));
  if (!verifySignature(input.caPublicKey, body, signature)) throw new BundleError('tampered', 'the CA signature does not verify under the CA public key');
  return Buffer.from(JSON.stringify({ format: BUNDLE_FORMAT, body: body.toString('base64'), signature: signature.toString('base64') }));
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
function b64(s: unknown, what: string): Buffer {
  if (typeof s !== 'string' || !B64.test(s)) throw new BundleError('malformed', `${what} is not base64`);
  const buf = Buffer.from(s, 'base64');
  if (buf.toString('base64') !== s) throw new BundleError('tampered', `${what} is not canonical base64`);
  return buf;
}

function parseJson(buf: Buffer, what: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf));
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* fall through */
  }
  throw new BundleError('malformed', `${what} is not a JSON object`);
}

const MAX_BUNDLE_ORDERS = 16;
/** As many CRLs as the serial link sends in one session (MAX_ORDER_ITEMS less one). */
const MAX_BUNDLE_CRLS = 15;

const stringList = (a: unknown, max: number): a is string[] => Array.isArray(a) && a.length <= max && a.every((o) => typeof o === 'string' && o !== '');

/** v2/v3: {emergencyKey, orders, crl}; v4: {emergencyKey, orders, crls}. */
function parseEmergency(raw: Record<string, unknown>): BundleEmergency {
  const { emergencyKey, orders } = raw;
  const common = (emergencyKey === null || typeof emergencyKey === 'string') && stringList(orders, MAX_BUNDLE_ORDERS);
  if (raw.v === 4) {
    if (!common || !stringList(raw.crls, MAX_BUNDLE_CRLS)) throw new BundleError('malformed', 'the bundle emergency material (emergencyKey, orders, crls) is invalid');
    return { emergencyKey: emergencyKey as string | null, orders: orders as string[], crls: raw.crls };
  }
  const { crl } = raw;
  if (!common || !(crl === null || typeof crl === 'string')) throw new BundleError('malformed', 'the bundle emergency material (emergencyKey, orders, crl) is invalid');
  return { emergencyKey: emergencyKey as string | null, orders: orders as string[], crls: crl === null ? [] : [crl] };
}

function parseCaEndorsement(raw: unknown): BundleCaEndorsement {
  const c = raw as Record<string, unknown> | null;
  const ok = !!c && typeof c === 'object' && !Array.isArray(c) && typeof c.caCert === 'string' && c.caCert !== '' && typeof c.endorsement === 'string' && c.endorsement !== ''
    && typeof c.endorserKeyId === 'string' && /^[0-9a-f]{64}$/.test(c.endorserKeyId);
  if (!ok) throw new BundleError('malformed', 'the bundle caEndorsement (caCert, endorserKeyId, endorsement) is invalid');
  return { caCert: c.caCert as string, endorserKeyId: c.endorserKeyId as string, endorsement: c.endorsement as string };
}

function parseBody(raw: Record<string, unknown>): BundleBody {
  const entries = raw.entries;
  const ok = (raw.v === 1 || raw.v === 2 || raw.v === 3 || raw.v === 4) && typeof raw.bundleId === 'string' && /^[0-9a-f]{32}$/.test(raw.bundleId) && typeof raw.deviceId === 'string'
    && typeof raw.issuedAt === 'string' && Number.isSafeInteger(raw.sequence) && (raw.sequence as number) >= 1 && typeof raw.signerKeyId === 'string'
    && Array.isArray(entries) && entries.length > 0 && entries.every((e: unknown) => {
      const x = e as Record<string, unknown>;
      return x && typeof x.keyId === 'string' && Number.isSafeInteger(x.version) && (x.version as number) >= 1 && Number.isSafeInteger(x.scheme) && typeof x.wrapped === 'string';
    });
  if (!ok) throw new BundleError('malformed', 'the bundle body is missing or has invalid fields');
  const body = { v: raw.v, bundleId: raw.bundleId, deviceId: raw.deviceId, issuedAt: raw.issuedAt, sequence: raw.sequence, signerKeyId: raw.signerKeyId, entries } as BundleBody;
  if (raw.v === 1) return body;
  const emergency = parseEmergency(raw);
  if (raw.v === 2 || (raw.v === 4 && raw.caEndorsement === null)) return { ...body, emergency };
  return { ...body, emergency, caEndorsement: parseCaEndorsement(raw.caEndorsement) };
}

/** The emergency material of a verified bundle, decoded (the robot checks each order and each CRL itself, in order). */
export function bundleEmergency(body: BundleBody): { emergencyKeyDer: Buffer | null; orders: Buffer[]; crls: Buffer[] } {
  const e = body.emergency;
  if (!e) return { emergencyKeyDer: null, orders: [], crls: [] };
  return { emergencyKeyDer: e.emergencyKey === null ? null : b64(e.emergencyKey, 'emergencyKey'), orders: e.orders.map((o, i) => b64(o, `orders[${i}]`)), crls: e.crls.map((c, i) => b64(c, body.v === 4 ? `crls[${i}]` : 'crl')) };
}

export interface VerifiedBundle {
  body: BundleBody;
  keys: Array<{ keyId: string; version: number; material: Buffer }>;
  /** The CA certificate (PEM) this bundle taught: its signer, endorsed by a trusted CA; null when the signer was trusted already. */
  endorsedCaPem: string | null;
}

/** The CAs a robot checks an endorsement with: those it trusts, less those it knows were compromised. */
export interface EndorsementTrust { trusted: readonly X509Certificate[]; compromised?: readonly X509Certificate[] }

/**
 * Checks the retired CA's endorsement of a new CA certificate (RENEW over the link, caEndorsement in a v3 bundle):
 * the endorser must be a CA the robot trusts and does not hold as compromised, its signature over
 * caEndorsementInput(caCertDer) must verify, and the certificate must be a self-signed CA certificate. Returns it;
 * refusals are BundleError 'endorsement_invalid' (a certificate that does not parse: 'malformed').
 */
export function checkCaEndorsement(e: { caCertDer: Buffer; endorserKeyId: string; endorsement: Buffer }, trust: EndorsementTrust): X509Certificate {
  const endorser = trust.trusted.find((c) => signerKeyId(c.publicKey) === e.endorserKeyId);
  if (!endorser) throw new BundleError('endorsement_invalid', 'the new CA certificate is endorsed by a CA this robot does not trust');
  if ((trust.compromised ?? []).some((c) => c.raw.equals(endorser.raw))) {
    throw new BundleError('endorsement_invalid', 'the new CA certificate is endorsed by a CA this robot holds as compromised');
  }
  if (!caSignatureValid(endorser.publicKey, caEndorsementInput(e.caCertDer), e.endorsement)) {
    throw new BundleError('endorsement_invalid', 'the endorsement of the new CA certificate does not verify under the CA it names');
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(e.caCertDer);
  } catch {
    throw new BundleError('malformed', 'the endorsed CA certificate does not parse');
  }
  if (!cert.ca || !cert.verify(cert.publicKey)) throw new BundleError('endorsement_invalid', 'the endorsed certificate is not a self-signed CA certificate');
  return cert;
}

/**
 * The robot's side: checks signature (CA), device, sequence, then unwraps every entry; all or nothing.
 * Order: malformed -> foreign CA (signer id; a v3 bundle's signer may instead be the endorsed CA certificate it
 * carries: endorsement_invalid or foreign when that does not hold) -> tampered (signature) -> foreign device ->
 * replayed -> unwrap. `compromisedCaPem`: trusted CAs whose endorsement the robot no longer takes.
 */
export function verifyBundle(file: Buffer, o: { caCertPem: string | readonly string[]; compromisedCaPem?: readonly string[]; deviceId: string; identityPrivateKey: KeyObject; lastSequence: number }): VerifiedBundle {
  const outer = parseJson(file, 'the bundle file');
  const keys = Object.keys(outer);
  if (outer.format !== BUNDLE_FORMAT || keys.length !== 3 || !keys.includes('body') || !keys.includes('signature')) {
    throw new BundleError('malformed', 'not an ECPS key bundle');
  }
  const bodyBytes = b64(outer.body, 'body');
  const signature = b64(outer.signature, 'signature');
  const rawBody = parseJson(bodyBytes, 'the bundle body');
  const body = parseBody(rawBody);
  if (!canonicalBody(body).equals(bodyBytes)) throw new BundleError('tampered', 'the bundle body is not in canonical form');
  // A robot may trust several CAs during a CA transition (the retired one and its endorsed successor): the signer id names one.
  const trusted = (typeof o.caCertPem === 'string' ? [o.caCertPem] : o.caCertPem).map((pem) => new X509Certificate(pem));
  let endorsed: X509Certificate | null = null;
  let caPub = trusted.find((c) => signerKeyId(c.publicKey) === body.signerKeyId)?.publicKey;
  if (!caPub && body.caEndorsement) {
    // Not a CA it trusts yet: the bundle may carry its signer's certificate, endorsed by the robot's (retired) CA.
    const c = body.caEndorsement;
    const caCertDer = b64(c.caCert, 'caEndorsement.caCert');
    endorsed = checkCaEndorsement({ caCertDer, endorserKeyId: c.endorserKeyId, endorsement: b64(c.endorsement, 'caEndorsement.endorsement') }, { trusted, compromised: (o.compromisedCaPem ?? []).map((pem) => new X509Certificate(pem)) });
    if (signerKeyId(endorsed.publicKey) !== body.signerKeyId) throw new BundleError('foreign', 'the bundle was signed by another CA than the endorsed CA certificate it carries');
    caPub = endorsed.publicKey;
  }
  if (!caPub) throw new BundleError('foreign', 'the bundle was signed by another CA');
  if (!verifySignature(caPub, bodyBytes, signature)) throw new BundleError('tampered', 'the bundle signature does not verify');
  if (body.deviceId !== o.deviceId) throw new BundleError('foreign', 'the bundle is for another device');
  if (body.sequence <= o.lastSequence) throw new BundleError('replayed', `sequence ${body.sequence} is not greater than the last accepted ${o.lastSequence}`);
  const ctx = wrapCtx(body.deviceId, body.bundleId);
  const out: VerifiedBundle['keys'] = [];
  try {
    for (const e of body.entries) out.push({ keyId: e.keyId, version: e.version, material: unwrapKey(o.identityPrivateKey, ctx, { keyId: e.keyId, version: e.version, scheme: e.scheme, wrapped: b64(e.wrapped, 'wrapped') }) });
  } catch {
    for (const k of out) k.material.fill(0);
    throw new BundleError('tampered', 'a wrapped key could not be unwrapped');
  }
  return { body, keys: out, endorsedCaPem: endorsed ? endorsed.toString() : null };
}

// ---- key confirmation of a bundle delivered over the serial link (INSTALLED / DONE) ----

/** SHA-256 of the bundle file bytes, as both MACs bind them. */
export function bundleFileHash(file: Buffer): Buffer {
  return createHash('sha256').update(file).digest();
}

/**
 * Kb = HKDF-SHA256(ikm = the installed key materials in entry order, salt = bundle id bytes,
 * info = fields("ECPS-KEYBUNDLE-v1 key-confirmation", device id), 32). Only a holder of every key material computes it.
 */
export function bundleConfirmationKey(deviceId: string, bundleId: string, materials: readonly Buffer[]): Buffer {
  const info = new FieldWriter().text(`${BUNDLE_FORMAT} key-confirmation`).text(deviceId).done();
  const ikm = Buffer.concat(materials);
  try {
    return Buffer.from(hkdfSync('sha256', ikm, Buffer.from(bundleId, 'hex'), info, 32));
  } finally {
    ikm.fill(0);
  }
}

/** INSTALLED: the robot proves it installed exactly this file's keys. */
export function installedMac(kb: Buffer, fileHash: Buffer): Buffer {
  return createHmac('sha256', kb).update(`${BUNDLE_FORMAT} installed`).update(fileHash).digest();
}

/** DONE (distribution): the console proves the same to the robot, after the robot's MAC. */
export function distributionDoneMac(kb: Buffer, fileHash: Buffer, robotMac: Buffer): Buffer {
  return createHmac('sha256', kb).update(`${BUNDLE_FORMAT} console-done`).update(fileHash).update(robotMac).digest();
}
