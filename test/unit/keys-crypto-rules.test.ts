// Using keys (electron/services/keys/keysCrypto.ts) in process: envelope encryption and decryption with AES keys,
// signing and verification with RSA and EC keys, for keys held in this store and on providers. A real store database
// and store provider for local keys; real local-provider instances, each over a database of its own, stand in for a
// provider that names its versions (Vault-like) and one that never does but names its key material (AWS-like,
// KeyMaterialId); a recording audit log, logger and usage meter. The expectations are the documented rules, written
// out here: docs/ciphertext-format.md (envelope entries, decryption order and codes), docs/providers.md ("Several
// providers, outages and the offline fallback": skipped / unreachable providers, degraded mode, cached data keys only
// while every provider looks reachable), docs/rotation.md (usage limits, AWS materials), docs/audit-log.md (every key
// operation audited, success or failure, never with plaintext or data), and keys-testkit.ts (state x operation).
import crypto from 'node:crypto';
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
import { createKeyMaterialsRepo, type KeyMaterialsRepo } from '../../electron/store/keyMaterialsRepo.ts';
import { createKeysRepo } from '../../electron/store/keysRepo.ts';
import { createLocalKmsRepo } from '../../electron/store/providerRepo.ts';
import { consoleRefusal, EXPECTED_OPERATIONS, PATH_FROM_ACTIVE, type State } from './keys-testkit.ts';
import { localFixture, type LocalFixture } from './provider-testkit.ts';
import { removeTempDirs } from './store-testkit.ts';

const fixtures: LocalFixture[] = [];
afterEach(() => {
  for (const f of fixtures.splice(0)) f.close();
  removeTempDirs();
});

const AAD = Buffer.from('robot-12|firmware', 'utf8');
const DATA = Buffer.from('open the maintenance hatch of robot 12');

/** docs/key-store.md: the signature schemes, by algorithm. */
const SIGNATURE_SCHEMES = { RSA_2048: 'RSASSA-PSS-SHA256', EC_P256: 'ECDSA-P256-SHA256-DER' } as const;

interface Record_ {
  actor: string;
  action: string;
  targetType: string;
  targetId: string | null;
  outcome: string;
  details: Record<string, unknown>;
}

type Pid = 'vault' | 'aws';

function setup(o: { offline?: Pid[]; materials?: boolean; cache?: boolean; usage?: boolean; versionLock?: KeyServiceDeps['versionLock'] } = {}) {
  const f = localFixture();
  fixtures.push(f);
  const repo = createKeysRepo(f.store.db);
  const down = new Set<string>();
  const open = new Set<string>();
  const calls: string[] = [];
  const created: Array<Record<string, unknown>> = [];
  const unavailable = (id: string) => new ProviderError('Unavailable', 'connection refused', { providerId: id, providerCode: 'ECONNREFUSED' });
  const reachable = (id: string) => {
    if (down.has(id)) throw unavailable(id);
  };
  const providerOn = (id: string) => {
    const g = localFixture();
    fixtures.push(g);
    return createLocalProvider({ id, repo: createLocalKmsRepo(g.store.db), keyring: g.keyring, clock: f.clock });
  };
  /** Every call counted; a provider marked down refuses as unreachable; one marked open reports an open circuit. */
  const wrap = (p: KmsProvider, aws: boolean): KmsProvider => {
    const id = p.id;
    const material = (v: number | null) => `material-of-${id}-v${v}`;
    return {
      ...p,
      kind: aws ? 'aws_kms' : p.kind,
      status: () => ({ breaker: open.has(id) ? 'open' : 'closed', lastHealth: null }),
      createKey: async (spec) => (created.push({ provider: id, ...spec }), reachable(id), p.createKey(spec)),
      encrypt: async (ref, pt, aad) => {
        calls.push(`${id}.encrypt`);
        reachable(id);
        const r = await p.encrypt(ref, pt, aad);
        return aws ? { ...r, version: null } : r;
      },
      decrypt: async (ref, ct, aad) => {
        calls.push(`${id}.decrypt`);
        reachable(id);
        const r = await p.decrypt(ref, ct, aad);
        return aws ? { plaintext: r.plaintext, version: null, materialId: material(r.version) } : r;
      },
      generateDataKey: async (ref, aad) => {
        calls.push(`${id}.generateDataKey`);
        reachable(id);
        const r = await p.generateDataKey(ref, aad);
        return aws ? { ...r, version: null, materialId: material(r.version) } : r;
      },
      sign: async (ref, m, v) => {
        calls.push(`${id}.sign`);
        reachable(id);
        const r = await p.sign(ref, m, v);
        return aws ? { ...r, version: null } : r;
      },
      verify: async (ref, m, s, v) => (calls.push(`${id}.verify:${v}`), reachable(id), p.verify(ref, m, s, v)),
    } as KmsProvider;
  };
  const made: Record<string, KmsProvider> = {};
  const providerNamed = (id: string): KmsProvider | undefined => {
    if (id === 'local-kms') return localKms;
    if (id !== 'vault' && id !== 'aws') return undefined;
    made[id] ??= wrap(providerOn(id), id === 'aws');
    return made[id];
  };
  const localKms = wrap(providerOn('local-kms'), false);
  const audit: Record_[] = [];
  const warnings: Array<[string, unknown]> = [];
  const errors: Array<[string, unknown]> = [];
  const cache = createDataKeyCache({ clock: f.clock, enabled: o.cache === true, ttlSeconds: 60, maxEntries: 16 });
  const tx = <T>(fn: () => T) => f.store.db.transaction(fn)();
  const usage: string[] = [];
  const limited = new Set<string>();
  const realMaterials = createKeyMaterialsRepo(f.store.db);
  const materialsFail = { now: false as boolean | 'not an Error' };
  const materials: KeyMaterialsRepo = {
    ...realMaterials,
    bind: (row) => {
      if (materialsFail.now === 'not an Error') throw 'disk full';
      if (materialsFail.now) throw new RangeError('disk full');
      return realMaterials.bind(row);
    },
  };
  const deps = {
    repo,
    session: { require: () => ({ keyring: f.keyring(), storeId: f.storeId }), actor: () => 'officer' },
    audit: { append: (r: Record_) => audit.push(r) },
    clock: f.clock,
    logger: { error: (m: string, x: unknown) => errors.push([m, x]), warn: (m: string, x: unknown) => warnings.push([m, x]), info: () => undefined },
    transaction: tx,
    commits: createGroupCommit({ transaction: tx, inTransaction: () => f.store.db.inTransaction }),
    onKeysChanged: () => undefined,
    checkpointWal: () => undefined,
    registry: {
      get: (id: string) => (providerNamed(id) ? { provider: providerNamed(id), config: { offlineMode: (o.offline ?? []).includes(id as Pid) } } : undefined),
      require: (id: string) => ({ provider: providerNamed(id)! }),
      lookup: providerNamed,
      environmentRefusal: () => null,
      cache: () => cache,
    },
    store: createStoreKeyProvider({ repo, keyring: f.keyring, clock: f.clock }),
    localKms,
    restrictions: createKeyRestrictions(),
    providerDriven: () => false,
    ...(o.materials ? { materials } : {}),
    ...(o.versionLock ? { versionLock: o.versionLock } : {}),
    ...(o.usage
      ? {
          usage: {
            claim: (key: { id: string }, version: number) => {
              usage.push(`claim ${version}`);
              if (limited.has(key.id)) throw Object.assign(new Error('limit'), { name: 'ConsoleError' });
              return { work: () => usage.push(`work ${version} in transaction: ${f.store.db.inTransaction}`), committed: () => usage.push(`committed ${version}`), abandoned: () => usage.push(`abandoned ${version}`) };
            },
          },
        }
      : {}),
  } as unknown as KeyServiceDeps;
  const lifecycle = createKeyLifecycle(deps);
  const crypto_ = createKeyCrypto(deps);
  const aesOn = (provider?: Pid, backupProvider?: Pid) => lifecycle.create({ type: 'storage', label: 'data', ...(provider ? { provider } : {}), ...(backupProvider ? { backupProvider } : {}) });
  return { f, repo, lifecycle, crypto: crypto_, audit, warnings, errors, down, open, calls, created, usage, limited, materials: realMaterials, materialsFail, providerNamed, localKms, aesOn, storeId: f.storeId };
}

