// The fleet CA's X.509 building blocks on their own (electron/crypto/x509Csr.ts, x509Sign.ts): which robot requests
// are accepted (docs/fleet-ca.md "issueDeviceCertificate": ECDSA P-256 and RSA >= 2048, PKCS#1 v1.5 or PSS, the
// self-signature as proof of possession) with each refusal's reason and message, and which CA keys can sign, with the
// signature algorithm and key identifier RFC 5280 and RFC 4055 prescribe. Requests are made by openssl (real keys);
// forged ones are openssl's with one field changed. Expected values are written out here, never computed by the code.
import crypto from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import 'reflect-metadata';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_CSR_BYTES, csrToDer, verifyCsr } from '../../electron/crypto/x509Csr.ts';
import { extension, keyIdentifier, signatureAlgorithm, signCertificate, signCrl, x509SignerFor } from '../../electron/crypto/x509Sign.ts';
import type { KmsProvider } from '../../electron/providers/types.ts';
import { isConsoleError } from '../../shared/errors.ts';
import { caFixture, opensslRequestKit, workDir } from '../integration/fleetca-kit.ts';
import { removeTempDirs } from './store-testkit.ts';

const dir = workDir();
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  removeTempDirs();
});

const { run, key, ecKey, rsaKey, csr } = opensslRequestKit(dir);

/** The key's SubjectPublicKeyInfo DER as openssl writes it. */
function spkiOf(keyFile: string): Buffer {
  run(['pkey', '-in', keyFile, '-pubout', '-outform', 'DER', '-out', `${keyFile}.spki`]);
  return readFileSync(path.join(dir, `${keyFile}.spki`));
}

function refusal(fn: () => unknown): { code: string; reason: unknown; message: string } {
  try {
    fn();
  } catch (e) {
    if (isConsoleError(e)) return { code: e.code, reason: e.details?.reason, message: e.message };
    throw e;
  }
  throw new Error('expected a ConsoleError');
}

/** openssl's request with its signature algorithm (and optionally signature) replaced. */
function withAlgorithm(der: Buffer, algorithm: string, parameters?: ArrayBuffer | null): Buffer {
  const req = AsnConvert.parse(der, CertificationRequest);
  req.signatureAlgorithm = new asn1X509.AlgorithmIdentifier({ algorithm, ...(parameters === undefined ? {} : { parameters }) });
  return Buffer.from(AsnConvert.serialize(req));
}

const MESSAGES = {
  csr_size: `The certificate request must be 1..16384 bytes.`,
  csr_malformed_der: 'The certificate request is not valid DER PKCS#10.',
  csr_malformed_pem: 'The certificate request is not a PEM CERTIFICATE REQUEST.',
  csr_key_unsupported: 'The robot key must be EC P-256 or RSA with at least 2048 bits.',
  csr_algorithm_mismatch: 'The request signature algorithm does not match its key.',
  csr_pss_hash: 'The request uses an unsupported RSASSA-PSS hash.',
  csr_signature_invalid: 'The certificate request signature does not verify: no proof of possession of the private key.',
};

