// The browser host window's calls across a drop (renderer/src/transport/callBook.ts, docs/ui.md "Calls in flight at a
// drop"): ids that only grow, which calls are asked about after a reconnect, and what becomes of each from the host's
// answer. The expected decisions come from the table below, written from the rule (a read may be sent again, a call
// that changes state never), not from the code.
import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../shared/contract.ts';
import { createCallBook, decideAfterDrop, type OutcomeReport } from '../../renderer/src/transport/callBook.ts';

const READ = 'keys:list'; // permission `read`
const SIGNED_IN_READ = 'session:info'; // signed in, changes nothing
const STATUS = 'session:status'; // open, changes nothing
const CHANGE = 'certs:revoke'; // the security officer's, changes state
const OPEN_CHANGE = 'session:unlock'; // open, changes state
const OFFLINE = 'kitOffline:quarantine'; // not in the contract: counts as changing
const DENIED = { code: 'forbidden', message: 'no' } as const;

type Expected = 'wait' | 'resend' | 'settle' | 'not_received' | 'succeeded_answer_lost' | 'outcome_unknown';
const TABLE: Array<[channel: string, report: Pick<OutcomeReport, 'state' | 'ok' | 'error'>, expected: Expected]> = [
  [READ, { state: 'running' }, 'wait'],
  [CHANGE, { state: 'running' }, 'wait'],
  [READ, { state: 'replied' }, 'wait'],
  [CHANGE, { state: 'replied' }, 'wait'],
  [READ, { state: 'unknown' }, 'resend'],
  [SIGNED_IN_READ, { state: 'unknown' }, 'resend'],
  [STATUS, { state: 'unknown' }, 'resend'],
  [CHANGE, { state: 'unknown' }, 'not_received'],
  [OPEN_CHANGE, { state: 'unknown' }, 'not_received'],
  [OFFLINE, { state: 'unknown' }, 'not_received'],
  [READ, { state: 'expired' }, 'resend'],
  [CHANGE, { state: 'expired' }, 'outcome_unknown'],
  [READ, { state: 'completed', ok: true }, 'resend'],
  [CHANGE, { state: 'completed', ok: true }, 'succeeded_answer_lost'],
  [READ, { state: 'completed', ok: false, error: DENIED }, 'settle'],
  [CHANGE, { state: 'completed', ok: false, error: DENIED }, 'settle'],
];

function outcomeOf(decision: ReturnType<typeof decideAfterDrop>): Expected {
  if (decision.kind === 'interrupted') return decision.reason;
  return decision.kind;
}

describe('what becomes of a call in flight at a drop', () => {
  it.each(TABLE)('%s, host says %o: %s', (channel, report, expected) => {
    expect(outcomeOf(decideAfterDrop(channel, report))).toBe(expected);
  });
});

function rig() {
  const book = createCallBook();
  const settled = new Map<string, Envelope<unknown>>();
  const add = (name: string, channel: string, socket: number, input: unknown = { name }) =>
    book.add(channel, input, (e) => settled.set(name, e), socket);
  return { book, settled, add };
}

describe('the call book', () => {
  it('gives ids that only grow, across sockets and re-sends', () => {
    const { book, add } = rig();
    const a = add('a', READ, 1);
    const b = add('b', CHANGE, 1);
    const c = add('c', READ, 2);
    expect([a, b, c]).toEqual([1, 2, 3]);
    const again = book.applyOutcomes([{ id: a, state: 'unknown' }], 3);
    expect(again.map((x) => x.id)).toEqual([4]);
  });

  it('asks only about calls sent on an earlier socket that are still unanswered', () => {
    const { book, add } = rig();
    const a = add('a', READ, 1);
    const b = add('b', CHANGE, 1);
    add('c', READ, 2);
    book.answer(a, { ok: true, value: 1 });
    expect(book.unansweredBefore(2)).toEqual([b]);
  });

  it('settles an answer once; a late or foreign answer is ignored', () => {
    const { book, settled, add } = rig();
    const a = add('a', READ, 1);
    expect(book.answer(a, { ok: true, value: 'first' })).toBe(true);
    expect(book.answer(a, { ok: true, value: 'second' })).toBe(false);
    expect(book.answer(99, { ok: true, value: 'x' })).toBe(false);
    expect(settled.get('a')).toEqual({ ok: true, value: 'first' });
  });

  it('after a drop: re-sends a read under a new id, fails a change not received, waits for one still running', () => {
    const { book, settled, add } = rig();
    const read = add('read', READ, 1, { page: 2 });
    const revoke = add('revoke', CHANGE, 1);
    const running = add('running', CHANGE, 1);
    const again = book.applyOutcomes(
      [
        { id: read, state: 'unknown' },
        { id: revoke, state: 'unknown' },
        { id: running, state: 'running' },
      ],
      2,
    );
    expect(again).toEqual([{ id: 4, channel: READ, input: { page: 2 } }]);
    expect(settled.has('read')).toBe(false);
    expect(settled.get('revoke')).toMatchObject({ ok: false, error: { code: 'call_interrupted', details: { reason: 'not_received', channel: CHANGE } } });
    expect(settled.has('running')).toBe(false);
    // The running one now counts as sent on socket 2: asked about again only after a further drop.
    expect(book.unansweredBefore(2)).toEqual([]);
    expect(book.unansweredBefore(3)).toEqual([running, 4]);
    book.answer(running, { ok: true, value: 'done' });
    book.answer(4, { ok: true, value: ['k'] });
    expect(settled.get('running')).toEqual({ ok: true, value: 'done' });
    expect(settled.get('read')).toEqual({ ok: true, value: ['k'] });
    expect(book.size).toBe(0);
  });

  it('ignores a report about a call sent on the current socket or not booked', () => {
    const { book, settled, add } = rig();
    const a = add('a', CHANGE, 2);
    expect(book.applyOutcomes([{ id: a, state: 'unknown' }, { id: 77, state: 'unknown' }], 2)).toEqual([]);
    expect(settled.size).toBe(0);
  });

  it('fails one call at once when its input cannot be sent, and only once', () => {
    const { book, settled, add } = rig();
    const a = add('a', CHANGE, 1);
    const b = add('b', CHANGE, 1);
    const refused = { ok: false, error: { code: 'invalid_input', message: 'cannot be sent' } } as const;
    book.settle(a, refused);
    book.settle(a, { ok: true, value: 'late' });
    book.settle(99, refused);
    expect(settled.get('a')).toEqual(refused);
    expect(settled.has('b')).toBe(false);
    expect(book.size).toBe(1);
    expect(book.unansweredBefore(2)).toEqual([b]);
  });

  it('says in the error whether the change was done', () => {
    const { book, settled, add } = rig();
    const a = add('a', CHANGE, 1);
    const b = add('b', CHANGE, 1);
    const c = add('c', CHANGE, 1);
    book.applyOutcomes([{ id: a, state: 'unknown' }, { id: b, state: 'completed', ok: true }, { id: c, state: 'expired' }], 2);
    const message = (name: string) => (settled.get(name) as { error: { message: string } }).error.message;
    expect(message('a')).toMatch(/before the console received.*not done.*try again/);
    expect(message('b')).toMatch(/succeeded.*Do not repeat/);
    expect(message('c')).toMatch(/check whether it was done/);
  });

  it('settles a call with the error the console answered when only the outcome was kept', () => {
    const { book, settled, add } = rig();
    const a = add('a', CHANGE, 1);
    book.applyOutcomes([{ id: a, state: 'completed', ok: false, error: DENIED }], 2);
    expect(settled.get('a')).toEqual({ ok: false, error: DENIED });
  });
});
