// The one key lifecycle, for every key wherever it lives: create, list, get, rotate, state changes (NIST SP 800-57,
// keyStateChange.ts), public-key export and the integrity check. Each key's material is reached through the
// KmsProvider contract (keyLocations.ts): local keys through the store provider (providers/local/storeKeyProvider.ts),
// the others through their configured provider. Envelope encryption and signatures live in keysCrypto.ts.
import { createKeyedLock } from './keyedLock.ts';
import crypto from 'node:crypto';
import type { KeyDetail, KeyStateChange, KeySummary } from '../../../shared/contract.ts';
import { KEY_TYPE_PROFILES, type KeyAlgorithm, type KeyState, type KeyType, LOCAL_PROVIDER_ID } from '../../../shared/domain.ts';
import { ConsoleError } from '../../../shared/errors.ts';
import { spkiToPem } from '../../crypto/keyMaterial.ts';
import { createKeyWithFailover } from '../../providers/multiEnvelope.ts';
import type { KmsProvider, ProviderKeyInfo, RotateHint } from '../../providers/types.ts';
import type { KeyFilter, KeyRow } from '../../store/keysRepo.ts';
import type { AuditDetails } from '../audit/auditLog.ts';
import { holderOfVersion, MIN_DESTRUCTION_WAITING_DAYS, primaryOf, providerKeyName, versionRecord } from './keyLocations.ts';
import { requireState } from './keyPolicy.ts';
import { setKeyState } from './keyStateChange.ts';
import { type AuditedResult, type KeyServiceDeps, loadKey, loadVersion, newKeyRow, nextRotation, runAudited, toDetail, toSummary } from './keysShared.ts';

export interface CreateKeyInput {
  type: KeyType;
  label: string;
  algorithm?: KeyAlgorithm;
  activate?: boolean;
  /** Where the key lives (default 'local', this store). */
  provider?: string;
  /** A second provider that also wraps every data key (encryption keys on a provider only). */
  backupProvider?: string;
}

/** For callers that must never make two versions for one request (batch jobs, docs/rotation.md "Crash safety"). */
export interface RotateOptions {
  /** Refuse (illegal_transition) unless the key is still at this version: someone else rotated it meanwhile. */
  expectVersion?: number;
  /**
   * A retry after a crash: when the provider already holds a version newer than the key's current one (its rotation
   * ran but the console died before recording it), record that version instead of rotating the provider again.
   */
  adoptProviderVersion?: boolean;
  /** Added to the key.rotate audit record (success and failure), e.g. the batch job and item. */
  auditDetails?: AuditDetails;
  /** Store changes committed in the same transaction as the new version (e.g. the batch item marked done). */
  alsoCommit?: (version: number) => void;
}

export interface IntegrityReport {
  ok: boolean;
  versions: Array<{ version: number; ok: boolean; reason: string | null }>;
}

export interface KeyLifecycle {
  create(input: CreateKeyInput): Promise<KeySummary>;
  list(filter: KeyFilter): KeySummary[];
  get(keyId: string): KeyDetail;
  rotate(keyId: string, options?: RotateOptions): Promise<KeySummary>;
  /** Setting the state the key already has retries the locations its last change did not reach. */
  setState(keyId: string, state: KeyState, reason: string): Promise<KeyStateChange>;
  publicKey(keyId: string, version?: number): Promise<{ pem: string; version: number }>;
  /** Store-held versions are checked against their material; provider-held ones against what the provider reports. */
  verifyIntegrity(keyId: string): Promise<IntegrityReport>;
}

/**
 * The provider's newest version when it is newer than the one the key's current version records (a rotation the
 * provider made but the console never recorded: it died in between), else null. Only for a current version held by
 * the same provider; the local store prepares material in memory, so there nothing survives a crash to adopt.
 */
async function unrecordedProviderVersion(deps: KeyServiceDeps, key: KeyRow, provider: KmsProvider, keyRef: string): Promise<number | null> {
  if (provider === deps.store) return null;
  const current = deps.repo.getVersion(key.id, key.currentVersion);
  if (!current || current.provider !== key.provider) return null;
  const info = await provider.describeKey(keyRef);
  return info.currentVersion > (current.providerVersion ?? 1) ? info.currentVersion : null;
}

/** The provider a new key may be created in: the local store, or a configured provider (not the internal fallback one). */
function creatableIn(deps: KeyServiceDeps, providerId: string): KmsProvider {
  if (providerId === LOCAL_PROVIDER_ID) return deps.store;
  if (providerId === deps.localKms.id) throw new ConsoleError('invalid_input', `Provider ${providerId} holds only the console's fallback keys.`, { field: 'provider' });
  return deps.registry.require(providerId).provider;
}

