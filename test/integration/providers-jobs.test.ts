// Provider jobs through the handlers: backup_keys_to_kms with a restore that proves the round trip (and reports a
// tampered backup row), the migration of local keys to a provider with progress events and old ciphertext still
// decrypting, and periodic health checks (injected timers) that flip a provider's status when it goes down and back.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseEnvelope } from '../../electron/crypto/envelope.ts';
import { nodeTimers, type Timers } from '../../electron/providers/resilience/resilienceOptions.ts';
import type { JobProgress } from '../../shared/contract.ts';
import { EXPECTED_OPERATIONS, PATH_FROM_ACTIVE, type State, STATES } from '../unit/keys-testkit.ts';
import { removeTempDirs, withRawDb } from '../unit/store-testkit.ts';
import { awsConfig, bytes, type Emulators, initialized, openConsole, PASS, startEmulators, vaultConfig } from './providers-kit.ts';

let emu: Emulators;
beforeAll(async () => {
  emu = await startEmulators();
});
afterAll(async () => {
  await emu.close();
  removeTempDirs();
});

describe('keys:backup and keys:verifyBackup', () => {
  it.each(['vault-backup', 'aws-primary'])('wraps every version of the local keys under %s and proves the round trip', async (providerId) => {
    const h = await initialized();
    await h.call('providers:save', { config: awsConfig(emu, { use_kms_for_storage: false }) });
    await h.call('providers:save', { config: vaultConfig(emu) });
    const storage = await h.call('keys:create', { type: 'storage', label: 'disk', provider: 'local' });
    await h.call('keys:rotate', { keyId: storage.id });
    const identity = await h.call('keys:create', { type: 'device_identity', label: 'robot id', algorithm: 'RSA_2048', provider: 'local' });
    expect(identity.provider).toBe('local');

    h.events.length = 0;
    const done = await h.call('keys:backup', { providerId });
    expect(done).toMatchObject({ backedUp: 2, versions: 3 });
    // Its progress as jobs:progress events (kind keys.backup, what the CLI prints): started, each key, done.
    const progress = h.events.filter((e) => e.event === 'jobs:progress').map((e) => e.payload as JobProgress);
    expect(progress.map((p) => [p.kind, p.state, p.done, p.total])).toEqual([
      ['keys.backup', 'running', 0, 2], ['keys.backup', 'running', 0, 2], ['keys.backup', 'running', 1, 2],
      ['keys.backup', 'running', 1, 2], ['keys.backup', 'running', 2, 2], ['keys.backup', 'done', 2, 2],
    ]);
    expect(new Set(progress.map((p) => p.jobId)).size).toBe(1);
    // A second run reuses the backup key.
    expect((await h.call('keys:backup', { providerId, keyIds: [storage.id] })).providerKeyRef).toBe(done.providerKeyRef);
    expect(await h.call('keys:verifyBackup', { providerId })).toEqual({ ok: true, checked: 3, failures: [] });
    expect(h.auditOf('key.backup').filter((r) => r.outcome === 'success')).toHaveLength(2);

    const dir = h.dir;
    h.console.close();
    withRawDb(dir, (db) => {
      const row = db.prepare('SELECT wrapped FROM key_backups WHERE provider = ? AND key_id = ? AND version = 2').get(providerId, storage.id) as { wrapped: Buffer };
      const bad = Buffer.from(row.wrapped);
      bad[bad.length - 5] = bad[bad.length - 5]! ^ 0x01;
      db.prepare('UPDATE key_backups SET wrapped = ? WHERE provider = ? AND key_id = ? AND version = 2').run(bad, providerId, storage.id);
    });
    const again = await openConsole({}, dir);
    await again.call('session:unlock', { operator: 'Officer Ada', passphrase: PASS });
    const verdict = await again.call('keys:verifyBackup', { providerId });
    expect(verdict.ok).toBe(false);
    expect(verdict.checked).toBe(3);
    expect(verdict.failures).toEqual([expect.objectContaining({ keyId: storage.id, version: 2 })]);
    again.console.close();
  });
});

describe('keys:backup per key state (the backup column of the state x operation table, test/unit/keys-testkit.ts)', () => {
  it('copies a named key only in the states the table allows, and skips the others when backing up all keys', async () => {
    const h = await initialized();
    await h.call('providers:save', { config: vaultConfig(emu) });
    const ids: Partial<Record<State, string>> = {};
    for (const state of STATES) {
      const k = await h.call('keys:create', { type: 'storage', label: `backup ${state}`, provider: 'local', activate: state !== 'pre_activation' });
      for (const step of PATH_FROM_ACTIVE[state]) await h.call('keys:setState', { keyId: k.id, state: step, reason: '' });
      ids[state] = k.id;
    }
    for (const state of STATES) {
      const expected = EXPECTED_OPERATIONS[state].backup;
      const call = h.call('keys:backup', { providerId: 'vault-backup', keyIds: [ids[state]!] });
      if (expected === 'ok') expect((await call).versions, state).toBe(1);
      else expect((await h.fail(call)).code, state).toBe(expected);
    }
    const all = await h.call('keys:backup', { providerId: 'vault-backup' });
    expect(all.backedUp).toBe(STATES.filter((s) => EXPECTED_OPERATIONS[s].backup === 'ok').length);
    h.console.close();
  });
});

