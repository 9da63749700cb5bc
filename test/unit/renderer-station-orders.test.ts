// The Station screen's orders step in words (docs/station.md, "Orders and CRLs on the port"): each item the station
// sent a robot and its answer as one line an officer reads, from a table written here (the refusal codes of
// docs/lockdown-orders.md "What a robot checks" and the robot's CRL checks); the chips of a port (an `orders` chip
// only for a distribution that sends items); how the main process turns an answer into a row item; an order's scope in words.
import { describe, expect, it } from 'vitest';
import type { StationNotSentItem, StationOrderResult, StationPort, StationStep } from '../../shared/stationContract.ts';
import type { OrderItemForLink } from '../../electron/station/distributeSession.ts';
import { notSentLine, orderResultLine } from '../../renderer/src/station/orderWords.ts';
import { stepState, stepsOf } from '../../renderer/src/station/portSteps.ts';
import { notSentOf, orderResultOf } from '../../electron/services/station/stationService.ts';
import { orderScopeInWords } from '../../electron/services/emergency/orderDelivery.ts';

const order = (ref: number, scope: string, outcome: StationOrderResult['outcome'], result: string, orderKind: 'lockdown' | 'lift' = 'lockdown'): StationOrderResult =>
  ({ item: 'order', ref, orderKind, scope, ca: null, outcome, result, message: 'm' });
const crl = (ref: number, outcome: StationOrderResult['outcome'], result: string, ca: 'current' | 'other' = 'current'): StationOrderResult =>
  ({ item: 'crl', ref, orderKind: null, scope: null, ca, outcome, result, message: 'm' });

const LINES: Array<[StationOrderResult, string]> = [
  [order(7, 'site Plant 1', 'accepted', 'accepted'), 'Lockdown order #7 (site Plant 1): accepted'],
  [order(8, 'site Plant 1', 'accepted', 'accepted', 'lift'), 'Lift order #8 (site Plant 1): accepted'],
  [crl(12, 'accepted', 'accepted'), 'CRL #12: accepted'],
  [crl(12, 'refused', 'crl_stale'), 'CRL #12: refused, older than the one it holds'],
  [crl(3, 'refused', 'crl_foreign', 'other'), 'CRL #3 of a former fleet CA: refused, issued by a CA the robot does not trust'],
  [crl(4, 'refused', 'crl_malformed'), 'CRL #4: refused, the robot could not read it'],
  [order(2, 'robot uv-2', 'refused', 'out_of_scope'), "Lockdown order #2 (robot uv-2): refused, the robot says it is outside the order's scope"],
  [order(2, 'the whole fleet', 'refused', 'no_emergency_key'), 'Lockdown order #2 (the whole fleet): refused, the robot holds no emergency key yet (its next key bundle brings it)'],
  [order(5, 'model UV-7', 'refused', 'replayed'), 'Lockdown order #5 (model UV-7): refused, the robot already holds this order or a newer one'],
  [order(5, 'tag north', 'refused', 'expired'), 'Lockdown order #5 (tag north): refused, the order has expired'],
  [order(5, 'firmware 1.0.0', 'refused', 'not_yet_valid'), "Lockdown order #5 (firmware 1.0.0): refused, issued in the future by the robot's clock"],
  [order(5, 'site A', 'refused', 'foreign'), 'Lockdown order #5 (site A): refused, signed by an emergency key the robot does not trust'],
  [order(5, 'site A', 'refused', 'tampered'), 'Lockdown order #5 (site A): refused, its signature or content does not check (tampered)'],
  [order(5, 'site A', 'refused', 'malformed'), 'Lockdown order #5 (site A): refused, the robot could not read the order file'],
  [order(5, 'site A', 'refused', 'new_firmware_code'), 'Lockdown order #5 (site A): refused, code new_firmware_code'],
  [order(6, 'site A', 'answer_refused', 'forged_ack'), "Lockdown order #6 (site A): the robot's answer was not signed by its identity key: refused by the console, still pending"],
  [crl(9, 'answer_refused', 'replayed_message'), "CRL #9: the robot's answer was for another item: refused by the console, still pending"],
  [crl(9, 'answer_refused', 'bad_frame'), "CRL #9: the robot's answer was refused by the console (bad_frame), still pending"],
  // An order the console could not describe (no kind, no scope): its number only.
  [{ item: 'order', ref: 5, orderKind: null, scope: null, ca: null, outcome: 'accepted', result: 'accepted', message: '' }, 'Order #5: accepted'],
];

