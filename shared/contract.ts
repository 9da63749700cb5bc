// The IPC contract: one map from channel name to input and output schema. Both transports (Electron IPC and the
// browser host's WebSocket) carry exactly these channels; the main side parses every input and every output with
// these schemas, and the renderer's types are inferred from them. Outputs carry handles, metadata and public keys
// only, never secret key material.
import { z } from 'zod';
import { channel } from './channel.ts';
import { KEY_ALGORITHMS, KEY_STATES, KEY_TYPES, PROVIDER_ID_PATTERN, PROVIDER_KINDS } from './domain.ts';
import { ERROR_CODES, type ErrorInfo } from './errors.ts';
import { KeyIdSchema } from './ids.ts';
import { rotationBatchChannels, rotationBatchEvents } from './rotationBatchContract.ts';
import { rolloutChannels } from './rolloutContract.ts';
import { metricsChannels, metricsEvents } from './metricsContract.ts';
import { stationChannels, stationEvents } from './stationContract.ts';
import { fleetChannels, fleetEvents } from './fleetContract.ts';
import { rotationChannels } from './rotationContract.ts';
import { emergencyChannels, emergencyEvents } from './emergencyContract.ts';
import { operatorsChannels, operatorsEvents, OperatorRoleSchema, Pkcs11ModuleInput, Pkcs11SlotList, RecoveryCode, TokenPin, TotpCode } from './operatorsContract.ts';
import { reportChannels } from './reportContract.ts';
import { approvalsChannels, approvalsEvents } from './approvalsContract.ts';
import { recoveryChannels } from './recoveryContract.ts';
import { kitChannels } from './kitContract.ts';
import { caChannels } from './caContract.ts';
import { fieldChannels } from './fieldContract.ts';

/** Largest payload accepted by keys:encrypt / keys:sign over IPC (the CLI streams files of any size itself). */
export const MAX_IPC_PAYLOAD_BYTES = 1024 * 1024;
/** Ciphertext overhead allowance on top of the payload limit. */
const MAX_CIPHERTEXT_BYTES = MAX_IPC_PAYLOAD_BYTES + 4096;
const MAX_AAD_BYTES = 6144;
/** Largest signature keys:sign returns and keys:verify accepts. */
export const MAX_SIGNATURE_BYTES = 1536;

/**
 * Binary data: a Uint8Array (a Node Buffer is one), carried as bytes by every transport (structured clone on Electron
 * IPC, binary frames on the browser host; docs/ipc-contract.md), never as base64 inside the process.
 */
export const bytes = (max: number) =>
  z
    .custom<Uint8Array>((v) => v instanceof Uint8Array, 'must be bytes (a Uint8Array)')
    .refine((b) => b.byteLength <= max, `must be at most ${max} bytes`);

export const KeyId = KeyIdSchema;
export const KeyTypeSchema = z.enum(KEY_TYPES);
export const KeyAlgorithmSchema = z.enum(KEY_ALGORITHMS);
export const KeyStateSchema = z.enum(KEY_STATES);
export const ProviderIdSchema = z.string().regex(PROVIDER_ID_PATTERN, 'must be a provider id (lower-case letters, digits, _ and -, at most 32)');
export const ProviderKindSchema = z.enum(PROVIDER_KINDS);
const IsoTime = z.string().datetime({ offset: true });
const Label = z.string().trim().min(1, 'must not be empty').max(128).regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters');
const Passphrase = z.string().min(1).max(1024);
const Operator = z.string().trim().min(1).max(64).regex(/^[\p{L}\p{N}._@ -]+$/u, 'letters, digits, space, . _ @ - only');
const Reason = z.string().trim().max(500).regex(/^[^\u0000-\u0008\u000b-\u001f\u007f]*$/, 'must not contain control characters');
const Empty = z.object({}).strict();
/** Text typed into an audit filter: bounded, no control characters (it is a bound LIKE parameter, never SQL). */
const AuditFilterText = z.string().min(1).max(128).regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters');

