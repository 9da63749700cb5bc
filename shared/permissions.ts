// The permission each channel of the contract needs (issue 14, docs/operators.md). The router looks a channel up here
// and refuses with `forbidden` before any handler runs when the signed-in operator's role lacks it. A new channel
// must be added here (the type requires every channel), which forces a decision about who may call it.
import type { ChannelName, ParsedInput } from './contract.ts';
import { ROLE_PERMISSIONS, type OperatorRole, type Permission } from './operatorsContract.ts';

/** Before sign-in (`open`: status, first run, unlock) or any signed-in operator (`signedIn`: lock, own passphrase). */
export type ChannelAccess = 'open' | 'signedIn' | Permission | InputAccess<ChannelName>;

/** A channel whose permission depends on its input: `anyOf` is checked before the input is parsed, `of` after. */
export interface InputAccess<C extends ChannelName> {
  anyOf: readonly Permission[];
  of(input: ParsedInput<C>): Permission;
}

const byInput = <C extends ChannelName>(anyOf: readonly Permission[], of: (input: ParsedInput<C>) => Permission): InputAccess<ChannelName> =>
  ({ anyOf, of }) as unknown as InputAccess<ChannelName>;

/** Robot states that take a robot out of service for security reasons: the security officer's. */
const SECURITY_ROBOT_STATES: readonly string[] = ['quarantined', 'revoked'];

