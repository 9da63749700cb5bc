// Multi-provider envelopes over the emulators: one data key wrapped under AWS KMS (primary) and Vault (backup),
// decryptable while either is reachable, refused plainly when neither is; key creation fails over to the backup;
// the local fallback only when offline_mode allows it; the data-key cache cuts provider calls and is zeroed on lock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../electron/crypto/envelope.ts';
import { createKeyWithFailover } from '../../electron/providers/multiEnvelope.ts';
import { removeTempDirs } from '../unit/store-testkit.ts';
import { type Bench, startBench } from './provider-kit.ts';
import { failure as codeOf } from './support/consoleCalls.ts';

let bench: Bench;
beforeAll(async () => {
  bench = await startBench();
});
afterAll(async () => {
  await bench.close();
  removeTempDirs();
});

const aad = Buffer.from('robot-0042|telemetry');

async function twoKeys(m: ReturnType<Bench['manager']>, name: string) {
  const a = await m.primary.createKey({ name, spec: 'AES_256', usage: 'encrypt' });
  const v = await m.backup!.createKey({ name, spec: 'AES_256', usage: 'encrypt' });
  return [
    { providerId: m.primary.id, keyRef: a.keyRef },
    { providerId: m.backup!.id, keyRef: v.keyRef },
  ];
}

