// Checklist: WebSocket refused without the token, with a foreign Origin or Host, or on another path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieFor, openSocket, socketClient, startHostKit, type HostKit } from './hostKit.ts';

describe('WebSocket upgrade guard', () => {
  let kit: HostKit;
  beforeAll(async () => {
    kit = await startHostKit();
  });
  afterAll(async () => {
    await kit.close();
  });

  const url = () => `ws://127.0.0.1:${kit.host.port}/ws`;

  it('refuses a socket without a token (401)', async () => {
    expect(await openSocket(url(), {})).toMatchObject({ refused: 401 });
  });

  it('refuses a socket from a foreign Origin even with the token (403)', async () => {
    for (const origin of ['https://evil.example', 'http://localhost:1', 'null']) {
      expect(await openSocket(url(), cookieFor(kit.host), origin), origin).toMatchObject({ refused: 403 });
    }
  });

  it('refuses a socket with a foreign Host header (421)', async () => {
    expect(await openSocket(url(), { ...cookieFor(kit.host), host: 'evil.example' })).toMatchObject({ refused: 421 });
  });

  it('refuses an upgrade on any path other than /ws (404)', async () => {
    expect(await openSocket(`ws://127.0.0.1:${kit.host.port}/socket`, cookieFor(kit.host))).toMatchObject({ refused: 404 });
  });

  it('accepts our own page: token cookie and same Origin', async () => {
    const opened = await openSocket(url(), cookieFor(kit.host), `http://127.0.0.1:${kit.host.port}`);
    if (!('ws' in opened)) throw new Error(`refused ${opened.refused}`);
    const client = socketClient(opened.ws);
    expect(await client.call('session:status', {})).toMatchObject({ ok: true });
    opened.ws.close();
  });
});