describe('verifyCsr: accepted requests (docs/fleet-ca.md: ECDSA P-256, RSA >= 2048, PKCS#1 v1.5 or PSS)', () => {
  // [case, key, openssl req options, keyType]
  const ACCEPTED: Array<[string, () => string, string[], 'ec' | 'rsa']> = [
    ['ecdsa-with-SHA256', ecKey, ['-sha256'], 'ec'],
    ['ecdsa-with-SHA384', ecKey, ['-sha384'], 'ec'],
    ['ecdsa-with-SHA512', ecKey, ['-sha512'], 'ec'],
    ['sha256WithRSAEncryption', rsaKey, ['-sha256'], 'rsa'],
    ['sha384WithRSAEncryption', rsaKey, ['-sha384'], 'rsa'],
    ['sha512WithRSAEncryption', rsaKey, ['-sha512'], 'rsa'],
    ['RSASSA-PSS SHA-256 salt 32', rsaKey, ['-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32'], 'rsa'],
    ['RSASSA-PSS SHA-384 salt 48', rsaKey, ['-sha384', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:48'], 'rsa'],
    ['RSASSA-PSS SHA-512 salt 20 (a salt other than the hash length)', rsaKey, ['-sha512', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:20'], 'rsa'],
  ];
  for (const [name, k, extra, keyType] of ACCEPTED) {
    it(name, () => {
      const der = csr(k(), '/O=ECPS-UV Fleet/CN=r-7', extra);
      expect(verifyCsr(der)).toEqual({ commonNames: ['r-7'], subject: 'O=ECPS-UV Fleet, CN=r-7', spki: spkiOf(k()), keyType });
    });
  }

  it('reads every CN in order, and a subject without one', () => {
    expect(verifyCsr(csr(ecKey(), '/CN=r-1/CN=r-2')).commonNames).toEqual(['r-1', 'r-2']);
    expect(verifyCsr(csr(ecKey(), '/O=ECPS-UV Fleet'))).toMatchObject({ commonNames: [], subject: 'O=ECPS-UV Fleet' });
  });

  it('takes PEM as a string or in a buffer, with either header, and DER as a Uint8Array', () => {
    const der = csr(ecKey(), '/CN=r-pem');
    const b64 = der.toString('base64');
    const lines = (b64.match(/.{1,64}/g) ?? []).join('\n');
    const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${lines}\n-----END CERTIFICATE REQUEST-----\n`;
    const newPem = `-----BEGIN NEW CERTIFICATE REQUEST-----\r\n${lines.replace(/\n/g, '\r\n')}\r\n-----END NEW CERTIFICATE REQUEST-----\r\n`;
    for (const input of [pem, Buffer.from(pem, 'latin1'), newPem, Buffer.from(newPem), `text before\n${pem}`, new Uint8Array(der)]) {
      expect(csrToDer(input)).toEqual(der);
      expect(verifyCsr(input).commonNames).toEqual(['r-pem']);
    }
    expect(csrToDer(der)).toEqual(der);
    // A buffer is PEM only when its first 40 bytes say so; later text is read as DER (and refused as such).
    expect(refusal(() => verifyCsr(Buffer.from(`${'x'.repeat(40)}${pem}`)))).toMatchObject({ reason: 'csr_malformed', message: MESSAGES.csr_malformed_der });
  });
});

describe('verifyCsr: refusals, each with its reason and message', () => {
  it('size: empty and over 16384 bytes (a 16384-byte request is read)', () => {
    expect(MAX_CSR_BYTES).toBe(16_384);
    expect(refusal(() => verifyCsr(Buffer.alloc(0)))).toEqual({ code: 'invalid_input', reason: 'csr_size', message: MESSAGES.csr_size });
    expect(refusal(() => verifyCsr(''))).toMatchObject({ reason: 'csr_size' }); // no PEM header: zero bytes of DER
    expect(refusal(() => verifyCsr(Buffer.alloc(16_385, 0x30)))).toMatchObject({ reason: 'csr_size' });
    expect(refusal(() => verifyCsr(Buffer.alloc(16_384, 0x30)))).toEqual({ code: 'invalid_input', reason: 'csr_malformed', message: MESSAGES.csr_malformed_der });
  });

  it('malformed: not DER, and PEM with another label or no end line', () => {
    expect(refusal(() => verifyCsr(Buffer.from('not a csr')))).toEqual({ code: 'invalid_input', reason: 'csr_malformed', message: MESSAGES.csr_malformed_der });
    const b64 = csr(ecKey(), '/CN=r-1').toString('base64');
    for (const pem of [`-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`, `-----BEGIN CERTIFICATE REQUEST-----\n${b64}\n`, `-----BEGIN CERTIFICATE REQUEST-----\n${b64}!\n-----END CERTIFICATE REQUEST-----\n`]) {
      expect(refusal(() => verifyCsr(pem))).toEqual({ code: 'invalid_input', reason: 'csr_malformed', message: MESSAGES.csr_malformed_pem });
      expect(refusal(() => csrToDer(Buffer.from(pem)))).toMatchObject({ reason: 'csr_malformed' });
    }
  });

  it('robot keys: P-384, RSA below 2048 bits and Ed25519 are refused; RSA of exactly 2048 bits is accepted', () => {
    const p384 = key('ec384', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384']);
    const rsa2040 = key('rsa2040', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2040']);
    const ed = key('ed25519', ['-algorithm', 'ED25519']);
    for (const k of [p384, rsa2040, ed]) {
      expect(refusal(() => verifyCsr(csr(k, '/CN=r-1')))).toEqual({ code: 'invalid_input', reason: 'csr_key_unsupported', message: MESSAGES.csr_key_unsupported });
    }
    expect(verifyCsr(csr(rsaKey(), '/CN=r-1')).keyType).toBe('rsa');
  });

  it('algorithms: an ECDSA OID over an RSA key and the reverse; SHA-1; PSS without parameters, with SHA-1, or over an EC key', () => {
    const ec = csr(ecKey(), '/CN=r-1');
    const rsa = csr(rsaKey(), '/CN=r-1');
    const mismatch = { code: 'invalid_input', reason: 'csr_algorithm_mismatch', message: MESSAGES.csr_algorithm_mismatch };
    expect(refusal(() => verifyCsr(withAlgorithm(ec, '1.2.840.113549.1.1.11', null)))).toEqual(mismatch);
    expect(refusal(() => verifyCsr(withAlgorithm(ec, '1.2.840.113549.1.1.13', null)))).toEqual(mismatch);
    expect(refusal(() => verifyCsr(withAlgorithm(rsa, '1.2.840.10045.4.3.2')))).toEqual(mismatch);
    expect(refusal(() => verifyCsr(withAlgorithm(rsa, '1.2.840.10045.4.3.4')))).toEqual(mismatch);

    const unsupported = (oid: string) => ({ code: 'invalid_input', reason: 'csr_algorithm_unsupported', message: `The request signature algorithm ${oid} is not supported (use ECDSA P-256 or RSA with SHA-256).` });
    expect(refusal(() => verifyCsr(csr(rsaKey(), '/CN=r-1', ['-sha1'])))).toEqual(unsupported('1.2.840.113549.1.1.5'));
    expect(refusal(() => verifyCsr(csr(ecKey(), '/CN=r-1', ['-sha1'])))).toEqual(unsupported('1.2.840.10045.4.1'));
    expect(refusal(() => verifyCsr(withAlgorithm(rsa, '1.2.840.113549.1.1.10')))).toEqual(unsupported('1.2.840.113549.1.1.10'));
    const pss = csr(rsaKey(), '/CN=r-1', ['-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32']);
    const pssParams = AsnConvert.parse(pss, CertificationRequest).signatureAlgorithm.parameters;
    expect(pssParams).toBeTruthy();
    expect(refusal(() => verifyCsr(withAlgorithm(ec, '1.2.840.113549.1.1.10', pssParams)))).toEqual(unsupported('1.2.840.113549.1.1.10'));
    const pssSha1 = csr(rsaKey(), '/CN=r-1', ['-sha1', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:20']);
    expect(refusal(() => verifyCsr(pssSha1))).toEqual({ code: 'invalid_input', reason: 'csr_algorithm_unsupported', message: MESSAGES.csr_pss_hash });
  });

  it('no proof of possession: a changed subject, a flipped signature bit, a signature of another key, a signature that is not DER', () => {
    const invalid = { code: 'invalid_input', reason: 'csr_signature_invalid', message: MESSAGES.csr_signature_invalid };
    for (const [k, extra] of [[ecKey(), []], [rsaKey(), []], [rsaKey(), ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32']]] as Array<[string, string[]]>) {
      const der = csr(k, '/CN=r-1', extra);
      const req = AsnConvert.parse(der, CertificationRequest);
      // The subject r-1 -> r-2 (same length): the signed bytes change, the signature does not.
      const renamed = Buffer.from(der);
      const at = renamed.indexOf(Buffer.from('r-1'));
      renamed[at + 2] = '2'.charCodeAt(0);
      expect(refusal(() => verifyCsr(renamed))).toEqual(invalid);
      const flipped = Buffer.from(req.signature);
      flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1;
      req.signature = flipped.buffer.slice(flipped.byteOffset, flipped.byteOffset + flipped.byteLength);
      expect(refusal(() => verifyCsr(Buffer.from(AsnConvert.serialize(req))))).toEqual(invalid);
    }
    // Signed by another key of the same kind: the request carries the EC key of ec256, the signature is ec-other's.
    const other = csr(key('ec-other', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']), '/CN=r-1');
    const mine = AsnConvert.parse(csr(ecKey(), '/CN=r-1'), CertificationRequest);
    mine.signature = AsnConvert.parse(other, CertificationRequest).signature;
    expect(refusal(() => verifyCsr(Buffer.from(AsnConvert.serialize(mine))))).toEqual(invalid);
    // An ECDSA signature that is not a DER SEQUENCE makes node:crypto throw: still no proof, the same refusal.
    mine.signature = new Uint8Array([1, 2, 3]).buffer;
    expect(refusal(() => verifyCsr(Buffer.from(AsnConvert.serialize(mine))))).toEqual(invalid);
  });
});

describe('x509Sign: the CA key kinds, the signature algorithm, the key identifier', () => {
  /** A provider whose key is `pem`'s (the local provider's other methods). */
  function providerWithKey(base: KmsProvider, pem: string): KmsProvider {
    return { ...base, getPublicKey: () => Promise.resolve({ pem }) } as unknown as KmsProvider;
  }

  it('x509SignerFor: EC P-256 and RSA >= 2048 sign; P-384, RSA-2040 and Ed25519 are refused (unsupported_operation)', async () => {
    const f = caFixture();
    try {
      const ec = await f.store.provider.createKey({ name: 'ec', spec: 'EC_P256', usage: 'sign' });
      const rsa = await f.store.provider.createKey({ name: 'rsa', spec: 'RSA_2048', usage: 'sign' });
      const ecSigner = await x509SignerFor(f.store.provider, ec.keyRef);
      expect(ecSigner).toMatchObject({ keyRef: ec.keyRef, keyType: 'ec' });
      expect(ecSigner.provider).toBe(f.store.provider);
      expect(ecSigner.spki).toEqual(crypto.createPublicKey((await f.store.provider.getPublicKey(ec.keyRef)).pem).export({ type: 'spki', format: 'der' }));
      expect(await x509SignerFor(f.store.provider, rsa.keyRef)).toMatchObject({ keyRef: rsa.keyRef, keyType: 'rsa' });
      const rsa3072 = readFileSync(path.join(dir, key('rsa3072', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'])), 'utf8');
      expect((await x509SignerFor(providerWithKey(f.store.provider, rsa3072), 'k')).keyType).toBe('rsa');
      for (const [name, args] of [['ec384', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384']], ['rsa2040', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2040']], ['ed25519', ['-algorithm', 'ED25519']]] as Array<[string, string[]]>) {
        const pem = readFileSync(path.join(dir, key(name, args)), 'utf8');
        const p = providerWithKey(f.store.provider, pem);
        await expect(x509SignerFor(p, 'k')).rejects.toMatchObject({ code: 'unsupported_operation', message: 'The CA key must be an EC P-256 or RSA (2048 bits or more) signing key.' });
      }
    } finally {
      f.store.close();
    }
  });

  it('signatureAlgorithm: ecdsa-with-SHA256 without parameters; RSASSA-PSS with SHA-256, MGF1-SHA-256, salt 32 (RFC 4055)', () => {
    const der = (t: 'ec' | 'rsa') => Buffer.from(AsnConvert.serialize(signatureAlgorithm(t))).toString('hex');
    // RFC 5758 3.2: SEQUENCE { OID 1.2.840.10045.4.3.2 }, parameters absent.
    expect(der('ec')).toBe('300a06082a8648ce3d040302');
    // RFC 4055: SEQUENCE { id-RSASSA-PSS, RSASSA-PSS-params { [0] sha256 (NULL), [1] mgf1(sha256), [2] 32 } }; trailerField default.
    expect(der('rsa')).toBe(
      '3041' + '06092a864886f70d01010a' + '3034'
      + 'a00f' + '300d' + '0609608648016503040201' + '0500'
      + 'a11c' + '301a' + '06092a864886f70d010108' + '300d' + '0609608648016503040201' + '0500'
      + 'a203' + '020120',
    );
  });

  it('keyIdentifier: SHA-1 of the subjectPublicKey BIT STRING contents (RFC 5280 4.2.1.2 method 1)', () => {
    const ecSpki = spkiOf(ecKey());
    // A P-256 SubjectPublicKeyInfo is 91 bytes: a 26-byte prefix, then 04 || X || Y (65 bytes) as the BIT STRING contents.
    expect(ecSpki.length).toBe(91);
    expect(keyIdentifier(ecSpki)).toEqual(crypto.createHash('sha1').update(ecSpki.subarray(26)).digest());
    // RSA-2048: a 24-byte prefix (SEQUENCE, AlgorithmIdentifier, BIT STRING header with its 00), then the RSAPublicKey.
    const rsaSpki = spkiOf(rsaKey());
    expect(rsaSpki.length).toBe(294);
    expect(keyIdentifier(rsaSpki)).toEqual(crypto.createHash('sha1').update(rsaSpki.subarray(24)).digest());
  });

  it('extension: the id, the critical flag and the value DER in an OCTET STRING', () => {
    const e = Buffer.from(AsnConvert.serialize(extension('2.5.29.19', true, new asn1X509.BasicConstraints({ cA: true, pathLenConstraint: 0 })))).toString('hex');
    // SEQUENCE { OID 2.5.29.19, BOOLEAN TRUE, OCTET STRING { SEQUENCE { BOOLEAN TRUE, INTEGER 0 } } }
    expect(e).toBe('3012' + '0603551d13' + '0101ff' + '0408' + '30060101ff020100');
    const n = Buffer.from(AsnConvert.serialize(extension('2.5.29.19', false, new asn1X509.BasicConstraints({ cA: false })))).toString('hex');
    // critical FALSE is the DEFAULT: left out. BasicConstraints with cA FALSE (DEFAULT) is an empty SEQUENCE.
    expect(n).toBe('30090603551d1304023000');
  });

  it('signCertificate and signCrl: the provider signs the TBS bytes, openssl and node:crypto verify the result', async () => {
    const f = caFixture();
    try {
      for (const spec of ['EC_P256', 'RSA_2048'] as const) {
        const k = await f.store.provider.createKey({ name: `ca-${spec}`, spec, usage: 'sign' });
        const signer = await x509SignerFor(f.store.provider, k.keyRef);
        const name = new asn1X509.Name([new asn1X509.RelativeDistinguishedName([new asn1X509.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1X509.AttributeValue({ utf8String: 'ECPS test CA' }) })])]);
        const tbs = new asn1X509.TBSCertificate({
          version: asn1X509.Version.v3,
          serialNumber: new Uint8Array([0x01, 0x23]).buffer,
          signature: signatureAlgorithm(signer.keyType),
          issuer: name,
          validity: new asn1X509.Validity({ notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2036-01-01T00:00:00Z') }),
          subject: name,
          subjectPublicKeyInfo: AsnConvert.parse(signer.spki, asn1X509.SubjectPublicKeyInfo),
        });
        const certDer = await signCertificate(signer, tbs);
        const cert = new crypto.X509Certificate(certDer);
        expect(cert.serialNumber).toBe('0123');
        expect(cert.verify(cert.publicKey)).toBe(true);
        expect(cert.publicKey.export({ type: 'spki', format: 'der' })).toEqual(signer.spki);
        const certFile = `cert-${spec}.der`;
        writeFileSync(path.join(dir, certFile), certDer);
        run(['x509', '-inform', 'DER', '-in', certFile, '-out', `${certFile}.pem`]);
        const text = run(['x509', '-in', `${certFile}.pem`, '-noout', '-text']);
        expect(text).toContain(spec === 'EC_P256' ? 'Signature Algorithm: ecdsa-with-SHA256' : 'Signature Algorithm: rsassaPss');

        // A v2 CRL TBS with no entries: SEQUENCE { version 1, signature, issuer, thisUpdate }.
        const crlTbs = new asn1X509.TBSCertList({ version: asn1X509.Version.v2, signature: signatureAlgorithm(signer.keyType), issuer: name, thisUpdate: new asn1X509.Time(new Date('2026-12-06T00:00:00Z')), nextUpdate: new asn1X509.Time(new Date('2026-12-07T00:00:00Z')) });
        const tbsDer = Buffer.from(AsnConvert.serialize(crlTbs));
        const crlDer = await signCrl(signer, tbsDer);
        const parsed = AsnConvert.parse(crlDer, asn1X509.CertificateList);
        expect(Buffer.from(AsnConvert.serialize(parsed.tbsCertList))).toEqual(tbsDer);
        expect(Buffer.from(AsnConvert.serialize(parsed.signatureAlgorithm))).toEqual(Buffer.from(AsnConvert.serialize(signatureAlgorithm(signer.keyType))));
        // The signature BIT STRING: no unused bits (a leading 00), then the provider's signature over the TBS bytes.
        const sig = Buffer.from(parsed.signature);
        const verifyKey = signer.keyType === 'ec' ? cert.publicKey : { key: cert.publicKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
        expect(crypto.verify('sha256', tbsDer, verifyKey, sig)).toBe(true);
        expect(crlDer.subarray(crlDer.length - sig.length - 1, crlDer.length - sig.length)).toEqual(Buffer.from([0]));
        const crlFile = `crl-${spec}.der`;
        writeFileSync(path.join(dir, crlFile), crlDer);
        expect(run(['crl', '-inform', 'DER', '-in', crlFile, '-CAfile', `${certFile}.pem`, '-noout'])).toContain('verify OK');
      }
    } finally {
      f.store.close();
    }
  });
});
