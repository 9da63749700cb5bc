// The opt-in Prometheus text endpoint for monitored stations: GET /metrics on a loopback address only (127.0.0.0/8 or
// ::1), off unless configured (ECPS_PROMETHEUS=127.0.0.1:9464, or ConsoleOptions.metrics.prometheus). Any other address
// is refused with invalid_input before anything binds: the indicators describe key use and must not leave the machine.
// The metrics are read at scrape time from the same store and in-memory aggregates as the metrics:series channel, in
// a registry of this console's own (never prom-client's global one), so two consoles in one process stay apart.
// The registry (prom-client) is built in prometheusRegistry.ts, which the console imports only when the endpoint is
// configured: a console without it does not load prom-client (test/unit/startup-libraries-lazy.test.ts).
import http from 'node:http';
import net from 'node:net';
import type { Registry } from 'prom-client';
import { ConsoleError } from '../../../shared/errors.ts';

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
