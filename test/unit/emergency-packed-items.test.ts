// revoke_certificates' items as stored (docs/emergency-response.md): packed into the keys in order, each one's robot
// and a letter per state, an item with anything more kept whole. Each case's packed form is written out by hand, and
// unpacking it gives the items back, in order.
import { describe, expect, it } from 'vitest';
import { packItems, unpackItems, type PackedItems } from '../../electron/services/emergency/emergencyResponse.ts';

type Items = Parameters<typeof packItems>[0];

const CASES: Array<[string, Items, PackedItems]> = [
  ['no items', {}, { keys: [], deviceIds: [], states: '', other: {} }],
  [
    'every state of a plain item, in the order listed',
    { b2: { state: 'pending', deviceId: 'r-1' }, a1: { state: 'done', deviceId: 'r-2' }, c3: { state: 'failed', deviceId: 'r-3' }, d4: { state: 'skipped', deviceId: 'r 4' } },
    { keys: ['b2', 'a1', 'c3', 'd4'], deviceIds: ['r-1', 'r-2', 'r-3', 'r 4'], states: 'pdfs', other: {} },
  ],
  [
    'a failure with its code and message is kept whole',
    { aa: { state: 'done', deviceId: 'r-1' }, bb: { state: 'failed', deviceId: 'r-2', code: 'store_busy', message: 'busy' } },
    { keys: ['aa', 'bb'], deviceIds: ['r-1', null], states: 'df', other: { bb: { state: 'failed', deviceId: 'r-2', code: 'store_busy', message: 'busy' } } },
  ],
  [
    'an item without a robot, or with a note, is kept whole',
    { aa: { state: 'done' }, bb: { state: 'done', deviceId: 'r-2', note: 'already' } },
    { keys: ['aa', 'bb'], deviceIds: [null, null], states: 'dd', other: { aa: { state: 'done' }, bb: { state: 'done', deviceId: 'r-2', note: 'already' } } },
  ],
];

describe('packed items', () => {
  it.each(CASES)('%s', (_name, items, packed) => {
    expect(packItems(items)).toEqual(packed);
    const back = unpackItems(packed);
    expect(back).toEqual(items);
    expect(Object.keys(back)).toEqual(Object.keys(items));
  });

  it('survives JSON as stored', () => {
    const items: Items = { '1e01': { state: 'done', deviceId: 'bench-000001' }, '1e02': { state: 'failed', deviceId: 'bench-000002', code: 'internal', message: 'x' } };
    expect(unpackItems(JSON.parse(JSON.stringify(packItems(items))) as PackedItems)).toEqual(items);
  });
});
