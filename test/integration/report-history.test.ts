// The compliance report as at the period's end (issue 14, docs/compliance-report.md "As at the period's end"): who held
// which role and which key was in which state when the period ended, reconstructed from the audit log, and the
// period's operator changes with the approvals they ran under. A real console with a hand-moved clock builds a history
// over three days (operators added, a role changed and an operator removed through two-person requests, one added
// under a waiver; keys suspended, reactivated, deactivated and destroyed before, inside and after each period), then
// reports on four periods. The rows expected are the tables below, written from the scenario (never computed by the
// report's code), and are checked in the CSV and in the PDF's text (`pdftotext -layout`).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import type { ChannelInput, ChannelName } from '../../shared/contract.ts';
import { contractCaller, failure } from './support/consoleCalls.ts';
import { CTX, open, PASSPHRASE, removeTempDirs, tempDir } from '../unit/store-testkit.ts';

const pass = (name: string) => `${name} has a long passphrase`;
const t = (day: number, hhmm: string) => `2026-09-0${day}T${hhmm}:00.000Z`;
const clock = manualClock(Date.parse(t(1, '08:00')));
const setClock = (day: number, hhmm: string) => clock.set(Date.parse(t(day, hhmm)));
const work = tempDir('ecps-report-history-');
let c: FleetConsole;
const call = contractCaller(() => c);
const keys: Record<string, string> = {};
const requests: Record<string, string> = {};

async function signIn(name: string): Promise<void> {
  await c.handlers['session:lock']({}, CTX);
  await c.handlers['session:unlock']({ operator: name, passphrase: name === 'alice' ? PASSPHRASE : pass(name) }, CTX);
}

/** A guarded call by alice: requested at hh:00, approved by carol at hh:01, executed by alice at hh:02 (the change's time). */
async function approvedByCarol<C extends ChannelName>(day: number, hh: string, channel: C, input: ChannelInput<C>): Promise<string> {
  setClock(day, `${hh}:00`);
  const refused = await failure(call(channel, input));
  expect(refused.code).toBe('approval_required');
  const id = refused.details.requestId as string;
  await signIn('carol');
  setClock(day, `${hh}:01`);
  await call('approvals:approve', { requestId: id });
  await signIn('alice');
  setClock(day, `${hh}:02`);
  await call('approvals:execute', { requestId: id });
  return id;
}

const PERIODS = { before: '2026-08-31', day1: '2026-09-01', day2: '2026-09-02', day3: '2026-09-03' } as const;
type Period = keyof typeof PERIODS;

/** Operators at each period's end: name, role, created, created by, from (the audit log). */
const OPERATORS: Record<Period, string[][]> = {
  before: [],
  day1: [
    ['alice', 'admin', t(1, '08:00'), 'alice', 'audit'],
    ['bob', 'viewer', t(1, '08:10'), 'alice', 'audit'],
    ['carol', 'key_custodian', t(1, '08:20'), 'alice', 'audit'],
    ['dave', 'viewer', t(1, '08:30'), 'alice', 'audit'],
  ],
  // bob became an officer on day 2; dave, removed on day 3, was still a viewer at its end; erin came on day 3.
  day2: [
    ['alice', 'admin', t(1, '08:00'), 'alice', 'audit'],
    ['bob', 'security_officer', t(1, '08:10'), 'alice', 'audit'],
    ['carol', 'key_custodian', t(1, '08:20'), 'alice', 'audit'],
    ['dave', 'viewer', t(1, '08:30'), 'alice', 'audit'],
  ],
  day3: [
    ['alice', 'admin', t(1, '08:00'), 'alice', 'audit'],
    ['bob', 'security_officer', t(1, '08:10'), 'alice', 'audit'],
    ['carol', 'key_custodian', t(1, '08:20'), 'alice', 'audit'],
    ['erin', 'viewer', t(3, '11:00'), 'alice', 'audit'],
  ],
};

