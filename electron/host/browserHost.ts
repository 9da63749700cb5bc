// The browser host: HTTP + WebSocket on 127.0.0.1 serving the built renderer and the same router as Electron IPC,
// for machines without a display server or an Electron binary, and for end-to-end tests in Chromium.
// Every request and socket needs the per-launch token (cookie or ?token=), the right Host and, if present, Origin.
// An audit export prepared over the socket is downloaded from /exports/audit/<id> under the same guard (auditDownload.ts).
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { resolve } from 'node:path';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Envelope } from '../../shared/contract.ts';
import type { FleetConsole } from '../app.ts';
import { createRouter, type Router } from '../ipc/router.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { browserHostCsp, securityHeaders } from '../security/csp.ts';
import { checkAccess, newAccessToken, tokenCookie, type GuardVerdict } from './hostGuard.ts';
import { controlFrame, eventFrame, malformedReply, parseSocketMessage, replyFrame, type ControlMessage } from './socketProtocol.ts';
import { createCallOutcomes, windowId } from './callOutcomes.ts';
import { isAuditDownload, serveAuditDownload } from './auditDownload.ts';
import { lookupStatic } from './staticFiles.ts';

export const MAX_SOCKET_MESSAGE_BYTES = 2 * 1024 * 1024;
export const DEFAULT_RENDERER_DIR = resolve(import.meta.dirname, '..', '..', 'dist', 'renderer');

export interface BrowserHostOptions {
  /** The console on a store; absent when `router` serves the offline console on an incident kit (serve --kit). */
  console?: FleetConsole;
  /** In place of the console's router (kitModeRouter.ts): no events, no audit downloads. */
  router?: Router;
  /** 0 or absent: a free port. */
  port?: number;
  rendererDir?: string;
  logger?: Logger;
}