/** Why the audit history cannot be trusted; the window shows it as an alarm on every screen while it lasts. */
export const AuditAlarm = z.object({
  /** The audit key failed its check against the master key at unlock (why, in words), or null. */
  keyProblem: z.string().nullable(),
  /** The latest failed check of the chain (verify, export or the check before a checkpoint), or null. */
  chainProblem: z.object({ seq: z.number().int().nonnegative(), reason: z.string(), detectedAt: IsoTime }).nullable(),
});
export type AuditAlarm = z.infer<typeof AuditAlarm>;

export const SessionStatus = z.object({
  state: z.enum(['uninitialized', 'locked', 'unlocked']),
  operator: z.string().nullable(),
  /** The signed-in operator's role (docs/operators.md); null while locked. */
  role: OperatorRoleSchema.nullable().optional(),
  /** Milliseconds until the next unlock attempt is accepted (0 when not throttled). */
  retryAfterMs: z.number().int().nonnegative(),
  storePath: z.string(),
  /** Present while the audit alarm stands; pushed with session:changed whenever it starts, changes or ends. */
  auditAlarm: AuditAlarm.optional(),
});
export type SessionStatus = z.infer<typeof SessionStatus>;

export const KeySummary = z.object({
  id: KeyId,
  label: z.string(),
  type: KeyTypeSchema,
  algorithm: KeyAlgorithmSchema,
  state: KeyStateSchema,
  provider: ProviderIdSchema,
  /** True when the key material lives in an external KMS / HSM rather than the local store. */
  kmsBacked: z.boolean(),
  /** A second provider that also wraps every data key of this key (multi-provider envelopes), if any. */
  backupProvider: ProviderIdSchema.nullable().default(null),
  currentVersion: z.number().int().positive(),
  createdAt: IsoTime,
  updatedAt: IsoTime,
  rotationSeconds: z.number().int().positive().nullable(),
  nextRotationAt: IsoTime.nullable(),
});
export type KeySummary = z.infer<typeof KeySummary>;

export const KeyVersionInfo = z.object({
  version: z.number().int().positive(),
  createdAt: IsoTime,
  /** Key check value (AES) or public-key fingerprint (RSA/EC), hex; recorded at creation. */
  checkValue: z.string(),
  destroyed: z.boolean(),
});
export type KeyVersionInfo = z.infer<typeof KeyVersionInfo>;

/** Where a copy of a key lives: its provider, its backup provider, its offline fallback key, or this store. */
export const KeyLocationRole = z.enum(['primary', 'backup', 'fallback', 'store']);
export const KeyLocationAction = z.enum(['enable', 'disable', 'scheduleDestruction']);

/** A location a key's last state change did not reach; setting the same state again retries it. */
export const KeyUnreachedLocation = z.object({
  role: KeyLocationRole,
  provider: ProviderIdSchema,
  action: KeyLocationAction,
  /** The state the action belongs to. */
  state: KeyStateSchema,
  code: z.string(),
  message: z.string(),
  attemptedAt: IsoTime,
});
export type KeyUnreachedLocation = z.infer<typeof KeyUnreachedLocation>;

export const KeyDetail = KeySummary.extend({
  versions: z.array(KeyVersionInfo),
  stateReason: z.string().nullable(),
  unreached: z.array(KeyUnreachedLocation).default([]),
});
export type KeyDetail = z.infer<typeof KeyDetail>;

/** What one state change did at one location of the key. */
export const KeyLocationOutcome = z.object({
  role: KeyLocationRole,
  provider: ProviderIdSchema,
  action: KeyLocationAction,
  outcome: z.enum(['done', 'failed']),
  code: z.enum(ERROR_CODES).nullable(),
  message: z.string().nullable(),
  /** scheduleDestruction: when the provider deletes the material. */
  deletionDate: IsoTime.nullable(),
});
export type KeyLocationOutcome = z.infer<typeof KeyLocationOutcome>;

