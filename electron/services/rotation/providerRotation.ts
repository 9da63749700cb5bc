// Provider-side rotation (issue 13, docs/rotation.md "Provider-side rotation"): where a key's provider can rotate on
// its own (AWS KMS, Vault transit, Google Cloud KMS, Azure Key Vault: the optional ProviderRotationControl of the
// provider contract), a key's policy may say that the provider drives rotation. Setting such a policy sets the
// provider's own schedule, reads it back (a mismatch is an error and nothing is stored), then stores the policy;
// leaving it switches the provider's schedule off and reads that back too. The console's scheduler then plans no
// scheduled rotation for the key (a usage-limit rotation still runs: the console alone counts its encryptions).
//
// Drift: a version at the provider that the console did not make (the provider's own schedule, or someone rotating
// the key outside the console) is noticed by checkDrift (each scheduler pass, at most every driftIntervalMs, and on
// demand), recorded once as `rotation.drift_detected` and adopted as the key's new current version, so the
// console's catalog, usage counting and schedule follow what the provider now encrypts with.
import type { KeyAlgorithm } from '../../../shared/domain.ts';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import type { ProviderKeySpec, ProviderRotationControl, ProviderRotationSchedule, ProviderVersionInfo } from '../../providers/types.ts';
import type { VersionMaterialRow } from '../../store/keyMaterialsRepo.ts';
import type { KeyRow } from '../../store/keysRepo.ts';
import type { AuditDetails } from '../audit/auditLog.ts';
import { primaryOf, providerVersionRow } from '../keys/keyLocations.ts';
import { type KeyServiceDeps, loadKey, nextRotation } from '../keys/keysShared.ts';
import { failureAuditDetails, providerFailure } from '../providers/providerErrors.ts';
import type { RotationPolicies } from './policies.ts';
import { type RotationPolicy, validatePolicy } from './policy.ts';

/** How often a scheduler pass checks for drift (each provider key costs one listing call at its provider). */
export const DEFAULT_DRIFT_INTERVAL_MS = 15 * 60_000;

export interface DriftFinding {
  keyId: string;
  provider: string;
  /** The provider's version number (as the console numbers provider versions) and its own id for it. */
  providerVersion: number;
  providerVersionId: string;
  origin: ProviderVersionInfo['origin'];
  providerCreatedAt: string | null;
  /** The console version it became. */
  adoptedAs: number;
  /** Whether the key's policy lets the provider rotate it (the provider's own schedule made it). */
  expected: boolean;
}

export interface DriftReport {
  /** Keys whose provider versions were compared. */
  checked: number;
  drift: DriftFinding[];
  /** Keys that could not be checked (provider unreachable, key state), with the code and message. */
  errors: Array<{ keyId: string; code: string; message: string }>;
}

export interface ProviderRotation {
  /**
   * Sets (or with null removes) a key's own policy, whoever drives it: for a provider-driven policy the provider's
   * schedule is set and read back first; leaving one switches the provider's schedule off (read back). Audited as
   * rotation.policy_set (with what the provider read back); refusals too.
   */
  setKeyPolicy(keyId: string, input: unknown): Promise<{ policy: RotationPolicy | null; providerSchedule: ProviderRotationSchedule | null }>;
  /** The provider's own schedule of a key, as the provider reports it now. */
  schedule(keyId: string): Promise<ProviderRotationSchedule>;
  /** Compares the provider's versions with the console's; records and adopts versions the console did not make. */
  checkDrift(options?: { keyId?: string; by?: 'scheduler' | 'officer' }): Promise<DriftReport>;
  /** The scheduler's pre-pass: checkDrift when the last one is at least driftIntervalMs old. */
  prePass(now: number): Promise<void>;
  /** The provider material each version of a key names, where the console learnt it (AWS KeyMaterialId), oldest first. */
  materials(keyId: string): VersionMaterialRow[];
}

export interface ProviderRotationDeps {
  keys: KeyServiceDeps;
  policies: RotationPolicies;
  driftIntervalMs?: number;
}

const invalid = (field: string, message: string, details: Record<string, string | number | null> = {}) =>
  new ConsoleError('invalid_input', message, { field, ...details });

/** The rotation control of a key's provider, or why the provider cannot drive the key's rotation. */
function controlOf(deps: KeyServiceDeps, key: KeyRow): { control: ProviderRotationControl; keyRef: string } {
  const p = primaryOf(deps, key);
  const control = p.provider.providerRotation;
  if (!control) {
    throw invalid(
      'driver',
      `Key ${key.id} lives in provider ${key.provider} (${p.provider.kind}), which cannot rotate keys by itself: only the console can drive its rotation (driver "console").`,
      { provider: key.provider },
    );
  }
  if (!control.supportsSpec(key.algorithm as KeyAlgorithm & ProviderKeySpec)) {
    throw invalid('driver', `Provider ${key.provider} (${p.provider.kind}) does not rotate ${key.algorithm} keys by itself: only the console can drive the rotation of key ${key.id}.`, {
      provider: key.provider,
    });
  }
  return { control, keyRef: p.keyRef };
}