describe('station: an order or CRL and its answer in words', () => {
  it.each(LINES)('%j reads "%s"', (r, line) => {
    expect(orderResultLine(r)).toBe(line);
  });
});

const port = (p: Partial<StationPort>): StationPort => ({ path: '/dev/ttyACM0', mode: 'distribute', deviceId: 'uv-1', step: 'hello', state: 'active', error: null, orders: [], notSent: [], reissued: false, ...p });

describe('station: the chips of a port', () => {
  it('provision and distribute without items: the mode\'s steps', () => {
    expect(stepsOf(port({ mode: 'provision', step: 'csr' }))).toEqual(['hello', 'challenge', 'csr', 'certificate', 'keys', 'confirm', 'commit', 'done']);
    expect(stepsOf(port({ step: 'bundle' }))).toEqual(['hello', 'bundle', 'install', 'commit', 'done']);
    expect(stepsOf(port({ state: 'done', step: 'done' }))).toEqual(['hello', 'bundle', 'install', 'commit', 'done']);
  });
  it('a port done: every chip done, the last one too', () => {
    const done = port({ state: 'done', step: 'done', orders: [crl(1, 'accepted', 'accepted')] });
    expect(stepsOf(done).map((_, i) => stepState(done, stepsOf(done), i))).toEqual(['done', 'done', 'done', 'done', 'done', 'done']);
  });
  it('a distribution at the orders step, or whose robot answered items: an orders chip after hello', () => {
    const withOrders = ['hello', 'orders', 'bundle', 'install', 'commit', 'done'];
    const at = port({ step: 'orders' });
    expect(stepsOf(at)).toEqual(withOrders);
    expect(stepsOf(at).map((_, i) => stepState(at, stepsOf(at), i))).toEqual(['done', 'current', 'pending', 'pending', 'pending', 'pending']);
    const past = port({ step: 'install', orders: [crl(1, 'accepted', 'accepted')] });
    expect(stepsOf(past)).toEqual(withOrders);
    expect(stepsOf(past).map((_, i) => stepState(past, stepsOf(past), i))).toEqual(['done', 'done', 'done', 'current', 'pending', 'pending']);
    const failed = port({ step: 'orders', state: 'failed', orders: [crl(1, 'answer_refused', 'forged_ack')] });
    expect(stepsOf(failed).map((_, i) => stepState(failed, stepsOf(failed), i))).toEqual(['done', 'failed', 'pending', 'pending', 'pending', 'pending']);
  });
});

