// The opt-in Prometheus text endpoint for monitored stations: GET /metrics on a loopback address only (127.0.0.0/8 or
// ::1), off unless configured (ECPS_PROMETHEUS=127.0.0.1:9464, or ConsoleOptions.metrics.prometheus). Any other address
// is refused with invalid_input before anything binds: the indicators describe key use and must not leave the machine.
// The metrics are read at scrape time from the same store and in-memory aggregates as the metrics:series channel, in
// a registry of this console's own (never prom-client's global one), so two consoles in one process stay apart.
import http from 'node:http';
import net from 'node:net';
import { Counter, Gauge, Registry } from 'prom-client';
import { ConsoleError } from '../../../shared/errors.ts';
import type { Severity } from '../../store/metricsRepo.ts';
import type { Metrics } from './metrics.ts';

export interface PrometheusAddress {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
}

export interface PrometheusEndpoint {
  readonly url: string;
  readonly registry: Registry;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  if (net.isIPv4(host)) return host.split('.')[0] === '127';
  if (net.isIPv6(host)) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

/** Reads "host:port" (IPv6 in brackets: "[::1]:9464"); invalid_input naming `field` when it is not a loopback address. */
export function parsePrometheusAddress(value: string, field = 'ECPS_PROMETHEUS'): PrometheusAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new ConsoleError('invalid_input', `Configuration error: ${field} must be host:port on a loopback address, e.g. 127.0.0.1:9464.`, { field });
  }
  return { host: (m[1] ?? m[2])!, port };
}

export function requireLoopback(address: PrometheusAddress, field = 'ECPS_PROMETHEUS'): void {
  if (!isLoopback(address.host)) {
    throw new ConsoleError(
      'invalid_input',
      `The Prometheus endpoint binds to loopback only (127.0.0.1 or ::1); ${address.host} was refused. Scrape it through a local agent or an SSH tunnel.`,
      { field, host: address.host },
    );
  }
}

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

/** Serves `registry` on a loopback address; refuses any other address before binding. */
export async function startPrometheusEndpoint(address: PrometheusAddress, registry: Registry): Promise<PrometheusEndpoint> {
  requireLoopback(address);
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as net.AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${host}:${bound.port}/metrics`,
    registry,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