export function createProviderRotation(deps: ProviderRotationDeps): ProviderRotation {
  const k = deps.keys;
  const interval = deps.driftIntervalMs ?? DEFAULT_DRIFT_INTERVAL_MS;
  let lastDriftAt: number | null = null;
  const nowIso = () => new Date(k.clock.now()).toISOString();

  const refuse = (keyId: string, e: unknown): never => {
    const err = providerFailure(e);
    const details: AuditDetails = { code: err.code, ...failureAuditDetails(err) };
    if (typeof err.details?.field === 'string') details.field = err.details.field;
    k.audit.append({ actor: k.session.actor(), action: 'rotation.policy_set', targetType: 'key', targetId: keyId, outcome: 'failure', details });
    throw err;
  };

  /** The provider's position of the material a console version is bound to, when bound and listed (else null). */
  const materialPosition = (keyId: string, version: number, versions: ProviderVersionInfo[]): number | null => {
    const bound = k.materials?.listForKey(keyId).find((m) => m.version === version);
    return bound ? (versions.find((v) => v.versionId === bound.materialId)?.version ?? null) : null;
  };

  /** Adopts the provider versions above the newest one the console knows, oldest first. */
  const adopt = async (key: KeyRow, control: ProviderRotationControl, keyRef: string, by: string): Promise<DriftFinding[]> => {
    const provider = primaryOf(k, key).provider;
    const versions = await control.listVersions(keyRef);
    const found: DriftFinding[] = [];
    // AWS names each material (KeyMaterialId; "initial" and "rotation-n" are the adapter's stand-ins when it did not).
    const materialNamed = (v: ProviderVersionInfo) => provider.kind === 'aws_kms' && v.versionId !== 'initial' && !v.versionId.startsWith('rotation-');
    versions.sort((a, b) => a.version - b.version);
    for (const v of versions) {
      const current = loadKey(k.repo, key.id);
      const known = k.repo.listVersions(key.id).filter((r) => r.provider);
      if (known.length === 0) return found; // a key the console holds itself: nothing to compare
      // A material the console already names is known, wherever its position (AWS KeyMaterialId, migration 39).
      if (k.materials?.versionOf(key.id, v.versionId) != null) continue;
      // When the current version names its material, the provider's versions after that material are new; before it
      // (e.g. one made outside the console just before a console rotation) they were never current. Otherwise (a
      // version not bound yet, a key rotated before migration 39) the provider's numbers decide, as before.
      const anchor = materialPosition(key.id, current.currentVersion, versions);
      const newest = anchor ?? Math.max(...known.map((r) => r.providerVersion ?? 1));
      if (v.version <= newest) continue;
      const version = current.currentVersion + 1;
      const createdAt = v.createdAt ?? nowIso();
      const row = await providerVersionRow(provider, keyRef, current, version, v.version, createdAt);
      const policy = deps.policies.forKey(current).policy;
      const expected = policy.driver === 'provider' && v.origin !== 'on_demand';
      const finding: DriftFinding = {
        keyId: key.id, provider: key.provider, providerVersion: v.version, providerVersionId: v.versionId, origin: v.origin, providerCreatedAt: v.createdAt,
        adoptedAs: version, expected,
      };
      const adopted = k.transaction(() => {
        // An officer's rotation committed meanwhile: the next check looks again.
        if (loadKey(k.repo, key.id).currentVersion !== current.currentVersion) return false;
        const at = nowIso();
        k.repo.insertVersion(row);
        k.repo.setCurrentVersion(key.id, version, at, nextRotation(current.rotationSeconds, createdAt, current.state));
        if (k.materials && materialNamed(v)) {
          k.materials.bind({ keyId: key.id, version, provider: key.provider, materialId: v.versionId, learntFrom: 'drift', learntAt: at });
        }
        k.audit.append({
          actor: k.session.actor(), action: 'rotation.drift_detected', targetType: 'key', targetId: key.id, outcome: 'success',
          details: {
            provider: key.provider, providerVersion: v.version, providerVersionId: v.versionId, origin: v.origin, providerCreatedAt: v.createdAt,
            adoptedAs: version, fromVersion: current.currentVersion, driver: policy.driver, expected, severity: expected ? 'info' : 'warning', by,
          },
        });
        return true;
      });
      if (!adopted) return found;
      found.push(finding);
      k.logger[expected ? 'info' : 'warn']('provider key version made outside the console adopted', { keyId: key.id, provider: key.provider, providerVersion: v.version });
    }
    return found;
  };

  const service: ProviderRotation = {
    async setKeyPolicy(keyId, input) {
      k.session.require();
      const key = k.repo.get(keyId);
      let next: RotationPolicy | null;
      try {
        next = input === null ? null : validatePolicy(input);
      } catch {
        // The policy store refuses it with the same error and audits the refusal.
        return { policy: deps.policies.setKeyPolicy(keyId, input), providerSchedule: null };
      }
      const before = key ? deps.policies.forKey(key).policy : null;
      const toProvider = next?.driver === 'provider';
      const fromProvider = before?.driver === 'provider';
      if (!key || (!toProvider && !fromProvider)) return { policy: deps.policies.setKeyPolicy(keyId, input), providerSchedule: null };

      let back: ProviderRotationSchedule;
      let applied: AuditDetails;
      try {
        const { control, keyRef } = controlOf(k, key);
        if (toProvider) {
          const period = next!.periodSeconds!;
          const { minSeconds, maxSeconds, stepSeconds, text } = control.limits;
          if (period < minSeconds || (maxSeconds !== null && period > maxSeconds) || period % stepSeconds !== 0) {
            throw invalid('periodSeconds', `${text} ${period} seconds is outside that.`, { provider: key.provider, minSeconds, maxSeconds, stepSeconds });
          }
          await control.setSchedule(keyRef, period);
          back = await control.getSchedule(keyRef);
          if (!back.enabled || back.periodSeconds !== period) {
            throw new ConsoleError(
              'integrity_failure',
              `Provider ${key.provider} reports ${back.enabled ? `a rotation period of ${back.periodSeconds ?? 'unknown'} seconds` : 'no rotation schedule'} for key ${keyId} after it was set to ${period} seconds; the policy was not stored.`,
              { field: 'periodSeconds', provider: key.provider, expected: period, actual: back.enabled ? back.periodSeconds : null },
            );
          }
          applied = { provider: key.provider, providerPeriodSeconds: back.periodSeconds, providerNextRotationAt: back.nextRotationAt };
        } else {
          await control.disableSchedule(keyRef);
          back = await control.getSchedule(keyRef);
          if (back.enabled) {
            throw new ConsoleError('integrity_failure', `Provider ${key.provider} still reports a rotation schedule for key ${keyId} after it was switched off; the policy was not stored.`, {
              field: 'driver', provider: key.provider,
            });
          }
          applied = { provider: key.provider, providerRotation: 'off' };
        }
      } catch (e) {
        return refuse(keyId, e);
      }
      return { policy: deps.policies.setKeyPolicy(keyId, input, applied), providerSchedule: back };
    },

    async schedule(keyId) {
      k.session.require();
      const key = loadKey(k.repo, keyId);
      try {
        const { control, keyRef } = controlOf(k, key);
        return await control.getSchedule(keyRef);
      } catch (e) {
        throw providerFailure(e);
      }
    },

    async checkDrift(options = {}) {
      k.session.require();
      const by = options.by ?? 'officer';
      const keys = options.keyId === undefined ? k.repo.list({ state: 'active' }) : [loadKey(k.repo, options.keyId)];
      const report: DriftReport = { checked: 0, drift: [], errors: [] };
      for (const key of keys) {
        if (!key.providerKeyRef || key.state === 'destroyed') continue;
        let target: { control: ProviderRotationControl; keyRef: string };
        try {
          target = controlOf(k, key);
        } catch (e) {
          // A provider that cannot rotate by itself makes no versions the console did not ask for; an unconfigured one is reported.
          if (isConsoleError(e) && e.code === 'invalid_input') continue;
          const err = providerFailure(e);
          report.errors.push({ keyId: key.id, code: err.code, message: err.message });
          continue;
        }
        report.checked++;
        try {
          // Under the key's version lock: an officer's rotation in flight finishes first, then the check looks again.
          const run = () => adopt(key, target.control, target.keyRef, by);
          report.drift.push(...(await (k.versionLock ? k.versionLock.run(key.id, run) : run())));
        } catch (e) {
          const err = providerFailure(e);
          report.errors.push({ keyId: key.id, code: err.code, message: err.message });
        }
      }
      if (report.drift.length > 0) {
        k.registry.cache().clear(); // cached data keys are wrapped under the old version: new data uses the new one
        for (const id of new Set(report.drift.map((d) => d.keyId))) k.onKeysChanged(id);
      }
      return report;
    },

    materials(keyId) {
      k.session.require();
      return k.materials?.listForKey(loadKey(k.repo, keyId).id) ?? [];
    },

    async prePass(now) {
      if (lastDriftAt !== null && now - lastDriftAt < interval && now >= lastDriftAt) return;
      lastDriftAt = now;
      const report = await service.checkDrift({ by: 'scheduler' });
      for (const e of report.errors) k.logger.warn('drift check failed for a key', { keyId: e.keyId, code: e.code });
    },
  };
  return service;
}
