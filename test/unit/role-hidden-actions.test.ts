// Issue 14: the window hides what a role may not do, and the main process is what refuses. This table lists every
// action control on the console's screens (renderer/src/, not the incident kit) with the channel it calls and the
// permission that channel needs, written here from the role list and docs/operators.md (not read from the
// renderer). It checks (1) that the main process's table (shared/permissions.ts CHANNEL_ACCESS) says the same for
// every role, (2) that the renderer's mayCall, which every control's hiding uses, shows a control to exactly the roles
// that may call its channel, and (3) that no channel a screen calls is missing from this table. Which controls are
// actually hidden on screen is checked per role in test/e2e/role-hidden-actions.spec.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChannelName } from '../../shared/contract.ts';
import { OPERATOR_ROLES, type OperatorRole } from '../../shared/operatorsContract.ts';
import { accessFor, CHANNEL_ACCESS } from '../../shared/permissions.ts';
import { KIT_OFFLINE_CHANNELS } from '../../shared/kitOfflineContract.ts';
import { mayCall } from '../../renderer/src/session/permissions.ts';

type Need = 'read' | 'provision' | 'keys' | 'security' | 'admin' | 'signedIn';

/** The roles: a viewer reads; each other role adds its own permission; the admin holds them all. */
const HOLDS: Readonly<Record<OperatorRole, readonly Need[]>> = {
  viewer: ['read'],
  station_operator: ['read', 'provision'],
  key_custodian: ['read', 'keys'],
  security_officer: ['read', 'security'],
  admin: ['read', 'provision', 'keys', 'security', 'admin'],
};

interface Control {
  screen: string;
  control: string;
  channel: ChannelName;
  /** For a channel whose permission depends on its input: the input this control sends. */
  input?: Record<string, unknown>;
  need: Need;
}

