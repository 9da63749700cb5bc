// The adapter as it runs against the real service: TLS to https://127.0.0.1 (a private CA trusted through
// GRPC_DEFAULT_SSL_ROOTS_FILE_PATH) and credentials_path to a service-account key file, from which the official
// client signs a JWT per call. The emulator verifies that JWT against the account's public key. Nothing leaves
// 127.0.0.1 (a socket watch checks every connection and DNS lookup).
import { gcpTlsFixture as fx } from '../emulators/gcp-kms/tlsFixture.ts';
import dc from 'node:diagnostics_channel';
import fs from 'node:fs';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGcpKmsProvider } from '../../electron/providers/gcp/gcpKmsProvider.ts';
import type { GcpKmsEmulator } from '../emulators/gcp-kms/index.ts';
import { startTestEmulator, TEST_LOCATION, TEST_PROJECT } from '../emulators/gcp-kms/testkit.ts';
import { providerFailure } from './conformance/suite.ts';

const remotes: string[] = [];
const onSocket = (msg: unknown) => {
  const socket = (msg as { socket: net.Socket }).socket;
  socket.on('connectionAttempt', (ip: string) => remotes.push(ip));
  socket.on('lookup', (_err: unknown, address: string, _family: unknown, host: string) => remotes.push(`${host}->${address}`));
};

let emu: GcpKmsEmulator;
const provider = (credentialsPath: string) =>
  createGcpKmsProvider({ id: 'gcp-sa', projectId: TEST_PROJECT, locationId: TEST_LOCATION, keyRingId: 'sa-ring', endpoint: emu.endpoint, credentialsPath, timeoutMs: 5_000 });

beforeAll(async () => {
  dc.subscribe('net.client.socket', onSocket);
  emu = await startTestEmulator({ tls: { certPem: fx.certPem, keyPem: fx.keyPem }, serviceAccounts: { [fx.known.email]: fx.known.publicPem } });
});
afterAll(async () => {
  await emu.close();
  dc.unsubscribe('net.client.socket', onSocket);
  fx.cleanup();
});

describe('Cloud KMS over TLS with a service-account key file', () => {
  it('authenticates every call with the JWT the client signs from credentials_path', async () => {
    expect(emu.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:/);
    const p = provider(fx.known.file);
    try {
      const key = await p.createKey({ name: 'sa-key', spec: 'AES_256', usage: 'encrypt' });
      const { ciphertext } = await p.encrypt(key.keyRef, Buffer.from('over tls'), Buffer.from('aad'));
      expect((await p.decrypt(key.keyRef, ciphertext, Buffer.from('aad'))).plaintext.toString()).toBe('over tls');
      expect((await p.health()).ok).toBe(true);
    } finally {
      await p.close();
    }
  });

  it('an account the service does not know is AccessDenied (UNAUTHENTICATED)', async () => {
    const p = provider(fx.unknown.file);
    try {
      const f = await providerFailure(p.describeKey('sa-key'));
      expect(f).toMatchObject({ kind: 'AccessDenied', providerCode: 'UNAUTHENTICATED' });
      expect((await p.health()).ok).toBe(false);
    } finally {
      await p.close();
    }
  });

  it('authenticates the same way from the key content picked in the console (gcp_credentials_json, kept sealed)', async () => {
    const content = fs.readFileSync(fx.known.file, 'utf8');
    const p = createGcpKmsProvider({ id: 'gcp-sa-json', projectId: TEST_PROJECT, locationId: TEST_LOCATION, keyRingId: 'sa-ring', endpoint: emu.endpoint, credentialsJson: content, timeoutMs: 5_000 });
    try {
      const key = await p.createKey({ name: 'sa-json-key', spec: 'AES_256', usage: 'encrypt' });
      const { ciphertext } = await p.encrypt(key.keyRef, Buffer.from('from the picked file'), Buffer.from('aad'));
      expect((await p.decrypt(key.keyRef, ciphertext, Buffer.from('aad'))).plaintext.toString()).toBe('from the picked file');
    } finally {
      await p.close();
    }
    const stranger = createGcpKmsProvider({ id: 'gcp-sa-json2', projectId: TEST_PROJECT, locationId: TEST_LOCATION, keyRingId: 'sa-ring', endpoint: emu.endpoint, credentialsJson: fs.readFileSync(fx.unknown.file, 'utf8'), timeoutMs: 5_000 });
    try {
      expect((await providerFailure(stranger.describeKey('sa-json-key'))).kind).toBe('AccessDenied');
    } finally {
      await stranger.close();
    }
  });

  it('sent nothing off loopback: no token exchange, no metadata server', () => {
    expect(remotes.length).toBeGreaterThan(0);
    for (const r of remotes) expect(r).toMatch(/^127\.0\.0\.1$|->127\.0\.0\.1$/);
  });
});