describe('station: an answer as the port row shows it', () => {
  const base = { port: '/dev/ttyACM0', deviceId: 'uv-1' };
  it('the robot\'s answer: accepted or refused with its code; the order\'s kind and scope, or the CRL\'s CA', () => {
    expect(orderResultOf({ ...base, kind: 'order', ref: 7, about: { orderKind: 'lockdown', scope: 'site Plant 1' }, result: 'accepted', message: 'lockdown 7 applied' }))
      .toEqual({ item: 'order', ref: 7, orderKind: 'lockdown', scope: 'site Plant 1', ca: null, outcome: 'accepted', result: 'accepted', message: 'lockdown 7 applied' });
    expect(orderResultOf({ ...base, kind: 'crl', ref: 12, caId: 'c', about: { ca: 'other' }, result: 'crl_stale', message: 'CRL number 12 is not above 12' }))
      .toEqual({ item: 'crl', ref: 12, orderKind: null, scope: null, ca: 'other', outcome: 'refused', result: 'crl_stale', message: 'CRL number 12 is not above 12' });
  });
  it('an answer the console refused: answer_refused with the console\'s code', () => {
    expect(orderResultOf({ ...base, kind: 'crl', ref: 3, about: { ca: 'current' }, code: 'forged_ack', message: 'not signed' }))
      .toEqual({ item: 'crl', ref: 3, orderKind: null, scope: null, ca: 'current', outcome: 'answer_refused', result: 'forged_ack', message: 'not signed' });
  });
  it('a long robot message is cut to 200 characters (the contract\'s bound)', () => {
    expect(orderResultOf({ ...base, kind: 'order', ref: 1, result: 'tampered', message: 'x'.repeat(500) }).message).toHaveLength(200);
  });
});

describe('station: an order\'s scope in words', () => {
  it.each([
    [{ fleet: true } as const, 'the whole fleet'],
    [{ site: 'Plant 1' }, 'site Plant 1'],
    [{ model: 'UV-7' }, 'model UV-7'],
    [{ firmware: '2.1.0' }, 'firmware 2.1.0'],
    [{ tag: 'north' }, 'tag north'],
    [{ deviceIds: ['uv-a'] }, 'robot uv-a'],
    [{ deviceIds: ['uv-a', 'uv-b', 'uv-c'] }, 'robots uv-a, uv-b, uv-c'],
    [{ deviceIds: ['uv-a', 'uv-b', 'uv-c', 'uv-d', 'uv-e'] }, 'robots uv-a, uv-b, uv-c and 2 more'],
  ])('%j: %s', (scope, words) => {
    expect(orderScopeInWords(scope)).toBe(words);
  });
  it('at most 200 characters', () => {
    expect(orderScopeInWords({ deviceIds: ['a'.repeat(120), 'b'.repeat(120)] }).length).toBeLessThanOrEqual(200);
  });
});

// A distribution that re-issues the robot's certificate (docs/fleet-ca.md "Re-issue at the station") shows a reissue
// chip after hello, current while the robot is at it; then the orders chip when items were sent or left unsent.
// [the port, its chips, each chip's state]
const CHIPS: Array<[string, Partial<StationPort>, StationStep[], string[]]> = [
  ['at reissue', { step: 'reissue', reissued: true }, ['hello', 'reissue', 'bundle', 'install', 'commit', 'done'], ['done', 'current', 'pending', 'pending', 'pending', 'pending']],
  // An event of the step itself shows the chip even before the row's flag (the same event sets both).
  ['at reissue, flag not yet set', { step: 'reissue' }, ['hello', 'reissue', 'bundle', 'install', 'commit', 'done'], ['done', 'current', 'pending', 'pending', 'pending', 'pending']],
  ['past reissue, at bundle', { step: 'bundle', reissued: true }, ['hello', 'reissue', 'bundle', 'install', 'commit', 'done'], ['done', 'done', 'current', 'pending', 'pending', 'pending']],
  ['past reissue, at orders', { step: 'orders', reissued: true }, ['hello', 'reissue', 'orders', 'bundle', 'install', 'commit', 'done'], ['done', 'done', 'current', 'pending', 'pending', 'pending', 'pending']],
  ['failed at reissue, items never sent', { step: 'reissue', state: 'failed', reissued: true, notSent: [{ item: 'crl', ref: 4, orderKind: null, scope: null, ca: 'current' }] }, ['hello', 'reissue', 'orders', 'bundle', 'install', 'commit', 'done'], ['done', 'failed', 'pending', 'pending', 'pending', 'pending', 'pending']],
  ['re-issued and done', { step: 'done', state: 'done', reissued: true }, ['hello', 'reissue', 'bundle', 'install', 'commit', 'done'], ['done', 'done', 'done', 'done', 'done', 'done']],
  ['failed at hello, items never sent', { step: 'hello', state: 'failed', notSent: [{ item: 'order', ref: 2, orderKind: 'lift', scope: 'site A', ca: null }] }, ['hello', 'orders', 'bundle', 'install', 'commit', 'done'], ['failed', 'pending', 'pending', 'pending', 'pending', 'pending']],
  // Provisioning has no reissue step: a stray flag adds no chip.
  ['provision', { mode: 'provision', step: 'csr', reissued: true }, ['hello', 'challenge', 'csr', 'certificate', 'keys', 'confirm', 'commit', 'done'], ['done', 'done', 'current', 'pending', 'pending', 'pending', 'pending', 'pending']],
];

