// Adapter-vs-raw-client latency, measured the same way by every provider bench: warm both, then alternate which
// side runs first in each round (so drift hits both alike) and keep the best per-call time of each.

import type { BenchResult } from './types.ts';

export async function timePerCall(iterations: number, op: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await op();
  return Number(process.hrtime.bigint() - t) / 1e6 / iterations;
}

export async function bestOfInterleaved(
  sides: { adapter: () => Promise<unknown>; sdk: () => Promise<unknown> },
  options: { warmup: number; rounds: number; iterations: number },
): Promise<{ bestAdapter: number; bestSdk: number }> {
  await timePerCall(options.warmup, sides.adapter);
  await timePerCall(options.warmup, sides.sdk);
  let bestAdapter = Infinity;
  let bestSdk = Infinity;
  for (let round = 0; round < options.rounds; round++) {
    if (round % 2 === 0) {
      bestSdk = Math.min(bestSdk, await timePerCall(options.iterations, sides.sdk));
      bestAdapter = Math.min(bestAdapter, await timePerCall(options.iterations, sides.adapter));
    } else {
      bestAdapter = Math.min(bestAdapter, await timePerCall(options.iterations, sides.adapter));
      bestSdk = Math.min(bestSdk, await timePerCall(options.iterations, sides.sdk));
    }
  }
  return { bestAdapter, bestSdk };
}

/** One BenchResult per case: best adapter time against best raw-client time, interleaved as above. */
export async function compareInterleaved(
  cases: ReadonlyArray<{ name: string; adapter: () => Promise<unknown>; sdk: () => Promise<unknown> }>,
  options: { warmup: number; rounds: number; iterations: number; targetRatio: number; baselineName: string; note: string },
): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const c of cases) {
    const { bestAdapter, bestSdk } = await bestOfInterleaved(c, options);
    const ratio = bestAdapter / bestSdk;
    results.push({
      name: c.name,
      unit: 'ms/call',
      baseline: bestSdk,
      measured: bestAdapter,
      ratio,
      target: `<= ${options.targetRatio}x ${options.baselineName} (latency)`,
      pass: ratio <= options.targetRatio,
      note: options.note,
    });
  }
  return results;
}