describe('multi-provider envelopes (AWS primary + Vault backup)', () => {
  it('wraps one data key under both providers in the console envelope format', async () => {
    const m = bench.manager({ primary: { enable_local_cache: false } });
    const recipients = await twoKeys(m, 'both');
    const out = await m.encrypt(recipients, Buffer.from('dock 7'), aad);
    expect(out.recipients.map((r) => r.providerId)).toEqual(['aws-primary', 'vault-backup']);
    expect(out).toMatchObject({ degraded: false, skipped: [], dataKeyFromCache: false });
    const env = parseEnvelope(out.ciphertext);
    expect(env.storeId).toBe(bench.local.storeId);
    expect(env.entries.map((e) => [e.provider, e.keyRef])).toEqual(recipients.map((r) => [r.providerId, r.keyRef]));
    const back = await m.decrypt(out.ciphertext, aad);
    expect(back.plaintext.toString()).toBe('dock 7');
    expect(back.providerId).toBe('aws-primary');
  });

  it('decrypts while either provider is down, and says clearly when both are', async () => {
    const m = bench.manager({ primary: { enable_local_cache: false } });
    const recipients = await twoKeys(m, 'either');
    const { ciphertext } = await m.encrypt(recipients, Buffer.from('either way'), aad);
    await bench.aws.faults.down();
    try {
      const viaVault = await m.decrypt(ciphertext, aad);
      expect(viaVault.plaintext.toString()).toBe('either way');
      expect(viaVault.providerId).toBe('vault-backup');
      expect(viaVault.failures.map((f) => [f.providerId, f.kind])).toEqual([['aws-primary', 'Unavailable']]);
      await bench.vault.faults.down();
      const none = await codeOf(m.decrypt(ciphertext, aad));
      expect(none.code).toBe('provider_unavailable');
      // Both named, each with what it answered (the open circuit is tried last).
      expect(none.message).toMatch(/vault-backup: .*ECONNREFUSED/);
      expect(none.message).toMatch(/aws-primary: circuit open/);
    } finally {
      await bench.aws.faults.up();
      await bench.vault.faults.up();
    }
    await bench.vault.faults.down();
    try {
      bench.local.clock.advance(10_000); // let the primary's circuit half-open
      const viaAws = await m.decrypt(ciphertext, aad);
      expect(viaAws.providerId).toBe('aws-primary');
      expect(viaAws.plaintext.toString()).toBe('either way');
    } finally {
      await bench.vault.faults.up();
    }
  });

  it('refuses to write when a required provider is down, and nothing is cached for the set', async () => {
    const m = bench.manager();
    const recipients = await twoKeys(m, 'required');
    await bench.vault.faults.down();
    try {
      const f = await codeOf(m.encrypt(recipients, Buffer.from('x'), aad));
      expect(f.code).toBe('provider_unavailable');
      expect(f.message).toMatch(/nothing was written.*vault-backup/);
      const partial = await m.encrypt(recipients, Buffer.from('partial'), aad, { requireAll: false });
      expect(partial.recipients.map((r) => r.providerId)).toEqual(['aws-primary']);
      expect(partial.skipped.map((s) => s.providerId)).toEqual(['vault-backup']);
    } finally {
      await bench.vault.faults.up();
    }
    // The backup's circuit stays open until openMs has passed; then the complete set is written and cached.
    expect((await codeOf(m.encrypt(recipients, Buffer.from('x'), aad))).message).toMatch(/vault-backup: circuit open/);
    bench.local.clock.advance(10_000);
    expect((await m.encrypt(recipients, Buffer.from('x'), aad)).dataKeyFromCache).toBe(false);
    expect((await m.encrypt(recipients, Buffer.from('y'), aad)).dataKeyFromCache).toBe(true);
  });

  it('falls back to the local provider only when offline_mode is on, and says so', async () => {
    const strict = bench.manager({ backup: null });
    expect(strict.fallback).toBeNull();
    const lenient = bench.manager({ primary: { offline_mode: true, enable_local_cache: false }, backup: null });
    expect(lenient.fallback?.id).toBe('local');
    const awsKey = await lenient.primary.createKey({ name: 'offline', spec: 'AES_256', usage: 'encrypt' });
    const localKey = await lenient.fallback!.createKey({ name: 'offline-fallback', spec: 'AES_256', usage: 'encrypt' });
    await bench.aws.faults.down();
    try {
      const f = await codeOf(strict.encrypt([{ providerId: 'aws-primary', keyRef: awsKey.keyRef }], Buffer.from('x'), aad, { fallbackKeyRef: localKey.keyRef }));
      expect(f.code).toBe('provider_unavailable');
      expect(f.message).toMatch(/offline_mode is off/);
      const out = await lenient.encrypt([{ providerId: 'aws-primary', keyRef: awsKey.keyRef }], Buffer.from('offline write'), aad, { fallbackKeyRef: localKey.keyRef });
      expect(out.degraded).toBe(true);
      expect(out.recipients.map((r) => r.providerId)).toEqual(['local']);
      expect(out.skipped.map((s) => [s.providerId, s.kind])).toEqual([['aws-primary', 'Unavailable']]);
      expect((await lenient.decrypt(out.ciphertext, aad)).plaintext.toString()).toBe('offline write');
    } finally {
      await bench.aws.faults.up();
    }
  });

  it('creates new keys on the backup when the primary is down and reports it', async () => {
    const m = bench.manager();
    await bench.aws.faults.down();
    try {
      const r = await createKeyWithFailover(m.primary, m.backup, { name: 'failover', spec: 'AES_256', usage: 'encrypt' });
      expect(r).toMatchObject({ providerId: 'vault-backup', failedOver: true, primaryOutcomeUnknown: false });
      expect(r.primaryFailure?.kind).toBe('Unavailable');
      expect((await m.backup!.describeKey(r.key.keyRef)).state).toBe('enabled');
      await bench.vault.faults.down();
      const both = await codeOf(createKeyWithFailover(m.primary, m.backup, { name: 'failover2', spec: 'AES_256', usage: 'encrypt' }));
      expect(both.code).toBe('provider_unavailable');
      expect(both.message).toMatch(/aws-primary.*vault-backup/);
    } finally {
      await bench.aws.faults.up();
      await bench.vault.faults.up();
    }
    bench.local.clock.advance(10_000);
    const ok = await createKeyWithFailover(m.primary, m.backup, { name: 'no-failover', spec: 'AES_256', usage: 'encrypt' });
    expect(ok).toMatchObject({ providerId: 'aws-primary', failedOver: false, primaryFailure: null });
    // A definite refusal is not a reason to fail over.
    const invalid = createKeyWithFailover(m.primary, m.backup, { name: 'bad name!', spec: 'AES_256', usage: 'encrypt' });
    await expect(invalid).rejects.toMatchObject({ kind: 'InvalidInput' });
  });

  it('tells tampering, wrong associated data and foreign stores apart', async () => {
    const m = bench.manager({ primary: { enable_local_cache: false } });
    const recipients = await twoKeys(m, 'tamper');
    const { ciphertext } = await m.encrypt(recipients, Buffer.from('authentic'), aad);
    expect((await codeOf(m.decrypt(ciphertext, Buffer.from('other aad')))).code).toBe('aad_mismatch');
    const env = parseEnvelope(ciphertext);
    const headerEnd = env.header.length;
    for (const at of [headerEnd - 1, headerEnd - 40, headerEnd + 2, ciphertext.length - 1]) {
      const bad = Buffer.from(ciphertext);
      bad[at]! ^= 0x01;
      expect((await codeOf(m.decrypt(bad, aad))).code).toBe('ciphertext_tampered');
    }
    const foreign = Buffer.from(ciphertext);
    foreign[6]! ^= 0xff;
    expect((await codeOf(m.decrypt(foreign, aad))).code).toBe('ciphertext_foreign');
  });

  it('with the cache on, many messages cost one provider call per recipient; lock() zeroes the cache', async () => {
    const m = bench.manager();
    const recipients = await twoKeys(m, 'cached');
    const awsBefore = bench.aws.faults.requestCount;
    const vaultBefore = bench.vault.faults.requestCount;
    const cts: Buffer[] = [];
    for (let i = 0; i < 50; i++) cts.push((await m.encrypt(recipients, Buffer.from(`msg ${i}`), aad)).ciphertext);
    expect(bench.aws.faults.requestCount - awsBefore).toBe(1);
    expect(bench.vault.faults.requestCount - vaultBefore).toBe(1);
    for (let i = 0; i < 50; i++) expect((await m.decrypt(cts[i]!, aad)).plaintext.toString()).toBe(`msg ${i}`);
    expect(bench.aws.faults.requestCount - awsBefore).toBe(2);
    expect(m.cache.stats().hits).toBeGreaterThanOrEqual(98);
    m.lock();
    expect(m.cache.stats().size).toBe(0);
    await m.decrypt(cts[0]!, aad);
    expect(bench.aws.faults.requestCount - awsBefore).toBe(3);
  });
});