/** The period's operator changes: time, actor, action, operator, change, outcome, approval (REQ:x is request x's id). */
const CHANGES: Record<Period, string[][]> = {
  before: [],
  day1: [
    [t(1, '08:10'), 'alice', 'operator.add', 'bob', 'added as viewer', 'success', 'none'],
    // Nobody but alice could approve a new key custodian: the guard was waived.
    [t(1, '08:20'), 'alice', 'operator.add', 'carol', 'added as key_custodian', 'success', 'waived (no other approver)'],
    [t(1, '08:30'), 'alice', 'operator.add', 'dave', 'added as viewer', 'success', 'none'],
  ],
  day2: [[t(2, '10:02'), 'alice', 'operator.set_role', 'bob', 'viewer -> security_officer', 'success', 'REQ:bob (carol)']],
  day3: [
    [t(3, '10:02'), 'alice', 'operator.remove', 'dave', 'removed (was viewer)', 'success', 'REQ:dave (carol)'],
    [t(3, '11:00'), 'alice', 'operator.add', 'erin', 'added as viewer', 'success', 'none'],
  ],
};

/** Keys at each period's end: label, state, version, from. old was destroyed on day 1: in day 1's report, in no later one. gamma was rotated on day 2. */
const KEYS: Record<Period, string[][]> = {
  before: [],
  day1: [['alpha', 'active', '1', 'audit'], ['beta', 'active', '1', 'audit'], ['gamma', 'active', '1', 'audit'], ['old', 'destroyed', '1', 'audit']],
  day2: [['alpha', 'suspended', '1', 'audit'], ['beta', 'deactivated', '1', 'audit'], ['gamma', 'active', '2', 'audit']],
  day3: [['alpha', 'active', '1', 'audit'], ['beta', 'deactivated', '1', 'audit'], ['gamma', 'suspended', '2', 'audit']],
};

/** Summary figures written from the tables above. */
const FIGURES: Record<Period, Record<string, string>> = {
  before: { Keys: '0', Operators: '0', 'Operator changes in the period': '0' },
  day1: { Keys: '4', 'Keys active': '3', 'Keys destroyed': '1', Operators: '4', 'Role admin': '1', 'Role viewer': '2', 'Role key_custodian': '1', 'Operator changes in the period': '3' },
  day2: { Keys: '3', 'Keys active': '1', 'Keys suspended': '1', 'Keys deactivated': '1', Operators: '4', 'Role security_officer': '1', 'Role viewer': '1', 'Operator changes in the period': '1' },
  day3: { Keys: '3', 'Keys active': '1', 'Keys suspended': '1', 'Keys deactivated': '1', Operators: '4', 'Role viewer': '1', 'Role security_officer': '1', 'Operator changes in the period': '2' },
};

const withIds = (row: string[]) => row.map((v) => v.replace(/REQ:(\w+)/, (_m, who: string) => requests[who]!));

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  return rows;
}

/** A table of the CSV as rows of {column: value}, in row order. */
function csvTable(rows: string[][], table: string): Array<Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const r of rows.filter((x) => x[0] === 'row' && x[2] === table)) out.set(r[3]!, { ...out.get(r[3]!), [r[4]!]: r[5]! });
  return [...out.values()];
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The text between two headings of the PDF. */
const between = (text: string, start: string, end: string) => {
  const i = text.indexOf(start);
  expect(i, start).toBeGreaterThan(-1);
  const j = text.indexOf(end, i);
  expect(j, end).toBeGreaterThan(i);
  return text.slice(i, j);
};
/** The lines of `text` holding these cells in this order, each whole. */
const rowsWith = (text: string, cells: string[]) => text.split('\n').filter((l) => new RegExp(`^\\s*${cells.map(escape).join('\\s+')}(\\s|$)`).test(l));

const reports: Partial<Record<Period, { csv: string[][]; pdf: string }>> = {};