export const CHANNEL_ACCESS: Readonly<Record<ChannelName, ChannelAccess>> = {
  'session:status': 'open',
  'session:init': 'open',
  'session:unlock': 'open',
  'session:lock': 'signedIn',
  'session:changePassphrase': 'signedIn',
  'session:info': 'signedIn',

  'operators:list': 'read',
  'operators:add': 'admin',
  'operators:remove': 'admin',
  'operators:setRole': 'admin',
  'operators:changePassphrase': 'signedIn',
  // Each operator enrols their own second factor; removing someone's factor is the admin's.
  'operators:enrollTotp': 'signedIn',
  'operators:confirmTotp': 'signedIn',
  'operators:enrollToken': 'signedIn',
  // Any signed-in operator may list a module's tokens to bind their own (providers:slots is the admin's, for providers).
  'operators:tokenSlots': 'signedIn',
  'operators:regenerateRecoveryCodes': 'signedIn',
  'operators:recoveryReminder': 'signedIn',
  'operators:dismissRecoveryReminder': 'signedIn',
  'operators:resetTotp': 'admin',
  'session:idleLock': 'read',
  'session:setIdleLock': 'admin',
  // Hidden or shown carries no data and changes nothing but the lock: any window may say so, signed in or not.
  'session:visibility': 'open',

  'keys:list': 'read',
  'keys:get': 'read',
  'keys:publicKey': 'read',
  'keys:verify': 'read',
  'keys:verifyIntegrity': 'read',
  'keys:create': 'keys',
  'keys:rotate': 'keys',
  // Marking a key compromised is the security officer's; every other state change the key custodian's.
  'keys:setState': byInput<'keys:setState'>(['keys', 'security'], (i) => (i.state === 'compromised' ? 'security' : 'keys')),
  'keys:encrypt': 'keys',
  'keys:decrypt': 'keys',
  'keys:sign': 'keys',
  'keys:backup': 'keys',
  'keys:verifyBackup': 'keys',
  'keys:migrate': 'keys',

  'providers:list': 'read',
  'providers:save': 'admin',
  'providers:test': 'admin',
  // Every provider's reachability, latency and an error code, nothing from its settings or messages: a viewer may
  // script a health check (providers:test, with the provider's detail, stays the admin's).
  'providers:health': 'read',
  'providers:slots': 'admin',
  'providers:remove': 'admin',

  'audit:query': 'read',
  'audit:verify': 'read',
  'audit:export': 'read',
  'audit:actions': 'read',
  'audit:keyFingerprint': 'read',

  'fleet:list': 'read',
  'fleet:get': 'read',
  'fleet:sites': 'read',
  'fleet:models': 'read',
  'fleet:exportCsv': 'read',
  'fleet:dashboard': 'read',
  'fleet:keyAssignments': 'read',
  'fleet:siteKeyAssignments': 'read',
  'fleet:keyUsage': 'read',
  'fleet:revocationPlan': 'read',
  'fleet:create': 'provision',
  'fleet:update': 'provision',
  'fleet:importCsv': 'provision',
  'fleet:assignKey': 'provision',
  'fleet:clearKeyAssignment': 'provision',
  // Quarantine and revocation are the security officer's; the rest of a robot's life the station operator's.
  'fleet:setStatus': byInput<'fleet:setStatus'>(['provision', 'security'], (i) => (SECURITY_ROBOT_STATES.includes(i.status) ? 'security' : 'provision')),

  'ca:status': 'read',
  'certs:list': 'read',
  'bundles:list': 'read',
  'station:status': 'read',
  'ca:init': 'security',
  // ca:crl signs a fresh CRL with the CA key (a key operation): the security officer's. The last published one is
  // public by nature (RFC 5280: relying parties fetch it): every reader's.
  'ca:crl': 'security',
  'ca:publishedCrl': 'read',
  'certs:revoke': 'security',
  // Replacing or revoking the fleet CA: the security officer's, and guarded (two-person control: ca.replace, ca.revoke).
  'ca:history': 'read',
  'ca:replace': 'security',
  'ca:revoke': 'security',
  'bundles:build': 'provision',
  'station:start': 'provision',
  'station:stop': 'provision',
  'station:retry': 'provision',
  'station:confirmReprovision': 'provision',
  // The field link (docs/field-link.md) serves robots like a station in distribute mode: the station operator's.
  'field:status': 'read',
  'field:start': 'provision',
  'field:stop': 'provision',
  'field:autostart': 'read',
  'field:setAutostart': 'provision',

  'rotation:status': 'read',
  'rotation:due': 'read',
  'rotation:policies': 'read',
  'rotation:jobs': 'read',
  'rotation:usage': 'read',
  'rotation:upcoming': 'read',
  'rotation:batchList': 'read',
  'rotation:batchGet': 'read',
  'rotation:batchItems': 'read',
  'rotation:runNow': 'keys',
  'rotation:pause': 'keys',
  'rotation:resume': 'keys',
  'rotation:batchStart': 'keys',
  'rotation:batchCancel': 'keys',
  'rotation:setTypePolicy': 'admin',
  'rotation:setKeyPolicy': 'admin',
  'rotation:clearKeyPolicy': 'admin',
  'rotation:providerSchedule': 'read',
  // The drift check calls the provider and records what it finds: the key custodian's.
  'rotation:checkDrift': 'keys',

  'rollout:list': 'read',
  'rollout:get': 'read',
  'rollout:getPolicy': 'read',
  'rollout:holdings': 'read',
  'rollout:versions': 'read',
  'rollout:needsVisit': 'read',
  'rollout:halt': 'keys',
  'rollout:resume': 'keys',
  'rollout:retire': 'keys',
  'rollout:reinstate': 'keys',
  'rollout:setPolicy': 'admin',
  'rollout:clearPolicy': 'admin',

  'metrics:series': 'read',
  'alerts:list': 'read',
  // Alerts are incidents (failed rotations, lost providers, denied access): the security officer answers them.
  'alerts:acknowledge': 'security',

  'emergency:lockdownList': 'read',
  // Lockdown is the security officer's (issue 14's role list).
  'emergency:lockdownOrder': 'security',

  // The compliance report shows who was refused, failed sign-ins, compromises and the audit's heads: evidence for an
  // audit, so the security officer's (an admin holds every permission), not every viewer's (docs/compliance-report.md).
  'report:generate': 'security',
  // Emergency response (docs/emergency-response.md): looking is reading; acting and reviewing the security officer's.
  'emergency:preview': 'read',
  'emergency:runs': 'read',
  'emergency:run': 'read',
  'emergency:execute': 'security',
  'emergency:retry': 'security',
  'emergency:review': 'security',
  // Two-person control (docs/two-person-control.md): who may approve, deny or execute is decided by the request's
  // policy (approve, deny) and by the guarded channel's own permission (execute), checked in the service.
  'approvals:list': 'read',
  'approvals:policies': 'read',
  'approvals:exportRequest': 'read',
  'approvals:approve': 'signedIn',
  'approvals:deny': 'signedIn',
  'approvals:execute': 'signedIn',
  'approvals:importApproval': 'signedIn',
  'approvals:enrolKey': 'signedIn',
  'approvals:setPolicy': 'admin',
  // Removing another operator's approval key (a leaked one): the admin's, as resetting a second factor is.
  'approvals:revokeKey': 'admin',
  // Which approval keys no longer count (fingerprints, who, when, why): nothing secret, so every reader's.
  'approvals:listRevokedKeys': 'read',
  // Who has an approval key enrolled now (operator, fingerprint, since when): no key material, so every reader's.
  'approvals:listKeys': 'read',
  'recovery:status': 'read',
  // Shares of the master key and whole-store backups: the admin's (docs/recovery-and-backup.md).
  'recovery:createShares': 'admin',
  // The ceremony runs when no operator can sign in: k valid shares are its authority, like a passphrase for unlock.
  'recovery:recover': 'open',
  'backup:create': 'admin',
  'backup:restore': 'admin',
  // Incident kits (docs/incident-kit.md): exporting hands out pre-signed lockdown orders, importing merges offline
  // quarantines: both the security officer's.
  'kit:export': 'security',
  'kit:import': 'security',
};

