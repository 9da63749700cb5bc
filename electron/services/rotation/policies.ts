// Rotation policies as the console keeps them: one per key type (the specification's default until an officer sets
// one) and optional overrides per key. Setting one is audited; reads are not. The effective policy of a key is its
// override, else its type's policy, else the default; it is cached with its compiled windows (the usage meter asks for
// the limit on every encryption).
import { KEY_TYPES, type KeyType } from '../../../shared/domain.ts';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import type { Clock } from '../../clock.ts';
import type { KeyRow, KeysRepo } from '../../store/keysRepo.ts';
import type { PolicyRow, RotationRepo } from '../../store/rotationRepo.ts';
import type { AuditDetails, AuditLog } from '../audit/auditLog.ts';
import type { Session } from '../session/session.ts';
import { compileWindows, defaultPolicy, type PolicyWindows, type RotationPolicy, validatePolicy } from './policy.ts';

export type PolicySource = 'default' | 'type' | 'key';

export interface EffectivePolicy {
  policy: RotationPolicy;
  source: PolicySource;
  windows: PolicyWindows;
}

export interface RotationPolicies {
  /** The policy of a key type (its stored one, or the specification's default). */
  forType(type: KeyType): EffectivePolicy;
  /** The policy that applies to a key. */
  forKey(key: KeyRow): EffectivePolicy;
  /** Sets a key type's policy (audited). */
  setTypePolicy(type: KeyType, input: unknown): RotationPolicy;
  /**
   * Sets (or with null removes) a key's own policy (audited). A change to or from a provider-driven policy must have
   * configured the provider first: only providerRotation.ts does that, passing what the provider read back as
   * `providerApplied` (recorded in the audit record); without it such a change is refused (invalid_input, field driver).
   * Callers that accept any policy use providerRotation's setKeyPolicy.
   */
  setKeyPolicy(keyId: string, input: unknown, providerApplied?: AuditDetails): RotationPolicy | null;
  /** Every stored policy. */
  list(): Array<{ scope: 'type' | 'key'; scopeId: string; policy: RotationPolicy; updatedAt: string; updatedBy: string }>;
}

export interface PolicyDeps {
  repo: RotationRepo;
  keys: KeysRepo;
  session: Session;
  audit: AuditLog;
  clock: Clock;
  transaction<T>(fn: () => T): T;
}

const fromRow = (r: PolicyRow): RotationPolicy => ({
  mode: r.mode,
  driver: r.driver,
  periodSeconds: r.periodSeconds,
  jitterSeconds: r.jitterSeconds,
  usageLimit: r.usageLimit,
  timeZone: r.timeZone,
  maintenanceWindow: r.maintenanceWindow,
  blackoutWindows: r.blackoutWindows,
});

const auditDetails = (p: RotationPolicy): AuditDetails => ({
  mode: p.mode,
  driver: p.driver,
  periodSeconds: p.periodSeconds,
  jitterSeconds: p.jitterSeconds,
  usageLimit: p.usageLimit,
  timeZone: p.timeZone,
  maintenanceWindow: p.maintenanceWindow ? `${p.maintenanceWindow.cron} for ${p.maintenanceWindow.durationMinutes} min` : null,
  blackoutWindows: p.blackoutWindows.map((w) => `${w.cron} for ${w.durationMinutes} min`).join('; '),
});

export function createRotationPolicies(deps: PolicyDeps): RotationPolicies {
  const byType = new Map<KeyType, EffectivePolicy>();
  const byKey = new Map<string, EffectivePolicy | null>();
  const effective = (policy: RotationPolicy, source: PolicySource): EffectivePolicy => ({ policy, source, windows: compileWindows(policy) });

  const forType = (type: KeyType): EffectivePolicy => {
    let e = byType.get(type);
    if (!e) {
      const row = deps.repo.getPolicy('type', type);
      e = row ? effective(fromRow(row), 'type') : effective(defaultPolicy(type), 'default');
      byType.set(type, e);
    }
    return e;
  };

  /** Validates and stores, auditing success and refusal alike. */
  const audited = <T>(action: string, targetType: 'key' | null, targetId: string, fn: () => { value: T; details: AuditDetails }): T => {
    deps.session.require();
    const actor = deps.session.actor();
    try {
      return deps.transaction(() => {
        const { value, details } = fn();
        deps.audit.append({ actor, action, targetType, targetId, outcome: 'success', details });
        return value;
      });
    } catch (e) {
      const code = isConsoleError(e) ? e.code : 'internal';
      const details: AuditDetails = { code };
      if (isConsoleError(e) && typeof e.details?.field === 'string') details.field = e.details.field;
      deps.audit.append({ actor, action, targetType, targetId, outcome: 'failure', details });
      throw isConsoleError(e) ? e : new ConsoleError('internal', `${action} failed unexpectedly.`);
    }
  };

  const nowIso = () => new Date(deps.clock.now()).toISOString();

  return {
    forType,
    forKey(key) {
      let e = byKey.get(key.id);
      if (e === undefined) {
        const row = deps.repo.getPolicy('key', key.id);
        e = row ? effective(fromRow(row), 'key') : null;
        byKey.set(key.id, e);
      }
      return e ?? forType(key.type);
    },
    setTypePolicy(type, input) {
      if (!(KEY_TYPES as readonly string[]).includes(type)) throw new ConsoleError('invalid_input', `There is no key type ${String(type)}.`, { field: 'type' });
      return audited('rotation.policy_set', null, `type:${type}`, () => {
        const policy = validatePolicy(input);
        if (policy.driver === 'provider') {
          throw new ConsoleError('invalid_input', 'Provider-driven rotation is set per key (the provider holds the schedule of each key), not for a key type.', { field: 'driver' });
        }
        deps.repo.putPolicy({ scope: 'type', scopeId: type, ...policy, updatedAt: nowIso(), updatedBy: deps.session.actor() });
        byType.delete(type);
        return { value: policy, details: { scope: 'type', ...auditDetails(policy) } };
      });
    },
    setKeyPolicy(keyId, input, providerApplied) {
      return audited('rotation.policy_set', 'key', keyId, () => {
        if (!deps.keys.get(keyId)) throw new ConsoleError('not_found', `No key with id ${keyId}.`);
        const before = deps.repo.getPolicy('key', keyId);
        const policy = input === null ? null : validatePolicy(input);
        if ((before?.driver === 'provider' || policy?.driver === 'provider') && providerApplied === undefined) {
          throw new ConsoleError(
            'invalid_input',
            `A change to or from provider-driven rotation of key ${keyId} must set the provider's own schedule first; use the provider-aware policy setter (rotation.provider.setKeyPolicy, CLI rotation policy set).`,
            { field: 'driver' },
          );
        }
        byKey.delete(keyId);
        const applied = providerApplied ?? {};
        if (policy === null) {
          deps.repo.deletePolicy('key', keyId);
          return { value: null as RotationPolicy | null, details: { scope: 'key', removed: true, ...applied } as AuditDetails };
        }
        deps.repo.putPolicy({ scope: 'key', scopeId: keyId, ...policy, updatedAt: nowIso(), updatedBy: deps.session.actor() });
        return { value: policy, details: { scope: 'key', ...auditDetails(policy), ...applied } };
      });
    },
    list() {
      deps.session.require();
      return deps.repo.listPolicies().map((r) => ({ scope: r.scope, scopeId: r.scopeId, policy: fromRow(r), updatedAt: r.updatedAt, updatedBy: r.updatedBy }));
    },
  };
}
