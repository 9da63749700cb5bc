// Encryption with usage counting and metrics on vs off (issue 13's benchmark row: >= 0.95x). Three consoles in one
// process, each with its own store and one local communication key; 1 KiB encryptions through the key service
// (audited, each record durable before the result returns) with 16 callers in flight. "On" is the default console:
// every encryption claims a use of its key version, every block of uses is reserved by a conditional UPDATE inside
// the encryption's own group-commit transaction, and every key operation is observed by the metrics (its minute's
// count and latency histogram in memory, written to the store by the 10-second flush). "Off" is the same console with
// rotation.countUsage false and metrics.enabled false.
//
// Both sides pay a durable commit (an fsync) per group of encryptions, and on a shared machine its time moves by tens
// of percent from one second to the next; counting costs about a microsecond. So the comparison is made in rounds:
// each round runs one short run of each side back to back, its ratio is on/off, and the result is the median of the
// rounds' ratios with their spread (the interquartile range and the extremes). The best or the sum of runs of each
// side would compare runs made at different moments. A third console, identical to "off", runs in the same rounds
// as a control: its ratio to "off" is the bench's own noise, printed as a second row (an A/A comparison).
//
// The order of the sides in each round is a fresh random permutation (seeded, the seed printed). Until 2026-12-06 it
// cycled through the six orders, and the young-generation collections (a scavenge every ~640 encryptions of all
// sides, every 1.6 runs) fell in step with that cycle: the same sides' runs took them every time (on 35-36, off
// 13-14, control 26 scavenges in 40 rounds, run after run), so "off" ran faster than the identical control (A/A
// 0.89-0.93) and "on" paid for collections of the others' garbage. In a random order a run takes a scavenge with the
// probability of its share of the allocation (22-28 each in the same runs), so each side pays for its own garbage.
// The note gives the scavenges and their time per side (PerformanceObserver 'gc' entries, by the run in progress).
// Settings: USAGE_BENCH_PAIRS (rounds of the three sides, default 90: from a quiet run's spread of the rounds' ratios,
// interquartile 0.86-1.06, the median's standard error is about 0.03 with 30 rounds and 0.02 with 90), USAGE_BENCH_MESSAGES per run (default 400), USAGE_BENCH_SEED (the orders' seed;
// default random).
// Run: npm run bench -- usage-counting
import crypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import type { BenchResult } from './types.ts';

const KDF = { N: 1024, r: 8, p: 1 };
const CALLERS = 16;
const MESSAGES = Number(process.env.USAGE_BENCH_MESSAGES ?? 400);
const PAIRS = Number(process.env.USAGE_BENCH_PAIRS ?? 90);

const SEED = Number(process.env.USAGE_BENCH_SEED ?? crypto.randomInt(2 ** 31));
const SIDES = ['on', 'off', 'control'] as const;
type Side = (typeof SIDES)[number];

/** A seeded generator (mulberry32): the rounds' orders are random but can be replayed with USAGE_BENCH_SEED. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random order of the three sides (Fisher-Yates). */
function shuffled(random: () => number): Side[] {
  const order: Side[] = [...SIDES];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** The q-quantile of sorted numbers (linear between neighbours). */
function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** CPU time of this process per encryption, per side (rounds run one at a time, so a round's CPU is its side's). */
const cpuPerEncryption = { on: [] as number[], off: [] as number[], control: [] as number[] };

/** Each counted run's side and span (performance.now()), to tell whose run each garbage collection fell in. */
const runs: Array<{ side: Side; start: number; end: number }> = [];

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
    const collected: Array<{ start: number; ms: number }> = [];
    const gc = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) collected.push({ start: e.startTime, ms: e.duration });
    });
    gc.observe({ entryTypes: ['gc'] });
    const random = seeded(SEED);
    const load = [os.loadavg()[0]!];
    const ratios: number[] = [];
    const noise: number[] = [];
    const rates = { on: [] as number[], off: [] as number[], control: [] as number[] };
    for (let pair = 0; pair < PAIRS; pair++) {
      const rate = { on: 0, off: 0, control: 0 };
      for (const n of shuffled(random)) {
        const start = performance.now();
        rates[n].push((rate[n] = await sides[n]()));
        runs.push({ side: n, start, end: performance.now() });
      }
      ratios.push(rate.on / rate.off);
      noise.push(rate.control / rate.off);
    }
    load.push(os.loadavg()[0]!);
    // Entries are delivered after the collection; a last one of the final run arrives by the next turn.
    await new Promise((resolve) => setImmediate(resolve));
    gc.disconnect();
    const collections = { on: { n: 0, ms: 0 }, off: { n: 0, ms: 0 }, control: { n: 0, ms: 0 } };
    for (const c of collected) {
      const run = runs.find((r) => c.start >= r.start && c.start < r.end);
      if (run) {
        collections[run.side].n++;
        collections[run.side].ms += c.ms;
      }
    }
    const gcNote = SIDES.map((n) => `${n} ${collections[n].n} (${(collections[n].ms / PAIRS).toFixed(1)} ms/round)`).join(', ');
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
    const rounds = `median of ${PAIRS} rounds of ${MESSAGES} per side in random order, seed ${SEED} (the ratio per round`;
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
          `${observed} key operations in the metrics; CPU per encryption (median) on ${median(cpuPerEncryption.on).toFixed(0)} us, off ${median(cpuPerEncryption.off).toFixed(0)} us, control ${median(cpuPerEncryption.control).toFixed(0)} us; load average ${load.map((l) => l.toFixed(1)).join(' -> ')}; commits: ${commits.join('; ')} in transactions per encryption; garbage collections in each side's runs: ${gcNote}`,
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
