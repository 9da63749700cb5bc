// Encryption with usage counting and metrics on vs off (issue 13's benchmark row: >= 0.95x). Two consoles in one
// process, each with its own store and one local communication key; 1 KiB encryptions through the key service
// (audited, each record durable before the result returns) with 16 callers in flight. "On" is the default console:
// every encryption claims a use of its key version, every block of uses is reserved by a conditional UPDATE inside
// the encryption's own group-commit transaction, and every key operation is observed by the metrics (its minute's
// count and latency histogram in memory, written to the store by the 10-second flush). "Off" is the same console with
// rotation.countUsage false and metrics.enabled false. Rounds are interleaved (each round starts with the other
// side), the best round of each side is kept.
// Run: npm run bench -- usage-counting
import crypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import type { BenchResult } from './types.ts';

const KDF = { N: 1024, r: 8, p: 1 };
const CALLERS = 16;
const MESSAGES = Number(process.env.USAGE_BENCH_MESSAGES ?? 800);
const ROUNDS = Number(process.env.USAGE_BENCH_ROUNDS ?? 7);

async function throughput(c: FleetConsole, keyId: string, msg: Buffer, aad: Buffer): Promise<number> {
  let started = 0;
  const loop = async () => {
    while (started < MESSAGES) {
      started++;
      await c.keys.encrypt(keyId, msg, aad);
    }
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CALLERS }, loop));
  return MESSAGES / (Number(process.hrtime.bigint() - t0) / 1e9);
}

export async function run(): Promise<BenchResult[]> {
  const dirs = [mkdtempSync(path.join(tmpdir(), 'ecps-bench-usage-')), mkdtempSync(path.join(tmpdir(), 'ecps-bench-usage-'))];
  const on = await createConsole({ dataDir: dirs[0]!, kdf: KDF, rotation: { scheduler: false } });
  const off = await createConsole({ dataDir: dirs[1]!, kdf: KDF, rotation: { scheduler: false, countUsage: false }, metrics: { enabled: false } });
  try {
    for (const c of [on, off]) await c.handlers['session:init']({ operator: 'Bench Officer', passphrase: 'bench passphrase 0123' }, { transport: 'test' });
    const keyOn = await on.keys.create({ type: 'communication', label: 'telemetry link' });
    const keyOff = await off.keys.create({ type: 'communication', label: 'telemetry link' });
    const msg = crypto.randomBytes(1024);
    const aad = Buffer.from('robot-7/telemetry');
    const sides = { on: () => throughput(on, keyOn.id, msg, aad), off: () => throughput(off, keyOff.id, msg, aad) };
    await sides.on();
    await sides.off();
    const best = { on: 0, off: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const);
      for (const n of order) best[n] = Math.max(best[n], await sides[n]());
    }
    const usage = on.rotation.usage(keyOn.id, 1)!;
    if (off.rotation.usage(keyOff.id, 1)!.count !== 0) throw new Error('the console without counting counted');
    const observed = on.metrics.service.view('hour').operationsPerSecond.reduce((n, p) => n + p.samples, 0);
    const unobserved = off.metrics.service.view('hour').operationsPerSecond.reduce((n, p) => n + p.samples, 0);
    if (unobserved !== 0) throw new Error('the console without metrics observed key operations');
    const ratio = best.on / best.off;
    return [
      {
        name: `1 KiB encrypt, console key service (audited, local key), ${CALLERS} callers: usage counting and metrics on vs off`,
        unit: 'encryptions/s',
        baseline: best.off,
        measured: best.on,
        ratio,
        target: '>= 0.95x counting and metrics off',
        pass: ratio >= 0.95,
        note: `best of ${ROUNDS} interleaved rounds of ${MESSAGES}; counted ${usage.count} uses, ${usage.reserved} reserved durably (block 1024); ${observed} key operations in the metrics; load average ${os.loadavg()[0]!.toFixed(1)}`,
      },
    ];
  } finally {
    on.close();
    off.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}
