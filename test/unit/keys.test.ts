// Keys: each type and algorithm, signatures checked with plain node:crypto, rotation, every lifecycle transition and
// what each state allows (both against the tables written out in keys-testkit.ts), destruction of material, and the
// integrity check.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { KEY_TYPE_PROFILES } from '../../shared/domain.ts';
import { envelopeNaming, EXPECTED_OPERATIONS, EXPECTED_TRANSITIONS, OPERATIONS, type Operation, PATH_FROM_ACTIVE, type State, STATES } from './keys-testkit.ts';
import { codeOf, CTX, dbFile, open, openUnlocked, PASSPHRASE, removeTempDirs, tempDir, withRawDb } from './store-testkit.ts';

const bytes = (s: string) => Buffer.from(s, 'utf8');

describe('key types and algorithms', () => {
  let c: FleetConsole;
  beforeAll(async () => {
    c = await openUnlocked();
  });
  afterAll(() => {
    c.close();
    removeTempDirs();
  });

  it('creates each type with its default algorithm and rotation period', async () => {
    for (const [type, profile] of Object.entries(KEY_TYPE_PROFILES) as Array<[keyof typeof KEY_TYPE_PROFILES, (typeof KEY_TYPE_PROFILES)[keyof typeof KEY_TYPE_PROFILES]]>) {
      const k = await c.handlers['keys:create']({ type, label: `${type} key` }, CTX);
      expect(k).toMatchObject({ type, algorithm: profile.algorithms[0], state: 'active', provider: 'local', kmsBacked: false, currentVersion: 1, rotationSeconds: profile.rotationSeconds });
      if (profile.rotationSeconds === null) expect(k.nextRotationAt).toBeNull();
      else expect(Date.parse(k.nextRotationAt!) - Date.parse(k.createdAt)).toBe(profile.rotationSeconds * 1000);
    }
    const list = await c.handlers['keys:list']({ type: 'communication' }, CTX);
    expect(list.keys.every((k) => k.type === 'communication')).toBe(true);
  });

  it('refuses an algorithm the type does not allow', async () => {
    expect(await codeOf(() => c.handlers['keys:create']({ type: 'communication', label: 'x', algorithm: 'RSA_2048' }, CTX))).toBe('invalid_input');
    expect(await codeOf(() => c.handlers['keys:create']({ type: 'emergency', label: 'x', algorithm: 'EC_P256' }, CTX))).toBe('invalid_input');
  });

  it('signs with RSASSA-PSS SHA-256 and ECDSA P-256 DER, verifiable with the exported PEM by plain node:crypto', async () => {
    const data = Buffer.from('emergency stop: all robots in hall B');
    for (const [type, algorithm] of [['emergency', 'RSA_2048'], ['device_identity', 'RSA_2048'], ['device_identity', 'EC_P256']] as const) {
      const k = await c.handlers['keys:create']({ type, label: 'signer', algorithm }, CTX);
      const sig = await c.handlers['keys:sign']({ keyId: k.id, data: data }, CTX);
      const { pem } = await c.handlers['keys:publicKey']({ keyId: k.id }, CTX);
      const pub = crypto.createPublicKey(pem);
      const signature = Buffer.from(sig.signature);
      const ok =
        algorithm === 'RSA_2048'
          ? crypto.verify('sha256', data, { key: pub, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature)
          : crypto.verify('sha256', data, { key: pub, dsaEncoding: 'der' }, signature);
      expect(ok).toBe(true);
      expect(pub.asymmetricKeyType).toBe(algorithm === 'RSA_2048' ? 'rsa' : 'ec');
      expect(sig.algorithm).toBe(algorithm === 'RSA_2048' ? 'RSASSA-PSS-SHA256' : 'ECDSA-P256-SHA256-DER');
      expect((await c.handlers['keys:verify']({ keyId: k.id, data: data, signature: sig.signature }, CTX)).valid).toBe(true);
      expect((await c.handlers['keys:verify']({ keyId: k.id, data: bytes('other data'), signature: sig.signature }, CTX)).valid).toBe(false);
      const detail = await c.handlers['keys:get']({ keyId: k.id }, CTX);
      expect(detail.versions[0]!.checkValue).toBe(crypto.createHash('sha256').update(pub.export({ format: 'der', type: 'spki' })).digest('hex'));
    }
  });

  it('refuses operations a key type does not support', async () => {
    const aes = await c.handlers['keys:create']({ type: 'storage', label: 'aes' }, CTX);
    const rsa = await c.handlers['keys:create']({ type: 'emergency', label: 'rsa' }, CTX);
    expect(await codeOf(() => c.handlers['keys:sign']({ keyId: aes.id, data: Buffer.from('AAAA') }, CTX))).toBe('unsupported_operation');
    expect(await codeOf(() => c.handlers['keys:publicKey']({ keyId: aes.id }, CTX))).toBe('unsupported_operation');
    expect(await codeOf(() => c.handlers['keys:encrypt']({ keyId: rsa.id, plaintext: Buffer.from('AAAA') }, CTX))).toBe('unsupported_operation');
    expect(await codeOf(() => c.handlers['keys:get']({ keyId: crypto.randomUUID() }, CTX))).toBe('not_found');
    expect(await codeOf(() => c.handlers['keys:publicKey']({ keyId: rsa.id, version: 9 }, CTX))).toBe('not_found');
  });

  it('rotating adds a version: new data uses the newest, old ciphertext and signatures still work', async () => {
    const aes = await c.handlers['keys:create']({ type: 'communication', label: 'link' }, CTX);
    const old = await c.handlers['keys:encrypt']({ keyId: aes.id, plaintext: bytes('before rotation') }, CTX);
    const rotated = await c.handlers['keys:rotate']({ keyId: aes.id }, CTX);
    expect(rotated.currentVersion).toBe(2);
    const fresh = await c.handlers['keys:encrypt']({ keyId: aes.id, plaintext: bytes('after rotation') }, CTX);
    expect([old.version, fresh.version]).toEqual([1, 2]);
    expect(await c.handlers['keys:decrypt']({ ciphertext: old.ciphertext }, CTX)).toMatchObject({ plaintext: bytes('before rotation'), version: 1 });
    expect(await c.handlers['keys:decrypt']({ ciphertext: fresh.ciphertext }, CTX)).toMatchObject({ plaintext: bytes('after rotation'), version: 2 });
    const detail = await c.handlers['keys:get']({ keyId: aes.id }, CTX);
    expect(detail.versions.map((v) => v.version)).toEqual([1, 2]);
    expect(detail.versions[0]!.checkValue).not.toBe(detail.versions[1]!.checkValue);

    const ec = await c.handlers['keys:create']({ type: 'device_identity', label: 'robot', algorithm: 'EC_P256' }, CTX);
    const sig1 = await c.handlers['keys:sign']({ keyId: ec.id, data: bytes('hello') }, CTX);
    await c.handlers['keys:rotate']({ keyId: ec.id }, CTX);
    const sig2 = await c.handlers['keys:sign']({ keyId: ec.id, data: bytes('hello') }, CTX);
    expect(sig2.version).toBe(2);
    expect((await c.handlers['keys:verify']({ keyId: ec.id, data: bytes('hello'), signature: sig1.signature, version: 1 }, CTX)).valid).toBe(true);
    expect((await c.handlers['keys:verify']({ keyId: ec.id, data: bytes('hello'), signature: sig1.signature }, CTX)).valid).toBe(false);
    expect((await c.handlers['keys:verify']({ keyId: ec.id, data: bytes('hello'), signature: sig2.signature }, CTX)).valid).toBe(true);
    const pems = await Promise.all([1, 2].map((version) => c.handlers['keys:publicKey']({ keyId: ec.id, version }, CTX)));
    expect(pems[0]!.pem).not.toBe(pems[1]!.pem);
  });
});

describe('lifecycle (NIST SP 800-57)', () => {
  let c: FleetConsole;
  beforeAll(async () => {
    c = await openUnlocked();
  });
  afterAll(() => {
    c.close();
    removeTempDirs();
  });

  async function keyIn(state: State) {
    const k = await c.handlers['keys:create']({ type: 'storage', label: `in ${state}`, activate: state !== 'pre_activation' }, CTX);
    for (const s of PATH_FROM_ACTIVE[state]) await c.handlers['keys:setState']({ keyId: k.id, state: s, reason: 'test' }, CTX);
    return k.id;
  }

  // Every pair of the 6 x 6 table in keys-testkit.ts (SP 800-57 figure 3 with the project's destruction rule).
  for (const from of STATES) {
    for (const to of STATES) {
      const legal = EXPECTED_TRANSITIONS[from][to];
      it(`${legal ? 'allows' : 'refuses'} ${from} -> ${to}`, async () => {
        const id = await keyIn(from);
        if (legal) {
          const s = await c.handlers['keys:setState']({ keyId: id, state: to, reason: 'operator decision' }, CTX);
          expect(s).toMatchObject({ state: to, complete: true, unreached: [] });
          expect((await c.handlers['keys:get']({ keyId: id }, CTX)).stateReason).toBe('operator decision');
        } else {
          expect(await codeOf(() => c.handlers['keys:setState']({ keyId: id, state: to, reason: '' }, CTX))).toBe('illegal_transition');
          expect((await c.handlers['keys:get']({ keyId: id }, CTX)).state).toBe(from);
          const last = (await c.handlers['audit:query']({ action: 'key.state', targetId: id, offset: 0, limit: 1 }, CTX)).records[0];
          expect(last).toMatchObject({ outcome: 'failure', details: { from, to, code: 'illegal_transition' } });
        }
      });
    }
  }

  it('a local key lives in one place, this store: each state change acts there and reports it', async () => {
    const id = await keyIn('active');
    const expected = { role: 'primary', provider: 'local', outcome: 'done', code: null } as const;
    expect((await c.handlers['keys:setState']({ keyId: id, state: 'suspended', reason: '' }, CTX)).locations).toEqual([{ ...expected, action: 'disable', message: null, deletionDate: null }]);
    expect((await c.handlers['keys:setState']({ keyId: id, state: 'deactivated', reason: '' }, CTX)).locations).toEqual([{ ...expected, action: 'enable', message: null, deletionDate: null }]);
    expect((await c.handlers['keys:setState']({ keyId: id, state: 'compromised', reason: '' }, CTX)).locations).toEqual([{ ...expected, action: 'disable', message: null, deletionDate: null }]);
    const destroyed = await c.handlers['keys:setState']({ keyId: id, state: 'destroyed', reason: '' }, CTX);
    expect(destroyed.locations).toEqual([{ ...expected, action: 'scheduleDestruction', message: null, deletionDate: expect.any(String) }]);
    const perLocation = (await c.handlers['audit:query']({ action: 'key.location', targetId: id, offset: 0, limit: 10 }, CTX)).records;
    expect(perLocation.map((r) => [r.outcome, r.details.action, r.details.provider, r.details.role]).reverse()).toEqual([
      ['success', 'disable', 'local', 'primary'],
      ['success', 'enable', 'local', 'primary'],
      ['success', 'disable', 'local', 'primary'],
      ['success', 'scheduleDestruction', 'local', 'primary'],
    ]);
  });
});

describe('what each state allows: the console refuses by itself (state x operation table in keys-testkit.ts)', () => {
  let c: FleetConsole;
  let donorCiphertext: Buffer;
  beforeAll(async () => {
    c = await openUnlocked();
    const donor = await c.handlers['keys:create']({ type: 'storage', label: 'donor' }, CTX);
    donorCiphertext = Buffer.from((await c.handlers['keys:encrypt']({ keyId: donor.id, plaintext: bytes('donor') }, CTX)).ciphertext);
  });
  afterAll(() => {
    c.close();
    removeTempDirs();
  });

  for (const state of STATES) {
    it(`${state}: ${OPERATIONS.filter((op) => op !== 'backup' && EXPECTED_OPERATIONS[state][op] === 'ok').join(', ') || 'nothing'} allowed`, async () => {
      const activate = state !== 'pre_activation';
      const aes = await c.handlers['keys:create']({ type: 'storage', label: `aes ${state}`, activate }, CTX);
      const ec = await c.handlers['keys:create']({ type: 'device_identity', label: `ec ${state}`, algorithm: 'EC_P256', activate }, CTX);
      // A pre-activation key never protected anything: an envelope naming it stands in for its ciphertext.
      const ct = activate ? (await c.handlers['keys:encrypt']({ keyId: aes.id, plaintext: bytes('secret') }, CTX)).ciphertext : envelopeNaming(donorCiphertext, 'local', aes.id);
      const sig = activate ? (await c.handlers['keys:sign']({ keyId: ec.id, data: bytes('order') }, CTX)).signature : Buffer.alloc(72, 1);
      for (const step of PATH_FROM_ACTIVE[state]) {
        for (const k of [aes, ec]) await c.handlers['keys:setState']({ keyId: k.id, state: step, reason: '' }, CTX);
      }
      const run: Record<Exclude<Operation, 'backup'>, () => Promise<unknown>> = {
        encrypt: () => c.handlers['keys:encrypt']({ keyId: aes.id, plaintext: bytes('new') }, CTX),
        decrypt: async () => expect((await c.handlers['keys:decrypt']({ ciphertext: ct }, CTX)).plaintext).toEqual(bytes('secret')),
        sign: () => c.handlers['keys:sign']({ keyId: ec.id, data: bytes('x') }, CTX),
        verify: async () => expect((await c.handlers['keys:verify']({ keyId: ec.id, data: bytes('order'), signature: sig }, CTX)).valid).toBe(true),
        publicKey: () => c.handlers['keys:publicKey']({ keyId: ec.id }, CTX),
        rotate: () => c.handlers['keys:rotate']({ keyId: aes.id }, CTX),
      };
      for (const op of Object.keys(run) as Array<keyof typeof run>) {
        const expected = EXPECTED_OPERATIONS[state][op];
        if (expected === 'ok') await run[op]();
        else expect(await codeOf(run[op]), `${op} with a ${state} key`).toBe(expected);
      }
    });
  }
});

describe('destruction and integrity', () => {
  afterEach(removeTempDirs);

  it('destroying removes every version\'s wrapped material from the database file; metadata and audit stay', async () => {
    const dir = tempDir();
    const c = await openUnlocked(dir);
    const k = await c.handlers['keys:create']({ type: 'storage', label: 'to destroy' }, CTX);
    await c.handlers['keys:rotate']({ keyId: k.id }, CTX);
    const keep = await c.handlers['keys:create']({ type: 'storage', label: 'kept' }, CTX);
    c.close();
    const wrapped = withRawDb(dir, (db) => db.prepare('SELECT wrapped_material FROM key_versions WHERE key_id = ?').all(k.id) as Array<{ wrapped_material: Buffer }>);
    expect(wrapped).toHaveLength(2);
    const beforeBytes = fs.readFileSync(dbFile(dir));
    for (const { wrapped_material } of wrapped) expect(beforeBytes.includes(wrapped_material.subarray(12, 44))).toBe(true);

    const c2 = await open(dir);
    await c2.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    expect(await codeOf(() => c2.handlers['keys:setState']({ keyId: k.id, state: 'destroyed', reason: '' }, CTX))).toBe('illegal_transition');
    await c2.handlers['keys:setState']({ keyId: k.id, state: 'deactivated', reason: 'retired' }, CTX);
    const destroyed = await c2.handlers['keys:setState']({ keyId: k.id, state: 'destroyed', reason: 'end of life' }, CTX);
    expect(destroyed).toMatchObject({ state: 'destroyed', nextRotationAt: null, complete: true, unreached: [] });
    const detail = await c2.handlers['keys:get']({ keyId: k.id }, CTX);
    expect(detail.versions.map((v) => v.destroyed)).toEqual([true, true]);
    expect(detail.label).toBe('to destroy');
    expect(await codeOf(() => c2.handlers['keys:verifyIntegrity']({ keyId: k.id }, CTX))).toBe('key_destroyed');
    expect((await c2.handlers['keys:verifyIntegrity']({ keyId: keep.id }, CTX)).ok).toBe(true);
    c2.close();

    const rows = withRawDb(dir, (db) => db.prepare('SELECT wrapped_material, destroyed FROM key_versions WHERE key_id = ?').all(k.id));
    expect(rows).toEqual([{ wrapped_material: null, destroyed: 1 }, { wrapped_material: null, destroyed: 1 }]);
    const files = fs.readdirSync(dir).filter((f) => f.startsWith('console.db')).map((f) => fs.readFileSync(`${dir}/${f}`));
    for (const { wrapped_material } of wrapped) {
      for (const bytes of files) expect(bytes.includes(wrapped_material.subarray(12, 44))).toBe(false);
    }
    const audit = withRawDb(dir, (db) => db.prepare("SELECT action, details FROM audit_records WHERE target_id = ? AND action = 'key.state'").all(k.id));
    expect(audit).toHaveLength(3);
    expect(fs.existsSync(dbFile(dir))).toBe(true);
  });

  for (const [what, column, algorithm] of [
    ['a modified AES check value', 'check_value', 'AES_256'],
    ['modified AES wrapped material', 'wrapped_material', 'AES_256'],
    ['a replaced RSA public key', 'public_spki', 'RSA_2048'],
    ['a modified EC check value', 'check_value', 'EC_P256'],
  ] as const) {
    it(`the integrity check detects ${what}`, async () => {
      const dir = tempDir();
      const c = await openUnlocked(dir);
      const type = algorithm === 'AES_256' ? 'storage' : 'device_identity';
      const k = await c.handlers['keys:create']({ type, label: 'checked', algorithm }, CTX);
      await c.handlers['keys:rotate']({ keyId: k.id }, CTX);
      expect(await c.handlers['keys:verifyIntegrity']({ keyId: k.id }, CTX)).toEqual({
        ok: true,
        versions: [
          { version: 1, ok: true, reason: null },
          { version: 2, ok: true, reason: null },
        ],
      });
      c.close();
      withRawDb(dir, (db) => {
        const row = db.prepare(`SELECT ${column} AS v FROM key_versions WHERE key_id = ? AND version = 1`).get(k.id) as { v: Buffer | string };
        let next: Buffer | string;
        if (column === 'public_spki') next = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'der', type: 'spki' });
        else if (typeof row.v === 'string') next = (row.v[0] === '0' ? '1' : '0') + row.v.slice(1);
        else {
          next = Buffer.from(row.v);
          next[20] = next[20]! ^ 1;
        }
        db.prepare(`UPDATE key_versions SET ${column} = ? WHERE key_id = ? AND version = 1`).run(next, k.id);
      });
      const c2 = await open(dir);
      await c2.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
      const report = await c2.handlers['keys:verifyIntegrity']({ keyId: k.id }, CTX);
      expect(report.ok).toBe(false);
      expect(report.versions[0]).toMatchObject({ version: 1, ok: false });
      expect(report.versions[0]!.reason).toMatch(/match|authentication/);
      expect(report.versions[1]).toEqual({ version: 2, ok: true, reason: null });
      const records = await c2.handlers['audit:query']({ action: 'key.verify_integrity', offset: 0, limit: 10 }, CTX);
      expect(records.records[0]).toMatchObject({ outcome: 'failure', details: { code: 'integrity_failure', failedVersions: '1' } });
      c2.close();
    });
  }
});
