// keys:setState over every location of a key (docs/key-store.md, docs/providers.md "Keys on providers"), driven
// in-process with scripted providers, an in-memory catalog and a recording audit log: each location is told, each
// attempt audited, a timed-out change that landed anyway counts as done, what was not reached is kept and retried by
// setting the same state again, destruction waits the AWS minimum (7 days) where the provider schedules it, and a
// change restricts its key while it runs. Expected values are written out here from those documents.
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { type KmsProvider, type ProviderKeyState, ProviderError } from '../../electron/providers/types.ts';
import { createKeyRestrictions } from '../../electron/services/keys/keyPolicy.ts';
import { setKeyState } from '../../electron/services/keys/keyStateChange.ts';
import type { KeyServiceDeps } from '../../electron/services/keys/keysShared.ts';
import type { KeyRow, KeyVersionRow, UnreachedLocationRow } from '../../electron/store/keysRepo.ts';
import { ConsoleError } from '../../shared/errors.ts';
import { createGroupCommit } from '../../electron/services/audit/groupCommit.ts';
import { consoleRefusal } from './keys-testkit.ts';

const KEY_ID = '7d0e3c1a-2b4c-4d6e-8f00-112233445566';
const T0 = Date.parse('2026-03-01T10:00:00Z');
const AT = new Date(T0).toISOString();

type Answer = 'ok' | ProviderError | Error;

/** A provider whose enable / disable / scheduleDestruction answer as scripted and whose describeKey reports `state`. */
function scriptedProvider(id: string, o: { answer?: Answer; state?: ProviderKeyState | ProviderError; scheduled?: boolean; deletionDate?: string } = {}) {
  const calls: Array<[string, ...unknown[]]> = [];
  let seenPending: unknown = 'unset';
  const act = (name: string) => async (...args: unknown[]) => {
    calls.push([name, ...args]);
    seenPending = probe?.();
    const a = o.answer ?? 'ok';
    if (a !== 'ok') throw a;
    return name === 'scheduleDestruction' ? { deletionDate: o.deletionDate ?? '2026-03-08T10:00:00.000Z' } : undefined;
  };
  let probe: (() => unknown) | null = null;
  const provider = {
    id,
    kind: 'aws_kms',
    capabilities: { scheduledDestruction: o.scheduled ?? true },
    enable: act('enable'),
    disable: act('disable'),
    scheduleDestruction: act('scheduleDestruction'),
    describeKey: async (keyRef: string) => {
      calls.push(['describeKey', keyRef]);
      if (o.state instanceof ProviderError) throw o.state;
      return { state: o.state ?? 'enabled' };
    },
  } as unknown as KmsProvider;
  return { provider, calls, watch: (f: () => unknown) => (probe = f), seenPending: () => seenPending };
}

const keyRow = (over: Partial<KeyRow> = {}): KeyRow => ({
  id: KEY_ID,
  label: 'k',
  type: 'communication',
  algorithm: 'AES_256',
  state: 'active',
  stateReason: null,
  provider: 'aws',
  currentVersion: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  rotationSeconds: 86_400,
  nextRotationAt: '2026-03-02T00:00:00.000Z',
  providerKeyRef: 'arn:aws:kms:k1',
  backupProvider: null,
  backupKeyRef: null,
  fallbackKeyRef: null,
  ...over,
});

interface AuditRecord {
  actor: string;
  action: string;
  targetType: string;
  targetId: string | null;
  outcome: string;
  details: Record<string, unknown>;
}

