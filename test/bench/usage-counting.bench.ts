// Encryption with usage counting and metrics on vs off (issue 13's benchmark row: >= 0.95x). Two consoles in one
// process, each with its own store and one local communication key; 1 KiB encryptions through the key service
// (audited, each record durable before the result returns) with 16 callers in flight. "On" is the default console:
// every encryption claims a use of its key version, every block of uses is reserved by a conditional UPDATE inside
// the encryption's own group-commit transaction, and every key operation is observed by the metrics (its minute's
// count and latency histogram in memory, written to the store by the 10-second flush). "Off" is the same console with
// rotation.countUsage false and metrics.enabled false.
//
// Both sides pay a durable commit (an fsync) per group of encryptions, and on a shared machine its time moves by tens
// of percent from one second to the next; counting costs about a microsecond. So the comparison is made in pairs:
// each pair runs one short round of each side back to back (the first side alternates, so a drift over the pair
// hits both alike), its ratio is on/off, and the result is the median of the pairs' ratios with their spread (the
// interquartile range and the extremes). The best or the sum of rounds of each side would compare rounds run at
// different moments. A third console, identical to "off", runs in the same rounds (the three sides in a rotating
// order) as a control: its ratio to "off" is the bench's own noise, printed as a second row (an A/A comparison).
// Settings: USAGE_BENCH_PAIRS (rounds of the three sides, default 30), USAGE_BENCH_MESSAGES per round (default 400).
// Run: npm run bench -- usage-counting
import crypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import type { BenchResult } from './types.ts';

const KDF = { N: 1024, r: 8, p: 1 };
const CALLERS = 16;
const MESSAGES = Number(process.env.USAGE_BENCH_MESSAGES ?? 400);
const PAIRS = Number(process.env.USAGE_BENCH_PAIRS ?? 30);

/** Every order of the three sides, in turn: each side runs first, second and last equally often. */
const ORDERS = [
  ['on', 'off', 'control'], ['off', 'control', 'on'], ['control', 'on', 'off'],
  ['off', 'on', 'control'], ['on', 'control', 'off'], ['control', 'off', 'on'],
] as const;

/** The q-quantile of sorted numbers (linear between neighbours). */
function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** CPU time of this process per encryption, per side (rounds run one at a time, so a round's CPU is its side's). */
const cpuPerEncryption = { on: [] as number[], off: [] as number[], control: [] as number[] };

async function throughput(c: FleetConsole, keyId: string, msg: Buffer, aad: Buffer, cpu?: number[]): Promise<number> {
  let started = 0;
  const loop = async () => {
    while (started < MESSAGES) {
      started++;
      await c.keys.encrypt(keyId, msg, aad);
    }
  };
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: CALLERS }, loop));
  const used = process.cpuUsage(cpu0);
  cpu?.push((used.user + used.system) / MESSAGES);
  return MESSAGES / (Number(process.hrtime.bigint() - t0) / 1e9);
}

