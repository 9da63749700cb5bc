// The 'local' provider of console keys (providers/local/storeKeyProvider.ts) over a real store database and keyring:
// the KmsProvider contract as docs/key-store.md and docs/providers.md describe it for local keys. Each refusal's kind,
// provider code and message, the state the console row implies (usable only while the console state processes),
// create / rotate preparing versions the lifecycle commits, paging, destruction erasing material at once, and locking.
import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createStoreKeyProvider, storeStateOf } from '../../electron/providers/local/storeKeyProvider.ts';
import { isProviderError } from '../../electron/providers/types.ts';
import { createKeysRepo, type KeyRow } from '../../electron/store/keysRepo.ts';
import { localFixture, type LocalFixture } from './provider-testkit.ts';
import { removeTempDirs } from './store-testkit.ts';
import { type State, STATES } from './keys-testkit.ts';

const fixtures: LocalFixture[] = [];
afterEach(() => {
  for (const f of fixtures.splice(0)) f.close();
  removeTempDirs();
});

function setup() {
  const f = localFixture();
  fixtures.push(f);
  const repo = createKeysRepo(f.store.db);
  // Every unwrapped material buffer handed out, to check that the provider zeroes it after use.
  const unwrapped: Buffer[] = [];
  const keyring = () => {
    const ring = f.keyring();
    return new Proxy(ring, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'unwrapMaterial' || typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          const m = (v as (...a: unknown[]) => Buffer | null).apply(target, args);
          if (m) unwrapped.push(m);
          return m;
        };
      },
    });
  };
  const p = createStoreKeyProvider({ repo, keyring, clock: f.clock });
  const nowIso = () => new Date(f.clock.now()).toISOString();
  /** Creates and commits a key the way the lifecycle does (createKey, then the row and the prepared version). */
  const make = async (algorithm: KeyRow['algorithm'], state: State = 'active') => {
    const id = crypto.randomUUID();
    await p.createKey({ name: `key-${id}`, spec: algorithm, usage: algorithm === 'AES_256' ? 'encrypt' : 'sign' });
    const row: KeyRow = {
      id, label: 'l', type: algorithm === 'AES_256' ? 'storage' : 'device_identity', algorithm, state, stateReason: null, provider: 'local', currentVersion: 1,
      createdAt: nowIso(), updatedAt: nowIso(), rotationSeconds: null, nextRotationAt: null, providerKeyRef: null, backupProvider: null, backupKeyRef: null, fallbackKeyRef: null,
    };
    repo.insertKey(row);
    repo.insertVersion(p.takePrepared(id, 1)!);
    return row;
  };
  return { f, repo, p, make, nowIso, unwrapped };
}

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (e) {
    if (isProviderError(e)) return { kind: e.kind, code: e.providerCode, message: e.message, providerId: e.providerId };
    throw e;
  }
  throw new Error('expected a provider error');
}

describe('store key provider: the state a console state implies', () => {
  // docs/key-store.md: a local key's enabled flag is the console state: usable while it may process data.
  const EXPECTED: Record<State, string> = {
    pre_activation: 'disabled',
    active: 'enabled',
    suspended: 'disabled',
    deactivated: 'enabled',
    compromised: 'disabled',
    destroyed: 'destroyed',
  };
  it.each(STATES)('%s', (state) => {
    expect(storeStateOf({ state })).toBe(EXPECTED[state]);
  });
});

