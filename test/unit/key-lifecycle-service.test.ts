// The key lifecycle service (services/keys/keys.ts) in-process: a real store database, catalog and store provider for
// local keys, scripted providers for keys elsewhere, and a recording audit log. What is expected comes from
// docs/key-store.md and docs/providers.md ("Keys on providers"), written out here: the type profiles, the refusals
// and their messages, a key made on a provider under "key-<id>", its backup and pre-activation, retiring a half-made
// key, failover to the backup, rotation rules, public keys from the catalog, and the integrity check.
import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createStoreKeyProvider } from '../../electron/providers/local/storeKeyProvider.ts';
import { type KmsProvider, ProviderError } from '../../electron/providers/types.ts';
import { createKeyRestrictions } from '../../electron/services/keys/keyPolicy.ts';
import { createKeyLifecycle } from '../../electron/services/keys/keys.ts';
import type { KeyServiceDeps } from '../../electron/services/keys/keysShared.ts';
import { createKeysRepo } from '../../electron/store/keysRepo.ts';
import { ConsoleError } from '../../shared/errors.ts';
import { localFixture, type LocalFixture } from './provider-testkit.ts';
import { removeTempDirs } from './store-testkit.ts';
import { createGroupCommit } from '../../electron/services/audit/groupCommit.ts';
import { consoleRefusal } from './keys-testkit.ts';

const fixtures: LocalFixture[] = [];
afterEach(() => {
  for (const f of fixtures.splice(0)) f.close();
  removeTempDirs();
});

const { publicKey: EC_PUBLIC } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const EC_PEM = EC_PUBLIC.export({ format: 'pem', type: 'spki' }) as string;
const EC_DER = EC_PUBLIC.export({ format: 'der', type: 'spki' });

interface Scripted {
  provider: KmsProvider;
  calls: Array<[string, ...unknown[]]>;
  fail: Partial<Record<string, ProviderError>>;
  describe: { state: string; currentVersion: number };
}

function scripted(id: string, caps: { rotateSigningKeys?: boolean; scheduledDestruction?: boolean } = {}): Scripted {
  const calls: Scripted['calls'] = [];
  const fail: Scripted['fail'] = {};
  const s: Scripted = { provider: null as unknown as KmsProvider, calls, fail, describe: { state: 'enabled', currentVersion: 1 } };
  const rec = (name: string, answer: (...a: unknown[]) => unknown) => async (...args: unknown[]) => {
    calls.push([name, ...args]);
    if (fail[name]) throw fail[name];
    return answer(...args);
  };
  s.provider = {
    id,
    kind: 'aws_kms',
    capabilities: { rotateSigningKeys: caps.rotateSigningKeys ?? false, scheduledDestruction: caps.scheduledDestruction ?? true },
    createKey: rec('createKey', (input) => ({ keyRef: `${id}-ref`, name: (input as { name: string }).name, currentVersion: 1 })),
    disable: rec('disable', () => undefined),
    scheduleDestruction: rec('scheduleDestruction', () => ({ deletionDate: '2026-02-01T00:00:00.000Z' })),
    rotate: rec('rotate', () => ({ version: 4 })),
    getPublicKey: rec('getPublicKey', (_ref, v) => ({ pem: EC_PEM, version: v })),
    describeKey: rec('describeKey', () => ({ ...s.describe })),
  } as unknown as KmsProvider;
  return s;
}

