// Operators and roles (issue 14, docs/operators.md): each operator has their own passphrase (their own key slot: the
// master key wrapped under a key derived from it) and one role. The operators:* channels (spread into `contract` in
// contract.ts) list, add and remove operators, change a role and change the signed-in operator's own passphrase;
// session:info says who is signed in, with which role and what that role may do. Nothing here carries a secret back.
import { z } from 'zod';
import { channel } from './channel.ts';

/** The roles, from the least to the most trusted. */
export const OPERATOR_ROLES = ['viewer', 'station_operator', 'key_custodian', 'security_officer', 'admin'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

/**
 * What a channel may need. `read`: look at anything (lists, details, status, the audit log, verifications that change
 * nothing). `provision`: robots, provisioning and key distribution. `keys`: create, rotate and use keys, their state
 * (except compromise), rotation jobs, providers' keys (backup, migration). `security`: revocation, marking a key
 * compromised, robot quarantine and revocation, the fleet CA. `admin`: operators, providers, rotation policies.
 */
export const PERMISSIONS = ['read', 'provision', 'keys', 'security', 'admin'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/**
 * What each role holds. An admin holds every permission: the first (and on a one-person console the only) operator is
 * an admin and must be able to run the whole console; separation of duties comes from giving others narrower roles.
 */
export const ROLE_PERMISSIONS: Readonly<Record<OperatorRole, readonly Permission[]>> = {
  viewer: ['read'],
  station_operator: ['read', 'provision'],
  key_custodian: ['read', 'keys'],
  security_officer: ['read', 'security'],
  admin: PERMISSIONS,
};

export function roleHas(role: OperatorRole, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}

export const ROLE_LABELS: Readonly<Record<OperatorRole, string>> = {
  viewer: 'Viewer',
  station_operator: 'Station operator',
  key_custodian: 'Key custodian',
  security_officer: 'Security officer',
  admin: 'Admin',
};

const IsoTime = z.string().datetime({ offset: true });
const Passphrase = z.string().min(1).max(1024);
export const OperatorName = z.string().trim().min(1).max(64).regex(/^[\p{L}\p{N}._@ -]+$/u, 'letters, digits, space, . _ @ - only');
export const OperatorRoleSchema = z.enum(OPERATOR_ROLES);

/**
 * An incident kit the operator exported and holds (docs/incident-kit.md "Roles in the offline console"): not imported
 * and its orders not all expired. The kit is offline, so removing the operator or taking `security` away does not stop
 * it; the console names it when that happens.
 */
export const OpenKit = z.object({ kitId: z.string(), exportedAt: IsoTime, expiresAt: IsoTime });
export type OpenKit = z.infer<typeof OpenKit>;

export const OperatorInfo = z.object({
  name: z.string(),
  role: OperatorRoleSchema,
  createdAt: IsoTime,
  createdBy: z.string(),
  passphraseChangedAt: IsoTime.nullable(),
  /** Wrong passphrases in a row (reset by a good one) and the wait before the next attempt is accepted. */
  failedAttempts: z.number().int().nonnegative(),
  retryAfterMs: z.number().int().nonnegative(),
  /** The operator's second factor at unlock: none, an authenticator app (TOTP) or a PKCS#11 token's key. */
  secondFactor: z.enum(['none', 'totp', 'pkcs11']),
  /** Recovery codes of the operator not yet used (docs/operators.md "Recovery codes"). */
  recoveryCodesLeft: z.number().int().nonnegative(),
  /** The operator's newest successful unlock in the audit log (window, browser host or CLI); null when never. */
  lastSignInAt: IsoTime.nullable(),
  /** The operator's approval key enrolled now (docs/two-person-control.md), or null: none. Never key material. */
  approvalKey: z.object({ fingerprint: z.string().regex(/^[0-9a-f]{64}$/), enrolledAt: IsoTime }).nullable(),
  /**
   * When the operator has no approval key enrolled now: the most recent key revoked under their name since they were
   * added (removed by an admin with a reason, or replaced), so the screen can tell a revoked key from none ever
   * enrolled; null otherwise (a key enrolled now, or none ever revoked). Never key material.
   */
  approvalKeyRevoked: z
    .object({
      fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
      revokedAt: IsoTime,
      revokedBy: z.string(),
      /** The admin's reason; null for a key replaced by its operator (no reason is asked). */
      reason: z.string().nullable(),
    })
    .nullable(),
  /** The operator's open incident kits, present when there is at least one. */
  openKits: z.array(OpenKit).optional(),
});
export type OperatorInfo = z.infer<typeof OperatorInfo>;

export const SessionInfo = z.object({
  operator: z.string(),
  role: OperatorRoleSchema,
  permissions: z.array(z.enum(PERMISSIONS)),
});
export type SessionInfo = z.infer<typeof SessionInfo>;

/**
 * An authenticator code as typed: 6 digits, spaces allowed between them ("123 456"). Only its form is checked here; a
 * code of another length is refused by the session as a wrong code (counted against the operator's throttle).
 */
export const TotpCode = z.string().max(16).regex(/^[\d ]*$/, 'digits only');

/** A PKCS#11 token's PIN, given with the unlock of an operator whose second factor is a token key. */
export const TokenPin = z.string().min(1).max(256);

/**
 * A recovery code, given instead of the second factor at unlock when the authenticator or token is lost: 16
 * characters of Crockford base32, shown in groups of four (dashes and spaces are ignored, case too).
 */
export const RecoveryCode = z.string().min(1).max(64).regex(/^[0-9A-Za-z -]*$/, 'letters, digits, dashes and spaces only');

/** The recovery codes made at a factor's enrolment (or regenerated): shown this once, stored only as slow hashes. */
const RecoveryCodes = z.array(z.string());

/** Idle lock bounds (minutes) and default (docs/operators.md "Idle lock"). */
export const IDLE_LOCK_MIN_MINUTES = 1;
export const IDLE_LOCK_MAX_MINUTES = 240;
export const IDLE_LOCK_DEFAULT_MINUTES = 10;
export const IdleLockSettings = z.object({
  minutes: z.number().int().min(IDLE_LOCK_MIN_MINUTES).max(IDLE_LOCK_MAX_MINUTES),
});
export type IdleLockSettings = z.infer<typeof IdleLockSettings>;

/** What enrolment shows once: the otpauth:// URI (for a QR code or a copy) and the base32 secret for typing in. */
export const TotpEnrolment = z.object({ uri: z.string(), secret: z.string(), issuer: z.string(), label: z.string() });
export type TotpEnrolment = z.infer<typeof TotpEnrolment>;

/** A PKCS#11 module to ask for its slots (providers:slots, operators:tokenSlots). */
export const Pkcs11ModuleInput = z.object({ modulePath: z.string().min(1).max(4096).regex(/^\//, 'must be an absolute path') }).strict();
/** The slots a PKCS#11 module reports, each with its token when one is present (no login, no PIN). */
export const Pkcs11SlotList = z.object({
  slots: z.array(
    z.object({
      slotId: z.string(),
      description: z.string(),
      tokenPresent: z.boolean(),
      tokenLabel: z.string().nullable(),
      manufacturer: z.string().nullable(),
      model: z.string().nullable(),
      serial: z.string().nullable(),
      loginRequired: z.boolean().nullable(),
    }),
  ),
});

export const operatorsChannels = {
  /** Who is signed in: name, role, permissions (locked while locked). */
  'session:info': channel(z.object({}).strict(), SessionInfo),
  'operators:list': channel(z.object({}).strict(), z.object({ operators: z.array(OperatorInfo) })),
  /** An admin adds an operator with a first passphrase (their slot is made from the master key in memory). */
  'operators:add': channel(z.object({ name: OperatorName, role: OperatorRoleSchema, passphrase: Passphrase }).strict(), OperatorInfo),
  /** Wipes (overwrites, then deletes) the operator's slot; the last admin and the signed-in operator cannot be removed. */
  'operators:remove': channel(z.object({ name: OperatorName }).strict(), z.object({ removed: z.literal(true), openKits: z.array(OpenKit).optional() })),
  /** The last admin cannot lose the role. */
  'operators:setRole': channel(z.object({ name: OperatorName, role: OperatorRoleSchema }).strict(), OperatorInfo),
  /** The signed-in operator's own passphrase (the current one is checked and throttled like an unlock). */
  'operators:changePassphrase': channel(z.object({ current: Passphrase, next: Passphrase }).strict(), z.object({ changed: z.literal(true) })),
  /**
   * The signed-in operator starts enrolling an authenticator app: a new secret (kept encrypted under the master key,
   * pending until confirmed) whose URI and base32 text are returned this once. Starting again replaces a pending one.
   */
  'operators:enrollTotp': channel(z.object({}).strict(), TotpEnrolment),
  /** A valid code from the app activates the pending secret: from the next unlock on, the code is required. */
  'operators:confirmTotp': channel(z.object({ code: TotpCode }).strict(), z.object({ enabled: z.literal(true), recoveryCodes: RecoveryCodes })),
  /**
   * The signed-in operator binds an EC P-256 or RSA (2048 to 4096 bits) key pair on a PKCS#11 token as their second factor (replacing any other):
   * the token signs a challenge now, and at every unlock (with the PIN given then).
   */
  'operators:enrollToken': channel(
    z.object({ modulePath: z.string().min(1).max(1024), tokenLabel: z.string().min(1).max(32), keyLabel: z.string().min(1).max(128), pin: TokenPin }).strict(),
    z.object({ enabled: z.literal(true), recoveryCodes: RecoveryCodes }),
  ),
  /**
   * The signed-in operator's new set of recovery codes (they need a second factor): the old set stops working; the new
   * codes are returned this once.
   */
  'operators:regenerateRecoveryCodes': channel(z.object({}).strict(), z.object({ recoveryCodes: RecoveryCodes })),
  /**
   * The signed-in operator's dismissal of the few-recovery-codes reminder: the count of unused codes when they
   * dismissed it (null: never, or their codes changed since). The window shows the reminder again once the count differs.
   */
  'operators:recoveryReminder': channel(z.object({}).strict(), z.object({ dismissedAt: z.number().int().nonnegative().nullable() })),
  /** Dismisses the reminder for the signed-in operator at their current count of unused codes (kept in the store). */
  'operators:dismissRecoveryReminder': channel(z.object({}).strict(), z.object({ dismissedAt: z.number().int().nonnegative() })),
  /** The slots and tokens of a module, so the signed-in operator picks their token in the binding form instead of typing its label. */
  'operators:tokenSlots': channel(Pkcs11ModuleInput, Pkcs11SlotList),
  /** An admin removes an operator's second factor, TOTP or token (a lost phone or token): they sign in with the passphrase alone and may enrol again. */
  'operators:resetTotp': channel(z.object({ name: OperatorName }).strict(), z.object({ reset: z.literal(true) })),
  /** The idle lock's time: the session locks after this many minutes without a call from the window or the browser host. */
  'session:idleLock': channel(z.object({}).strict(), IdleLockSettings),
  'session:setIdleLock': channel(IdleLockSettings.strict(), IdleLockSettings),
  /** The window reports that its page was hidden or shown; hidden longer than the idle time locks the session. */
  'session:visibility': channel(z.object({ hidden: z.boolean() }).strict(), z.object({ state: z.enum(['uninitialized', 'locked', 'unlocked']) })),
} as const;

/**
 * Pushed by the main process after a committed change of an operator, whoever made it in this process (a window, the
 * browser host, an approved request executed): added, removed, a role changed, a passphrase changed, a second factor
 * enrolled or reset, recovery codes made (`name`: the operator). No other process can change the store meanwhile: the
 * console holds it under an exclusive lock (a CLI command gets store_busy), so this covers every change the window
 * could miss (docs/operators.md, "Operators screen").
 */
export const OperatorsChanged = z.object({ name: z.string() });
export type OperatorsChanged = z.infer<typeof OperatorsChanged>;
export const operatorsEvents = { 'operators:changed': OperatorsChanged } as const;
