// Test wiring: a per-run test CA made with openssl signs the emulator's certificate (SAN IP:127.0.0.1); the adapter
// and the raw SDK clients trust only that CA, and the credential's authority host is the emulator itself, so no
// request leaves loopback (no login.microsoftonline.com, no instance discovery, no IMDS). The emulator checks every
// answer against the Key Vault response schemas; close() fails if any answer drifted from them.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClientSecretCredential } from '@azure/identity';
import { CryptographyClient, KeyClient } from '@azure/keyvault-keys';
import { createAzureKeyVaultProvider, type AzureKeyVaultProvider } from '../../../electron/providers/azure/azureProvider.ts';
import { startAzureKeyVaultEmulator, type AzureKeyVaultEmulator, type AzureKeyVaultEmulatorOptions } from './server.ts';

export interface TestPki { caPem: string; otherCaPem: string; certPem: string; keyPem: string }

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(path.join(tmpdir(), 'ecps-azure-kv-'));
  try {
    const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    for (const ca of ['test-ca', 'other-ca'])
      run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '1', '-subj', `/CN=${ca}`);
    run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'vault.key', '-out', 'vault.csr', '-subj', '/CN=azure-kv-emulator');
    writeFileSync(path.join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    run('x509', '-req', '-in', 'vault.csr', '-CA', 'test-ca.pem', '-CAkey', 'test-ca.key', '-CAcreateserial', '-out', 'vault.pem', '-days', '1', '-extfile', 'san.cnf');
    const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
    return { caPem: read('test-ca.pem'), otherCaPem: read('other-ca.pem'), certPem: read('vault.pem'), keyPem: read('vault.key') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface TestIdentity { tenantId: string; clientId: string; clientSecret: string }

export function newTestIdentity(): TestIdentity {
  return { tenantId: crypto.randomUUID(), clientId: crypto.randomUUID(), clientSecret: crypto.randomBytes(24).toString('base64url') };
}

export interface RawReply { status: number; headers: Record<string, string | string[] | undefined>; body: { error?: { code: string; message: string; innererror?: { code: string } } } & Record<string, unknown> }

/** One raw HTTPS request to the emulator (trusting only the test CA), with a fresh token unless `token` says otherwise. */
export function rawRequest(emu: AzureKeyVaultEmulator, caPem: string, method: string, path: string, options: { token?: string | null; body?: unknown; form?: string } = {}): Promise<RawReply> {
  const token = options.token === undefined ? emu.issueToken() : options.token;
  const payload = options.form ?? (options.body === undefined ? '' : JSON.stringify(options.body));
  return new Promise((resolve, reject) => {
    const headers = {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(payload ? { 'content-type': options.form ? 'application/x-www-form-urlencoded' : 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
    };
    const req = https.request(`${emu.vaultUrl}${path}`, { method, ca: caPem, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? (JSON.parse(text) as RawReply['body']) : {} }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export interface AzureTestBed {
  emu: AzureKeyVaultEmulator;
  pki: TestPki;
  identity: TestIdentity;
  provider(extra?: { id?: string; timeoutMs?: number; clientSecret?: string; caPem?: string; keyStateTtlMs?: number }): AzureKeyVaultProvider;
  /** The raw SDK objects with the same transport settings as the adapter. */
  rawKeyClient(): KeyClient;
  rawCryptoClient(keyId: string): CryptographyClient;
  close(): Promise<void>;
}

export async function startAzureTestBed(extra: Partial<AzureKeyVaultEmulatorOptions> = {}): Promise<AzureTestBed> {
  const pki = makeTestPki();
  const identity = newTestIdentity();
  const emu = await startAzureKeyVaultEmulator({ tls: { certPem: pki.certPem, keyPem: pki.keyPem }, ...identity, ...extra });
  const opened: AzureKeyVaultProvider[] = [];
  const credential = () =>
    new ClientSecretCredential(identity.tenantId, identity.clientId, identity.clientSecret, {
      authorityHost: emu.authorityHost,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: pki.caPem },
      retryOptions: { maxRetries: 0 },
    });
  const transport = { tlsOptions: { ca: pki.caPem }, disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } };
  return {
    emu,
    pki,
    identity,
    provider(o = {}) {
      const p = createAzureKeyVaultProvider({
        id: o.id ?? 'azure-test',
        vaultUrl: emu.vaultUrl,
        credentials: { tenantId: identity.tenantId, clientId: identity.clientId, clientSecret: o.clientSecret ?? identity.clientSecret },
        authorityHost: emu.authorityHost,
        caPem: o.caPem ?? pki.caPem,
        managedHsm: extra.managedHsm ?? false,
        ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
        ...(o.keyStateTtlMs === undefined ? {} : { keyStateTtlMs: o.keyStateTtlMs }),
      });
      opened.push(p);
      return p;
    },
    rawKeyClient: () => new KeyClient(emu.vaultUrl, credential(), transport),
    rawCryptoClient: (keyId) => new CryptographyClient(keyId, credential(), transport),
    async close() {
      for (const p of opened) await p.close();
      await emu.close();
      // An answer that drifted from the Key Vault schemas fails the test file, even if the client coped with it.
      const drift = emu.schema.violations();
      if (drift.length > 0) throw new Error(`The Key Vault emulator sent ${drift.length} answer(s) that do not conform to the REST specification:\n${drift.map((d) => `${d.operation ?? 'error'} ${d.status}: ${d.problems.join('; ')}`).join('\n')}`);
    },
  };
}