function harness(key: KeyRow, providers: Record<string, KmsProvider>, o: { unreached?: UnreachedLocationRow[]; versions?: KeyVersionRow[]; refusal?: ConsoleError | null } = {}) {
  let row = key;
  let unreached = o.unreached ?? [];
  const writes: unknown[][] = [];
  const audit: AuditRecord[] = [];
  const counters = { cacheCleared: 0, walCheckpoints: 0, changed: [] as Array<string | null>, forgotten: [] as string[] };
  // The store provider also lends cached key material; a state change must drop it (forget) before it acts.
  const store = Object.assign(providers.local ?? ({ id: 'local' } as unknown as KmsProvider), { forget: (id: string) => void counters.forgotten.push(id) });
  const localKms = providers['local-kms'] ?? ({ id: 'local-kms' } as unknown as KmsProvider);
  const restrictions = createKeyRestrictions();
  const deps = {
    repo: {
      get: (id: string) => (id === row.id ? row : null),
      listVersions: () => o.versions ?? [],
      listUnreached: () => unreached,
      replaceUnreached: (id: string, rows: UnreachedLocationRow[]) => {
        writes.push(['replaceUnreached', id, rows]);
        unreached = rows;
      },
      updateState: (...args: unknown[]) => {
        writes.push(['updateState', ...args]);
        row = { ...row, state: args[1] as KeyRow['state'], stateReason: args[2] as string | null };
      },
      destroyMaterial: (id: string) => writes.push(['destroyMaterial', id]),
    },
    session: { require: () => ({}), actor: () => 'officer-1' },
    audit: { append: (r: AuditRecord) => audit.push(r) },
    clock: manualClock(T0),
    logger: { error: () => undefined, warn: () => undefined, info: () => undefined },
    transaction: <T>(fn: () => T) => fn(),
    commits: createGroupCommit({ transaction: <T>(fn: () => T) => fn(), inTransaction: () => false }),
    onKeysChanged: (id: string | null) => counters.changed.push(id),
    checkpointWal: () => counters.walCheckpoints++,
    registry: {
      get: (id: string) => (providers[id] && id !== 'local' && id !== 'local-kms' ? { provider: providers[id] } : undefined),
      environmentRefusal: () => o.refusal ?? null,
      cache: () => ({ clear: () => counters.cacheCleared++ }),
    },
    store,
    localKms,
    restrictions,
  } as unknown as KeyServiceDeps;
  return { deps, audit, writes, counters, restrictions, row: () => row };
}

const codeOf = consoleRefusal;

const unavailable = (id: string, code = 'Timeout') => new ProviderError('Unavailable', `no answer (${code})`, { providerId: id, providerCode: code, requestId: 'req-1' });

