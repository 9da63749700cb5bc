// A call refused `locked` (no one signed in) of every channel that changes something leaves exactly one record, and
// refusals of one kind are coalesced per window, access.denied and the key services' own locked failures included
// (docs/audit-log.md "Refused inputs and locked calls"). On a real console and store, through the router as every
// transport builds it. Tables written here: which channels only read (no record), which key operations record their
// own refusal (target the key), and the action of the operations whose every refusal carries their own; every other
// channel of CHANNEL_ACCESS that needs a permission beyond reading is expected to leave the gate's record.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouter, type Router } from '../../electron/ipc/router.ts';
import { contract, type ChannelName } from '../../shared/contract.ts';
import { CHANNEL_ACCESS } from '../../shared/permissions.ts';
import { VALID } from '../unit/channel-samples.ts';
import { manualTimers } from '../unit/provider-testkit.ts';
import { CTX, removeTempDirs } from '../unit/store-testkit.ts';
import { type Harness, initialized, PASS } from './providers-kit.ts';
import { addOperators } from './support/consoleCalls.ts';

const SECRET = 'Locked-Refusal-Sentinel-5e0b27';
const SECRET_BYTES = Buffer.from(SECRET, 'utf8');
const ADA = { name: 'Officer Ada', passphrase: PASS };
const CARL = { name: 'Carl Custodian', passphrase: 'Custodian passphrase for the locked refusal audit 8812' };
const WINDOW_MS = 60_000;

/** Channels needing more than `read` that change nothing: their locked answer is not recorded. */
const SIGNED_IN_READS: readonly ChannelName[] = ['session:info', 'operators:tokenSlots', 'operators:recoveryReminder'];
/**
 * Changing channels whose service records its own locked failure, once (the action it records). The key operations
 * of KEY_SERVICE go through the coalescing (target the key named by the sample); the others append their record.
 */
const KEY_SERVICE: Partial<Record<ChannelName, string>> = {
  'keys:create': 'key.create',
  'keys:rotate': 'key.rotate',
  'keys:setState': 'key.state',
  'keys:encrypt': 'key.encrypt',
  'keys:decrypt': 'key.decrypt',
  'keys:sign': 'key.sign',
  'keys:verify': 'key.verify',
  'keys:publicKey': 'key.export_public',
  'keys:verifyIntegrity': 'key.verify_integrity',
};
const SERVICE_RECORDS: Partial<Record<ChannelName, string>> = {
  ...KEY_SERVICE,
  'keys:backup': 'key.backup',
  'keys:verifyBackup': 'key.verify_backup',
  'session:changePassphrase': 'session.change_passphrase',
  'operators:changePassphrase': 'session.change_passphrase',
  'providers:save': 'provider.save',
  'providers:test': 'provider.test',
  'providers:slots': 'provider.slots',
  'providers:remove': 'provider.remove',
  'fleet:create': 'robot.create',
  'fleet:update': 'robot.update',
  'fleet:importCsv': 'fleet.import',
  'fleet:assignKey': 'fleet.key.assign',
  'fleet:clearKeyAssignment': 'fleet.key.unassign',
  'fleet:setStatus': 'robot.status',
  'bundles:build': 'bundle.issue',
  'rollout:halt': 'rollout.halt',
  'rollout:resume': 'rollout.resume',
  'rollout:retire': 'rollout.retire',
  'rollout:reinstate': 'rollout.reinstate',
  'rollout:setPolicy': 'rollout.policy_set',
  'rollout:clearPolicy': 'rollout.policy_set',
};
/** Reads whose service records its own failure, locked included (not the gate's concern). */
const READ_SERVICE_RECORDS: Partial<Record<ChannelName, string>> = {
  'providers:health': 'provider.health',
  'audit:verify': 'audit.verify',
  'audit:export': 'audit.export',
  'fleet:exportCsv': 'fleet.export',
};
/** The operations recorded under their own action by the gate; every other changing channel: `call.locked`. */
const OWN_ACTION: Partial<Record<ChannelName, string>> = {
  'emergency:lockdownOrder': 'lockdown.order',
  'emergency:execute': 'emergency.execute',
  'emergency:retry': 'emergency.retry',
  'emergency:review': 'emergency.review',
  'keys:migrate': 'key.migrate',
};
/** Channels a call reaches before sign-in on purpose (status, first run, unlock, recovery): nothing to refuse. */
const isOpen = (c: ChannelName) => CHANNEL_ACCESS[c] === 'open';
const isRead = (c: ChannelName) => CHANNEL_ACCESS[c] === 'read' || SIGNED_IN_READS.includes(c);
const CHANGING = (Object.keys(CHANNEL_ACCESS) as ChannelName[]).filter((c) => !isOpen(c) && !isRead(c));
const GATE_CASES = CHANGING.filter((c) => SERVICE_RECORDS[c] === undefined);
const FREE_TEXT = ['reason', 'note', 'label', 'passphrase', 'message'];
/**
 * The sample with the sentinel where it has free text (the gate records none of the input), or only in its
 * passphrases (a service may record an operator's stated reason on purpose, e.g. a rollout's halt).
 */
