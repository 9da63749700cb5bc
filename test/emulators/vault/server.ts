// An in-memory HashiCorp Vault for tests: the transit secrets engine per namespace and mount, and sys/health, over
// real HTTP(S) on 127.0.0.1 with Vault's envelope, auth, namespace and error behaviour, plus the shared fault controls.
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { faultControls, newFaultState, nextFault, type FaultControls } from '../faults.ts';
import { createResponseChecker, type ResponseChecks } from '../schemaCheck.ts';
import { withResponseChecks } from './responseCheck.ts';
import { behaviourOf, type VaultServerProfile } from './serverProfile.ts';
import { VaultApiError, type Body } from './fields.ts';
import { newTransitMount, serveTransit, type Operation, type TransitMount } from './transitMount.ts';

export interface VaultEmulatorOptions {
  /** The one accepted token (a root token of the root namespace: valid in every namespace). */
  token: string;
  /** Child namespaces that exist besides the root namespace, e.g. ["fleet", "fleet/eu"]. */
  namespaces?: string[];
  /** Transit mounts present in every namespace (default ["transit"]). */
  mounts?: string[];
  /** Serve HTTPS with this certificate (it should carry SAN IP:127.0.0.1). */
  tls?: { certPem: string; keyPem: string };
  /** Vault's listener max_request_size (default 32 MiB); larger bodies get 413. */
  maxRequestBytes?: number;
  /** The Vault served (default MODERN_ENTERPRISE); an older one ignores what it did not yet know (serverProfile.ts). */
  server?: VaultServerProfile;
  /** Check every response against Vault's documented shapes (default true; responseSchemas.ts). */
  checkResponses?: boolean;
  /** Start in the pre-1.10 error behaviour (see setPre110DecryptFailures). */
  pre110DecryptFailures?: boolean;
}

export interface VaultEmulator {
  endpoint: string;
  port: number;
  faults: FaultControls;
  /** What the response-schema checks saw (counts per endpoint, violations). */
  responses: ResponseChecks;
  /**
   * Vault before 1.10 (hashicorp/vault #10842): a decrypt whose ciphertext or associated data fails authentication
   * answers 500 with Go's multierror text instead of 400. On: answer that way; off (default): as current Vault.
   */
  setPre110DecryptFailures(on: boolean): void;
  close(): Promise<void>;
}

const AUTH_FAILED = 'cipher: message authentication failed';

/** Vault < 1.10's answer to a failed GCM open: an internal error wrapped by go-multierror. */
function asPre110(e: VaultApiError): VaultApiError {
  if (e.status !== 400 || e.errors.length !== 1 || e.errors[0] !== AUTH_FAILED) return e;
  return new VaultApiError(500, `1 error occurred:\n\t* ${AUTH_FAILED}\n\n`);
}

const DEFAULT_MAX_REQUEST = 32 * 1024 * 1024;

function send(res: http.ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'Cache-Control': 'no-store', ...(text ? { 'Content-Type': 'application/json' } : {}), ...headers });
  res.end(text);
}

const sendErrors = (res: http.ServerResponse, status: number, errors: string[], headers?: Record<string, string>) => send(res, status, { errors }, headers);

function envelope(data: Record<string, unknown>, warnings?: string[]): Record<string, unknown> {
  return {
    request_id: crypto.randomUUID(),
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: warnings ?? null,
    auth: null,
    mount_type: 'transit',
  };
}

function operationOf(method: string, url: URL): Operation | null {
  switch (method) {
    case 'GET': {
      const list = url.searchParams.get('list');
      return list === 'true' || list === '1' ? 'list' : 'read';
    }
    case 'LIST':
      return 'list';
    case 'POST':
    case 'PUT':
      return 'update';
    case 'DELETE':
      return 'delete';
    default:
      return null;
  }
}

/** Reads the body; null when it passed the size limit (the rest is still drained so the client sees the answer). */
async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  return size > limit ? null : Buffer.concat(chunks);
}

