// The access gate's records of refusals the router sees (electron/services/operators/accessGate.ts, docs/audit-log.md
// "Refused inputs and locked calls", docs/emergency-response.md "Audit"). Written here from the docs, not read from
// REFUSAL_ACTIONS / SELF_AUDITED_LOCKED: an input refused by a channel's schema is audited for every channel, under the
// operation's action for the emergency and key operations and as input.refused for every other channel; a call
// refused `locked` while no one is signed in is audited for every channel that changes something (under the
// operation's action, else call.locked) but those whose service records its own; the CLI's refusal of a key operation is audited under its operation, signed in only.
import { describe, expect, it } from 'vitest';
import { CHANNELS, type ChannelName } from '../../shared/contract.ts';
import { CHANNEL_ACCESS } from '../../shared/permissions.ts';
import type { AuditEntry } from '../../electron/services/audit/auditLog.ts';
import { createAccessGate } from '../../electron/services/operators/accessGate.ts';
import { manualTimers } from './provider-testkit.ts';

/** docs/audit-log.md: the operations whose every refusal is recorded under their own action. */
const ACTIONS: Partial<Record<ChannelName, string>> = {
  'emergency:lockdownOrder': 'lockdown.order',
  'emergency:execute': 'emergency.execute',
  'emergency:retry': 'emergency.retry',
  'emergency:review': 'emergency.review',
  'keys:create': 'key.create',
  'keys:rotate': 'key.rotate',
  'keys:setState': 'key.state',
  'keys:encrypt': 'key.encrypt',
  'keys:decrypt': 'key.decrypt',
  'keys:sign': 'key.sign',
  'keys:verify': 'key.verify',
  'keys:publicKey': 'key.export_public',
  'keys:verifyIntegrity': 'key.verify_integrity',
  'keys:backup': 'key.backup',
  'keys:verifyBackup': 'key.verify_backup',
  'keys:migrate': 'key.migrate',
};
/** docs/audit-log.md: the channels whose `locked` refusal the gate records (their handlers do not). */
/**
 * docs/audit-log.md: a locked refusal is the gate's to record for every channel that changes something, except the
 * reads (permission `read`, the open channels, the signed-in reads) and the channels whose service records its own.
 */
const READS: ReadonlySet<ChannelName> = new Set<ChannelName>([
  ...(Object.keys(CHANNEL_ACCESS) as ChannelName[]).filter((c) => CHANNEL_ACCESS[c] === 'read' || CHANNEL_ACCESS[c] === 'open'),
  'session:info', 'operators:tokenSlots', 'operators:recoveryReminder',
]);
const SERVICE_RECORDS_LOCKED: ReadonlySet<ChannelName> = new Set<ChannelName>([
  'keys:create', 'keys:rotate', 'keys:setState', 'keys:encrypt', 'keys:decrypt', 'keys:sign', 'keys:verify', 'keys:publicKey', 'keys:verifyIntegrity',
  'keys:backup', 'keys:verifyBackup', 'session:changePassphrase', 'operators:changePassphrase',
  'providers:save', 'providers:test', 'providers:slots', 'providers:remove',
  'fleet:create', 'fleet:update', 'fleet:importCsv', 'fleet:assignKey', 'fleet:clearKeyAssignment', 'fleet:setStatus', 'bundles:build',
  'rollout:halt', 'rollout:resume', 'rollout:retire', 'rollout:reinstate', 'rollout:setPolicy', 'rollout:clearPolicy',
]);
const LOCKED: readonly ChannelName[] = CHANNELS.filter((c) => !READS.has(c) && !SERVICE_RECORDS_LOCKED.has(c));

function gateFor(role: 'security_officer' | null) {
  const entries: AuditEntry[] = [];
  const timers = manualTimers();
  const gate = createAccessGate({
    session: { role: () => role, actor: () => (role ? 'Officer Ada' : 'unknown') },
    audit: { append: (e) => (entries.push(e), { ...e, seq: entries.length, ts: '2026-12-05T00:00:00.000Z', hash: '' }) as never },
    clock: timers.clock,
    timers,
    refusalWindowMs: 60_000,
  });
  return { gate, entries, timers };
}

