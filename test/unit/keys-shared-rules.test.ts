// The key services' shared parts (electron/services/keys/keysShared.ts) called directly: the audited runner (every key
// operation audited, success or failure, with the provider's code and request id; docs/audit-log.md and
// docs/providers.md), the catalog lookups' refusals, and the next rotation time. A real group commit over a real
// SQLite database commits each record; the audit log and the metrics observer record what they are given. The
// expected records, codes and messages are written out here.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../electron/providers/types.ts';
import { createGroupCommit } from '../../electron/services/audit/groupCommit.ts';
import { validateEntry } from '../../electron/services/audit/validateEntry.ts';
import { type AuditedResult, type KeyServiceDeps, loadKey, loadVersion, newKeyRow, nextRotation, runAudited, toDetail, toSummary, toUnreached, unwrapVersion } from '../../electron/services/keys/keysShared.ts';
import type { KeyRow, KeysRepo, KeyVersionRow, UnreachedLocationRow } from '../../electron/store/keysRepo.ts';
import { ConsoleError } from '../../shared/errors.ts';
import { consoleRefusal } from './keys-testkit.ts';

const dbs: Database.Database[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});

interface Recorded {
  actor: string;
  action: string;
  targetType: string;
  targetId: string | null;
  outcome: string;
  details: Record<string, unknown>;
}

function setup(options: { observe?: boolean; locked?: boolean } = {}) {
  const db = new Database(':memory:');
  dbs.push(db);
  db.exec('CREATE TABLE marks (what TEXT)');
  const records: Recorded[] = [];
  const observed: Array<[string, string, number, boolean]> = [];
  const errors: Array<[string, unknown]> = [];
  const transaction = <T>(fn: () => T) => db.transaction(fn)();
  const deps = {
    session: {
      require: () => {
        if (options.locked) throw new ConsoleError('locked', 'The console is locked.');
        return { keyring: null };
      },
      actor: () => 'officer',
    },
    audit: {
      append: (r: Recorded) => {
        // The real audit log's entry check first (a detail must be a string, number, boolean or null).
        validateEntry(r as never);
        // Appended inside the group's transaction, beside the operation's own store changes.
        records.push({ ...r, details: { ...r.details, inTransaction: db.inTransaction } });
        return r;
      },
    },
    logger: { error: (m: string, f: unknown) => errors.push([m, f]), warn: () => undefined, info: () => undefined },
    commits: createGroupCommit({ transaction, inTransaction: () => db.inTransaction }),
    ...(options.observe === false ? {} : { observe: (a: string, p: string, ms: number, ok: boolean) => observed.push([a, p, ms, ok]) }),
  } as unknown as KeyServiceDeps;
  const marks = () => (db.prepare('SELECT what FROM marks').all() as Array<{ what: string }>).map((r) => r.what);
  const mark = (what: string) => db.prepare('INSERT INTO marks (what) VALUES (?)').run(what);
  return { deps, records, observed, errors, marks, mark };
}

async function timed<T>(p: () => Promise<T>): Promise<{ value: T | undefined; error: unknown; elapsed: number }> {
  const t0 = performance.now();
  let value: T | undefined;
  let error: unknown;
  try {
    value = await p();
  } catch (e) {
    error = e;
  }
  return { value, error, elapsed: performance.now() - t0 };
}

