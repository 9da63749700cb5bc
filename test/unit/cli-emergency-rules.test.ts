// emergency execute's options to the channel's input (electron/ipc/cli/emergencyCli.ts), against docs/cli.md and
// docs/emergency-response.md: each action flag names one playbook action (the contract's names, written out here),
// in the playbook's order whatever the order on the command line.
import { describe, expect, it } from 'vitest';
import { executeFromOptions } from '../../electron/ipc/cli/emergencyCli.ts';

describe('emergency execute: action flags to playbook actions', () => {
  const FLAGS: Array<[string, string]> = [
    ['compromise-keys', 'compromise_keys'],
    ['revoke-certs', 'revoke_certificates'],
    ['revoke-ca', 'revoke_ca'],
    ['quarantine', 'quarantine'],
    ['rotate-shared', 'rotate_shared'],
    ['lockdown', 'lockdown'],
  ];
  it.each(FLAGS)('--%s alone is the action %s', (flag, action) => {
    expect(executeFromOptions({ fleet: true, reason: 'r', [flag]: true }).actions).toEqual([action]);
  });

  it('all flags give every action in the playbook order; none gives none', () => {
    const all = Object.fromEntries(FLAGS.map(([f]) => [f, true]).reverse());
    expect(executeFromOptions({ fleet: true, reason: 'r', ...all }).actions).toEqual(FLAGS.map(([, a]) => a));
    expect(executeFromOptions({ fleet: true, reason: 'r' }).actions).toEqual([]);
  });

  it('--ca-id names the CA --revoke-ca revokes (caId); without it none is sent (the current CA)', () => {
    const id = '0b7c3f0e-5d43-4c39-9a41-2a3f7e1d9c10';
    expect(executeFromOptions({ fleet: true, reason: 'r', 'revoke-ca': true, 'ca-id': id })).toMatchObject({ actions: ['revoke_ca'], caId: id });
    expect('caId' in executeFromOptions({ fleet: true, reason: 'r', 'revoke-ca': true })).toBe(false);
  });
});