describe('setKeyState: every location is told', () => {
  it('suspending a key with a backup and a fallback disables all three, audits each, and commits the state', async () => {
    const aws = scriptedProvider('aws');
    const vault = scriptedProvider('vault');
    const fallback = scriptedProvider('local-kms');
    const h = harness(keyRow({ backupProvider: 'vault', backupKeyRef: 'key-v', fallbackKeyRef: 'fallback-f' }), { aws: aws.provider, vault: vault.provider, 'local-kms': fallback.provider });
    aws.watch(() => h.restrictions.pending(KEY_ID));
    const change = await setKeyState(h.deps, KEY_ID, 'suspended', '  maintenance  ');
    expect(aws.calls).toEqual([['disable', 'arn:aws:kms:k1']]);
    expect(vault.calls).toEqual([['disable', 'key-v']]);
    expect(fallback.calls).toEqual([['disable', 'fallback-f']]);
    // The change restricted the key while its locations were told, and released it afterwards.
    expect(aws.seenPending()).toBe('suspended');
    expect(h.restrictions.pending(KEY_ID)).toBeUndefined();
    // Its cached material was dropped: a suspended key's versions must be unwrapped (and refused) again.
    expect(h.counters.forgotten).toEqual([KEY_ID]);
    expect(change).toMatchObject({ id: KEY_ID, state: 'suspended', updatedAt: AT, nextRotationAt: '2026-03-02T00:00:00.000Z', complete: true, unreached: [] });
    expect(change.locations).toEqual([
      { role: 'primary', provider: 'aws', action: 'disable', outcome: 'done', code: null, message: null, deletionDate: null },
      { role: 'backup', provider: 'vault', action: 'disable', outcome: 'done', code: null, message: null, deletionDate: null },
      { role: 'fallback', provider: 'local-kms', action: 'disable', outcome: 'done', code: null, message: null, deletionDate: null },
    ]);
    expect(h.audit).toEqual([
      { actor: 'officer-1', action: 'key.location', targetType: 'key', targetId: KEY_ID, outcome: 'success', details: { role: 'primary', provider: 'aws', keyRef: 'arn:aws:kms:k1', action: 'disable', state: 'suspended', retry: false } },
      { actor: 'officer-1', action: 'key.location', targetType: 'key', targetId: KEY_ID, outcome: 'success', details: { role: 'backup', provider: 'vault', keyRef: 'key-v', action: 'disable', state: 'suspended', retry: false } },
      { actor: 'officer-1', action: 'key.location', targetType: 'key', targetId: KEY_ID, outcome: 'success', details: { role: 'fallback', provider: 'local-kms', keyRef: 'fallback-f', action: 'disable', state: 'suspended', retry: false } },
      { actor: 'officer-1', action: 'key.state', targetType: 'key', targetId: KEY_ID, outcome: 'success', details: { from: 'active', to: 'suspended', provider: 'aws', reason: 'maintenance', providerAction: 'disable', reached: 3 } },
    ]);
    expect(h.writes).toEqual([
      ['updateState', KEY_ID, 'suspended', 'maintenance', AT, '2026-03-02T00:00:00.000Z'],
      ['replaceUnreached', KEY_ID, []],
    ]);
    expect([h.counters.cacheCleared, h.counters.walCheckpoints, h.counters.changed]).toEqual([0, 0, [KEY_ID]]);
  });

  it('a change that leaves the provider side as it is tells no location (active -> deactivated); an empty reason is none', async () => {
    const aws = scriptedProvider('aws');
    const h = harness(keyRow(), { aws: aws.provider });
    const change = await setKeyState(h.deps, KEY_ID, 'deactivated', '   ');
    expect(aws.calls).toEqual([]);
    expect(change).toMatchObject({ state: 'deactivated', complete: true, locations: [], unreached: [] });
    expect(h.audit.at(-1)!.details).toEqual({ from: 'active', to: 'deactivated', provider: 'aws', reason: null, providerAction: 'none', reached: 0 });
    expect(h.writes[0]).toEqual(['updateState', KEY_ID, 'deactivated', null, AT, '2026-03-02T00:00:00.000Z']);
  });

  it('reactivating a suspended key enables it; compromising one disables it and empties the data-key cache', async () => {
    const aws = scriptedProvider('aws');
    const h = harness(keyRow({ state: 'suspended' }), { aws: aws.provider });
    await setKeyState(h.deps, KEY_ID, 'active', 'back');
    expect(aws.calls).toEqual([['enable', 'arn:aws:kms:k1']]);
    expect(h.counters.cacheCleared).toBe(0);
    await setKeyState(h.deps, KEY_ID, 'compromised', 'leaked');
    expect(aws.calls.at(-1)).toEqual(['disable', 'arn:aws:kms:k1']);
    expect(h.counters.cacheCleared).toBe(1);
  });

  it('refuses an illegal change, naming both states, and audits the refusal', async () => {
    const aws = scriptedProvider('aws');
    const h = harness(keyRow({ state: 'deactivated' }), { aws: aws.provider });
    expect(await codeOf(setKeyState(h.deps, KEY_ID, 'active', 'x'))).toEqual({ code: 'illegal_transition', message: 'A deactivated key cannot become active.', details: { from: 'deactivated', to: 'active' } });
    expect(aws.calls).toEqual([]);
    expect(h.audit).toEqual([
      { actor: 'officer-1', action: 'key.state', targetType: 'key', targetId: KEY_ID, outcome: 'failure', details: { from: 'deactivated', to: 'active', provider: 'aws', code: 'illegal_transition' } },
    ]);
    expect(h.writes).toEqual([]);
    expect(h.restrictions.pending(KEY_ID)).toBeUndefined();
  });
});

