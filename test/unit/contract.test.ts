import { describe, expect, it } from 'vitest';
import { CHANNELS, EVENT_NAMES, buildEnvelopeApi, contract, isChannelName, isEventName, type ChannelName } from '../../shared/contract.ts';

describe('IPC contract', () => {
  it('names every channel domain:verb and gives it an input and an output schema', () => {
    for (const name of CHANNELS) {
      expect(name).toMatch(/^[a-z]+:[a-zA-Z]+$/);
      expect(typeof contract[name].input.safeParse).toBe('function');
      expect(typeof contract[name].output.safeParse).toBe('function');
    }
  });

  it('rejects inherited and unknown names as channels and events', () => {
    for (const bad of ['toString', '__proto__', 'constructor', 'keys:drop', '', 42, null]) {
      expect(isChannelName(bad)).toBe(false);
      expect(isEventName(bad)).toBe(false);
    }
  });

  it('builds an API object with exactly one method per channel and routes each to its channel', async () => {
    const calls: Array<[string, unknown]> = [];
    const api = buildEnvelopeApi(
      async (channel, input) => {
        calls.push([channel, input]);
        return { ok: true, value: null };
      },
      () => () => {},
    );
    const methods: string[] = [];
    for (const [domain, group] of Object.entries(api)) {
      if (domain === 'on') continue;
      for (const verb of Object.keys(group as object)) methods.push(`${domain}:${verb}`);
    }
    expect(methods.sort()).toEqual([...CHANNELS].sort());
    for (const name of CHANNELS) {
      const [d, v] = name.split(':') as [string, string];
      await (api as unknown as Record<string, Record<string, (i: unknown) => Promise<unknown>>>)[d]![v]!({ probe: name });
    }
    expect(calls.map(([c]) => c)).toEqual(CHANNELS);
    expect(calls.every(([c, i]) => (i as { probe: ChannelName }).probe === c)).toBe(true);
  });

  it('subscribes only to declared events', () => {
    const seen: string[] = [];
    const api = buildEnvelopeApi(async () => ({ ok: true, value: null }), (event) => {
      seen.push(event);
      return () => {};
    });
    for (const e of EVENT_NAMES) api.on(e, () => {});
    expect(seen).toEqual(EVENT_NAMES);
    expect(() => api.on('keys:drop' as never, () => {})).toThrow(TypeError);
  });

  it('refuses extra fields, so a typo or an injected property never reaches a handler', () => {
    const r = contract['keys:rotate'].input.safeParse({ keyId: '0b7f7a64-5a3c-4d1e-9b1a-2f1e8e9c0d11', force: true });
    expect(r.success).toBe(false);
  });

  it('takes binary fields as bytes only, bounded in size: no base64 text, arrays or byte-like objects', () => {
    const keyId = '0b7f7a64-5a3c-4d1e-9b1a-2f1e8e9c0d11';
    const limit = 1024 * 1024; // MAX_IPC_PAYLOAD_BYTES, written out
    const encrypt = (plaintext: unknown) => contract['keys:encrypt'].input.safeParse({ keyId, plaintext });
    expect(encrypt(new Uint8Array(limit)).success).toBe(true);
    expect(encrypt(Buffer.alloc(5)).success).toBe(true);
    expect(encrypt(new Uint8Array(0)).success).toBe(true);
    expect(encrypt(new Uint8Array(limit + 1)).success).toBe(false);
    for (const wrong of ['aGVsbG8=', [104, 105], { 0: 104, length: 1 }, new Uint16Array(2), new ArrayBuffer(4), new DataView(new ArrayBuffer(4)), null]) {
      const r = encrypt(wrong);
      expect(r.success, String(wrong)).toBe(false);
      expect(r.error?.issues[0]?.message).toBe('must be bytes (a Uint8Array)');
    }
    const tooBig = encrypt(new Uint8Array(limit + 1));
    expect(tooBig.error?.issues[0]?.message).toBe(`must be at most ${limit} bytes`);
    const decrypt = (ciphertext: unknown, aad?: unknown) => contract['keys:decrypt'].input.safeParse({ ciphertext, ...(aad === undefined ? {} : { aad }) });
    expect(decrypt(new Uint8Array(limit + 4096)).success).toBe(true);
    expect(decrypt(new Uint8Array(limit + 4097)).success).toBe(false);
    expect(decrypt(new Uint8Array(10), new Uint8Array(6144)).success).toBe(true);
    expect(decrypt(new Uint8Array(10), new Uint8Array(6145)).success).toBe(false);
    expect(contract['keys:verify'].input.safeParse({ keyId, data: new Uint8Array(1), signature: new Uint8Array(1537) }).success).toBe(false);
    // outputs too: a handler answering base64 text is a bug the router catches
    expect(contract['keys:decrypt'].output.safeParse({ plaintext: 'aGVsbG8=', keyId, version: 1 }).success).toBe(false);
    expect(contract['keys:encrypt'].output.safeParse({ ciphertext: new Uint8Array(3), keyId, version: 1 }).success).toBe(true);
  });
});
