// The access gate's record of an input refused by a channel's schema (electron/services/operators/accessGate.ts,
// docs/emergency-response.md "Audit"): the emergency operations' channels, each under its operation's action, written
// here from the docs (not read from AUDITED_INPUT_REFUSALS); every other channel writes nothing.
import { describe, expect, it } from 'vitest';
import { CHANNELS, type ChannelName } from '../../shared/contract.ts';
import type { AuditEntry } from '../../electron/services/audit/auditLog.ts';
import { createAccessGate } from '../../electron/services/operators/accessGate.ts';

const ACTIONS: Partial<Record<ChannelName, string>> = {
  'emergency:lockdownOrder': 'lockdown.order',
  'emergency:execute': 'emergency.execute',
  'emergency:retry': 'emergency.retry',
};

function gateFor(role: 'security_officer' | null) {
  const entries: AuditEntry[] = [];
  const gate = createAccessGate({
    session: { role: () => role, actor: () => (role ? 'Officer Ada' : 'unknown') },
    audit: { append: (e) => (entries.push(e), { ...e, seq: entries.length, ts: '2026-12-05T00:00:00.000Z', hash: '' }) as never },
  });
  return { gate, entries };
}

describe('accessGate.refusedInput', () => {
  it.each(CHANNELS)('%s', (channel) => {
    const { gate, entries } = gateFor('security_officer');
    gate.refusedInput(channel, { transport: 'cli' }, { code: 'invalid_input', message: 'Invalid input: reason: S3CRET', details: { field: 'reason' } });
    const action = ACTIONS[channel];
    expect(entries).toEqual(action === undefined ? [] : [{
      actor: 'Officer Ada', action, targetType: 'channel', targetId: channel, outcome: 'failure',
      details: { code: 'invalid_input', field: 'reason', role: 'security_officer', transport: 'cli', refusedBy: 'schema' },
    }]);
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
