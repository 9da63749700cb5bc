// Checklist: path traversal refused. Requests carry the right token; they still reach nothing outside dist/renderer.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupStatic } from '../../electron/host/staticFiles.ts';
import { cookieFor, rawRequest, startHostKit, type HostKit } from './hostKit.ts';
import { startShellKit, type ShellKit } from './shellKit.ts';

const SECRET_TEXT = 'TOP-SECRET-OUTSIDE-THE-RENDERER';

describe('path traversal refused', () => {
  let kit: HostKit;
  beforeAll(async () => {
    kit = await startHostKit();
    writeFileSync(join(kit.dir, 'secret.txt'), SECRET_TEXT);
    symlinkSync(join(kit.dir, 'secret.txt'), join(kit.rendererDir, 'link.txt'));
    symlinkSync(kit.dir, join(kit.rendererDir, 'up'));
    writeFileSync(join(kit.rendererDir, '.env'), SECRET_TEXT);
    mkdirSync(join(kit.rendererDir, 'empty'));
  });
  afterAll(async () => {
    await kit.close();
  });

  it('never serves a file outside the renderer folder, however the path is spelled', async () => {
    const paths = [
      '/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E%2Fsecret.txt', '/assets%2f..%2f..%2fsecret.txt',
      '/..%5csecret.txt', '/%5c..%5csecret.txt', '/link.txt', '/up/secret.txt', '/.env', '/assets/%00app.js', '/%c0%ae%c0%ae/secret.txt',
      '//etc/passwd', '/etc/passwd', `/${kit.dir}/secret.txt`,
    ];
    for (const path of paths) {
      const res = await rawRequest(kit.host.port, path, { headers: cookieFor(kit.host) });
      expect([400, 404], `${path} -> ${res.status}`).toContain(res.status);
      expect(res.body, path).not.toContain(SECRET_TEXT);
    }
  });

  it('lists no directory', async () => {
    for (const path of ['/assets', '/assets/', '/empty/']) {
      const res = await rawRequest(kit.host.port, path, { headers: cookieFor(kit.host) });
      expect(res.status, path).toBe(404);
      expect(res.body).not.toContain('app.js');
    }
  });

  it('resolves only regular files inside the root (the same lookup serves app:// in Electron)', async () => {
    expect(await lookupStatic(kit.rendererDir, '/assets/app.js')).toMatchObject({ kind: 'file', contentType: 'text/javascript; charset=utf-8' });
    expect(await lookupStatic(kit.rendererDir, '/')).toMatchObject({ kind: 'file' });
    expect(await lookupStatic(kit.rendererDir, '/link.txt')).toEqual({ kind: 'not_found' });
    expect(await lookupStatic(kit.rendererDir, '/%E0%A4%A')).toEqual({ kind: 'bad_request' });
    expect(await lookupStatic(join(kit.dir, 'nowhere'), '/')).toEqual({ kind: 'not_built' });
  });
});

describe('path traversal refused on app:// in Electron', () => {
  let shell: ShellKit;
  beforeAll(async () => {
    shell = await startShellKit();
    writeFileSync(join(shell.dir, 'secret.txt'), SECRET_TEXT);
    symlinkSync(join(shell.dir, 'secret.txt'), join(shell.rendererDir, 'link.txt'));
  });
  afterAll(() => shell.close());

  it('the handler the shell installs serves nothing outside the renderer folder', async () => {
    const handler = shell.protocol.handlers.get('app')!;
    for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/..%5csecret.txt', '/link.txt', `/${shell.dir}/secret.txt`]) {
      const res = await handler({ url: `app://console${path}`, method: 'GET' });
      expect([400, 404], `${path} -> ${res.status}`).toContain(res.status);
      expect(await res.text(), path).not.toContain(SECRET_TEXT);
    }
    expect((await handler({ url: 'app://console/assets/app.js', method: 'GET' })).status).toBe(200);
  });
});
