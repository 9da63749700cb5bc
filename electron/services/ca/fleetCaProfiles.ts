// The fleet CA's certificate and CRL profiles, as unsigned asn1 structures: the self-signed CA certificate, the device
// certificate (CN=<deviceId>, O=ECPS-UV Fleet, URI SAN urn:ecps:robot:<deviceId>, digitalSignature, clientAuth) and
// the v2 CRL (crlNumber, authorityKeyIdentifier, entries with reason codes). x509Sign.ts signs them through a provider.
import crypto from 'node:crypto';
import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { Name } from '@peculiar/x509';
import { derChildren, derHeaderSize, derTime, derTlv, putDerHeader } from '../../crypto/der.ts';
import { extension, keyIdentifier, signatureAlgorithm, type X509Signer } from '../../crypto/x509Sign.ts';

export const FLEET_ORGANIZATION = 'ECPS-UV Fleet';
export const ID_KP_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** Revocation reasons the console offers, with their RFC 5280 CRLReason codes. */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  // Only for revoking every certificate of a compromised CA (ca:revoke); certs:revoke does not offer it.
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  privilegeWithdrawn: 9,
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;

export function deviceUri(deviceId: string): string {
  return `urn:ecps:robot:${deviceId}`;
}

/** A random positive 16-byte serial number (126 random bits; the first byte is 0x40..0x7f, so DER needs no padding). */
export function randomSerial(): Buffer {
  const b = crypto.randomBytes(16);
  b[0] = ((b[0] ?? 0) & 0x3f) | 0x40;
  return b;
}

function bufferOf(b: Buffer): ArrayBuffer {
  const copy = new Uint8Array(b.length);
  copy.set(b);
  return copy.buffer;
}

export function asnName(name: Name): asn1X509.Name {
  return AsnConvert.parse(name.toArrayBuffer(), asn1X509.Name);
}

export { wholeSeconds } from '../../crypto/x509Plain.ts';

function keyUsage(flags: number): asn1X509.KeyUsage {
  return new asn1X509.KeyUsage(flags);
}

export interface CaProfileInput {
  signer: X509Signer;
  subject: Name;
  serial: Buffer;
  notBefore: Date;
  notAfter: Date;
}

export function caTbs(input: CaProfileInput): asn1X509.TBSCertificate {
  const ski = keyIdentifier(input.signer.spki);
  const name = asnName(input.subject);
  return new asn1X509.TBSCertificate({
    version: asn1X509.Version.v3,
    serialNumber: bufferOf(input.serial),
    signature: signatureAlgorithm(input.signer.keyType),
    issuer: name,
    validity: new asn1X509.Validity({ notBefore: input.notBefore, notAfter: input.notAfter }),
    subject: asnName(input.subject),
    subjectPublicKeyInfo: AsnConvert.parse(input.signer.spki, asn1X509.SubjectPublicKeyInfo),
    extensions: new asn1X509.Extensions([
      extension(asn1X509.id_ce_basicConstraints, true, new asn1X509.BasicConstraints({ cA: true, pathLenConstraint: 0 })),
      extension(asn1X509.id_ce_keyUsage, true, keyUsage(asn1X509.KeyUsageFlags.keyCertSign | asn1X509.KeyUsageFlags.cRLSign)),
      extension(asn1X509.id_ce_subjectKeyIdentifier, false, new asn1X509.SubjectKeyIdentifier(bufferOf(ski))),
    ]),
  });
}

export interface DeviceProfileInput {
  signer: X509Signer;
  issuer: asn1X509.Name;
  deviceId: string;
  deviceSpki: Buffer;
  serial: Buffer;
  notBefore: Date;
  notAfter: Date;
}

export function deviceSubject(deviceId: string): Name {
  return new Name([{ O: [FLEET_ORGANIZATION] }, { CN: [deviceId] }]);
}

export function deviceTbs(input: DeviceProfileInput): asn1X509.TBSCertificate {
  return leafTbs(input, deviceSubject(input.deviceId), ID_KP_CLIENT_AUTH, [new asn1X509.GeneralName({ uniformResourceIdentifier: deviceUri(input.deviceId) })]);
}

