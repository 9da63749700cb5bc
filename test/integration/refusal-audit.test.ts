// Every refusal before a handler's work is audited (docs/audit-log.md "Refused inputs and locked calls"): on a real
// console and store, through the router as every transport builds it (the console's access gate). Tables written here:
// (1) an input refused by a channel's schema, for channels of every kind, each hiding a sentinel secret in its input,
// leaves one record (the operation's action for the emergency and key operations, input.refused for the others: the
// channel, the field's path, the code, the role; never the input); (2) a call refused `locked` (no one signed in) of
// the emergency and key operations leaves exactly one record (the gate's, or the key service's own); (3) a flood of
// bad calls is coalesced (one record, then one with the count when the window ends, on manual time). The sentinel is
// in no audit column, no log entry and no byte of the database files.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouter, type Router } from '../../electron/ipc/router.ts';
import type { ChannelName } from '../../shared/contract.ts';
import { manualTimers } from '../unit/provider-testkit.ts';
import { CTX, removeTempDirs } from '../unit/store-testkit.ts';
import { type Harness, initialized, PASS } from './providers-kit.ts';
import { addOperators } from './support/consoleCalls.ts';

const SECRET = 'Refusal-Sentinel-Secret-7c41d9';
const SECRET_BYTES = Buffer.from(SECRET, 'utf8');
const ADA = { name: 'Officer Ada', passphrase: PASS };
const CARL = { name: 'Carl Custodian', passphrase: 'Custodian passphrase for the refusal audit 5521' };
const KEY = '0b7c2a52-3f1e-4c1a-9a57-3c7f2b8e4d10';
const RUN = '0b7f3c1e-2a4d-4e5f-8a9b-0c1d2e3f4a5b';
const WINDOW_MS = 60_000;

const timers = manualTimers();
let h: Harness;
let router: Router;

beforeAll(async () => {
  h = await initialized({ clock: timers.clock, refusalAudit: { windowMs: WINDOW_MS, timers } });
  await addOperators(h.console, ADA, [{ ...CARL, role: 'key_custodian' }]);
  router = createRouter({ handlers: h.console.handlers, access: h.console.access, logger: h.logger });
}, 60_000);

afterAll(() => {
  h.console.close();
  removeTempDirs();
});

type Who = typeof ADA | null;
type Rec = { actor: string; action: string; targetType: string | null; targetId: string | null; outcome: string; details: Record<string, unknown> };
const schema = (who: Who, role: string | null, action: string, channel: ChannelName, field: string): Rec => ({
  actor: who?.name ?? 'unknown', action, targetType: 'channel', targetId: channel, outcome: 'failure',
  details: { code: 'invalid_input', field, role, transport: CTX.transport, refusedBy: 'schema' },
});

// [what, who is signed in, their role, channel, a bad input hiding the secret, the action, the field the record names].
const SCHEMA_CASES: Array<[string, Who, string | null, ChannelName, unknown, string, string]> = [
  ['keys:create with an algorithm that is none, the secret as label', CARL, 'key_custodian', 'keys:create', { type: 'storage', label: SECRET, algorithm: 'ROT13' }, 'key.create', 'algorithm'],
  ['keys:encrypt with the plaintext (the secret) as text, not bytes', CARL, 'key_custodian', 'keys:encrypt', { keyId: KEY, plaintext: SECRET }, 'key.encrypt', 'plaintext'],
  ['keys:decrypt with a field it does not know holding the secret', CARL, 'key_custodian', 'keys:decrypt', { ciphertext: new Uint8Array([1, 2]), [SECRET]: SECRET }, 'key.decrypt', '(input)'],
  ['keys:sign of a key id that is the secret', CARL, 'key_custodian', 'keys:sign', { keyId: SECRET, data: new Uint8Array([1]) }, 'key.sign', 'keyId'],
  ['keys:setState to a state that is none, the secret as reason', CARL, 'key_custodian', 'keys:setState', { keyId: KEY, state: 'vanished', reason: SECRET }, 'key.state', 'state'],
  ['keys:rotate with no key id (no rotation alert either)', CARL, 'key_custodian', 'keys:rotate', { key: SECRET }, 'key.rotate', 'keyId'],
  ['keys:backup of keys that are not a list', CARL, 'key_custodian', 'keys:backup', { providerId: 'vault', keyIds: SECRET }, 'key.backup', 'keyIds'],
  ['keys:migrate of a provider id that is a number', CARL, 'key_custodian', 'keys:migrate', { providerId: 7, keyIds: [SECRET] }, 'key.migrate', 'providerId'],
  ['emergency:review of a run id that is a number, the secret as note', ADA, 'admin', 'emergency:review', { runId: 42, note: SECRET }, 'emergency.review', 'runId'],
  ['operators:add with a role that is none, the secret as passphrase', ADA, 'admin', 'operators:add', { name: 'Eve', role: 'overlord', passphrase: SECRET }, 'input.refused', 'role'],
  ['session:changePassphrase with the next passphrase (the secret) as a number field', ADA, 'admin', 'session:changePassphrase', { current: SECRET, next: 12 }, 'input.refused', 'next'],
  ['fleet:list with a limit that is text', ADA, 'admin', 'fleet:list', { offset: 0, limit: SECRET }, 'input.refused', 'limit'],
  ['providers:save with a setting whose name is the secret (a caller-chosen key: shown as ?)', ADA, 'admin', 'providers:save', { config: { [SECRET]: 'x' } }, 'input.refused', 'config.?'],
  ['approvals:deny of a request id that is a number, the secret as reason', ADA, 'admin', 'approvals:deny', { requestId: 5, reason: SECRET }, 'input.refused', 'requestId'],
  ['no one signed in: session:unlock with the passphrase (the secret) and a field it does not know', null, null, 'session:unlock', { operator: 'Officer Ada', passphrase: SECRET, pin: SECRET }, 'input.refused', '(input)'],
  ['no one signed in: keys:encrypt refused by its schema first', null, null, 'keys:encrypt', { keyId: KEY, plaintext: SECRET }, 'key.encrypt', 'plaintext'],
];

