// The compliance report's per-request approvals table (docs/compliance-report.md, section 6): one row per approval
// request with any approval.* record in the period (made, approved, denied, executed, expired there), with its id,
// action, requester, approvers, outcome (now) and times. The PDF's text (pdftotext -layout) is checked against the
// store as the approvals channel reads it: an executed, a denied and a pending request on day 1; one made on day 2
// that a day-1 report leaves out; and one made on day 1 but approved and executed on day 2, which both list.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { contractCaller, failure } from './support/consoleCalls.ts';
import { CTX, open, PASSPHRASE, removeTempDirs, tempDir } from '../unit/store-testkit.ts';

const pass = (name: string) => `${name} has a long passphrase`;
const clock = manualClock(Date.parse('2026-06-01T08:00:00Z'));
const work = tempDir('ecps-report-approvals-');
let c: FleetConsole;
const call = contractCaller(() => c);
const ids: Record<string, string> = {};

async function signIn(name: string): Promise<void> {
  await c.handlers['session:lock']({}, CTX);
  await c.handlers['session:unlock']({ operator: name, passphrase: name === 'alice' ? PASSPHRASE : pass(name) }, CTX);
}
const requestRemoval = async (name: string) => (await failure(call('operators:remove', { name }))).details.requestId as string;

async function pdfTextOf(from: string, to: string): Promise<string> {
  const report = await call('report:generate', { from, to, format: 'pdf' });
  const file = join(work, `report-${from}-${to}.pdf`);
  writeFileSync(file, Buffer.from(report.content, 'base64'));
  return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
}

beforeAll(async () => {
  c = await open(join(work, 'store'), { clock, rotation: { scheduler: false } });
  await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
  for (const name of ['Kate', 'Vera', 'Sam', 'Tim', 'Ulla', 'Wim']) await call('operators:add', { name, role: name === 'Kate' ? 'key_custodian' : 'viewer', passphrase: pass(name) });
  ids.executed = await requestRemoval('Vera');
  clock.advance(60_000);
  ids.denied = await requestRemoval('Sam');
  clock.advance(60_000);
  ids.pending = await requestRemoval('Tim');
  clock.advance(60_000);
  ids.lateExecuted = await requestRemoval('Wim');
  await signIn('Kate');
  clock.advance(60_000);
  await call('approvals:approve', { requestId: ids.executed });
  await call('approvals:deny', { requestId: ids.denied, reason: 'Sam stays' });
  await signIn('alice');
  clock.advance(60_000);
  await call('approvals:execute', { requestId: ids.executed });
  clock.set(Date.parse('2026-06-02T07:00:00Z')); // day 2, before day 1's requests expire
  ids.nextDay = await requestRemoval('Ulla');
  // Day 1's request for Wim, approved and executed on day 2.
  await signIn('Kate');
  clock.advance(60_000);
  await call('approvals:approve', { requestId: ids.lateExecuted });
  await signIn('alice');
  clock.advance(60_000);
  await call('approvals:execute', { requestId: ids.lateExecuted });
});

afterAll(() => {
  c.close();
  removeTempDirs();
});

describe('the approvals table of the compliance report', () => {
  it('lists each request of the period with its action, requester, approvers, outcome and times, as the store has them', async () => {
    const text = await pdfTextOf('2026-06-01', '2026-06-01');
    const stored = (await call('approvals:list', { open: false })).requests;
    const denial = c.audit.query({ action: 'approval.deny', limit: 5 }).records.find((r) => r.targetId === ids.denied)!;
    // What each row must say, from the store: [id, action, requester, approvers, outcome, requested, closed, closed by].
    const expected = (['executed', 'denied', 'pending'] as const).map((k) => {
      const r = stored.find((s) => s.id === ids[k])!;
      expect(r.state).toBe(k);
      const closed = k === 'executed' ? [r.executedAt!, r.executedBy!] : k === 'denied' ? [denial.ts, r.decidedBy!] : [];
      return [r.id, 'operator.remove', r.requester, r.approvals.map((a) => a.approver).join(' ') || '-', r.state, r.createdAt, ...closed];
    });
    expect(expected[0]!.slice(3, 5)).toEqual(['Kate', 'executed']);
    const lines = text.split('\n');
    for (const cells of expected) {
      const line = lines.find((l) => l.trim().startsWith(cells[0]!)); // its row (the id is also in an operator change's Approval)
      expect(line, `a row for ${cells[0]}`).toBeDefined();
      expect(line!.trim().split(/\s{2,}/)).toEqual(cells);
    }
    expect(text).toContain('Approval requests with any approval record in the period (state now)');
    expect(text, 'a request made on day 2 is not in a day-1 report').not.toContain(ids.nextDay);
  });

  it('a report of day 2 lists the request made that day and the day-1 request executed that day, not the others', async () => {
    const text = await pdfTextOf('2026-06-02', '2026-06-02');
    expect(text).toContain(ids.nextDay);
    const r = (await call('approvals:list', { open: false })).requests.find((s) => s.id === ids.lateExecuted)!;
    expect([r.state, r.createdAt.slice(0, 10), r.executedAt?.slice(0, 10)]).toEqual(['executed', '2026-06-01', '2026-06-02']);
    const line = text.split('\n').find((l) => l.trim().startsWith(ids.lateExecuted!));
    expect(line, 'a row for the day-1 request executed on day 2').toBeDefined();
    expect(line!.trim().split(/\s{2,}/)).toEqual([r.id, 'operator.remove', 'alice', 'Kate', 'executed', r.createdAt, r.executedAt, r.executedBy]);
    for (const k of ['executed', 'denied', 'pending']) expect(text, `${k}: no record of it on day 2`).not.toContain(ids[k]);
  });

  it('a report of day 1 lists the day-1 request executed later too, with its state now', async () => {
    const text = await pdfTextOf('2026-06-01', '2026-06-01');
    const line = text.split('\n').find((l) => l.trim().startsWith(ids.lateExecuted!));
    expect(line?.trim().split(/\s{2,}/).slice(1, 5)).toEqual(['operator.remove', 'alice', 'Kate', 'executed']);
  });
});
