// reportHistory.ts's rules for what the audit log does not say outright (docs/compliance-report.md "As at the period's
// end"): a key or an operator no record speaks for (an older store) keeps its value now, marked; which key.state
// records changed the state; which approval record a change ran under. Records are written here, as the services
// write them; the expected rows are this file's tables.
import { describe, expect, it } from 'vitest';
import { periodEnd } from '../../electron/services/report/reportHistory.ts';
import type { ReportAuditRow, ReportKeyRow, ReportOperatorRow, ReportPeriod } from '../../electron/store/reportRepo.ts';

const P: ReportPeriod = { from: '2026-05-01T00:00:00.000Z', to: '2026-05-31T23:59:59.999Z', fromMs: Date.parse('2026-05-01T00:00:00.000Z'), toMs: Date.parse('2026-05-31T23:59:59.999Z') };
const BEFORE = '2026-04-10T10:00:00.000Z';
const INSIDE = '2026-05-10T10:00:00.000Z';
const AFTER = '2026-06-10T10:00:00.000Z';

let seq = 0;
const rec = (ts: string, action: string, targetId: string | null, details: Record<string, unknown>, outcome = 'success', actor = 'ada'): ReportAuditRow => ({
  seq: ++seq, ts, actor, action, targetId, outcome, details: JSON.stringify(details),
});
const op = (name: string, role: string, createdAt = BEFORE): ReportOperatorRow => ({ name, role, createdAt, createdBy: 'ada' });
const key = (id: string, state: string): ReportKeyRow => ({ id, label: id, type: 'storage', algorithm: 'AES_256', state, provider: 'local', currentVersion: 1, createdAt: BEFORE });