// [channel, a valid input, the one record a call refused `locked` leaves]: the gate's for the emergency operations
// and keys:migrate, the key service's own (target the key, code only) for the other key operations.
const gateLocked = (action: string, channel: ChannelName): Rec => ({
  actor: 'unknown', action, targetType: 'channel', targetId: channel, outcome: 'failure', details: { code: 'locked', role: null, transport: CTX.transport, refusedBy: 'session' },
});
const keyLocked = (action: string, details: Record<string, unknown> = {}): Rec => ({
  actor: 'unknown', action, targetType: 'key', targetId: KEY, outcome: 'failure', details: { code: 'locked', ...details },
});
const LOCKED_CASES: Array<[ChannelName, unknown, ...Rec[]]> = [
  ['emergency:lockdownOrder', { kind: 'lockdown', scope: { site: 'Plant 1' }, actions: ['stop_operating'], reason: 'drill', message: 'stop', validForSeconds: 3600 }, gateLocked('lockdown.order', 'emergency:lockdownOrder')],
  ['emergency:execute', { scope: { kind: 'robot', deviceId: 'uv-001' }, actions: ['quarantine'], reason: 'drill' }, gateLocked('emergency.execute', 'emergency:execute')],
  ['emergency:retry', { runId: RUN }, gateLocked('emergency.retry', 'emergency:retry')],
  ['emergency:review', { runId: RUN, note: 'checked' }, gateLocked('emergency.review', 'emergency:review')],
  ['keys:migrate', { providerId: 'aws-primary' }, gateLocked('key.migrate', 'keys:migrate')],
  ['keys:create', { type: 'storage', label: 'disk', algorithm: 'AES_256' }, { ...keyLocked('key.create'), targetId: null }],
  // (the key service's rotation failure raises its alert, as it did before: not the gate's record)
  ['keys:rotate', { keyId: KEY }, keyLocked('key.rotate'), {
    actor: 'system', action: 'alert.raise', targetType: null, targetId: expect.any(String) as string, outcome: 'success',
    details: { kind: 'rotation_failure', severity: 'CRITICAL', subject: KEY, message: `Rotation of key ${KEY} failed (locked).`, sourceSeq: expect.any(Number) as number },
  }],
  ['keys:setState', { keyId: KEY, state: 'suspended', reason: 'maintenance' }, keyLocked('key.state')],
  ['keys:encrypt', { keyId: KEY, plaintext: new Uint8Array([1]) }, keyLocked('key.encrypt')],
  ['keys:decrypt', { ciphertext: new Uint8Array([1]) }, { ...keyLocked('key.decrypt'), targetId: null }],
  ['keys:sign', { keyId: KEY, data: new Uint8Array([1]) }, keyLocked('key.sign')],
  ['keys:verify', { keyId: KEY, data: new Uint8Array([1]), signature: new Uint8Array([1]) }, keyLocked('key.verify')],
  ['keys:publicKey', { keyId: KEY }, keyLocked('key.export_public')],
  ['keys:verifyIntegrity', { keyId: KEY }, keyLocked('key.verify_integrity')],
  ['keys:backup', { providerId: 'vault-backup', keyIds: [KEY] }, { ...keyLocked('key.backup', { provider: 'vault-backup' }), targetType: null, targetId: 'vault-backup' }],
  ['keys:verifyBackup', { providerId: 'vault-backup' }, { ...keyLocked('key.verify_backup', { provider: 'vault-backup' }), targetType: null, targetId: 'vault-backup' }],
];