describe('accessGate.refusedInput: every channel', () => {
  it.each(CHANNELS)('%s', (channel) => {
    const { gate, entries } = gateFor('security_officer');
    gate.refusedInput(channel, { transport: 'cli' }, { code: 'invalid_input', message: 'Invalid input: reason: S3CRET', details: { field: 'reason' } });
    expect(entries).toEqual([{
      actor: 'Officer Ada', action: ACTIONS[channel] ?? 'input.refused', targetType: 'channel', targetId: channel, outcome: 'failure',
      details: { code: 'invalid_input', field: 'reason', role: 'security_officer', transport: 'cli', refusedBy: 'schema' },
    }]);
    expect(JSON.stringify(entries)).not.toContain('S3CRET');
  });

  it('no one signed in: the record names no one; an error without a field has none', () => {
    const { gate, entries } = gateFor(null);
    gate.refusedInput('emergency:execute', { transport: 'browser-host' }, { code: 'invalid_input', message: 'Invalid input' });
    expect(entries).toEqual([{
      actor: 'unknown', action: 'emergency.execute', targetType: 'channel', targetId: 'emergency:execute', outcome: 'failure',
      details: { code: 'invalid_input', role: null, transport: 'browser-host', refusedBy: 'schema' },
    }]);
  });
});

describe('the field path in a record: field names and indexes kept, any other segment (caller-chosen text) written ?', () => {
  it.each([
    ['reason', 'reason'],
    ['(input)', '(input)'],
    ['config.provider', 'config.provider'],
    ['lockdown.actions.0', 'lockdown.actions.0'],
    ['config.Refusal-Secret-1', 'config.?'],
    ['config.has space', 'config.?'],
    ['config.abcdefghijabcdefghijabcdefghijabcdefghij…', 'config.?'],
    ['config.a23456789012345678901234567890123', 'config.?'],
    ['config.a2345678901234567890123456789012', 'config.a2345678901234567890123456789012'],
    ['items.1234567890', 'items.?'],
  ])('%s -> %s', (field, expected) => {
    const { gate, entries } = gateFor('security_officer');
    gate.refusedInput('providers:save', { transport: 'cli' }, { code: 'invalid_input', message: 'x', details: { field } });
    expect(entries[0]!.details!.field).toBe(expected);
  });
});

describe('accessGate.refusedLocked', () => {
  it.each(CHANNELS)('%s, no one signed in', (channel) => {
    const { gate, entries } = gateFor(null);
    gate.refusedLocked(channel, { transport: 'electron' }, { code: 'locked', message: 'The key store is locked' });
    expect(entries).toEqual(LOCKED.includes(channel) ? [{
      actor: 'unknown', action: ACTIONS[channel] ?? 'call.locked', targetType: 'channel', targetId: channel, outcome: 'failure',
      details: { code: 'locked', role: null, transport: 'electron', refusedBy: 'session' },
    }] : []);
  });

  it('someone signed in: a locked answer is not a refusal for want of a session, no record', () => {
    const { gate, entries } = gateFor('security_officer');
    for (const channel of LOCKED) gate.refusedLocked(channel, { transport: 'electron' }, { code: 'locked', message: 'The console is closing.' });
    expect(entries).toEqual([]);
  });
});

