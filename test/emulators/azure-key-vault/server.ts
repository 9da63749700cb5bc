// An in-memory Azure Key Vault (keys only) for tests, over HTTPS on 127.0.0.1 with a certificate from a per-run test
// CA. It also serves the Microsoft Entra endpoints a client-secret credential uses (OpenID configuration and the v2.0
// token endpoint), so nothing leaves loopback. Vault requests follow the service: api-version required, the bearer
// challenge (401 + WWW-Authenticate) before a token, then token checks, {"error": {"code", "message"}} bodies with
// x-ms-request-id, soft delete with a retention window, and the shared fault controls. Every Key Vault answer is
// checked against the response schemas written from the REST specification (kvSchemas.ts): an answer that drifts
// from them is replaced by a 500 EmulatorSchemaViolation and recorded, so a test fails instead of hiding the drift.
import crypto from 'node:crypto';
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { faultControls, newFaultState, nextFault, type FaultControls } from '../faults.ts';
import { KvError } from './kvErrors.ts';
import { serveKeys, type Body, type Route, type VaultState } from './kvHandlers.ts';
import { checkResponse, type SchemaCheck } from './kvSchemas.ts';

export interface AzureKeyVaultEmulatorOptions {
  tls: { certPem: string; keyPem: string };
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** The vault's soft-delete retention, 7-90 days (default 90). */
  retentionDays?: number;
  tokenLifetimeSeconds?: number;
  /** Milliseconds since the epoch (default Date.now): drives token expiry and purge dates. */
  now?: () => number;
  /** Behave as a Managed HSM: HSM key types only, oct-HSM keys with AES, resource https://managedhsm.azure.net. */
  managedHsm?: boolean;
  /** Check every Key Vault answer against the specification's schemas (default true). */
  checkResponses?: boolean;
  /** An empty version segment on a key operation (/keys/NAME//wrapkey): 'refuse' (default, as the specification requires the segment) or 'latest'. */
  emptyVersionSegment?: 'refuse' | 'latest';
  /** Test hook: rewrites an answer body before it is checked and sent (to prove the checker catches drift). */
  tamperResponse?: (operation: string | null, status: number, body: unknown) => unknown;
}

export interface SchemaLog {
  /** Every checked answer, in order. */
  readonly checks: readonly SchemaCheck[];
  /** The answers that did not conform (each was replaced by a 500 EmulatorSchemaViolation). */
  violations(): SchemaCheck[];
  clear(): void;
}

export interface AzureKeyVaultEmulator {
  /** The vault URL and, for the credential, the authority host (same origin). */
  vaultUrl: string;
  authorityHost: string;
  port: number;
  faults: FaultControls;
  schema: SchemaLog;
  /** Issues a valid access token directly (for raw-request tests). */
  issueToken(): string;
  /** Makes every issued token expire now. */
  expireTokens(): void;
  close(): Promise<void>;
}

export const SUPPORTED_API_VERSIONS = ['7.0', '7.1', '7.2', '7.3', '7.4', '7.5', '7.6', '2025-07-01'];

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'x-ms-request-id': crypto.randomUUID(),
    'x-ms-keyvault-service-version': '1.9.0.0-emulator',
    'cache-control': 'no-cache',
    ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    ...headers,
  });
  res.end(text);
}

const entraError = (res: http.ServerResponse, status: number, error: string, description: string) =>
  send(res, status, { error, error_description: description, error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)], timestamp: new Date().toISOString() });

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
};