export async function run(): Promise<BenchResult[]> {
  const dirs = [0, 1, 2].map(() => mkdtempSync(path.join(tmpdir(), 'ecps-bench-usage-')));
  const uncounted = { rotation: { scheduler: false, countUsage: false }, metrics: { enabled: false } } as const;
  const on = await createConsole({ dataDir: dirs[0]!, kdf: KDF, rotation: { scheduler: false } });
  const off = await createConsole({ dataDir: dirs[1]!, kdf: KDF, ...uncounted });
  const control = await createConsole({ dataDir: dirs[2]!, kdf: KDF, ...uncounted });
  try {
    const keys: string[] = [];
    for (const c of [on, off, control]) {
      await c.handlers['session:init']({ operator: 'Bench Officer', passphrase: 'bench passphrase 0123' }, { transport: 'test' });
      keys.push((await c.keys.create({ type: 'communication', label: 'telemetry link' })).id);
    }
    const [keyOn, keyOff] = keys as [string, string, string];
    const msg = crypto.randomBytes(1024);
    const aad = Buffer.from('robot-7/telemetry');
    const sides = {
      on: () => throughput(on, keyOn, msg, aad, cpuPerEncryption.on),
      off: () => throughput(off, keyOff, msg, aad, cpuPerEncryption.off),
      control: () => throughput(control, keys[2]!, msg, aad, cpuPerEncryption.control),
    };
    for (const side of Object.values(sides)) await side();
    for (const list of Object.values(cpuPerEncryption)) list.length = 0; // warm-up rounds are not counted
    const load = [os.loadavg()[0]!];
    const ratios: number[] = [];
    const noise: number[] = [];
    const rates = { on: [] as number[], off: [] as number[], control: [] as number[] };
    for (let pair = 0; pair < PAIRS; pair++) {
      const rate = { on: 0, off: 0, control: 0 };
      for (const n of ORDERS[pair % ORDERS.length]!) rates[n].push((rate[n] = await sides[n]()));
      ratios.push(rate.on / rate.off);
      noise.push(rate.control / rate.off);
    }
    load.push(os.loadavg()[0]!);
    // What the commits did per side (all rounds, warm-up included): encryptions per group transaction and the time
    // spent inside those transactions (the members' work, COMMIT and fsync) per encryption.
    const commits = Object.entries({ on, off, control }).map(([n, c]) => {
      const g = c.diagnostics().auditGroups;
      return `${n} ${(g.members / g.groups).toFixed(1)}/group, ${((g.transactionMs * 1000) / g.members).toFixed(0)} us`;
    });
    const usage = on.rotation.usage(keyOn, 1)!;
    if (off.rotation.usage(keyOff, 1)!.count !== 0) throw new Error('the console without counting counted');
    const observed = on.metrics.service.view('hour').operationsPerSecond.reduce((n, p) => n + p.samples, 0);
    const unobserved = off.metrics.service.view('hour').operationsPerSecond.reduce((n, p) => n + p.samples, 0);
    if (unobserved !== 0) throw new Error('the console without metrics observed key operations');
    const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);
    const r = (x: number) => x.toFixed(3);
    const spread = (xs: number[]) => {
      const sorted = [...xs].sort((a, b) => a - b);
      return `interquartile ${r(quantile(sorted, 0.25))}-${r(quantile(sorted, 0.75))}, extremes ${r(sorted[0]!)}-${r(sorted.at(-1)!)}`;
    };
    const rounds = `median of ${PAIRS} rounds of ${MESSAGES} per side (the ratio per round`;
    const ratio = median(ratios);
    const aa = median(noise);
    return [
      {
        name: `1 KiB encrypt, console key service (audited, local key), ${CALLERS} callers: usage counting and metrics on vs off`,
        unit: 'encryptions/s',
        baseline: median(rates.off),
        measured: median(rates.on),
        ratio,
        target: '>= 0.95x counting and metrics off (median of paired rounds)',
        pass: ratio >= 0.95,
        note:
          `${rounds}; ${spread(ratios)}); counted ${usage.count} uses, ${usage.reserved} reserved durably (block 1024); ` +
          `${observed} key operations in the metrics; CPU per encryption (median) on ${median(cpuPerEncryption.on).toFixed(0)} us, off ${median(cpuPerEncryption.off).toFixed(0)} us, control ${median(cpuPerEncryption.control).toFixed(0)} us; load average ${load.map((l) => l.toFixed(1)).join(' -> ')}; commits: ${commits.join('; ')} in transactions per encryption`,
      },
      {
        name: `control (A/A): a second console with counting and metrics off vs off, same rounds`,
        unit: 'encryptions/s',
        baseline: median(rates.off),
        measured: median(rates.control),
        ratio: aa,
        target: 'within 0.95-1.05x (the bench\'s own noise)',
        pass: Math.abs(aa - 1) <= 0.05,
        note: `${rounds}; ${spread(noise)})`,
      },
    ];
  } finally {
    for (const c of [on, off, control]) c.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}
