// The key lifecycle's rules as plain functions, against tables written out by hand: what each state allows
// (EXPECTED_OPERATIONS in keys-testkit.ts, SP 800-57 7.1-7.3), a state change in flight restricting its key at once,
// the provider action each change needs (docs/providers.md "Keys on providers": suspended / compromised -> disable,
// back to active / deactivated from a disabled state -> enable, destroyed -> scheduleDestruction), where a key lives,
// and which console version a provider version is. Nothing expected is read from the modules under test.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { locationAction } from '../../electron/services/keys/keyStateChange.ts';
import {
  backupOf,
  consoleVersionOf,
  fallbackKeyName,
  holderOf,
  holderOfVersion,
  locationsOf,
  looksReachable,
  MIN_DESTRUCTION_WAITING_DAYS,
  primaryOf,
  providerKeyName,
  providerVersionRow,
  versionRecord,
} from '../../electron/services/keys/keyLocations.ts';
import { allowedIn, createKeyRestrictions, KEY_OPERATIONS, requireState } from '../../electron/services/keys/keyPolicy.ts';
import type { KeyServiceDeps } from '../../electron/services/keys/keysShared.ts';
import type { KmsProvider } from '../../electron/providers/types.ts';
import type { KeyRow, KeyVersionRow } from '../../electron/store/keysRepo.ts';
import { ConsoleError, isConsoleError } from '../../shared/errors.ts';
import { EXPECTED_OPERATIONS, OPERATIONS, type State, STATES } from './keys-testkit.ts';

function thrown(fn: () => unknown): { code: string; message: string; details: unknown } | null {
  try {
    fn();
  } catch (e) {
    if (!isConsoleError(e)) throw e;
    return { code: e.code, message: e.message, details: e.details };
  }
  return null;
}

describe('keyPolicy: what each state allows', () => {
  it('knows exactly the documented operations', () => {
    expect([...KEY_OPERATIONS]).toEqual([...OPERATIONS]);
  });

  for (const state of STATES) {
    for (const op of OPERATIONS) {
      const expected = EXPECTED_OPERATIONS[state][op];
      it(`${state} / ${op}: ${expected}`, () => {
        expect(allowedIn(state, op)).toBe(expected === 'ok');
        const r = createKeyRestrictions();
        const t = thrown(() => requireState({ id: 'k-1', state }, op, r));
        if (expected === 'ok') expect(t).toBeNull();
        else if (expected === 'key_destroyed') expect(t).toEqual({ code: 'key_destroyed', message: 'Key k-1 was destroyed.', details: { state, operation: op } });
        else expect(t).toEqual({ code: 'key_disabled', message: `Key k-1 is ${state}; the console refuses to ${op} with it.`, details: { state, operation: op } });
      });
    }
  }
});

describe('keyPolicy: a state change in flight restricts its key at once', () => {
  it('an active key that is being suspended, compromised or destroyed is refused by the target state', () => {
    const cases: Array<[State, string, string]> = [
      ['suspended', 'key_disabled', 'Key k-1 is suspended; the console refuses to encrypt with it.'],
      ['compromised', 'key_disabled', 'Key k-1 is compromised; the console refuses to encrypt with it.'],
      ['destroyed', 'key_destroyed', 'Key k-1 was destroyed.'],
    ];
    for (const [target, code, message] of cases) {
      const r = createKeyRestrictions();
      const release = r.begin('k-1', target);
      expect(r.pending('k-1')).toBe(target);
      expect(thrown(() => requireState({ id: 'k-1', state: 'active' }, 'encrypt', r))).toMatchObject({ code, message, details: { state: target, operation: 'encrypt' } });
      // Another key is not affected.
      expect(thrown(() => requireState({ id: 'k-2', state: 'active' }, 'encrypt', r))).toBeNull();
      release();
      expect(r.pending('k-1')).toBeUndefined();
      expect(thrown(() => requireState({ id: 'k-1', state: 'active' }, 'encrypt', r))).toBeNull();
    }
  });

  it('a change toward a more permissive state does not allow anything before it commits', () => {
    const r = createKeyRestrictions();
    r.begin('k-1', 'active');
    expect(thrown(() => requireState({ id: 'k-1', state: 'suspended' }, 'decrypt', r))).toMatchObject({ code: 'key_disabled', details: { state: 'suspended' } });
    // Both states allow it: allowed.
    expect(thrown(() => requireState({ id: 'k-1', state: 'deactivated' }, 'verify', r))).toBeNull();
  });

  it('refuses a second change of the same key while one runs, naming the running one', () => {
    const r = createKeyRestrictions();
    const release = r.begin('k-1', 'deactivated');
    expect(thrown(() => r.begin('k-1', 'compromised'))).toEqual({
      code: 'illegal_transition',
      message: 'Key k-1 is already changing to deactivated; wait for that change to finish.',
      details: { state: 'deactivated' },
    });
    expect(r.pending('k-1')).toBe('deactivated');
    const other = r.begin('k-2', 'suspended');
    expect(r.pending('k-2')).toBe('suspended');
    release();
    r.begin('k-1', 'compromised')();
    other();
    expect([r.pending('k-1'), r.pending('k-2')]).toEqual([undefined, undefined]);
  });
});