describe('runAudited: a key operation that succeeds', () => {
  it('records one success on the key with the noted and returned details (no keyId among them), its store change committed with it', async () => {
    const t = setup();
    const op = async (_s: unknown, note: (d: Record<string, string | number | boolean | null>) => void): Promise<AuditedResult<string>> => {
      note({ reason: 'scheduled', version: 1 });
      return { value: 'summary', details: { version: 2 }, commit: () => t.mark('version 2') };
    };
    const { value, elapsed } = await timed(() => runAudited(t.deps, 'key.rotate', 'K1', op));
    expect(value).toBe('summary');
    expect(t.records).toEqual([
      { actor: 'officer', action: 'key.rotate', targetType: 'key', targetId: 'K1', outcome: 'success', details: { reason: 'scheduled', version: 2, inTransaction: true } },
    ]);
    expect(t.marks()).toEqual(['version 2']);
    expect(t.observed.map(([a, p, , ok]) => [a, p, ok])).toEqual([['key.rotate', 'local', true]]);
    const ms = t.observed[0]![2];
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThanOrEqual(elapsed);
  });

  it('a keyId noted by the operation becomes the target (a key made by it), and is not a detail', async () => {
    const t = setup();
    await runAudited(t.deps, 'key.create', null, async (_s, note) => {
      note({ keyId: 'K-new', type: 'storage' });
      return { value: 1, details: { keyId: 'K-other-in-details' } };
    });
    expect(t.records.map((r) => [r.targetId, r.details])).toEqual([['K-new', { type: 'storage', inTransaction: true }]]);
  });

  it('names the provider of the details to the observer', async () => {
    const t = setup();
    await runAudited(t.deps, 'key.encrypt', 'K1', async () => ({ value: 1, details: { provider: 'aws-prod' } }));
    expect(t.observed.map(([a, p, , ok]) => [a, p, ok])).toEqual([['key.encrypt', 'aws-prod', true]]);
  });

  it('works without an observer', async () => {
    const t = setup({ observe: false });
    expect(await runAudited(t.deps, 'key.encrypt', 'K1', async () => ({ value: 'ok' }))).toBe('ok');
    expect(t.records.map((r) => r.outcome)).toEqual(['success']);
  });

  it('a result with a failure code is recorded as a failure with that code, and still returned', async () => {
    const t = setup();
    const value = await runAudited(t.deps, 'key.verify_integrity', 'K1', async () => ({ value: { damaged: 1 }, details: { checked: 3 }, failureCode: 'integrity_failure' }));
    expect(value).toEqual({ damaged: 1 });
    expect(t.records.map((r) => [r.outcome, r.details])).toEqual([['failure', { checked: 3, code: 'integrity_failure', inTransaction: true }]]);
    expect(t.observed.map(([a, p, , ok]) => [a, p, ok])).toEqual([['key.verify_integrity', 'local', false]]);
  });
});

describe('runAudited: a key operation that fails', () => {
  it("a provider's error: its console code, the provider's code and request id recorded, nothing committed", async () => {
    const t = setup();
    const failing = async (_s: unknown, note: (d: Record<string, string>) => void): Promise<AuditedResult<number>> => {
      note({ reason: 'scheduled' });
      throw new ProviderError('AccessDenied', 'not allowed', { providerId: 'aws-prod', providerCode: 'AccessDeniedException', requestId: 'req-7' });
    };
    const { error, elapsed } = await timed(() => runAudited(t.deps, 'key.rotate', 'K1', failing));
    expect(error).toBeInstanceOf(ConsoleError);
    expect([(error as ConsoleError).code, (error as ConsoleError).message]).toEqual(['provider_access_denied', 'Provider aws-prod: not allowed']);
    expect(t.records).toEqual([
      {
        actor: 'officer', action: 'key.rotate', targetType: 'key', targetId: 'K1', outcome: 'failure',
        details: { reason: 'scheduled', provider: 'aws-prod', providerCode: 'AccessDeniedException', requestId: 'req-7', code: 'provider_access_denied', inTransaction: true },
      },
    ]);
    expect(t.marks()).toEqual([]);
    expect(t.observed.map(([a, p, , ok]) => [a, p, ok])).toEqual([['key.rotate', 'aws-prod', false]]);
    expect(t.observed[0]![2]).toBeLessThanOrEqual(elapsed);
    expect(t.errors).toEqual([]);
  });

  it('a typed console error keeps its code and is not logged; the noted keyId is the target', async () => {
    const t = setup();
    const e = await consoleRefusal(runAudited(t.deps, 'key.state', 'K1', async (_s, note) => {
      note({ keyId: 'K2' });
      throw new ConsoleError('illegal_transition', 'no', { from: 'destroyed' });
    }));
    expect(e).toEqual({ code: 'illegal_transition', message: 'no', details: { from: 'destroyed' } });
    expect(t.records.map((r) => [r.targetId, r.outcome, r.details])).toEqual([['K2', 'failure', { code: 'illegal_transition', inTransaction: true }]]);
    expect(t.errors).toEqual([]);
  });

  const BUGS: Array<[string, unknown, string]> = [
    ['an Error', new TypeError('x is undefined'), 'TypeError'],
    ['something not an Error', 'a string', 'unknown'],
  ];
  it.each(BUGS)('%s: internal, logged with the error name only (never its message)', async (_why, thrown, name) => {
    const t = setup();
    const e = await consoleRefusal(runAudited(t.deps, 'key.decrypt', 'K1', async () => {
      throw thrown;
    }));
    expect(e.code).toBe('internal');
    expect(t.errors).toEqual([['key.decrypt failed', { keyId: 'K1', error: name }]]);
    expect(t.records.map((r) => [r.outcome, r.details])).toEqual([['failure', { code: 'internal', inTransaction: true }]]);
  });

  it('a locked console: the refusal is audited too, without running the operation', async () => {
    const t = setup({ locked: true });
    let ran = false;
    const e = await consoleRefusal(runAudited(t.deps, 'key.encrypt', 'K1', async () => {
      ran = true;
      return { value: 1 };
    }));
    expect([e.code, ran]).toEqual(['locked', false]);
    expect(t.records.map((r) => [r.action, r.targetId, r.outcome, r.details])).toEqual([['key.encrypt', 'K1', 'failure', { code: 'locked', inTransaction: true }]]);
  });

  it('a store change that fails at commit is a failure record', async () => {
    const t = setup();
    const e = await consoleRefusal(runAudited(t.deps, 'key.rotate', 'K1', async () => ({
      value: 1,
      commit: () => {
        throw new ConsoleError('illegal_transition', 'version exists');
      },
    })));
    expect(e.code).toBe('illegal_transition');
    expect(t.records.map((r) => [r.outcome, r.details.code])).toEqual([['failure', 'illegal_transition']]);
  });

  it('operations one after another each commit (the group is released after each)', async () => {
    const t = setup();
    for (let i = 0; i < 3; i++) {
      await runAudited(t.deps, 'key.encrypt', `K${i}`, async () => ({ value: i, commit: () => t.mark(`m${i}`) })).catch(() => undefined);
      await runAudited(t.deps, 'key.encrypt', `K${i}`, async () => {
        throw new ConsoleError('key_disabled', 'off');
      }).catch(() => undefined);
    }
    expect(t.marks()).toEqual(['m0', 'm1', 'm2']);
    expect(t.records.map((r) => r.outcome)).toEqual(['success', 'failure', 'success', 'failure', 'success', 'failure']);
  });
});

