// Provider client libraries load when a provider of their kind is built (electron/providers/loadLibrary.ts): a console
// with only local keys starts without them, and a library that cannot be loaded is a typed error on the provider's calls.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadLibrary } from '../../electron/providers/loadLibrary.ts';
import { ProviderError } from '../../electron/providers/types.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// The packages of the remote providers' clients (published names, see package.json).
const CLIENT_LIBRARIES = ['@aws-sdk/client-kms', '@azure/identity', '@azure/keyvault-keys', '@google-cloud/kms', '@grpc/grpc-js', 'node-vault'];

// A fresh Node process (this worker's module cache is shared with other code) records every module it resolves.
const CHILD = `
import { registerHooks } from 'node:module';
const seen = new Set();
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(r.url); if (m) seen.add(m[1]); return r; } });
// The modules the entry points load: electron/cli.ts and cli-bin.js (the CLI and \`serve\`, whose browser host it imports)
// and app.ts (main.ts's shell builds the console through it; the bundled main.cjs is checked in electron-bundle.test.ts).
await import('./electron/ipc/cli/runCli.ts');
const { createConsole } = await import('./electron/app.ts');
const { silentLogger } = await import('./electron/logger.ts');
const c = await createConsole({ dataDir: process.env.DATA, kdf: { N: 1024, r: 8, p: 1 }, logger: silentLogger, env: {} });
const ctx = { transport: 'test' };
await c.handlers['session:init']({ operator: 'alice', passphrase: 'lazy libraries 0123' }, ctx);
const key = await c.handlers['keys:create']({ type: 'storage', label: 'local only' }, ctx);
await c.handlers['keys:encrypt']({ keyId: key.id, plaintext: Buffer.from('x') }, ctx);
c.close();
const localOnly = [...seen];
const { createAwsKmsProvider } = await import('./electron/providers/aws/awsKmsProvider.ts');
const aws = createAwsKmsProvider({ id: 'aws-lazy', region: 'eu-west-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'AKIDLAZY', secretAccessKey: 'lazy' }, timeoutMs: 2000 });
await aws.describeKey('alias/ecps/nothing').catch(() => undefined);
await aws.close();
console.log(JSON.stringify({ localOnly, afterAws: [...seen] }));
`;

describe('provider client libraries load on demand', () => {
  it('the CLI and a console with only local keys load none of them; building an AWS provider loads the AWS client', () => {
    const data = mkdtempSync(join(tmpdir(), 'ecps-lazy-'));
    try {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD], { cwd: ROOT, env: { PATH: process.env.PATH, DATA: data }, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const { localOnly, afterAws } = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { localOnly: string[]; afterAws: string[] };
      // The recording works: the console's own libraries are in it.
      expect(localOnly).toEqual(expect.arrayContaining(['better-sqlite3', 'zod']));
      expect(localOnly.filter((p) => CLIENT_LIBRARIES.includes(p))).toEqual([]);
      expect(afterAws).toContain('@aws-sdk/client-kms');
      expect(afterAws.filter((p) => CLIENT_LIBRARIES.includes(p) && p !== '@aws-sdk/client-kms')).toEqual([]);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });

  it('a library that cannot be loaded fails every call with a typed, non-retryable Unavailable naming it', async () => {
    const missing = './no-such-client-library.ts'; // a real import that fails, as a broken install would
    const library = loadLibrary('aws-broken', 'Example KMS', () => import(missing));
    for (let i = 0; i < 2; i++) {
      const e = await library().then(() => null, (x: unknown) => x);
      expect(e).toBeInstanceOf(ProviderError);
      expect(e).toMatchObject({ kind: 'Unavailable', retryable: false, providerId: 'aws-broken', providerCode: 'LibraryNotLoaded' });
      expect((e as Error).message).toMatch(/^The Example KMS client library could not be loaded: /);
    }
  });

  it('a failed load nobody waited for is not an unhandled rejection', async () => {
    // Vitest fails the run on an unhandled rejection; this load fails while no call waits for it.
    loadLibrary('vault-broken', 'Example Vault', () => Promise.reject(new Error('no such module')));
    await new Promise((resolve) => setImmediate(resolve));
  });
});