export async function startAzureKeyVaultEmulator(options: AzureKeyVaultEmulatorOptions): Promise<AzureKeyVaultEmulator> {
  const retentionDays = options.retentionDays ?? 90;
  if (!Number.isInteger(retentionDays) || retentionDays < 7 || retentionDays > 90) throw new Error('retentionDays must be 7..90');
  const now = options.now ?? Date.now;
  const lifetime = options.tokenLifetimeSeconds ?? 3600;
  const resource = options.managedHsm ? 'https://managedhsm.azure.net' : 'https://vault.azure.net';
  const scope = `${resource}/.default`;
  const faults = newFaultState();
  const tokens = new Map<string, number>(); // token -> expiry (ms)
  let base = '';
  const state: VaultState = {
    keys: new Map(),
    deleted: new Map(),
    retentionDays,
    now,
    base: '',
    managedHsm: options.managedHsm ?? false,
    emptyVersionSegment: options.emptyVersionSegment ?? 'refuse',
  };
  const checks: SchemaCheck[] = [];
  const checking = options.checkResponses ?? true;

  /** Sends a Key Vault answer after the schema check; a non-conforming answer becomes a loud 500. */
  function answer(res: http.ServerResponse, route: Route, status: number, raw: unknown, headers: Record<string, string> = {}): void {
    const body = options.tamperResponse ? options.tamperResponse(route.operation, status, raw) : raw;
    if (!checking) return send(res, status, body, headers);
    const check = checkResponse(route.operation, status, body);
    checks.push(check);
    if (check.conformed) return send(res, status, body, headers);
    send(res, 500, { error: { code: 'EmulatorSchemaViolation', message: `The emulator's ${route.operation ?? 'error'} answer (${status}) does not conform to the Key Vault REST specification: ${check.problems.join('; ')}` } });
  }
  const kvError = (res: http.ServerResponse, route: Route, e: KvError) => answer(res, route, e.status, e.body(), e.headers);

  const issueToken = () => {
    const token = crypto.randomBytes(32).toString('base64url');
    tokens.set(token, now() + lifetime * 1000);
    return token;
  };

  const challenge = () => ({ 'www-authenticate': `Bearer authorization="${base}/${options.tenantId}", resource="${resource}"` });

  function openIdConfiguration(res: http.ServerResponse, tenant: string): void {
    if (tenant !== options.tenantId) return entraError(res, 400, 'invalid_tenant', `AADSTS90002: Tenant '${tenant}' not found.`);
    const t = `${base}/${tenant}`;
    send(res, 200, {
      token_endpoint: `${t}/oauth2/v2.0/token`,
      authorization_endpoint: `${t}/oauth2/v2.0/authorize`,
      end_session_endpoint: `${t}/oauth2/v2.0/logout`,
      issuer: `${t}/v2.0`,
      jwks_uri: `${t}/discovery/v2.0/keys`,
      response_types_supported: ['code', 'id_token', 'token'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    });
  }

  async function tokenEndpoint(req: http.IncomingMessage, res: http.ServerResponse, tenant: string): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    if (req.method !== 'POST') return entraError(res, 405, 'invalid_request', 'AADSTS900561: The endpoint only accepts POST requests.');
    if (tenant !== options.tenantId) return entraError(res, 400, 'invalid_request', `AADSTS90002: Tenant '${tenant}' not found.`);
    if (form.get('grant_type') !== 'client_credentials') return entraError(res, 400, 'unsupported_grant_type', 'AADSTS70003: The app requested an unsupported grant type.');
    if (form.get('client_id') !== options.clientId)
      return entraError(res, 400, 'unauthorized_client', `AADSTS700016: Application with identifier '${form.get('client_id') ?? ''}' was not found in the directory.`);
    if (!sameSecret(form.get('client_secret') ?? '', options.clientSecret)) return entraError(res, 401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
    if (form.get('scope') !== scope) return entraError(res, 400, 'invalid_scope', `AADSTS70011: The provided value for scope ${form.get('scope') ?? ''} is not valid.`);
    send(res, 200, { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: issueToken() });
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, route: Route): Promise<void> {
    const fault = nextFault(faults);
    if (fault === 'drop') {
      req.socket.destroy();
      return;
    }
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    if (fault === 'throttle') {
      await readBody(req);
      return kvError(res, route, new KvError(429, 'Throttled', 'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached', { 'retry-after': '1' }));
    }
    if (fault === 'fail') {
      await readBody(req);
      const status = faults.failStatus;
      return kvError(res, route, new KvError(status, status === 503 ? 'ServiceUnavailable' : 'InternalServerError', status === 503 ? 'The service is temporarily unavailable.' : 'An internal server error occurred.'));
    }
    const url = new URL(req.url ?? '/', base);
    const seg = url.pathname.split('/').slice(1).map((s) => decodeURIComponent(s));
    if (seg.length === 4 && seg[1] === 'v2.0' && seg[2] === '.well-known' && seg[3] === 'openid-configuration') return openIdConfiguration(res, seg[0]!);
    if (seg.length === 4 && seg[1] === 'oauth2' && seg[2] === 'v2.0' && seg[3] === 'token') return tokenEndpoint(req, res, seg[0]!);

    const raw = await readBody(req);
    const apiVersion = url.searchParams.get('api-version');
    if (apiVersion === null) throw new KvError(400, 'BadParameter', 'The api-version query parameter is required.');
    if (!SUPPORTED_API_VERSIONS.includes(apiVersion))
      throw new KvError(400, 'BadParameter', `The specified version (${apiVersion}) is not recognized. Consider using the latest supported version (2025-07-01).`);
    const auth = req.headers.authorization;
    if (auth === undefined) throw new KvError(401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.', challenge());
    const token = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(auth)?.[1];
    const expiry = token === undefined ? undefined : tokens.get(token);
    if (expiry === undefined) throw new KvError(401, 'Unauthorized', 'AKV10032: Invalid token: the token was not issued for this vault.', challenge());
    if (expiry <= now()) throw new KvError(401, 'Unauthorized', 'AKV10022: Invalid token: the token is expired.', challenge());

    let body: Body = {};
    if (raw.length > 0) {
      try {
        const parsed: unknown = JSON.parse(raw);
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        body = parsed as Body;
      } catch {
        throw new KvError(400, 'BadParameter', 'The request body is not valid JSON.');
      }
    }
    // The SDK addresses the newest version as /keys/NAME/ (trailing slash): drop one empty final segment.
    const path = seg.length > 1 && seg[seg.length - 1] === '' ? seg.slice(0, -1) : seg;
    const served = serveKeys(state, req.method ?? '', path, url.searchParams, body, route);
    answer(res, route, served.status, served.body);
  }

  const server = https.createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, (req, res) => {
    const route: Route = { operation: null };
    handle(req, res, route).catch((e: unknown) => {
      if (e instanceof KvError) kvError(res, route, e);
      else kvError(res, route, new KvError(500, 'InternalServerError', 'An internal server error occurred.'));
    });
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  base = `https://127.0.0.1:${port}`;
  state.base = base;
  const controls = faultControls(faults, { down: stop, up: () => (server.listening ? Promise.resolve() : listen(port)) });
  return {
    vaultUrl: base,
    authorityHost: base,
    port,
    faults: controls,
    schema: {
      checks,
      violations: () => checks.filter((c) => !c.conformed),
      clear: () => void checks.splice(0),
    },
    issueToken,
    expireTokens: () => {
      for (const t of tokens.keys()) tokens.set(t, 0);
    },
    close: stop,
  };
}