export type AccessVerdict = { allowed: true } | { allowed: false; needs: string };

/**
 * Whether `role` may call `channel`; with `input` (parsed), the input-dependent permission too. Without a role (no
 * one signed in), only `open` channels pass here; the handlers answer `locked` / `not_initialized` for the rest.
 */
export function accessFor(channel: ChannelName, role: OperatorRole | null, input?: { parsed: unknown }): AccessVerdict {
  const access = CHANNEL_ACCESS[channel] ?? 'admin';
  if (access === 'open') return { allowed: true };
  if (role === null) return { allowed: true };
  if (access === 'signedIn') return { allowed: true };
  const held = ROLE_PERMISSIONS[role];
  if (typeof access === 'string') return held.includes(access) ? { allowed: true } : { allowed: false, needs: access };
  if (!access.anyOf.some((p) => held.includes(p))) return { allowed: false, needs: access.anyOf.join(' or ') };
  if (input === undefined) return { allowed: true };
  const needed = access.of(input.parsed as never);
  return held.includes(needed) ? { allowed: true } : { allowed: false, needs: needed };
}

/** Whether the channel's permission depends on its input (checked again once the input is parsed). */
export function dependsOnInput(channel: ChannelName): boolean {
  return typeof CHANNEL_ACCESS[channel] === 'object';
}

/**
 * Channels that change nothing although their permission is more than `read` (signed-in reads). The access gate does
 * not record their `locked` refusal (electron/services/operators/accessGate.ts); the browser host's window may send
 * them again after a drop, like every `read` channel (isReadOnlyChannel).
 */
export const SIGNED_IN_READS: ReadonlySet<ChannelName> = new Set<ChannelName>(['session:info', 'operators:tokenSlots', 'operators:recoveryReminder']);

/**
 * Whether a call on the channel changes nothing, so sending it again is harmless: the browser host's window re-sends
 * such a call that the console never received before a drop, and never re-sends any other (docs/ui.md "Calls in flight
 * at a drop"). `read` channels, the signed-in reads and session:status; a channel not in the contract (the offline
 * console's kitOffline:*) counts as changing. A `read` channel may leave an audit record (keys:verify) or prepare a
 * download (audit:export): a second one is noise, not a second change.
 */
export function isReadOnlyChannel(channel: string): boolean {
  if (channel === 'session:status') return true;
  if (!Object.prototype.hasOwnProperty.call(CHANNEL_ACCESS, channel)) return false;
  const name = channel as ChannelName;
  return CHANNEL_ACCESS[name] === 'read' || SIGNED_IN_READS.has(name);
}
