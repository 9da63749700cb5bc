// Checklist: Host and Origin checks on the browser host (DNS-rebinding guard and cross-site requests).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieFor, rawRequest, startHostKit, type HostKit } from './hostKit.ts';

describe('Host and Origin checks', () => {
  let kit: HostKit;
  beforeAll(async () => {
    kit = await startHostKit();
  });
  afterAll(async () => {
    await kit.close();
  });

  it('accepts Host 127.0.0.1:PORT and localhost:PORT', async () => {
    const { port } = kit.host;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      expect((await rawRequest(port, '/', { headers: { ...cookieFor(kit.host), host } })).status, host).toBe(200);
    }
  });

  it('refuses any other Host with 421, even with the right token', async () => {
    const { port } = kit.host;
    for (const host of ['evil.example', `evil.example:${port}`, '127.0.0.1', `127.0.0.1:${port + 1}`, `localhost.evil.example:${port}`, `[::1]:${port}`, `0.0.0.0:${port}`, `127.0.0.2:${port}`]) {
      const res = await rawRequest(port, `/?token=${kit.host.token}`, { headers: { host } });
      expect(res.status, host).toBe(421);
      expect(res.headers['set-cookie'], host).toBeUndefined();
    }
  });

  it('accepts a same-origin Origin header and refuses a foreign one with 403', async () => {
    const { port } = kit.host;
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
      expect((await rawRequest(port, '/', { headers: { ...cookieFor(kit.host), origin } })).status, origin).toBe(200);
    }
    for (const origin of ['https://evil.example', 'null', `https://127.0.0.1:${port}`, `http://127.0.0.1:${port + 1}`, `http://localhost:${port}.evil.example`, 'file://']) {
      const res = await rawRequest(port, '/', { headers: { ...cookieFor(kit.host), origin } });
      expect(res.status, origin).toBe(403);
    }
  });
});