function setup(providers: Record<string, Scripted> = {}, extra: Partial<KeyServiceDeps> = {}) {
  const f = localFixture();
  fixtures.push(f);
  const repo = createKeysRepo(f.store.db);
  const audit: Array<{ action: string; targetId: string | null; outcome: string; details: Record<string, unknown> }> = [];
  const warnings: unknown[] = [];
  const counters = { cacheCleared: 0, sessionChecks: 0, changed: [] as Array<string | null> };
  const localKms = { id: 'local-kms' } as unknown as KmsProvider;
  const store = createStoreKeyProvider({ repo, keyring: f.keyring, clock: f.clock });
  const deps = {
    repo,
    session: { require: () => (counters.sessionChecks++, { keyring: f.keyring() }), actor: () => 'officer' },
    audit: { append: (r: (typeof audit)[number]) => audit.push(r) },
    clock: f.clock,
    logger: { error: () => undefined, warn: (...a: unknown[]) => warnings.push(a), info: () => undefined },
    transaction: <T>(fn: () => T) => f.store.db.transaction(fn)(),
    commits: createGroupCommit({ transaction: <T>(fn: () => T) => f.store.db.transaction(fn)(), inTransaction: () => f.store.db.inTransaction }),
    onKeysChanged: (id: string | null) => counters.changed.push(id),
    checkpointWal: () => undefined,
    registry: {
      get: (id: string) => (providers[id] ? { provider: providers[id].provider } : undefined),
      require: (id: string) => {
        if (!providers[id]) throw new ConsoleError('not_found', `No provider with id ${id} is configured.`, { provider: id });
        return { provider: providers[id].provider };
      },
      environmentRefusal: () => null,
      cache: () => ({ clear: () => counters.cacheCleared++ }),
    },
    store,
    localKms,
    restrictions: createKeyRestrictions(),
    ...extra,
  } as unknown as KeyServiceDeps;
  const nowIso = () => new Date(f.clock.now()).toISOString();
  return { keys: createKeyLifecycle(deps), repo, audit, warnings, counters, f, nowIso };
}

const refusal = consoleRefusal;

const DAY = 86_400;