describe('station: the reissue chip', () => {
  it.each(CHIPS)('%s', (_name, p, chips, states) => {
    const row = port(p);
    expect(stepsOf(row)).toEqual(chips);
    expect(chips.map((_, i) => stepState(row, chips, i))).toEqual(states);
  });
});

const notSent = (item: 'order' | 'crl', ref: number, extra: Partial<StationNotSentItem> = {}): StationNotSentItem =>
  ({ item, ref, orderKind: item === 'order' ? 'lockdown' : null, scope: item === 'order' ? 'site Plant 1' : null, ca: item === 'crl' ? 'current' : null, ...extra });

describe('station: an item its failed session never sent, in words', () => {
  it.each([
    [notSent('order', 7), 'reissue', 'Lockdown order #7 (site Plant 1): not sent: the session failed at reissue'],
    [notSent('order', 8, { orderKind: 'lift', scope: 'robot uv-2' }), 'orders', 'Lift order #8 (robot uv-2): not sent: the session failed at orders'],
    [notSent('crl', 12), 'hello', 'CRL #12: not sent: the session failed at hello'],
    [notSent('crl', 3, { ca: 'other' }), 'orders', 'CRL #3 of a former fleet CA: not sent: the session failed at orders'],
  ] as Array<[StationNotSentItem, StationStep, string]>)('%j at %s reads "%s"', (i, step, line) => {
    expect(notSentLine(i, step)).toBe(line);
  });
});

describe('station: which pending items a failed session never sent', () => {
  const link = (kind: 'order' | 'crl', ref: number, caId?: string): OrderItemForLink =>
    ({ kind, ref, content: Buffer.alloc(0), ...(caId ? { caId } : {}), about: kind === 'order' ? { orderKind: 'lockdown', scope: 'site Plant 1' } : { ca: caId === 'old' ? 'other' : 'current' } });
  // [pending at the session's start, keys of the items answered, expected not sent]
  const CASES: Array<[string, OrderItemForLink[], string[], StationNotSentItem[]]> = [
    ['nothing answered (failed at hello or reissue): all of them, in order', [link('order', 7), link('crl', 12, 'cur')], [], [notSent('order', 7), notSent('crl', 12)]],
    ['the first answered (its answer refused): the rest', [link('order', 7), link('order', 8), link('crl', 12, 'cur')], ['order:7:'], [notSent('order', 8), notSent('crl', 12)]],
    ['all answered: none', [link('order', 7), link('crl', 12, 'cur')], ['order:7:', 'crl:12:cur'], []],
    // CRL numbers count per CA: the current CA's #3 answered leaves a former CA's #3 unsent.
    ['same number, another CA', [link('crl', 3, 'cur'), link('crl', 3, 'old')], ['crl:3:cur'], [notSent('crl', 3, { ca: 'other' })]],
    ['nothing pending: none', [], [], []],
  ];
  it.each(CASES)('%s', (_name, pending, answered, expected) => {
    expect(notSentOf(pending, new Set(answered))).toEqual(expected);
  });
  it('at most 16 (the contract\'s bound)', () => {
    expect(notSentOf(Array.from({ length: 20 }, (_, i) => link('order', i + 1)), new Set())).toHaveLength(16);
  });
});
