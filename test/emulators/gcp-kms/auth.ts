// Service-account authentication as Google's front end checks it for a self-signed JWT (what the client library
// sends for a service-account key file): "authorization: Bearer <JWT>", RS256-signed by the service account's key,
// iss = sub = the account's email, not expired, with a Cloud KMS scope. Anything else is UNAUTHENTICATED.
import crypto from 'node:crypto';
import { status as Status, type Metadata } from '@grpc/grpc-js';
import { RpcError } from './status.ts';

const SCOPES = ['https://www.googleapis.com/auth/cloudkms', 'https://www.googleapis.com/auth/cloud-platform'];

export function createJwtCheck(accounts: Readonly<Record<string, string>>, now: () => number) {
  const keys = new Map(Object.entries(accounts).map(([email, pem]) => [email, crypto.createPublicKey(pem)]));
  const deny = (why: string) => new RpcError(Status.UNAUTHENTICATED, `Request had invalid authentication credentials: ${why}.`);
  return function check(metadata: Metadata): string {
    const header = metadata.get('authorization')[0];
    if (typeof header !== 'string' || !header.startsWith('Bearer ')) throw deny('expected an OAuth 2 access token or a self-signed JWT');
    const parts = header.slice(7).split('.');
    if (parts.length !== 3) throw deny('malformed token');
    let head: { alg?: unknown };
    let claims: { iss?: unknown; sub?: unknown; exp?: unknown; iat?: unknown; scope?: unknown };
    try {
      head = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as typeof head;
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      throw deny('malformed token');
    }
    const key = typeof claims.iss === 'string' ? keys.get(claims.iss) : undefined;
    if (head.alg !== 'RS256' || !key || claims.sub !== claims.iss) throw deny('unknown issuer');
    const signed = crypto.verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2]!, 'base64url'));
    if (!signed) throw deny('bad signature');
    const t = now() / 1000;
    if (typeof claims.exp !== 'number' || claims.exp < t || typeof claims.iat !== 'number' || claims.iat > t + 300) throw deny('token expired or not yet valid');
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
    if (!scopes.some((s) => SCOPES.includes(s))) throw deny('token lacks a Cloud KMS scope');
    return claims.iss as string;
  };
}