/** keys:setState: the key after the change, and what happened at each location (complete: every one reached). */
export const KeyStateChange = KeySummary.extend({
  complete: z.boolean(),
  locations: z.array(KeyLocationOutcome),
  /** Locations still not reached (after a retry too); empty when complete. */
  unreached: z.array(KeyUnreachedLocation),
});
export type KeyStateChange = z.infer<typeof KeyStateChange>;

export const AuditRecord = z.object({
  seq: z.number().int().positive(),
  ts: IsoTime,
  actor: z.string(),
  action: z.string(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  outcome: z.enum(['success', 'failure']),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
});
export type AuditRecord = z.infer<typeof AuditRecord>;

export const AuditVerification = z.object({
  ok: z.boolean(),
  checkedRecords: z.number().int().nonnegative(),
  checkpoints: z.number().int().nonnegative(),
  lastCheckpointSeq: z.number().int().nonnegative().nullable(),
  /** The first record (or checkpoint) that fails, with the reason in words. */
  firstBad: z.object({ seq: z.number().int().nonnegative(), reason: z.string() }).nullable(),
});
export type AuditVerification = z.infer<typeof AuditVerification>;

/** What audit:export started: where the export goes (a download from the browser host, or a file the main process writes). */
export const AuditExportStarted = z.object({
  /** Follows the export in audit:exportProgress; null when nothing was started (the save dialog was cancelled). */
  exportId: z.string().nullable(),
  fileName: z.string(),
  /** Records the export holds: 1 up to the head signed when it started. */
  records: z.number().int().nonnegative(),
  delivery: z.discriminatedUnion('kind', [
    /** Browser host: GET this path (same token and origin rules as every request) once, within a minute. */
    z.object({ kind: z.literal('download'), path: z.string().regex(/^\/exports\/audit\/[A-Za-z0-9_-]{16,64}$/) }),
    /** Electron: the main process is writing the file the officer chose in the save dialog. */
    z.object({ kind: z.literal('file'), path: z.string() }),
    z.object({ kind: z.literal('cancelled') }),
  ]),
});
export type AuditExportStarted = z.infer<typeof AuditExportStarted>;

/** A running export, at most about 100 times per export, then done (complete and audited) or failed (with the error). */
export const AuditExportProgress = z.object({
  exportId: z.string(),
  state: z.enum(['running', 'done', 'failed']),
  records: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  error: z.object({ code: z.enum(ERROR_CODES), message: z.string() }).nullable(),
});
export type AuditExportProgress = z.infer<typeof AuditExportProgress>;

const SettingValue = z.union([z.string().max(16_384), z.number().finite(), z.boolean(), z.null()]);
/**
 * A provider configuration as the specification writes it (provider, region, vault_url, vault_token, ...) plus the
 * console's extensions (id, endpoint, ...). The schema only bounds its shape; the main process validates each field
 * and names the bad one. Secret fields are accepted here and never returned.
 */
export const ProviderConfigInput = z
  .record(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'setting names are snake_case'), SettingValue)
  .refine((r) => Object.keys(r).length <= 48, 'too many settings');

export const ProviderStatus = z.object({
  id: ProviderIdSchema,
  kind: ProviderKindSchema,
  /** The configuration with every secret replaced by "set" (or null when absent). */
  settings: z.record(z.string(), SettingValue),
  useKmsForStorage: z.boolean(),
  kmsBacked: z.boolean(),
  health: z
    .object({ ok: z.boolean(), latencyMs: z.number().nonnegative(), checkedAt: IsoTime, detail: z.string().nullable() })
    .nullable(),
  circuit: z.enum(['closed', 'open', 'half_open']),
  lastError: z.object({ kind: z.string(), message: z.string(), at: IsoTime }).nullable(),
});
export type ProviderStatus = z.infer<typeof ProviderStatus>;

