// The console's metrics as a prom-client registry for the Prometheus endpoint (prometheus.ts). Its own module so that
// prom-client is loaded only when the endpoint is configured (app.ts imports this on demand): every major GC of the
// main process marks what is loaded.
import { Counter, Gauge, Registry } from 'prom-client';
import type { Severity } from '../../store/metricsRepo.ts';
import type { Metrics } from './metrics.ts';

/** The console's metrics as a prom-client registry, read at scrape time. */
export function buildRegistry(metrics: Metrics, openAlerts: () => Record<Severity, number>): Registry {
  const registry = new Registry();
  let snap: ReturnType<Metrics['snapshot']> | null = null;
  // One snapshot per scrape: the first collector reads it, the others reuse it.
  const current = () => (snap ??= metrics.snapshot());
  const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge) => void) =>
    new Gauge({ name, help, labelNames, registers: [registry], collect(this: Gauge) { this.reset(); collect(this); } });
  new Counter({
    name: 'ecps_key_operations_total',
    help: 'Audited key operations since the console started, by action.',
    labelNames: ['operation'],
    registers: [registry],
    collect(this: Counter) {
      snap = null;
      this.reset();
      for (const [op, n] of Object.entries(current().operationsTotal)) this.inc({ operation: op }, n);
    },
  });
  gauge('key_operations_per_second', 'Key operations per second over the last full minute.', [], (g) => g.set(current().operationsPerSecond));
  gauge('key_rotation_success_rate', 'Percent of key rotation attempts that succeeded in the last hour (absent when none ran).', [], (g) => {
    const r = current().rotationSuccessRate;
    if (r !== null) g.set(r);
  });
  gauge('kms_availability', 'Percent of provider calls and health checks that succeeded in the last hour, per provider.', ['provider'], (g) => {
    for (const [provider, v] of Object.entries(current().availability)) g.set({ provider }, v);
  });
  gauge('encryption_latency_ms', 'Encryption latency percentiles (ms) in the last hour, per provider.', ['provider', 'quantile'], (g) => {
    for (const [provider, q] of Object.entries(current().latency)) {
      for (const [quantile, v] of [['0.5', q.p50], ['0.95', q.p95], ['0.99', q.p99]] as const) if (v !== null) g.set({ provider, quantile }, v);
    }
  });
  gauge('ecps_alerts_unacknowledged', 'Unacknowledged alerts per severity.', ['severity'], (g) => {
    for (const [severity, n] of Object.entries(openAlerts())) g.set({ severity }, n);
  });
  return registry;
}
