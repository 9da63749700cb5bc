// What the key services share: their dependencies, the audited-operation wrapper and the row -> contract views.
import type { KeyedLock } from './keyedLock.ts';
import type { KeyDetail, KeySummary, KeyUnreachedLocation } from '../../../shared/contract.ts';
import { type KeyState, LOCAL_PROVIDER_ID } from '../../../shared/domain.ts';
import { ConsoleError } from '../../../shared/errors.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import type { StoreKeyProvider } from '../../providers/local/storeKeyProvider.ts';
import type { KmsProvider } from '../../providers/types.ts';
import type { KeyMaterialsRepo } from '../../store/keyMaterialsRepo.ts';
import type { KeyRow, KeysRepo, KeyVersionRow, UnreachedLocationRow } from '../../store/keysRepo.ts';
import type { AuditDetails, AuditEntry, AuditLog } from '../audit/auditLog.ts';
import type { GroupCommit } from '../audit/groupCommit.ts';
import { failureAuditDetails, providerFailure } from '../providers/providerErrors.ts';
import type { ProviderRegistry } from '../providers/providerRegistry.ts';
import type { Session, UnlockedSession } from '../session/session.ts';
import type { KeyRestrictions } from './keyPolicy.ts';

export interface KeyServiceDeps {
  repo: KeysRepo;
  session: Session;
  audit: AuditLog;
  /**
   * The console's coalescing of refusals (the access gate's): an operation refused `locked` (no one signed in) is
   * recorded through it, so a locked window calling key operations writes one record per kind and window, not one
   * per call (docs/audit-log.md "Refused inputs and locked calls"). Without it, every failure is appended.
   */
  refusals?: { record(entry: AuditEntry & { details: AuditDetails }): void };
  clock: Clock;
  logger: Logger;
  transaction<T>(fn: () => T): T;
  /** Where an operation's store changes and audit record commit: shared with the operations in flight beside it. */
  commits: GroupCommit;
  onKeysChanged(keyId: string | null): void;
  /** Flushes the WAL into the database file (after destroying material). */
  checkpointWal(): void;
  /** The configured providers (and the data-key cache). */
  registry: ProviderRegistry;
  /** The provider of local keys: their material in this store's key catalog. */
  store: StoreKeyProvider;
  /** The internal local KMS provider: holds the fallback keys of degraded (offline_mode) encryption. */
  localKms: KmsProvider;
  /** State changes in flight, which restrict their key before they commit. */
  restrictions: KeyRestrictions;
  /** Counts encryptions per key version against its usage limit (services/rotation/usageMeter.ts); absent: not counted. */
  usage?: UsageCounter;
  /** Told of every audited key operation once it is recorded (services/metrics/metrics.ts); must be cheap and not throw. */
  observe?: KeyOperationObserver;
  /**
   * Whether the key's provider rotates it on its own schedule (a provider-driven rotation policy). Absent or true:
   * rotate() lets the provider find the key's newest version itself; false: it is told the version the console knows.
   */
  providerDriven?(key: KeyRow): boolean;
  /**
   * When a version of a key was retired (services/rotation/rollout.ts), or null while it is valid: a retired version no
   * longer decrypts (DESIGN.md: older versions decrypt until retired). Absent: no version is ever retired.
   */
  retiredAt?(keyId: string, version: number): number | null;
  /** Serialises what makes a key's next version (a rotation, a drift adoption) per key; absent: the lifecycle's own. */
  versionLock?: KeyedLock;
  /**
   * The provider material each version names (AWS KMS KeyMaterialId, migration 39): learnt from the first data key
   * generated under a version and from drift adoptions; decryption and the drift check map materials to versions by
   * it. Absent: versions are told apart by the provider's numbers only (as before migration 39).
   */
  materials?: KeyMaterialsRepo;
}

/** The action, the provider that held the key ('local' for this store), the wall time in ms and whether it succeeded. */
export type KeyOperationObserver = (action: string, provider: string, ms: number, ok: boolean) => void;

const providerOf = (d: AuditDetails): string => (typeof d.provider === 'string' ? d.provider : LOCAL_PROVIDER_ID);

/** What the key service needs of the usage meter (services/rotation/usageMeter.ts). */
export interface UsageCounter {
  /** Claims one encryption with a version, before it is made; throws usage_limit_reached at the limit. */
  claim(key: KeyRow, version: number): { work(): void; committed(): void; abandoned(): void };
}

export interface AuditedResult<T> {
  value: T;
  details?: AuditDetails;
  /** Records the operation as a failure with this code although it returned (e.g. an integrity check that found damage). */
  failureCode?: string;
  /** Store changes, committed atomically together with the record. */
  commit?: () => void;
}

/**
 * Runs one key operation for the unlocked session and audits it, success or failure (with the error code). `op` may
 * talk to providers (no transaction is open while it waits); its store changes (`commit`) and its record then commit
 * together, in a savepoint of the transaction shared with the operations finishing beside it (groupCommit.ts), and
 * the result is returned only once that transaction is durable. Provider failures become ConsoleErrors with stable
 * codes (providerErrors.ts), audited with the provider id, provider code and request id.
 */
