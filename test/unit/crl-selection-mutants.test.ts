// Which CRLs a robot hears, over the link (itemsFor) and in a key bundle (forBundle), from docs/lockdown-orders.md,
// "Which CRLs a robot hears": the newest CRL of the current fleet CA, then the newest CRL of each other CA the store
// names for the robot (OrderDeliveryRepo.otherCrlCasOf: issued it a certificate or was endorsed to it, oldest first;
// its SQL is tested over a real store in test/integration/crl-delivery-cas.test.ts), each until the robot gives a
// final answer to that CA's number (`accepted`, `crl_stale`; for a CA that is not current also `crl_foreign`); at most
// 16 items a session, the orders making room; a bundle splits them into the current CA's (`crl`) and the others'
// (`otherCrls`, which make it v4). The repository here is a table of CRLs and answers the test writes out.
import { describe, expect, it } from 'vitest';
import { createOrderDelivery } from '../../electron/services/emergency/orderDelivery.ts';
import type { OrderDeliveryRepo } from '../../electron/store/orderDeliveryRepo.ts';

const DEVICE = 'uv-1';
const der = (ca: string, n: number) => Buffer.from(`${ca}#${n}`);

interface World { current: string | null; latest: Record<string, number>; others: string[]; answers: Array<[string, number, string]>; orders?: number }

function delivery(w: World) {
  const repo = {
    latestCrl: (caId: string) => (w.latest[caId] === undefined ? null : { crlNumber: w.latest[caId]!, der: der(caId, w.latest[caId]!) }),
    answeredCrls: (deviceId: string, caId: string, results: readonly string[]) =>
      w.answers.filter(([ca, , r]) => deviceId === DEVICE && ca === caId && results.includes(r)).map(([, n]) => n),
    otherCrlCasOf: (deviceId: string, except: string | null) => (deviceId === DEVICE ? w.others.filter((c) => c !== except) : []),
    answeredOrders: () => [],
    liveOrders: () => Array.from({ length: w.orders ?? 0 }, (_, i) => ({ sequence: i + 1, kind: 'lockdown' as const, expiresAt: '2099-01-01T00:00:00.000Z', scope: '{"fleet":true}', content: Buffer.from(`order ${i + 1}`) })),
  } as unknown as OrderDeliveryRepo;
  return createOrderDelivery({
    repo, fleetRepo: { get: () => ({ site: 's', model: 'm', firmware: '1', tags: [] }) as never }, keys: { list: () => [] },
    publicKey: () => Promise.reject(new Error('no key')), currentCaId: () => w.current, audit: { append: () => undefined } as never,
    actor: () => 'test', clock: { now: () => Date.parse('2026-12-05T12:00:00.000Z') } as never, transaction: (fn) => fn(),
  });
}
const names = (items: Array<{ kind: string; content: Buffer }>) => items.map((i) => i.content.toString());

