// The browser host end to end over real HTTP and WebSocket, against a real console (SQLite, scrypt, AES-GCM).
import crypto from 'node:crypto';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cookieFor, openSocket, rawRequest, socketClient, startHostKit, type HostKit } from '../security/hostKit.ts';

const PASS = 'correct horse battery staple';
let kit: HostKit | null = null;
afterEach(async () => {
  await kit?.close();
  kit = null;
});

async function connect(k: HostKit) {
  const opened = await openSocket(`ws://127.0.0.1:${k.host.port}/ws`, cookieFor(k.host));
  if (!('ws' in opened)) throw new Error(`socket refused: ${opened.refused}`);
  return { ws: opened.ws, client: socketClient(opened.ws) };
}

describe('browser host', () => {
  it('announces a loopback URL carrying a fresh 32-byte base64url token per launch', async () => {
    kit = await startHostKit();
    const { host } = kit;
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/?token=${host.token}`);
    expect(host.origin).toBe(`http://127.0.0.1:${host.port}`);
    expect(host.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(host.token, 'base64url')).toHaveLength(32);
    const second = await startHostKit();
    try {
      expect(second.host.token).not.toBe(host.token);
      expect(second.host.port).not.toBe(host.port);
    } finally {
      await second.close();
    }
  });

  it('serves the built renderer files with their content types, and HEAD without a body', async () => {
    kit = await startHostKit();
    const { port } = kit.host;
    const index = await rawRequest(port, '/', { headers: cookieFor(kit.host) });
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.body).toContain('<title>ECPS</title>');
    const js = await rawRequest(port, '/assets/app.js', { headers: cookieFor(kit.host) });
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toContain('ECPS console loaded');
    const css = await rawRequest(port, '/assets/app.css', { headers: cookieFor(kit.host) });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const head = await rawRequest(port, '/assets/app.js', { method: 'HEAD', headers: cookieFor(kit.host) });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBe(Buffer.byteLength(js.body));
  });

  it('allows only GET and HEAD for files', async () => {
    kit = await startHostKit();
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await rawRequest(kit.host.port, '/index.html', { method, headers: cookieFor(kit.host) });
      expect(res.status, method).toBe(405);
      expect(res.headers.allow).toBe('GET, HEAD');
    }
  });

  it('says plainly that the renderer is not built instead of crashing', async () => {
    kit = await startHostKit({ renderer: false });
    const res = await rawRequest(kit.host.port, '/', { headers: cookieFor(kit.host) });
    expect(res.status).toBe(503);
    expect(res.body).toContain('renderer not built: run vite build');
    // the socket and the router still work
    const { ws, client } = await connect(kit);
    expect((await client.call('session:status', {})).ok).toBe(true);
    ws.close();
  });

  it('carries contract calls over the socket through the router, with typed errors', async () => {
    kit = await startHostKit();
    const { ws, client } = await connect(kit);
    const status = await client.call('session:status', {});
    expect(status).toMatchObject({ ok: true, value: { state: 'uninitialized' } });
    const init = await client.call('session:init', { operator: 'alice', passphrase: PASS });
    expect(init).toMatchObject({ ok: true, value: { state: 'unlocked', operator: 'alice' } });
    const created = await client.call('keys:create', { type: 'storage', label: 'Backup disk' });
    expect(created).toMatchObject({ ok: true, value: { label: 'Backup disk', type: 'storage', state: 'active', currentVersion: 1 } });
    const list = await client.call('keys:list', {});
    expect((list.value as { keys: unknown[] }).keys).toHaveLength(1);
    expect(await client.call('keys:get', { keyId: '00000000-0000-4000-8000-000000000000' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await client.call('keys:list', { type: 'rocket' })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(await client.call('keys:launch', {})).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });
    ws.close();
  });

  it('answers calls in flight out of order by their ids', async () => {
    kit = await startHostKit();
    const { ws, client } = await connect(kit);
    const results = await Promise.all([
      client.call('session:status', {}),
      client.call('keys:list', { type: 'nope' }),
      client.call('session:status', {}),
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    ws.close();
  });

  it('answers malformed messages with id null and invalid_input, and keeps the socket open', async () => {
    kit = await startHostKit();
    const { ws, client } = await connect(kit);
    for (const text of ['not json', '[]', '42', 'null', '{"channel":"session:status","input":{}}', '{"id":0,"channel":"session:status"}', '{"id":-3,"channel":"x"}', '{"id":1.5,"channel":"x"}', '{"id":"7","channel":"x"}']) {
      const reply = await client.sendRaw(text, null);
      expect(reply.id, text).toBeNull();
      expect(reply.envelope.ok, text).toBe(false);
      expect(reply.envelope.error?.code, text).toBe('invalid_input');
    }
    // JSON sent as a binary frame is not a binary frame: its first four bytes are no header length that fits
    const binary = await client.sendRaw(Buffer.from('{"id":1}'), null);
    expect(binary.envelope.error?.code).toBe('invalid_input');
    const withId = await client.sendRaw('{"id":9,"channel":5}', 9);
    expect(withId.envelope.error?.code).toBe('invalid_input');
    const extra = await client.sendRaw('{"id":10,"channel":"session:status","input":{},"admin":true}', 10);
    expect(extra.envelope.error?.code).toBe('invalid_input');
    expect((await client.call('session:status', {})).ok).toBe(true);
    ws.close();
  });

  it('carries bytes as raw binary frames both ways: a 1 MiB payload crosses as 1 MiB, not as base64', async () => {
    kit = await startHostKit();
    const { ws, client } = await connect(kit);
    const frames: Array<{ binary: boolean; size: number }> = [];
    ws.on('message', (data: Buffer, isBinary: boolean) => frames.push({ binary: isBinary, size: data.length }));
    await client.call('session:init', { operator: 'alice', passphrase: PASS });
    const key = (await client.call('keys:create', { type: 'storage', label: 'Disk' })).value as { id: string };
    const plaintext = crypto.randomBytes(1024 * 1024);
    const sent: number[] = [];
    const send = ws.send.bind(ws);
    ws.send = ((data: Buffer | string, ...rest: never[]) => {
      sent.push(typeof data === 'string' ? -1 : data.length);
      return send(data, ...rest);
    }) as typeof ws.send;
    frames.length = 0;
    const enc = await client.call('keys:encrypt', { keyId: key.id, plaintext, aad: Buffer.from('robot-7') });
    expect(enc.ok).toBe(true);
    const ciphertext = (enc.value as { ciphertext: unknown }).ciphertext;
    expect(ciphertext).toBeInstanceOf(Uint8Array);
    // request and reply are one binary frame each, a few hundred bytes over the payload (base64 would add a third)
    expect(sent).toHaveLength(1);
    expect(sent[0]!).toBeGreaterThan(plaintext.length);
    expect(sent[0]!).toBeLessThan(plaintext.length + 1024);
    const reply = frames.find((f) => f.binary)!;
    expect(reply.size).toBeLessThan(plaintext.length + 1024);
    const dec = await client.call('keys:decrypt', { ciphertext: ciphertext as Uint8Array, aad: Buffer.from('robot-7') });
    expect(Buffer.from((dec.value as { plaintext: Uint8Array }).plaintext).equals(plaintext)).toBe(true);
    // a call without bytes still goes and comes back as a text frame
    frames.length = 0;
    await client.call('session:status', {});
    expect(frames.map((f) => f.binary)).toEqual([false]);
    ws.close();
  });

  it('answers every malformed binary frame with invalid_input (the id when its header names one), and keeps serving', async () => {
    kit = await startHostKit();
    const { ws, client } = await connect(kit);
    /** A binary frame: u32 header length, the header bytes, then the attachment bytes (written out by hand). */
    const frame = (header: string | Buffer, body: Buffer = Buffer.alloc(0), headerLength?: number) => {
      const h = typeof header === 'string' ? Buffer.from(header, 'utf8') : header;
      const len = Buffer.alloc(4);
      len.writeUInt32BE(headerLength ?? h.length);
      return Buffer.concat([len, h, body]);
    };
    const call = (extra: string) => `{"id":5,"channel":"keys:decrypt","input":{"ciphertext":{"$bytes":0}}${extra}}`;
    const cases: Array<[string, Buffer, number | null]> = [
      ['three bytes', Buffer.from([0, 0, 0]), null],
      ['header length 0', frame(''), null],
      ['header length 1', frame('{'), null],
      ['header length over 64 KiB', frame('{}', Buffer.alloc(10), 65537), null],
      ['header longer than the frame', frame(call(',"attachments":[1]'), Buffer.alloc(1), 4096), null],
      ['header not UTF-8', frame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), null],
      ['header not JSON', frame('{"id":5,'), null],
      ['header a JSON array', frame('[5]'), null],
      ['no attachments list', frame('{"id":5,"channel":"session:status","input":{}}'), 5],
      ['attachments not a list', frame(call(',"attachments":3'), Buffer.alloc(3)), 5],
      ['a negative attachment length', frame(call(',"attachments":[-1]')), 5],
      ['a fractional attachment length', frame(call(',"attachments":[1.5]'), Buffer.alloc(2)), 5],
      ['17 attachments', frame(call(`,"attachments":[${Array(17).fill(1).join(',')}]`), Buffer.alloc(17)), 5],
      ['fewer bytes than the attachments announce', frame(call(',"attachments":[10]'), Buffer.alloc(9)), 5],
      ['trailing bytes after the attachments', frame(call(',"attachments":[10]'), Buffer.alloc(11)), 5],
      ['a reference past the attachments', frame('{"id":5,"channel":"keys:decrypt","input":{"ciphertext":{"$bytes":1}},"attachments":[4]}', Buffer.alloc(4)), 5],
      ['a reference that is not an integer', frame('{"id":5,"channel":"keys:decrypt","input":{"ciphertext":{"$bytes":"0"}},"attachments":[4]}', Buffer.alloc(4)), 5],
      ['a reference with another key beside it', frame('{"id":5,"channel":"keys:decrypt","input":{"ciphertext":{"$bytes":0,"x":1}},"attachments":[4]}', Buffer.alloc(4)), 5],
      ['one attachment referenced twice', frame('{"id":5,"channel":"keys:decrypt","input":{"ciphertext":{"$bytes":0},"aad":{"$bytes":0}},"attachments":[4]}', Buffer.alloc(4)), 5],
      ['an attachment nothing refers to', frame(call(',"attachments":[4,4]'), Buffer.alloc(8)), 5],
      ['nesting deeper than 32', frame(`{"id":5,"channel":"keys:list","input":${'['.repeat(40)}${']'.repeat(40)},"attachments":[]}`), 5],
      ['an id that is not a positive integer', frame('{"id":0,"channel":"session:status","input":{},"attachments":[]}'), null],
      ['a field beside id, channel and input', frame('{"id":5,"channel":"session:status","input":{},"admin":true,"attachments":[]}'), 5],
    ];
    for (const [name, bytes, id] of cases) {
      const reply = await client.sendRaw(bytes, id);
      expect(reply.id, name).toBe(id);
      expect(reply.envelope, name).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
      expect(reply.envelope.error?.message, name).toMatch(/^Malformed message: /);
    }
    // Well-formed frames whose input is wrong reach the router and get its typed refusal, naming the field.
    const protoKey = await client.sendRaw(frame('{"id":6,"channel":"keys:decrypt","input":{"__proto__":{"ciphertext":{"$bytes":0}},"ciphertext":{"$bytes":0}},"attachments":[4]}', Buffer.alloc(4)), 6);
    expect(protoKey.envelope).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    const bytesForText = await client.sendRaw(frame('{"id":7,"channel":"keys:get","input":{"keyId":{"$bytes":0}},"attachments":[36]}', Buffer.alloc(36, 0x61)), 7);
    expect(bytesForText.envelope).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringContaining('keyId') } });
    const textForBytes = await client.call('keys:decrypt', { ciphertext: 'RUNQUw==' });
    expect(textForBytes).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringContaining('ciphertext: must be bytes') } });
    // The socket stays open and the host keeps answering.
    expect(ws.readyState).toBe(ws.OPEN);
    expect((await client.call('session:status', {})).ok).toBe(true);
    ws.close();
  });

  it('pushes console events to every connected socket', async () => {
    kit = await startHostKit();
    const a = await connect(kit);
    const b = await connect(kit);
    await a.client.call('session:init', { operator: 'alice', passphrase: PASS });
    const created = await a.client.call('keys:create', { type: 'communication', label: 'Link' });
    const keyId = (created.value as { id: string }).id;
    await a.client.call('session:status', {}); // a round trip after the pushes were queued
    await b.client.call('session:status', {});
    for (const c of [a.client, b.client]) {
      const names = c.events.map((e) => e.event);
      expect(names).toContain('session:changed');
      expect(names).toContain('audit:appended');
      expect(c.events).toContainEqual({ event: 'keys:changed', payload: { keyId } });
    }
    a.ws.close();
    b.ws.close();
  });

  it('closes a socket that sends more than 2 MiB in one message', async () => {
    kit = await startHostKit();
    const { ws } = await connect(kit);
    const closed = once(ws, 'close');
    ws.send(JSON.stringify({ id: 1, channel: 'keys:encrypt', input: { pad: 'A'.repeat(2 * 1024 * 1024 + 10) } }));
    const [code] = (await closed) as [number];
    expect(code).toBe(1009);
  });

  it('closes cleanly: sockets are closed, the port is released, later events go nowhere', async () => {
    kit = await startHostKit();
    const { port } = kit.host;
    const { ws } = await connect(kit);
    const closed = once(ws, 'close');
    await kit.host.close();
    await closed;
    await kit.host.close(); // idempotent
    const probe = createConnection({ host: '127.0.0.1', port });
    const [err] = (await once(probe, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNREFUSED');
    // the console still works and emits without a host listening
    const status = await kit.fleet.handlers['session:init']({ operator: 'bob', passphrase: PASS }, { transport: 'test' });
    expect(status.state).toBe('unlocked');
  });

  it('takes a given port', async () => {
    const first = await startHostKit();
    const port = first.host.port;
    await first.close();
    const { createConsole } = await import('../../electron/app.ts');
    const { startBrowserHost } = await import('../../electron/host/browserHost.ts');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'ecps-port-'));
    const fleet = await createConsole({ dataDir: dir, kdf: { N: 1024, r: 8, p: 1 } });
    const host = await startBrowserHost({ console: fleet, port, rendererDir: dir });
    try {
      expect(host.port).toBe(port);
      expect(host.url).toContain(`:${port}/?token=`);
    } finally {
      await host.close();
      fleet.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
