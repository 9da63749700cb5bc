// Checklist: bytes over Electron IPC. Electron carries a call and its reply by structured clone (V8's serializer, as
// node:v8's plain Serializer does here); it writes a typed array's whole ArrayBuffer, so a reply holding a Buffer
// sliced from Node's shared pool would hand the window the pool's other bytes. Through the registered handler: bytes
// arrive and leave as Uint8Array, each reply array carries exactly its own bytes, and the call's copy is wiped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { registerElectronIpc, type IpcMainLike } from '../../electron/ipc/electronIpc.ts';
import { IPC_CALL } from '../../electron/ipc/ipcChannels.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import type { IpcEventLike } from '../../electron/security/senderPolicy.ts';
import { APP_ORIGIN } from '../../electron/security/windowOptions.ts';
import { FAST_KDF } from './hostKit.ts';

const serialize = (value: unknown): Buffer => {
  const s = new v8.Serializer();
  s.writeHeader();
  s.writeValue(value);
  return s.releaseBuffer();
};
const deserialize = (wire: Buffer): unknown => {
  const d = new v8.Deserializer(wire);
  d.readHeader();
  return d.readValue();
};

const NEIGHBOUR = 'Pool-Neighbour-Marker-9d2e';

describe('bytes over Electron IPC (structured clone)', () => {
  let dir: string;
  let fleet: FleetConsole;
  let handler: (event: IpcEventLike, ...args: unknown[]) => Promise<unknown>;
  const main = { url: 'app://console/index.html', parent: null };
  const event: IpcEventLike = { senderFrame: main, sender: { id: 1, mainFrame: main } };
  /** One round trip as Electron makes it: the arguments cloned in, the reply cloned out (its wire bytes kept). */
  const invoke = async (channel: string, input: unknown) => {
    const [ch, copy] = deserialize(serialize([channel, input])) as [string, unknown];
    const replyWire = serialize(await handler(event, ch, copy));
    return { reply: deserialize(replyWire) as { ok: boolean; value?: Record<string, unknown> }, replyWire, inputCopy: copy as Record<string, unknown> };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ecps-ipc-bytes-'));
    fleet = await createConsole({ dataDir: dir, kdf: FAST_KDF });
    const registered = new Map<string, (event: IpcEventLike, ...args: unknown[]) => Promise<unknown>>();
    const ipcMain: IpcMainLike = { handle: (ch, fn) => void registered.set(ch, fn), removeHandler: (ch) => void registered.delete(ch) };
    registerElectronIpc({ ipcMain, router: createRouter({ handlers: fleet.handlers }), trustedWindow: () => ({ webContentsId: 1, origin: APP_ORIGIN }) });
    handler = registered.get(IPC_CALL)!;
  });
  afterAll(() => {
    fleet.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips bytes as Uint8Array; a reply carries only its own bytes, never its pool neighbours; the call copy is wiped', async () => {
    await invoke('session:init', { operator: 'alice', passphrase: 'correct horse battery staple' });
    const key = (await invoke('keys:create', { type: 'storage', label: 'Disk' })).reply.value as { id: string };
    const plaintext = new TextEncoder().encode('move to dock 7');
    // Small Buffers share Node's pool: put a marker there, as any other secret of the process could be.
    const neighbour = Buffer.from(NEIGHBOUR);
    // What each buffer released by the handler held at that moment (ArrayBuffer.prototype.transfer watched, not
    // replaced): the main process's copy of the plaintext must be zeros before its memory is handed back.
    const released: string[] = [];
    const proto = ArrayBuffer.prototype as ArrayBuffer & { transfer(n?: number): ArrayBuffer };
    const original = proto.transfer;
    const transfer = vi.spyOn(proto, 'transfer').mockImplementation(function (this: ArrayBuffer, n?: number) {
      released.push(Buffer.from(this).toString('latin1'));
      return original.call(this, n);
    });
    let enc: Awaited<ReturnType<typeof invoke>>;
    try {
      enc = await invoke('keys:encrypt', { keyId: key.id, plaintext, aad: new TextEncoder().encode('robot-7') });
    } finally {
      transfer.mockRestore();
    }
    expect(enc.reply.ok).toBe(true);
    const ciphertext = enc.reply.value!.ciphertext as Uint8Array;
    expect(ciphertext).toBeInstanceOf(Uint8Array);
    expect(ciphertext.buffer.byteLength).toBe(ciphertext.byteLength);
    expect(enc.replyWire.toString('latin1')).not.toContain(NEIGHBOUR);
    expect(enc.replyWire.length).toBeLessThan(ciphertext.byteLength + 512);
    // the main process's copy of the plaintext is zeroed once the call is answered, then its memory released
    expect((enc.inputCopy.plaintext as Uint8Array).byteLength).toBe(0);
    const zeros = (n: number) => '\0'.repeat(n);
    expect(released).toContain(zeros(plaintext.byteLength));
    expect(released.join('')).not.toContain('move to dock 7');

    const dec = await invoke('keys:decrypt', { ciphertext, aad: new TextEncoder().encode('robot-7') });
    expect(new TextDecoder().decode(dec.reply.value!.plaintext as Uint8Array)).toBe('move to dock 7');
    expect(dec.replyWire.toString('latin1')).not.toContain(NEIGHBOUR);
    expect(neighbour.toString()).toBe(NEIGHBOUR);

    // base64 text where bytes belong is refused by the contract, as over every transport
    const text = await invoke('keys:decrypt', { ciphertext: Buffer.from(ciphertext).toString('base64') });
    expect(text.reply).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
  });
});
