// The offline console's CRL serials (electron/services/incidentKit/crlSerials.ts) from CRLs made by OpenSSL (not by
// the console's own CRL writer): the serials of its index, lower-case hex as the registry stores them; a CRL revoking
// nothing lists none; bytes that are not a CRL are refused as integrity_failure.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crlSerials } from '../../electron/services/incidentKit/crlSerials.ts';
import { isConsoleError } from '../../shared/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'ecps-crl-serials-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A CRL signed by a throwaway OpenSSL CA whose index revokes `serials` (upper-case hex, as OpenSSL's index holds them). */
function opensslCrl(name: string, serials: string[]): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'index.txt'), serials.map((s) => `R\t301231235959Z\t250101000000Z,keyCompromise\t${s}\tunknown\t/CN=robot-${s}\n`).join(''));
  writeFileSync(join(d, 'crlnumber'), '07\n');
  writeFileSync(join(d, 'ca.cnf'), `[ca]\ndefault_ca=x\n[x]\ndatabase=${d}/index.txt\ncrlnumber=${d}/crlnumber\ndefault_md=sha256\ndefault_crl_days=7\n`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(d, 'ca.key'), '-out', join(d, 'ca.pem'), '-subj', '/CN=Test CA', '-days', '2'], { stdio: 'ignore' });
  return execFileSync('openssl', ['ca', '-gencrl', '-config', join(d, 'ca.cnf'), '-keyfile', join(d, 'ca.key'), '-cert', join(d, 'ca.pem')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

describe('crlSerials', () => {
  it('lists the serials OpenSSL revoked, in lower-case hex', () => {
    const pem = opensslCrl('two', ['4A1B2C3D4E5F60718293A4B5C6D7E8F9', '7F00000000000000000000000000000A']);
    expect(pem).toContain('BEGIN X509 CRL');
    expect(crlSerials(pem).sort()).toEqual(['4a1b2c3d4e5f60718293a4b5c6d7e8f9', '7f00000000000000000000000000000a']);
  });

  it('a CRL revoking nothing lists none', () => {
    expect(crlSerials(opensslCrl('none', []))).toEqual([]);
  });

  it('bytes that are not a CRL are refused as integrity_failure', () => {
    let code = '';
    try {
      crlSerials('-----BEGIN X509 CRL-----\nAAECAwQ=\n-----END X509 CRL-----\n');
    } catch (e) {
      code = isConsoleError(e) ? e.code : 'other';
    }
    expect(code).toBe('integrity_failure');
  });
});
