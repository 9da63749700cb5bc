// The browser host in this process (docs/security.md, "Browser host security model"; docs/audit-log.md for the export
// download): each test starts its own host on a real console (so the host's code runs inside the test, not in a
// hook), over real HTTP and WebSocket on 127.0.0.1. Statuses, bodies and headers are the documented ones; the reason
// phrases of a refused upgrade are HTTP's standard ones (RFC 9110).
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { DEFAULT_RENDERER_DIR, startBrowserHost, type BrowserHost } from '../../electron/host/browserHost.ts';
import { browserHostCsp, securityHeaders } from '../../electron/security/csp.ts';
import { cookieFor, openSocket, rawRequest, socketClient, startHostKit, type HostKit, type RawResponse } from '../security/hostKit.ts';

const UNAUTHORIZED = 'ECPS console: missing or wrong access token';
const PASS = 'browser host unit passphrase';
let kit: HostKit | null = null;
afterEach(async () => {
  await kit?.close();
  kit = null;
});

async function start(options: { renderer?: boolean } = {}): Promise<HostKit> {
  kit = await startHostKit(options);
  return kit;
}
async function connect(k: HostKit) {
  const opened = await openSocket(`ws://127.0.0.1:${k.host.port}/ws`, cookieFor(k.host));
  if (!('ws' in opened)) throw new Error(`socket refused: ${opened.refused}`);
  return { ws: opened.ws, client: socketClient(opened.ws) };
}
function expectHostHeaders(k: HostKit, res: RawResponse): void {
  for (const [name, value] of Object.entries(securityHeaders(browserHostCsp(k.host.port)))) expect(res.headers[name.toLowerCase()], name).toBe(value);
}
function expectPlain(k: HostKit, res: RawResponse, status: number, body: string): void {
  expect(res.status).toBe(status);
  expect(res.body).toBe(body);
  expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
  expect(res.headers['content-length']).toBe(String(Buffer.byteLength(body)));
  expectHostHeaders(k, res);
}
/** A WebSocket upgrade request written by hand; resolves with what the host answered (all of it when it closes, the
 * status line and headers when it switched protocols). */
