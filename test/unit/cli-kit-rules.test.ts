// The kit commands' pure parts (electron/ipc/cli/kitCli.ts) against docs/incident-kit.md and docs/cli.md: each --order
// becomes one kit order named by its own text, with the documented defaults (3 uses, 7 days) or the given counts and
// robot actions; an import report prints as the documented lines. Expected values are written out here.
import { describe, expect, it } from 'vitest';
import { formatImport, kitOrdersFromOptions, kitOrdersNeedCas } from '../../electron/ipc/cli/kitCli.ts';

describe('kit export: --order to kit orders', () => {
  it('one order per --order, with the scope its text names, default 3 uses and 7 days', () => {
    const orders = kitOrdersFromOptions({ order: 'fleet\nrobot:uv-1, uv-2\nsite:Plant 1\nmodel:UV-7\nfirmware:2.1.0\ntag:night:shift' });
    expect(orders).toEqual([
      { name: 'fleet', scope: { fleet: true }, maxUses: 3, validForSeconds: 604800 },
      { name: 'robot:uv-1, uv-2', scope: { deviceIds: ['uv-1', 'uv-2'] }, maxUses: 3, validForSeconds: 604800 },
      { name: 'site:Plant 1', scope: { site: 'Plant 1' }, maxUses: 3, validForSeconds: 604800 },
      { name: 'model:UV-7', scope: { model: 'UV-7' }, maxUses: 3, validForSeconds: 604800 },
      { name: 'firmware:2.1.0', scope: { firmware: '2.1.0' }, maxUses: 3, validForSeconds: 604800 },
      // A value may hold a colon: only the first one separates the kind.
      { name: 'tag:night:shift', scope: { tag: 'night:shift' }, maxUses: 3, validForSeconds: 604800 },
    ]);
  });

  it('--max-uses, --valid-for and --order-actions apply to every order (blank actions dropped)', () => {
    expect(kitOrdersFromOptions({ order: 'fleet\nsite:A', 'max-uses': '1', 'valid-for': '3600', 'order-actions': 'stop_operating, safe_mode,,' })).toEqual([
      { name: 'fleet', scope: { fleet: true }, maxUses: 1, validForSeconds: 3600, actions: ['stop_operating', 'safe_mode'] },
      { name: 'site:A', scope: { site: 'A' }, maxUses: 1, validForSeconds: 3600, actions: ['stop_operating', 'safe_mode'] },
    ]);
  });
});

