// The robot request reader (electron/crypto/x509Csr.ts) against the rules of RFC 7468 (PEM text) and RFC 2986 /
// RFC 4055 (the PKCS#10 structure and its RSASSA-PSS parameters), for the cases x509-csr-sign-mutants.test.ts left open
// (docs/mutation-testing.md, rounds (u) and (ab)). Requests are made by openssl; forged ones are openssl's with one
// field changed through @peculiar's ASN.1 classes. Every expected reason and message is written here.
import { rmSync } from 'node:fs';
import 'reflect-metadata';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { afterAll, describe, expect, it } from 'vitest';
import { csrToDer, verifyCsr } from '../../electron/crypto/x509Csr.ts';
import { isConsoleError } from '../../shared/errors.ts';
import { opensslRequestKit, workDir } from '../integration/fleetca-kit.ts';

const dir = workDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const { ecKey, rsaKey, csr } = opensslRequestKit(dir);
const pssCsr = (salt: number) => csr(rsaKey(), '/CN=r-pss', ['-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', `rsa_pss_saltlen:${salt}`]);
const pemOf = (der: Buffer) => `-----BEGIN CERTIFICATE REQUEST-----\n${(der.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;

function refusal(fn: () => unknown): { code: string; reason: unknown; message: string } {
  try {
    fn();
  } catch (e) {
    if (isConsoleError(e)) return { code: e.code, reason: e.details?.reason, message: e.message };
    throw e;
  }
  throw new Error('expected a ConsoleError');
}

/** The request with its signatureAlgorithm replaced (the signature bytes kept). */
function withAlgorithm(der: Buffer, algorithm: string, parameters: ArrayBuffer | null): Buffer {
  const req = AsnConvert.parse(der, CertificationRequest);
  req.signatureAlgorithm = new asn1X509.AlgorithmIdentifier({ algorithm, parameters });
  return Buffer.from(AsnConvert.serialize(req));
}
/** The PSS request's parameters with saltLength replaced (the signature kept: made with the salt openssl used). */
function withSalt(der: Buffer, saltLength: number): Buffer {
  const req = AsnConvert.parse(der, CertificationRequest);
  const p = AsnConvert.parse(req.signatureAlgorithm.parameters!, RsaSaPssParams);
  p.saltLength = saltLength;
  return withAlgorithm(der, '1.2.840.113549.1.1.10', AsnConvert.serialize(p));
}

const INVALID_SIGNATURE = { code: 'invalid_input', reason: 'csr_signature_invalid', message: 'The certificate request signature does not verify: no proof of possession of the private key.' };

describe('PEM text (RFC 7468)', () => {
  it('section 2: text before the encapsulation boundary is permitted, however long, in a string', () => {
    const der = csr(ecKey(), '/CN=r-pem');
    const explanatory = `Subject: CN=r-pem\nIssued by the robot's first boot; ${'padding '.repeat(20)}\n`;
    expect(explanatory.length).toBeGreaterThan(40);
    expect(csrToDer(`${explanatory}${pemOf(der)}`)).toEqual(der);
    expect(verifyCsr(`${explanatory}${pemOf(der)}`).commonNames).toEqual(['r-pem']);
    // In a buffer the label is looked for in its first 40 bytes (DER never starts with text): a boundary that ends
    // at byte 40 is PEM.
    const upTo40 = Buffer.from(`${'x'.repeat(30)}${pemOf(der)}`, 'latin1');
    expect(upTo40.subarray(0, 40).toString('latin1').endsWith('-----BEGIN')).toBe(true);
    expect(csrToDer(upTo40)).toEqual(der);
  });

  it('section 3: a label other than CERTIFICATE REQUEST (or the legacy NEW CERTIFICATE REQUEST) is refused', () => {
    const b64 = csr(ecKey(), '/CN=r-1').toString('base64');
    for (const label of ['CERTIFICATE', 'X509 CRL', 'PRIVATE KEY', 'CERTIFICATE REQUESTS']) {
      expect(refusal(() => csrToDer(`-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`)), label)
        .toEqual({ code: 'invalid_input', reason: 'csr_malformed', message: 'The certificate request is not a PEM CERTIFICATE REQUEST.' });
    }
  });
});

describe('the signature algorithm (RFC 2986 4.2; RFC 4055 3.1)', () => {
  it('an RSA request naming another algorithm with PSS parameters is not read as PSS: unsupported, with its OID', () => {
    // A valid PSS signature and its parameters, under the OID of sha1WithRSAEncryption / sha224WithRSAEncryption.
    const der = pssCsr(32);
    const params = AsnConvert.parse(der, CertificationRequest).signatureAlgorithm.parameters!;
    expect(verifyCsr(der).commonNames).toEqual(['r-pss']);
    for (const oid of ['1.2.840.113549.1.1.5', '1.2.840.113549.1.1.14']) {
      expect(refusal(() => verifyCsr(withAlgorithm(der, oid, params))), oid).toEqual({
        code: 'invalid_input',
        reason: 'csr_algorithm_unsupported',
        message: `The request signature algorithm ${oid} is not supported (use ECDSA P-256 or RSA with SHA-256).`,
      });
    }
  });

  it('PSS salt lengths: 0 and the signature\'s own are read; a negative one is refused as malformed (an octet length)', () => {
    expect(verifyCsr(pssCsr(0)).commonNames).toEqual(['r-pss']);
    expect(verifyCsr(pssCsr(20)).commonNames).toEqual(['r-pss']);
    const signedWith32 = pssCsr(32);
    // -1 would make OpenSSL use the hash length (32, this signature's), -2 any length: both verified before.
    for (const salt of [-1, -2, -5]) {
      expect(refusal(() => verifyCsr(withSalt(signedWith32, salt))), `salt ${salt}`)
        .toEqual({ code: 'invalid_input', reason: 'csr_malformed', message: 'The request\'s RSASSA-PSS salt length is negative.' });
    }
    // Another non-negative length than the signature's: it does not verify.
    expect(refusal(() => verifyCsr(withSalt(signedWith32, 20)))).toEqual(INVALID_SIGNATURE);
  });

  it('a salt length node:crypto cannot take (2^31) makes the check throw: still no proof, the same refusal', () => {
    expect(refusal(() => verifyCsr(withSalt(pssCsr(32), 2 ** 31)))).toEqual(INVALID_SIGNATURE);
  });
});

describe('the public key (RFC 2986 4.1 subjectPKInfo)', () => {
  it('a key of an algorithm node:crypto cannot read is refused before the signature is looked at', () => {
    for (const [k, oid] of [[ecKey(), '1.2.3.4.5'], [rsaKey(), '1.3.101.999']] as const) {
      const req = AsnConvert.parse(csr(k, '/CN=r-1'), CertificationRequest);
      req.certificationRequestInfo.subjectPKInfo.algorithm = new asn1X509.AlgorithmIdentifier({ algorithm: oid, parameters: null });
      // Serialising the request again writes the changed request info (the signature is no longer over it).
      const forged = Buffer.from(AsnConvert.serialize(new CertificationRequest({ certificationRequestInfo: req.certificationRequestInfo, signatureAlgorithm: req.signatureAlgorithm, signature: req.signature })));
      expect(refusal(() => verifyCsr(forged)), oid).toEqual({ code: 'invalid_input', reason: 'csr_key_unsupported', message: 'The public key in the certificate request cannot be read.' });
    }
  });
});
