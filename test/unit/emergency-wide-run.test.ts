// Which playbooks need two-person approval (or break-glass): docs/emergency-response.md, "Who may run what" - a scope
// beyond a list of robots, or any scope with revoke_ca (revoking the fleet CA reaches every robot). The table is
// written from that section, not from the function.
import { describe, expect, it } from 'vitest';
import { isWideOrder, isWidePlaybook, isWideRun, orderEmergencyScope, type EmergencyAction, type EmergencyScope, type OrderInputScope } from '../../shared/emergencyContract.ts';

const ROBOT_ACTIONS: EmergencyAction[] = ['compromise_keys', 'revoke_certificates', 'quarantine', 'rotate_shared', 'lockdown'];

describe('isWideRun', () => {
  it.each<[EmergencyScope['kind'], EmergencyAction[], boolean]>([
    ['robot', ROBOT_ACTIONS, false],
    ['robots', ['quarantine'], false],
    ['robot', ['revoke_ca'], true],
    ['robots', ['quarantine', 'revoke_ca'], true],
    ['site', ['quarantine'], true],
    ['serial', ['revoke_certificates'], true],
    ['key', ['compromise_keys'], true],
    ['fleet', ['revoke_ca'], true],
  ])('%s scope with %j: wide %s', (kind, actions, wide) => {
    expect(isWideRun({ kind }, actions)).toBe(wide);
  });
});

// A playbook whose lockdown order distrusts a fleet CA is wide whatever its scope, as the order on its own is
// (docs/emergency-response.md, "Containing a compromised fleet CA online"): the playbook is no way around it.
describe('isWidePlaybook', () => {
  it.each<[string, EmergencyScope['kind'], EmergencyAction[], { actions: string[] } | undefined, boolean]>([
    ['one robot, a plain lockdown', 'robot', ['lockdown'], { actions: ['stop_operating'] }, false],
    ['one robot, the default lockdown', 'robot', ['quarantine', 'lockdown'], undefined, false],
    ['one robot, a lockdown that distrusts a CA', 'robot', ['lockdown'], { actions: ['stop_operating', 'distrust_ca'] }, true],
    ['a list, a lockdown that distrusts a CA', 'robots', ['quarantine', 'lockdown'], { actions: ['distrust_ca'] }, true],
    ['one robot, distrust settings without the lockdown action (never sent)', 'robot', ['quarantine'], { actions: ['distrust_ca'] }, false],
    ['one robot, revoke_ca', 'robot', ['revoke_ca'], undefined, true],
    ['a site, a plain lockdown', 'site', ['lockdown'], { actions: ['safe_mode'] }, true],
  ])('%s: wide %s', (_what, kind, actions, lockdown, wide) => {
    expect(isWidePlaybook({ scope: { kind }, actions, ...(lockdown ? { lockdown } : {}) })).toBe(wide);
  });
});

// An order issued on its own is wide exactly when a playbook on the same robots with the lockdown action would be;
// a lift restores and never is (docs/lockdown-orders.md, "Issuing").
describe('isWideOrder', () => {
  const KEY = '0b6f3c2e-4a1d-4c8e-9f00-1234567890ab';
  it.each<[string, OrderInputScope, 'lockdown' | 'lift', boolean]>([
    ['robots', { deviceIds: ['uv-1', 'uv-2'] }, 'lockdown', false],
    ['one robot', { deviceIds: ['uv-1'] }, 'lockdown', false],
    ['a site', { site: 'Plant 1' }, 'lockdown', true],
    ['a model', { model: 'UV-7' }, 'lockdown', true],
    ['a firmware version', { firmware: '2.1' }, 'lockdown', true],
    ['a tag', { tag: 'night' }, 'lockdown', true],
    ['the fleet', { fleet: true }, 'lockdown', true],
    ['a key version', { keyId: KEY, version: 2 }, 'lockdown', true],
    ['a certificate serial', { serial: '7f01' }, 'lockdown', true],
    ['a site, lifted', { site: 'Plant 1' }, 'lift', false],
    ['a key version, lifted', { keyId: KEY, version: 2 }, 'lift', false],
  ])('%s, %s: wide %s', (_what, scope, kind, wide) => {
    expect(isWideOrder({ kind, scope })).toBe(wide);
  });

  it.each<[OrderInputScope, EmergencyScope]>([
    [{ keyId: KEY }, { kind: 'key', keyId: KEY }],
    [{ keyId: KEY, version: 4 }, { kind: 'key', keyId: KEY, version: 4 }],
    [{ serial: '7F:01' }, { kind: 'serial', serial: '7F:01' }],
    [{ deviceIds: ['uv-1'] }, { kind: 'robots', deviceIds: ['uv-1'] }],
    [{ site: 'Plant 1' }, { kind: 'site', site: 'Plant 1' }],
    [{ model: 'UV-7' }, { kind: 'model', model: 'UV-7' }],
    [{ firmware: '2.1' }, { kind: 'firmware', firmware: '2.1' }],
    [{ tag: 'night' }, { kind: 'tag', tag: 'night' }],
    [{ fleet: true }, { kind: 'fleet' }],
  ])('the order scope %j is the playbook scope %j', (scope, expected) => {
    expect(orderEmergencyScope(scope)).toEqual(expected);
  });
});