describe('kit export: --order distrust-ca:current | distrust-ca:CA-ID (docs/incident-kit.md)', () => {
  const CURRENT = { id: '11111111-2222-4333-8444-555555555555', state: 'current' as const, subject: 'CN=Fleet CA 2' };
  const RETIRED = { id: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', state: 'retired' as const, subject: 'CN=Fleet CA 1' };
  const DISTRUST = { scope: { fleet: true }, actions: ['distrust_ca', 'refuse_revoked_peers'], maxUses: 3, validForSeconds: 604800 };

  it('the whole fleet, distrust_ca and refuse_revoked_peers, the CA resolved (current) or named (any CA of the console)', () => {
    expect(kitOrdersFromOptions({ order: `distrust-ca:current\ndistrust-ca:${RETIRED.id.toUpperCase()}\nsite:A`, 'order-actions': 'safe_mode' }, [CURRENT, RETIRED])).toEqual([
      { name: 'distrust-ca:current', ...DISTRUST, distrustCaIds: [CURRENT.id] },
      // --order-actions does not apply to a distrust order.
      { name: `distrust-ca:${RETIRED.id.toUpperCase()}`, ...DISTRUST, distrustCaIds: [RETIRED.id] },
      { name: 'site:A', scope: { site: 'A' }, maxUses: 3, validForSeconds: 604800, actions: ['safe_mode'] },
    ]);
  });

  it('refused with not_found and a clear message: no CA yet, no current CA, a CA the console does not know', () => {
    const refusal = (spec: string, cas: Array<typeof CURRENT | typeof RETIRED>) => {
      try {
        kitOrdersFromOptions({ order: spec }, cas);
      } catch (e) {
        // Each refusal names the option at fault (field: order).
        expect((e as { details?: unknown }).details).toEqual({ field: 'order' });
        return [(e as { code: string }).code, (e as Error).message];
      }
      return ['ok', ''];
    };
    expect(refusal('distrust-ca:current', [])).toEqual(['not_found', expect.stringMatching(/no fleet CA yet \(ca:init makes one\)/)]);
    expect(refusal('distrust-ca:current', [RETIRED])).toEqual(['not_found', expect.stringMatching(/no current fleet CA .*name a CA by its id/)]);
    expect(refusal(`distrust-ca:${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`, [CURRENT])).toEqual(['not_found', expect.stringMatching(/no fleet CA 00000000-.* on this console/)]);
    // An unknown id on a console with no CA at all says it has none yet; with CAs it just points to ca history.
    const unknownId = `${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`;
    expect(refusal(`distrust-ca:${unknownId}`, [])[1]).toMatch(/\(ca history lists them; it has none yet\)\.$/);
    expect(refusal(`distrust-ca:${unknownId}`, [CURRENT, RETIRED])[1]).toMatch(/on this console \(ca history lists them\)\.$/);
    // Without the CA list (the default), distrust-ca:current finds no CA at all.
    expect(() => kitOrdersFromOptions({ order: 'distrust-ca:current' })).toThrow(/no fleet CA yet \(ca:init makes one\)/);
  });

  it('kitOrdersNeedCas: only a distrust-ca: order needs the console\'s CA list', () => {
    expect([kitOrdersNeedCas({ order: 'fleet\nsite:A' }), kitOrdersNeedCas({ order: 'fleet\ndistrust-ca:current' })]).toEqual([false, true]);
  });
});

describe('kit import: the report', () => {
  it('prints the merge, the orders used, the quarantines, then each conflict and gap with its kit record', () => {
    const text = formatImport({
      kitId: 'K-1', responder: 'alice', records: 5,
      ordersUsed: [{ name: 'site:Plant 1', uses: 2, maxUses: 3 }, { name: 'fleet', uses: 1, maxUses: 1 }],
      quarantined: ['uv-1', 'uv-2'],
      conflicts: [{ kitSeq: 3, kind: 'robot_changed', message: 'uv-4 was renamed after the export' }],
      gaps: [{ kitSeq: 2, kind: 'robot_added', message: 'uv-5 joined Plant 1 after the export' }, { kitSeq: 4, kind: 'robot_added', message: 'uv-6 too' }],
    } as unknown as Parameters<typeof formatImport>[0]);
    expect(text.split('\n')).toEqual([
      'kit K-1 (responder alice): 5 offline record(s) merged into the audit',
      'orders used: site:Plant 1 2/3, fleet 1/1',
      'quarantined now: uv-1, uv-2',
      'conflicts: 1',
      '  [kit #3] robot_changed: uv-4 was renamed after the export',
      'gaps: 2',
      '  [kit #2] robot_added: uv-5 joined Plant 1 after the export',
      '  [kit #4] robot_added: uv-6 too',
    ]);
  });

  it('a distrusted fleet CA is printed last, as a notice per CA (the report\'s own message)', () => {
    const text = formatImport({
      kitId: 'K-3', responder: 'alice', records: 2, ordersUsed: [{ name: 'distrust-ca:current', uses: 1, maxUses: 1 }], quarantined: [], conflicts: [], gaps: [],
      distrustedCas: [{ kitSeq: 2, orderId: 'o', name: 'distrust-ca:current', caId: 'c', subject: 'CN=X', state: 'current', message: 'revoke and replace CN=X' }],
    } as unknown as Parameters<typeof formatImport>[0]);
    expect(text.split('\n').slice(-2)).toEqual(['fleet CAs distrusted offline: 1', '  [kit #2] NOTICE: revoke and replace CN=X']);
  });

  it('says none where nothing was used, quarantined, conflicting or missing', () => {
    const text = formatImport({ kitId: 'K-2', responder: 'bob', records: 0, ordersUsed: [], quarantined: [], conflicts: [], gaps: [] } as unknown as Parameters<typeof formatImport>[0]);
    expect(text.split('\n')).toEqual(['kit K-2 (responder bob): 0 offline record(s) merged into the audit', 'orders used: none', 'quarantined now: none', 'conflicts: 0', 'gaps: 0']);
  });
});
