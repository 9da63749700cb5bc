// The opt-in Prometheus endpoint (docs/metrics-and-alerts.md): off by default; when configured it serves text in the
// Prometheus exposition format on 127.0.0.1 with the specification's indicator names; any address that is not
// loopback is refused with invalid_input naming the setting, before the store is even opened.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createConsole } from '../../electron/app.ts';
import { silentLogger } from '../../electron/logger.ts';
import { STORE_FILE_NAME } from '../../electron/store/database.ts';
import { isConsoleError } from '../../shared/errors.ts';
import { CTX, FAST_KDF, openUnlocked, PASSPHRASE, removeTempDirs, tempDir } from '../unit/store-testkit.ts';

afterAll(() => removeTempDirs());

/** The specification's indicator names (KMS_INTEGRATION.md, "Metrics and Alerting") and the console's own. */
const NAMES = ['key_operations_per_second', 'key_rotation_success_rate', 'kms_availability', 'encryption_latency_ms', 'ecps_key_operations_total', 'ecps_alerts_unacknowledged'];

/** One sample line of the text format: name, optional {label="value",...}, a float value. */
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$/;

function parseExposition(text: string): { types: Map<string, string>; samples: Array<{ name: string; labels: string; value: number }> } {
  const types = new Map<string, string>();
  const samples: Array<{ name: string; labels: string; value: number }> = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const t = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (t) {
      types.set(t[1]!, t[2]!);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a Prometheus text line: ${line}`);
    samples.push({ name: m[1]!, labels: m[2] ?? '', value: Number(m[5]) });
  }
  return { types, samples };
}

describe('Prometheus endpoint', () => {
  it('is off by default', async () => {
    const c = await openUnlocked(tempDir('ecps-prom-off-'), { env: {} });
    expect(c.metrics.prometheus).toBeNull();
    c.close();
  });

  it('serves parseable text with the indicator names on 127.0.0.1 (from ECPS_PROMETHEUS)', async () => {
    const c = await openUnlocked(tempDir('ecps-prom-'), { env: { ECPS_PROMETHEUS: '127.0.0.1:0' } });
    try {
      const endpoint = c.metrics.prometheus!;
      expect(new URL(endpoint.url).hostname).toBe('127.0.0.1');
      const key = await c.handlers['keys:create']({ type: 'storage', label: 'scraped' }, CTX);
      await c.handlers['keys:encrypt']({ keyId: key.id, plaintext: new Uint8Array(Buffer.from('x')) }, CTX);
      await c.handlers['keys:rotate']({ keyId: key.id }, CTX);
      const res = await fetch(endpoint.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const { types, samples } = parseExposition(await res.text());
      for (const name of NAMES) expect(types.has(name), name).toBe(true);
      expect(types.get('ecps_key_operations_total')).toBe('counter');
      expect(samples.find((s) => s.name === 'ecps_key_operations_total' && s.labels.includes('operation="key.encrypt"'))?.value).toBe(1);
      // One rotation, successful: 100 %.
      expect(samples.find((s) => s.name === 'key_rotation_success_rate')?.value).toBe(100);
      expect(samples.filter((s) => s.name === 'encryption_latency_ms' && s.labels.includes('provider="local"')).map((s) => /quantile="([^"]+)"/.exec(s.labels)![1]).sort()).toEqual(['0.5', '0.95', '0.99']);
      expect((await fetch(endpoint.url.replace('/metrics', '/other'))).status).toBe(404);
    } finally {
      c.close();
    }
  });

  // [configured address, the setting named]
  const REFUSED: Array<[string, string]> = [
    ['0.0.0.0:9464', 'ECPS_PROMETHEUS'],
    ['192.168.1.10:9464', 'ECPS_PROMETHEUS'],
    ['[::]:9464', 'ECPS_PROMETHEUS'],
    ['localhost:9464', 'ECPS_PROMETHEUS'],
    ['127.0.0.1', 'ECPS_PROMETHEUS'],
    ['127.0.0.1:70000', 'ECPS_PROMETHEUS'],
  ];
  it.each(REFUSED)('refuses %s with invalid_input before opening the store', async (value, field) => {
    const dir = tempDir('ecps-prom-bad-');
    const err = await createConsole({ dataDir: dir, kdf: FAST_KDF, logger: silentLogger, env: { ECPS_PROMETHEUS: value } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isConsoleError(err) && err.code).toBe('invalid_input');
    expect(isConsoleError(err) && err.details?.field).toBe(field);
    expect(fs.existsSync(path.join(dir, STORE_FILE_NAME))).toBe(false);
  });

  it('refuses a non-loopback address given in the options too', async () => {
    const err = await createConsole({ dataDir: tempDir('ecps-prom-opt-'), kdf: FAST_KDF, logger: silentLogger, env: {}, metrics: { prometheus: { host: '10.0.0.1', port: 9464 } } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isConsoleError(err) && err.toInfo()).toMatchObject({ code: 'invalid_input', details: { field: 'metrics.prometheus', host: '10.0.0.1' } });
  });

  it('one-shot consoles (no periodic scheduler) never serve it', async () => {
    const c = await openUnlocked(tempDir('ecps-prom-cli-'), { env: { ECPS_PROMETHEUS: '127.0.0.1:0' }, rotation: { scheduler: false } });
    expect(c.metrics.prometheus).toBeNull();
    await c.handlers['session:lock']({}, CTX);
    await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    c.close();
  });
});