/**
 * Why a provider failed providers:health, as a code only (never the provider's message, which could quote a URL or
 * an account): the kind of provider error behind it in snake_case, or `health_check_failed` when none was thrown.
 */
export const PROVIDER_HEALTH_CODES = [
  'unavailable',
  'throttled',
  'access_denied',
  'not_found',
  'invalid_input',
  'key_disabled',
  'integrity_failure',
  'unsupported',
  'health_check_failed',
] as const;
export type ProviderHealthCode = (typeof PROVIDER_HEALTH_CODES)[number];

/** One provider's answer to providers:health: nothing but these five facts (no settings, no messages). */
export const ProviderHealth = z
  .object({
    id: ProviderIdSchema,
    kind: ProviderKindSchema,
    reachable: z.boolean(),
    /** Whole milliseconds the check took (0 for the built-in local provider). */
    latencyMs: z.number().int().nonnegative(),
    /** Null when reachable. */
    code: z.enum(PROVIDER_HEALTH_CODES).nullable(),
  })
  .strict();
export type ProviderHealth = z.infer<typeof ProviderHealth>;

/**
 * The provider the environment names (KMS_PROVIDER, AWS_REGION, ...) when its configuration was refused at unlock:
 * why (naming the variable), and whether new keys may go to the local store meanwhile (ECPS_ALLOW_LOCAL_FALLBACK).
 */
export const EnvironmentProviderRefusal = z.object({ message: z.string(), variable: z.string().nullable(), localFallback: z.boolean() });
export type EnvironmentProviderRefusal = z.infer<typeof EnvironmentProviderRefusal>;

export const JobProgress = z.object({
  jobId: z.string(),
  kind: z.string(),
  state: z.enum(['running', 'done', 'failed']),
  done: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  /** What is being worked on now, in words (never secrets). */
  current: z.string().nullable(),
  error: z.string().nullable(),
  /** The typed code of `error` (a failed job), so a script can tell an outage from a refusal; absent from older events. */
  errorCode: z.enum(ERROR_CODES).nullable().optional(),
});
export type JobProgress = z.infer<typeof JobProgress>;