/** An end-entity certificate of the fleet CA: digitalSignature, one extended key usage, the given subjectAltName. */
function leafTbs(input: Omit<DeviceProfileInput, 'deviceId'>, subject: Name, eku: string, san: asn1X509.GeneralName[]): asn1X509.TBSCertificate {
  const aki = new asn1X509.AuthorityKeyIdentifier({ keyIdentifier: new asn1X509.KeyIdentifier(bufferOf(keyIdentifier(input.signer.spki))) });
  return new asn1X509.TBSCertificate({
    version: asn1X509.Version.v3,
    serialNumber: bufferOf(input.serial),
    signature: signatureAlgorithm(input.signer.keyType),
    issuer: input.issuer,
    validity: new asn1X509.Validity({ notBefore: input.notBefore, notAfter: input.notAfter }),
    subject: asnName(subject),
    subjectPublicKeyInfo: AsnConvert.parse(input.deviceSpki, asn1X509.SubjectPublicKeyInfo),
    extensions: new asn1X509.Extensions([
      extension(asn1X509.id_ce_basicConstraints, true, new asn1X509.BasicConstraints({ cA: false })),
      extension(asn1X509.id_ce_keyUsage, true, keyUsage(asn1X509.KeyUsageFlags.digitalSignature)),
      extension(asn1X509.id_ce_extKeyUsage, false, new asn1X509.ExtendedKeyUsage([eku])),
      extension(asn1X509.id_ce_subjectAltName, false, new asn1X509.SubjectAlternativeName(san)),
      extension(asn1X509.id_ce_authorityKeyIdentifier, false, aki),
      extension(asn1X509.id_ce_subjectKeyIdentifier, false, new asn1X509.SubjectKeyIdentifier(bufferOf(keyIdentifier(input.deviceSpki)))),
    ]),
  });
}

export interface CrlEntryInput {
  serial: Buffer;
  revokedAt: Date;
  reason: RevocationReason;
}

/**
 * Entries sharing one revocation time and reason, their serials as lower-case hex of whole bytes (as the store holds
 * them): an emergency run's 10,000 pending revocations as one list, not an object and a Buffer per serial.
 */
export interface CrlEntryGroup {
  serials: readonly string[];
  revokedAt: Date;
  reason: RevocationReason;
}

export interface CrlProfileInput {
  signer: X509Signer;
  issuer: asn1X509.Name;
  crlNumber: number;
  thisUpdate: Date;
  nextUpdate: Date;
  entries: readonly CrlEntryInput[];
  /** Listed after `entries`, in order, each group's serials in order. */
  groups?: readonly CrlEntryGroup[];
}

/** `entries` followed by every group's serials as entries (the library's path). */
function allEntries(input: CrlProfileInput): CrlEntryInput[] {
  const out = [...input.entries];
  for (const g of input.groups ?? []) for (const serial of g.serials) out.push({ serial: Buffer.from(serial, 'hex'), revokedAt: g.revokedAt, reason: g.reason });
  return out;
}

export function crlTbs(input: CrlProfileInput): asn1X509.TBSCertList {
  const aki = new asn1X509.AuthorityKeyIdentifier({ keyIdentifier: new asn1X509.KeyIdentifier(bufferOf(keyIdentifier(input.signer.spki))) });
  const revoked = allEntries(input).map(
    (e) =>
      new asn1X509.RevokedCertificate({
        userCertificate: bufferOf(e.serial),
        revocationDate: new asn1X509.Time(e.revokedAt),
        // RFC 5280 5.3.1: the reasonCode "unspecified" SHOULD be absent.
        ...(e.reason === 'unspecified'
          ? {}
          : { crlEntryExtensions: [extension(asn1X509.id_ce_cRLReasons, false, new asn1X509.CRLReason(REVOCATION_REASONS[e.reason]))] }),
      }),
  );
  return new asn1X509.TBSCertList({
    version: asn1X509.Version.v2,
    signature: signatureAlgorithm(input.signer.keyType),
    issuer: input.issuer,
    thisUpdate: new asn1X509.Time(input.thisUpdate),
    nextUpdate: new asn1X509.Time(input.nextUpdate),
    ...(revoked.length > 0 ? { revokedCertificates: revoked } : {}),
    crlExtensions: [
      extension(asn1X509.id_ce_authorityKeyIdentifier, false, aki),
      extension(asn1X509.id_ce_cRLNumber, false, new asn1X509.CRLNumber(input.crlNumber)),
    ],
  });
}