export function createKeyLifecycle(deps: KeyServiceDeps): KeyLifecycle {
  const { repo, clock } = deps;
  const nowIso = () => new Date(clock.now()).toISOString();
  const versionLock = deps.versionLock ?? createKeyedLock();

  /** One rotation; rotate() runs it under the key's version lock. */
  const rotateNow = async (keyId: string, options: RotateOptions): Promise<KeySummary> => {
    /**
     * The provider number of the key's current version, when the console's record is the whole story: the version is
     * the primary provider's, and no provider schedule can have added one since (the drift check finds any other).
     */
    const knownProviderVersion = (key: KeyRow): RotateHint | undefined => {
      if (deps.providerDriven?.(key) !== false) return undefined;
      const current = repo.getVersion(key.id, key.currentVersion);
      if (!current || current.provider !== key.provider || typeof current.providerVersion !== 'number') return undefined;
      return { knownVersion: current.providerVersion };
    };
    const summary = await runAudited(deps, 'key.rotate', keyId, async (_s, note) => {
      if (options.auditDetails) note(options.auditDetails);
      const key = loadKey(repo, keyId);
      if (options.expectVersion !== undefined && key.currentVersion !== options.expectVersion)
        throw new ConsoleError('illegal_transition', `Key ${keyId} is at version ${key.currentVersion}, not ${options.expectVersion}: it was rotated meanwhile.`, {
          currentVersion: key.currentVersion,
          expectedVersion: options.expectVersion,
        });
      requireState(key, 'rotate', deps.restrictions);
      const p = primaryOf(deps, key);
      if (key.algorithm !== 'AES_256' && !p.provider.capabilities.rotateSigningKeys) {
        throw new ConsoleError(
          'unsupported_operation',
          `Provider ${key.provider} (${p.provider.kind}) cannot rotate signing keys: AWS KMS rotates only symmetric keys. Create a new signing key and move its users to it.`,
          { provider: key.provider },
        );
      }
      const adopted = options.adoptProviderVersion ? await unrecordedProviderVersion(deps, key, p.provider, p.keyRef) : null;
      const pv = adopted ?? (await p.provider.rotate(p.keyRef, knownProviderVersion(key))).version;
      const version = key.currentVersion + 1;
      const at = nowIso();
      const row = await versionRecord(deps, p.provider, p.keyRef, key, version, pv, at);
      const next = nextRotation(key.rotationSeconds, at, key.state);
      // A cached encryption data key is wrapped under the old version: new data must use the new one.
      if (p.provider !== deps.store) deps.registry.cache().clear();
      return {
        value: toSummary({ ...key, currentVersion: version, updatedAt: at, nextRotationAt: next }),
        details: { version, ...(p.provider === deps.store ? {} : { provider: key.provider, providerVersion: pv }), ...(adopted === null ? {} : { adoptedProviderVersion: true }) },
        commit: () => {
          repo.insertVersion(row);
          repo.setCurrentVersion(keyId, version, at, next);
          options.alsoCommit?.(version);
        },
      };
    });
    // New data goes to the new version; older ones are unwrapped again when a decryption needs them.
    deps.store.forget(keyId);
    deps.onKeysChanged(keyId);
    return summary;
  };

  return {
    async create(input) {
      const target = input.provider ?? LOCAL_PROVIDER_ID;
      const summary = await runAudited(deps, 'key.create', null, async (_s, note) => {
        const profile = KEY_TYPE_PROFILES[input.type];
        const algorithm = input.algorithm ?? profile.algorithms[0]!;
        note({ type: input.type, algorithm, provider: target });
        if (!profile.algorithms.includes(algorithm)) {
          throw new ConsoleError('invalid_input', `A ${input.type} key uses ${profile.algorithms.join(' or ')}, not ${algorithm}.`, { field: 'algorithm' });
        }
        const primary = creatableIn(deps, target);
        let backup: KmsProvider | null = null;
        if (input.backupProvider !== undefined) {
          if (target === LOCAL_PROVIDER_ID) {
            throw new ConsoleError('invalid_input', 'A key held in the local store takes no backup provider; use keys:backup to back it up.', { field: 'backupProvider' });
          }
          if (profile.usage !== 'encrypt') throw new ConsoleError('invalid_input', 'A backup provider wraps data keys; only encryption keys take one.', { field: 'backupProvider' });
          if (input.backupProvider === target) throw new ConsoleError('invalid_input', 'The backup provider must differ from the primary provider.', { field: 'backupProvider' });
          backup = creatableIn(deps, input.backupProvider);
          note({ backupProvider: input.backupProvider });
        }
        const id = crypto.randomUUID();
        note({ keyId: id });
        const spec = { name: providerKeyName(id), spec: algorithm, usage: profile.usage, description: `ECPS console key ${id}` } as const;
        const made = await createKeyWithFailover(primary, backup, spec);
        const holder = made.failedOver ? backup! : primary;
        const retire = (p: KmsProvider, keyRef: string) => p.scheduleDestruction(keyRef, p.capabilities.scheduledDestruction ? MIN_DESTRUCTION_WAITING_DAYS : 0).catch(() => undefined);
        let backupKey: ProviderKeyInfo | null = null;
        try {
          if (backup && !made.failedOver) backupKey = await backup.createKey(spec);
          const at = nowIso();
          const local = made.providerId === LOCAL_PROVIDER_ID;
          const row = newKeyRow({
            id, label: input.label, type: input.type, algorithm, activate: input.activate, rotationSeconds: profile.rotationSeconds, at,
            provider: made.providerId, providerKeyRef: local ? null : made.key.keyRef, backupProvider: backupKey ? backup!.id : null, backupKeyRef: backupKey?.keyRef ?? null,
          });
          // The version (a signing key's public key) is recorded first: a disabled provider key hands out nothing.
          const version = await versionRecord(deps, holder, made.key.keyRef, row, 1, made.key.currentVersion, at);
          if (input.activate === false) {
            await holder.disable(made.key.keyRef);
            if (backupKey) await backup!.disable(backupKey.keyRef);
          }
          const failover: AuditDetails = made.failedOver
            ? { failover: true, from: target, to: made.providerId, reason: made.primaryFailure ? `${made.primaryFailure.kind}: ${made.primaryFailure.message}`.slice(0, 300) : null }
            : {};
          if (made.failedOver) deps.logger.warn('key created on the backup provider: the primary is unreachable', { from: target, to: made.providerId });
          return {
            value: toSummary(row),
            details: { label: input.label, state: row.state, provider: made.providerId, ...failover },
            commit: () => {
              repo.insertKey(row);
              repo.insertVersion(version);
            },
          };
        } catch (e) {
          // Without its backup wrap (or its pre-activation) the key would not be what was asked for: retire it, then refuse.
          await retire(holder, made.key.keyRef);
          if (backupKey) await retire(backup!, backupKey.keyRef);
          throw e;
        }
      });
      deps.onKeysChanged(summary.id);
      return summary;
    },

    list(filter) {
      deps.session.require();
      return repo.list(filter).map(toSummary);
    },

    get(keyId) {
      deps.session.require();
      return toDetail(loadKey(repo, keyId), repo.listVersions(keyId), repo.listUnreached(keyId));
    },

    rotate(keyId, options = {}) {
      return versionLock.run(keyId, () => rotateNow(keyId, options));
    },

    setState(keyId, state, reason) {
      return setKeyState(deps, keyId, state, reason);
    },

    publicKey(keyId, version) {
      return runAudited(deps, 'key.export_public', keyId, async (): Promise<AuditedResult<{ pem: string; version: number }>> => {
        const key = loadKey(repo, keyId);
        if (key.algorithm === 'AES_256') throw new ConsoleError('unsupported_operation', 'An AES key has no public key.');
        requireState(key, 'publicKey', deps.restrictions);
        const v = loadVersion(repo, key, version ?? key.currentVersion);
        // The catalog recorded each version's public key when it was made (its fingerprint is the check value), so a
        // public key is handed out by the console's rules alone, also while the provider key is disabled.
        if (v.publicSpki) return { value: { pem: spkiToPem(v.publicSpki), version: v.version }, details: { version: v.version } };
        const h = holderOfVersion(deps, key, v);
        const { pem } = await h.provider.getPublicKey(h.keyRef, h.providerVersion);
        return { value: { pem, version: v.version }, details: { version: v.version, provider: key.provider } };
      });
    },

    verifyIntegrity(keyId) {
      return runAudited(deps, 'key.verify_integrity', keyId, async () => {
        const key = loadKey(repo, keyId);
        if (key.state === 'destroyed') throw new ConsoleError('key_destroyed', `Key ${keyId} was destroyed; nothing is left to check.`);
        const all = repo.listVersions(keyId);
        const primary = all.some((v) => v.provider) ? primaryOf(deps, key) : null;
        const info = primary ? await primary.provider.describeKey(primary.keyRef) : null;
        const versions = all.map((v) => {
          if (!v.provider || !info) return deps.store.checkVersion(key, v);
          const known = info.state !== 'destroyed' && (v.providerVersion ?? 1) <= info.currentVersion;
          return { version: v.version, ok: known, reason: known ? null : `provider ${key.provider} no longer holds this version (key ${info.state})` };
        });
        const ok = versions.every((v) => v.ok);
        const bad = versions.filter((v) => !v.ok).map((v) => v.version).join(',');
        return {
          value: { ok, versions },
          details: { versions: versions.length, ...(bad ? { failedVersions: bad } : {}), ...(info ? { provider: key.provider, providerState: info.state } : {}) },
          ...(ok ? {} : { failureCode: 'integrity_failure' }),
        };
      });
    },
  };
}