describe('store key provider: create and rotate prepare versions', () => {
  it('creates under key-<console key id>, reports it enabled at version 1, and hands the prepared row over once', async () => {
    const { p, f, nowIso } = setup();
    const id = crypto.randomUUID();
    const info = await p.createKey({ name: `key-${id}`, spec: 'EC_P256', usage: 'sign' });
    expect(info).toEqual({ keyRef: id, name: `key-${id}`, spec: 'EC_P256', usage: 'sign', state: 'enabled', currentVersion: 1, createdAt: nowIso(), deletionDate: null, rotationPeriodDays: null });
    expect(await failure(p.createKey({ name: `key-${id}`, spec: 'EC_P256', usage: 'sign' }))).toEqual({ kind: 'InvalidInput', code: 'AlreadyExists', message: `A local key ${id} already exists.`, providerId: 'local' });
    const row = p.takePrepared(id, 1)!;
    expect(row).toMatchObject({ keyId: id, version: 1, createdAt: nowIso(), destroyed: false, provider: null, providerVersion: null });
    expect(row.publicSpki).not.toBeNull();
    expect(row.checkValue).toBe(crypto.createHash('sha256').update(row.publicSpki!).digest('hex'));
    expect(p.takePrepared(id, 1)).toBeNull();
    expect(f.clock.now()).toBeGreaterThan(0);
  });

  it('refuses any other name', async () => {
    const { p } = setup();
    for (const name of ['mykey', `key-${crypto.randomUUID()}x`, `xkey-${crypto.randomUUID()}`, `key-${crypto.randomUUID().toUpperCase()}`]) {
      expect(await failure(p.createKey({ name, spec: 'AES_256', usage: 'encrypt' }))).toMatchObject({ kind: 'InvalidInput', code: name === 'mykey' ? 'InvalidName' : expect.any(String) });
    }
    expect(await failure(p.createKey({ name: 'not a name!', spec: 'AES_256', usage: 'encrypt' }))).toMatchObject({ kind: 'InvalidInput', code: 'InvalidName', providerId: 'local' });
    expect(await failure(p.createKey({ name: 'key-1', spec: 'AES_256', usage: 'encrypt' }))).toEqual({ kind: 'InvalidInput', code: 'InvalidName', message: 'Local console keys are named key-<console key id>.', providerId: 'local' });
  });

  it('refuses a key whose row already exists', async () => {
    const { p, make } = setup();
    const k = await make('AES_256');
    expect((await failure(p.createKey({ name: `key-${k.id}`, spec: 'AES_256', usage: 'encrypt' }))).code).toBe('AlreadyExists');
  });

  it('rotates only a usable key, preparing the next version', async () => {
    const { p, make } = setup();
    const k = await make('AES_256');
    expect(await p.rotate(k.id)).toEqual({ version: 2 });
    expect(p.takePrepared(k.id, 2)).toMatchObject({ keyId: k.id, version: 2 });
    const off = await make('AES_256', 'suspended');
    expect(await failure(p.rotate(off.id))).toEqual({ kind: 'KeyDisabled', code: 'KeyState', message: `Key ${off.id} is suspended; only usable keys are rotated.`, providerId: 'local' });
  });
});

