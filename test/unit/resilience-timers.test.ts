// The resilience layer's real timers in a real Node process: a pending call (its deadline, its backoff waits) keeps the
// process alive until it ends with its error, and the periodic health checks never keep an idle process alive.
// An unref'd backoff timer once let the CLI exit 0 in the middle of a retry, printing nothing.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { withResilience } from '../../electron/providers/resilience/withResilience.ts';
import { isProviderError, type KmsProvider, ProviderError } from '../../electron/providers/types.ts';
import { manualTimers } from './provider-testkit.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const SCRIPT = `
import { withResilience } from ${JSON.stringify(join(ROOT, 'electron/providers/resilience/withResilience.ts'))};
import { ProviderError } from ${JSON.stringify(join(ROOT, 'electron/providers/types.ts'))};
const refused = async () => { throw new ProviderError('Unavailable', 'connection refused', { providerId: 'p', providerCode: 'ECONNREFUSED' }); };
const ops = ['createKey', 'describeKey', 'listKeys', 'encrypt', 'decrypt', 'generateDataKey', 'sign', 'verify', 'getPublicKey', 'rotate', 'enable', 'disable', 'scheduleDestruction', 'cancelDestruction'];
const provider = { id: 'p', kind: 'aws_kms', capabilities: {}, health: async () => ({ ok: true, latencyMs: 0, detail: null }), close: async () => {} };
for (const op of ops) provider[op] = refused;
const p = withResilience(provider, { clock: { now: () => Date.now() }, timeoutMs: 5000, maxRetries: 3, baseDelayMs: 20, maxDelayMs: 40, random: () => 0.99, breaker: { failureThreshold: 100, openMs: 1000 } });
p.startHealthChecks(3_600_000);
try {
  await p.decrypt('k', Buffer.from('x'));
  console.log('resolved');
} catch (e) {
  console.log('settled', e.kind, p.status().attempts);
}
// Something ref'd (an hourly health check, say) would hold the process: this unref'd watchdog then says so.
setTimeout(() => { console.log('still alive'); process.exit(3); }, 2000).unref();
`;

function runNode(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('resilience timers in a real process', () => {
  it('keeps the process alive through every retry, then exits although hourly health checks are scheduled', async () => {
    const r = await runNode(SCRIPT);
    expect(r.stderr).toBe('');
    // 1 attempt + 3 retries, each after a backoff wait on a real timer; the process ended on its own afterwards.
    expect(r.stdout.trim()).toBe('settled Unavailable 4');
    expect(r.code).toBe(0);
  });
});

describe('closing a resilient provider', () => {
  it('ends a call waiting for its backoff and a call waiting for its answer at once, and cancels their timers', async () => {
    const clock = manualClock();
    const timers = manualTimers(clock);
    let describes = 0;
    const never = new Promise<never>(() => undefined);
    const inner = {
      id: 'p',
      kind: 'aws_kms',
      capabilities: {},
      describeKey: async () => {
        describes++;
        throw new ProviderError('Unavailable', 'refused', { providerId: 'p', providerCode: 'ECONNREFUSED' });
      },
      encrypt: () => never,
      close: async () => undefined,
    } as unknown as KmsProvider;
    const p = withResilience(inner, { clock, timeoutMs: 60_000, maxRetries: 5, baseDelayMs: 10_000, maxDelayMs: 10_000, random: () => 0.5, breaker: { failureThreshold: 100, openMs: 1000 }, timers });
    const waiting = p.describeKey('k').catch((e: unknown) => e);
    const hanging = p.encrypt('k', Buffer.from('x')).catch((e: unknown) => e);
    await timers.advance(0);
    expect(describes).toBe(1);
    expect(timers.pending()).toBe(2); // the backoff wait and the encrypt deadline
    await p.close();
    expect(timers.pending()).toBe(0);
    for (const e of [await waiting, await hanging]) {
      expect(isProviderError(e) && { kind: e.kind, providerCode: e.providerCode, retryable: e.retryable }).toEqual({ kind: 'Unavailable', providerCode: 'ConsoleClosed', retryable: false });
    }
    expect(describes).toBe(1);
  });
});
