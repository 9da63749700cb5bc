// Signing X.509 structures with a KmsProvider key. The to-be-signed part (TBSCertificate / TBSCertList) is built here
// with @peculiar/asn1-x509, its DER goes to provider.sign() (which hashes with SHA-256 and signs inside the provider:
// RSASSA-PSS salt 32 for RSA keys, ECDSA DER for EC P-256), and the signed structure is assembled around the result.
// The CA private key never enters this process unless the provider is the local one, where it stays inside that provider.
import crypto from 'node:crypto';
import 'reflect-metadata';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { RsaSaPssParams, id_RSASSA_PSS, id_mgf1, sha256 } from '@peculiar/asn1-rsa';
import type { KmsProvider } from '../providers/types.ts';
import { derTlv } from './der.ts';
import { ConsoleError } from '../../shared/errors.ts';

const ID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

/** The CA key as the signer sees it: where it lives and what its public half is. */
export interface X509Signer {
  provider: KmsProvider;
  keyRef: string;
  /** DER SubjectPublicKeyInfo of the CA key. */
  spki: Buffer;
  /** 'ec' (P-256, ecdsa-with-SHA256) or 'rsa' (RSASSA-PSS SHA-256, MGF1-SHA-256, salt 32). */
  keyType: 'ec' | 'rsa';
}

/** Reads the provider key's public half and checks it is a kind this CA can sign with. */
export async function x509SignerFor(provider: KmsProvider, keyRef: string): Promise<X509Signer> {
  const { pem } = await provider.getPublicKey(keyRef);
  const key = crypto.createPublicKey(pem);
  const spki = key.export({ type: 'spki', format: 'der' });
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return { provider, keyRef, spki, keyType: 'ec' };
  if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) return { provider, keyRef, spki, keyType: 'rsa' };
  throw new ConsoleError('unsupported_operation', 'The CA key must be an EC P-256 or RSA (2048 bits or more) signing key.');
}

/** The AlgorithmIdentifier of the signatures the provider makes with this key. */
export function signatureAlgorithm(keyType: X509Signer['keyType']): asn1X509.AlgorithmIdentifier {
  if (keyType === 'ec') return new asn1X509.AlgorithmIdentifier({ algorithm: ID_ECDSA_WITH_SHA256 });
  const mgf1Sha256 = new asn1X509.AlgorithmIdentifier({ algorithm: id_mgf1, parameters: AsnConvert.serialize(sha256) });
  const params = new RsaSaPssParams({ hashAlgorithm: sha256, maskGenAlgorithm: mgf1Sha256, saltLength: 32 });
  return new asn1X509.AlgorithmIdentifier({ algorithm: id_RSASSA_PSS, parameters: AsnConvert.serialize(params) });
}

/** RFC 5280 section 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING contents. */
export function keyIdentifier(spkiDer: Buffer): Buffer {
  const info = AsnConvert.parse(spkiDer, asn1X509.SubjectPublicKeyInfo);
  return crypto.createHash('sha1').update(Buffer.from(info.subjectPublicKey)).digest();
}

/** An asn1 Extension from its parts. */
export function extension(extnID: string, critical: boolean, value: unknown): asn1X509.Extension {
  return new asn1X509.Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

async function providerSignature(signer: X509Signer, tbsDer: Buffer): Promise<ArrayBuffer> {
  const { signature } = await signer.provider.sign(signer.keyRef, tbsDer);
  const copy = new Uint8Array(signature.length);
  copy.set(signature);
  return copy.buffer;
}

/** Signs a TBSCertificate (whose `signature` field must equal signatureAlgorithm(keyType)) and returns the certificate DER. */
export async function signCertificate(signer: X509Signer, tbs: asn1X509.TBSCertificate): Promise<Buffer> {
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const signatureValue = await providerSignature(signer, tbsDer);
  const cert = new asn1X509.Certificate({ tbsCertificate: tbs, signatureAlgorithm: tbs.signature, signatureValue });
  return Buffer.from(AsnConvert.serialize(cert));
}

/**
 * Signs a TBSCertList's DER (whose `signature` field must equal signatureAlgorithm(keyType)) and returns the CRL DER:
 * SEQUENCE { tbsCertList, signatureAlgorithm, signature BIT STRING }, with the signed bytes copied in as they are
 * (serializing a long list of entries a second time would cost as much as the first).
 */
export async function signCrl(signer: X509Signer, tbsDer: Buffer): Promise<Buffer> {
  const signature = Buffer.from(await providerSignature(signer, tbsDer));
  const algorithm = Buffer.from(AsnConvert.serialize(signatureAlgorithm(signer.keyType)));
  return derTlv(0x30, Buffer.concat([tbsDer, algorithm, derTlv(0x03, Buffer.concat([Buffer.from([0]), signature]))]));
}

export { toPem } from './x509Plain.ts';
