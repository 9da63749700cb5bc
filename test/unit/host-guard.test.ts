// The browser host's access rules as pure functions (docs/security.md, "Browser host security model"): Host must be
// 127.0.0.1:PORT or localhost:PORT (else 421), an Origin, when present, http:// one of those (else 403), then the
// per-launch token in ?token= or the ecps_token cookie (else 401). The expected verdicts are written out here.
import { describe, expect, it } from 'vitest';
import {
  allowedHosts, allowedOrigins, checkAccess, cookieValue, newAccessToken, tokenCookie, tokensEqual, TOKEN_COOKIE, UNAUTHORIZED_BODY,
  type GuardSubject,
} from '../../electron/host/hostGuard.ts';

const PORT = 41234;
const TOKEN = 'q5Xr0-Tm3c_9s8D7fYbA1kL2pO4iU6yT5rE3wQ1aZ0x';
const subject = (over: Partial<GuardSubject> = {}): GuardSubject => ({ host: `127.0.0.1:${PORT}`, origin: undefined, cookie: undefined, queryToken: null, ...over });

describe('host guard: access token', () => {
  it('a new token is 32 random bytes in base64url, different every launch', () => {
    const a = newAccessToken();
    const b = newAccessToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(a).not.toBe(b);
  });

  it('compares tokens exactly: equal strings only, non-strings never', () => {
    expect(tokensEqual(TOKEN, TOKEN)).toBe(true);
    expect(tokensEqual('é', 'é')).toBe(true);
    for (const other of [TOKEN.slice(1), `${TOKEN} `, TOKEN.toLowerCase(), '', 'é'.normalize('NFD')]) expect(tokensEqual(other, TOKEN), other).toBe(false);
    expect(tokensEqual(null, TOKEN)).toBe(false);
    expect(tokensEqual(undefined, TOKEN)).toBe(false);
    expect(tokensEqual(undefined, 'undefined')).toBe(false);
    expect(tokensEqual(null, 'null')).toBe(false);
  });

  it('the cookie it sets is HttpOnly, SameSite=Strict, for the whole site', () => {
    expect(TOKEN_COOKIE).toBe('ecps_token');
    expect(tokenCookie(TOKEN)).toBe(`ecps_token=${TOKEN}; HttpOnly; SameSite=Strict; Path=/`);
  });
});

describe('host guard: cookie parsing', () => {
  it.each([
    ['ecps_token=abc', 'abc'],
    ['a=1; ecps_token=abc; b=2', 'abc'],
    ['a=1;ecps_token=abc', 'abc'],
    ['  ecps_token = abc  ; b=2', 'abc'],
    ['ecps_token=a=b', 'a=b'],
    ['ecps_token=', ''],
    ['flag; ecps_token=abc', 'abc'],
  ])('%j -> %j', (header, value) => {
    expect(cookieValue(header, 'ecps_token')).toBe(value);
  });

  it.each([
    [undefined], [''], ['xecps_token=abc'], ['ecps_tokenx=abc'], ['ecps_token'], ['ecps_tokenX'], ['ecps_token_=abc'], ['other=ecps_token'],
  ])('%j has no ecps_token cookie', (header) => {
    expect(cookieValue(header, 'ecps_token')).toBeNull();
  });

  it('takes the first cookie of that name', () => {
    expect(cookieValue('ecps_token=first; ecps_token=second', 'ecps_token')).toBe('first');
  });
});

describe('host guard: Host, Origin, then token', () => {
  it('allows exactly the loopback names with this port', () => {
    expect(allowedHosts(PORT)).toEqual([`127.0.0.1:${PORT}`, `localhost:${PORT}`]);
    expect(allowedOrigins(PORT)).toEqual([`http://127.0.0.1:${PORT}`, `http://localhost:${PORT}`]);
  });

  it.each([
    [`127.0.0.1:${PORT}`], [`localhost:${PORT}`], [`LOCALHOST:${PORT}`], [`LocalHost:${PORT}`],
  ])('Host %s with the token is let in', (host) => {
    expect(checkAccess(subject({ host, queryToken: TOKEN }), PORT, TOKEN)).toEqual({ ok: true, via: 'query' });
  });

  it.each([
    [undefined], [''], ['127.0.0.1'], ['localhost'], [`127.0.0.1:${PORT + 1}`], [`evil.example:${PORT}`], [`localhost.evil.example:${PORT}`],
    [`[::1]:${PORT}`], [`0.0.0.0:${PORT}`], [`127.0.0.2:${PORT}`], [` 127.0.0.1:${PORT}`],
  ])('Host %j is refused with 421, even with the right token', (host) => {
    const verdict = checkAccess(subject({ host, queryToken: TOKEN, cookie: `ecps_token=${TOKEN}` }), PORT, TOKEN);
    expect(verdict).toMatchObject({ ok: false, status: 421 });
    expect(verdict.ok === false && verdict.reason).toMatch(/Host/);
  });

  it.each([[`http://127.0.0.1:${PORT}`], [`http://localhost:${PORT}`], [`HTTP://LOCALHOST:${PORT}`]])('Origin %s is same-origin', (origin) => {
    expect(checkAccess(subject({ origin, cookie: `ecps_token=${TOKEN}` }), PORT, TOKEN)).toEqual({ ok: true, via: 'cookie' });
  });

  it.each([
    ['https://evil.example'], ['null'], [''], [`https://127.0.0.1:${PORT}`], [`http://127.0.0.1:${PORT + 1}`], [`http://localhost:${PORT}.evil.example`],
    ['file://'], [`127.0.0.1:${PORT}`],
  ])('Origin %j is refused with 403, even with the right token', (origin) => {
    const verdict = checkAccess(subject({ origin, queryToken: TOKEN, cookie: `ecps_token=${TOKEN}` }), PORT, TOKEN);
    expect(verdict).toMatchObject({ ok: false, status: 403 });
    expect(verdict.ok === false && verdict.reason).toMatch(/Origin/);
  });

  it('checks Host before Origin', () => {
    expect(checkAccess(subject({ host: 'evil.example', origin: 'https://evil.example' }), PORT, TOKEN)).toMatchObject({ status: 421 });
  });

  it('takes the token from ?token= first, else from the ecps_token cookie', () => {
    expect(checkAccess(subject({ queryToken: TOKEN }), PORT, TOKEN)).toEqual({ ok: true, via: 'query' });
    expect(checkAccess(subject({ cookie: `ecps_token=${TOKEN}` }), PORT, TOKEN)).toEqual({ ok: true, via: 'cookie' });
    expect(checkAccess(subject({ queryToken: TOKEN, cookie: `ecps_token=${TOKEN}` }), PORT, TOKEN)).toEqual({ ok: true, via: 'query' });
    expect(checkAccess(subject({ queryToken: 'wrong', cookie: `ecps_token=${TOKEN}` }), PORT, TOKEN)).toEqual({ ok: true, via: 'cookie' });
  });

  it.each([
    ['no token at all', {}],
    ['a wrong query token', { queryToken: `${TOKEN}x` }],
    ['a wrong cookie', { cookie: `ecps_token=${TOKEN.slice(0, -1)}` }],
    ['the token under another cookie name', { cookie: `other=${TOKEN}` }],
    ['an empty query token', { queryToken: '' }],
  ] as Array<[string, Partial<GuardSubject>]>)('%s is refused with 401 and the fixed message', (_what, over) => {
    expect(checkAccess(subject(over), PORT, TOKEN)).toEqual({ ok: false, status: 401, reason: 'ECPS console: missing or wrong access token' });
    expect(UNAUTHORIZED_BODY).toBe('ECPS console: missing or wrong access token');
  });
});
