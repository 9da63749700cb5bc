// Checklist: no secrets in responses. A whole session over the browser host against a real console: no reply, no
// pushed event, no log line and no audit export contains a passphrase, plaintext or private key material.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieFor, decodeHostFrame, openSocket, rawRequest, socketClient, startHostKit, type HostKit } from './hostKit.ts';

const PASS = 'Passphrase-Marker-7f3a9c correct horse';
const WRONG = 'Wrong-Passphrase-Marker-51be horse';
const PLAINTEXT = 'Plaintext-Marker-c0ffee robot firmware key';
const SECRET_FIELD = /privateKey|private_key|passphrase|masterKey|secret|dek|kek|material/i;

describe('no secrets in responses', () => {
  let kit: HostKit;
  /** Every frame the host sent, as text: a binary frame as latin1, so any ASCII marker inside its bytes shows. */
  let traffic: string[];
  let messages: unknown[];
  let exported = '';
  beforeAll(async () => {
    kit = await startHostKit();
    traffic = [];
    messages = [];
    const opened = await openSocket(`ws://127.0.0.1:${kit.host.port}/ws`, cookieFor(kit.host));
    if (!('ws' in opened)) throw new Error('socket refused');
    const ws = opened.ws;
    ws.on('message', (d, isBinary) => {
      traffic.push((d as Buffer).toString(isBinary ? 'latin1' : 'utf8'));
      messages.push(decodeHostFrame(d, isBinary));
    });
    const c = socketClient(ws);
    const bytes = (s: string) => Buffer.from(s, 'utf8');

    await c.call('session:init', { operator: 'alice', passphrase: PASS });
    const storage = (await c.call('keys:create', { type: 'storage', label: 'Disk' })).value as { id: string };
    const identity = (await c.call('keys:create', { type: 'device_identity', label: 'Robot 7', algorithm: 'EC_P256' })).value as { id: string };
    await c.call('keys:get', { keyId: storage.id });
    await c.call('keys:get', { keyId: identity.id });
    await c.call('keys:publicKey', { keyId: identity.id });
    await c.call('keys:sign', { keyId: identity.id, data: bytes(PLAINTEXT) });
    const enc = (await c.call('keys:encrypt', { keyId: storage.id, plaintext: bytes(PLAINTEXT) })).value as { ciphertext: Uint8Array };
    await c.call('keys:rotate', { keyId: storage.id });
    await c.call('keys:list', {});
    await c.call('session:lock', {});
    await c.call('session:unlock', { operator: 'alice', passphrase: WRONG });
    await c.call('session:unlock', { operator: 'alice', passphrase: WRONG + 'x'.repeat(2000) });
    await c.call('session:unlock', { operator: 'alice', passphrase: PASS, extra: WRONG });
    await c.call('session:unlock', { operator: 'alice', passphrase: PASS });
    await c.call('session:changePassphrase', { current: WRONG, next: WRONG });
    await c.call('audit:query', { offset: 0, limit: 1000 });
    // The export is streamed as a download from the host (the path the socket reply names), as the window fetches it.
    const started = (await c.call('audit:export', {})).value as { delivery: { kind: string; path: string } };
    if (started.delivery.kind !== 'download') throw new Error(`expected a download, got ${started.delivery.kind}`);
    const download = await rawRequest(kit.host.port, started.delivery.path, { headers: cookieFor(kit.host) });
    if (download.status !== 200) throw new Error(`audit export download: ${download.status} ${download.body}`);
    exported = download.body;
    // decrypt answers with the plaintext by design (raw bytes in a binary frame): the one reply allowed to carry it
    const before = traffic.length;
    const dec = await c.call('keys:decrypt', { ciphertext: enc.ciphertext });
    expect(Buffer.from((dec.value as { plaintext: Uint8Array }).plaintext).toString()).toBe(PLAINTEXT);
    const decReply = traffic.findIndex((t, i) => i >= before && t.includes('"plaintext":{"$bytes":0}'));
    expect(decReply).toBeGreaterThanOrEqual(before);
    expect(traffic[decReply]).toContain('Plaintext-Marker-c0ffee');
    traffic.splice(decReply, 1);
    messages.splice(decReply, 1);
    await c.call('session:status', {});
    ws.close();
  });
  afterAll(async () => {
    await kit.close();
  });

  it('exchanged a full session (the test is not vacuous)', () => {
    expect(traffic.length).toBeGreaterThan(20);
    expect(traffic.some((t) => t.includes('"code":"wrong_passphrase"'))).toBe(true);
    expect(traffic.some((t) => t.includes('"code":"invalid_input"'))).toBe(true);
    expect(traffic.some((t) => t.includes('-----BEGIN PUBLIC KEY-----'))).toBe(true);
  });

  it('no reply or event contains a passphrase, right or wrong, or the plaintext', () => {
    const all = traffic.join('\n');
    for (const marker of ['Passphrase-Marker-7f3a9c', 'Wrong-Passphrase-Marker-51be', 'Plaintext-Marker-c0ffee', Buffer.from(PLAINTEXT).toString('base64')]) {
      expect(all).not.toContain(marker);
    }
    expect(all).not.toContain('PRIVATE KEY');
  });

  it('no reply carries a field named like secret material', () => {
    const keysOf = (v: unknown, out: string[] = []): string[] => {
      if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          out.push(k);
          keysOf(x, out);
        }
      }
      return out;
    };
    const exportReply = traffic.find((t) => t.includes('"fileName"'));
    expect(exportReply).toBeDefined();
    for (const [i, msg] of messages.entries()) {
      for (const key of keysOf(msg)) expect(key, traffic[i]!.slice(0, 200)).not.toMatch(SECRET_FIELD);
    }
  });

  it('the audit export and the log hold no passphrase or plaintext either', () => {
    const logs = JSON.stringify(kit.logger.entries);
    // Not vacuous: the download is the whole export, and it holds the session's key records.
    expect(exported).toMatch(/^\{"format":"ecps-uv-audit-export"/);
    expect(exported).toContain('"action":"key.encrypt"');
    for (const text of [exported, logs]) {
      expect(text).not.toContain('Passphrase-Marker-7f3a9c');
      expect(text).not.toContain('Wrong-Passphrase-Marker-51be');
      expect(text).not.toContain('Plaintext-Marker-c0ffee');
    }
  });
});
