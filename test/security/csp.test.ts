// Checklist: CSP. The policy module's directives, and the header on every response of the browser host and of the
// app:// handler the Electron shell installs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserHostCsp, buildCsp, securityHeaders } from '../../electron/security/csp.ts';
import { cookieFor, rawRequest, startHostKit, type HostKit } from './hostKit.ts';
import { startShellKit, type ShellKit } from './shellKit.ts';

function directives(csp: string): Map<string, string[]> {
  return new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));
}

describe('CSP policy module', () => {
  it('allows only our own scripts and styles: no inline code, no eval, no plugins, no framing, no forms', () => {
    const d = directives(buildCsp());
    expect(d.get('default-src')).toEqual(["'self'"]);
    expect(d.get('script-src')).toEqual(["'self'"]);
    expect(d.get('style-src')).toEqual(["'self'"]);
    expect(d.get('img-src')).toEqual(["'self'", 'data:']);
    expect(d.get('object-src')).toEqual(["'none'"]);
    expect(d.get('base-uri')).toEqual(["'none'"]);
    expect(d.get('frame-ancestors')).toEqual(["'none'"]);
    expect(d.get('form-action')).toEqual(["'none'"]);
    expect(buildCsp()).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });

  it('lets the browser host page reach only its own socket', () => {
    const d = directives(browserHostCsp(41234));
    expect(d.get('connect-src')).toEqual(["'self'", 'ws://127.0.0.1:41234', 'ws://localhost:41234']);
  });

  it('comes with nosniff, no referrer and no caching', () => {
    expect(securityHeaders('x')).toMatchObject({
      'Content-Security-Policy': 'x',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    });
  });
});

describe('CSP on browser host responses', () => {
  let kit: HostKit;
  beforeAll(async () => {
    kit = await startHostKit();
  });
  afterAll(async () => {
    await kit.close();
  });

  it('is the exact policy of the protocol, with its port, on pages, assets, errors and refusals', async () => {
    const { port } = kit.host;
    const expected =
      `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}; ` +
      "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";
    const responses = [
      await rawRequest(port, '/', { headers: cookieFor(kit.host) }),
      await rawRequest(port, '/assets/app.js', { headers: cookieFor(kit.host) }),
      await rawRequest(port, '/missing.js', { headers: cookieFor(kit.host) }),
      await rawRequest(port, '/'),
      await rawRequest(port, `/?token=${kit.host.token}`),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 404, 401, 303]);
    for (const res of responses) {
      expect(res.headers['content-security-policy']).toBe(expected);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });
});

describe('CSP on app:// responses in Electron', () => {
  let shell: ShellKit;
  beforeAll(async () => {
    shell = await startShellKit();
  });
  afterAll(() => shell.close());

  it('is the exact policy, with the other security headers, on pages, assets, errors and refusals', async () => {
    const handler = shell.protocol.handlers.get('app');
    expect(handler).toBeDefined();
    const expected =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
      "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";
    const requests = [
      { url: 'app://console/index.html', method: 'GET' },
      { url: 'app://console/assets/app.js', method: 'GET' },
      { url: 'app://console/missing.js', method: 'GET' },
      { url: 'app://other/index.html', method: 'GET' },
      { url: 'app://console/index.html', method: 'POST' },
      { url: 'app://console/%2e%2e/secret.txt', method: 'GET' },
    ];
    const responses = await Promise.all(requests.map((r) => handler!(r)));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 404, 404, 405, 404]);
    for (const res of responses) {
      expect(res.headers.get('content-security-policy')).toBe(expected);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    }
    expect(await responses[0]!.text()).toContain('<title>ECPS</title>');
  });
});
