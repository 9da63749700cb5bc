// The adapter over HTTPS: a CA made for this run with openssl signs the emulator's certificate (SAN IP:127.0.0.1);
// the adapter trusts it only through caCertPem, and refuses a server it cannot verify.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProviderError } from '../../electron/providers/types.ts';
import { createVaultTransitProvider } from '../../electron/providers/vault/vaultProvider.ts';
import { startVaultEmulator, type VaultEmulator } from '../emulators/vault/server.ts';

interface TestPki {
  caPem: string;
  otherCaPem: string;
  certPem: string;
  keyPem: string;
}

function makePki(dir: string): TestPki {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ca = (name: string) =>
    run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '1', '-subj', `/CN=${name}`);
  ca('test-ca');
  ca('other-ca');
  run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=vault-emulator');
  writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'test-ca.pem', '-CAkey', 'test-ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'ext.cnf');
  const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
  return { caPem: read('test-ca.pem'), otherCaPem: read('other-ca.pem'), certPem: read('server.pem'), keyPem: read('server.key') };
}

const token = `hvs.${crypto.randomBytes(18).toString('base64url')}`;
let dir: string;
let pki: TestPki;
let vault: VaultEmulator;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ecps-vault-tls-'));
  pki = makePki(dir);
  vault = await startVaultEmulator({ token, tls: { certPem: pki.certPem, keyPem: pki.keyPem } });
});
afterAll(async () => {
  await vault?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('vault adapter over TLS', () => {
  it('works end to end when given the CA that signed the server certificate', async () => {
    expect(vault.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const p = createVaultTransitProvider({ id: 'vault-tls', endpoint: vault.endpoint, token, caCertPem: pki.caPem });
    try {
      const key = await p.createKey({ name: 'tls-key', spec: 'AES_256', usage: 'encrypt' });
      const { ciphertext } = await p.encrypt(key.keyRef, Buffer.from('over tls'), Buffer.from('aad'));
      expect((await p.decrypt(key.keyRef, ciphertext, Buffer.from('aad'))).plaintext.toString()).toBe('over tls');
      expect((await p.health()).ok).toBe(true);
    } finally {
      await p.close();
    }
  });

  for (const [label, ca] of [
    ['without a CA (the system store does not know the test CA)', undefined],
    ['with a CA that did not sign the server certificate', 'other'],
  ] as const) {
    it(`refuses the server ${label}: Unavailable, not retryable, TLS code kept`, async () => {
      const before = vault.faults.requestCount;
      const p = createVaultTransitProvider({ id: 'vault-tls', endpoint: vault.endpoint, token, ...(ca ? { caCertPem: pki.otherCaPem } : {}) });
      try {
        const e = await p.describeKey('tls-key').catch((err: unknown) => err);
        expect(isProviderError(e)).toBe(true);
        if (!isProviderError(e)) return;
        expect(e.kind).toBe('Unavailable');
        expect(e.retryable).toBe(false);
        expect(e.providerCode).toMatch(/CERT|SIGNATURE|ISSUER/);
        expect((await p.health()).ok).toBe(false);
        // The handshake failed, so no request reached the server.
        expect(vault.faults.requestCount).toBe(before);
      } finally {
        await p.close();
      }
    });
  }
});