type Fixture = ReturnType<typeof setup>;

const last = (t: Fixture) => t.audit.at(-1)!;
const entriesOf = (ct: Buffer) => parseEnvelope(ct).entries.map((e) => [e.provider, e.keyRef, e.keyVersion]);
/** The envelope with its entries replaced (wrapped keys as given), the body left as it was. */
const withEntries = (ct: Buffer, entries: Array<{ provider: string; keyRef: string; keyVersion: number; wrapped: Buffer }>, storeId?: string) => {
  const env = parseEnvelope(ct);
  return Buffer.concat([envelopeHeader(storeId ?? env.storeId, entries, env.bodyNonce, env.aadTag), env.body, env.bodyTag]);
};

describe('a key held in this store: encrypt and decrypt', () => {
  it('one local entry for the current version; decrypts to the plaintext; both audited with version and size only', async () => {
    const t = setup();
    const key = await t.aesOn();
    const e = await t.crypto.encrypt(key.id, DATA, AAD);
    expect({ keyId: e.keyId, version: e.version }).toEqual({ keyId: key.id, version: 1 });
    expect(parseEnvelope(e.ciphertext).storeId).toBe(t.storeId);
    expect(entriesOf(e.ciphertext)).toEqual([['local', key.id, 1]]);
    expect(last(t)).toEqual({ actor: 'officer', action: 'key.encrypt', targetType: 'key', targetId: key.id, outcome: 'success', details: { version: 1, bytes: DATA.length } });

    expect(await t.crypto.decrypt(e.ciphertext, AAD)).toEqual({ plaintext: DATA, keyId: key.id, version: 1 });
    expect(last(t)).toEqual({ actor: 'officer', action: 'key.decrypt', targetType: 'key', targetId: key.id, outcome: 'success', details: { version: 1, bytes: DATA.length } });
  });

  it('after a rotation new data uses version 2 and data under version 1 still decrypts as version 1', async () => {
    const t = setup();
    const key = await t.aesOn();
    const one = await t.crypto.encrypt(key.id, Buffer.from('one'), AAD);
    await t.lifecycle.rotate(key.id);
    const two = await t.crypto.encrypt(key.id, Buffer.from('two'), AAD);
    expect(entriesOf(two.ciphertext)).toEqual([['local', key.id, 2]]);
    expect(await t.crypto.decrypt(one.ciphertext, AAD)).toEqual({ plaintext: Buffer.from('one'), keyId: key.id, version: 1 });
    expect(last(t).details).toEqual({ version: 1, bytes: 3 });
    expect(await t.crypto.decrypt(two.ciphertext, AAD)).toEqual({ plaintext: Buffer.from('two'), keyId: key.id, version: 2 });
  });

  it('the wrong associated data is aad_mismatch; a changed wrapped key is ciphertext_tampered (both audited on the key)', async () => {
    const t = setup();
    const key = await t.aesOn();
    const e = await t.crypto.encrypt(key.id, DATA, AAD);
    expect((await consoleRefusal(t.crypto.decrypt(e.ciphertext, Buffer.from('robot-13|firmware')))).code).toBe('aad_mismatch');
    expect(last(t)).toMatchObject({ action: 'key.decrypt', targetId: key.id, outcome: 'failure', details: { code: 'aad_mismatch', version: 1 } });
    const env = parseEnvelope(e.ciphertext);
    const wrapped = Buffer.from(env.entries[0]!.wrapped);
    wrapped[20]! ^= 1;
    const edited = withEntries(e.ciphertext, [{ ...env.entries[0]!, wrapped }]);
    expect((await consoleRefusal(t.crypto.decrypt(edited, AAD))).code).toBe('ciphertext_tampered');
    expect(last(t)).toMatchObject({ action: 'key.decrypt', targetId: key.id, outcome: 'failure', details: { code: 'ciphertext_tampered' } });
  });

  it('another store id is ciphertext_foreign, naming that store; no key is looked up', async () => {
    const t = setup();
    const key = await t.aesOn();
    const e = await t.crypto.encrypt(key.id, DATA, AAD);
    const other = crypto.randomUUID();
    const foreign = withEntries(e.ciphertext, parseEnvelope(e.ciphertext).entries, other);
    expect(await consoleRefusal(t.crypto.decrypt(foreign, AAD))).toEqual({ code: 'ciphertext_foreign', message: 'This ciphertext was made by another key store.', details: { storeId: other } });
    expect(last(t)).toMatchObject({ action: 'key.decrypt', targetId: null, outcome: 'failure', details: { code: 'ciphertext_foreign' } });
  });

  // docs/ciphertext-format.md step 3: with this store's id, entries naming no AES key of this store mean a modified header.
  it.each([
    ['a key id this store does not have', (): string => crypto.randomUUID(), 'local'],
    ['a key reference that is no key id', (): string => 'not-a-uuid', 'local'],
    ['a provider this console does not know', (): string => crypto.randomUUID(), 'gcp'],
  ] as const)('an entry naming %s: ciphertext_tampered, audited without a key', async (_what, ref, provider) => {
    const t = setup();
    const key = await t.aesOn();
    const e = await t.crypto.encrypt(key.id, DATA, AAD);
    const entry = parseEnvelope(e.ciphertext).entries[0]!;
    const edited = withEntries(e.ciphertext, [{ ...entry, provider, keyRef: ref() }]);
    expect((await consoleRefusal(t.crypto.decrypt(edited, AAD))).code).toBe('ciphertext_tampered');
    expect(last(t)).toMatchObject({ action: 'key.decrypt', targetId: null, outcome: 'failure', details: { code: 'ciphertext_tampered' } });
  });

  it('an entry naming a signing key of this store (local or on a provider) is ciphertext_tampered', async () => {
    const t = setup();
    const key = await t.aesOn();
    const e = await t.crypto.encrypt(key.id, DATA, AAD);
    const entry = parseEnvelope(e.ciphertext).entries[0]!;
    const rsa = await t.lifecycle.create({ type: 'emergency', label: 'signer' });
    const onVault = await t.lifecycle.create({ type: 'emergency', label: 'signer', provider: 'vault' });
    for (const named of [{ provider: 'local', keyRef: rsa.id }, { provider: 'vault', keyRef: t.repo.get(onVault.id)!.providerKeyRef! }]) {
      expect((await consoleRefusal(t.crypto.decrypt(withEntries(e.ciphertext, [{ ...entry, ...named }]), AAD))).code).toBe('ciphertext_tampered');
      expect(last(t)).toMatchObject({ targetId: null, outcome: 'failure' });
    }
  });

  it('a local entry is chosen whatever its place among the entries (the others name nothing of this store)', async () => {
    const t = setup();
    const key = await t.aesOn();
    const e = await t.crypto.encrypt(key.id, DATA, AAD);
    const entry = parseEnvelope(e.ciphertext).entries[0]!;
    // The wrapped key is bound to the header, which changes with the entries: ciphertext_tampered, but on this key.
    const edited = withEntries(e.ciphertext, [{ ...entry, provider: 'vault', keyRef: 'key-elsewhere' }, entry]);
    expect((await consoleRefusal(t.crypto.decrypt(edited, AAD))).code).toBe('ciphertext_tampered');
    expect(last(t)).toMatchObject({ targetId: key.id, details: { code: 'ciphertext_tampered', version: 1 } });
  });

  it('a signing key does not encrypt: unsupported_operation naming the key, audited', async () => {
    const t = setup();
    const rsa = await t.lifecycle.create({ type: 'emergency', label: 'signer' });
    expect(await consoleRefusal(t.crypto.encrypt(rsa.id, DATA, AAD))).toEqual({ code: 'unsupported_operation', message: `Key ${rsa.id} is a signing key; encrypt with an AES key.`, details: undefined });
    expect(last(t)).toMatchObject({ action: 'key.encrypt', targetId: rsa.id, outcome: 'failure', details: { code: 'unsupported_operation' } });
  });

  it('an unknown key is not_found', async () => {
    const t = setup();
    const id = crypto.randomUUID();
    expect((await consoleRefusal(t.crypto.encrypt(id, DATA, AAD))).code).toBe('not_found');
    expect((await consoleRefusal(t.crypto.sign(id, DATA))).code).toBe('not_found');
    expect((await consoleRefusal(t.crypto.verify(id, DATA, Buffer.alloc(8)))).code).toBe('not_found');
  });
});