const CONTROLS: readonly Control[] = [
  { screen: 'Fleet', control: 'Register robot…', channel: 'fleet:create', need: 'provision' },
  { screen: 'Fleet', control: 'Import CSV…', channel: 'fleet:importCsv', need: 'provision' },
  { screen: 'Fleet', control: 'Change status… (maintenance)', channel: 'fleet:setStatus', input: { status: 'maintenance' }, need: 'provision' },
  { screen: 'Fleet', control: 'Change status… (decommissioned)', channel: 'fleet:setStatus', input: { status: 'decommissioned' }, need: 'provision' },
  { screen: 'Fleet', control: 'Change status… (quarantined)', channel: 'fleet:setStatus', input: { status: 'quarantined' }, need: 'security' },
  { screen: 'Fleet', control: 'Change status… (revoked)', channel: 'fleet:setStatus', input: { status: 'revoked' }, need: 'security' },
  { screen: 'Fleet', control: 'Apply robot/site key', channel: 'fleet:assignKey', need: 'provision' },
  { screen: 'Fleet', control: 'Apply robot/site key (none)', channel: 'fleet:clearKeyAssignment', need: 'provision' },
  { screen: 'Fleet', control: 'Issue key bundle…', channel: 'bundles:build', need: 'provision' },
  { screen: 'Station', control: 'Start / Stop station', channel: 'station:start', need: 'provision' },
  { screen: 'Station', control: 'Stop station', channel: 'station:stop', need: 'provision' },
  { screen: 'Station', control: 'Retry port', channel: 'station:retry', need: 'provision' },
  { screen: 'Station', control: 'Confirm re-provision', channel: 'station:confirmReprovision', need: 'provision' },
  { screen: 'Station', control: 'Start field link', channel: 'field:start', need: 'provision' },
  { screen: 'Station', control: 'Stop field link', channel: 'field:stop', need: 'provision' },
  { screen: 'Station', control: 'Field link autostart', channel: 'field:setAutostart', need: 'provision' },
  { screen: 'Certificates', control: 'Create fleet CA', channel: 'ca:init', need: 'security' },
  // Download CRL: a security holder's signs a fresh CRL (a CA key operation); everyone else's fetches the last
  // published one (a CRL is public, RFC 5280). The button is shown to every role; the channel it calls differs.
  { screen: 'Certificates', control: 'Download CRL (signs a fresh one)', channel: 'ca:crl', need: 'security' },
  { screen: 'Certificates', control: 'Download CRL (the last published)', channel: 'ca:publishedCrl', need: 'read' },
  { screen: 'Certificates', control: 'Revoke… (certificate)', channel: 'certs:revoke', need: 'security' },
  { screen: 'Certificates', control: 'Replace CA…', channel: 'ca:replace', need: 'security' },
  { screen: 'Certificates', control: 'Revoke CA… / Revoke this retired CA…', channel: 'ca:revoke', need: 'security' },
  { screen: 'Keys', control: 'Create key', channel: 'keys:create', need: 'keys' },
  // Rotate and Change state are hidden from a role that may not use them; disabled (with the reason) only for a key
  // whose state allows nothing (Rotate: not active; Change state: no transition this role may make).
  { screen: 'Keys', control: 'Rotate', channel: 'keys:rotate', need: 'keys' },
  { screen: 'Keys', control: 'Change state (disabled)', channel: 'keys:setState', input: { state: 'disabled' }, need: 'keys' },
  { screen: 'Keys', control: 'Change state (compromised)', channel: 'keys:setState', input: { state: 'compromised' }, need: 'security' },
  { screen: 'Keys', control: 'Encrypt (tester)', channel: 'keys:encrypt', need: 'keys' },
  { screen: 'Keys', control: 'Decrypt (tester)', channel: 'keys:decrypt', need: 'keys' },
  { screen: 'Rotation schedules', control: 'Run now', channel: 'rotation:runNow', need: 'keys' },
  { screen: 'Rotation schedules', control: 'Pause scheduler', channel: 'rotation:pause', need: 'keys' },
  { screen: 'Rotation schedules', control: 'Resume scheduler', channel: 'rotation:resume', need: 'keys' },
  { screen: 'Rotation schedules', control: 'Rotate in a batch', channel: 'rotation:batchStart', need: 'keys' },
  { screen: 'Rotation schedules', control: 'Cancel batch', channel: 'rotation:batchCancel', need: 'keys' },
  { screen: 'Rotation schedules', control: 'Edit (type policy)', channel: 'rotation:setTypePolicy', need: 'admin' },
  { screen: 'Rotation schedules', control: "Edit / Set this key's own policy", channel: 'rotation:setKeyPolicy', need: 'admin' },
  { screen: 'Rotation schedules', control: "Remove this key's own policy", channel: 'rotation:clearKeyPolicy', need: 'admin' },
  { screen: 'Rotation schedules', control: 'Check drift', channel: 'rotation:checkDrift', need: 'keys' },
  { screen: 'Rotation schedules', control: 'Halt (rollout)', channel: 'rollout:halt', need: 'keys' },
  { screen: 'Rotation schedules', control: 'Resume (rollout)', channel: 'rollout:resume', need: 'keys' },
  { screen: 'Rotation schedules', control: 'Retire or reinstate', channel: 'rollout:retire', need: 'keys' },
  { screen: 'Rotation schedules', control: 'Retire or reinstate (reinstate)', channel: 'rollout:reinstate', need: 'keys' },
  { screen: 'Rotation schedules', control: 'Save rollout policy', channel: 'rollout:setPolicy', need: 'admin' },
  { screen: 'Rotation schedules', control: 'Go back to the built-in policy', channel: 'rollout:clearPolicy', need: 'admin' },
  { screen: 'Providers', control: 'Add provider… / Edit', channel: 'providers:save', need: 'admin' },
  { screen: 'Providers', control: 'Remove', channel: 'providers:remove', need: 'admin' },
  { screen: 'Providers', control: 'Test connection', channel: 'providers:test', need: 'admin' },
  { screen: 'Providers', control: 'PKCS#11 slot list (provider form)', channel: 'providers:slots', need: 'admin' },
  { screen: 'Providers', control: 'Back up keys', channel: 'keys:backup', need: 'keys' },
  { screen: 'Providers', control: 'Verify backup', channel: 'keys:verifyBackup', need: 'keys' },
  { screen: 'Providers', control: 'Migrate keys', channel: 'keys:migrate', need: 'keys' },
  { screen: 'Metrics and alerts', control: 'Acknowledge', channel: 'alerts:acknowledge', need: 'security' },
  { screen: 'Compliance reports', control: 'Generate', channel: 'report:generate', need: 'security' },
  { screen: 'Approvals', control: 'Approve', channel: 'approvals:approve', need: 'signedIn' },
  { screen: 'Approvals', control: 'Deny', channel: 'approvals:deny', need: 'signedIn' },
  { screen: 'Approvals', control: 'Execute', channel: 'approvals:execute', need: 'signedIn' },
  { screen: 'Approvals', control: 'Enrol approval key', channel: 'approvals:enrolKey', need: 'signedIn' },
  { screen: 'Approvals', control: 'Revoke approval key', channel: 'approvals:revokeKey', need: 'admin' },
  { screen: 'Recovery and backup', control: 'Create shares', channel: 'recovery:createShares', need: 'admin' },
  { screen: 'Recovery and backup', control: 'Create backup', channel: 'backup:create', need: 'admin' },
  { screen: 'Recovery and backup', control: 'Restore backup', channel: 'backup:restore', need: 'admin' },
  { screen: 'Operators', control: 'Add operator', channel: 'operators:add', need: 'admin' },
  { screen: 'Operators', control: 'Remove operator', channel: 'operators:remove', need: 'admin' },
  { screen: 'Operators', control: 'Change role', channel: 'operators:setRole', need: 'admin' },
  { screen: 'Operators', control: 'Reset second factor', channel: 'operators:resetTotp', need: 'admin' },
  { screen: 'Operators', control: 'Idle lock Save', channel: 'session:setIdleLock', need: 'admin' },
  { screen: 'Operators', control: 'Approval policy Save', channel: 'approvals:setPolicy', need: 'admin' },
  { screen: 'Emergency response', control: 'Execute', channel: 'emergency:execute', need: 'security' },
  { screen: 'Emergency response', control: 'Retry', channel: 'emergency:retry', need: 'security' },
  { screen: 'Emergency response', control: 'Review', channel: 'emergency:review', need: 'security' },
  { screen: 'Emergency response', control: 'Issue a lockdown order…', channel: 'emergency:lockdownOrder', need: 'security' },
  { screen: 'Settings', control: 'Change passphrase', channel: 'session:changePassphrase', need: 'signedIn' },
  { screen: 'Top bar', control: 'Lock', channel: 'session:lock', need: 'signedIn' },
  { screen: 'Top bar', control: 'Second factor… (authenticator)', channel: 'operators:enrollTotp', need: 'signedIn' },
  { screen: 'Top bar', control: 'Second factor… (confirm)', channel: 'operators:confirmTotp', need: 'signedIn' },
  { screen: 'Top bar', control: 'Second factor… (token)', channel: 'operators:enrollToken', need: 'signedIn' },
  { screen: 'Top bar', control: 'Second factor… (token list)', channel: 'operators:tokenSlots', need: 'signedIn' },
  { screen: 'Top bar', control: 'New recovery codes', channel: 'operators:regenerateRecoveryCodes', need: 'signedIn' },
  { screen: 'Top bar', control: 'Recovery codes reminder', channel: 'operators:recoveryReminder', need: 'signedIn' },
  { screen: 'Top bar', control: 'Dismiss recovery codes reminder', channel: 'operators:dismissRecoveryReminder', need: 'signedIn' },
];