export async function startVaultEmulator(options: VaultEmulatorOptions): Promise<VaultEmulator> {
  if (!options.token) throw new Error('startVaultEmulator: a token is required');
  const faults = newFaultState();
  let pre110 = options.pre110DecryptFailures ?? false;
  const maxRequest = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST;
  const mountNames = (options.mounts ?? ['transit']).map((m) => m.replace(/^\/+|\/+$/g, ''));
  const vault = behaviourOf(options.server);
  const namespaces = new Map<string, Map<string, TransitMount>>();
  for (const ns of ['', ...(options.namespaces ?? []).map((n) => n.replace(/^\/+|\/+$/g, ''))])
    namespaces.set(ns, new Map(mountNames.map((m) => [m, newTransitMount(vault)])));
  const clusterId = crypto.randomUUID();
  const tokenBytes = Buffer.from(options.token);

  const tokenMatches = (given: string | undefined): boolean => {
    if (!given) return false;
    const g = Buffer.from(given);
    return g.length === tokenBytes.length && crypto.timingSafeEqual(g, tokenBytes);
  };

  const health = (res: http.ServerResponse, head: boolean, sealed: boolean) => {
    const body = {
      initialized: true,
      sealed,
      standby: sealed,
      performance_standby: false,
      replication_performance_mode: 'disabled',
      replication_dr_mode: 'disabled',
      server_time_utc: Math.floor(Date.now() / 1000),
      version: vault.profile.version,
      cluster_name: 'vault-cluster-emulator',
      cluster_id: clusterId,
      ...(vault.healthReportsEnterprise ? { enterprise: vault.profile.enterprise } : {}),
    };
    send(res, sealed ? 503 : 200, head ? undefined : body);
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const fault = nextFault(faults);
    if (fault === 'drop') {
      req.socket.destroy();
      return;
    }
    const raw = await readBody(req, maxRequest);
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    const url = new URL(req.url ?? '/', 'http://vault.invalid');
    const path = url.pathname.replace(/^\/v1\//, '');
    const isHealth = url.pathname === '/v1/sys/health';
    if (fault === 'throttle') return sendErrors(res, 429, [`request path "${path}": rate limit quota exceeded`], { 'Retry-After': '1' });
    if (fault === 'fail') {
      if (isHealth && faults.failStatus === 503) return health(res, req.method === 'HEAD', true);
      return sendErrors(res, faults.failStatus, [faults.failStatus === 503 ? 'Vault is sealed' : 'internal error']);
    }
    if (raw === null) return sendErrors(res, 413, ['http: request body too large']);
    if (!url.pathname.startsWith('/v1/')) return send(res, 404, undefined);
    if (isHealth) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendErrors(res, 405, ['unsupported operation']);
      return health(res, req.method === 'HEAD', false);
    }

    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const tokenHeader = req.headers['x-vault-token'];
    if (!tokenMatches(typeof tokenHeader === 'string' ? tokenHeader : bearer)) return sendErrors(res, 403, ['permission denied']);
    const nsHeader = req.headers['x-vault-namespace'];
    // Community Vault has no namespaces: it ignores the header and serves the root namespace.
    const nsName = vault.namespaces ? (typeof nsHeader === 'string' ? nsHeader : '').replace(/^\/+|\/+$/g, '') : '';
    const mounts = namespaces.get(nsName === 'root' ? '' : nsName);
    if (!mounts) return sendErrors(res, 403, ['permission denied']);

    const op = operationOf(req.method ?? '', url);
    if (!op) return sendErrors(res, 405, ['unsupported operation']);
    let body: Body = {};
    if (raw.length > 0) {
      try {
        const parsed: unknown = JSON.parse(raw.toString('utf8'));
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('body is not a JSON object');
        body = parsed as Body;
      } catch (e) {
        return sendErrors(res, 400, [`failed to parse JSON input: ${(e as Error).message}`]);
      }
    }

    const segments = path.split('/').filter((s) => s.length > 0);
    const mountName = [...mounts.keys()]
      .sort((a, b) => b.length - a.length)
      .find((m) => path === m || path.startsWith(`${m}/`));
    if (!mountName) return sendErrors(res, 404, [`no handler for route "${path}". route entry not found.`]);
    const rest = segments.slice(mountName.split('/').length).map((s) => decodeURIComponent(s));
    const result = await serveTransit(mounts.get(mountName)!, op, rest, body);
    if (result.status === 204) return send(res, 204);
    send(res, 200, envelope(result.data, result.warnings));
  }

  const responses = createResponseChecker(options.checkResponses ?? true);
  const listener = withResponseChecks((req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res).catch((e: unknown) => {
      if (e instanceof VaultApiError) {
        const answer = pre110 ? asPre110(e) : e;
        sendErrors(res, answer.status, answer.errors);
      }
      else sendErrors(res, 500, ['internal error']);
    });
  }, responses, vault, mountNames);
  const server = options.tls ? https.createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, listener) : http.createServer(listener);

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
  const controls = faultControls(faults, { down: stop, up: () => (server.listening ? Promise.resolve() : listen(port)) });
  return {
    endpoint: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    faults: controls,
    responses,
    setPre110DecryptFailures: (on) => void (pre110 = on),
    close: stop,
  };
}