describe('setKeyState: destruction', () => {
  it('schedules destruction with the 7-day minimum where the provider waits, 0 where it does not; erases store material', async () => {
    const aws = scriptedProvider('aws', { scheduled: true, deletionDate: '2026-03-08T10:00:00.000Z' });
    const fallback = scriptedProvider('local-kms', { scheduled: false, deletionDate: AT });
    const h = harness(keyRow({ state: 'deactivated', fallbackKeyRef: 'fallback-f' }), { aws: aws.provider, 'local-kms': fallback.provider });
    const change = await setKeyState(h.deps, KEY_ID, 'destroyed', 'end of life');
    expect(aws.calls).toEqual([['scheduleDestruction', 'arn:aws:kms:k1', 7]]);
    expect(fallback.calls).toEqual([['scheduleDestruction', 'fallback-f', 0]]);
    expect(change).toMatchObject({ state: 'destroyed', nextRotationAt: null, complete: true });
    expect(change.locations.map((l) => l.deletionDate)).toEqual(['2026-03-08T10:00:00.000Z', AT]);
    expect(h.audit[0]!.details).toEqual({ role: 'primary', provider: 'aws', keyRef: 'arn:aws:kms:k1', action: 'scheduleDestruction', state: 'destroyed', retry: false, deletionDate: '2026-03-08T10:00:00.000Z' });
    expect(h.audit.at(-1)!.details).toEqual({
      from: 'deactivated',
      to: 'destroyed',
      provider: 'aws',
      reason: 'end of life',
      providerAction: 'scheduleDestruction until 2026-03-08T10:00:00.000Z',
      reached: 2,
      deletionDate: '2026-03-08T10:00:00.000Z',
    });
    expect(h.writes).toEqual([
      ['destroyMaterial', KEY_ID],
      ['updateState', KEY_ID, 'destroyed', 'end of life', AT, null],
      ['replaceUnreached', KEY_ID, []],
    ]);
    expect([h.counters.cacheCleared, h.counters.walCheckpoints]).toEqual([1, 1]);
  });

  it('a destruction no location confirmed says "not scheduled"', async () => {
    const aws = scriptedProvider('aws', { answer: unavailable('aws'), state: unavailable('aws') });
    const h = harness(keyRow({ state: 'compromised' }), { aws: aws.provider });
    const change = await setKeyState(h.deps, KEY_ID, 'destroyed', 'x');
    expect(change.complete).toBe(false);
    expect(h.audit.at(-1)!.details).toMatchObject({ providerAction: 'scheduleDestruction until not scheduled', reached: 0 });
    expect(h.audit.at(-1)!.details).not.toHaveProperty('deletionDate');
  });
});

describe('setKeyState: a request that failed may have landed', () => {
  // [action needed, what describeKey reports afterwards, counted as done?]
  const TABLE: Array<['enable' | 'disable' | 'scheduleDestruction', ProviderKeyState | 'NotFound' | 'Unavailable', boolean]> = [
    ['enable', 'enabled', true],
    ['enable', 'disabled', false],
    ['enable', 'NotFound', false],
    ['disable', 'disabled', true],
    ['disable', 'pending_deletion', true],
    ['disable', 'enabled', false],
    ['disable', 'NotFound', false],
    ['scheduleDestruction', 'pending_deletion', true],
    ['scheduleDestruction', 'destroyed', true],
    ['scheduleDestruction', 'disabled', false],
    ['scheduleDestruction', 'enabled', false],
    ['scheduleDestruction', 'NotFound', true],
    ['scheduleDestruction', 'Unavailable', false],
  ];
  const FROM_TO = { enable: ['suspended', 'active'], disable: ['active', 'suspended'], scheduleDestruction: ['deactivated', 'destroyed'] } as const;
  it.each(TABLE)('%s failed, provider reports %s: done = %s', async (action, reported, done) => {
    const state =
      reported === 'NotFound' ? new ProviderError('NotFound', 'gone', { providerId: 'aws' }) : reported === 'Unavailable' ? unavailable('aws', '503') : reported;
    const aws = scriptedProvider('aws', { answer: unavailable('aws'), state });
    const [from, to] = FROM_TO[action];
    const h = harness(keyRow({ state: from }), { aws: aws.provider });
    const change = await setKeyState(h.deps, KEY_ID, to, 'r');
    expect(aws.calls.map((c) => c[0])).toEqual([action, 'describeKey']);
    if (done) {
      expect(change.locations).toEqual([{ role: 'primary', provider: 'aws', action, outcome: 'done', code: null, message: 'already done at the provider', deletionDate: null }]);
      expect(change.complete).toBe(true);
      expect(h.audit[0]!.outcome).toBe('success');
    } else {
      expect(change.locations).toEqual([{ role: 'primary', provider: 'aws', action, outcome: 'failed', code: 'provider_unavailable', message: 'Provider aws: no answer (Timeout)', deletionDate: null }]);
      expect(change.complete).toBe(false);
    }
  });
});