describe('store key provider: using keys', () => {
  it('encrypts and decrypts with the associated data; anything else is an integrity failure', async () => {
    const { p, make } = setup();
    const k = await make('AES_256');
    const aad = Buffer.from('context');
    const { ciphertext, version } = await p.encrypt(k.id, Buffer.from('hello'), aad);
    expect(version).toBe(1);
    expect(await p.decrypt(k.id, ciphertext, aad)).toEqual({ plaintext: Buffer.from('hello'), version: 1 });
    const bad = { kind: 'IntegrityFailure', code: 'InvalidCiphertext', message: 'The ciphertext or its associated data failed authentication.', providerId: 'local' };
    expect(await failure(p.decrypt(k.id, ciphertext, Buffer.from('other')))).toEqual(bad);
    const flipped = Buffer.from(ciphertext);
    flipped[flipped.length - 1]! ^= 1;
    expect(await failure(p.decrypt(k.id, flipped, aad))).toEqual(bad);
    const notOurs = { kind: 'IntegrityFailure', code: 'InvalidCiphertext', message: 'The ciphertext is not local ciphertext of this key.', providerId: 'local' };
    expect(await failure(p.decrypt(k.id, Buffer.from('short'), aad))).toEqual(notOurs);
    expect(await failure(p.decrypt(k.id, 'text' as unknown as Buffer, aad))).toEqual(notOurs);
  });

  it('generates a 32-byte data key wrapped under the key', async () => {
    const { p, make } = setup();
    const k = await make('AES_256');
    const dk = await p.generateDataKey(k.id, Buffer.from('a'));
    expect(dk.plaintext.length).toBe(32);
    expect(dk.version).toBe(1);
    expect((await p.decrypt(k.id, dk.wrapped, Buffer.from('a'))).plaintext).toEqual(dk.plaintext);
    expect((await failure(p.generateDataKey('nope'))).code).toBe('KeyNotFound');
  });

  it('refuses plaintext over 64 KiB or not a buffer', async () => {
    const { p, make } = setup();
    const k = await make('AES_256');
    expect((await p.encrypt(k.id, Buffer.alloc(64 * 1024))).version).toBe(1);
    const refusal = { kind: 'InvalidInput', code: 'InvalidPlaintext', message: 'The plaintext must be at most 65536 bytes.', providerId: 'local' };
    expect(await failure(p.encrypt(k.id, Buffer.alloc(64 * 1024 + 1)))).toEqual(refusal);
    expect(await failure(p.encrypt(k.id, 'hello' as unknown as Buffer))).toEqual(refusal);
  });

  it('uses a key only while its console state processes, and only for its usage', async () => {
    const { p, make } = setup();
    for (const state of ['pre_activation', 'suspended', 'compromised', 'destroyed'] as const) {
      const k = await make('AES_256', state);
      expect(await failure(p.encrypt(k.id, Buffer.from('x')))).toEqual({ kind: 'KeyDisabled', code: 'KeyState', message: `Key ${k.id} is ${state}.`, providerId: 'local' });
    }
    const deact = await make('AES_256', 'deactivated');
    expect((await p.encrypt(deact.id, Buffer.from('x'))).version).toBe(1);
    const signer = await make('EC_P256');
    expect(await failure(p.encrypt(signer.id, Buffer.from('x')))).toEqual({ kind: 'InvalidInput', code: 'WrongUsage', message: `Key ${signer.id} is not a encrypt key.`, providerId: 'local' });
    const aes = await make('AES_256');
    expect(await failure(p.sign(aes.id, Buffer.from('x')))).toEqual({ kind: 'InvalidInput', code: 'WrongUsage', message: `Key ${aes.id} is not a sign key.`, providerId: 'local' });
    expect(await failure(p.verify(aes.id, Buffer.from('x'), Buffer.from('s')))).toEqual({ kind: 'InvalidInput', code: 'WrongUsage', message: `Key ${aes.id} is not a sign key.`, providerId: 'local' });
    expect(await failure(p.encrypt('no-such-key', Buffer.from('x')))).toEqual({ kind: 'NotFound', code: 'KeyNotFound', message: 'The local store has no key no-such-key.', providerId: 'local' });
    expect((await failure(p.encrypt(42 as unknown as string, Buffer.from('x')))).code).toBe('KeyNotFound');
  });

  it('signs and verifies (ECDSA P-256, checked with node:crypto), and hands out the public key by version', async () => {
    const { p, make } = setup();
    const k = await make('EC_P256');
    const msg = Buffer.from('stop');
    const { signature, version } = await p.sign(k.id, msg);
    expect(version).toBe(1);
    const { pem, version: pv } = await p.getPublicKey(k.id, 1);
    expect(pv).toBe(1);
    expect(crypto.verify('sha256', msg, { key: crypto.createPublicKey(pem), dsaEncoding: 'der' }, signature)).toBe(true);
    expect(await p.verify(k.id, msg, signature, 1)).toBe(true);
    expect(await p.verify(k.id, Buffer.from('go'), signature)).toBe(false);
    expect(await failure(p.sign(k.id, msg, 0))).toEqual({ kind: 'InvalidInput', code: 'InvalidVersion', message: 'A key version is a positive integer.', providerId: 'local' });
    expect((await failure(p.sign(k.id, msg, 1.5))).code).toBe('InvalidVersion');
    expect(await failure(p.sign(k.id, msg, 2))).toEqual({ kind: 'NotFound', code: 'VersionNotFound', message: `The local store holds no version 2 of key ${k.id}.`, providerId: 'local' });
    expect((await failure(p.getPublicKey(k.id, 2))).code).toBe('VersionNotFound');
  });

  it('public keys: none for AES keys, none once destroyed, still while disabled', async () => {
    const { p, make } = setup();
    const aes = await make('AES_256');
    expect(await failure(p.getPublicKey(aes.id))).toEqual({ kind: 'InvalidInput', code: 'WrongUsage', message: `Key ${aes.id} is an AES key; it has no public key.`, providerId: 'local' });
    const gone = await make('EC_P256', 'destroyed');
    expect(await failure(p.getPublicKey(gone.id))).toEqual({ kind: 'KeyDisabled', code: 'KeyState', message: `Key ${gone.id} was destroyed.`, providerId: 'local' });
    const off = await make('EC_P256', 'suspended');
    expect((await p.getPublicKey(off.id)).version).toBe(1);
  });

  it('destroyed or tampered material is refused', async () => {
    const { p, make, repo } = setup();
    const k = await make('AES_256');
    const v = repo.getVersion(k.id, 1)!;
    const tampered = { ...v, wrappedMaterial: Buffer.from(v.wrappedMaterial!) };
    tampered.wrappedMaterial[tampered.wrappedMaterial.length - 1]! ^= 1;
    let te: unknown = null;
    try {
      p.material(repo.get(k.id)!, tampered);
    } catch (x) {
      te = x;
    }
    expect(isProviderError(te) && [te.kind, te.providerCode, te.message]).toEqual(['IntegrityFailure', 'StoredMaterialTampered', `The stored material of key ${k.id} version 1 failed its integrity check.`]);
    expect(p.checkVersion(repo.get(k.id)!, tampered)).toEqual({ version: 1, ok: false, reason: 'stored key material failed authentication' });
    expect(p.checkVersion(repo.get(k.id)!, v)).toEqual({ version: 1, ok: true, reason: null });
    expect(p.material(repo.get(k.id)!, v).length).toBe(32);
    for (const gone of [{ ...v, destroyed: true }, { ...v, wrappedMaterial: null }]) {
      let e: unknown = null;
      try {
        p.material(repo.get(k.id)!, gone);
      } catch (x) {
        e = x;
      }
      expect(isProviderError(e) && [e.kind, e.providerCode, e.message]).toEqual(['KeyDisabled', 'KeyDestroyed', `The material of key ${k.id} version 1 was destroyed.`]);
      expect(p.checkVersion(repo.get(k.id)!, gone)).toEqual({ version: 1, ok: false, reason: 'key material is missing' });
    }
    // A check value that does not match the material.
    expect(p.checkVersion(repo.get(k.id)!, { ...v, checkValue: '00' }).ok).toBe(false);
  });

  it('a locked store refuses with AccessDenied / StoreLocked and reports itself unhealthy', async () => {
    const { p, make, f } = setup();
    const k = await make('AES_256');
    expect(await p.health()).toEqual({ ok: true, latencyMs: 0, detail: null });
    f.lock();
    expect(await failure(p.encrypt(k.id, Buffer.from('x')))).toEqual({ kind: 'AccessDenied', code: 'StoreLocked', message: 'The key store is locked; unlock it to use local keys.', providerId: 'local' });
    expect((await failure(p.createKey({ name: `key-${crypto.randomUUID()}`, spec: 'AES_256', usage: 'encrypt' }))).code).toBe('StoreLocked');
    expect(await p.health()).toEqual({ ok: false, latencyMs: 0, detail: 'the key store is locked' });
    f.unlock();
  });
});

