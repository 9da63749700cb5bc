// The access gate's decision and the refusal it throws (electron/services/operators/accessGate.ts; docs/operators.md
// "Roles", docs/audit-log.md "Refused inputs and locked calls"), beyond access-gate-refused-input.test.ts. Written from
// the docs as tables, not read from shared/permissions.ts: an allowed call passes without a record; a refused one is a
// `forbidden` error naming the role, the channel and the permission it lacks, and one access.denied record.
import { describe, expect, it } from 'vitest';
import type { ChannelName } from '../../shared/contract.ts';
import type { OperatorRole } from '../../shared/operatorsContract.ts';
import type { AuditEntry } from '../../electron/services/audit/auditLog.ts';
import { createAccessGate, type AccessGateDeps } from '../../electron/services/operators/accessGate.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { manualTimers } from './provider-testkit.ts';

function gateFor(role: OperatorRole | null, extra: Partial<AccessGateDeps> = {}, append?: (e: AuditEntry) => void) {
  const entries: AuditEntry[] = [];
  const timers = manualTimers();
  const gate = createAccessGate({
    session: { role: () => role, actor: () => (role ? 'Operator Ada' : 'unknown') },
    audit: { append: (e) => (append?.(e), entries.push(e), { ...e, seq: entries.length, ts: '2026-12-06T00:00:00.000Z', hash: '' }) as never },
    clock: timers.clock,
    timers,
    ...extra,
  });
  return { gate, entries, timers };
}

// docs/operators.md: viewer reads; station operator reads and provisions; key custodian reads and manages keys;
// security officer reads and holds security; admin holds everything. The open channels need no one signed in, the
// signed-in ones any operator. A key marked compromised is the security officer's, any other state change the key
// custodian's.
const ALLOWED: Array<[OperatorRole, ChannelName, unknown]> = [
  ['viewer', 'keys:list', undefined],
  ['viewer', 'session:status', undefined],
  ['viewer', 'session:lock', undefined],
  ['viewer', 'operators:changePassphrase', undefined],
  ['key_custodian', 'keys:create', undefined],
  ['key_custodian', 'keys:setState', { keyId: 'K', state: 'suspended', reason: 'r' }],
  ['security_officer', 'keys:setState', { keyId: 'K', state: 'compromised', reason: 'r' }],
  ['admin', 'operators:add', undefined],
  ['admin', 'keys:create', undefined],
];
const REFUSED: Array<[OperatorRole, ChannelName, unknown, string, string]> = [
  ['viewer', 'keys:create', undefined, 'keys', 'Viewer'],
  ['station_operator', 'operators:add', undefined, 'admin', 'Station operator'],
  ['key_custodian', 'operators:remove', undefined, 'admin', 'Key custodian'],
  ['key_custodian', 'keys:setState', { keyId: 'K', state: 'compromised', reason: 'r' }, 'security', 'Key custodian'],
  ['security_officer', 'keys:setState', { keyId: 'K', state: 'suspended', reason: 'r' }, 'keys', 'Security officer'],
];

describe('accessGate.check', () => {
  it.each(ALLOWED)('%s may call %s: no error, no record', (role, channel, parsed) => {
    const { gate, entries } = gateFor(role);
    expect(() => gate.check(channel, { transport: 'electron' }, parsed === undefined ? undefined : { parsed })).not.toThrow();
    expect(entries).toEqual([]);
  });

  it.each(REFUSED)('%s may not call %s: forbidden naming the role, the channel and the permission, one record', (role, channel, parsed, needs, label) => {
    const { gate, entries } = gateFor(role);
    let thrown: unknown;
    try {
      gate.check(channel, { transport: 'browser-host' }, parsed === undefined ? undefined : { parsed });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ code: 'forbidden', details: { role, needs } });
    expect((thrown as Error).message).toBe(`${label} may not call ${channel} (it needs the ${needs} permission).`);
    expect(entries).toEqual([{
      actor: 'Operator Ada', action: 'access.denied', targetType: 'channel', targetId: channel, outcome: 'failure',
      details: { code: 'forbidden', role, needs, transport: 'browser-host' },
    }]);
  });

  it('role() is the signed-in operator\'s role, null when no one is', () => {
    expect(gateFor('key_custodian').gate.role()).toBe('key_custodian');
    expect(gateFor(null).gate.role()).toBeNull();
  });
});