export const contract = {
  'session:status': channel(Empty, SessionStatus),
  'session:init': channel(z.object({ operator: Operator, passphrase: Passphrase }).strict(), SessionStatus),
  /** `totp` / `tokenPin`: the second factor of an operator who has one (docs/operators.md "Second factor"). */
  'session:unlock': channel(z.object({ operator: Operator, passphrase: Passphrase, totp: TotpCode.optional(), tokenPin: TokenPin.optional(), recoveryCode: RecoveryCode.optional() }).strict(), SessionStatus),
  'session:lock': channel(Empty, SessionStatus),
  'session:changePassphrase': channel(
    z.object({ current: Passphrase, next: Passphrase }).strict(),
    z.object({ changed: z.literal(true) }),
  ),

  'keys:list': channel(
    z.object({ type: KeyTypeSchema.optional(), state: KeyStateSchema.optional() }).strict(),
    z.object({ keys: z.array(KeySummary) }),
  ),
  'keys:get': channel(z.object({ keyId: KeyId }).strict(), KeyDetail),
  'keys:create': channel(
    z
      .object({
        type: KeyTypeSchema,
        label: Label,
        algorithm: KeyAlgorithmSchema.optional(),
        /** Create directly in the active state (default) or in pre-activation. */
        activate: z.boolean().optional(),
        /** Where the key material lives (default: the configured storage provider, else 'local'). */
        provider: ProviderIdSchema.optional(),
        /** A second provider that also wraps every data key (encryption keys only). */
        backupProvider: ProviderIdSchema.optional(),
      })
      .strict(),
    KeySummary,
  ),
  'keys:rotate': channel(z.object({ keyId: KeyId }).strict(), KeySummary),
  /** Setting the state a key already has retries the locations its last change did not reach (illegal otherwise). */
  'keys:setState': channel(z.object({ keyId: KeyId, state: KeyStateSchema, reason: Reason }).strict(), KeyStateChange),
  'keys:encrypt': channel(
    z.object({ keyId: KeyId, plaintext: bytes(MAX_IPC_PAYLOAD_BYTES), aad: bytes(MAX_AAD_BYTES).optional() }).strict(),
    z.object({ ciphertext: bytes(MAX_CIPHERTEXT_BYTES), keyId: KeyId, version: z.number().int().positive() }),
  ),
  'keys:decrypt': channel(
    z.object({ ciphertext: bytes(MAX_CIPHERTEXT_BYTES), aad: bytes(MAX_AAD_BYTES).optional() }).strict(),
    z.object({ plaintext: bytes(MAX_CIPHERTEXT_BYTES), keyId: KeyId, version: z.number().int().positive() }),
  ),
  'keys:sign': channel(
    z.object({ keyId: KeyId, data: bytes(MAX_IPC_PAYLOAD_BYTES) }).strict(),
    z.object({ signature: bytes(MAX_SIGNATURE_BYTES), keyId: KeyId, version: z.number().int().positive(), algorithm: z.string() }),
  ),
  'keys:verify': channel(
    z
      .object({ keyId: KeyId, data: bytes(MAX_IPC_PAYLOAD_BYTES), signature: bytes(MAX_SIGNATURE_BYTES), version: z.number().int().positive().optional() })
      .strict(),
    z.object({ valid: z.boolean() }),
  ),
  'keys:publicKey': channel(
    z.object({ keyId: KeyId, version: z.number().int().positive().optional() }).strict(),
    z.object({ pem: z.string(), version: z.number().int().positive() }),
  ),
  'keys:verifyIntegrity': channel(
    z.object({ keyId: KeyId }).strict(),
    z.object({
      ok: z.boolean(),
      versions: z.array(z.object({ version: z.number().int().positive(), ok: z.boolean(), reason: z.string().nullable() })),
    }),
  ),

  /** backup_keys_to_kms: wraps local key material under a key of the given provider. */
  'keys:backup': channel(
    z.object({ providerId: ProviderIdSchema, keyIds: z.array(KeyId).max(10_000).optional() }).strict(),
    z.object({ backedUp: z.number().int().nonnegative(), versions: z.number().int().nonnegative(), providerKeyRef: z.string() }),
  ),
  /** Proves the backup round-trips: unwraps every backed-up version and compares it with the store. */
  'keys:verifyBackup': channel(
    z.object({ providerId: ProviderIdSchema }).strict(),
    z.object({ ok: z.boolean(), checked: z.number().int().nonnegative(), failures: z.array(z.object({ keyId: KeyId, version: z.number().int(), reason: z.string() })) }),
  ),
  /** Moves local keys to a provider: their next version lives there; progress arrives as jobs:progress events. */
  'keys:migrate': channel(
    z.object({ providerId: ProviderIdSchema, keyIds: z.array(KeyId).max(10_000).optional() }).strict(),
    JobProgress,
  ),

  'providers:list': channel(Empty, z.object({ providers: z.array(ProviderStatus), environmentRefusal: EnvironmentProviderRefusal.nullable() })),
  'providers:save': channel(z.object({ config: ProviderConfigInput }).strict(), ProviderStatus),
  'providers:test': channel(
    z.object({ id: ProviderIdSchema }).strict(),
    z.object({ ok: z.boolean(), latencyMs: z.number().nonnegative(), detail: z.string().nullable() }),
  ),
  /**
   * A health check of every configured provider now (what providers:test does for one), for any signed-in reader:
   * id, kind, reachable, latency and an error code only. Sorted as providers:list (local first, then by id).
   */
  'providers:health': channel(Empty, z.object({ providers: z.array(ProviderHealth) }).strict()),
  /** The slots a PKCS#11 module offers, so the officer picks a token instead of typing its label. */
  'providers:slots': channel(Pkcs11ModuleInput, Pkcs11SlotList),
  'providers:remove': channel(z.object({ id: ProviderIdSchema }).strict(), z.object({ removed: z.literal(true) })),

  /**
   * Newest first (unfiltered: by seq; filtered: by time, then seq). Page with a cursor: `before` = the last seq of a
   * page gives the next (older) page, `after` = the first seq gives the one above it. `offset` still works but costs
   * the rows it skips. The total is counted only without a cursor: exact when totalExact, else "more than total".
   */
  'audit:query': channel(
    z
      .object({
        action: z.string().max(64).optional(),
        /** The action starts with this text (e.g. "key."); % and _ in it are matched literally. */
        actionPrefix: AuditFilterText.optional(),
        /** Appears in the actor, action, target id or details (ASCII letters in any case); % and _ literal. */
        text: AuditFilterText.optional(),
        actor: z.string().max(64).optional(),
        targetId: z.string().max(64).optional(),
        /** Records whose target is this robot (its device id) / this key (its id). */
        robotId: AuditFilterText.optional(),
        keyId: AuditFilterText.optional(),
        from: IsoTime.optional(),
        to: IsoTime.optional(),
        before: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
        after: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
        offset: z.number().int().nonnegative().max(100_000_000).optional(),
        limit: z.number().int().positive().max(1000),
      })
      .strict()
      .refine((q) => q.before === undefined || q.after === undefined, 'give before or after, not both')
      .refine((q) => (q.before === undefined && q.after === undefined) || !q.offset, 'a cursor (before/after) pages without an offset')
      .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.to) >= Date.parse(q.from), {
        path: ['to'],
        message: 'the time range ends before it starts',
      }),
    z.object({
      total: z.number().int().nonnegative().nullable(),
      totalExact: z.boolean(),
      more: z.boolean(),
      records: z.array(AuditRecord),
    }),
  ),
  /**
   * A verdict on the chain (ok false names the first bad record). Fails with integrity_failure when the chain cannot be
   * checked at all because the audit key failed its check against the master key, and with locked when locked.
   */
  'audit:verify': channel(Empty, AuditVerification),
  /**
   * Starts an export (a fresh checkpoint first; locked / integrity_failure like audit:verify). The file is streamed,
   * never sent over the channel: see AuditExportStarted.delivery; progress and the outcome arrive as audit:exportProgress.
   */
  'audit:export': channel(Empty, AuditExportStarted),
  /** Every action the log holds, sorted: the Audit screen's action list (what the console has written). */
  'audit:actions': channel(Empty, z.object({ actions: z.array(z.string()) })),
  /**
   * The trusted audit key's fingerprint: SHA-256 (hex) of its DER public key, the one an export's header carries
   * (docs/audit-log.md, "Verifying an audit export"). Shown when the store is created and next to Verify, so an officer
   * can compare. locked / integrity_failure like audit:verify.
   */
  'audit:keyFingerprint': channel(Empty, z.object({ fingerprint: z.string().regex(/^[0-9a-f]{64}$/) })),
  ...fleetChannels,
  ...stationChannels,
  ...rotationChannels,
  // Batch rotation jobs (rotation:batchStart, batchCancel, batchList, batchGet, batchItems; docs/rotation.md).
  ...rotationBatchChannels,
  // Rollouts of new key versions to robots in waves, grace and retirement (rollout:*; docs/rotation.md).
  ...rolloutChannels,
  ...emergencyChannels,
  // Metrics and alerts (metrics:series, alerts:list, alerts:acknowledge; docs/metrics-and-alerts.md).
  ...metricsChannels,
  // Operators and roles (session:info, operators:list, add, remove, setRole, changePassphrase; docs/operators.md).
  ...operatorsChannels,
  // The signed compliance report of a period (report:generate; docs/compliance-report.md).
  ...reportChannels,
  // Two-person control (approvals:list, approve, deny, execute, policies, setPolicy, exportRequest, importApproval,
  // enrolKey; docs/two-person-control.md).
  ...approvalsChannels,
  // Recovery shares of the master key and encrypted backups (recovery:*, backup:*; docs/recovery-and-backup.md).
  ...recoveryChannels,
  // Incident kits for offline response: export, and import with reconciliation (kit:*; docs/incident-kit.md).
  ...kitChannels,
  // Replacing and revoking the fleet CA (ca:replace, ca:revoke, ca:history; docs/fleet-ca.md).
  ...caChannels,
  // The field link: robots poll over mutual TLS for bundles, orders and the CRL (field:*; docs/field-link.md).
  ...fieldChannels,
} as const;

