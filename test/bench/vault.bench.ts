// Adapter overhead: the Vault transit adapter versus the raw node-vault call it wraps, against the same emulator, for
// the same operation (encrypt / decrypt of a 32-byte data key with associated data), interleaved in rounds so that
// drift hits both alike. The raw client gets the same transport settings as the adapter (keep-alive agent, timeout),
// so the ratio isolates what the adapter itself adds (validation, key-type check, response parsing, error mapping).
// Each round times both paths back to back; the result is the median of the per-round latency ratios.
// Target: adapter latency <= 1.15x raw, i.e. throughput ratio >= 0.87.
import crypto from 'node:crypto';
import http from 'node:http';
import nodeVault from 'node-vault';
import { createVaultTransitProvider } from '../../electron/providers/vault/vaultProvider.ts';
import { startVaultEmulator } from '../emulators/vault/server.ts';
import type { BenchResult } from './types.ts';

const ROUNDS = 21;
const PER_ROUND = 60;
const TARGET_LATENCY_RATIO = 1.15;

async function timed(count: number, op: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await op();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

export async function run(): Promise<BenchResult[]> {
  const token = `hvs.${crypto.randomBytes(18).toString('base64url')}`;
  const vault = await startVaultEmulator({ token });
  const provider = createVaultTransitProvider({ id: 'vault-bench', endpoint: vault.endpoint, token });
  const agent = new http.Agent({ keepAlive: true });
  const raw = nodeVault({ endpoint: vault.endpoint, token, debug: () => undefined, requestOptions: { timeout: 10_000, httpAgent: agent } });
  try {
    const key = await provider.createKey({ name: 'bench-key', spec: 'AES_256', usage: 'encrypt' });
    const dataKey = crypto.randomBytes(32);
    const aad = Buffer.from('robot-0042|link');
    const body = { plaintext: dataKey.toString('base64'), associated_data: aad.toString('base64') };
    const { ciphertext } = await provider.encrypt(key.keyRef, dataKey, aad);
    const ctText = ciphertext.toString('latin1');

    const ops = {
      encrypt: {
        adapter: () => provider.encrypt(key.keyRef, dataKey, aad),
        raw: () => raw.write(`transit/encrypt/${key.keyRef}`, body),
      },
      decrypt: {
        adapter: () => provider.decrypt(key.keyRef, ciphertext, aad),
        raw: () => raw.write(`transit/decrypt/${key.keyRef}`, { ciphertext: ctText, associated_data: body.associated_data }),
      },
    };

    const results: BenchResult[] = [];
    for (const [name, op] of Object.entries(ops)) {
      // Warm up connections and JIT on both paths.
      for (let i = 0; i < 4; i++) {
        await timed(50, op.adapter);
        await timed(50, op.raw);
      }
      const adapterTimes: number[] = [];
      const rawTimes: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        // Alternate which path goes first in a round.
        if (round % 2 === 0) {
          adapterTimes.push(await timed(PER_ROUND, op.adapter));
          rawTimes.push(await timed(PER_ROUND, op.raw));
        } else {
          rawTimes.push(await timed(PER_ROUND, op.raw));
          adapterTimes.push(await timed(PER_ROUND, op.adapter));
        }
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const latencyRatio = median(adapterTimes.map((t, i) => t / rawTimes[i]!));
      const baseline = PER_ROUND / median(rawTimes);
      const measured = baseline / latencyRatio;
      results.push({
        name: `vault transit ${name} (32 B + AAD), adapter vs raw node-vault`,
        unit: 'ops/s',
        baseline,
        measured,
        ratio: measured / baseline,
        target: `>= ${(1 / TARGET_LATENCY_RATIO).toFixed(2)}x raw throughput (latency <= ${TARGET_LATENCY_RATIO}x)`,
        pass: latencyRatio <= TARGET_LATENCY_RATIO,
        note: `median of ${ROUNDS} paired rounds of ${PER_ROUND}; latency ratio ${latencyRatio.toFixed(3)}; emulator in the same process`,
      });
    }
    return results;
  } finally {
    await provider.close();
    agent.destroy();
    await vault.close();
  }
}
