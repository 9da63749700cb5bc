// 10,000 envelope encryptions and their decryptions through the provider layer (resilience wrapper, multi-provider
// envelope code) against the Vault transit emulator on 127.0.0.1, with the data-key cache versus without.
// Provider calls are counted at the emulator; the throughput ratio is cached / uncached.
import crypto from 'node:crypto';
import { systemClock } from '../../electron/clock.ts';
import { silentLogger } from '../../electron/logger.ts';
import { createDataKeyCache } from '../../electron/providers/cache/dataKeyCache.ts';
import { decryptFromRecipients, encryptForRecipients } from '../../electron/providers/multiEnvelope.ts';
import { withResilience } from '../../electron/providers/resilience/withResilience.ts';
import { createVaultTransitProvider } from '../../electron/providers/vault/vaultProvider.ts';
import { startVaultEmulator } from '../emulators/vault/server.ts';
import type { BenchResult } from './types.ts';

const MESSAGES = 10_000;

export async function run(): Promise<BenchResult[]> {
  const token = `hvs.${crypto.randomBytes(18).toString('base64url')}`;
  const vault = await startVaultEmulator({ token });
  const inner = createVaultTransitProvider({ id: 'vault-bench', endpoint: vault.endpoint, token, timeoutMs: 10_000, logger: silentLogger });
  const provider = withResilience(inner, { clock: systemClock, timeoutMs: 10_000, maxRetries: 2, baseDelayMs: 50, maxDelayMs: 1000, breaker: { failureThreshold: 5, openMs: 5000 } });
  try {
    const key = await provider.createKey({ name: 'bench-datakey', spec: 'AES_256', usage: 'encrypt' });
    const storeId = crypto.randomUUID();
    const aad = Buffer.from('robot-7/telemetry');
    const msg = crypto.randomBytes(1024);
    const lookup = (id: string) => (id === provider.id ? provider : undefined);

    const measure = async (cached: boolean) => {
      const cache = createDataKeyCache({ clock: systemClock, enabled: cached, ttlSeconds: 3600, maxEntries: 1000 });
      const deps = { storeId, cache };
      const before = vault.faults.requestCount;
      const started = process.hrtime.bigint();
      const cts: Buffer[] = [];
      for (let i = 0; i < MESSAGES; i++) cts.push((await encryptForRecipients(deps, [{ provider, keyRef: key.keyRef }], msg, aad)).ciphertext);
      const encDone = process.hrtime.bigint();
      const encCalls = vault.faults.requestCount - before;
      for (const ct of cts) {
        const out = await decryptFromRecipients(deps, lookup, ct, aad);
        if (!out.plaintext.equals(msg)) throw new Error('round trip failed');
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      cache.clear();
      return {
        perSecond: MESSAGES / seconds,
        encryptPerSecond: MESSAGES / (Number(encDone - started) / 1e9),
        encCalls,
        decCalls: vault.faults.requestCount - before - encCalls,
      };
    };

    await measure(true); // warm up the connection pool and the JIT
    const withCache = await measure(true);
    const without = await measure(false);
    const note = (r: typeof withCache) => `${r.encCalls} wrap + ${r.decCalls} unwrap provider calls`;
    return [
      {
        name: `10,000 envelope encrypt+decrypt (1 KiB, Vault emulator) with data-key cache vs without`,
        unit: 'msg/s',
        baseline: without.perSecond,
        measured: withCache.perSecond,
        ratio: withCache.perSecond / without.perSecond,
        target: '>= 10x the uncached throughput',
        pass: withCache.perSecond / without.perSecond >= 10,
        note: `cached: ${note(withCache)}; uncached: ${note(without)}`,
      },
      {
        name: `10,000 envelope encryptions only, with data-key cache vs without`,
        unit: 'msg/s',
        baseline: without.encryptPerSecond,
        measured: withCache.encryptPerSecond,
        ratio: withCache.encryptPerSecond / without.encryptPerSecond,
        target: 'reported',
        pass: true,
        note: `provider calls: ${withCache.encCalls} cached vs ${without.encCalls} uncached`,
      },
    ];
  } finally {
    await provider.close();
    await vault.close();
  }
}