export type Contract = typeof contract;
export type ChannelName = keyof Contract;
export type ChannelInput<C extends ChannelName> = z.input<Contract[C]['input']>;
export type ParsedInput<C extends ChannelName> = z.output<Contract[C]['input']>;
export type ChannelOutput<C extends ChannelName> = z.output<Contract[C]['output']>;
export const CHANNELS = Object.keys(contract) as ChannelName[];

export function isChannelName(name: unknown): name is ChannelName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(contract, name);
}

/** Events pushed from the main process to the window. */
export const events = {
  'keys:changed': z.object({ keyId: KeyId.nullable() }),
  'audit:appended': z.object({ seq: z.number().int().positive() }),
  'audit:exportProgress': AuditExportProgress,
  'session:changed': SessionStatus,
  'providers:changed': z.object({ id: ProviderIdSchema.nullable() }),
  'jobs:progress': JobProgress,
  ...fleetEvents,
  ...stationEvents,
  ...rotationBatchEvents,
  ...metricsEvents,
  ...emergencyEvents,
  ...approvalsEvents,
  ...operatorsEvents,
} as const;
export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;
export const EVENT_NAMES = Object.keys(events) as EventName[];

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(events, name);
}

/** What every call returns across a transport. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };
export const ErrorInfoSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
});

/** Identity of the caller, established by the transport (never taken from the call's arguments). */
export interface CallContext {
  transport: 'electron' | 'browser-host' | 'cli' | 'test';
  /** Set only by approvals:execute when it runs an approved request's stored input (docs/two-person-control.md). */
  approvedRequestId?: string;
}