describe('what each state allows (EXPECTED_OPERATIONS in keys-testkit.ts)', () => {
  const states = (['pre_activation', 'active', 'suspended', 'deactivated', 'compromised'] as const satisfies readonly State[]);
  it.each(states)('%s', async (state) => {
    const t = setup();
    const aes = await t.lifecycle.create({ type: 'storage', label: 'aes', activate: state !== 'pre_activation' });
    const ec = await t.lifecycle.create({ type: 'device_identity', label: 'ec', algorithm: 'EC_P256', activate: state !== 'pre_activation' });
    // Made while active, to be used in the state under test.
    const ct = state === 'pre_activation' ? null : await t.crypto.encrypt(aes.id, DATA, AAD);
    const sig = state === 'pre_activation' ? null : await t.crypto.sign(ec.id, DATA);
    for (const step of PATH_FROM_ACTIVE[state]) {
      await t.lifecycle.setState(aes.id, step, 'test');
      await t.lifecycle.setState(ec.id, step, 'test');
    }
    const outcome = async (p: Promise<unknown>) => {
      try {
        await p;
        return 'ok';
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    const expected = EXPECTED_OPERATIONS[state];
    expect(await outcome(t.crypto.encrypt(aes.id, DATA, AAD))).toBe(expected.encrypt);
    expect(await outcome(t.crypto.sign(ec.id, DATA))).toBe(expected.sign);
    if (ct && sig) {
      expect(await outcome(t.crypto.decrypt(ct.ciphertext, AAD))).toBe(expected.decrypt);
      expect(await outcome(t.crypto.verify(ec.id, DATA, sig.signature))).toBe(expected.verify);
    }
  });
});

describe('signing and verifying with keys held in this store', () => {
  it.each([
    ['emergency', 'RSA_2048'],
    ['device_identity', 'EC_P256'],
  ] as const)('%s %s: a signature any verifier checks with the public key; audited with version, size and scheme', async (type, algorithm) => {
    const t = setup();
    const key = await t.lifecycle.create({ type, label: 'signer', algorithm });
    const s = await t.crypto.sign(key.id, DATA);
    expect({ keyId: s.keyId, version: s.version, algorithm: s.algorithm }).toEqual({ keyId: key.id, version: 1, algorithm: SIGNATURE_SCHEMES[algorithm] });
    expect(last(t)).toEqual({ actor: 'officer', action: 'key.sign', targetType: 'key', targetId: key.id, outcome: 'success', details: { version: 1, bytes: DATA.length, algorithm: SIGNATURE_SCHEMES[algorithm] } });
    const pub = crypto.createPublicKey((await t.lifecycle.publicKey(key.id)).pem);
    const opts = algorithm === 'RSA_2048' ? { key: pub, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : { key: pub, dsaEncoding: 'der' as const };
    expect(crypto.verify('sha256', DATA, opts, s.signature)).toBe(true);

    expect(await t.crypto.verify(key.id, DATA, s.signature)).toBe(true);
    expect(last(t)).toEqual({ actor: 'officer', action: 'key.verify', targetType: 'key', targetId: key.id, outcome: 'success', details: { version: 1, valid: true } });
    expect(await t.crypto.verify(key.id, Buffer.from('other data'), s.signature)).toBe(false);
    expect(last(t)).toMatchObject({ outcome: 'success', details: { version: 1, valid: false } });
  });

  it('verify checks the version asked for, else the current one; a version the key lacks is not_found', async () => {
    const t = setup();
    const key = await t.lifecycle.create({ type: 'emergency', label: 'signer' });
    const one = await t.crypto.sign(key.id, DATA);
    await t.lifecycle.rotate(key.id);
    const two = await t.crypto.sign(key.id, DATA);
    expect(two.version).toBe(2);
    expect(last(t).details).toMatchObject({ version: 2 });
    expect(await t.crypto.verify(key.id, DATA, one.signature, 1)).toBe(true);
    expect(last(t).details).toEqual({ version: 1, valid: true });
    expect(await t.crypto.verify(key.id, DATA, one.signature)).toBe(false);
    expect(last(t).details).toEqual({ version: 2, valid: false });
    expect(await t.crypto.verify(key.id, DATA, two.signature)).toBe(true);
    expect(await consoleRefusal(t.crypto.verify(key.id, DATA, one.signature, 3))).toEqual({ code: 'not_found', message: `Key ${key.id} has no version 3.`, details: undefined });
  });

  it('an AES key neither signs nor verifies: unsupported_operation naming the key', async () => {
    const t = setup();
    const aes = await t.aesOn();
    expect(await consoleRefusal(t.crypto.sign(aes.id, DATA))).toEqual({ code: 'unsupported_operation', message: `Key ${aes.id} is an AES key; sign with an RSA or EC key.`, details: undefined });
    expect(last(t)).toMatchObject({ action: 'key.sign', targetId: aes.id, outcome: 'failure', details: { code: 'unsupported_operation' } });
    expect(await consoleRefusal(t.crypto.verify(aes.id, DATA, Buffer.alloc(64)))).toEqual({ code: 'unsupported_operation', message: `Key ${aes.id} is an AES key; it makes no signatures.`, details: undefined });
    expect(last(t)).toMatchObject({ action: 'key.verify', targetId: aes.id, outcome: 'failure', details: { code: 'unsupported_operation' } });
  });
});

describe('keys on providers: encrypt and decrypt', () => {
  it('Vault-like: one entry for the provider key at its version; audited with the provider', async () => {
    const t = setup();
    const key = await t.aesOn('vault');
    const ref = t.repo.get(key.id)!.providerKeyRef!;
    const e = await t.crypto.encrypt(key.id, DATA, AAD);
    expect({ keyId: e.keyId, version: e.version }).toEqual({ keyId: key.id, version: 1 });
    expect(entriesOf(e.ciphertext)).toEqual([['vault', ref, 1]]);
    expect(last(t)).toEqual({ actor: 'officer', action: 'key.encrypt', targetType: 'key', targetId: key.id, outcome: 'success', details: { version: 1, bytes: DATA.length, provider: 'vault' } });
    expect(await t.crypto.decrypt(e.ciphertext, AAD)).toEqual({ plaintext: DATA, keyId: key.id, version: 1 });
    expect(last(t)).toEqual({ actor: 'officer', action: 'key.decrypt', targetType: 'key', targetId: key.id, outcome: 'success', details: { version: 1, bytes: DATA.length, provider: 'vault' } });
  });

  it('Vault-like after a rotation: the provider version names the console version', async () => {
    const t = setup();
    const key = await t.aesOn('vault');
    const one = await t.crypto.encrypt(key.id, Buffer.from('one'), AAD);
    await t.lifecycle.rotate(key.id);
    const two = await t.crypto.encrypt(key.id, Buffer.from('two'), AAD);
    expect(two.version).toBe(2);
    expect(last(t).details).toMatchObject({ version: 2 });
    expect(await t.crypto.decrypt(one.ciphertext, AAD)).toMatchObject({ version: 1 });
    expect(await t.crypto.decrypt(two.ciphertext, AAD)).toMatchObject({ version: 2 });
  });

  it('AWS-like (answers without versions): the entry records the version the console knows as current', async () => {
    const t = setup();
    const key = await t.aesOn('aws');
    await t.lifecycle.rotate(key.id);
    const e = await t.crypto.encrypt(key.id, DATA, AAD);
    expect(parseEnvelope(e.ciphertext).entries[0]!.keyVersion).toBe(2);
  });

  it('with a backup: one data key wrapped under both; the backup down at encryption is listed as skipped', async () => {
    const t = setup();
    const key = await t.aesOn('aws', 'vault');
    const row = t.repo.get(key.id)!;
    const both = await t.crypto.encrypt(key.id, DATA, AAD);
    expect(entriesOf(both.ciphertext)).toEqual([['aws', row.providerKeyRef, 1], ['vault', row.backupKeyRef, 1]]);
    expect(last(t).details).toEqual({ version: 1, bytes: DATA.length, provider: 'aws' });
    t.down.add('vault');
    const one = await t.crypto.encrypt(key.id, DATA, AAD);
    expect(entriesOf(one.ciphertext)).toEqual([['aws', row.providerKeyRef, 1]]);
    expect(last(t)).toMatchObject({ outcome: 'success', details: { version: 1, bytes: DATA.length, provider: 'aws', skipped: 'vault:ECONNREFUSED' } });
    expect(last(t).details).not.toHaveProperty('degraded');
    expect(t.warnings).toEqual([]);
  });

  it('decryption while the primary is down: through the backup, the unreachable primary listed', async () => {
    const t = setup();
    const key = await t.aesOn('vault', 'aws');
    const e = await t.crypto.encrypt(key.id, DATA, AAD);
    t.down.add('vault');
    expect(await t.crypto.decrypt(e.ciphertext, AAD)).toMatchObject({ plaintext: DATA, keyId: key.id });
    expect(last(t)).toMatchObject({ outcome: 'success', details: { bytes: DATA.length, provider: 'aws', unreachable: 'vault:ECONNREFUSED' } });
    t.down.clear();
    await t.crypto.decrypt(e.ciphertext, AAD);
    expect(last(t).details).not.toHaveProperty('unreachable');
  });

  it('every provider down without offline_mode: provider_unavailable, nothing written, no fallback key made', async () => {
    const t = setup();
    const key = await t.aesOn('aws');
    t.down.add('aws');
    expect((await consoleRefusal(t.crypto.encrypt(key.id, DATA, AAD))).code).toBe('provider_unavailable');
    expect(last(t)).toMatchObject({ action: 'key.encrypt', outcome: 'failure', details: { code: 'provider_unavailable' } });
    expect(t.repo.get(key.id)!.fallbackKeyRef).toBeNull();
    expect(t.calls.filter((c) => c.startsWith('local-kms'))).toEqual([]);
  });

  it('offline_mode: degraded encryption under the key\'s fallback key (made once, in local-kms), audited and logged', async () => {
    const t = setup({ offline: ['aws'] });
    const key = await t.aesOn('aws');
    t.down.add('aws');
    const e = await t.crypto.encrypt(key.id, DATA, AAD);
    const fallbackRef = t.repo.get(key.id)!.fallbackKeyRef;
    expect(fallbackRef).not.toBeNull();
    expect(entriesOf(e.ciphertext)).toEqual([['local-kms', fallbackRef, 1]]);
    expect(last(t)).toMatchObject({ outcome: 'success', details: { version: 1, bytes: DATA.length, provider: 'aws', skipped: 'aws:ECONNREFUSED', degraded: true } });
    expect(t.warnings).toEqual([['degraded encryption: data key wrapped under the local fallback key', { keyId: key.id, provider: 'aws' }]]);
    expect(t.created.filter((c) => c.provider === 'local-kms')).toEqual([{ provider: 'local-kms', name: `fallback-${key.id}`, spec: 'AES_256', usage: 'encrypt', description: `offline fallback of ${key.id}` }]);
    expect(await t.localKms.describeKey(fallbackRef!)).toMatchObject({ spec: 'AES_256', usage: 'encrypt', state: 'enabled' });

    // A second degraded encryption reuses the fallback key.
    await t.crypto.encrypt(key.id, DATA, AAD);
    expect(t.created.filter((c) => c.provider === 'local-kms')).toHaveLength(1);
    expect(t.repo.get(key.id)!.fallbackKeyRef).toBe(fallbackRef);
    // The degraded ciphertext decrypts through the fallback key while the provider is still down.
    expect(await t.crypto.decrypt(e.ciphertext, AAD)).toMatchObject({ plaintext: DATA, keyId: key.id });
  });

  it('offline_mode with the provider reachable: no fallback wrapping, nothing degraded', async () => {
    const t = setup({ offline: ['aws'] });
    const key = await t.aesOn('aws');
    const e = await t.crypto.encrypt(key.id, DATA, AAD);
    expect(entriesOf(e.ciphertext).map((x) => x[0])).toEqual(['aws']);
    expect(last(t).details).toEqual({ version: 1, bytes: DATA.length, provider: 'aws' });
    expect(t.warnings).toEqual([]);
  });
});

describe('the providers listed in the audit, several at once (comma-separated, in entry order)', () => {
  it('encryption: primary and backup both down with offline_mode, both listed as skipped', async () => {
    const t = setup({ offline: ['aws'] });
    const key = await t.aesOn('aws', 'vault');
    t.down.add('aws');
    t.down.add('vault');
    await t.crypto.encrypt(key.id, DATA, AAD);
    expect(last(t).details).toMatchObject({ skipped: 'aws:ECONNREFUSED,vault:ECONNREFUSED', degraded: true });
  });

  it('decryption: primary and backup both down, the fallback answers; both listed as unreachable', async () => {
    const t = setup({ offline: ['aws'] });
    const key = await t.aesOn('aws', 'vault');
    t.down.add('aws');
    t.down.add('vault');
    await t.crypto.encrypt(key.id, DATA, AAD);
    t.down.clear();
    const row = t.repo.get(key.id)!;
    const three = await encryptForRecipients(
      { storeId: t.storeId },
      [{ provider: t.providerNamed('aws')!, keyRef: row.providerKeyRef! }, { provider: t.providerNamed('vault')!, keyRef: row.backupKeyRef! }, { provider: t.localKms, keyRef: row.fallbackKeyRef! }],
      DATA,
      AAD,
    );
    t.down.add('aws');
    t.down.add('vault');
    expect(await t.crypto.decrypt(three.ciphertext, AAD)).toMatchObject({ plaintext: DATA, keyId: key.id });
    expect(last(t).details).toMatchObject({ provider: 'local-kms', unreachable: 'aws:ECONNREFUSED,vault:ECONNREFUSED' });
  });
});

describe('which key a header names (docs/ciphertext-format.md step 3): the audit target of a modified header', () => {
  // The body is bound to the whole header, so every edited header below ends as ciphertext_tampered; what differs is
  // the key found first, which the failure record names (or not).
  it('an entry of another provider carrying a store key\'s id names no key', async () => {
    const t = setup();
    const key = await t.aesOn();
    const e = await t.crypto.encrypt(key.id, DATA, AAD);
    const entry = parseEnvelope(e.ciphertext).entries[0]!;
    expect((await consoleRefusal(t.crypto.decrypt(withEntries(e.ciphertext, [{ ...entry, provider: 'gcp' }]), AAD))).code).toBe('ciphertext_tampered');
    expect(last(t)).toMatchObject({ targetId: null, outcome: 'failure' });
  });

  it.each([
    ['before', true],
    ['after', false],
  ] as const)('a provider key\'s entry with an entry naming nothing %s it: the provider key is found', async (_where, bogusFirst) => {
    const t = setup();
    const key = await t.aesOn('vault');
    const e = await t.crypto.encrypt(key.id, DATA, AAD);
    const entry = parseEnvelope(e.ciphertext).entries[0]!;
    const bogus = [{ ...entry, provider: 'local', keyRef: crypto.randomUUID() }, { ...entry, provider: 'gcp', keyRef: 'key-nothing' }];
    const edited = withEntries(e.ciphertext, bogusFirst ? [...bogus, entry] : [entry, ...bogus]);
    expect((await consoleRefusal(t.crypto.decrypt(edited, AAD))).code).toBe('ciphertext_tampered');
    expect(last(t)).toMatchObject({ targetId: key.id, outcome: 'failure', details: { code: 'ciphertext_tampered' } });
  });
});

describe('cached data keys only while every provider of the key looks reachable', () => {
  it('all circuits closed: the second encryption reuses the cached data key (no provider call)', async () => {
    const t = setup({ cache: true });
    const key = await t.aesOn('vault', 'aws');
    await t.crypto.encrypt(key.id, DATA, AAD);
    const before = t.calls.length;
    const second = await t.crypto.encrypt(key.id, DATA, AAD);
    expect(t.calls.slice(before)).toEqual([]);
    expect(await t.crypto.decrypt(second.ciphertext, AAD)).toMatchObject({ plaintext: DATA });
  });

  it.each(['vault', 'aws'] as const)('the %s circuit open (the provider still answering): each encryption asks the providers', async (openOne) => {
    const t = setup({ cache: true });
    const key = await t.aesOn('vault', 'aws');
    t.open.add(openOne);
    await t.crypto.encrypt(key.id, DATA, AAD);
    const before = t.calls.length;
    await t.crypto.encrypt(key.id, DATA, AAD);
    expect(t.calls.slice(before).sort()).toEqual(['aws.encrypt', 'vault.encrypt']);
  });
});

describe('usage limits: a version\'s encryption is claimed first and counted with its audit record', () => {
  it('a success: claim, the count written inside the record\'s transaction, then committed', async () => {
    const t = setup({ usage: true });
    const key = await t.aesOn();
    await t.crypto.encrypt(key.id, DATA, AAD);
    expect(t.usage).toEqual(['claim 1', 'work 1 in transaction: true', 'committed 1']);
  });

  it('a failure after the claim abandons it (nothing counted)', async () => {
    const t = setup({ usage: true });
    const key = await t.aesOn('aws');
    t.down.add('aws');
    await consoleRefusal(t.crypto.encrypt(key.id, DATA, AAD));
    expect(t.usage).toEqual(['claim 1', 'abandoned 1']);
  });

  it('a refused claim: no encryption made, the refusal audited', async () => {
    const t = setup({ usage: true });
    const key = await t.aesOn('vault');
    t.limited.add(key.id);
    await expect(t.crypto.encrypt(key.id, DATA, AAD)).rejects.toThrow();
    expect(t.usage).toEqual(['claim 1']);
    expect(t.calls.filter((c) => c.startsWith('vault.encrypt'))).toEqual([]);
    expect(last(t)).toMatchObject({ action: 'key.encrypt', targetId: key.id, outcome: 'failure' });
  });
});

describe('AWS key materials: a version is bound to the material of its first data key (docs/rotation.md)', () => {
  it('the first encryption under a version asks the provider for the data key and binds the material; later ones do not', async () => {
    const t = setup({ materials: true });
    const key = await t.aesOn('aws');
    t.f.clock.set(Date.parse('2026-07-01T08:00:00.000Z'));
    await t.crypto.encrypt(key.id, DATA, AAD);
    expect(t.calls.filter((c) => c.startsWith('aws.'))).toEqual(['aws.generateDataKey']);
    expect(t.materials.listForKey(key.id)).toEqual([{ keyId: key.id, version: 1, provider: 'aws', materialId: 'material-of-aws-v1', learntFrom: 'data_key', learntAt: '2026-07-01T08:00:00.000Z' }]);
    await t.crypto.encrypt(key.id, DATA, AAD);
    expect(t.calls.filter((c) => c.startsWith('aws.'))).toEqual(['aws.generateDataKey', 'aws.encrypt']);
    await t.lifecycle.rotate(key.id);
    await t.crypto.encrypt(key.id, DATA, AAD);
    expect(t.materials.listForKey(key.id).map((m) => [m.version, m.materialId])).toEqual([[1, 'material-of-aws-v1'], [2, 'material-of-aws-v2']]);
  });

  it('decryption names the version bound to the material that opened the data key, not the newest the entry implies', async () => {
    const t = setup({ materials: true });
    const key = await t.aesOn('aws');
    const keyRef = t.repo.get(key.id)!.providerKeyRef!;
    // Written as before the console passed the version along (an entry carrying 0 means "the newest"), under material 1.
    const legacy = await encryptForRecipients({ storeId: t.storeId }, [{ provider: t.providerNamed('aws')!, keyRef }], DATA, AAD);
    expect(parseEnvelope(legacy.ciphertext).entries[0]!.keyVersion).toBe(0);
    await t.crypto.encrypt(key.id, DATA, AAD);
    expect(t.materials.versionOf(key.id, 'material-of-aws-v1')).toBe(1);
    await t.lifecycle.rotate(key.id);
    expect(await t.crypto.decrypt(legacy.ciphertext, AAD)).toEqual({ plaintext: DATA, keyId: key.id, version: 1 });
    expect(last(t).details).toMatchObject({ version: 1, provider: 'aws' });
    // Without the binding (no materials repository) the same envelope is attributed to the newest version.
    const u = setup();
    const k2 = await u.aesOn('aws');
    const legacy2 = await encryptForRecipients({ storeId: u.storeId }, [{ provider: u.providerNamed('aws')!, keyRef: u.repo.get(k2.id)!.providerKeyRef! }], DATA, AAD);
    await u.lifecycle.rotate(k2.id);
    expect((await u.crypto.decrypt(legacy2.ciphertext, AAD)).version).toBe(2);
  });

  it('an unbound material falls back to the entry\'s version', async () => {
    const t = setup({ materials: true });
    const key = await t.aesOn('aws');
    t.materialsFail.now = true;
    const one = await t.crypto.encrypt(key.id, DATA, AAD);
    t.materialsFail.now = false;
    await t.lifecycle.rotate(key.id);
    expect(t.materials.listForKey(key.id)).toEqual([]);
    expect((await t.crypto.decrypt(one.ciphertext, AAD)).version).toBe(1);
  });

  it('a provider that does not name materials (Vault-like) is never asked to generate, and nothing is bound', async () => {
    const t = setup({ materials: true });
    const key = await t.aesOn('vault');
    await t.crypto.encrypt(key.id, DATA, AAD);
    expect(t.calls.filter((c) => c.startsWith('vault.'))).toEqual(['vault.encrypt']);
    expect(t.materials.listForKey(key.id)).toEqual([]);
  });

  it('without a materials repository nothing is generated (versions told apart by number only)', async () => {
    const t = setup();
    const key = await t.aesOn('aws');
    await t.crypto.encrypt(key.id, DATA, AAD);
    expect(t.calls.filter((c) => c.startsWith('aws.'))).toEqual(['aws.encrypt']);
  });

  it('a binding that fails is logged (the error name only) and the encryption still returns; the next data key tries again', async () => {
    const t = setup({ materials: true });
    const key = await t.aesOn('aws');
    t.materialsFail.now = true;
    const e = await t.crypto.encrypt(key.id, DATA, AAD);
    expect(e.version).toBe(1);
    expect(t.warnings).toEqual([['the key material of a version could not be recorded', { keyId: key.id, version: 1, error: 'RangeError' }]]);
    t.materialsFail.now = false;
    await t.crypto.encrypt(key.id, DATA, AAD);
    expect(t.calls.filter((c) => c.startsWith('aws.'))).toEqual(['aws.generateDataKey', 'aws.generateDataKey']);
    expect(t.materials.listForKey(key.id).map((m) => m.version)).toEqual([1]);
  });

  it('something thrown that is no Error is logged as unknown', async () => {
    const t = setup({ materials: true });
    const key = await t.aesOn('aws');
    t.materialsFail.now = 'not an Error';
    expect((await t.crypto.encrypt(key.id, DATA, AAD)).version).toBe(1);
    expect(t.warnings).toEqual([['the key material of a version could not be recorded', { keyId: key.id, version: 1, error: 'unknown' }]]);
  });

  it('the provider down when asked for the data key (the backup wraps it): no material is named, nothing bound, nothing logged', async () => {
    const t = setup({ materials: true });
    const key = await t.aesOn('aws', 'vault');
    t.down.add('aws');
    const e = await t.crypto.encrypt(key.id, DATA, AAD);
    expect(entriesOf(e.ciphertext).map((x) => x[0])).toEqual(['vault']);
    expect(t.calls.filter((c) => c.startsWith('aws.'))).toEqual(['aws.generateDataKey']);
    expect(t.materials.listForKey(key.id)).toEqual([]);
    expect(t.warnings).toEqual([]);
  });

  it('a rotation committed before the binding runs: nothing is bound to the version that is no longer current', async () => {
    let before: (() => Promise<unknown>) | null = null;
    const lock = {
      run: async <T>(_k: string, fn: () => Promise<T>) => {
        const b = before;
        before = null;
        if (b) await b();
        return fn();
      },
      busyKeys: () => 0,
    };
    const t = setup({ materials: true, versionLock: lock });
    const key = await t.aesOn('aws');
    before = () => t.lifecycle.rotate(key.id);
    await t.crypto.encrypt(key.id, DATA, AAD);
    expect(t.repo.get(key.id)!.currentVersion).toBe(2);
    expect(t.materials.listForKey(key.id)).toEqual([]);
    // Under the lock when nothing intervenes: the current version is bound.
    await t.crypto.encrypt(key.id, DATA, AAD);
    expect(t.materials.listForKey(key.id).map((m) => [m.version, m.materialId])).toEqual([[2, 'material-of-aws-v2']]);
  });
});

describe('signing and verifying with keys on providers', () => {
  it('Vault-like: the console version from the provider\'s, audited with the provider; verify at the version asked for', async () => {
    const t = setup();
    const key = await t.lifecycle.create({ type: 'device_identity', label: 'signer', algorithm: 'EC_P256', provider: 'vault' });
    const one = await t.crypto.sign(key.id, DATA);
    expect({ version: one.version, algorithm: one.algorithm }).toEqual({ version: 1, algorithm: SIGNATURE_SCHEMES.EC_P256 });
    expect(last(t).details).toEqual({ version: 1, bytes: DATA.length, algorithm: SIGNATURE_SCHEMES.EC_P256, provider: 'vault' });
    await t.lifecycle.rotate(key.id);
    const two = await t.crypto.sign(key.id, DATA);
    expect(two.version).toBe(2);
    expect(await t.crypto.verify(key.id, DATA, one.signature, 1)).toBe(true);
    expect(last(t).details).toEqual({ version: 1, valid: true, provider: 'vault' });
    expect(t.calls.at(-1)).toBe('vault.verify:1');
    expect(await t.crypto.verify(key.id, DATA, one.signature)).toBe(false);
    expect(t.calls.at(-1)).toBe('vault.verify:2');
    expect(last(t).details).toEqual({ version: 2, valid: false, provider: 'vault' });
  });

  it('AWS-like (signs without naming a version): the newest provider-held version', async () => {
    const t = setup();
    const key = await t.lifecycle.create({ type: 'emergency', label: 'signer', provider: 'aws' });
    await t.lifecycle.rotate(key.id);
    const s = await t.crypto.sign(key.id, DATA);
    expect(s.version).toBe(2);
    expect(last(t).details).toEqual({ version: 2, bytes: DATA.length, algorithm: SIGNATURE_SCHEMES.RSA_2048, provider: 'aws' });
  });

  it('the provider down: provider_unavailable audited with the provider', async () => {
    const t = setup();
    const key = await t.lifecycle.create({ type: 'emergency', label: 'signer', provider: 'vault' });
    const s = await t.crypto.sign(key.id, DATA);
    t.down.add('vault');
    expect((await consoleRefusal(t.crypto.sign(key.id, DATA))).code).toBe('provider_unavailable');
    expect(last(t)).toMatchObject({ action: 'key.sign', outcome: 'failure', details: { code: 'provider_unavailable' } });
    expect((await consoleRefusal(t.crypto.verify(key.id, DATA, s.signature))).code).toBe('provider_unavailable');
  });
});