const headSeq = () => Math.max(0, ...h.console.audit.query({ offset: 0, limit: 5 }).records.map((r) => r.seq));
const since = (seq: number): Rec[] =>
  h.console.audit.query({ offset: 0, limit: 1000 }).records.filter((r) => r.seq > seq).sort((a, b) => a.seq - b.seq)
    .map(({ actor, action, targetType, targetId, outcome, details }) => ({ actor, action, targetType, targetId, outcome, details }));

async function signIn(who: Who) {
  if ((await h.call('session:status', {})).state === 'unlocked') await h.call('session:lock', {});
  if (who) await h.call('session:unlock', { operator: who.name, passphrase: who.passphrase });
}

describe('schema refusals of every kind of channel', () => {
  it.each(SCHEMA_CASES)('%s', async (_what, who, role, channel, input, action, field) => {
    await signIn(who);
    // A new window for every case (the flood test below covers the coalescing).
    h.console.access.flush();
    const before = headSeq();
    const envelope = await router.route({ channel, input, ctx: CTX, trustedSender: true });
    expect(envelope.ok ? null : envelope.error.code).toBe('invalid_input');
    expect(since(before)).toEqual([schema(who, role, action, channel, field)]);
  });
});

describe('locked refusals (no one signed in) of the emergency and key operations', () => {
  it.each(LOCKED_CASES)('%s', async (channel, input, ...expected) => {
    await signIn(null);
    h.console.access.flush();
    const before = headSeq();
    const envelope = await router.route({ channel, input, ctx: CTX, trustedSender: true });
    expect(envelope.ok ? null : envelope.error.code).toBe('locked');
    expect(since(before)).toEqual(expected);
  });

  it('a channel outside those operations (a read) refused locked leaves no record', async () => {
    await signIn(null);
    const before = headSeq();
    const envelope = await router.route({ channel: 'fleet:list', input: { offset: 0, limit: 10 }, ctx: CTX, trustedSender: true });
    expect(envelope.ok ? null : envelope.error.code).toBe('locked');
    expect(since(before)).toEqual([]);
  });
});

describe('a flood of bad calls', () => {
  it('300 bad keys:encrypt calls and 300 locked emergency:execute calls: two records each, the second counting the rest', async () => {
    await signIn(null);
    h.console.access.flush();
    const before = headSeq();
    const start = timers.clock.now();
    const EXECUTE = { scope: { kind: 'robot', deviceId: 'uv-001' }, actions: ['quarantine'], reason: 'drill' };
    for (let i = 0; i < 300; i++) {
      const bad = await router.route({ channel: 'keys:encrypt', input: { keyId: KEY, plaintext: `${SECRET}-${i}` }, ctx: CTX, trustedSender: true });
      const locked = await router.route({ channel: 'emergency:execute', input: EXECUTE, ctx: CTX, trustedSender: true });
      expect([bad.ok ? null : bad.error.code, locked.ok ? null : locked.error.code]).toEqual(['invalid_input', 'locked']);
    }
    const first = since(before);
    expect(first).toEqual([schema(null, null, 'key.encrypt', 'keys:encrypt', 'plaintext'), gateLocked('emergency.execute', 'emergency:execute')]);
    await timers.advance(WINDOW_MS);
    const seqs = h.console.audit.query({ offset: 0, limit: 10 }).records.filter((r) => r.seq > before).map((r) => r.seq).sort((a, b) => a - b);
    const at = new Date(start).toISOString();
    const { field: _f, ...schemaDetails } = schema(null, null, 'key.encrypt', 'keys:encrypt', 'plaintext').details;
    expect(since(before).slice(2)).toEqual([
      { ...schema(null, null, 'key.encrypt', 'keys:encrypt', 'plaintext'), details: { ...schemaDetails, repeated: 299, sinceSeq: seqs[0], from: at, to: at } },
      { ...gateLocked('emergency.execute', 'emergency:execute'), details: { ...gateLocked('emergency.execute', 'emergency:execute').details, repeated: 299, sinceSeq: seqs[1], from: at, to: at } },
    ]);
  });
});

describe('the sentinel secret', () => {
  it('is in no audit record, no log entry and no byte of the database files', () => {
    const records = h.console.audit.query({ offset: 0, limit: 1000 }).records;
    expect(records.length).toBeGreaterThan(SCHEMA_CASES.length);
    expect(JSON.stringify(records)).not.toContain(SECRET);
    expect(JSON.stringify(h.logger.entries)).not.toContain(SECRET);
    const files = readdirSync(h.dir).filter((f) => f.includes('.db') || f.includes('sqlite'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect([f, readFileSync(join(h.dir, f)).includes(SECRET_BYTES)]).toEqual([f, false]);
  });
});