const visibleTo = (c: Control, role: OperatorRole) => c.need === 'signedIn' || HOLDS[role].includes(c.need);

describe('every action control against CHANNEL_ACCESS, by role (issue 14)', () => {
  it.each(OPERATOR_ROLES)('the main process allows %s exactly the controls the issue gives the role', (role) => {
    const refused = CONTROLS.filter((c) => accessFor(c.channel, role, c.input ? { parsed: c.input } : undefined).allowed !== visibleTo(c, role));
    expect(refused.map((c) => `${c.screen}: ${c.control} (${c.channel})`)).toEqual([]);
  });

  it.each(OPERATOR_ROLES)('the window shows %s exactly those controls (mayCall)', (role) => {
    const wrong = CONTROLS.filter((c) => mayCall(role, c.channel, c.input) !== visibleTo(c, role));
    expect(wrong.map((c) => `${c.screen}: ${c.control} (${c.channel})`)).toEqual([]);
  });

  it('a viewer sees no control that changes anything but their own session', () => {
    expect(CONTROLS.filter((c) => mayCall('viewer', c.channel, c.input)).every((c) => c.need === 'signedIn' || CHANNEL_ACCESS[c.channel] === 'read')).toBe(true);
  });

  it('before the role is known nothing is hidden (the main process still refuses)', () => {
    expect(CONTROLS.every((c) => mayCall(null, c.channel, c.input))).toBe(true);
  });

  it('every channel a screen calls that not every reader may call is in the table', () => {
    const root = join(import.meta.dirname, '../../renderer/src');
    const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
    const called = new Set<string>();
    for (const file of walk(root).filter((f) => /\.tsx?$/.test(f) && !f.includes('incidentKit'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/'([a-z]+:[a-zA-Z]+)'/g)) {
        const access = (CHANNEL_ACCESS as Record<string, unknown>)[m[1]!];
        if (access !== undefined && access !== 'read' && access !== 'open') called.add(m[1]!);
      }
    }
    const listed = new Set(CONTROLS.map((c) => c.channel as string));
    expect([...called].filter((ch) => !listed.has(ch)).sort()).toEqual([]);
  });
});

// The incident kit's own window (`serve --kit DIR`, renderer/src/incidentKit/) is outside this table on purpose
// (docs/incident-kit.md, "Roles in the offline console"): the kit-mode router serves only the kitOffline:* channels,
// which no role table knows, and the one operator who can sign in to a kit is its responder, who is the operator who
// exported it (kitService: the responder is the signed-in exporter), which kit:export allows only with `security`.
// Every control of that window (look, use a pre-signed order = quarantine, sign out) is within that permission.
describe('the incident kit window: roles do not apply', () => {
  it('no kitOffline channel is in CHANNEL_ACCESS (the console\'s router never serves one)', () => {
    expect(KIT_OFFLINE_CHANNELS.length).toBeGreaterThan(0);
    expect(KIT_OFFLINE_CHANNELS.filter((ch) => Object.hasOwn(CHANNEL_ACCESS, ch))).toEqual([]);
  });

  it('only roles holding security may export a kit, so only they can be a kit\'s responder', () => {
    const exporters = OPERATOR_ROLES.filter((role) => accessFor('kit:export', role).allowed);
    expect(exporters).toEqual(OPERATOR_ROLES.filter((role) => HOLDS[role].includes('security')));
    expect(exporters.sort()).toEqual(['admin', 'security_officer']);
  });
});
