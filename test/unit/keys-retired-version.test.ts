// A retired version no longer decrypts (docs/rotation.md, "Grace and retirement"; DESIGN.md: older versions decrypt
// until retired), through the key service's decrypt (services/keys/keysCrypto.ts) in-process: a real store database and
// store provider for local keys, real local-provider instances standing in for a provider that names the version that
// wrapped a data key (as Vault, Google and Azure do) and for one that never does (as AWS KMS: answers without a
// version), and a recording audit log. Expectations are the documented rules, written out in RULES below:
// - refused with `key_version_retired`, details {keyId, version, retiredAt}, audited as a failed `key.decrypt`;
// - a store-held version is refused before its material is touched;
// - AWS: the version is the one recorded in the envelope entry at encryption (the provider version current then);
//   an entry carrying 0 (made before the console recorded it) is attributed to the newest version, so not refused;
// - retiring destroys nothing: a reinstated version decrypts again; other versions and other keys are not affected.
import { afterEach, describe, expect, it } from 'vitest';
import { envelopeHeader, parseEnvelope } from '../../electron/crypto/envelope.ts';
import { createDataKeyCache } from '../../electron/providers/cache/dataKeyCache.ts';
import { createLocalProvider } from '../../electron/providers/local/localProvider.ts';
import { createStoreKeyProvider } from '../../electron/providers/local/storeKeyProvider.ts';
import { encryptForRecipients } from '../../electron/providers/multiEnvelope.ts';
import { type KmsProvider, ProviderError } from '../../electron/providers/types.ts';
import { createGroupCommit } from '../../electron/services/audit/groupCommit.ts';
import { createKeyRestrictions } from '../../electron/services/keys/keyPolicy.ts';
import { createKeyLifecycle } from '../../electron/services/keys/keys.ts';
import { createKeyCrypto } from '../../electron/services/keys/keysCrypto.ts';
import type { KeyServiceDeps } from '../../electron/services/keys/keysShared.ts';
import { createKeysRepo } from '../../electron/store/keysRepo.ts';
import { createLocalKmsRepo } from '../../electron/store/providerRepo.ts';
import { consoleRefusal } from './keys-testkit.ts';
import { localFixture, type LocalFixture } from './provider-testkit.ts';
import { removeTempDirs } from './store-testkit.ts';

const fixtures: LocalFixture[] = [];
afterEach(() => {
  for (const f of fixtures.splice(0)) f.close();
  removeTempDirs();
});

const AAD = Buffer.from('robot-7|telemetry', 'utf8');
const RETIRED_ON = '2026-03-01T12:00:00.000Z';

/** The documented outcome of decrypting data protected by a version, by that version's retirement state. */
const RULES = [
  { state: 'never retired', retired: false, decrypts: true },
  { state: 'retired', retired: true, decrypts: false },
  { state: 'reinstated (its retirement lifted)', retired: false, decrypts: true },
] as const;

/** A provider that, like AWS KMS, never says which version wrapped or unwrapped a data key (real AES underneath). */
function withoutVersions(p: KmsProvider, isDown: () => boolean): KmsProvider {
  const reachable = () => {
    if (isDown()) throw new ProviderError('Unavailable', 'connection refused', { providerId: p.id, providerCode: 'ECONNREFUSED' });
  };
  return {
    ...p,
    encrypt: async (ref, pt, aad) => (reachable(), { ...(await p.encrypt(ref, pt, aad)), version: null }),
    decrypt: async (ref, ct, aad) => (reachable(), { ...(await p.decrypt(ref, ct, aad)), version: null }),
  };
}