export interface BrowserHost {
  /** http://127.0.0.1:PORT/?token=TOKEN */
  url: string;
  origin: string;
  port: number;
  token: string;
  /**
   * Cuts every open socket at once, as a crash or a network fault would (no close handshake); returns how many.
   * The host keeps serving: the windows reconnect (renderer/src/transport/reconnect.ts). Used by the e2e test of
   * reconnection (test/e2e/reconnect.spec.ts).
   */
  dropSockets(): number;
  /** Resolves once no call is in flight in the host (its answer sent or kept): a readiness signal for tests. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

function verdictFor(req: IncomingMessage, port: number, token: string): { verdict: GuardVerdict; url: URL } {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const verdict = checkAccess(
    { host: req.headers.host, origin: req.headers.origin, cookie: req.headers.cookie, queryToken: url.searchParams.get('token') },
    port,
    token,
  );
  return { verdict, url };
}

function plain(res: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function refuseUpgrade(socket: Socket, status: number, reason: string): void {
  const text = `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 421 ? 'Misdirected Request' : 'Not Found'}\r\n` +
    `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(reason)}\r\nConnection: close\r\n\r\n${reason}`;
  socket.end(text);
}

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const logger = options.logger ?? silentLogger;
  const rendererDir = options.rendererDir ?? DEFAULT_RENDERER_DIR;
  const fleet = options.console;
  const chosen = options.router ?? (fleet && createRouter({ handlers: fleet.handlers, access: fleet.access, logger }));
  if (!chosen) throw new Error('startBrowserHost needs a console or a router');
  const router: Router = chosen;
  const token = newAccessToken();
  const sockets = new Set<WebSocket>();
  // Calls' outcomes per window (callOutcomes.ts): a window's current socket, and the window a socket belongs to.
  const outcomes = createCallOutcomes();
  const socketOfWindow = new Map<string, WebSocket>();
  const windowOfSocket = new WeakMap<WebSocket, string>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_SOCKET_MESSAGE_BYTES });
  let port = 0;
  let inFlight = 0;
  const idleWaiters: Array<() => void> = [];
  let headers: Record<string, string> = {};

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { verdict, url } = verdictFor(req, port, token);
    if (!verdict.ok) {
      logger.warn('browser host refused a request', { status: verdict.status, method: req.method, path: url.pathname });
      plain(res, verdict.status, verdict.reason, headers);
      return;
    }
    if (fleet && isAuditDownload(url.pathname)) {
      await serveAuditDownload({ req, res, pathname: url.pathname, exports: fleet.auditExports, headers, logger });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      plain(res, 405, 'ECPS console: method not allowed', { ...headers, Allow: 'GET, HEAD' });
      return;
    }
    if (verdict.via === 'query' && url.pathname === '/') {
      // Trade the token in the address bar for a cookie, and drop it from the visible URL.
      res.writeHead(303, { ...headers, Location: '/', 'Set-Cookie': tokenCookie(token), 'Content-Length': 0 });
      res.end();
      return;
    }
    const found = await lookupStatic(rendererDir, url.pathname);
    switch (found.kind) {
      case 'not_built':
        plain(res, 503, 'ECPS console: renderer not built: run vite build (or npm run serve)', headers);
        return;
      case 'bad_request':
        plain(res, 400, 'ECPS console: bad path', headers);
        return;
      case 'not_found':
        plain(res, 404, 'ECPS console: not found', headers);
        return;
      case 'file':
        res.writeHead(200, { ...headers, 'Content-Type': found.contentType, 'Content-Length': found.size });
        if (req.method === 'HEAD') {
          res.end();
          return;
        }
        createReadStream(found.path)
          .on('error', () => res.destroy())
          .pipe(res);
    }
  }

  /**
   * Sends a reply; a binary one holds plaintext or ciphertext bytes, zeroed once written to the socket. `written`
   * runs once the frame is written (not when the socket failed first).
   */
  function sendReply(ws: WebSocket, id: number, envelope: Envelope<unknown>, written?: () => void): void {
    if (ws.readyState !== ws.OPEN) return;
    let frame: string | Uint8Array;
    try {
      frame = replyFrame(id, envelope);
    } catch (e) {
      logger.error('browser host could not encode a reply', { error: e });
      frame = replyFrame(id, { ok: false, error: { code: 'internal', message: 'Internal error: the reply could not be encoded; the console log has details.' } });
    }
    ws.send(frame, (error) => {
      if (typeof frame !== 'string') frame.fill(0);
      if (!error) written?.();
    });
  }

  /** A finished call of a named window: answered on the window's socket now (it may have reconnected), else kept. */
  function answerWindow(window: string, id: number, envelope: Envelope<unknown>): void {
    outcomes.finish(window, id, envelope);
    const ws = socketOfWindow.get(window);
    if (ws && ws.readyState === ws.OPEN) sendReply(ws, id, envelope, () => outcomes.delivered(window, id));
  }

  function handleControl(ws: WebSocket, control: ControlMessage): void {
    switch (control.kind) {
      case 'ping':
        // Answered here, on the event loop, whatever calls are awaiting I/O: only a blocked loop leaves it unanswered.
        ws.send(controlFrame({ pong: control.n }));
        return;
      case 'hello': {
        const window = windowId(control.key);
        const before = windowOfSocket.get(ws);
        if (before !== undefined && before !== window) {
          ws.send(malformedReply(null, 'Malformed message: a socket names its window once.'));
          return;
        }
        windowOfSocket.set(ws, window);
        socketOfWindow.set(window, ws);
        return;
      }
      case 'outcomes': {
        const window = windowOfSocket.get(ws);
        if (window === undefined) {
          ws.send(malformedReply(null, 'Malformed message: outcomes asked before the window named itself (hello).'));
          return;
        }
        const report = outcomes.report(window, control.ids);
        // Kept answers first, as ordinary replies: the window has them before it reads the list.
        for (const entry of report) {
          if (entry.state !== 'replied') continue;
          const envelope = outcomes.kept(window, entry.id);
          if (envelope) sendReply(ws, entry.id, envelope, () => outcomes.delivered(window, entry.id));
        }
        ws.send(controlFrame({ outcomes: report }));
      }
    }
  }

