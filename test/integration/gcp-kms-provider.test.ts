// The Cloud KMS adapter built from the console's configuration dictionary, its option validation, and credentials
// problems surfacing as typed errors. Everything stays on 127.0.0.1.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import type { Logger } from '../../electron/logger.ts';
import { parseProviderConfig } from '../../electron/providers/config/parseProviderConfig.ts';
import { createGcpKmsProvider, createGcpProviderFromConfig } from '../../electron/providers/gcp/fromConfig.ts';
import { isProviderError } from '../../electron/providers/types.ts';
import type { GcpKmsEmulator } from '../emulators/gcp-kms/index.ts';
import { startTestEmulator, TEST_LOCATION, TEST_PROJECT } from '../emulators/gcp-kms/testkit.ts';
import { providerFailure } from './conformance/suite.ts';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const rec = (m: string, f?: Record<string, unknown>) => void lines.push(JSON.stringify({ m, f }));
  return { lines, info: rec, warn: rec, error: rec };
}

function thrown(f: () => unknown): { kind: string; message: string } | null {
  try {
    f();
    return null;
  } catch (e) {
    return isProviderError(e) ? { kind: e.kind, message: e.message } : { kind: 'other', message: String(e) };
  }
}

let emu: GcpKmsEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(async () => {
  await emu.close();
});

describe('createGcpProviderFromConfig', () => {
  it('builds a working adapter from the specification dictionary; the key ring is created with the first key', async () => {
    const config = parseProviderConfig({ provider: 'google_cloud_kms', id: 'gcp-main', project_id: TEST_PROJECT, location_id: TEST_LOCATION, key_ring_id: 'from-config', endpoint: emu.endpoint });
    const logger = recordingLogger();
    const p = createGcpProviderFromConfig(config, { clock: manualClock(), logger });
    try {
      expect(p).toMatchObject({ id: 'gcp-main', kind: 'google_cloud_kms' });
      expect(await p.health()).toMatchObject({ ok: true, detail: 'key ring not created yet' });
      expect(await p.listKeys()).toEqual({ items: [], nextPageToken: null });
      const key = await p.createKey({ name: 'first', spec: 'AES_256', usage: 'encrypt' });
      expect(key.keyRef).toBe(`projects/${TEST_PROJECT}/locations/${TEST_LOCATION}/keyRings/from-config/cryptoKeys/first`);
      const { ciphertext } = await p.encrypt('first', Buffer.from('by bare id'));
      expect((await p.decrypt(key.keyRef, ciphertext)).plaintext.toString()).toBe('by bare id');
      expect(await p.health()).toMatchObject({ ok: true, detail: null });
      expect((await p.listKeys()).items.map((k) => k.name)).toEqual(['first']);
      expect(await providerFailure(p.createKey({ name: 'first', spec: 'AES_256', usage: 'encrypt' }))).toMatchObject({ kind: 'InvalidInput', providerCode: 'ALREADY_EXISTS' });
      expect(logger.lines.join('\n')).toContain('from-config');
    } finally {
      await p.close();
    }
  });

  it('refuses a configuration of another kind', () => {
    const aws = parseProviderConfig({ provider: 'aws_kms', region: 'eu-west-1' });
    expect(thrown(() => createGcpProviderFromConfig(aws, { clock: manualClock(), logger: recordingLogger() }))?.kind).toBe('InvalidInput');
  });
});

describe('createGcpKmsProvider options', () => {
  const base = { id: 'g', projectId: TEST_PROJECT, keyRingId: 'r' };
  it.each([
    [{ projectId: 'Bad_Project' }, /projectId/],
    [{ locationId: 'Europe West' }, /locationId/],
    [{ keyRingId: 'has/slash' }, /keyRingId/],
    [{ destroyScheduledDays: 0 }, /destroyScheduledDays/],
    [{ endpoint: 'http://kms.example.com:8080' }, /http only for 127\.0\.0\.1/],
    [{ endpoint: 'https://user:pw@cloudkms.googleapis.com' }, /without credentials/],
    [{ endpoint: 'not a url' }, /endpoint must be a URL/],
  ])('refuses %j', (extra, message) => {
    const f = thrown(() => createGcpKmsProvider({ ...base, ...extra }));
    expect(f?.kind).toBe('InvalidInput');
    expect(f?.message).toMatch(message);
  });

  it('refuses malformed key references and names before any call', async () => {
    const p = createGcpKmsProvider({ ...base, endpoint: emu.endpoint });
    try {
      const before = emu.faults.requestCount;
      expect((await providerFailure(p.encrypt('projects/x/cryptoKeys/y', Buffer.from('x')))).kind).toBe('InvalidInput');
      expect((await providerFailure(p.createKey({ name: 'x'.repeat(64), spec: 'AES_256', usage: 'encrypt' }))).kind).toBe('InvalidInput');
      expect((await providerFailure(p.createKey({ name: 'k', spec: 'RSA_2048', usage: 'encrypt' }))).kind).toBe('InvalidInput');
      expect((await providerFailure(p.listKeys({ pageSize: 0 }))).kind).toBe('InvalidInput');
      expect(emu.faults.requestCount).toBe(before);
    } finally {
      await p.close();
    }
  });

  it('checks credentials_path when the provider is built: unreadable or not a Google credentials file is InvalidInput', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecps-gcp-'));
    try {
      const garbage = path.join(dir, 'garbage.json');
      fs.writeFileSync(garbage, '{"private_key": "-----BEGIN PRIVATE KEY-----secret"');
      const notGoogle = path.join(dir, 'other.json');
      fs.writeFileSync(notGoogle, JSON.stringify({ type: 'aws', secret: 'do-not-echo' }));
      const noKey = path.join(dir, 'sa.json');
      fs.writeFileSync(noKey, JSON.stringify({ type: 'service_account', client_email: 'console@p.iam.gserviceaccount.com' }));
      for (const [file, why] of [[path.join(dir, 'missing.json'), /cannot be read \(ENOENT\)/], [garbage, /is not JSON/], [notGoogle, /is not a Google credentials file/], [noKey, /without client_email or private_key/]] as const) {
        const f = thrown(() => createGcpKmsProvider({ ...base, credentialsPath: file }));
        expect(f?.kind).toBe('InvalidInput');
        expect(f?.message).toMatch(why);
        expect(f?.message).not.toMatch(/secret|do-not-echo|BEGIN/);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