describe('accessGate.refusedByCli', () => {
  it('one record of the operation, the key as target, the message and field, refusedBy cli', () => {
    const { gate, entries } = gateFor('security_officer');
    gate.refusedByCli('keys:sign', { type: 'key', id: 'K-1' }, { code: 'invalid_input', message: 'Output file /tmp/x.sig exists', details: { field: 'out' } });
    expect(entries).toEqual([{
      actor: 'Officer Ada', action: 'key.sign', targetType: 'key', targetId: 'K-1', outcome: 'failure',
      details: { code: 'invalid_input', refusal: 'Output file /tmp/x.sig exists', field: 'out', refusedBy: 'cli' },
    }]);
  });

  it('no one signed in: locked, nothing written (the CLI signs in first); a channel of no operation: internal', () => {
    const locked = gateFor(null);
    expect(() => locked.gate.refusedByCli('keys:sign', { type: 'key', id: 'K-1' }, { code: 'invalid_input', message: 'x' })).toThrow(expect.objectContaining({ code: 'locked' }));
    const other = gateFor('security_officer');
    expect(() => other.gate.refusedByCli('fleet:list', { type: 'key', id: 'K-1' }, { code: 'invalid_input', message: 'x' })).toThrow(expect.objectContaining({ code: 'internal' }));
    expect([...locked.entries, ...other.entries]).toEqual([]);
  });
});

describe('a flood of refusals is coalesced: one record per kind per window, then one with the count (docs/audit-log.md)', () => {
  const bad = (field: string) => ({ code: 'invalid_input' as const, message: 'Invalid input', details: { field } });
  const T0 = Date.parse('2026-01-01T00:00:00Z');
  const iso = (ms: number) => new Date(T0 + ms).toISOString();

  it('1,000 bad calls of one channel within a window: the first record, then one counting the other 999 when the window ends', async () => {
    const { gate, entries, timers } = gateFor('security_officer');
    for (let i = 0; i < 1000; i++) gate.refusedInput('keys:encrypt', { transport: 'electron' }, bad(i % 2 ? 'plaintext' : 'keyId'));
    expect(entries).toHaveLength(1);
    await timers.advance(59_999);
    expect(entries).toHaveLength(1);
    await timers.advance(1);
    expect(entries).toEqual([
      { actor: 'Officer Ada', action: 'key.encrypt', targetType: 'channel', targetId: 'keys:encrypt', outcome: 'failure',
        details: { code: 'invalid_input', field: 'keyId', role: 'security_officer', transport: 'electron', refusedBy: 'schema' } },
      { actor: 'Officer Ada', action: 'key.encrypt', targetType: 'channel', targetId: 'keys:encrypt', outcome: 'failure',
        details: { code: 'invalid_input', role: 'security_officer', transport: 'electron', refusedBy: 'schema', repeated: 999, sinceSeq: 1, from: iso(0), to: iso(0) } },
    ]);
    // The window is over: the next refusal is written at once again.
    gate.refusedInput('keys:encrypt', { transport: 'electron' }, bad('aad'));
    expect(entries).toHaveLength(3);
    expect(entries[2]!.details).toEqual({ code: 'invalid_input', field: 'aad', role: 'security_officer', transport: 'electron', refusedBy: 'schema' });
  });

  it('kinds are kept apart: another channel, another transport, a locked refusal each open their own window', async () => {
    const { gate, entries, timers } = gateFor(null);
    gate.refusedInput('fleet:list', { transport: 'electron' }, bad('limit'));
    gate.refusedInput('fleet:list', { transport: 'browser-host' }, bad('limit'));
    gate.refusedInput('fleet:get', { transport: 'electron' }, bad('deviceId'));
    gate.refusedLocked('emergency:execute', { transport: 'electron' }, { code: 'locked', message: 'locked' });
    await timers.advance(10_000);
    gate.refusedInput('fleet:list', { transport: 'electron' }, bad('limit'));
    gate.refusedLocked('emergency:execute', { transport: 'electron' }, { code: 'locked', message: 'locked' });
    gate.refusedLocked('emergency:execute', { transport: 'electron' }, { code: 'locked', message: 'locked' });
    expect(entries.map((e) => [e.action, e.targetId, e.details?.transport])).toEqual([
      ['input.refused', 'fleet:list', 'electron'], ['input.refused', 'fleet:list', 'browser-host'], ['input.refused', 'fleet:get', 'electron'], ['emergency.execute', 'emergency:execute', 'electron'],
    ]);
    await timers.advance(50_000);
    expect(entries.slice(4).map((e) => [e.action, e.targetId, e.details?.repeated, e.details?.sinceSeq, e.details?.from, e.details?.to])).toEqual([
      ['input.refused', 'fleet:list', 1, 1, iso(0), iso(10_000)],
      ['emergency.execute', 'emergency:execute', 2, 4, iso(0), iso(10_000)],
    ]);
    expect(timers.pending()).toBe(0);
  });

  it('close writes the counts at once and records nothing after it (the database is closing)', () => {
    const { gate, entries, timers } = gateFor('security_officer');
    gate.refusedInput('keys:sign', { transport: 'electron' }, bad('data'));
    gate.refusedInput('keys:sign', { transport: 'electron' }, bad('data'));
    gate.close();
    gate.refusedInput('keys:sign', { transport: 'electron' }, bad('data'));
    expect(entries.map((e) => e.details?.repeated ?? 0)).toEqual([0, 1]);
    expect(timers.pending()).toBe(0);
  });

  it('flush writes the counts and opens new windows', () => {
    const { gate, entries } = gateFor('security_officer');
    gate.refusedInput('keys:sign', { transport: 'electron' }, bad('data'));
    gate.refusedInput('keys:sign', { transport: 'electron' }, bad('data'));
    gate.flush();
    gate.refusedInput('keys:sign', { transport: 'electron' }, bad('data'));
    expect(entries.map((e) => e.details?.repeated ?? 0)).toEqual([0, 1, 0]);
  });
});

