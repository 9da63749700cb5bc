// Test material for bundle tests: a self-signed EC P-256 CA whose private key signs in-process, and robot identities.
import 'reflect-metadata';
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, webcrypto, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { BundleError } from '../../electron/station/bundle.ts';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

export interface KitCa { caCertPem: string; publicKey: KeyObject; sign(data: Buffer): Promise<Buffer> }

export async function kitCa(name = 'CN=Bundle Test CA'): Promise<KitCa> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'), name,
    notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000), keys, signingAlgorithm: ALG,
  });
  const priv = createPrivateKey({ key: Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)), format: 'der', type: 'pkcs8' });
  const caCertPem = cert.toString('pem');
  return { caCertPem, publicKey: new (await import('node:crypto')).X509Certificate(caCertPem).publicKey, sign: async (d) => sign('sha256', d, { key: priv, dsaEncoding: 'der' }) };
}

export function identity(type: 'ec' | 'rsa' = 'ec') {
  return type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
}

export const material = () => randomBytes(32);

/** A CA that also issues device certificates from CSRs (for the station over a pty), signing in-process. */
export async function kitIssuingCa(): Promise<KitCa & { caCertDer: Buffer; issueCertificate(csrDer: Buffer, deviceId: string): Promise<{ certDer: Buffer; chainDer: Buffer[] }> }> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'), name: 'CN=Bundle Fleet CA',
    notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000), keys, signingAlgorithm: ALG,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  const priv = createPrivateKey({ key: Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)), format: 'der', type: 'pkcs8' });
  const caCertDer = Buffer.from(ca.rawData);
  const caCertPem = ca.toString('pem');
  const { X509Certificate } = await import('node:crypto');
  return {
    caCertPem, caCertDer, publicKey: new X509Certificate(caCertPem).publicKey,
    sign: async (d) => sign('sha256', d, { key: priv, dsaEncoding: 'der' }),
    async issueCertificate(csrDer, deviceId) {
      const csr = new x509.Pkcs10CertificateRequest(csrDer);
      if (!(await csr.verify())) throw new Error('CSR proof of possession invalid');
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'), subject: `CN=${deviceId}`, issuer: ca.subject,
        notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000), publicKey: csr.publicKey,
        signingKey: keys.privateKey, signingAlgorithm: ALG, extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
      });
      return { certDer: Buffer.from(cert.rawData), chainDer: [caCertDer] };
    },
  };
}

/** A fleet CA with the CA extensions (an endorsed CA certificate must be one), which also issues robot certificates and CRLs. */
export interface KitFullCa extends KitCa {
  caCertDer: Buffer;
  /** A certificate `CN=<cn>` for `publicKey`, issued by this CA; its serial in lowercase hex. */
  issue(publicKey: KeyObject, cn: string): Promise<{ pem: string; serial: string }>;
  /** A CRL (DER) with CRL number `crlNumber` (1..127) listing `entries`, signed ECDSA-SHA256 by this CA. */
  crl(entries: Array<{ serial: string; reason: x509.X509CrlReason }>, crlNumber: number): Promise<Buffer>;
}

export async function kitFullCa(name: string): Promise<KitFullCa> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'), name, notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000), keys, signingAlgorithm: ALG,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  const priv = createPrivateKey({ key: Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)), format: 'der', type: 'pkcs8' });
  const caCertPem = ca.toString('pem');
  const { X509Certificate } = await import('node:crypto');
  return {
    caCertPem, caCertDer: Buffer.from(ca.rawData), publicKey: new X509Certificate(caCertPem).publicKey,
    sign: async (d) => sign('sha256', d, { key: priv, dsaEncoding: 'der' }),
    async issue(publicKey, cn) {
      const serial = randomBytes(8).toString('hex').replace(/^[89a-f]/, '1');
      const spki = publicKey.export({ format: 'der', type: 'spki' });
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial, subject: `CN=${cn}`, issuer: ca.subject, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000),
        publicKey: await webcrypto.subtle.importKey('spki', spki, ALG, true, ['verify']), signingKey: keys.privateKey, signingAlgorithm: ALG,
      });
      return { pem: cert.toString('pem'), serial };
    },
    async crl(entries, crlNumber) {
      const crl = await x509.X509CrlGenerator.create({
        issuer: ca.subject, thisUpdate: new Date(Date.now() - 60_000), nextUpdate: new Date(Date.now() + 86_400_000),
        entries: entries.map((e) => ({ serialNumber: e.serial, revocationDate: new Date(Date.now() - 60_000), reason: e.reason })),
        extensions: [new x509.Extension('2.5.29.20', false, Buffer.from([0x02, 0x01, crlNumber]))], signingKey: keys.privateKey, signingAlgorithm: ALG,
      });
      return Buffer.from(crl.rawData);
    },
  };
}

/** What the robot's check says: the BundleError's code and message, or `accepted` when it throws nothing. */
export function bundleRefusal(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof BundleError) return { code: e.code, message: e.message };
    throw e;
  }
  return { code: 'accepted', message: '' };
}

/** fields(...): u32 BE length | bytes, written independently of the station code (docs/fleet-ca.md). */
export const fields = (...parts: Buffer[]) =>
  Buffer.concat(parts.flatMap((b) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return [len, b];
  }));
/** What the retired CA signs (docs/fleet-ca.md, "Re-issue at the station"): fields("ECPS-CA-ENDORSE-v1", caCertDer). */
export const endorseInput = (caCertDer: Buffer) => fields(Buffer.from('ECPS-CA-ENDORSE-v1'), caCertDer);