beforeAll(async () => {
  c = await open(join(work, 'store'), { clock, rotation: { scheduler: false } });
  await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
  // Day 1: three operators (carol's role under a waiver), four keys; old is deactivated and destroyed (approved).
  for (const [hhmm, name, role] of [['08:10', 'bob', 'viewer'], ['08:20', 'carol', 'key_custodian'], ['08:30', 'dave', 'viewer']] as const) {
    setClock(1, hhmm);
    await call('operators:add', { name, role, passphrase: pass(name) });
  }
  setClock(1, '08:40');
  for (const label of ['alpha', 'beta', 'gamma', 'old']) keys[label] = (await call('keys:create', { type: 'storage', label })).id;
  setClock(1, '08:50');
  await call('keys:setState', { keyId: keys.old!, state: 'deactivated', reason: 'retired' });
  await approvedByCarol(1, '09', 'keys:setState', { keyId: keys.old!, state: 'destroyed', reason: 'retired' });
  // Day 2: alpha suspended, bob made an officer (approved by carol), beta deactivated, gamma rotated.
  setClock(2, '09:00');
  await call('keys:setState', { keyId: keys.alpha!, state: 'suspended', reason: 'audit hold' });
  requests.bob = await approvedByCarol(2, '10', 'operators:setRole', { name: 'bob', role: 'security_officer' });
  setClock(2, '11:00');
  await call('keys:setState', { keyId: keys.beta!, state: 'deactivated', reason: 'replaced' });
  setClock(2, '12:00');
  expect((await call('keys:rotate', { keyId: keys.gamma! })).currentVersion).toBe(2);
  // Day 3: alpha active again, dave removed (approved by carol), erin added, gamma suspended.
  setClock(3, '09:00');
  await call('keys:setState', { keyId: keys.alpha!, state: 'active', reason: 'hold lifted' });
  requests.dave = await approvedByCarol(3, '10', 'operators:remove', { name: 'dave' });
  setClock(3, '11:00');
  await call('operators:add', { name: 'erin', role: 'viewer', passphrase: pass('erin') });
  setClock(3, '12:00');
  await call('keys:setState', { keyId: keys.gamma!, state: 'suspended', reason: 'audit hold' });
  // Day 4: the reports, for the day before everything and each of the three days.
  setClock(4, '09:00');
  for (const [name, day] of Object.entries(PERIODS) as Array<[Period, string]>) {
    const csv = await call('report:generate', { from: day, to: day, format: 'csv' });
    const pdf = await call('report:generate', { from: day, to: day, format: 'pdf' });
    const file = join(work, pdf.fileName);
    writeFileSync(file, Buffer.from(pdf.content, 'base64'));
    reports[name] = { csv: parseCsv(Buffer.from(csv.content, 'base64').toString('utf8')), pdf: execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }) };
  }
}, 120_000);

afterAll(() => {
  c?.close();
  removeTempDirs();
});