describe('keyStateChange: the provider action each change needs', () => {
  const E = 'enable';
  const D = 'disable';
  const S = 'scheduleDestruction';
  const _ = null;
  // Provider side per state (docs/providers.md): pre_activation disabled, active enabled, suspended disabled,
  // deactivated enabled, compromised disabled, destroyed destroyed. Compromised always disables, destroyed always
  // schedules destruction; otherwise an action only where the side changes.
  const TABLE: Record<State, Record<State, string | null>> = {
    //               to: pre_activation active suspended deactivated compromised destroyed
    pre_activation: { pre_activation: _, active: E, suspended: _, deactivated: E, compromised: D, destroyed: S },
    active: { pre_activation: D, active: _, suspended: D, deactivated: _, compromised: D, destroyed: S },
    suspended: { pre_activation: _, active: E, suspended: _, deactivated: E, compromised: D, destroyed: S },
    deactivated: { pre_activation: D, active: _, suspended: D, deactivated: _, compromised: D, destroyed: S },
    compromised: { pre_activation: _, active: E, suspended: _, deactivated: E, compromised: D, destroyed: S },
    destroyed: { pre_activation: D, active: E, suspended: D, deactivated: E, compromised: D, destroyed: S },
  };
  for (const from of STATES) {
    for (const to of STATES) {
      it(`${from} -> ${to}: ${TABLE[from][to] ?? 'nothing'}`, () => {
        expect(locationAction(from, to)).toBe(TABLE[from][to]);
      });
    }
  }
});

const KEY_ID = '0b6f4a7e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const keyRow = (over: Partial<KeyRow> = {}): KeyRow => ({
  id: KEY_ID,
  label: 'k',
  type: 'storage',
  algorithm: 'AES_256',
  state: 'active',
  stateReason: null,
  provider: 'local',
  currentVersion: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  rotationSeconds: null,
  nextRotationAt: null,
  providerKeyRef: null,
  backupProvider: null,
  backupKeyRef: null,
  fallbackKeyRef: null,
  ...over,
});
const version = (v: number, over: Partial<KeyVersionRow> = {}): KeyVersionRow => ({
  keyId: KEY_ID,
  version: v,
  createdAt: '2026-01-01T00:00:00.000Z',
  checkValue: 'cv',
  publicSpki: null,
  wrappedMaterial: null,
  destroyed: false,
  ...over,
});

function fakeDeps(configured: Record<string, KmsProvider>, refusal: ConsoleError | null = null) {
  const store = { id: 'local', name: 'store', takePrepared: (ref: string, v: number) => (ref === KEY_ID && v === 2 ? version(2, { checkValue: 'prepared' }) : null) } as unknown as KmsProvider;
  const localKms = { id: 'local-kms', name: 'fallback' } as unknown as KmsProvider;
  const deps = {
    store,
    localKms,
    registry: {
      get: (id: string) => (configured[id] ? { provider: configured[id] } : undefined),
      environmentRefusal: () => refusal,
    },
  } as unknown as KeyServiceDeps;
  return { deps, store, localKms };
}