describe('keys:migrate', () => {
  it('moves local encryption keys to AWS one at a time with progress; old ciphertext still decrypts', async () => {
    const h = await initialized();
    await h.call('providers:save', { config: awsConfig(emu, { use_kms_for_storage: false }) });
    const a = await h.call('keys:create', { type: 'storage', label: 'archive', provider: 'local' });
    const b = await h.call('keys:create', { type: 'communication', label: 'uplink', provider: 'local' });
    const signer = await h.call('keys:create', { type: 'emergency', label: 'orders', provider: 'local' });
    const old = await h.call('keys:encrypt', { keyId: a.id, plaintext: bytes('before the move'), aad: bytes('x') });

    const refused = await h.fail(h.call('keys:migrate', { providerId: 'aws-primary', keyIds: [a.id, signer.id] }));
    expect(refused).toMatchObject({ code: 'invalid_input' });
    expect(refused.message).toContain(signer.id);

    h.events.length = 0;
    const job = await h.call('keys:migrate', { providerId: 'aws-primary' });
    expect(job).toMatchObject({ kind: 'keys.migrate', state: 'done', done: 2, total: 2, error: null });
    const progress = h.events.filter((e) => e.event === 'jobs:progress').map((e) => e.payload as JobProgress);
    expect(progress[0]).toMatchObject({ state: 'running', done: 0, total: 2 });
    expect(progress.some((p) => p.current?.includes(a.id))).toBe(true);
    expect(progress.at(-1)).toMatchObject({ state: 'done', done: 2 });

    const moved = await h.call('keys:get', { keyId: a.id });
    expect(moved).toMatchObject({ provider: 'aws-primary', kmsBacked: true, currentVersion: 2 });
    expect((await h.call('keys:get', { keyId: signer.id })).provider).toBe('local');
    expect((await h.call('keys:decrypt', { ciphertext: old.ciphertext, aad: bytes('x') })).plaintext).toEqual(bytes('before the move'));
    const fresh = await h.call('keys:encrypt', { keyId: a.id, plaintext: bytes('after the move'), aad: bytes('x') });
    expect(fresh.version).toBe(2);
    expect(parseEnvelope(Buffer.from(fresh.ciphertext)).entries.map((e) => e.provider)).toEqual(['aws-primary']);
    expect(await h.call('keys:decrypt', { ciphertext: fresh.ciphertext, aad: bytes('x') })).toMatchObject({ plaintext: bytes('after the move'), version: 2 });
    expect((await h.call('keys:verifyIntegrity', { keyId: a.id })).ok).toBe(true);
    expect(h.auditOf('key.migrate').filter((r) => r.outcome === 'success').map((r) => r.targetId).sort()).toEqual([a.id, b.id].sort());

    // A failure names the key and leaves it where it was.
    const c = await h.call('keys:create', { type: 'storage', label: 'late', provider: 'local' });
    await emu.aws.faults.down();
    try {
      const failed = await h.call('keys:migrate', { providerId: 'aws-primary', keyIds: [c.id] });
      expect(failed).toMatchObject({ state: 'failed', done: 0, total: 1 });
      expect(failed.error).toContain(c.id);
    } finally {
      await emu.aws.faults.up();
    }
    expect(await h.call('keys:get', { keyId: c.id })).toMatchObject({ provider: 'local', currentVersion: 1 });
    h.console.close();
  });
});

describe('health checks', () => {
  it('flip the provider status when the emulator goes down and comes back', async () => {
    const ticks: Array<() => void> = [];
    const timers: Timers = {
      setTimeout: nodeTimers.setTimeout,
      setInterval(fn) {
        ticks.push(fn);
        return () => {
          ticks.splice(ticks.indexOf(fn), 1);
        };
      },
    };
    const h = await initialized({ providers: { baseDelayMs: 5, maxDelayMs: 20, failureThreshold: 1, openMs: 60_000, healthIntervalMs: 1000, timers } });
    await h.call('providers:save', { config: vaultConfig(emu) });
    expect(ticks).toHaveLength(1);
    const vaultStatus = async () => (await h.call('providers:list', {})).providers.find((p) => p.id === 'vault-backup')!;
    await vi.waitFor(async () => expect((await vaultStatus()).health?.ok).toBe(true));

    await emu.vault.faults.down();
    try {
      ticks.forEach((t) => t());
      await vi.waitFor(async () => expect((await vaultStatus()).health?.ok).toBe(false));
      const down = await vaultStatus();
      expect(down.circuit).toBe('open');
      expect(down.lastError?.message).toBeTruthy();
      expect(h.auditOf('provider.circuit')[0]).toMatchObject({ outcome: 'failure', details: { provider: 'vault-backup', to: 'open' } });
    } finally {
      await emu.vault.faults.up();
    }
    ticks.forEach((t) => t());
    await vi.waitFor(async () => expect((await vaultStatus()).health?.ok).toBe(true));
    expect((await vaultStatus()).circuit).toBe('closed');
    expect(h.events.some((e) => e.event === 'providers:changed')).toBe(true);

    // Locking stops the checks and the providers.
    await h.call('session:lock', {});
    await vi.waitFor(() => expect(ticks).toHaveLength(0));
    h.console.close();
  });
});