describe('key lifecycle: create', () => {
  // The documented type profiles (docs/key-store.md): default algorithm, rotation period.
  const PROFILES: Array<[string, string, number | null]> = [
    ['device_identity', 'RSA_2048', null],
    ['communication', 'AES_256', DAY],
    ['storage', 'AES_256', null],
    ['emergency', 'RSA_2048', 365 * DAY],
  ];
  it.each(PROFILES)('a %s key defaults to %s, rotation every %s s, and is audited', async (type, algorithm, rotation) => {
    const { keys, audit, repo, nowIso, counters } = setup();
    const k = await keys.create({ type: type as 'storage', label: `${type} key` });
    expect(k).toMatchObject({ type, algorithm, state: 'active', provider: 'local', currentVersion: 1, rotationSeconds: rotation, createdAt: nowIso() });
    expect(k.nextRotationAt).toBe(rotation === null ? null : new Date(Date.parse(nowIso()) + rotation * 1000).toISOString());
    expect(repo.get(k.id)).toMatchObject({ state: 'active', providerKeyRef: null });
    expect(repo.getVersion(k.id, 1)).toMatchObject({ version: 1, provider: null, destroyed: false });
    expect(audit).toEqual([{ actor: 'officer', action: 'key.create', targetType: 'key', targetId: k.id, outcome: 'success', details: { type, algorithm, provider: 'local', label: `${type} key`, state: 'active' } }]);
    expect(counters.changed).toEqual([k.id]);
    expect(counters.cacheCleared).toBe(0);
  });

  it('refuses an algorithm the type does not allow, naming the allowed ones', async () => {
    const { keys, audit } = setup();
    expect(await refusal(keys.create({ type: 'device_identity', label: 'x', algorithm: 'AES_256' }))).toEqual({
      code: 'invalid_input',
      message: 'A device_identity key uses RSA_2048 or EC_P256, not AES_256.',
      details: { field: 'algorithm' },
    });
    expect(audit[0]).toMatchObject({ action: 'key.create', outcome: 'failure', targetId: null, details: { type: 'device_identity', algorithm: 'AES_256', provider: 'local', code: 'invalid_input' } });
    expect((await refusal(keys.create({ type: 'storage', label: 'x', algorithm: 'EC_P256' }))).message).toBe('A storage key uses AES_256, not EC_P256.');
  });

  it('a key may start in pre-activation', async () => {
    const { keys } = setup();
    const k = await keys.create({ type: 'communication', label: 'later', activate: false });
    expect(k).toMatchObject({ state: 'pre_activation', nextRotationAt: expect.any(String) });
  });

  it('refuses a backup for a local key or a signing key, a backup equal to the primary, and the fallback provider', async () => {
    const aws = scripted('aws');
    const { keys } = setup({ aws });
    expect(await refusal(keys.create({ type: 'storage', label: 'x', backupProvider: 'aws' }))).toEqual({
      code: 'invalid_input', message: 'A key held in the local store takes no backup provider; use keys:backup to back it up.', details: { field: 'backupProvider' },
    });
    expect(await refusal(keys.create({ type: 'device_identity', label: 'x', provider: 'aws', backupProvider: 'vault' }))).toEqual({
      code: 'invalid_input', message: 'A backup provider wraps data keys; only encryption keys take one.', details: { field: 'backupProvider' },
    });
    expect(await refusal(keys.create({ type: 'storage', label: 'x', provider: 'aws', backupProvider: 'aws' }))).toEqual({
      code: 'invalid_input', message: 'The backup provider must differ from the primary provider.', details: { field: 'backupProvider' },
    });
    expect(await refusal(keys.create({ type: 'storage', label: 'x', provider: 'local-kms' }))).toEqual({
      code: 'invalid_input', message: "Provider local-kms holds only the console's fallback keys.", details: { field: 'provider' },
    });
    expect((await refusal(keys.create({ type: 'storage', label: 'x', provider: 'gcp' }))).code).toBe('not_found');
    expect((await refusal(keys.create({ type: 'storage', label: 'x', provider: 'aws', backupProvider: 'gcp' }))).code).toBe('not_found');
    expect(aws.calls).toEqual([]);
  });

  it('on a provider: named key-<id>, with its backup; the signing key version records the public key', async () => {
    const aws = scripted('aws');
    const vault = scripted('vault');
    const { keys, repo, audit } = setup({ aws, vault });
    const k = await keys.create({ type: 'communication', label: 'link', provider: 'aws', backupProvider: 'vault' });
    const spec = { name: `key-${k.id}`, spec: 'AES_256', usage: 'encrypt', description: `ECPS console key ${k.id}` };
    expect(aws.calls).toEqual([['createKey', spec]]);
    expect(vault.calls).toEqual([['createKey', spec]]);
    expect(k).toMatchObject({ provider: 'aws', backupProvider: 'vault', kmsBacked: true });
    expect(repo.get(k.id)).toMatchObject({ provider: 'aws', providerKeyRef: 'aws-ref', backupProvider: 'vault', backupKeyRef: 'vault-ref' });
    expect(repo.getVersion(k.id, 1)).toMatchObject({ provider: 'aws', providerVersion: 1, checkValue: 'provider:aws', publicSpki: null });
    expect(audit[0]!.details).toEqual({ type: 'communication', algorithm: 'AES_256', provider: 'aws', backupProvider: 'vault', label: 'link', state: 'active' });

    const s = await keys.create({ type: 'device_identity', label: 'id', algorithm: 'EC_P256', provider: 'aws' });
    expect(aws.calls.at(-1)).toEqual(['getPublicKey', 'aws-ref', 1]);
    expect(repo.getVersion(s.id, 1)!.publicSpki).toEqual(EC_DER);
  });

  it('pre-activation on a provider disables the key and its backup', async () => {
    const aws = scripted('aws');
    const vault = scripted('vault');
    const { keys } = setup({ aws, vault });
    const k = await keys.create({ type: 'storage', label: 'x', provider: 'aws', backupProvider: 'vault', activate: false });
    expect(k.state).toBe('pre_activation');
    expect(aws.calls.map((c) => c[0])).toEqual(['createKey', 'disable']);
    expect(vault.calls).toEqual([['createKey', expect.anything()], ['disable', 'vault-ref']]);
  });

  it('a key that cannot be completed is retired at its provider (7 days where it waits, 0 where not), then refused', async () => {
    const aws = scripted('aws', { scheduledDestruction: true });
    const vault = scripted('vault', { scheduledDestruction: false });
    const { keys, repo } = setup({ aws, vault });
    vault.fail.disable = new ProviderError('AccessDenied', 'no', { providerId: 'vault' });
    const e = await refusal(keys.create({ type: 'storage', label: 'x', provider: 'aws', backupProvider: 'vault', activate: false }));
    expect(e.code).toBe('provider_access_denied');
    expect(aws.calls.at(-1)).toEqual(['scheduleDestruction', 'aws-ref', 7]);
    expect(vault.calls.at(-1)).toEqual(['scheduleDestruction', 'vault-ref', 0]);
    expect(repo.list({})).toEqual([]);

    // The backup's own creation failing retires the primary only; a failing retirement does not hide the cause.
    const aws2 = scripted('aws');
    const vault2 = scripted('vault');
    const two = setup({ aws: aws2, vault: vault2 });
    vault2.fail.createKey = new ProviderError('InvalidInput', 'bad', { providerId: 'vault' });
    aws2.fail.scheduleDestruction = new ProviderError('Unavailable', 'down', { providerId: 'aws' });
    expect((await refusal(two.keys.create({ type: 'storage', label: 'x', provider: 'aws', backupProvider: 'vault' }))).code).toBe('invalid_input');
    expect(aws2.calls.map((c) => c[0])).toEqual(['createKey', 'scheduleDestruction']);
    expect(vault2.calls.map((c) => c[0])).toEqual(['createKey']);
  });

  it('fails over to the backup when the primary is unreachable, and says so', async () => {
    const aws = scripted('aws');
    const vault = scripted('vault');
    const { keys, repo, audit, warnings } = setup({ aws, vault });
    aws.fail.createKey = new ProviderError('Unavailable', 'connection refused', { providerId: 'aws', providerCode: 'ECONNREFUSED' });
    const k = await keys.create({ type: 'storage', label: 'x', provider: 'aws', backupProvider: 'vault', activate: false });
    expect(k).toMatchObject({ provider: 'vault', backupProvider: null });
    expect(repo.get(k.id)).toMatchObject({ provider: 'vault', providerKeyRef: 'vault-ref', backupKeyRef: null });
    expect(vault.calls.map((c) => c[0])).toEqual(['createKey', 'disable']);
    expect(audit[0]!.details).toMatchObject({ provider: 'vault', failover: true, from: 'aws', to: 'vault', reason: 'Unavailable: connection refused' });
    expect(warnings).toEqual([['key created on the backup provider: the primary is unreachable', { from: 'aws', to: 'vault' }]]);
  });

  it('a normal create warns of nothing; a failover reason is cut to 300 characters', async () => {
    const aws = scripted('aws');
    const vault = scripted('vault');
    const { keys, audit, warnings } = setup({ aws, vault });
    await keys.create({ type: 'storage', label: 'x', provider: 'aws', backupProvider: 'vault' });
    expect(warnings).toEqual([]);
    aws.fail.createKey = new ProviderError('Unavailable', 'y'.repeat(400), { providerId: 'aws', providerCode: 'ECONNREFUSED' });
    await keys.create({ type: 'storage', label: 'x', provider: 'aws', backupProvider: 'vault' });
    expect(audit.at(-1)!.details.reason).toBe(`Unavailable: ${'y'.repeat(400)}`.slice(0, 300));
  });
});