async function rawUpgrade(port: number, path: string, headers: Record<string, string>): Promise<string> {
  const socket = createConnection({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  const all: Record<string, string> = {
    Host: `127.0.0.1:${port}`,
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    ...headers,
  };
  socket.write(`GET ${path} HTTP/1.1\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const text = () => Buffer.concat(chunks).toString('utf8');
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (text().startsWith('HTTP/1.1 101 ') && text().includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('close', () => resolve(text()));
  });
}
const refusal = (status: string, body: string) =>
  `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;

describe('browser host: what it announces', () => {
  it('listens on 127.0.0.1 at a free port; the URL carries a fresh token', async () => {
    const k = await start();
    expect(k.host.port).toBeGreaterThan(0);
    expect(k.host.origin).toBe(`http://127.0.0.1:${k.host.port}`);
    expect(k.host.url).toBe(`http://127.0.0.1:${k.host.port}/?token=${k.host.token}`);
    expect(Buffer.from(k.host.token, 'base64url')).toHaveLength(32);
    expect(k.logger.entries).toContainEqual({ level: 'info', message: 'browser host listening', fields: { origin: k.host.origin } });
  });
});

describe('browser host: HTTP', () => {
  it('trades ?token= on / for the cookie: 303 to /, Set-Cookie, no body', async () => {
    const k = await start();
    const res = await rawRequest(k.host.port, `/?token=${k.host.token}`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    expect(res.headers['set-cookie']).toEqual([`ecps_token=${k.host.token}; HttpOnly; SameSite=Strict; Path=/`]);
    expect(res.headers['content-length']).toBe('0');
    expect(res.body).toBe('');
    expectHostHeaders(k, res);
    // with the cookie, / is the page itself; ?token= on another path serves that file directly
    const page = await rawRequest(k.host.port, '/', { headers: cookieFor(k.host) });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>ECPS</title>');
    expect((await rawRequest(k.host.port, `/assets/app.js?token=${k.host.token}`)).status).toBe(200);
  });

  it('refuses without the token (401), with a foreign Host (421) or Origin (403): the guard\'s body, the host headers; logged', async () => {
    const k = await start();
    expectPlain(k, await rawRequest(k.host.port, '/index.html'), 401, UNAUTHORIZED);
    expectPlain(k, await rawRequest(k.host.port, '/index.html', { headers: { cookie: 'ecps_token=wrong' } }), 401, UNAUTHORIZED);
    const host = await rawRequest(k.host.port, '/index.html', { headers: { ...cookieFor(k.host), host: `evil.example:${k.host.port}` } });
    expect(host.status).toBe(421);
    expectHostHeaders(k, host);
    const origin = await rawRequest(k.host.port, '/index.html', { headers: { ...cookieFor(k.host), origin: 'https://evil.example' } });
    expect(origin.status).toBe(403);
    expectHostHeaders(k, origin);
    expect(k.logger.entries).toContainEqual({ level: 'warn', message: 'browser host refused a request', fields: { status: 401, method: 'GET', path: '/index.html' } });
  });

  it('serves built files with their type and length, HEAD without a body; 404, 400 and 405 otherwise', async () => {
    const k = await start();
    const js = await rawRequest(k.host.port, '/assets/app.js', { headers: cookieFor(k.host) });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toBe('document.title = "ECPS console loaded";');
    expect(js.headers['content-length']).toBe(String(Buffer.byteLength(js.body)));
    expectHostHeaders(k, js);
    const head = await rawRequest(k.host.port, '/assets/app.css', { method: 'HEAD', headers: cookieFor(k.host) });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength('body { margin: 0 }')));
    expect(head.body).toBe('');
    expectPlain(k, await rawRequest(k.host.port, '/assets/missing.js', { headers: cookieFor(k.host) }), 404, 'ECPS console: not found');
    expectPlain(k, await rawRequest(k.host.port, '/%00', { headers: cookieFor(k.host) }), 400, 'ECPS console: bad path');
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await rawRequest(k.host.port, '/index.html', { method, headers: cookieFor(k.host) });
      expectPlain(k, res, 405, 'ECPS console: method not allowed');
      expect(res.headers.allow).toBe('GET, HEAD');
    }
  });

  it('a file removed after the host started is 404, and the host keeps serving the others', async () => {
    const k = await start();
    rmSync(join(k.rendererDir, 'assets'), { recursive: true });
    expect((await rawRequest(k.host.port, '/assets/app.js', { headers: cookieFor(k.host) })).status).toBe(404);
    expect((await rawRequest(k.host.port, '/index.html', { headers: cookieFor(k.host) })).status).toBe(200);
  });

  it('says plainly that the renderer is not built (503)', async () => {
    const k = await start({ renderer: false });
    expectPlain(k, await rawRequest(k.host.port, '/', { headers: cookieFor(k.host) }), 503, 'ECPS console: renderer not built: run vite build (or npm run serve)');
  });

  it('routes /exports/audit/ to the export download, under the same guard, GET only', async () => {
    const k = await start();
    const { ws, client } = await connect(k);
    expect((await client.call('session:init', { operator: 'alice', passphrase: PASS })).ok).toBe(true);
    const started = (await client.call('audit:export', {})).value as { delivery: { kind: string; path: string } };
    expect(started.delivery.kind).toBe('download');
    expectPlain(k, await rawRequest(k.host.port, started.delivery.path), 401, UNAUTHORIZED);
    const post = await rawRequest(k.host.port, started.delivery.path, { method: 'POST', headers: cookieFor(k.host) });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET');
    const got = await rawRequest(k.host.port, started.delivery.path, { headers: cookieFor(k.host) });
    expect(got.status).toBe(200);
    expect(got.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expectHostHeaders(k, got);
    expect((await rawRequest(k.host.port, started.delivery.path, { headers: cookieFor(k.host) })).status).toBe(404);
    ws.close();
  });
});

describe('browser host: the socket', () => {
  it('refuses an upgrade without the token, from a foreign Origin or Host, or off /ws, with the status and body written out', async () => {
    const k = await start();
    const p = k.host.port;
    expect(await rawUpgrade(p, '/ws', {})).toBe(refusal('401 Unauthorized', UNAUTHORIZED));
    expect(await rawUpgrade(p, '/ws', { Cookie: `ecps_token=${k.host.token}`, Origin: 'https://evil.example' })).toBe(refusal('403 Forbidden', 'ECPS console: foreign Origin refused'));
    const badHost = await rawUpgrade(p, '/ws', { Cookie: `ecps_token=${k.host.token}`, Host: 'evil.example' });
    expect(badHost).toBe(refusal('421 Misdirected Request', 'ECPS console: wrong Host header (only 127.0.0.1 or localhost with this port)'));
    expect(await rawUpgrade(p, '/socket', { Cookie: `ecps_token=${k.host.token}` })).toBe(refusal('404 Not Found', 'ECPS console: not found'));
    expect(await rawUpgrade(p, `/ws?token=${k.host.token}`, {})).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(k.logger.entries).toContainEqual({ level: 'warn', message: 'browser host refused a socket', fields: { status: 401 } });
  });

  it('carries calls through the router as the browser-host transport, and answers a malformed message with invalid_input', async () => {
    const k = await start();
    const { ws, client } = await connect(k);
    expect(await client.call('session:status', {})).toMatchObject({ ok: true, value: { state: 'uninitialized' } });
    // audit:export answers a download only for the browser host (Electron gets a save dialog): the transport is right
    await client.call('session:init', { operator: 'alice', passphrase: PASS });
    expect(await client.call('audit:export', {})).toMatchObject({ ok: true, value: { delivery: { kind: 'download' } } });
    const malformed = await client.sendRaw('{"id":4,"channel":7}', 4);
    expect(malformed).toEqual({ id: 4, envelope: { ok: false, error: { code: 'invalid_input', message: 'Malformed message: channel must be a string.' } } });
    const binary = await client.sendRaw(Buffer.from([0, 0, 0, 1, 0x7b]), null);
    expect(binary.envelope.error?.code).toBe('invalid_input');
    ws.close();
  });

  it('carries bytes both ways as binary frames and keeps them intact', async () => {
    const k = await start();
    const { ws, client } = await connect(k);
    await client.call('session:init', { operator: 'alice', passphrase: PASS });
    const key = (await client.call('keys:create', { type: 'storage', label: 'Disk' })).value as { id: string };
    const plaintext = new TextEncoder().encode('move to dock 7');
    const enc = await client.call('keys:encrypt', { keyId: key.id, plaintext });
    expect(enc.ok).toBe(true);
    const ciphertext = (enc.value as { ciphertext: Uint8Array }).ciphertext;
    expect(ciphertext).toBeInstanceOf(Uint8Array);
    const dec = await client.call('keys:decrypt', { ciphertext });
    expect(new TextDecoder().decode((dec.value as { plaintext: Uint8Array }).plaintext)).toBe('move to dock 7');
    ws.close();
  });

  it('pushes console events to every open socket, and none after a socket closed', async () => {
    const k = await start();
    const a = await connect(k);
    const b = await connect(k);
    const closed = once(b.ws, 'close');
    b.ws.close();
    await closed;
    await a.client.call('session:init', { operator: 'alice', passphrase: PASS });
    await a.client.call('session:status', {});
    expect(a.client.events.map((e) => e.event)).toContain('session:changed');
    expect(b.client.events).toEqual([]);
    a.ws.close();
  });

  it('closes a socket whose message is over 2 MiB (1009); one just under is read', async () => {
    const k = await start();
    const small = await connect(k);
    const under = JSON.stringify({ id: 1, channel: 'session:status', input: {}, pad: '' });
    const reply = await small.client.sendRaw(under.replace('"pad":""', `"pad":"${'A'.repeat(2 * 1024 * 1024 - under.length - 1)}"`), 1);
    expect(reply.envelope.error?.code).toBe('invalid_input'); // read and refused for its extra field, not closed
    const closed = once(small.ws, 'close');
    small.ws.send('A'.repeat(2 * 1024 * 1024 + 1));
    const [code] = (await closed) as [number];
    expect(code).toBe(1009);
  });
});

describe('browser host: close()', () => {
  it('terminates sockets, frees the port, unsubscribes from events; twice is fine', async () => {
    const k = await start();
    const { ws, client } = await connect(k);
    const closed = once(ws, 'close');
    const first = k.host.close();
    const second = k.host.close();
    await Promise.all([first, second]);
    await closed;
    const probe = createConnection({ host: '127.0.0.1', port: k.host.port });
    const [err] = (await once(probe, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNREFUSED');
    // the console still emits; nobody is listening and nothing fails
    await k.fleet.handlers['session:init']({ operator: 'bob', passphrase: PASS }, { transport: 'test' });
    expect(client.events).toEqual([]);
  });

  it('ends a download still in progress: close() does not wait for the browser', async () => {
    const k = await start();
    const { ws, client } = await connect(k);
    await client.call('session:init', { operator: 'alice', passphrase: PASS });
    const batch = Array.from({ length: 1000 }, (_, i) => ({ actor: 'seed', action: 'robot.heartbeat', targetType: 'robot' as const, targetId: `r-${i}`, outcome: 'success' as const, details: { i } }));
    for (let n = 0; n < 10; n++) k.fleet.audit.appendMany(batch);
    const started = (await client.call('audit:export', {})).value as { delivery: { path: string } };
    // The browser takes the first bytes, then stops reading: the response stays in progress.
    let firstBytes!: () => void;
    let resumeReading!: () => void;
    const gotFirst = new Promise<void>((r) => (firstBytes = r));
    const ended = new Promise<boolean>((resolveEnded) => {
      const req = request({ host: '127.0.0.1', port: k.host.port, path: started.delivery.path, headers: cookieFor(k.host) }, (res) => {
        res.once('data', () => {
          res.pause();
          resumeReading = () => res.resume();
          firstBytes();
        });
        res.on('close', () => resolveEnded(res.complete));
        res.on('error', () => {});
      });
      req.on('error', () => resolveEnded(false));
      req.end();
    });
    await gotFirst;
    await k.host.close();
    resumeReading(); // reading again, the browser finds the connection cut off, the file incomplete
    expect(await ended).toBe(false);
    ws.close();
  });

  it('listens on 127.0.0.1 only, not on every interface (Linux: read from /proc/net/tcp)', async (ctx) => {
    if (!existsSync('/proc/net/tcp')) ctx.skip();
    const k = await start();
    const hexPort = k.host.port.toString(16).toUpperCase().padStart(4, '0');
    const listening = ['/proc/net/tcp', '/proc/net/tcp6']
      .filter((f) => existsSync(f))
      .flatMap((f) => readFileSync(f, 'utf8').trim().split('\n').slice(1))
      .map((line) => line.trim().split(/\s+/))
      .filter((cols) => cols[1]!.endsWith(`:${hexPort}`) && cols[3] === '0A') // 0A: LISTEN
      .map((cols) => cols[1]);
    expect(listening).toEqual([`0100007F:${hexPort}`]); // 127.0.0.1, little-endian
  });

  it('a port already taken is an error, and the failed host leaves no subscription to console events', async () => {
    const k = await start();
    const w = watched(k.fleet);
    await expect(startBrowserHost({ console: w.console, port: k.host.port, rendererDir: k.rendererDir })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(w.subscriptions).toEqual({ added: 1, removed: 1 });
  });

  it('unsubscribes from console events when it closes', async () => {
    const k = await start();
    const w = watched(k.fleet);
    const host = await startBrowserHost({ console: w.console, rendererDir: k.rendererDir });
    expect(w.subscriptions).toEqual({ added: 1, removed: 0 });
    await host.close();
    expect(w.subscriptions).toEqual({ added: 1, removed: 1 });
  });
});

describe('browser host: what it passes to the router', () => {
  it('every socket call reaches the console as the browser-host transport', async () => {
    const k = await start();
    const w = watched(k.fleet);
    let host: BrowserHost | null = null;
    try {
      host = await startBrowserHost({ console: w.console, rendererDir: k.rendererDir });
      const opened = await openSocket(`ws://127.0.0.1:${host.port}/ws`, cookieFor(host));
      if (!('ws' in opened)) throw new Error('refused');
      const client = socketClient(opened.ws);
      expect((await client.call('session:status', {})).ok).toBe(true);
      expect((await client.call('keys:list', {})).ok).toBe(false); // locked: still the console's answer
      expect(w.calls).toEqual([{ channel: 'session:status', transport: 'browser-host' }, { channel: 'keys:list', transport: 'browser-host' }]);
      opened.ws.close();
    } finally {
      await host?.close();
    }
  });

  it('wipes a binary call\'s bytes (views into its frame) once the call is answered', async () => {
    const k = await start();
    const w = watched(k.fleet);
    let host: BrowserHost | null = null;
    try {
      host = await startBrowserHost({ console: w.console, rendererDir: k.rendererDir });
      const opened = await openSocket(`ws://127.0.0.1:${host.port}/ws`, cookieFor(host));
      if (!('ws' in opened)) throw new Error('refused');
      const client = socketClient(opened.ws);
      await client.call('session:init', { operator: 'alice', passphrase: PASS });
      const key = (await client.call('keys:create', { type: 'storage', label: 'Disk' })).value as { id: string };
      const plaintext = new TextEncoder().encode('move to dock 7');
      const enc = await client.call('keys:encrypt', { keyId: key.id, plaintext });
      expect(enc.ok).toBe(true);
      const seen = w.inputs.at(-1) as { plaintext: Uint8Array };
      expect(seen.plaintext.byteLength).toBe(plaintext.byteLength);
      expect([...seen.plaintext].every((b) => b === 0)).toBe(true);
      opened.ws.close();
    } finally {
      await host?.close();
    }
  });

  it('serves dist/renderer of the project when no folder is given (docs/security.md)', () => {
    expect(DEFAULT_RENDERER_DIR).toBe(resolve(import.meta.dirname, '..', '..', 'dist', 'renderer'));
  });
});

/** The real console, with its calls (channel, transport) and its event subscriptions counted. */
function watched(fleet: FleetConsole) {
  const calls: Array<{ channel: string; transport: string }> = [];
  const inputs: unknown[] = [];
  const subscriptions = { added: 0, removed: 0 };
  const handlers = new Proxy(fleet.handlers, {
    get(target, name, receiver) {
      const real = Reflect.get(target, name, receiver) as unknown;
      if (typeof real !== 'function') return real;
      return (input: unknown, ctx: { transport: string }) => {
        calls.push({ channel: String(name), transport: ctx.transport });
        inputs.push(input);
        return (real as (i: unknown, c: unknown) => unknown)(input, ctx);
      };
    },
  });
  const console: FleetConsole = {
    ...fleet,
    handlers,
    onEvent(listener) {
      subscriptions.added++;
      const off = fleet.onEvent(listener);
      return () => {
        subscriptions.removed++;
        off();
      };
    },
  };
  return { console, calls, inputs, subscriptions };
}
