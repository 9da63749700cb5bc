// A tiny real fleet CA for the station tests: a self-signed EC P-256 CA (webcrypto + @peculiar/x509) that verifies
// each CSR's proof of possession and issues a one-year device certificate for the CSR's key; and, as a faulty CA for
// the console's certificate check, one that answers a good CSR with a certificate for another key.
import 'reflect-metadata';
import { KeyObject, randomBytes, sign, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

export interface TestCa {
  caCertPem: string;
  caCertDer: Buffer;
  issueCertificate(csrDer: Buffer, deviceId: string): Promise<{ certDer: Buffer; chainDer: Buffer[] }>;
  /**
   * A faulty CA: checks the CSR as issueCertificate does, then issues a certificate that is right in every other way
   * (this CA, CN = deviceId, valid now) for a fresh key pair that nobody keeps instead of the CSR's key.
   */
  issueForAnotherKey(csrDer: Buffer, deviceId: string): Promise<{ certDer: Buffer; chainDer: Buffer[] }>;
  /**
   * The same CRL as issueCrl, its DER written directly (the ASN.1 library takes minutes for 50,000 entries on a loaded
   * machine; this takes well under a second): for the tests of CRLs over 2 MiB.
   */
  issueCrlFast(serials: string[], crlNumber: number): Buffer;
  /** A CRL (DER) of this CA listing `serials` (hex), with CRL number `crlNumber` (1..127), signed ECDSA-SHA256. */
  issueCrl(serials: string[], crlNumber: number): Promise<Buffer>;
  /** The CA's public key and its signature as provider.sign makes it (ECDSA P-256 SHA-256, DER): signs key bundles. */
  publicKey: KeyObject;
  sign(data: Buffer): Promise<Buffer>;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

export async function createTestCa(): Promise<TestCa> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const signingKey = KeyObject.from(keys.privateKey);
  const now = Date.now();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'),
    name: 'CN=ECPS Test Fleet CA',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * 86_400_000),
    keys,
    signingAlgorithm: ALG,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  const caCertDer = Buffer.from(ca.rawData);
  return {
    caCertPem: ca.toString('pem'),
    caCertDer,
    publicKey: KeyObject.from(keys.publicKey),
    sign: async (data) => sign('sha256', data, { key: signingKey, dsaEncoding: 'der' }),
    issueCertificate: async (csrDer, deviceId) => issueFor(deviceId, await checkedCsrKey(csrDer)),
    async issueCrl(serials, crlNumber) {
      const now = Date.now();
      const crl = await x509.X509CrlGenerator.create({
        issuer: ca.subject,
        thisUpdate: new Date(now - 60_000),
        nextUpdate: new Date(now + 7 * 86_400_000),
        entries: serials.map((serialNumber) => ({ serialNumber, revocationDate: new Date(now - 60_000), reason: x509.X509CrlReason.keyCompromise })),
        // crlNumber (2.5.29.20): a DER INTEGER, one content byte for 1..127.
        extensions: [new x509.Extension('2.5.29.20', false, Buffer.from([0x02, 0x01, crlNumber]))],
        signingKey: keys.privateKey,
        signingAlgorithm: ALG,
      });
      return Buffer.from(crl.rawData);
    },
    issueCrlFast(serials, crlNumber) {
      const now = Date.now();
      const revoked = der(0x30, serials.map((serial) => der(0x30, [
        der(0x02, [Buffer.from(serial.length % 2 ? `0${serial}` : serial, 'hex')]),
        utcTime(now - 60_000),
        // crlEntryExtensions: reasonCode (2.5.29.21) keyCompromise (1), as issueCrl writes it.
        der(0x30, [der(0x30, [der(0x06, [Buffer.from([0x55, 0x1d, 0x15])]), der(0x04, [der(0x0a, [Buffer.from([0x01])])])])]),
      ])));
      const ecdsaSha256 = der(0x30, [der(0x06, [Buffer.from('2a8648ce3d040302', 'hex')])]);
      const crlNumberExt = der(0x30, [der(0x06, [Buffer.from([0x55, 0x1d, 0x14])]), der(0x04, [Buffer.from([0x02, 0x01, crlNumber])])]);
      const tbs = der(0x30, [
        der(0x02, [Buffer.from([0x01])]), ecdsaSha256, Buffer.from(new x509.Name(ca.subject).toArrayBuffer()),
        utcTime(now - 60_000), utcTime(now + 7 * 86_400_000), ...(serials.length > 0 ? [revoked] : []), der(0xa0, [der(0x30, [crlNumberExt])]),
      ]);
      const signature = sign('sha256', tbs, { key: signingKey, dsaEncoding: 'der' });
      return der(0x30, [tbs, ecdsaSha256, der(0x03, [Buffer.from([0x00]), signature])]);
    },
    async issueForAnotherKey(csrDer, deviceId) {
      await checkedCsrKey(csrDer);
      const other = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
      return issueFor(deviceId, other.publicKey);
    },
  };

  async function checkedCsrKey(csrDer: Buffer): Promise<x509.PublicKey> {
    const csr = new x509.Pkcs10CertificateRequest(csrDer);
    if (!(await csr.verify())) throw new Error('CSR proof of possession invalid');
    return csr.publicKey;
  }

  async function issueFor(deviceId: string, publicKey: x509.PublicKey | webcrypto.CryptoKey): Promise<{ certDer: Buffer; chainDer: Buffer[] }> {
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'),
      subject: `CN=${deviceId}`,
      issuer: ca.subject,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 365 * 86_400_000),
      publicKey,
      signingKey: keys.privateKey,
      signingAlgorithm: ALG,
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
    });
    return { certDer: Buffer.from(cert.rawData), chainDer: [caCertDer] };
  }
}

/** One DER element: tag, definite length, content. */
function der(tag: number, parts: Buffer[]): Buffer {
  const content = Buffer.concat(parts);
  const n = content.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : n < 0x10000 ? Buffer.from([0x82, n >> 8, n & 0xff]) : n < 0x1000000 ? Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]) : Buffer.from([0x84, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, content]);
}

/** A UTCTime (YYMMDDHHMMSSZ) of `ms` since the epoch. */
function utcTime(ms: number): Buffer {
  return der(0x17, [Buffer.from(new Date(ms).toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z', 'ascii')]);
}
