// Adapter-vs-raw-client latency, measured the same way by every provider bench: warm both, then alternate which
// side runs first in each round (so drift hits both alike) and keep the best per-call time of each.

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