const KEY = { id: 'K1', algorithm: 'AES_256' } as KeyRow;
const VERSION = (v: Partial<KeyVersionRow>) => ({ keyId: 'K1', version: 2, destroyed: false, wrappedMaterial: Buffer.from('wrapped'), ...v }) as KeyVersionRow;
const repoWith = (key: KeyRow | null, version: KeyVersionRow | null) => ({ get: () => key, getVersion: () => version }) as unknown as KeysRepo;
const refused = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConsoleError);
    return [(e as ConsoleError).code, (e as ConsoleError).message];
  }
  throw new Error('not refused');
};

describe('catalog lookups', () => {
  it('loadKey: the key, or not_found naming the id', () => {
    expect(loadKey(repoWith(KEY, null), 'K1')).toBe(KEY);
    expect(refused(() => loadKey(repoWith(null, null), 'K9'))).toEqual(['not_found', 'No key with id K9.']);
  });
  it('loadVersion: the version, not_found, or key_destroyed', () => {
    const v = VERSION({});
    expect(loadVersion(repoWith(KEY, v), KEY, 2)).toBe(v);
    expect(refused(() => loadVersion(repoWith(KEY, null), KEY, 5))).toEqual(['not_found', 'Key K1 has no version 5.']);
    expect(refused(() => loadVersion(repoWith(KEY, VERSION({ destroyed: true })), KEY, 2))).toEqual(['key_destroyed', 'Version 2 of key K1 was destroyed.']);
  });
  it('unwrapVersion: the material, key_destroyed without material, integrity_failure when the keyring refuses it', () => {
    const calls: unknown[] = [];
    const session = (answer: Buffer | null) => ({ keyring: { unwrapMaterial: (...a: unknown[]) => (calls.push(a), answer) } }) as never;
    const material = Buffer.from('k'.repeat(32));
    expect(unwrapVersion(session(material), KEY, VERSION({}))).toBe(material);
    expect(calls).toEqual([['K1', 2, 'AES_256', Buffer.from('wrapped')]]);
    expect(refused(() => unwrapVersion(session(material), KEY, VERSION({ wrappedMaterial: null })))).toEqual(['key_destroyed', 'Version 2 of key K1 has no key material.']);
    expect(refused(() => unwrapVersion(session(null), KEY, VERSION({})))).toEqual([
      'integrity_failure',
      'The stored material of key K1 version 2 failed its integrity check.',
    ]);
  });
});

describe('nextRotation', () => {
  const FROM = '2026-03-01T00:00:00.000Z';
  const TABLE: Array<[number | null, string, string | null]> = [
    [86_400, 'active', '2026-03-02T00:00:00.000Z'],
    [90, 'suspended', '2026-03-01T00:01:30.000Z'],
    [0, 'active', FROM],
    [null, 'active', null],
    [86_400, 'destroyed', null],
  ];
  it.each(TABLE)('every %s s in state %s: %s', (seconds, state, want) => {
    expect(nextRotation(seconds, FROM, state as never)).toBe(want);
  });
});