describe('the coalescing window the gate is given', () => {
  const bad = { code: 'invalid_input' as const, message: 'Invalid input', details: { field: 'limit' } };

  it('default one minute (AccessGateDeps): the count is written when the minute ends, not before', async () => {
    const { gate, entries, timers } = gateFor('viewer');
    gate.refusedInput('fleet:list', { transport: 'electron' }, bad);
    gate.refusedInput('fleet:list', { transport: 'electron' }, bad);
    await timers.advance(59_999);
    expect(entries).toHaveLength(1);
    await timers.advance(1);
    expect(entries.map((e) => e.details?.repeated ?? 0)).toEqual([0, 1]);
  });

  it('a window of 5 s: the count is written after 5 s', async () => {
    const { gate, entries, timers } = gateFor('viewer', { refusalWindowMs: 5_000 });
    gate.refusedInput('fleet:list', { transport: 'electron' }, bad);
    gate.refusedInput('fleet:list', { transport: 'electron' }, bad);
    await timers.advance(4_999);
    expect(entries).toHaveLength(1);
    await timers.advance(1);
    expect(entries.map((e) => e.details?.repeated ?? 0)).toEqual([0, 1]);
  });

  it('a count record that cannot be written is logged to the logger given (a timer has no caller to throw to)', async () => {
    const logger = createMemoryLogger();
    let calls = 0;
    const { gate, timers } = gateFor('viewer', { logger }, () => {
      if (++calls === 2) throw new Error('disk full');
    });
    gate.refusedInput('fleet:list', { transport: 'electron' }, bad);
    gate.refusedInput('fleet:list', { transport: 'electron' }, bad);
    await timers.advance(60_000);
    expect(logger.entries.filter((e) => e.level === 'error')).toHaveLength(1);
  });
});

describe('what a record may carry', () => {
  // docs/audit-log.md: field names and array indexes are kept; an index is up to 9 digits.
  it.each([['lockdown.actions.12', 'lockdown.actions.12'], ['items.123456789', 'items.123456789'], ['items.1x', 'items.?']])('field %s is recorded as %s', (field, expected) => {
    const { gate, entries } = gateFor('viewer');
    gate.refusedInput('fleet:list', { transport: 'cli' }, { code: 'invalid_input', message: 'x', details: { field } });
    expect(entries[0]!.details!.field).toBe(expected);
  });

  it('a field that is not text is left out (only a path of names reaches the audit)', () => {
    const { gate, entries } = gateFor('viewer');
    gate.refusedInput('fleet:list', { transport: 'cli' }, { code: 'invalid_input', message: 'x', details: { field: 42 } });
    expect(entries[0]!.details).toEqual({ code: 'invalid_input', role: 'viewer', transport: 'cli', refusedBy: 'schema' });
  });

  it('the CLI\'s refusal: the key id cut to 200 characters, the message to 500, the field path cleaned', () => {
    const { gate, entries } = gateFor('key_custodian');
    const id = 'K'.repeat(300);
    const message = 'm'.repeat(700);
    gate.refusedByCli('keys:backup', { type: 'key', id }, { code: 'invalid_input', message, details: { field: 'out.has space' } });
    expect(entries).toEqual([{
      actor: 'Operator Ada', action: 'key.backup', targetType: 'key', targetId: 'K'.repeat(200), outcome: 'failure',
      details: { code: 'invalid_input', refusal: 'm'.repeat(500), field: 'out.?', refusedBy: 'cli' },
    }]);
  });

  it('the CLI\'s refusals that cannot be recorded say why: no one signed in (unlock first), a channel of no key operation', () => {
    expect(() => gateFor(null).gate.refusedByCli('keys:sign', { type: 'key', id: 'K' }, { code: 'invalid_input', message: 'x' }))
      .toThrow(expect.objectContaining({ code: 'locked', message: expect.stringMatching(/locked.*unlock/) }));
    expect(() => gateFor('admin').gate.refusedByCli('fleet:list', { type: 'key', id: 'K' }, { code: 'invalid_input', message: 'x' }))
      .toThrow(expect.objectContaining({ code: 'internal', message: expect.stringContaining('fleet:list') }));
  });
});