describe('keyLocations: where a key lives', () => {
  it('names provider keys key-<id> and fallback keys fallback-<id>; waits the AWS minimum of 7 days', () => {
    expect([providerKeyName('abc'), fallbackKeyName('abc'), MIN_DESTRUCTION_WAITING_DAYS]).toEqual(['key-abc', 'fallback-abc', 7]);
  });

  it('a local key lives in the store under its own id, and nowhere else', () => {
    expect(locationsOf(keyRow(), [version(1, { wrappedMaterial: Buffer.from('m') })])).toEqual([{ role: 'primary', providerId: 'local', keyRef: KEY_ID }]);
  });

  it('a provider key: primary, backup, fallback, and the store while it still holds older versions', () => {
    const key = keyRow({ provider: 'aws', providerKeyRef: 'arn:1', backupProvider: 'vault', backupKeyRef: 'key-x', fallbackKeyRef: 'fallback-x' });
    const versions = [version(1, { provider: null, wrappedMaterial: Buffer.from('m') }), version(2, { provider: 'aws' })];
    expect(locationsOf(key, versions)).toEqual([
      { role: 'primary', providerId: 'aws', keyRef: 'arn:1' },
      { role: 'backup', providerId: 'vault', keyRef: 'key-x' },
      { role: 'fallback', providerId: 'local-kms', keyRef: 'fallback-x' },
      { role: 'store', providerId: 'local', keyRef: KEY_ID },
    ]);
    // Store versions whose material is gone, or versions held at the provider, leave no store location.
    expect(locationsOf(key, [version(1, { provider: null, wrappedMaterial: null }), version(2, { provider: 'aws', wrappedMaterial: Buffer.from('m') })]).map((l) => l.role)).toEqual(['primary', 'backup', 'fallback']);
    // A backup needs both its provider and its reference; a missing provider reference is an empty one.
    expect(locationsOf(keyRow({ provider: 'aws', backupProvider: 'vault' }), [])).toEqual([{ role: 'primary', providerId: 'aws', keyRef: '' }]);
    expect(locationsOf(keyRow({ provider: 'aws', providerKeyRef: 'a', backupKeyRef: 'key-x' }), []).length).toBe(1);
  });

  it('holderOf: the store for local, the fallback provider for local-kms, a configured provider, or null', () => {
    const aws = { id: 'aws' } as unknown as KmsProvider;
    const { deps, store, localKms } = fakeDeps({ aws });
    expect(holderOf(deps, 'local')).toBe(store);
    expect(holderOf(deps, 'local-kms')).toBe(localKms);
    expect(holderOf(deps, 'aws')).toBe(aws);
    expect(holderOf(deps, 'gcp')).toBeNull();
  });

  it('primaryOf / backupOf / holderOfVersion', () => {
    const aws = { id: 'aws' } as unknown as KmsProvider;
    const vault = { id: 'vault' } as unknown as KmsProvider;
    const { deps, store } = fakeDeps({ aws, vault });
    const key = keyRow({ provider: 'aws', providerKeyRef: 'arn:1', backupProvider: 'vault', backupKeyRef: 'key-x' });
    expect(primaryOf(deps, key)).toEqual({ provider: aws, keyRef: 'arn:1' });
    expect(primaryOf(deps, keyRow())).toEqual({ provider: store, keyRef: KEY_ID });
    expect(backupOf(deps, key)).toEqual({ provider: vault, keyRef: 'key-x' });
    expect(backupOf(deps, keyRow({ provider: 'aws', backupProvider: 'vault' }))).toBeNull();
    expect(backupOf(deps, keyRow({ provider: 'aws', backupKeyRef: 'key-x' }))).toBeNull();
    expect(backupOf(deps, keyRow({ provider: 'aws', backupProvider: 'gcp', backupKeyRef: 'k' }))).toBeNull();
    expect(holderOfVersion(deps, key, version(1, { provider: null }))).toEqual({ provider: store, keyRef: KEY_ID, providerVersion: 1 });
    expect(holderOfVersion(deps, key, version(3, { provider: 'aws', providerVersion: 2 }))).toEqual({ provider: aws, keyRef: 'arn:1', providerVersion: 2 });
    expect(holderOfVersion(deps, key, version(3, { provider: 'aws', providerVersion: null }))).toEqual({ provider: aws, keyRef: 'arn:1', providerVersion: undefined });
  });

  it('primaryOf refuses a provider that is not configured, or a key without a provider reference', () => {
    const aws = { id: 'aws' } as unknown as KmsProvider;
    const plain = fakeDeps({ aws });
    const message = `Key ${KEY_ID} lives in provider gcp, which is not configured in this console.`;
    expect(thrown(() => primaryOf(plain.deps, keyRow({ provider: 'gcp', providerKeyRef: 'k' })))).toEqual({ code: 'provider_unavailable', message, details: { provider: 'gcp' } });
    expect(thrown(() => primaryOf(plain.deps, keyRow({ provider: 'aws', providerKeyRef: null })))).toEqual({
      code: 'provider_unavailable',
      message: `Key ${KEY_ID} lives in provider aws, which is not configured in this console.`,
      details: { provider: 'aws' },
    });
    const refused = fakeDeps({ aws }, new ConsoleError('invalid_input', 'ECPS_PROVIDER_URL is not a URL.', { field: 'ECPS_PROVIDER_URL' }));
    expect(thrown(() => primaryOf(refused.deps, keyRow({ provider: 'gcp', providerKeyRef: 'k' })))).toEqual({
      code: 'invalid_input',
      message: `${message} ECPS_PROVIDER_URL is not a URL.`,
      details: { field: 'ECPS_PROVIDER_URL', provider: 'gcp' },
    });
    // A configured provider without a reference is not the environment's fault.
    expect(thrown(() => primaryOf(refused.deps, keyRow({ provider: 'aws', providerKeyRef: null })))?.code).toBe('provider_unavailable');
  });
});

