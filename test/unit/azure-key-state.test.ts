// The Azure adapter's own key state check: which states refuse which use (a table written from Key Vault's
// documentation: enabled gates everything; nbf / exp gate encrypt / wrap / sign only), and the state cache's TTL,
// invalidation, shared in-flight reads and dropped failures.
import type { KeyVaultKey } from '@azure/keyvault-keys';
import { describe, expect, it } from 'vitest';
import { createKeyStateCache, requireUsable, type Use, type VersionState } from '../../electron/providers/azure/azureKeyState.ts';
import { ProviderError } from '../../electron/providers/types.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const V1 = '0123456789abcdef0123456789abcdef';
const V2 = 'fedcba9876543210fedcba9876543210';
const state = (over: Partial<VersionState> = {}): VersionState => ({ versionId: V1, enabled: true, notBefore: null, expiresOn: null, ...over });

// key state, version state, use, expected providerCode of the refusal (null = allowed).
const TABLE: Array<[string, VersionState, VersionState, Use, string | null]> = [
  ['enabled, no dates, protect', state(), state(), 'protect', null],
  ['enabled, no dates, open', state(), state(), 'open', null],
  ['key disabled, protect', state({ enabled: false }), state(), 'protect', 'KeyDisabled'],
  ['key disabled, open', state({ enabled: false }), state(), 'open', 'KeyDisabled'],
  ['old version disabled, open', state({ versionId: V2 }), state({ enabled: false }), 'open', 'KeyDisabled'],
  ['expired, protect', state(), state({ expiresOn: NOW - 1 }), 'protect', 'KeyExpired'],
  ['expires exactly now, protect', state(), state({ expiresOn: NOW }), 'protect', 'KeyExpired'],
  ['expired, open', state(), state({ expiresOn: NOW - 1 }), 'open', null],
  ['not yet valid, protect', state(), state({ notBefore: NOW + 1 }), 'protect', 'KeyNotYetValid'],
  ['valid from now, protect', state(), state({ notBefore: NOW }), 'protect', null],
  ['not yet valid, open', state(), state({ notBefore: NOW + 1 }), 'open', null],
  ['expired and disabled, open', state(), state({ enabled: false, expiresOn: NOW - 1 }), 'open', 'KeyDisabled'],
];

describe('requireUsable', () => {
  it.each(TABLE)('%s', (_what, key, version, use, refusal) => {
    let thrown: unknown = null;
    try {
      requireUsable('k', key, version, use, NOW, 'az');
    } catch (e) {
      thrown = e;
    }
    if (refusal === null) expect(thrown).toBeNull();
    else expect(thrown).toMatchObject({ kind: 'KeyDisabled', providerCode: refusal, providerId: 'az' });
  });
});

describe('the key state cache', () => {
  const bundle = (version: string, enabled = true): KeyVaultKey => ({ name: 'k', properties: { name: 'k', vaultUrl: 'https://v', version, enabled } });

  it('reads once per TTL, shares a read in flight, and reads again after forget()', async () => {
    let now = NOW;
    const reads: string[] = [];
    let enabled = true;
    const cache = createKeyStateCache({
      ttlMs: 5_000,
      now: () => now,
      providerId: 'az',
      fetch: async (name, v) => {
        reads.push(`${name}/${v ?? ''}`);
        return bundle(v ?? V1, enabled);
      },
    });
    const [a, b] = await Promise.all([cache.latest('k'), cache.latest('k')]);
    expect([a.versionId, b.versionId, reads.length]).toEqual([V1, V1, 1]);
    // The newest version also answers for its own id without a second read.
    expect((await cache.version('k', V1)).versionId).toBe(V1);
    expect(reads).toEqual(['k/']);
    enabled = false;
    now += 4_999;
    expect((await cache.latest('k')).enabled).toBe(true);
    now += 1;
    expect((await cache.latest('k')).enabled).toBe(false);
    enabled = true;
    cache.forget('k');
    expect((await cache.latest('k')).enabled).toBe(true);
    expect((await cache.version('k', V2)).versionId).toBe(V2);
    expect(reads).toEqual(['k/', 'k/', 'k/', `k/${V2}`]);
  });

  it('keeps no failed read, and refuses an answer without a version id', async () => {
    let fail = true;
    const cache = createKeyStateCache({
      ttlMs: 60_000,
      now: () => NOW,
      providerId: 'az',
      fetch: async () => {
        if (fail) throw new ProviderError('Unavailable', 'down', { providerId: 'az' });
        return bundle('not-a-version');
      },
    });
    await expect(cache.latest('k')).rejects.toMatchObject({ kind: 'Unavailable' });
    fail = false;
    await expect(cache.latest('k')).rejects.toMatchObject({ kind: 'Unavailable', providerCode: 'MalformedResponse' });
  });
});
