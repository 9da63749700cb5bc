// Test kit for the browser host: a real console in a temp folder, a small built-renderer folder, the real host,
// and a raw HTTP client that can send any Host / Origin header (fetch cannot set Host).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { startBrowserHost, type BrowserHost } from '../../electron/host/browserHost.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { decodeBinaryFrame, encodeFrame } from '../../shared/socketFrames.ts';

export const FAST_KDF = { N: 1024, r: 8, p: 1 };

export interface HostKit {
  dir: string;
  rendererDir: string;
  fleet: FleetConsole;
  host: BrowserHost;
  logger: ReturnType<typeof createMemoryLogger>;
  close(): Promise<void>;
}

export function writeRenderer(dir: string): void {
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>ECPS</title><script type="module" src="./assets/app.js"></script>');
  writeFileSync(join(dir, 'assets', 'app.js'), 'document.title = "ECPS console loaded";');
  writeFileSync(join(dir, 'assets', 'app.css'), 'body { margin: 0 }');
}

export async function startHostKit(options: { renderer?: boolean } = {}): Promise<HostKit> {
  const dir = mkdtempSync(join(tmpdir(), 'ecps-host-'));
  const rendererDir = join(dir, 'renderer');
  if (options.renderer !== false) writeRenderer(rendererDir);
  const logger = createMemoryLogger();
  const fleet = await createConsole({ dataDir: join(dir, 'data'), kdf: FAST_KDF, logger });
  const host = await startBrowserHost({ console: fleet, rendererDir, logger });
  return {
    dir,
    rendererDir,
    fleet,
    host,
    logger,
    async close() {
      await host.close();
      fleet.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An HTTP request with exactly the headers given (Host defaults to 127.0.0.1:PORT). */
export function rawRequest(port: number, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { host: `127.0.0.1:${port}`, ...options.headers }, setHost: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export const cookieFor = (host: BrowserHost) => ({ cookie: `ecps_token=${host.token}` });

/** Opens a socket; resolves with the socket or with the HTTP status that refused the upgrade. */
export function openSocket(url: string, headers: Record<string, string>, origin?: string): Promise<{ ws: WebSocket } | { refused: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, ...(origin ? { origin } : {}) });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ refused: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    ws.once('error', reject);
  });
}

export type SocketReply = { id: number | null; envelope: { ok: boolean; value?: unknown; error?: { code: string; message: string } } };
export type SocketPush = { event: string; payload: unknown };

/** A message the host sent: a text frame's JSON, or a binary frame decoded (shared/socketFrames.ts). */
export function decodeHostFrame(data: WebSocket.RawData, isBinary: boolean): unknown {
  const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  if (!isBinary) return JSON.parse(bytes.toString('utf8'));
  const decoded = decodeBinaryFrame(bytes);
  if (!decoded.ok) throw new Error(`the host sent a malformed binary frame: ${decoded.reason}`);
  return decoded.message;
}

/** A socket client that correlates replies by id and collects pushed events; bytes go out as binary frames. */
export function socketClient(ws: WebSocket) {
  const events: SocketPush[] = [];
  const replies: SocketReply[] = [];
  const waiters = new Map<number | null, (r: SocketReply) => void>();
  let nextId = 1;
  ws.on('message', (data, isBinary) => {
    const msg = decodeHostFrame(data, isBinary) as SocketReply | SocketPush;
    if ('event' in msg) events.push(msg);
    else {
      replies.push(msg);
      const w = waiters.get(msg.id);
      if (w) {
        waiters.delete(msg.id);
        w(msg);
      }
    }
  });
  const waitFor = (id: number | null) => new Promise<SocketReply>((resolve) => waiters.set(id, resolve));
  return {
    events,
    replies,
    async call(channel: string, input: unknown): Promise<SocketReply['envelope']> {
      const id = nextId++;
      const reply = waitFor(id);
      ws.send(encodeFrame({ id, channel, input: input as unknown }));
      return (await reply).envelope;
    },
    /** Sends exactly these bytes (a string as a text frame, a Buffer as a binary frame) and waits for the reply with that id. */
    async sendRaw(text: string | Buffer, expectId: number | null = null): Promise<SocketReply> {
      const reply = waitFor(expectId);
      ws.send(text, { binary: typeof text !== 'string' });
      return reply;
    },
  };
}