describe('setKeyState: what was not reached is kept and retried', () => {
  it('records the failure per location, marks the change incomplete, and keeps it for a retry', async () => {
    const aws = scriptedProvider('aws');
    const vault = scriptedProvider('vault', { answer: unavailable('vault'), state: 'enabled' });
    const h = harness(keyRow({ backupProvider: 'vault', backupKeyRef: 'key-v' }), { aws: aws.provider, vault: vault.provider });
    const change = await setKeyState(h.deps, KEY_ID, 'suspended', 'r');
    const expectedUnreached = { role: 'backup', provider: 'vault', action: 'disable', state: 'suspended', code: 'provider_unavailable', message: 'Provider vault: no answer (Timeout)', attemptedAt: AT };
    expect(change).toMatchObject({ state: 'suspended', complete: false, unreached: [expectedUnreached] });
    expect(h.audit[1]).toEqual({
      actor: 'officer-1',
      action: 'key.location',
      targetType: 'key',
      targetId: KEY_ID,
      outcome: 'failure',
      details: { role: 'backup', provider: 'vault', keyRef: 'key-v', action: 'disable', state: 'suspended', retry: false, providerCode: 'Timeout', requestId: 'req-1', code: 'provider_unavailable' },
    });
    expect(h.audit[2]).toEqual({
      actor: 'officer-1',
      action: 'key.state',
      targetType: 'key',
      targetId: KEY_ID,
      outcome: 'failure',
      details: { from: 'active', to: 'suspended', provider: 'aws', reason: 'r', providerAction: 'disable', reached: 1, unreached: 'vault/backup:disable:provider_unavailable', code: 'incomplete' },
    });
    expect(h.writes).toEqual([
      ['updateState', KEY_ID, 'suspended', 'r', AT, '2026-03-02T00:00:00.000Z'],
      ['replaceUnreached', KEY_ID, [{ keyId: KEY_ID, role: 'backup', provider: 'vault', keyRef: 'key-v', action: 'disable', forState: 'suspended', code: 'provider_unavailable', message: 'Provider vault: no answer (Timeout)', attemptedAt: AT }]],
    ]);

    // Setting the same state again retries exactly that location; the key's state and reason stay as they are.
    (vault.provider as unknown as Record<string, unknown>).disable = async (ref: string) => void vault.calls.push(['disable', ref]);
    const again = await setKeyState(h.deps, KEY_ID, 'suspended', 'ignored');
    expect(aws.calls).toEqual([['disable', 'arn:aws:kms:k1']]);
    expect(vault.calls.filter((c) => c[0] === 'disable').length).toBe(2);
    expect(again).toMatchObject({ state: 'suspended', complete: true, unreached: [], locations: [{ role: 'backup', provider: 'vault', action: 'disable', outcome: 'done', code: null, message: null, deletionDate: null }] });
    expect(h.audit.at(-2)!.details).toMatchObject({ retry: true });
    expect(h.audit.at(-1)!.details).toEqual({ from: 'suspended', to: 'suspended', provider: 'aws', retry: true, reason: 'r', providerAction: 'retry', reached: 1 });
    expect(h.writes.at(-1)).toEqual(['replaceUnreached', KEY_ID, []]);
    expect(h.writes.filter((w) => w[0] === 'updateState').length).toBe(1);

    // Nothing left: the same state again is refused.
    expect(await codeOf(setKeyState(h.deps, KEY_ID, 'suspended', 'r'))).toEqual({
      code: 'illegal_transition',
      message: `Key ${KEY_ID} is already suspended, and every location of it was reached.`,
      details: { from: 'suspended', to: 'suspended' },
    });
  });

  it('a location whose provider is not configured fails naming it, or naming the refused environment variable', async () => {
    const key = keyRow({ provider: 'gcp', providerKeyRef: 'projects/p/k' });
    const plain = harness(key, {});
    const change = await setKeyState(plain.deps, KEY_ID, 'suspended', 'r');
    expect(change.locations).toEqual([
      { role: 'primary', provider: 'gcp', action: 'disable', outcome: 'failed', code: 'provider_unavailable', message: 'Provider gcp is not configured in this console.', deletionDate: null },
    ]);
    expect(plain.audit[0]!.details).toEqual({ role: 'primary', provider: 'gcp', keyRef: 'projects/p/k', action: 'disable', state: 'suspended', retry: false, code: 'provider_unavailable' });
    const refused = harness(key, {}, { refusal: new ConsoleError('invalid_input', 'ECPS_GCP_PROJECT is empty.') });
    const c2 = await setKeyState(refused.deps, KEY_ID, 'suspended', 'r');
    expect(c2.locations[0]).toMatchObject({ outcome: 'failed', code: 'invalid_input', message: 'Provider gcp is not configured in this console. ECPS_GCP_PROJECT is empty.' });
  });

  it('several unreached locations are listed comma-separated in the key.state record', async () => {
    const aws = scriptedProvider('aws', { answer: unavailable('aws'), state: 'enabled' });
    const vault = scriptedProvider('vault', { answer: unavailable('vault'), state: 'enabled' });
    const h = harness(keyRow({ backupProvider: 'vault', backupKeyRef: 'key-v' }), { aws: aws.provider, vault: vault.provider });
    await setKeyState(h.deps, KEY_ID, 'suspended', 'r');
    expect(h.audit.at(-1)!.details).toMatchObject({ reached: 0, unreached: 'aws/primary:disable:provider_unavailable,vault/backup:disable:provider_unavailable' });
  });

  it('a long provider message is kept to 500 characters', async () => {
    const long = new ProviderError('AccessDenied', 'x'.repeat(600), { providerId: 'aws', providerCode: '403' });
    const aws = scriptedProvider('aws', { answer: long, state: 'enabled' });
    const h = harness(keyRow(), { aws: aws.provider });
    const change = await setKeyState(h.deps, KEY_ID, 'suspended', 'r');
    expect(change.locations[0]!.code).toBe('provider_access_denied');
    expect(change.locations[0]!.message).toBe(`Provider aws: ${'x'.repeat(600)}`.slice(0, 500));
  });

  it('a second change of the same key while one runs is refused; the first one releases the key even when it fails', async () => {
    const aws = scriptedProvider('aws');
    const h = harness(keyRow(), { aws: aws.provider });
    let second: Promise<{ code: string }> | null = null;
    aws.watch(() => (second = codeOf(setKeyState(h.deps, KEY_ID, 'compromised', 'r'))));
    await setKeyState(h.deps, KEY_ID, 'suspended', 'r');
    expect((await second!).code).toBe('illegal_transition');
    expect(h.restrictions.pending(KEY_ID)).toBeUndefined();
    aws.watch(() => undefined);
    const failing = harness(keyRow(), { aws: aws.provider });
    (failing.deps.repo as unknown as Record<string, unknown>).updateState = () => {
      throw new Error('disk full');
    };
    await setKeyState(failing.deps, KEY_ID, 'suspended', 'r').catch(() => undefined);
    expect(failing.restrictions.pending(KEY_ID)).toBeUndefined();
  });
});
