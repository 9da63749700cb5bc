/** One row of the benchmark table printed by test/bench/run.ts. */
export interface BenchResult {
  name: string;
  unit: string;
  /** The reference measured in the same run (e.g. raw node:crypto). */
  baseline: number;
  measured: number;
  /** measured / baseline (higher is better for throughput). */
  ratio: number;
  /** The target in words, e.g. ">= 0.5x raw AES-256-GCM". */
  target: string;
  pass: boolean;
  note?: string;
}
