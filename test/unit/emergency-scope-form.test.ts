// The Emergency screen's scope form (renderer/src/emergency/scopeForm.ts) and its shortcut (shell/emergencyShortcut.ts):
// the texts an officer types or pastes, and the CSV files they choose, against tables written here from the
// contract's scope schema (shared/emergencyContract.ts) and docs/emergency-response.md, "The Emergency screen".
import { describe, expect, it } from 'vitest';
import { EmergencyScopeSchema } from '../../shared/emergencyContract.ts';
import { parseRobotList, scopeFromForm, SCOPE_KINDS, type ScopeKind } from '../../renderer/src/emergency/scopeForm.ts';
import { isEmergencyShortcut } from '../../renderer/src/shell/emergencyShortcut.ts';

const KEY = '0b6f3c2e-4a1d-4c8e-9f00-1234567890ab';

describe('a pasted list or a CSV file of robots', () => {
  it.each([
    ['one a line', 'uv-001\nuv-002\n', ['uv-001', 'uv-002'], [], 0],
    ['Windows line ends and blank lines', 'uv-001\r\n\r\nuv-002\r\n', ['uv-001', 'uv-002'], [], 0],
    ['commas, semicolons and spaces', 'uv-001, uv-002;uv-003  uv-004', ['uv-001', 'uv-002', 'uv-003', 'uv-004'], [], 0],
    ['repeats counted once, first order kept', 'uv-002\nuv-001\nuv-002\nuv-002', ['uv-002', 'uv-001'], [], 2],
    ['what is not a device id', 'uv-001\n-bad\nx\nuv-002', ['uv-001', 'uv-002'], ['-bad', 'x'], 0],
    ['a CSV with a deviceId column (the fleet export)', 'deviceId,name,site\nuv-001,Robot one,Plant 1\nuv-002,"Robot, two",Plant 1\n', ['uv-001', 'uv-002'], [], 0],
    ['a CSV with device_id not first, quoted', 'site,"device_id"\nPlant 1,"uv-007"\nPlant 2,uv-008\n', ['uv-007', 'uv-008'], [], 0],
    ['a CSV header in any case, with a byte order mark', '\uFEFFDevice ID,Name\nuv-003,x\n', ['uv-003'], [], 0],
    ['a CSV row with the id empty', 'deviceId,name\n,nameless\nuv-004,x\n', ['uv-004'], [], 0],
    ['nothing', '  \n\n', [], [], 0],
  ])('%s', (_what, text, deviceIds, invalid, duplicates) => {
    expect(parseRobotList(text)).toEqual({ deviceIds, invalid, duplicates });
  });
});

describe('the scope form as the contract scope', () => {
  const ok: Array<[ScopeKind, string, unknown]> = [
    ['robot', ' uv-001 ', { kind: 'robot', deviceId: 'uv-001' }],
    ['robots', 'uv-001\nuv-002\nuv-001', { kind: 'robots', deviceIds: ['uv-001', 'uv-002'] }],
    ['site', 'Plant 1', { kind: 'site', site: 'Plant 1' }],
    ['model', 'UV-7', { kind: 'model', model: 'UV-7' }],
    ['firmware', '2.1.0', { kind: 'firmware', firmware: '2.1.0' }],
    ['tag', 'night', { kind: 'tag', tag: 'night' }],
    ['key', KEY, { kind: 'key', keyId: KEY }],
    ['key', `${KEY.toUpperCase()}:3`, { kind: 'key', keyId: KEY, version: 3 }],
    ['serial', '7F:01:A2', { kind: 'serial', serial: '7F:01:A2' }],
    ['serial', '7f01a2', { kind: 'serial', serial: '7f01a2' }],
    ['fleet', 'anything', { kind: 'fleet' }],
  ];
  it.each(ok)('%s %j', (kind, text, scope) => {
    const r = scopeFromForm(kind, text);
    expect(r).toEqual({ scope });
    // What the form sends, the contract accepts as it is.
    expect(EmergencyScopeSchema.parse(scope)).toEqual(scope);
  });

  const refused: Array<[ScopeKind, string, RegExp]> = [
    ['robot', '', /^Enter a device id\.$/],
    ['robot', 'uv 001', /is not a device id/],
    ['robots', '\n', /^Enter at least one device id\.$/],
    ['robots', 'uv-001\n-a\n-b\n-c\n-d\n-e\n-f', /^Not device ids: -a, -b, -c, -d, -e and 1 more\.$/],
    ['site', '   ', /^Enter a site\.$/],
    ['site', ' -leading dash', /is not a site/],
    ['firmware', '', /^Enter a firmware version\.$/],
    ['tag', 'two words', /is not a tag/],
    ['key', 'not-a-key', /is not a key id/],
    ['key', `${KEY}:0`, /A key version is a whole number from 1/],
    ['key', `${KEY}:x`, /is not a key id/],
    ['serial', 'xyz', /is not a hexadecimal certificate serial/],
    ['serial', '7F0', /is not a hexadecimal certificate serial/],
  ];
  it.each(refused)('%s %j is refused in words', (kind, text, words) => {
    const r = scopeFromForm(kind, text);
    expect('error' in r ? r.error : r).toMatch(words);
  });

  it('offers every scope kind of the contract, once', () => {
    const kinds = ['robot', 'robots', 'site', 'model', 'firmware', 'tag', 'key', 'serial', 'fleet'];
    expect(SCOPE_KINDS.map((k) => k.kind).sort()).toEqual([...kinds].sort());
    expect(EmergencyScopeSchema.options.map((o) => o.shape.kind.value).sort()).toEqual([...kinds].sort());
  });
});

describe('the Emergency shortcut', () => {
  const key = (over: Partial<Record<'altKey' | 'shiftKey' | 'ctrlKey' | 'metaKey', boolean>> & { code?: string }) => ({ altKey: false, shiftKey: false, ctrlKey: false, metaKey: false, code: 'KeyE', ...over });
  it.each([
    ['Alt+Shift+E', key({ altKey: true, shiftKey: true }), true],
    ['Alt+E', key({ altKey: true }), false],
    ['Shift+E', key({ shiftKey: true }), false],
    ['Ctrl+Alt+Shift+E', key({ altKey: true, shiftKey: true, ctrlKey: true }), false],
    ['Meta+Alt+Shift+E', key({ altKey: true, shiftKey: true, metaKey: true }), false],
    ['Alt+Shift+R', key({ altKey: true, shiftKey: true, code: 'KeyR' }), false],
  ])('%s: %s', (_what, event, expected) => {
    expect(isEmergencyShortcut(event)).toBe(expected);
  });
});