function setup(options: { withRetirements?: boolean } = {}) {
  const f = localFixture();
  fixtures.push(f);
  const repo = createKeysRepo(f.store.db);
  // Each provider keeps its keys in a database of its own, as a real one would.
  const providerOn = (id: string) => {
    const g = localFixture();
    fixtures.push(g);
    return createLocalProvider({ id, repo: createLocalKmsRepo(g.store.db), keyring: g.keyring, clock: f.clock });
  };
  const awsDown = { now: false };
  const made: Record<string, KmsProvider> = {};
  const providerNamed = (id: string): KmsProvider | undefined => {
    if (id !== 'vault' && id !== 'aws') return undefined;
    made[id] ??= id === 'aws' ? withoutVersions(providerOn('aws'), () => awsDown.now) : providerOn('vault');
    return made[id];
  };
  const providers = { get aws() { return providerNamed('aws')!; } };
  const audit: Array<{ action: string; targetId: string | null; outcome: string; details: Record<string, unknown> }> = [];
  const store = createStoreKeyProvider({ repo, keyring: f.keyring, clock: f.clock });
  // Every borrow of a store-held version's material, by key and version.
  const materialUses: string[] = [];
  const countingStore = {
    ...store,
    withMaterial: ((key, v, use) => {
      materialUses.push(`${key.id}#${v.version}`);
      return store.withMaterial(key, v, use);
    }) as typeof store.withMaterial,
  };
  const retirements = new Map<string, number>();
  const cache = createDataKeyCache({ clock: f.clock, enabled: false, ttlSeconds: 60, maxEntries: 16 });
  const tx = <T>(fn: () => T) => f.store.db.transaction(fn)();
  const deps = {
    repo,
    session: { require: () => ({ keyring: f.keyring(), storeId: f.storeId }), actor: () => 'officer' },
    audit: { append: (r: (typeof audit)[number]) => audit.push(r) },
    clock: f.clock,
    logger: { error: () => undefined, warn: () => undefined, info: () => undefined },
    transaction: tx,
    commits: createGroupCommit({ transaction: tx, inTransaction: () => f.store.db.inTransaction }),
    onKeysChanged: () => undefined,
    checkpointWal: () => undefined,
    registry: {
      get: (id: string) => (providerNamed(id) ? { provider: providerNamed(id), config: { offlineMode: false } } : undefined),
      require: (id: string) => ({ provider: providerNamed(id)! }),
      lookup: providerNamed,
      environmentRefusal: () => null,
      cache: () => cache,
    },
    store: countingStore,
    localKms: f.provider,
    restrictions: createKeyRestrictions(),
    providerDriven: () => false,
    ...(options.withRetirements === false ? {} : { retiredAt: (keyId: string, version: number) => retirements.get(`${keyId}#${version}`) ?? null }),
  } as unknown as KeyServiceDeps;
  const retire = (keyId: string, version: number) => retirements.set(`${keyId}#${version}`, Date.parse(RETIRED_ON));
  const reinstate = (keyId: string, version: number) => retirements.delete(`${keyId}#${version}`);
  return { lifecycle: createKeyLifecycle(deps), crypto: createKeyCrypto(deps), providers, repo, audit, materialUses, retire, reinstate, awsDown, storeId: f.storeId, db: f.store.db };
}

type Fixture = ReturnType<typeof setup>;

/** A storage key on `provider` with data encrypted under version 1 and version 2 (one rotation in between). */
async function twoVersions(t: Fixture, provider?: 'vault' | 'aws') {
  const key = await t.lifecycle.create({ type: 'storage', label: 'retire me', ...(provider ? { provider } : {}) });
  const one = await t.crypto.encrypt(key.id, Buffer.from('under version one'), AAD);
  await t.lifecycle.rotate(key.id);
  const two = await t.crypto.encrypt(key.id, Buffer.from('under version two'), AAD);
  expect([one.version, two.version]).toEqual([1, 2]);
  return { keyId: key.id, one: one.ciphertext, two: two.ciphertext };
}

const expectRetiredRefusal = async (t: Fixture, ciphertext: Buffer, keyId: string, version: number) => {
  const e = await consoleRefusal(t.crypto.decrypt(ciphertext, AAD));
  expect(e.code).toBe('key_version_retired');
  expect(e.details).toEqual({ keyId, version, retiredAt: RETIRED_ON });
  expect(e.message).toContain(`Version ${version} of key ${keyId}`);
  expect(e.message).toContain(RETIRED_ON);
  expect(t.audit.at(-1)).toMatchObject({ action: 'key.decrypt', targetId: keyId, outcome: 'failure', details: { code: 'key_version_retired' } });
};

describe.each([
  ['held in this store', undefined],
  ['on a provider that names versions (Vault-like)', 'vault'],
  ['on a provider that never names them (AWS-like)', 'aws'],
] as const)('a key %s', (_where, provider) => {
  it.each(RULES)('data under a version that is $state: decrypts = $decrypts; the other version always decrypts', async (rule) => {
    const t = setup();
    const { keyId, one, two } = await twoVersions(t, provider);
    if (rule.state !== 'never retired') t.retire(keyId, 1);
    if (!rule.retired) t.reinstate(keyId, 1);

    if (rule.decrypts) expect(await t.crypto.decrypt(one, AAD)).toEqual({ plaintext: Buffer.from('under version one'), keyId, version: 1 });
    else await expectRetiredRefusal(t, one, keyId, 1);
    expect(await t.crypto.decrypt(two, AAD)).toEqual({ plaintext: Buffer.from('under version two'), keyId, version: 2 });
  });

  it('a retirement is per key: the same version number of another key still decrypts', async () => {
    const t = setup();
    const a = await twoVersions(t, provider);
    const b = await twoVersions(t, provider);
    t.retire(a.keyId, 1);
    await expectRetiredRefusal(t, a.one, a.keyId, 1);
    expect(await t.crypto.decrypt(b.one, AAD)).toMatchObject({ keyId: b.keyId, version: 1 });
  });

  it('a console without retirements (no rollout) decrypts every version', async () => {
    const t = setup({ withRetirements: false });
    const { keyId, one, two } = await twoVersions(t, provider);
    expect(await t.crypto.decrypt(one, AAD)).toMatchObject({ keyId, version: 1 });
    expect(await t.crypto.decrypt(two, AAD)).toMatchObject({ keyId, version: 2 });
  });
});