describe.each(Object.keys(PERIODS) as Period[])('the report of %s', (period) => {
  it('the CSV lists the operators and roles at the period\'s end, and the period\'s changes with their approvals', () => {
    const csv = reports[period]!.csv;
    expect(csvTable(csv, 'operators').map((r) => [r.Operator, r.Role, r.Created, r['Created by'], r.From])).toEqual(OPERATORS[period]);
    expect(csvTable(csv, 'changes').map((r) => [r.Time, r.Actor, r.Action, r.Operator, r.Change, r.Outcome, r['Approval (request, approvers)']])).toEqual(CHANGES[period].map(withIds));
  });

  it('the CSV lists the keys in their state at the period\'s end', () => {
    const csv = reports[period]!.csv;
    expect(csvTable(csv, 'keys').map((r) => [r['Key id'], r.Label, r.State, r.Version, r.From])).toEqual(KEYS[period].map(([label, ...rest]) => [keys[label!], label, ...rest]));
  });

  it('the figures and the notes under both sections say so, in the CSV and the PDF', () => {
    const { csv, pdf } = reports[period]!;
    const summary = new Map(csv.filter((r) => r[0] === 'summary').map((r) => [`${r[1]}/${r[4]}`, r[5]]));
    for (const [label, value] of Object.entries(FIGURES[period])) {
      const section = label.startsWith('Key') ? 'inventory' : 'operators';
      expect(summary.get(`${section}/${label}`), label).toBe(value);
      const text = section === 'inventory' ? between(pdf, '1. Key inventory', '2. Rotation') : between(pdf, '6. Operators', '7. Denied');
      expect(text, label).toMatch(new RegExp(`^\\s*${escape(label)}\\s+${escape(value)}\\s*$`, 'm'));
    }
    const notes = csv.filter((r) => r[0] === 'note').map((r) => `${r[1]}: ${r[5]}`);
    expect(notes.some((n) => n.startsWith("inventory: Key states are those at the period's end, reconstructed from the audit log"))).toBe(true);
    expect(notes.some((n) => n.startsWith("operators: Operators and roles are those at the period's end, reconstructed from the audit log"))).toBe(true);
    const flat = pdf.replace(/\s+/g, ' ');
    expect(flat).toContain("Note: Key states are those at the period's end, reconstructed from the audit log");
    expect(flat).toContain("Note: Operators and roles are those at the period's end, reconstructed from the audit log");
  });

  it('the PDF prints the same rows (pdftotext -layout), and no others', () => {
    const pdf = reports[period]!.pdf;
    const inventory = between(pdf, "Keys at the period's end", '2. Rotation');
    for (const [label, state, version, from] of KEYS[period]) {
      expect(rowsWith(inventory, [keys[label!]!, label!, 'storage', 'AES_256', state!, 'local', version!, from!]), `${label} ${state}`).toHaveLength(1);
    }
    for (const label of Object.keys(keys).filter((l) => !KEYS[period].some((r) => r[0] === l))) expect(inventory).not.toContain(keys[label]!);

    const operators = between(pdf, "Operators and roles at the period's end", 'Operator changes in the period');
    for (const row of OPERATORS[period]) expect(rowsWith(operators, row), row.join(' ')).toHaveLength(1);
    for (const name of ['alice', 'bob', 'carol', 'dave', 'erin'].filter((n) => !OPERATORS[period].some((r) => r[0] === n))) {
      expect(operators).not.toMatch(new RegExp(`^\\s*${name}\\s`, 'm'));
    }
    const changes = between(pdf, 'Operator changes in the period', 'Two-person approvals');
    for (const row of CHANGES[period].map(withIds)) expect(rowsWithSeq(changes, row), row.join(' ')).toBe(1);
    expect(changes.split('\n').filter((l) => /^\s*\d+\s+2026-/.test(l))).toHaveLength(CHANGES[period].length);
  });
});

/** Change rows begin with the record's sequence number, which the scenario does not fix: any number, then the cells. */
function rowsWithSeq(text: string, cells: string[]): number {
  return text.split('\n').filter((l) => new RegExp(`^\\s*\\d+\\s+${cells.map(escape).join('\\s+')}(\\s|$)`).test(l)).length;
}

describe("an operator change's own record names the request it ran under", () => {
  // From the history above: bob's role change and dave's removal ran under carol's approval, erin's addition under none.
  const EXPECTED: Array<[action: string, operator: string, request: () => string | undefined]> = [
    ['operator.set_role', 'bob', () => requests.bob],
    ['operator.remove', 'dave', () => requests.dave],
    ['operator.add', 'erin', () => undefined],
  ];
  it.each(EXPECTED)('%s %s', async (action, operator, request) => {
    const records = (await call('audit:query', { action, limit: 100 })).records.filter((r) => r.targetId === operator && r.outcome === 'success');
    expect(records).toHaveLength(1);
    expect(records[0]!.details.approvalRequestId).toBe(request());
  });
});