  function handleMessage(ws: WebSocket, data: RawData, isBinary: boolean): void {
    // ws hands a whole message as one Buffer (fragments joined; binaryType 'nodebuffer').
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    const parsed = parseSocketMessage(isBinary ? bytes : bytes.toString('utf8'));
    if (!parsed.ok) {
      if (isBinary) bytes.fill(0);
      ws.send(malformedReply(parsed.id, parsed.message));
      return;
    }
    if (parsed.control) {
      if (isBinary) bytes.fill(0);
      handleControl(ws, parsed.control);
      return;
    }
    const { id, channel, input } = parsed.call;
    const window = windowOfSocket.get(ws);
    if (window !== undefined && !outcomes.begin(window, id)) {
      // An id this window already used (or one older than what is remembered): never run a call twice.
      if (isBinary) bytes.fill(0);
      ws.send(malformedReply(id, 'Malformed message: this window already used this call id; the call was not run again.'));
      return;
    }
    inFlight += 1;
    void router.route({ channel, input, ctx: { transport: 'browser-host' }, trustedSender: true }).then((envelope) => {
      // The call's bytes (e.g. plaintext to encrypt) are views into this frame: wipe it once answered.
      if (isBinary) bytes.fill(0);
      if (window === undefined) sendReply(ws, id, envelope);
      else answerWindow(window, id, envelope);
      inFlight -= 1;
      if (inFlight === 0) for (const wake of idleWaiters.splice(0)) wake();
    });
  }

  const server = createServer((req, res) => {
    handleHttp(req, res).catch((e: unknown) => {
      logger.error('browser host request failed', { error: e });
      if (!res.headersSent) plain(res, 500, 'ECPS console: internal error', headers);
      else res.destroy();
    });
  });

  server.on('upgrade', (req, socket: Socket, head) => {
    const { verdict, url } = verdictFor(req, port, token);
    if (!verdict.ok) {
      logger.warn('browser host refused a socket', { status: verdict.status });
      refuseUpgrade(socket, verdict.status, verdict.reason);
      return;
    }
    if (url.pathname !== '/ws') {
      refuseUpgrade(socket, 404, 'ECPS console: not found');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('message', (data, isBinary) => handleMessage(ws, data, isBinary));
      const forget = () => {
        sockets.delete(ws);
        const window = windowOfSocket.get(ws);
        if (window !== undefined && socketOfWindow.get(window) === ws) socketOfWindow.delete(window);
      };
      ws.on('close', forget);
      ws.on('error', forget);
    });
  });

  const broadcast: Parameters<FleetConsole['onEvent']>[0] = (event, payload) => {
    // A lock or a sign-in ends what an answer kept for a window may be shown to: keep only whether calls succeeded.
    if (event === 'session:changed') outcomes.dropAnswers();
    let frame: string | Uint8Array;
    try {
      frame = eventFrame(event, payload);
    } catch (e) {
      logger.error('browser host could not encode an event', { event, error: e });
      return;
    }
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(frame);
  };
  const unsubscribe = fleet ? fleet.onEvent(broadcast) : () => undefined;

  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolveListen();
      });
    });
  } catch (e) {
    unsubscribe();
    throw e;
  }
  port = (server.address() as AddressInfo).port;
  headers = securityHeaders(browserHostCsp(port));
  const origin = `http://127.0.0.1:${port}`;
  logger.info('browser host listening', { origin });

  let closing: Promise<void> | null = null;
  async function close(): Promise<void> {
    closing ??= (async () => {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      sockets.clear();
      socketOfWindow.clear();
      outcomes.clear();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    })();
    return closing;
  }

  function dropSockets(): number {
    const count = sockets.size;
    for (const ws of sockets) ws.terminate();
    sockets.clear();
    socketOfWindow.clear();
    return count;
  }

  const idle = () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r)));

  return { url: `${origin}/?token=${token}`, origin, port, token, dropSockets, idle, close };
}