export async function runAudited<T>(
  deps: KeyServiceDeps,
  action: string,
  keyId: string | null,
  op: (s: UnlockedSession, note: (d: AuditDetails) => void) => Promise<AuditedResult<T>>,
): Promise<T> {
  const extra: AuditDetails = {};
  let target = keyId;
  const note = (d: AuditDetails) => {
    Object.assign(extra, d);
    if (typeof d.keyId === 'string') target = d.keyId;
  };
  // While op runs, a group about to commit may wait (a few ms) for this operation's record to join it.
  const ticket = deps.commits.begin();
  const started = deps.observe ? performance.now() : 0;
  try {
    const s = deps.session.require();
    const result = await op(s, note);
    const actor = deps.session.actor();
    let provider = LOCAL_PROVIDER_ID;
    const value = await ticket.commit(() => {
      result.commit?.();
      const details: AuditDetails = { ...extra, ...result.details };
      if (result.failureCode) details.code = result.failureCode;
      delete details.keyId;
      provider = providerOf(details);
      deps.audit.append({ actor, action, targetType: 'key', targetId: target, outcome: result.failureCode ? 'failure' : 'success', details });
      return result.value;
    });
    deps.observe?.(action, provider, performance.now() - started, !result.failureCode);
    return value;
  } catch (e) {
    const err = providerFailure(e);
    if (err.code === 'internal') deps.logger.error(`${action} failed`, { keyId: target, error: e instanceof Error ? e.name : 'unknown' });
    const details: AuditDetails = { ...extra, ...failureAuditDetails(err), code: err.code };
    delete details.keyId;
    const actor = deps.session.actor();
    const entry: AuditEntry & { details: AuditDetails } = { actor, action, targetType: 'key', targetId: target, outcome: 'failure', details };
    const refusals = err.code === 'locked' ? deps.refusals : undefined;
    await ticket.commit(() => (refusals ? refusals.record(entry) : deps.audit.append(entry)));
    deps.observe?.(action, providerOf(details), performance.now() - started, false);
    throw err;
  } finally {
    ticket.end();
  }
}

export function loadKey(repo: KeysRepo, keyId: string): KeyRow {
  const key = repo.get(keyId);
  if (!key) throw new ConsoleError('not_found', `No key with id ${keyId}.`);
  return key;
}

export function loadVersion(repo: KeysRepo, key: KeyRow, version: number): KeyVersionRow {
  const v = repo.getVersion(key.id, version);
  if (!v) throw new ConsoleError('not_found', `Key ${key.id} has no version ${version}.`);
  if (v.destroyed) throw new ConsoleError('key_destroyed', `Version ${version} of key ${key.id} was destroyed.`);
  return v;
}

/** Unwraps one version's secret material; the caller zeroes it. */
export function unwrapVersion(s: UnlockedSession, key: KeyRow, v: KeyVersionRow): Buffer {
  if (!v.wrappedMaterial) throw new ConsoleError('key_destroyed', `Version ${v.version} of key ${key.id} has no key material.`);
  const material = s.keyring.unwrapMaterial(key.id, v.version, key.algorithm, v.wrappedMaterial);
  if (!material) throw new ConsoleError('integrity_failure', `The stored material of key ${key.id} version ${v.version} failed its integrity check.`);
  return material;
}

export function nextRotation(rotationSeconds: number | null, fromIso: string, state: KeyState): string | null {
  if (rotationSeconds === null || state === 'destroyed') return null;
  return new Date(Date.parse(fromIso) + rotationSeconds * 1000).toISOString();
}

/** A new key's row at version 1: active unless created for later activation; rotation from the type's profile. */
export function newKeyRow(o: {
  id: string; label: string; type: KeyRow['type']; algorithm: KeyRow['algorithm']; activate: boolean | undefined;
  rotationSeconds: number | null; at: string; provider: KeyRow['provider'];
  providerKeyRef?: string | null; backupProvider?: KeyRow['backupProvider']; backupKeyRef?: string | null;
}): KeyRow {
  const state: KeyState = o.activate === false ? 'pre_activation' : 'active';
  return {
    id: o.id, label: o.label, type: o.type, algorithm: o.algorithm, state, stateReason: null, provider: o.provider,
    currentVersion: 1, createdAt: o.at, updatedAt: o.at, rotationSeconds: o.rotationSeconds,
    nextRotationAt: nextRotation(o.rotationSeconds, o.at, state),
    providerKeyRef: o.providerKeyRef ?? null, backupProvider: o.backupProvider ?? null, backupKeyRef: o.backupKeyRef ?? null,
    fallbackKeyRef: null,
  };
}

export function toSummary(k: KeyRow): KeySummary {
  return {
    id: k.id,
    label: k.label,
    type: k.type,
    algorithm: k.algorithm,
    state: k.state,
    provider: k.provider,
    kmsBacked: k.provider !== LOCAL_PROVIDER_ID,
    backupProvider: k.backupProvider,
    currentVersion: k.currentVersion,
    createdAt: k.createdAt,
    updatedAt: k.updatedAt,
    rotationSeconds: k.rotationSeconds,
    nextRotationAt: k.nextRotationAt,
  };
}

export function toUnreached(r: UnreachedLocationRow): KeyUnreachedLocation {
  return { role: r.role, provider: r.provider, action: r.action, state: r.forState, code: r.code, message: r.message, attemptedAt: r.attemptedAt };
}

export function toDetail(k: KeyRow, versions: KeyVersionRow[], unreached: UnreachedLocationRow[]): KeyDetail {
  return {
    ...toSummary(k),
    stateReason: k.stateReason,
    versions: versions.map((v) => ({ version: v.version, createdAt: v.createdAt, checkValue: v.checkValue, destroyed: v.destroyed })),
    unreached: unreached.map(toUnreached),
  };
}
