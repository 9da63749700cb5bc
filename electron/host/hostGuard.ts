// Access control of the browser host: a random per-launch token (cookie or ?token=), compared in constant time,
// plus Host (DNS-rebinding guard) and Origin checks. Pure functions over header values, shared by HTTP and the
// WebSocket upgrade.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_COOKIE = 'ecps_token';
export const UNAUTHORIZED_BODY = 'ECPS console: missing or wrong access token';

export function newAccessToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison; hashing first makes the lengths equal so the length does not leak either. */
export function tokensEqual(presented: string | null | undefined, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export interface GuardSubject {
  host: string | undefined;
  origin: string | undefined;
  cookie: string | undefined;
  /** The ?token= query value, if any. */
  queryToken: string | null;
}

export type GuardVerdict =
  | { ok: true; via: 'cookie' | 'query' }
  | { ok: false; status: 401 | 403 | 421; reason: string };

export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

export function allowedOrigins(port: number): string[] {
  return allowedHosts(port).map((h) => `http://${h}`);
}

export function checkAccess(subject: GuardSubject, port: number, token: string): GuardVerdict {
  if (subject.host === undefined || !allowedHosts(port).includes(subject.host.toLowerCase())) {
    return { ok: false, status: 421, reason: 'ECPS console: wrong Host header (only 127.0.0.1 or localhost with this port)' };
  }
  if (subject.origin !== undefined && !allowedOrigins(port).includes(subject.origin.toLowerCase())) {
    return { ok: false, status: 403, reason: 'ECPS console: foreign Origin refused' };
  }
  if (tokensEqual(subject.queryToken, token)) return { ok: true, via: 'query' };
  if (tokensEqual(cookieValue(subject.cookie, TOKEN_COOKIE), token)) return { ok: true, via: 'cookie' };
  return { ok: false, status: 401, reason: UNAUTHORIZED_BODY };
}

export function tokenCookie(token: string): string {
  return `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}
