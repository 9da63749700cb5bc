// Wraps the Vault emulator's request listener so that every response is checked against responseSchemas.ts before
// it leaves: the status and body are held back, checked, and either sent as they were or replaced by a 500 whose
// errors array says "emulator response violates schema ..." (so the client, and the test, fail on the drift).
import type http from 'node:http';
import type { ResponseChecker } from '../schemaCheck.ts';
import { routeOf, vaultResponseProblems, type VaultRoute } from './responseSchemas.ts';
import type { VaultBehaviour } from './serverProfile.ts';

function route(req: http.IncomingMessage, mounts: readonly string[]): VaultRoute {
  const url = new URL(req.url ?? '/', 'http://vault.invalid');
  const method = req.method ?? '';
  const list = method === 'LIST' || (method === 'GET' && ['true', '1'].includes(url.searchParams.get('list') ?? ''));
  const path = url.pathname.replace(/^\/v1\//, '');
  const mount = [...mounts].sort((a, b) => b.length - a.length).find((m) => path === m || path.startsWith(`${m}/`));
  const afterMount = mount === undefined ? null : path.slice(mount.length).split('/').filter((s) => s.length > 0);
  return routeOf(method, list, afterMount, url.pathname === '/v1/sys/health');
}

export function withResponseChecks(listener: http.RequestListener, checker: ResponseChecker, server: VaultBehaviour, mounts: readonly string[]): http.RequestListener {
  if (!checker.enabled) return listener;
  return (req, res) => {
    const writeHead = res.writeHead.bind(res);
    const end = res.end.bind(res);
    let head: { status: number; headers: http.OutgoingHttpHeaders } | null = null;
    res.writeHead = ((status: number, headers?: http.OutgoingHttpHeaders) => {
      head = { status, headers: headers ?? {} };
      return res;
    }) as typeof res.writeHead;
    res.end = ((chunk?: unknown) => {
      res.writeHead = writeHead;
      res.end = end;
      const held = head as { status: number; headers: http.OutgoingHttpHeaders } | null;
      if (!held) return end(chunk as string);
      let text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const r = route(req, mounts);
      if (held.status === 200 && typeof body === 'object' && body !== null) {
        checker.takeCorruption(r, body);
        text = JSON.stringify(body);
      }
      const violation = checker.record(r, vaultResponseProblems(r, req.method ?? '', held.status, body, server));
      if (violation) {
        writeHead(500, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
        return end(JSON.stringify({ errors: [violation] }));
      }
      writeHead(held.status, held.headers);
      return end(text);
    }) as typeof res.end;
    listener(req, res);
  };
}
