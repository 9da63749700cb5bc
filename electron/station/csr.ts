// Checks a robot's PKCS#10 CSR: its self-signature (proof of possession of the identity key), the device id
// in its subject, and the identity key type. Also checks that an issued certificate carries the CSR's key.
import { X509Certificate, createPublicKey, sign as signBytes, verify as verifySignature, constants, type KeyObject } from 'node:crypto';
import type * as x509 from '@peculiar/x509';
import { StationError } from './errors.ts';
import { schemeFor } from './keywrap.ts';

export interface CheckedCsr {
  identityKey: KeyObject;
  spki: Buffer;
}

/**
 * @peculiar/x509 (with reflect-metadata, which it needs first) is loaded at the first CSR, not at start-up: the
 * console's startup graph reaches this module (field link, provisioning sessions), and every major GC of the main
 * process marks what is loaded (test/unit/startup-libraries-lazy.test.ts).
 */
async function x509Library(): Promise<typeof x509> {
  await import('reflect-metadata');
  return import('@peculiar/x509');
}

export async function checkCsr(csrDer: Buffer, deviceId: string): Promise<CheckedCsr> {
  const { Pkcs10CertificateRequest } = await x509Library();
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new Pkcs10CertificateRequest(csrDer);
  } catch {
    throw new StationError('forged_csr', 'the CSR is not a valid PKCS#10 structure', { deviceId, reason: 'csr_malformed' });
  }
  const ok = await csr.verify().catch(() => false);
  if (!ok) throw new StationError('forged_csr', 'the CSR signature (proof of possession) is invalid', { deviceId, reason: 'csr_signature_invalid' });
  const cns = csr.subjectName.getField('CN');
  if (cns.length !== 1 || cns[0] !== deviceId) {
    throw new StationError('forged_csr', `the CSR names another device than the robot that said hello`, { deviceId, reason: 'csr_subject_mismatch', csrSubject: cns.join(',').slice(0, 64) });
  }
  const spki = Buffer.from(csr.publicKey.rawData);
  const identityKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  schemeFor(identityKey);
  return { identityKey, spki };
}

/**
 * A signature by a robot's identity key as protocol v1 makes them: ECDSA-SHA256 (DER) for an EC key, RSASSA-PSS-SHA256
 * with a 32-byte salt for RSA. The robot signs the session nonces (CSR) and its ORDER_ACK answers this way.
 */
export function signWithIdentity(privateKey: KeyObject, input: Buffer): Buffer {
  return privateKey.asymmetricKeyType === 'rsa'
    ? signBytes('sha256', input, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
    : signBytes('sha256', input, privateKey);
}

/** Whether `signature` is the identity key's signature over `input` (signWithIdentity); false for anything unreadable. */
export function identitySignatureValid(identityKey: KeyObject, input: Buffer, signature: Buffer): boolean {
  try {
    return identityKey.asymmetricKeyType === 'rsa'
      ? verifySignature('sha256', input, { key: identityKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature)
      : verifySignature('sha256', input, identityKey, signature);
  } catch {
    return false;
  }
}

/** Verifies the robot's signature over the session nonces (ECDSA-SHA256 DER, or RSA-PSS-SHA256 with 32-byte salt). */
export function checkNonceSignature(identityKey: KeyObject, input: Buffer, signature: Buffer, deviceId: string): void {
  if (!identitySignatureValid(identityKey, input, signature)) {
    throw new StationError('forged_csr', 'the signature over the session nonces is not made with the key of the CSR', { deviceId, reason: 'nonce_signature_invalid' });
  }
}

/**
 * The issued certificate must be a certificate for the CSR's key, or the CA answered something else (another request,
 * a faulty or compromised issuer): the registry would otherwise bind the robot to a key it does not hold.
 */
export function checkIssued(certDer: Buffer, identityKey: KeyObject, deviceId: string): void {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certDer);
  } catch {
    throw new StationError('certificate_rejected', 'the CA returned something that is not a certificate', { deviceId, reason: 'certificate_malformed' });
  }
  // Compared as keys, not as encodings: the same key may be encoded differently (e.g. a compressed EC point).
  if (!cert.publicKey.equals(identityKey)) throw new StationError('certificate_rejected', 'the issued certificate does not carry the robot identity key', { deviceId, reason: 'certificate_key_mismatch' });
}
