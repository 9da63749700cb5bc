// The kit commands' pure parts (electron/ipc/cli/kitCli.ts) against docs/incident-kit.md and docs/cli.md: each --order
// becomes one kit order named by its own text, with the documented defaults (3 uses, 7 days) or the given counts and
// robot actions; an import report prints as the documented lines. Expected values are written out here.
import { describe, expect, it } from 'vitest';
import { formatImport, kitOrdersFromOptions } from '../../electron/ipc/cli/kitCli.ts';

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

  it('says none where nothing was used, quarantined, conflicting or missing', () => {
    const text = formatImport({ kitId: 'K-2', responder: 'bob', records: 0, ordersUsed: [], quarantined: [], conflicts: [], gaps: [] } as unknown as Parameters<typeof formatImport>[0]);
    expect(text.split('\n')).toEqual(['kit K-2 (responder bob): 0 offline record(s) merged into the audit', 'orders used: none', 'quarantined now: none', 'conflicts: 0', 'gaps: 0']);
  });
});