// A new key's row (docs/key-store.md: a key starts at version 1, active unless created for later activation; its next
// rotation one period after creation) and the views keys:list / keys:get return (shared/contract.ts; docs/providers.md:
// `kmsBacked` is true for a key held by a provider, false for one held in this store).
describe('newKeyRow', () => {
  const AT = '2026-05-01T10:00:00.000Z';
  const base = { id: 'K1', label: 'hall B', type: 'storage' as const, algorithm: 'AES_256' as const, rotationSeconds: 3600, at: AT, provider: 'local' };
  it.each([
    [undefined, 'active', '2026-05-01T11:00:00.000Z'],
    [true, 'active', '2026-05-01T11:00:00.000Z'],
    [false, 'pre_activation', '2026-05-01T11:00:00.000Z'],
  ] as const)('activate %s: state %s, version 1, next rotation %s, nothing on a provider', (activate, state, next) => {
    expect(newKeyRow({ ...base, activate })).toEqual({
      id: 'K1', label: 'hall B', type: 'storage', algorithm: 'AES_256', state, stateReason: null, provider: 'local',
      currentVersion: 1, createdAt: AT, updatedAt: AT, rotationSeconds: 3600, nextRotationAt: next,
      providerKeyRef: null, backupProvider: null, backupKeyRef: null, fallbackKeyRef: null,
    });
  });
  it('without a rotation period there is no next rotation; provider references are kept', () => {
    const row = newKeyRow({ ...base, activate: undefined, rotationSeconds: null, provider: 'aws', providerKeyRef: 'arn:k', backupProvider: 'vault', backupKeyRef: 'key-K1' });
    expect(row).toMatchObject({ rotationSeconds: null, nextRotationAt: null, provider: 'aws', providerKeyRef: 'arn:k', backupProvider: 'vault', backupKeyRef: 'key-K1', fallbackKeyRef: null });
  });
});

describe('toSummary, toDetail, toUnreached', () => {
  const row: KeyRow = {
    id: 'K7', label: 'fleet data', type: 'storage', algorithm: 'AES_256', state: 'suspended', stateReason: 'audit', provider: 'aws',
    currentVersion: 2, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-02-01T00:00:00.000Z', rotationSeconds: 86_400,
    nextRotationAt: '2026-02-02T00:00:00.000Z', providerKeyRef: 'arn:secret-ref', backupProvider: 'vault', backupKeyRef: 'key-K7', fallbackKeyRef: 'fb-1',
  };
  const SUMMARY = {
    id: 'K7', label: 'fleet data', type: 'storage', algorithm: 'AES_256', state: 'suspended', provider: 'aws', kmsBacked: true,
    backupProvider: 'vault', currentVersion: 2, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-02-01T00:00:00.000Z',
    rotationSeconds: 86_400, nextRotationAt: '2026-02-02T00:00:00.000Z',
  };
  it('the summary: the listed fields only (no provider references), kmsBacked for a provider key', () => {
    expect(toSummary(row)).toEqual(SUMMARY);
    expect(toSummary({ ...row, provider: 'local', backupProvider: null })).toMatchObject({ provider: 'local', kmsBacked: false, backupProvider: null });
  });
  it('the detail: the summary, the state reason, each version without material, and what was not reached', () => {
    const versions: KeyVersionRow[] = [
      { keyId: 'K7', version: 1, createdAt: '2026-01-01T00:00:00.000Z', checkValue: 'cv1', publicSpki: null, wrappedMaterial: Buffer.from('secret'), destroyed: false, provider: null, providerVersion: null },
      { keyId: 'K7', version: 2, createdAt: '2026-01-15T00:00:00.000Z', checkValue: 'provider:aws', publicSpki: null, wrappedMaterial: null, destroyed: true, provider: 'aws', providerVersion: 4 },
    ];
    const unreached: UnreachedLocationRow[] = [
      { keyId: 'K7', role: 'backup', provider: 'vault', keyRef: 'key-K7', action: 'disable', forState: 'suspended', code: 'provider_unavailable', message: 'vault is down', attemptedAt: '2026-02-01T00:00:01.000Z' },
    ];
    expect(toDetail(row, versions, unreached)).toEqual({
      ...SUMMARY,
      stateReason: 'audit',
      versions: [
        { version: 1, createdAt: '2026-01-01T00:00:00.000Z', checkValue: 'cv1', destroyed: false },
        { version: 2, createdAt: '2026-01-15T00:00:00.000Z', checkValue: 'provider:aws', destroyed: true },
      ],
      unreached: [{ role: 'backup', provider: 'vault', action: 'disable', state: 'suspended', code: 'provider_unavailable', message: 'vault is down', attemptedAt: '2026-02-01T00:00:01.000Z' }],
    });
    expect(toUnreached(unreached[0]!)).toEqual({ role: 'backup', provider: 'vault', action: 'disable', state: 'suspended', code: 'provider_unavailable', message: 'vault is down', attemptedAt: '2026-02-01T00:00:01.000Z' });
  });
});
