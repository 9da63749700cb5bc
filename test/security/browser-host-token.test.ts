// Checklist: token on the browser host. Missing, wrong and right tokens; the cookie flow; constant-time compare.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkAccess, cookieValue, tokensEqual } from '../../electron/host/hostGuard.ts';
import { cookieFor, openSocket, rawRequest, startHostKit, type HostKit } from './hostKit.ts';

// Spy on the real timingSafeEqual to prove the host compares tokens with it.
const spies = vi.hoisted(() => ({ timingSafeEqual: null as unknown as ReturnType<typeof vi.fn> }));
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  spies.timingSafeEqual = vi.fn(real.timingSafeEqual);
  return { ...real, default: { ...real, timingSafeEqual: spies.timingSafeEqual }, timingSafeEqual: spies.timingSafeEqual };
});

const UNAUTHORIZED = 'ECPS console: missing or wrong access token';

describe('token on the browser host', () => {
  let kit: HostKit;
  beforeAll(async () => {
    kit = await startHostKit();
  });
  afterAll(async () => {
    await kit.close();
  });

  it('refuses a request without a token with 401 and the short plain-text message', async () => {
    for (const path of ['/', '/index.html', '/assets/app.js', '/nope', '/ws']) {
      const res = await rawRequest(kit.host.port, path);
      expect(res.status, path).toBe(401);
      expect(res.body, path).toBe(UNAUTHORIZED);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    }
  });

  it('refuses a wrong token in the query or the cookie, including near misses', async () => {
    const t = kit.host.token;
    const wrong = [t.slice(0, -1), `${t}x`, t.toUpperCase() === t ? t.toLowerCase() : t.toUpperCase(), '', 'null', `${t.slice(0, -1)}${t.endsWith('A') ? 'B' : 'A'}`];
    for (const w of wrong) {
      expect((await rawRequest(kit.host.port, `/?token=${encodeURIComponent(w)}`)).status, w).toBe(401);
      expect((await rawRequest(kit.host.port, '/', { headers: { cookie: `ecps_token=${w}` } })).status, w).toBe(401);
    }
    expect((await rawRequest(kit.host.port, '/', { headers: { cookie: `other=${t}` } })).status).toBe(401);
  });

  it('trades the right token in the URL for an HttpOnly SameSite=Strict cookie and a redirect to /', async () => {
    const res = await rawRequest(kit.host.port, `/?token=${kit.host.token}`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    expect(res.headers['set-cookie']).toEqual([`ecps_token=${kit.host.token}; HttpOnly; SameSite=Strict; Path=/`]);
    const cookie = res.headers['set-cookie']![0]!.split(';')[0]!;
    const page = await rawRequest(kit.host.port, '/', { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>ECPS</title>');
  });

  it('accepts the right token in ?token= on any file, and finds the cookie among others', async () => {
    expect((await rawRequest(kit.host.port, `/assets/app.js?token=${kit.host.token}`)).status).toBe(200);
    const mixed = await rawRequest(kit.host.port, '/assets/app.css', { headers: { cookie: `theme=dark; ecps_token=${kit.host.token}; x=1` } });
    expect(mixed.status).toBe(200);
  });

  it('requires the token on the socket too', async () => {
    const url = `ws://127.0.0.1:${kit.host.port}/ws`;
    expect(await openSocket(url, {})).toMatchObject({ refused: 401, body: UNAUTHORIZED });
    expect(await openSocket(url, { cookie: 'ecps_token=wrong' })).toMatchObject({ refused: 401 });
    const byCookie = await openSocket(url, cookieFor(kit.host));
    expect('ws' in byCookie).toBe(true);
    if ('ws' in byCookie) byCookie.ws.close();
    const byQuery = await openSocket(`${url}?token=${kit.host.token}`, {});
    expect('ws' in byQuery).toBe(true);
    if ('ws' in byQuery) byQuery.ws.close();
  });

  it('compares tokens with crypto.timingSafeEqual, on equal-length digests', async () => {
    spies.timingSafeEqual.mockClear();
    await rawRequest(kit.host.port, '/', { headers: { cookie: 'ecps_token=short' } });
    expect(spies.timingSafeEqual).toHaveBeenCalled();
    for (const [a, b] of spies.timingSafeEqual.mock.calls as Array<[Buffer, Buffer]>) expect(a.length).toBe(b.length);
    expect(tokensEqual('abc', 'abc')).toBe(true);
    expect(tokensEqual('abc', 'abcd')).toBe(false);
    expect(tokensEqual(undefined, 'abc')).toBe(false);
    expect(tokensEqual(null, 'abc')).toBe(false);
  });

  it('parses cookies strictly by name', () => {
    expect(cookieValue('a=1; ecps_token=xyz; b=2', 'ecps_token')).toBe('xyz');
    expect(cookieValue('xecps_token=xyz', 'ecps_token')).toBeNull();
    expect(cookieValue(undefined, 'ecps_token')).toBeNull();
    expect(checkAccess({ host: '127.0.0.1:1', origin: undefined, cookie: 'ecps_token=t', queryToken: null }, 1, 't')).toEqual({ ok: true, via: 'cookie' });
  });
});