const withSecret = (channel: ChannelName, fields: readonly string[] = FREE_TEXT): Record<string, unknown> => {
  const input: Record<string, unknown> = { ...VALID[channel] };
  for (const k of fields) {
    if (typeof input[k] !== 'string') continue;
    const candidate = { ...input, [k]: `${SECRET} ${k}` };
    // (only where the schema takes free text: an enum such as a revocation reason keeps the sample's value)
    if (contract[channel].input.safeParse(candidate).success) Object.assign(input, candidate);
  }
  return input;
};

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

type Rec = { actor: string; action: string; targetType: string | null; targetId: string | null; outcome: string; details: Record<string, unknown> };
const headSeq = () => Math.max(0, ...h.console.audit.query({ offset: 0, limit: 5 }).records.map((r) => r.seq));
const since = (seq: number): Rec[] =>
  h.console.audit.query({ offset: 0, limit: 1000 }).records.filter((r) => r.seq > seq).sort((a, b) => a.seq - b.seq)
    .map(({ actor, action, targetType, targetId, outcome, details }) => ({ actor, action, targetType, targetId, outcome, details }));
const gateLocked = (channel: ChannelName): Rec => ({
  actor: 'unknown', action: OWN_ACTION[channel] ?? 'call.locked', targetType: 'channel', targetId: channel, outcome: 'failure',
  details: { code: 'locked', role: null, transport: CTX.transport, refusedBy: 'session' },
});
const call = (channel: ChannelName, input: unknown) => router.route({ channel, input, ctx: CTX, trustedSender: true });
const codeOf = (e: Awaited<ReturnType<typeof call>>) => (e.ok ? null : e.error.code);

async function signIn(who: typeof ADA | null) {
  if ((await h.call('session:status', {})).state === 'unlocked') await h.call('session:lock', {});
  if (who) await h.call('session:unlock', { operator: who.name, passphrase: who.passphrase });
}

describe('the tables', () => {
  it('cover the channels that change something: emergency, keys, operators, CA, fleet, approvals among them', () => {
    expect(GATE_CASES.length).toBeGreaterThan(50);
    for (const c of ['emergency:execute', 'keys:migrate', 'ca:init', 'certs:revoke', 'operators:add', 'operators:remove', 'approvals:approve', 'backup:restore'] as const) {
      expect([c, GATE_CASES.includes(c)]).toEqual([c, true]);
    }
    for (const c of Object.keys(SERVICE_RECORDS)) expect([c, CHANGING.includes(c as ChannelName) || CHANNEL_ACCESS[c as ChannelName] === 'read']).toEqual([c, true]);
  });
});

describe('a locked refusal of every channel that changes something: exactly one record, the gate\'s', () => {
  it.each(GATE_CASES)('%s', async (channel) => {
    await signIn(null);
    h.console.access.flush();
    const before = headSeq();
    const envelope = await call(channel, withSecret(channel));
    expect(codeOf(envelope)).toBe('locked');
    expect(since(before)).toEqual([gateLocked(channel)]);
  });
});

describe('the services that record their own locked refusal: exactly one record, theirs', () => {
  it.each(Object.entries(SERVICE_RECORDS) as Array<[ChannelName, string]>)('%s', async (channel, action) => {
    await signIn(null);
    h.console.access.flush();
    const before = headSeq();
    const envelope = await call(channel, withSecret(channel, ['passphrase']));
    expect(codeOf(envelope)).toBe('locked');
    // (a locked key.rotate still raises its rotation alert: the record is the key service's, as before)
    const records = since(before).filter((r) => r.action !== 'alert.raise');
    expect(records.map((r) => [r.actor, r.action, r.outcome, r.details.code, r.details.refusedBy])).toEqual([['unknown', action, 'failure', 'locked', undefined]]);
    if (KEY_SERVICE[channel] !== undefined) {
      const keyId = typeof VALID[channel].keyId === 'string' ? VALID[channel].keyId : null;
      expect(records).toEqual([{ actor: 'unknown', action, targetType: 'key', targetId: keyId, outcome: 'failure', details: { code: 'locked' } }]);
    }
  });
});