describe('store key provider: secrets are zeroed after use', () => {
  // Since the per-version material cache (issue 11), encrypt, decrypt and sign borrow material from the keyring's
  // cache (zeroed on eviction, lock and close: material-cache tests) and unwrap nothing themselves; the integrity check
  // unwraps its own copy, which it must zero.
  it('encrypt, decrypt and sign unwrap no copy of their own; the integrity check zeroes the one it unwraps', async () => {
    const { p, make, repo, unwrapped } = setup();
    const aes = await make('AES_256');
    const { ciphertext } = await p.encrypt(aes.id, Buffer.from('x'));
    await p.decrypt(aes.id, ciphertext);
    const ec = await make('EC_P256');
    await p.sign(ec.id, Buffer.from('m'));
    expect(unwrapped.length).toBe(0);
    p.checkVersion(repo.get(aes.id)!, repo.getVersion(aes.id, 1)!);
    expect(unwrapped.length).toBe(1);
    for (const m of unwrapped) expect(m.every((b) => b === 0)).toBe(true);
  });

  it('a data key whose wrapping fails is zeroed before the refusal', async () => {
    const { p, make } = setup();
    const k = await make('AES_256', 'suspended');
    const spied: Buffer[] = [];
    const realRandom = crypto.randomBytes;
    const spy = (n: number) => {
      const b = realRandom(n);
      spied.push(b);
      return b;
    };
    (crypto as unknown as { randomBytes: unknown }).randomBytes = spy;
    try {
      expect((await failure(p.generateDataKey(k.id))).code).toBe('KeyState');
    } finally {
      (crypto as unknown as { randomBytes: unknown }).randomBytes = realRandom;
    }
    expect(spied.length).toBe(1);
    expect(spied[0]!.every((b) => b === 0)).toBe(true);
  });
});