describe('keyLocations: versions', () => {
  it('consoleVersionOf: the matching provider version, else the newest provider-held one, else the fallback', () => {
    const versions = [
      version(1, { provider: null }),
      version(2, { provider: 'aws', providerVersion: 1 }),
      version(3, { provider: 'aws', providerVersion: 2 }),
      version(4, { provider: 'vault', providerVersion: 2 }),
      // Rows recorded without a provider version, or with 0: never matched by number.
      version(5, { provider: 'gcp', providerVersion: null }),
      version(6, { provider: 'gcp', providerVersion: 0 }),
      version(7, { provider: 'gcp', providerVersion: 3 }),
    ];
    const TABLE: Array<[string, number | null, number, number]> = [
      ['aws', 1, 9, 2],
      ['aws', 2, 9, 3],
      ['aws', 5, 9, 3], // unknown: newest held by aws
      ['aws', null, 9, 3],
      ['aws', 0, 9, 3], // 0 is no version
      ['vault', 2, 9, 4],
      ['azure', 1, 9, 9], // nothing held: the fallback
      ['azure', null, 8, 8],
      ['gcp', null, 9, 7], // no number asked: the newest, not the row without a number
      ['gcp', 0, 9, 7], // 0 is no version: the newest, not the row numbered 0
      ['gcp', 3, 9, 7],
    ];
    for (const [provider, pv, fallback, expected] of TABLE) expect([provider, pv, consoleVersionOf(versions, provider, pv, fallback)]).toEqual([provider, pv, expected]);
  });

  it('looksReachable: a plain provider always; a resilient one only with a closed circuit and no failed health check', () => {
    expect(looksReachable({} as KmsProvider)).toBe(true);
    const withStatus = (breaker: string, lastHealth: unknown) => ({ status: () => ({ breaker, lastHealth }) }) as unknown as KmsProvider;
    expect(looksReachable(withStatus('closed', null))).toBe(true);
    expect(looksReachable(withStatus('closed', { ok: true }))).toBe(true);
    expect(looksReachable(withStatus('closed', { ok: false }))).toBe(false);
    expect(looksReachable(withStatus('open', null))).toBe(false);
    expect(looksReachable(withStatus('half_open', { ok: true }))).toBe(false);
  });

  it('providerVersionRow: an AES key records the provider name as check value; a signing key its public key and fingerprint', async () => {
    const { publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ format: 'pem', type: 'spki' }) as string;
    const der = publicKey.export({ format: 'der', type: 'spki' });
    const asked: unknown[] = [];
    const p = { getPublicKey: async (ref: string, v: number) => (asked.push([ref, v]), { pem, version: v }) } as unknown as KmsProvider;
    const aes = await providerVersionRow(p, 'arn:1', { id: KEY_ID, algorithm: 'AES_256', provider: 'aws' }, 3, 2, 'T');
    expect(aes).toEqual({ keyId: KEY_ID, version: 3, createdAt: 'T', checkValue: 'provider:aws', publicSpki: null, wrappedMaterial: null, destroyed: false, provider: 'aws', providerVersion: 2 });
    expect(asked).toEqual([]);
    const ec = await providerVersionRow(p, 'arn:2', { id: KEY_ID, algorithm: 'EC_P256', provider: 'gcp' }, 1, 4, 'T2');
    expect(asked).toEqual([['arn:2', 4]]);
    expect(ec).toEqual({
      keyId: KEY_ID,
      version: 1,
      createdAt: 'T2',
      checkValue: crypto.createHash('sha256').update(der).digest('hex'),
      publicSpki: der,
      wrappedMaterial: null,
      destroyed: false,
      provider: 'gcp',
      providerVersion: 4,
    });
  });

  it('versionRecord: the store hands over what it prepared, or refuses with internal; a provider gets a provider row', async () => {
    const { deps, store } = fakeDeps({});
    const key = { id: KEY_ID, algorithm: 'AES_256', provider: 'local' } as const;
    expect(await versionRecord(deps, store, KEY_ID, key, 2, 2, 'T')).toMatchObject({ version: 2, checkValue: 'prepared' });
    let e: unknown = null;
    await versionRecord(deps, store, KEY_ID, key, 3, 3, 'T').catch((x: unknown) => (e = x));
    expect(isConsoleError(e) && [e.code, e.message]).toEqual(['internal', `The local store prepared no version 3 of key ${KEY_ID}.`]);
    const aws = { id: 'aws' } as unknown as KmsProvider;
    expect(await versionRecord(deps, aws, 'arn:1', { ...key, provider: 'aws' }, 2, 5, 'T')).toMatchObject({ checkValue: 'provider:aws', providerVersion: 5, provider: 'aws' });
  });
});