/** The crlEntryExtensions of each reason (a reasonCode extension; none for unspecified), serialized once. */
const REASON_EXTENSIONS = new Map<RevocationReason, Buffer | null>();
function reasonExtensions(reason: RevocationReason): Buffer | null {
  if (!REASON_EXTENSIONS.has(reason)) {
    REASON_EXTENSIONS.set(
      reason,
      reason === 'unspecified' ? null : Buffer.from(AsnConvert.serialize(new asn1X509.Extensions([extension(asn1X509.id_ce_cRLReasons, false, new asn1X509.CRLReason(REVOCATION_REASONS[reason]))]))),
    );
  }
  return REASON_EXTENSIONS.get(reason)!;
}

/**
 * The revokedCertificates entries, written directly into one buffer (null when a date is not whole seconds in
 * 1950..9999: the library then writes the CRL). Each entry is SEQUENCE { INTEGER serial, Time, [reasonCode] }; the
 * time and the reason's extensions are encoded once per distinct value (an emergency run revokes thousands at one
 * time with one reason). A group's serials are written from their hex in place: its 10,000 entries are one size pass
 * and one writing pass over the strings, with no object or Buffer per serial.
 */
function revokedEntriesDer(entries: readonly CrlEntryInput[], groups: readonly CrlEntryGroup[]): Buffer | null {
  const times = new Map<number, Buffer | null>();
  const timeOf = (d: Date) => {
    const ms = d.getTime();
    let time = times.get(ms);
    if (time === undefined) times.set(ms, (time = derTime(d)));
    return time;
  };
  const parts: Array<{ serial: Buffer; time: Buffer; ext: Buffer | null; content: number }> = [];
  let total = 0;
  for (const e of entries) {
    const time = timeOf(e.revokedAt);
    if (time === null) return null;
    const ext = reasonExtensions(e.reason);
    const content = derHeaderSize(e.serial.length) + e.serial.length + time.length + (ext?.length ?? 0);
    parts.push({ serial: e.serial, time, ext, content });
    total += derHeaderSize(content) + content;
  }
  const packed: Array<{ group: CrlEntryGroup; time: Buffer; ext: Buffer | null }> = [];
  for (const group of groups) {
    const time = timeOf(group.revokedAt);
    if (time === null) return null;
    const ext = reasonExtensions(group.reason);
    const fixed = time.length + (ext?.length ?? 0);
    for (const hex of group.serials) {
      const bytes = hex.length >>> 1;
      const content = derHeaderSize(bytes) + bytes + fixed;
      total += derHeaderSize(content) + content;
    }
    packed.push({ group, time, ext });
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const p of parts) {
    at = putDerHeader(out, at, 0x30, p.content);
    at = putDerHeader(out, at, 0x02, p.serial.length);
    at += p.serial.copy(out, at);
    at += p.time.copy(out, at);
    if (p.ext) at += p.ext.copy(out, at);
  }
  for (const { group, time, ext } of packed) {
    const fixed = time.length + (ext?.length ?? 0);
    for (const hex of group.serials) {
      const bytes = hex.length >>> 1;
      at = putDerHeader(out, at, 0x30, derHeaderSize(bytes) + bytes + fixed);
      at = putDerHeader(out, at, 0x02, bytes);
      if (out.write(hex, at, 'hex') !== bytes) throw new Error('CRL: a pending serial is not hexadecimal');
      at += bytes;
      at += time.copy(out, at);
      if (ext) at += ext.copy(out, at);
    }
  }
  return out;
}

/**
 * The DER of crlTbs(input), the same bytes, fast for long lists: the library writes the CRL without its entries and
 * the entries are written directly and put in their place, before crlExtensions ([0]). The library's object model
 * took about a quarter of a 10,000-certificate emergency revocation (docs/benchmarks.md).
 */
