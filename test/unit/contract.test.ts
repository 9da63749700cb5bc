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

  it('bounds payload sizes of encrypt and decrypt', () => {
    const keyId = '0b7f7a64-5a3c-4d1e-9b1a-2f1e8e9c0d11';
    const big = 'A'.repeat(2 * 1024 * 1024);
    expect(contract['keys:encrypt'].input.safeParse({ keyId, plaintext: big }).success).toBe(false);
    expect(contract['keys:encrypt'].input.safeParse({ keyId, plaintext: 'aGVsbG8=' }).success).toBe(true);
    expect(contract['keys:encrypt'].input.safeParse({ keyId, plaintext: 'not base64!' }).success).toBe(false);
  });
});