describe('the period\'s end from the audit log', () => {
  it('an operator or a key no record speaks for keeps its value now, marked; one made after the end without a record is left out', () => {
    const end = periodEnd([rec(BEFORE, 'store.init', 'store', { role: 'admin' })], P, {
      operators: [op('ada', 'admin'), op('old timer', 'key_custodian'), op('newcomer', 'viewer', AFTER)],
      keys: [key('k-legacy', 'suspended')],
    });
    expect(end.operators.map((o) => [o.name, o.role, o.from])).toEqual([['ada', 'admin', 'audit'], ['old timer', 'key_custodian', 'now, unaudited']]);
    expect(end.keys.map((k) => [k.id, k.state, k.from])).toEqual([['k-legacy', 'suspended', 'now, unaudited']]);
  });

  it('an operator removed after the end by a record without the role: listed, the role not recorded', () => {
    const end = periodEnd([rec(BEFORE, 'operator.add', 'bo', { role: 'viewer' }), rec(AFTER, 'operator.remove', 'bo', {})], P, { operators: [], keys: [] });
    expect(end.operators.map((o) => [o.name, o.role, o.createdAt, o.from])).toEqual([['bo', 'not recorded', BEFORE, 'audit']]);
  });

  it('a key.state record changes the state when it succeeded or failed only to reach a location (incomplete), never a retry', () => {
    const records = [
      rec(BEFORE, 'key.create', 'k1', { state: 'active' }),
      rec(BEFORE, 'key.create', 'k2', { state: 'active' }),
      rec(BEFORE, 'key.create', 'k3', { state: 'pre_activation' }),
      rec(INSIDE, 'key.state', 'k1', { from: 'active', to: 'suspended', code: 'incomplete' }, 'failure'),
      rec(INSIDE, 'key.state', 'k2', { from: 'active', to: 'suspended', code: 'provider_unavailable' }, 'failure'),
      rec(AFTER, 'key.state', 'k1', { from: 'suspended', to: 'suspended', retry: true }),
      rec(AFTER, 'key.state', 'k3', { from: 'pre_activation', to: 'active' }),
    ];
    const end = periodEnd(records, P, { operators: [], keys: [key('k1', 'suspended'), key('k2', 'active'), key('k3', 'active')] });
    expect(end.keys.map((k) => [k.id, k.state, k.from])).toEqual([['k1', 'suspended', 'audit'], ['k2', 'active', 'audit'], ['k3', 'pre_activation', 'audit']]);
  });

  it('a key destroyed before the period is left out; one destroyed in it or after it is listed', () => {
    const records = [
      rec(BEFORE, 'key.state', 'gone', { from: 'deactivated', to: 'destroyed' }),
      rec(INSIDE, 'key.state', 'inside', { from: 'deactivated', to: 'destroyed' }),
      rec(AFTER, 'key.state', 'later', { from: 'deactivated', to: 'destroyed' }),
    ];
    const end = periodEnd(records, P, { operators: [], keys: [key('gone', 'destroyed'), key('inside', 'destroyed'), key('later', 'destroyed')] });
    expect(end.keys.map((k) => [k.id, k.state])).toEqual([['inside', 'destroyed'], ['later', 'deactivated']]);
  });

  it('a change ran under the request whose execution is the next record, or under the waiver of its channel just before it', () => {
    const records = [
      rec(INSIDE, 'approval.waived', null, { action: 'operator.approver', channel: 'operators:add' }),
      rec(INSIDE, 'operator.add', 'cy', { role: 'key_custodian' }),
      rec(INSIDE, 'operator.set_role', 'cy', { from: 'key_custodian', to: 'security_officer' }),
      rec(INSIDE, 'approval.execute', 'req-1', { action: 'operator.approver', channel: 'operators:setRole', approvals: 'bo,di' }),
      rec(INSIDE, 'operator.add', 'ed', { role: 'viewer' }),
      rec(INSIDE, 'key.state', 'k1', { from: 'active', to: 'suspended' }),
      // Not right after ed's addition: it is not what ed was added under.
      rec(INSIDE, 'approval.execute', 'req-2', { action: 'operator.approver', channel: 'operators:add', approvals: 'bo' }),
      rec(INSIDE, 'operator.remove', 'ed', { code: 'forbidden' }, 'failure'),
    ];
    const end = periodEnd(records, P, { operators: [op('cy', 'security_officer', INSIDE)], keys: [] });
    expect(end.changes.map((c) => [c.action, c.operator, c.change, c.outcome, c.approval])).toEqual([
      ['operator.add', 'cy', 'added as key_custodian', 'success', 'waived (no other approver)'],
      ['operator.set_role', 'cy', 'key_custodian -> security_officer', 'success', 'req-1 (bo,di)'],
      ['operator.add', 'ed', 'added as viewer', 'success', 'none'],
      ['operator.remove', 'ed', 'refused: forbidden', 'failure', 'none'],
    ]);
  });

  it('a change whose record names its request is tied to that request, whatever is written between them', () => {
    const records = [
      rec(INSIDE, 'operator.set_role', 'fay', { from: 'viewer', to: 'admin', approvalRequestId: 'req-7' }),
      // Another operation's record lands between the change and its execution record.
      rec(INSIDE, 'key.state', 'k1', { from: 'active', to: 'suspended' }),
      rec(INSIDE, 'approval.execute', 'req-7', { action: 'operator.approver', channel: 'operators:setRole', approvals: 'bo,di' }),
      // A named change is not claimed by the execution of another request that happens to follow it.
      rec(INSIDE, 'operator.remove', 'gus', { role: 'viewer', approvalRequestId: 'req-9' }),
      rec(INSIDE, 'approval.execute', 'req-8', { action: 'operator.remove', channel: 'operators:remove', approvals: 'bo' }),
      rec(INSIDE, 'approval.execute', 'req-9', { action: 'operator.remove', channel: 'operators:remove', approvals: 'di' }),
      // Named, and the execution right after it is another request's (its own is not among the records): not tied.
      rec(INSIDE, 'operator.remove', 'hal', { role: 'viewer', approvalRequestId: 'req-11' }),
      rec(INSIDE, 'approval.execute', 'req-10', { action: 'operator.remove', channel: 'operators:remove', approvals: 'bo' }),
    ];
    const end = periodEnd(records, P, { operators: [op('fay', 'admin', BEFORE)], keys: [] });
    expect(end.changes.map((c) => [c.operator, c.approval])).toEqual([
      ['fay', 'req-7 (bo,di)'],
      ['gus', 'req-9 (di)'],
      ['hal', 'none'],
    ]);
  });

  it("a key's version and provider at the end: the first new version after it says what it had", () => {
    const records = [
      rec(INSIDE, 'key.rotate', 'k1', { version: 2 }),
      rec(AFTER, 'key.rotate', 'k1', { version: 3 }),
      rec(AFTER, 'key.migrate', 'k1', { provider: 'aws-primary', version: 4, fromProvider: 'local' }),
      rec(AFTER, 'rotation.drift_detected', 'k2', { provider: 'aws-primary', adoptedAs: 6, fromVersion: 5 }),
      rec(AFTER, 'key.rotate', 'k2', { version: 7 }),
      rec(AFTER, 'key.rotate', 'k3', { version: 2 }, 'failure'),
    ];
    const now = (id: string, version: number, provider: string): ReportKeyRow => ({ ...key(id, 'active'), currentVersion: version, provider });
    const end = periodEnd(records, P, { operators: [], keys: [now('k1', 4, 'aws-primary'), now('k2', 7, 'aws-primary'), now('k3', 1, 'local')] });
    expect(end.keys.map((k) => [k.id, k.currentVersion, k.provider])).toEqual([['k1', 2, 'local'], ['k2', 5, 'aws-primary'], ['k3', 1, 'local']]);
  });
});
