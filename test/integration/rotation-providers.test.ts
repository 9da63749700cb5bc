// Rotation with keys on a provider (the AWS KMS emulator): encryptions through the multi-provider envelope, with the
// data-key cache on, are counted against the version's usage limit like local ones; the limit's rotation goes to AWS;
// a scheduled rotation that fails because AWS is down is audited as critical and retried after its backoff, once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { removeTempDirs } from '../unit/store-testkit.ts';
import { awsConfig, bytes, type Emulators, initialized, startEmulators } from './providers-kit.ts';

let emu: Emulators;
beforeAll(async () => {
  emu = await startEmulators();
});
afterAll(async () => {
  await emu.close();
  removeTempDirs();
});

const T0 = Date.parse('2026-02-02T10:00:00Z');
const DAY = 86_400_000;
/** The first retry of a failed rotation: one minute (docs/rotation.md, "Failures"). */
const FIRST_RETRY_MS = 60_000;
// A breaker that stays closed: these tests are about the scheduler's retries, not the circuit.
const tuning = { baseDelayMs: 5, maxDelayMs: 20, failureThreshold: 1000, openMs: 60_000, healthIntervalMs: 3_600_000 };

describe('keys on AWS KMS', () => {
  it('counts every encryption, cached data key or not, refuses past the limit, and the limit rotates the key on AWS', async () => {
    const clock = manualClock(T0);
    const h = await initialized({ clock, providers: tuning, rotation: { scheduler: false, usageBlock: 2 } });
    await h.call('providers:save', { config: awsConfig(emu, { enable_local_cache: true }) });
    const key = await h.call('keys:create', { type: 'storage', label: 'archive', provider: 'aws-primary' });
    h.console.rotation.policies.setKeyPolicy(key.id, { mode: 'manual', usageLimit: 5 });
    const aad = bytes('site-9');
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await h.call('keys:encrypt', { keyId: key.id, plaintext: bytes(`record ${i}`), aad }));
    expect(h.console.rotation.usage(key.id, 1)).toMatchObject({ count: 5, limitReached: true });
    expect((await h.fail(h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('one too many'), aad }))).code).toBe('usage_limit_reached');
    const r = await h.console.rotation.scheduler.tick();
    expect(r.ran).toMatchObject([{ keyId: key.id, reason: 'usage_limit', outcome: 'success', toVersion: 2 }]);
    expect(h.auditOf('key.rotate')[0]).toMatchObject({ outcome: 'success', details: { provider: 'aws-primary' } });
    const after = await h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('fresh'), aad });
    expect(after.version).toBe(2);
    expect((await h.call('keys:decrypt', { ciphertext: made[0]!.ciphertext, aad })).plaintext).toEqual(bytes('record 0'));
    h.console.close();
  });

  it('a rotation due while AWS is down fails (audited critical), waits for its retry time, then succeeds once', async () => {
    const clock = manualClock(T0);
    const h = await initialized({ clock, providers: tuning, rotation: { scheduler: false } });
    await h.call('providers:save', { config: awsConfig(emu) });
    const key = await h.call('keys:create', { type: 'communication', label: 'link', provider: 'aws-primary' });
    clock.set(T0 + 2 * DAY);
    await emu.aws.faults.down();
    let r;
    try {
      r = await h.console.rotation.scheduler.tick();
    } finally {
      await emu.aws.faults.up();
    }
    expect(r.ran).toMatchObject([{ keyId: key.id, outcome: 'failure', code: 'provider_unavailable' }]);
    const failed = h.auditOf('rotation.run')[0]!;
    expect(failed).toMatchObject({ outcome: 'failure', details: { code: 'provider_unavailable', severity: 'critical', attempts: 1 } });
    expect(Date.parse(failed.details.retryAt as string)).toBe(T0 + 2 * DAY + FIRST_RETRY_MS);
    // Before the retry time nothing runs, although AWS answers again.
    clock.set(T0 + 2 * DAY + FIRST_RETRY_MS - 1);
    expect((await h.console.rotation.scheduler.tick()).ran).toHaveLength(0);
    clock.set(T0 + 2 * DAY + FIRST_RETRY_MS);
    r = await h.console.rotation.scheduler.tick();
    expect(r.ran).toMatchObject([{ keyId: key.id, outcome: 'success', toVersion: 2 }]);
    expect(h.auditOf('rotation.run')[0]).toMatchObject({ outcome: 'success', details: { attempts: 2 } });
    expect((await h.console.rotation.scheduler.tick()).ran).toHaveLength(0);
    expect((await h.call('keys:get', { keyId: key.id })).currentVersion).toBe(2);
    h.console.close();
  });
});