describe('where the refusal happens', () => {
  it('a store-held version is refused before its material is touched', async () => {
    const t = setup();
    const { keyId, one, two } = await twoVersions(t);
    t.retire(keyId, 1);
    t.materialUses.length = 0;
    await expectRetiredRefusal(t, one, keyId, 1);
    expect(t.materialUses).toEqual([]);
    await t.crypto.decrypt(two, AAD);
    expect(t.materialUses).toEqual([`${keyId}#2`]);
  });
});

describe('AWS KMS envelopes: the version recorded at encryption', () => {
  it('each entry records the provider version current when it was made', async () => {
    const t = setup();
    const { one, two } = await twoVersions(t, 'aws');
    expect(parseEnvelope(one).entries.map((e) => [e.provider, e.keyVersion])).toEqual([['aws', 1]]);
    expect(parseEnvelope(two).entries.map((e) => [e.provider, e.keyVersion])).toEqual([['aws', 2]]);
  });

  it('an entry made before versions were recorded (0) is attributed to the newest version, so it is not refused', async () => {
    const t = setup();
    const { keyId } = await twoVersions(t, 'aws');
    const keyRef = t.repo.get(keyId)!.providerKeyRef!;
    // Written as the console wrote provider envelopes before it passed the current version along.
    const legacy = await encryptForRecipients({ storeId: t.storeId }, [{ provider: t.providers.aws, keyRef }], Buffer.from('old data'), AAD);
    expect(parseEnvelope(legacy.ciphertext).entries[0]!.keyVersion).toBe(0);
    t.retire(keyId, 1);
    expect(await t.crypto.decrypt(legacy.ciphertext, AAD)).toEqual({ plaintext: Buffer.from('old data'), keyId, version: 2 });
  });
});

describe('a store-held entry naming a version the key does not have', () => {
  // docs/ciphertext-format.md: with this store's id, a header that names no version of ours was modified.
  it.each([3, 0])('version %i: ciphertext_tampered, no material borrowed', async (named) => {
    const t = setup();
    const { keyId, two } = await twoVersions(t);
    const env = parseEnvelope(two);
    const entry = { ...env.entries[0]!, keyVersion: named };
    const edited = Buffer.concat([envelopeHeader(env.storeId, [entry], env.bodyNonce, env.aadTag), env.body, env.bodyTag]);
    t.materialUses.length = 0;
    expect((await consoleRefusal(t.crypto.decrypt(edited, AAD))).code).toBe('ciphertext_tampered');
    expect(t.materialUses).toEqual([]);
    expect(t.audit.at(-1)).toMatchObject({ action: 'key.decrypt', targetId: keyId, outcome: 'failure', details: { code: 'ciphertext_tampered' } });
  });
});

describe('decrypted through the backup provider', () => {
  // The backup numbers its versions on its own (it is not rotated with the primary): its number says nothing about the
  // console version, so data made under a version that is not retired decrypts even when the backup's number equals a
  // retired version's number at the primary.
  it('data under version 2 decrypts through the backup while version 1 is retired and the primary is down', async () => {
    const t = setup();
    const key = await t.lifecycle.create({ type: 'storage', label: 'with backup', provider: 'aws', backupProvider: 'vault' });
    await t.lifecycle.rotate(key.id);
    const two = await t.crypto.encrypt(key.id, Buffer.from('under version two'), AAD);
    expect(parseEnvelope(two.ciphertext).entries.map((e) => [e.provider, e.keyVersion])).toEqual([['aws', 2], ['vault', 1]]);
    await t.lifecycle.rotate(key.id);
    t.retire(key.id, 1);
    t.awsDown.now = true;
    expect(await t.crypto.decrypt(two.ciphertext, AAD)).toMatchObject({ plaintext: Buffer.from('under version two'), keyId: key.id });
    expect(t.audit.at(-1)).toMatchObject({ action: 'key.decrypt', outcome: 'success', details: { provider: 'vault', unreachable: 'aws:ECONNREFUSED' } });
  });
});

describe('a store-held version marked destroyed while its key is not', () => {
  // Destruction removes every version's material with the key (docs/key-store.md); a store whose catalog was changed
  // out of band so that one version says destroyed must still not hand that version's material out.
  it('data under it is refused with key_destroyed, before its material is touched', async () => {
    const t = setup();
    const { keyId, one, two } = await twoVersions(t);
    t.db.prepare('UPDATE key_versions SET destroyed = 1 WHERE key_id = ? AND version = 1').run(keyId);
    t.materialUses.length = 0;
    expect(await consoleRefusal(t.crypto.decrypt(one, AAD))).toEqual({ code: 'key_destroyed', message: `Version 1 of key ${keyId} was destroyed.`, details: undefined });
    expect(t.materialUses).toEqual([]);
    expect(await t.crypto.decrypt(two, AAD)).toMatchObject({ keyId, version: 2 });
  });
});