describe('store key provider: catalog operations', () => {
  it('describes a key from its console row', async () => {
    const { p, make } = setup();
    const k = await make('EC_P256', 'deactivated');
    expect(await p.describeKey(k.id)).toEqual({ keyRef: k.id, name: `key-${k.id}`, spec: 'EC_P256', usage: 'sign', state: 'enabled', currentVersion: 1, createdAt: k.createdAt, deletionDate: null, rotationPeriodDays: null });
    const a = await make('AES_256', 'suspended');
    expect(await p.describeKey(a.id)).toMatchObject({ usage: 'encrypt', state: 'disabled' });
  });

  it('lists local keys in pages', async () => {
    const { p, make, repo } = setup();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await make('AES_256')).id);
    const first = await p.listKeys({ pageSize: 2 });
    expect(first.items.length).toBe(2);
    expect(first.nextPageToken).toBe('2');
    const second = await p.listKeys({ pageSize: 2, pageToken: '2' });
    expect(second).toMatchObject({ nextPageToken: null });
    expect(second.items.length).toBe(1);
    expect([...first.items, ...second.items].map((i) => i.keyRef).sort()).toEqual([...ids].sort());
    expect((await p.listKeys()).items.length).toBe(3);
    expect((await p.listKeys({ pageSize: 3 })).nextPageToken).toBeNull();
    expect((await p.listKeys({ pageSize: 1000 })).items.length).toBe(3);
    expect(await p.listKeys({ pageSize: 1 })).toMatchObject({ items: [expect.anything()], nextPageToken: '1' });
    // A key held on another provider is not this provider's.
    const other = { ...repo.get(ids[0]!)!, id: crypto.randomUUID(), provider: 'aws', providerKeyRef: 'arn:x' };
    repo.insertKey(other);
    expect((await p.listKeys()).items.map((i) => i.keyRef)).not.toContain(other.id);
    for (const pageSize of [0, 1001, 1.5]) {
      expect(await failure(p.listKeys({ pageSize }))).toEqual({ kind: 'InvalidInput', code: 'InvalidPageSize', message: 'pageSize must be an integer from 1 to 1000.', providerId: 'local' });
    }
    for (const pageToken of ['-1', 'abc']) {
      expect(await failure(p.listKeys({ pageToken }))).toEqual({ kind: 'InvalidInput', code: 'InvalidPageToken', message: 'The page token is not one this provider issued.', providerId: 'local' });
    }
  });

  it('enable / disable change nothing here: they accept a created but uncommitted key, refuse a destroyed one', async () => {
    const { p, make, repo } = setup();
    const id = crypto.randomUUID();
    await p.createKey({ name: `key-${id}`, spec: 'AES_256', usage: 'encrypt' });
    await p.enable(id);
    await p.disable(id);
    expect((await failure(p.enable('unknown'))).code).toBe('KeyNotFound');
    expect((await failure(p.disable('unknown'))).code).toBe('KeyNotFound');
    const gone = await make('AES_256', 'destroyed');
    expect(await failure(p.enable(gone.id))).toEqual({ kind: 'KeyDisabled', code: 'KeyState', message: `Key ${gone.id} was destroyed and cannot be enabled.`, providerId: 'local' });
    await p.disable(gone.id);
    const live = await make('AES_256', 'suspended');
    await p.enable(live.id);
    expect(repo.get(live.id)!.state).toBe('suspended');
  });

  it('destruction erases the material at once (no waiting), drops prepared versions, and cannot be cancelled', async () => {
    const { p, make, repo, nowIso } = setup();
    const k = await make('AES_256');
    const keep = await make('AES_256');
    await p.rotate(k.id);
    await p.rotate(keep.id);
    expect(await p.scheduleDestruction(k.id, 7)).toEqual({ deletionDate: nowIso() });
    expect(p.takePrepared(k.id, 2)).toBeNull();
    expect(p.takePrepared(keep.id, 2)).not.toBeNull();
    expect(repo.getVersion(keep.id, 1)!.destroyed).toBe(false);
    const v = repo.getVersion(k.id, 1)!;
    expect([v.destroyed, v.wrappedMaterial]).toEqual([true, null]);
    expect(await failure(p.cancelDestruction(k.id))).toEqual({ kind: 'KeyDisabled', code: 'KeyState', message: `Destruction of key ${k.id} cannot be cancelled: the local store erases material at once.`, providerId: 'local' });
    expect((await failure(p.cancelDestruction('unknown'))).code).toBe('KeyNotFound');
    for (const days of [-1, 366, 1.5]) {
      expect(await failure(p.scheduleDestruction(k.id, days))).toEqual({ kind: 'InvalidInput', code: 'InvalidWaitingPeriod', message: 'waitingDays must be an integer from 0 to 365.', providerId: 'local' });
    }
    expect((await p.scheduleDestruction(k.id, 0)).deletionDate).toBe(nowIso());
    expect((await p.scheduleDestruction(k.id, 365)).deletionDate).toBe(nowIso());
  });

  it('a key created but never committed can be retired: its prepared version goes, a new create of that id is allowed', async () => {
    const { p } = setup();
    const id = crypto.randomUUID();
    await p.createKey({ name: `key-${id}`, spec: 'AES_256', usage: 'encrypt' });
    await p.scheduleDestruction(id, 0);
    expect(p.takePrepared(id, 1)).toBeNull();
    // Not uncommitted any more: enable looks it up in the catalog.
    expect((await failure(p.enable(id))).code).toBe('KeyNotFound');
    await p.createKey({ name: `key-${id}`, spec: 'AES_256', usage: 'encrypt' });
    expect(p.takePrepared(id, 1)).not.toBeNull();
  });

  it('close() drops what was prepared and not committed', async () => {
    const { p } = setup();
    const id = crypto.randomUUID();
    await p.createKey({ name: `key-${id}`, spec: 'AES_256', usage: 'encrypt' });
    await p.close();
    expect(p.takePrepared(id, 1)).toBeNull();
    expect((await failure(p.disable(id))).code).toBe('KeyNotFound');
  });

  it('identifies itself as the local provider', () => {
    const { p } = setup();
    expect([p.id, p.kind, p.capabilities.kmsBacked]).toEqual(['local', 'local', false]);
  });
});