describe('key lifecycle: rotate, public keys, integrity', () => {
  it('rotates a local key to version 2; refuses one whose state forbids it', async () => {
    const { keys, repo, audit, counters } = setup();
    const k = await keys.create({ type: 'communication', label: 'x' });
    const r = await keys.rotate(k.id);
    expect(r).toMatchObject({ currentVersion: 2 });
    expect(repo.getVersion(k.id, 2)).toMatchObject({ version: 2, provider: null });
    expect(audit.at(-1)).toMatchObject({ action: 'key.rotate', outcome: 'success', details: { version: 2 } });
    expect(audit.at(-1)!.details).toEqual({ version: 2 });
    expect(counters.cacheCleared).toBe(0);
    expect(counters.changed).toEqual([k.id, k.id]);
    await keys.setState(k.id, 'suspended', 'r');
    expect((await refusal(keys.rotate(k.id))).code).toBe('key_disabled');
  });

  it('rotates a provider key: the provider version is recorded, the data-key cache emptied', async () => {
    const aws = scripted('aws');
    const { keys, repo, audit, counters, nowIso } = setup({ aws });
    const k = await keys.create({ type: 'communication', label: 'x', provider: 'aws' });
    const r = await keys.rotate(k.id);
    expect(r).toMatchObject({ currentVersion: 2, updatedAt: nowIso(), nextRotationAt: new Date(Date.parse(nowIso()) + DAY * 1000).toISOString() });
    expect(repo.getVersion(k.id, 2)).toMatchObject({ provider: 'aws', providerVersion: 4 });
    expect(repo.get(k.id)!.currentVersion).toBe(2);
    expect(audit.at(-1)!.details).toEqual({ version: 2, provider: 'aws', providerVersion: 4 });
    expect(counters.cacheCleared).toBe(1);
  });

  it('tells the provider the version it last recorded only when no provider schedule can have added one (docs/providers.md)', async () => {
    // [providerDriven answer, what the version row looks like, the hint rotate() receives]
    const table: Array<[string, ((key: unknown) => boolean) | undefined, 'as made' | 'another provider' | 'no number', unknown]> = [
      ['no provider-driven check wired', undefined, 'as made', undefined],
      ['a provider-driven key', () => true, 'as made', undefined],
      ['a console-driven key', () => false, 'as made', { knownVersion: 1 }],
      ['a console-driven key whose current version is another provider\'s', () => false, 'another provider', undefined],
      ['a console-driven key whose current version has no provider number', () => false, 'no number', undefined],
    ];
    for (const [what, providerDriven, row, hint] of table) {
      const aws = scripted('aws');
      const { keys, f } = setup({ aws }, providerDriven ? { providerDriven } : {});
      const k = await keys.create({ type: 'communication', label: 'x', provider: 'aws' });
      if (row === 'another provider') f.store.db.prepare("UPDATE key_versions SET provider = 'vault' WHERE key_id = ?").run(k.id);
      if (row === 'no number') f.store.db.prepare('UPDATE key_versions SET provider_version = NULL WHERE key_id = ?').run(k.id);
      await keys.rotate(k.id);
      expect(aws.calls.filter((c) => c[0] === 'rotate'), what).toEqual([['rotate', 'aws-ref', hint]]);
    }
    // The next rotation counts from the number the provider gave the last one (4).
    const aws = scripted('aws');
    const { keys } = setup({ aws }, { providerDriven: () => false });
    const k = await keys.create({ type: 'communication', label: 'x', provider: 'aws' });
    await keys.rotate(k.id);
    await keys.rotate(k.id);
    expect(aws.calls.filter((c) => c[0] === 'rotate').map((c) => c[2])).toEqual([{ knownVersion: 1 }, { knownVersion: 4 }]);
  });

  it('a provider that cannot rotate signing keys is refused before it is asked', async () => {
    const aws = scripted('aws', { rotateSigningKeys: false });
    const gcp = scripted('gcp', { rotateSigningKeys: true });
    const { keys } = setup({ aws, gcp });
    const k = await keys.create({ type: 'emergency', label: 'x', provider: 'aws' });
    expect(await refusal(keys.rotate(k.id))).toEqual({
      code: 'unsupported_operation',
      message: 'Provider aws (aws_kms) cannot rotate signing keys: AWS KMS rotates only symmetric keys. Create a new signing key and move its users to it.',
      details: { provider: 'aws' },
    });
    expect(aws.calls.map((c) => c[0])).not.toContain('rotate');
    const g = await keys.create({ type: 'emergency', label: 'x', provider: 'gcp' });
    expect((await keys.rotate(g.id)).currentVersion).toBe(2);
  });

  it('public keys: from the catalog, or from the provider for a version recorded without one; none for AES', async () => {
    const aws = scripted('aws');
    const { keys, repo, f, audit } = setup({ aws });
    const local = await keys.create({ type: 'device_identity', label: 'x', algorithm: 'EC_P256' });
    const pub = await keys.publicKey(local.id);
    expect(pub.version).toBe(1);
    // Handed out from the catalog: the record names no provider.
    expect(audit.at(-1)).toMatchObject({ action: 'key.export_public', outcome: 'success' });
    expect(audit.at(-1)!.details).toEqual({ version: 1 });
    expect(crypto.createPublicKey(pub.pem).export({ format: 'der', type: 'spki' })).toEqual(repo.getVersion(local.id, 1)!.publicSpki);
    const aes = await keys.create({ type: 'storage', label: 'x' });
    expect(await refusal(keys.publicKey(aes.id))).toEqual({ code: 'unsupported_operation', message: 'An AES key has no public key.', details: undefined });
    const onAws = await keys.create({ type: 'device_identity', label: 'x', algorithm: 'EC_P256', provider: 'aws' });
    f.store.db.prepare('UPDATE key_versions SET public_spki = NULL, provider_version = 3 WHERE key_id = ?').run(onAws.id);
    aws.calls.length = 0;
    expect(await keys.publicKey(onAws.id, 1)).toEqual({ pem: EC_PEM, version: 1 });
    expect(aws.calls).toEqual([['getPublicKey', 'aws-ref', 3]]);
    expect(audit.at(-1)!.details).toEqual({ version: 1, provider: 'aws' });
    await keys.setState(local.id, 'compromised', 'leak');
    expect((await refusal(keys.publicKey(local.id))).code).toBe('key_disabled');
  });

  it('the integrity check: store versions against their material, provider versions against what the provider holds', async () => {
    const aws = scripted('aws');
    const { keys, audit, f } = setup({ aws });
    const local = await keys.create({ type: 'storage', label: 'x' });
    expect(await keys.verifyIntegrity(local.id)).toEqual({ ok: true, versions: [{ version: 1, ok: true, reason: null }] });
    expect(audit.at(-1)).toMatchObject({ action: 'key.verify_integrity', outcome: 'success', details: { versions: 1 } });
    const onAws = await keys.create({ type: 'storage', label: 'x', provider: 'aws' });
    await keys.rotate(onAws.id);
    // The provider holds versions 1..4 of its own numbering: console versions 1 (provider 1) and 2 (provider 4).
    aws.describe = { state: 'enabled', currentVersion: 4 };
    expect(await keys.verifyIntegrity(onAws.id)).toEqual({ ok: true, versions: [{ version: 1, ok: true, reason: null }, { version: 2, ok: true, reason: null }] });
    expect(audit.at(-1)!.details).toEqual({ versions: 2, provider: 'aws', providerState: 'enabled' });
    aws.describe = { state: 'enabled', currentVersion: 3 };
    const r = await keys.verifyIntegrity(onAws.id);
    expect(r).toEqual({ ok: false, versions: [{ version: 1, ok: true, reason: null }, { version: 2, ok: false, reason: 'provider aws no longer holds this version (key enabled)' }] });
    expect(audit.at(-1)).toMatchObject({ outcome: 'failure', details: { versions: 2, failedVersions: '2', provider: 'aws', providerState: 'enabled', code: 'integrity_failure' } });
    aws.describe = { state: 'destroyed', currentVersion: 4 };
    expect((await keys.verifyIntegrity(onAws.id)).versions.map((v) => v.ok)).toEqual([false, false]);
    expect(audit.at(-1)!.details).toMatchObject({ failedVersions: '1,2' });
    // A version recorded without a provider version counts as the provider's first.
    f.store.db.prepare('UPDATE key_versions SET provider_version = NULL WHERE key_id = ? AND version = 1').run(onAws.id);
    aws.describe = { state: 'enabled', currentVersion: 1 };
    expect((await keys.verifyIntegrity(onAws.id)).versions[0]).toEqual({ version: 1, ok: true, reason: null });
    await keys.setState(local.id, 'deactivated', 'r');
    await keys.setState(local.id, 'destroyed', 'r');
    expect(await refusal(keys.verifyIntegrity(local.id))).toEqual({ code: 'key_destroyed', message: `Key ${local.id} was destroyed; nothing is left to check.`, details: undefined });
  });

  it('a key moved to a provider: its store-held versions are checked against their material, the others at the provider', async () => {
    const aws = scripted('aws');
    const { keys, f } = setup({ aws });
    const k = await keys.create({ type: 'storage', label: 'x', provider: 'aws' });
    await keys.rotate(k.id);
    aws.describe = { state: 'enabled', currentVersion: 4 };
    // Version 1 is now a store-held version whose material is gone.
    f.store.db.prepare('UPDATE key_versions SET provider = NULL, wrapped_material = NULL WHERE key_id = ? AND version = 1').run(k.id);
    expect(await keys.verifyIntegrity(k.id)).toEqual({
      ok: false,
      versions: [{ version: 1, ok: false, reason: 'key material is missing' }, { version: 2, ok: true, reason: null }],
    });
  });

  it('list and get require an unlocked session', async () => {
    const { keys, counters } = setup();
    const k = await keys.create({ type: 'storage', label: 'x' });
    const before = counters.sessionChecks;
    expect(keys.list({}).map((s) => s.id)).toEqual([k.id]);
    expect(keys.get(k.id)).toMatchObject({ id: k.id, versions: [{ version: 1 }], unreached: [] });
    expect(counters.sessionChecks).toBe(before + 2);
  });
});