export function crlTbsDer(input: CrlProfileInput): Buffer {
  const groups = input.groups ?? [];
  const empty = input.entries.length === 0 && groups.every((g) => g.serials.length === 0);
  const entries = empty ? null : revokedEntriesDer(input.entries, groups);
  if (entries === null) return Buffer.from(AsnConvert.serialize(crlTbs(input)));
  const bare = Buffer.from(AsnConvert.serialize(crlTbs({ ...input, entries: [], groups: [] })));
  const children = derChildren(bare);
  const extensions = children.find((c) => c.tag === 0xa0);
  const first = children[0];
  if (!extensions || !first) throw new Error('CRL: the library wrote no crlExtensions');
  const last = children[children.length - 1]!;
  return derTlv(0x30, Buffer.concat([bare.subarray(first.start, extensions.start), derTlv(0x30, entries), bare.subarray(extensions.start, last.end)]));
}

export const ID_KP_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
/** The field link's server certificate subject (docs/field-link.md). */
export const FIELD_SERVER_CN = 'ECPS-UV Field Link';

export interface ServerProfileInput extends Omit<DeviceProfileInput, 'deviceId'> {
  /** Host names (dNSName) and IP addresses (iPAddress) robots connect to. */
  hosts: readonly string[];
}

const IP_PATTERN = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+:[0-9a-fA-F:]*)$/;

/** The field link's TLS server certificate: serverAuth only, its host names and addresses as subjectAltName. */
export function serverTbs(input: ServerProfileInput): asn1X509.TBSCertificate {
  const san = input.hosts.map((h) => new asn1X509.GeneralName(IP_PATTERN.test(h) ? { iPAddress: h } : { dNSName: h }));
  return leafTbs(input, new Name([{ O: [FLEET_ORGANIZATION] }, { CN: [FIELD_SERVER_CN] }]), ID_KP_SERVER_AUTH, san);
}

export interface CrossProfileInput {
  /** The issuing (retired) CA's key. */
  signer: X509Signer;
  /** The issuing CA's subject name (the cross-certificate's issuer). */
  issuer: asn1X509.Name;
  /** The certified CA's own (self-signed) certificate: its subject, key and CA extensions are copied. */
  subjectCaCertDer: Buffer;
  serial: Buffer;
  notBefore: Date;
  notAfter: Date;
}

const COPIED_CA_EXTENSIONS = new Set([asn1X509.id_ce_basicConstraints, asn1X509.id_ce_keyUsage, asn1X509.id_ce_subjectKeyIdentifier]);

/**
 * A cross-certificate (RFC 5280 3.2, 4.2.1.9): the certified CA's subject, public key, basicConstraints (CA:TRUE and
 * its path length), keyUsage and subjectKeyIdentifier, issued by another CA with that CA's authorityKeyIdentifier. A
 * client trusting the issuing CA reaches certificates of the certified one through it (docs/fleet-ca.md).
 */
export function crossTbs(input: CrossProfileInput): asn1X509.TBSCertificate {
  const certified = AsnConvert.parse(input.subjectCaCertDer, asn1X509.Certificate).tbsCertificate;
  const copied = (certified.extensions ?? []).filter((e) => COPIED_CA_EXTENSIONS.has(e.extnID));
  const aki = new asn1X509.AuthorityKeyIdentifier({ keyIdentifier: new asn1X509.KeyIdentifier(bufferOf(keyIdentifier(input.signer.spki))) });
  return new asn1X509.TBSCertificate({
    version: asn1X509.Version.v3,
    serialNumber: bufferOf(input.serial),
    signature: signatureAlgorithm(input.signer.keyType),
    issuer: input.issuer,
    validity: new asn1X509.Validity({ notBefore: input.notBefore, notAfter: input.notAfter }),
    subject: certified.subject,
    subjectPublicKeyInfo: certified.subjectPublicKeyInfo,
    extensions: new asn1X509.Extensions([...copied, extension(asn1X509.id_ce_authorityKeyIdentifier, false, aki)]),
  });
}
