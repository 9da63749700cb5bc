// Which playbooks need two-person approval (or break-glass): docs/emergency-response.md, "Who may run what" - a scope
// beyond a list of robots, or any scope with revoke_ca (revoking the fleet CA reaches every robot). The table is
// written from that section, not from the function.
import { describe, expect, it } from 'vitest';
import { isWideRun, type EmergencyAction, type EmergencyScope } from '../../shared/emergencyContract.ts';

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