/** What the main process implements: one async function per channel. */
export type Handlers = {
  [C in ChannelName]: (input: ParsedInput<C>, ctx: CallContext) => Promise<z.input<Contract[C]['output']>>;
};

// ---- The API object the renderer sees (window.ecps in Electron, a WebSocket client in the browser host) ----

type DomainOf<C extends string> = C extends `${infer D}:${string}` ? D : never;
type Domains = DomainOf<ChannelName>;

/** Envelope-returning API: what crosses contextBridge (Error objects do not survive it intact). */
export type EnvelopeApi = {
  [D in Domains]: {
    [C in ChannelName as C extends `${D}:${infer V}` ? V : never]: (input: ChannelInput<C>) => Promise<Envelope<ChannelOutput<C>>>;
  };
} & {
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
};

export type Invoke = (channel: ChannelName, input: unknown) => Promise<Envelope<unknown>>;
export type Subscribe = (event: EventName, listener: (payload: unknown) => void) => () => void;

/** Builds the API object from the contract; used by the preload and by the browser host's client alike. */
export function buildEnvelopeApi(invoke: Invoke, subscribe: Subscribe): EnvelopeApi {
  const api: Record<string, unknown> = {};
  for (const name of CHANNELS) {
    const [domain, verb] = name.split(':') as [string, string];
    const group = (api[domain] ??= {}) as Record<string, unknown>;
    group[verb] = (input: unknown) => invoke(name, input);
  }
  api.on = (event: EventName, listener: (payload: unknown) => void) => {
    if (!isEventName(event)) throw new TypeError(`unknown event ${String(event)}`);
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    return subscribe(event, listener);
  };
  return api as EnvelopeApi;
}
