// TLS and service-account fixtures for the Cloud KMS emulator. Import this module BEFORE anything that loads
// @grpc/grpc-js: grpc-js reads GRPC_DEFAULT_SSL_ROOTS_FILE_PATH (the documented way to trust a private CA) once, when
// it loads. Made per test process in a temporary folder: a CA (openssl) that signs the emulator's certificate (SAN
// IP:127.0.0.1), and service-account key files whose token_uri points at a closed loopback port, so even an
// unexpected token exchange could not leave 127.0.0.1.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface GcpTlsFixture {
  dir: string;
  certPem: string;
  keyPem: string;
  /** A service account the emulator knows, and one it does not; each with its key file. */
  known: { email: string; publicPem: string; file: string };
  unknown: { email: string; publicPem: string; file: string };
  cleanup(): void;
}

function serviceAccount(dir: string, name: string): { email: string; publicPem: string; file: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const email = `${name}@ecps-fleet-test.iam.gserviceaccount.com`;
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify({
      type: 'service_account',
      project_id: 'ecps-fleet-test',
      private_key_id: crypto.randomBytes(20).toString('hex'),
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: email,
      client_id: '100000000000000000001',
      token_uri: 'http://127.0.0.1:9/token',
    }),
    { mode: 0o600 },
  );
  return { email, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), file };
}

function makeFixture(): GcpTlsFixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecps-gcp-tls-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=ecps-test-ca');
  run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=gcp-kms-emulator');
  fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'ext.cnf');
  process.env.GRPC_DEFAULT_SSL_ROOTS_FILE_PATH = path.join(dir, 'ca.pem');
  process.env.METADATA_SERVER_DETECTION = 'none';
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  return {
    dir,
    certPem: read('server.pem'),
    keyPem: read('server.key'),
    known: serviceAccount(dir, 'ecps-console'),
    unknown: serviceAccount(dir, 'someone-else'),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export const gcpTlsFixture: GcpTlsFixture = makeFixture();