describe('reads refused locked: no record of the gate (a service may record its own failure)', () => {
  const READS = (Object.keys(CHANNEL_ACCESS) as ChannelName[]).filter((c) => isRead(c) && SERVICE_RECORDS[c] === undefined);
  it.each(READS)('%s', async (channel) => {
    await signIn(null);
    h.console.access.flush();
    const before = headSeq();
    const envelope = await call(channel, VALID[channel]);
    // (some reads answer without a session, e.g. a status)
    expect(envelope.ok || envelope.error.code === 'locked').toBe(true);
    const own = READ_SERVICE_RECORDS[channel];
    expect(since(before).map((r) => [r.action, r.details.code])).toEqual(own === undefined ? [] : [[own, 'locked']]);
  });
});

describe('floods are coalesced', () => {
  it('300 locked keys:encrypt calls: the key service\'s record once, then one with the count', async () => {
    await signIn(null);
    h.console.access.flush();
    const before = headSeq();
    const at = new Date(timers.clock.now()).toISOString();
    for (let i = 0; i < 300; i++) expect(codeOf(await call('keys:encrypt', VALID['keys:encrypt']))).toBe('locked');
    const first: Rec = { actor: 'unknown', action: 'key.encrypt', targetType: 'key', targetId: VALID['keys:encrypt'].keyId as string, outcome: 'failure', details: { code: 'locked' } };
    expect(since(before)).toEqual([first]);
    await timers.advance(WINDOW_MS);
    expect(since(before)).toEqual([first, { ...first, details: { code: 'locked', repeated: 299, sinceSeq: before + 1, from: at, to: at } }]);
  });

  it('only locked failures are coalesced: a signed-in key operation that fails writes one record per call', async () => {
    await signIn(CARL);
    h.console.access.flush();
    const before = headSeq();
    const codes: Array<string | null> = [];
    for (let i = 0; i < 3; i++) codes.push(codeOf(await call('keys:encrypt', VALID['keys:encrypt'])));
    expect(codes.every((c) => c !== null && c !== 'locked')).toBe(true);
    const records = since(before).filter((r) => r.action === 'key.encrypt');
    expect(records.map((r) => [r.actor, r.outcome, r.details.code, r.details.repeated])).toEqual(codes.map((c) => [CARL.name, 'failure', c, undefined]));
    await timers.advance(WINDOW_MS);
    expect(since(before).filter((r) => r.action === 'key.encrypt')).toHaveLength(3);
    await signIn(null);
  });

  it('300 locked ca:init calls: the gate\'s record once, then one with the count', async () => {
    await signIn(null);
    h.console.access.flush();
    const before = headSeq();
    const at = new Date(timers.clock.now()).toISOString();
    for (let i = 0; i < 300; i++) expect(codeOf(await call('ca:init', VALID['ca:init']))).toBe('locked');
    expect(since(before)).toEqual([gateLocked('ca:init')]);
    await timers.advance(WINDOW_MS);
    expect(since(before)).toEqual([gateLocked('ca:init'), { ...gateLocked('ca:init'), details: { ...gateLocked('ca:init').details, repeated: 299, sinceSeq: before + 1, from: at, to: at } }]);
  });

  it('300 access.denied calls: the first at once with its one alert, the rest counted (no second alert)', async () => {
    await signIn(CARL);
    h.console.access.flush();
    const before = headSeq();
    const at = new Date(timers.clock.now()).toISOString();
    for (let i = 0; i < 300; i++) expect(codeOf(await call('operators:add', withSecret('operators:add')))).toBe('forbidden');
    const denied: Rec = {
      actor: CARL.name, action: 'access.denied', targetType: 'channel', targetId: 'operators:add', outcome: 'failure',
      details: { code: 'forbidden', role: 'key_custodian', needs: 'admin', transport: CTX.transport },
    };
    const alert = {
      actor: 'system', action: 'alert.raise', targetType: null, targetId: expect.any(String) as string, outcome: 'success',
      details: expect.objectContaining({ kind: 'unauthorized_access', sourceSeq: before + 1 }) as Record<string, unknown>,
    };
    expect(since(before)).toEqual([denied, alert]);
    await timers.advance(WINDOW_MS);
    expect(since(before)).toEqual([denied, alert, { ...denied, details: { ...denied.details, repeated: 299, sinceSeq: before + 1, from: at, to: at } }]);
  });
});

describe('the sentinel secret', () => {
  it('is in no audit record, no log entry and no byte of the database files', () => {
    const records = h.console.audit.query({ offset: 0, limit: 1000 }).records;
    expect(records.length).toBeGreaterThan(GATE_CASES.length);
    expect(JSON.stringify(records)).not.toContain(SECRET);
    expect(JSON.stringify(h.logger.entries)).not.toContain(SECRET);
    const files = readdirSync(h.dir).filter((f) => f.includes('.db') || f.includes('sqlite'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect([f, readFileSync(join(h.dir, f)).includes(SECRET_BYTES)]).toEqual([f, false]);
  });
});