describe('the CRLs a robot hears (docs/lockdown-orders.md)', () => {
  // [what, world, the CRLs in order: current CA's first (as CA#number)]
  const ROWS: Array<[string, World, string[]]> = [
    ['the current CA and two others', { current: 'C', latest: { C: 5, R1: 2, R2: 7 }, others: ['R1', 'R2'], answers: [] }, ['C#5', 'R1#2', 'R2#7']],
    ['the current CA\'s accepted', { current: 'C', latest: { C: 5, R1: 2 }, others: ['R1'], answers: [['C', 5, 'accepted']] }, ['R1#2']],
    ['the current CA\'s stale', { current: 'C', latest: { C: 5, R1: 2 }, others: ['R1'], answers: [['C', 5, 'crl_stale']] }, ['R1#2']],
    ['the current CA\'s foreign: still sent', { current: 'C', latest: { C: 5 }, others: [], answers: [['C', 5, 'crl_foreign']] }, ['C#5']],
    ['another CA\'s foreign: final', { current: 'C', latest: { C: 5, R1: 2 }, others: ['R1'], answers: [['R1', 2, 'crl_foreign']] }, ['C#5']],
    ['another CA\'s stale or accepted: final', { current: 'C', latest: { C: 5, R1: 2, R2: 3 }, others: ['R1', 'R2'], answers: [['R1', 2, 'crl_stale'], ['R2', 3, 'accepted']] }, ['C#5']],
    ['an answer to an older number: the newest still sent', { current: 'C', latest: { C: 5, R1: 2 }, others: ['R1'], answers: [['C', 4, 'accepted'], ['R1', 1, 'accepted']] }, ['C#5', 'R1#2']],
    ['an answer settles its own CA\'s number only', { current: 'C', latest: { C: 5, R1: 5 }, others: ['R1'], answers: [['R1', 5, 'accepted']] }, ['C#5']],
    ['a refusal that is not final (crl_invalid)', { current: 'C', latest: { C: 5, R1: 2 }, others: ['R1'], answers: [['C', 5, 'crl_invalid'], ['R1', 2, 'crl_invalid']] }, ['C#5', 'R1#2']],
    ['a CA without a CRL: nothing of it', { current: 'C', latest: { R1: 2 }, others: ['R1'], answers: [] }, ['R1#2']],
    ['no current CA: the others only', { current: null, latest: { R1: 2, R2: 3 }, others: ['R1', 'R2'], answers: [] }, ['R1#2', 'R2#3']],
  ];
  for (const [what, w, crls] of ROWS) {
    it(`${what}: ${crls.join(', ') || 'none'}`, async () => {
      const d = delivery(w);
      expect(names(d.itemsFor(DEVICE))).toEqual(crls);
      const b = await d.forBundle(DEVICE);
      const current = crls.filter((c) => w.current !== null && c.startsWith(`${w.current}#`));
      expect([b.crl === null ? null : b.crl.content.toString(), names(b.otherCrls)]).toEqual([current[0] ?? null, crls.filter((c) => !current.includes(c))]);
      expect(b.otherCrls.every((c) => c.kind === 'crl' && c.caId !== w.current)).toBe(true);
    });
  }

  it('each CRL item names its CA and number', () => {
    const items = delivery({ current: 'C', latest: { C: 5, R1: 2 }, others: ['R1'], answers: [] }).itemsFor(DEVICE);
    expect(items.map((i) => [i.kind, i.caId, i.ref])).toEqual([['crl', 'C', 5], ['crl', 'R1', 2]]);
  });

  it('at most 15 CRLs (16 items a session, one kept for an order): the current CA\'s and the oldest others', async () => {
    const others = Array.from({ length: 20 }, (_, i) => `R${String(i).padStart(2, '0')}`);
    const latest = Object.fromEntries([['C', 1], ...others.map((c) => [c, 1])]) as Record<string, number>;
    const w: World = { current: 'C', latest, others, answers: [], orders: 3 };
    const want = ['C#1', ...others.slice(0, 14).map((c) => `${c}#1`)];
    const items = delivery(w).itemsFor(DEVICE);
    expect(names(items)).toEqual(['order 3', ...want]);
    const b = await delivery(w).forBundle(DEVICE);
    expect([b.crl?.content.toString(), names(b.otherCrls)]).toEqual([want[0], want.slice(1)]);
  });

  it('the orders make room: 16 items in all, the newest orders; without CRLs one place stays free', async () => {
    const withCrls = delivery({ current: 'C', latest: { C: 5, R1: 2, R2: 7 }, others: ['R1', 'R2'], answers: [], orders: 20 });
    const items = withCrls.itemsFor(DEVICE);
    expect(names(items)).toEqual([...Array.from({ length: 13 }, (_, i) => `order ${i + 8}`), 'C#5', 'R1#2', 'R2#7']);
    const none = delivery({ current: 'C', latest: {}, others: [], answers: [], orders: 20 }).itemsFor(DEVICE);
    expect(names(none)).toEqual(Array.from({ length: 15 }, (_, i) => `order ${i + 6}`));
    // A bundle keeps up to 15 orders whatever the CRLs.
    expect(names((await withCrls.forBundle(DEVICE)).orders)).toEqual(Array.from({ length: 15 }, (_, i) => `order ${i + 6}`));
  });
});