describe('access.denied and the key services\' locked failures are coalesced the same way (docs/audit-log.md)', () => {
  const T0 = Date.parse('2026-01-01T00:00:00Z');
  const iso = (ms: number) => new Date(T0 + ms).toISOString();
  const denied = (needs: string) => ({
    actor: 'Officer Ada', action: 'access.denied', targetType: 'channel', targetId: 'keys:create', outcome: 'failure',
    details: { code: 'forbidden', role: 'security_officer', needs, transport: 'electron' },
  });

  it('500 forbidden calls of one channel: every call refused, the first recorded at once, one record counting the rest', async () => {
    const { gate, entries, timers } = gateFor('security_officer');
    for (let i = 0; i < 500; i++) expect(() => gate.check('keys:create', { transport: 'electron' })).toThrow(expect.objectContaining({ code: 'forbidden' }));
    expect(entries).toEqual([denied('keys')]);
    await timers.advance(60_000);
    expect(entries).toEqual([denied('keys'), { ...denied('keys'), details: { ...denied('keys').details, repeated: 499, sinceSeq: 1, from: iso(0), to: iso(0) } }]);
  });

  it('denials of one channel are one kind whatever the input; another channel is another kind', () => {
    const { gate, entries } = gateFor('security_officer');
    expect(() => gate.check('keys:setState', { transport: 'electron' }, { parsed: { keyId: 'K', state: 'suspended', reason: 'r' } })).toThrow();
    expect(() => gate.check('keys:setState', { transport: 'electron' }, { parsed: { keyId: 'K', state: 'disabled', reason: 'r' } })).toThrow();
    expect(() => gate.check('operators:add', { transport: 'electron' })).toThrow();
    expect(entries.map((e) => [e.targetId, e.details?.needs])).toEqual([['keys:setState', 'keys'], ['operators:add', 'admin']]);
  });

  it('a key service\'s own locked failure (recordRefusal): the first at once, the rest counted per key', async () => {
    const { gate, entries, timers } = gateFor(null);
    const failure = (keyId: string) => ({ actor: 'unknown', action: 'key.sign', targetType: 'key' as const, targetId: keyId, outcome: 'failure' as const, details: { code: 'locked' } });
    for (let i = 0; i < 10; i++) gate.recordRefusal(failure('K-1'));
    gate.recordRefusal(failure('K-2'));
    expect(entries).toEqual([failure('K-1'), failure('K-2')]);
    await timers.advance(60_000);
    expect(entries.slice(2)).toEqual([{ ...failure('K-1'), details: { code: 'locked', repeated: 9, sinceSeq: 1, from: iso(0), to: iso(0) } }]);
  });
});
