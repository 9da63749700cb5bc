// PKCS#10 certificate requests from robots: parsed with @peculiar/asn1-csr, their self-signature (proof that the robot
// holds the private key) checked with node:crypto against the public key the request carries.
import crypto from 'node:crypto';
import 'reflect-metadata';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { Name } from '@peculiar/x509';
import { ConsoleError } from '../../shared/errors.ts';

/** Largest request accepted (an RSA-4096 CSR with extensions is ~1.7 KB). */
export const MAX_CSR_BYTES = 16_384;

const HASH_BY_OID: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.11': 'sha256', // sha256WithRSAEncryption
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256', // ecdsa-with-SHA256
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};
const DIGEST_OIDS: Readonly<Record<string, string>> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
const ID_RSASSA_PSS = '1.2.840.113549.1.1.10';

export interface VerifiedCsr {
  /** Common names in the request's subject, in order. */
  commonNames: string[];
  /** The subject as text (for audit and error messages; public data). */
  subject: string;
  /** DER SubjectPublicKeyInfo of the robot's key. */
  spki: Buffer;
  keyType: 'ec' | 'rsa';
}

function refuse(reason: string, message: string): never {
  throw new ConsoleError('invalid_input', message, { reason });
}

/** Accepts DER, or PEM text in a Buffer / string. */
export function csrToDer(csr: Buffer | Uint8Array | string): Buffer {
  const text = typeof csr === 'string' ? csr : Buffer.from(csr).subarray(0, 40).toString('latin1');
  if (!text.includes('-----BEGIN')) return Buffer.from(csr as Uint8Array);
  const pem = typeof csr === 'string' ? csr : Buffer.from(csr).toString('latin1');
  const m = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([A-Za-z0-9+/=\s]+)-----END (?:NEW )?CERTIFICATE REQUEST-----/.exec(pem);
  if (!m?.[1]) refuse('csr_malformed', 'The certificate request is not a PEM CERTIFICATE REQUEST.');
  return Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
}

function verifyOptions(alg: asn1X509.AlgorithmIdentifier, key: crypto.KeyObject): { hash: string; key: crypto.VerifyKeyObjectInput | crypto.KeyObject } {
  const hash = HASH_BY_OID[alg.algorithm];
  if (hash) {
    const expected = alg.algorithm.startsWith('1.2.840.10045') ? 'ec' : 'rsa';
    if (key.asymmetricKeyType !== expected) refuse('csr_algorithm_mismatch', 'The request signature algorithm does not match its key.');
    return { hash, key };
  }
  if (alg.algorithm === ID_RSASSA_PSS && alg.parameters && key.asymmetricKeyType === 'rsa') {
    const p = AsnConvert.parse(alg.parameters, RsaSaPssParams);
    const pssHash = DIGEST_OIDS[p.hashAlgorithm.algorithm];
    if (!pssHash) refuse('csr_algorithm_unsupported', 'The request uses an unsupported RSASSA-PSS hash.');
    // RFC 4055 3.1: saltLength is the salt's length in octets. OpenSSL reads a negative one as an instruction (-1: the
    // hash length, -2: whatever the signature holds), so a request declaring one would verify with parameters it
    // does not state.
    if (p.saltLength < 0) refuse('csr_malformed', 'The request\'s RSASSA-PSS salt length is negative.');
    return { hash: pssHash, key: { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: p.saltLength } };
  }
  return refuse('csr_algorithm_unsupported', `The request signature algorithm ${alg.algorithm} is not supported (use ECDSA P-256 or RSA with SHA-256).`);
}

/**
 * Parses a PKCS#10 request and checks its self-signature. Refuses (ConsoleError invalid_input, details.reason) a
 * malformed request, an unsupported key or algorithm, and a signature that does not verify.
 */
export function verifyCsr(input: Buffer | Uint8Array | string): VerifiedCsr {
  const der = csrToDer(input);
  if (der.length === 0 || der.length > MAX_CSR_BYTES) refuse('csr_size', `The certificate request must be 1..${MAX_CSR_BYTES} bytes.`);
  let req: CertificationRequest;
  try {
    req = AsnConvert.parse(der, CertificationRequest);
  } catch {
    return refuse('csr_malformed', 'The certificate request is not valid DER PKCS#10.');
  }
  const info = req.certificationRequestInfo;
  const tbs = req.certificationRequestInfoRaw;
  if (!tbs) return refuse('csr_malformed', 'The certificate request has no request info.');
  const spki = Buffer.from(AsnConvert.serialize(info.subjectPKInfo));
  let key: crypto.KeyObject;
  try {
    key = crypto.createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch {
    return refuse('csr_key_unsupported', 'The public key in the certificate request cannot be read.');
  }
  const keyType = key.asymmetricKeyType;
  if (keyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve !== 'prime256v1' : keyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    refuse('csr_key_unsupported', 'The robot key must be EC P-256 or RSA with at least 2048 bits.');
  }
  const { hash, key: verifyKey } = verifyOptions(req.signatureAlgorithm, key);
  let ok: boolean;
  try {
    ok = crypto.verify(hash, Buffer.from(tbs), verifyKey, Buffer.from(req.signature));
  } catch {
    ok = false; // a structurally broken signature is no proof either
  }
  if (!ok) refuse('csr_signature_invalid', 'The certificate request signature does not verify: no proof of possession of the private key.');
  const name = new Name(AsnConvert.serialize(info.subject));
  return { commonNames: name.getField('CN'), subject: name.toString(), spki, keyType: keyType === 'ec' ? 'ec' : 'rsa' };
}
