// The serials a CRL lists (RFC 5280 5.1, revokedCertificates), read from its DER so the offline console can show what
// the kit's CRL revokes without a provider or OpenSSL. Only the structure is read: the console that published the CRL
// signed it, and the kit's sealed data it travels in is authenticated.
import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { ConsoleError } from '../../../shared/errors.ts';

/** The revoked serials of a PEM CRL, lower-case hex as the registry stores them (fleetCa.ts). */
export function crlSerials(pem: string): string[] {
  const der = Buffer.from(pem.replace(/-----(BEGIN|END) X509 CRL-----/g, '').replace(/\s+/g, ''), 'base64');
  let list: asn1X509.CertificateList;
  try {
    list = AsnConvert.parse(der, asn1X509.CertificateList);
  } catch {
    throw new ConsoleError('integrity_failure', 'The kit\'s CRL cannot be read as an X.509 CRL.');
  }
  return (list.tbsCertList.revokedCertificates ?? []).map((r) => Buffer.from(r.userCertificate).toString('hex'));
}
