// The providers:* channels (list, save, test, health, remove) and the provider jobs on keys (backup, verifyBackup, migrate).
// Every call is audited with the provider id; secrets are never returned, logged or audited (names only).
import type { Handlers, ProviderHealthCode } from '../../../shared/contract.ts';
import { LOCAL_PROVIDER_ID } from '../../../shared/domain.ts';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import { SECRET_FIELDS } from '../../providers/config/schema.ts';
import { moduleSlots } from '../../providers/pkcs11/moduleSlots.ts';
import type { HealthReport, ProviderErrorKind } from '../../providers/types.ts';
import type { AuditDetails, AuditLog } from '../audit/auditLog.ts';
import type { BackupService } from './backupService.ts';
import type { MigrationService } from './migrationService.ts';
import { failureAuditDetails } from './providerErrors.ts';
import type { ProviderRegistry } from './providerRegistry.ts';
import type { Session } from '../session/session.ts';
import type { KeysRepo } from '../../store/keysRepo.ts';

type ProviderChannels =
  | 'keys:backup'
  | 'keys:verifyBackup'
  | 'keys:migrate'
  | 'providers:list'
  | 'providers:save'
  | 'providers:test'
  | 'providers:health'
  | 'providers:remove'
  | 'providers:slots';

export interface ProviderHandlerDeps {
  registry: ProviderRegistry;
  session: Session;
  audit: AuditLog;
  keys: KeysRepo;
  backup: BackupService;
  migration: MigrationService;
  onProvidersChanged(id: string | null): void;
}

/** providers:health's code for a failed check: the provider error's kind, never its message. */
export const HEALTH_CODE_OF: Readonly<Record<ProviderErrorKind, ProviderHealthCode>> = {
  Unavailable: 'unavailable',
  Throttled: 'throttled',
  AccessDenied: 'access_denied',
  NotFound: 'not_found',
  InvalidInput: 'invalid_input',
  KeyDisabled: 'key_disabled',
  IntegrityFailure: 'integrity_failure',
  Unsupported: 'unsupported',
};

/**
 * The audit details of one providers:health call: the providers checked (ids, in the answer's order), each one's code
 * in the same order (`ok` when reachable) and how many were unreachable. Ids and codes only: no latency, no message.
 */
export function healthAuditDetails(providers: ReadonlyArray<{ id: string; reachable: boolean; code: ProviderHealthCode | null }>): AuditDetails {
  return {
    providers: providers.map((p) => p.id).join(','),
    codes: providers.map((p) => (p.reachable ? 'ok' : (p.code ?? 'health_check_failed'))).join(','),
    unreachable: providers.filter((p) => !p.reachable).length,
  };
}

export function createProviderHandlers(deps: ProviderHandlerDeps): Pick<Handlers, ProviderChannels> {
  const { registry, session } = deps;

  /** Runs a provider management call for the unlocked session and audits it (never with secret values). */
  const audited = async <T>(action: string, id: string | null, fn: () => Promise<{ value: T; details?: AuditDetails }>, base: AuditDetails = {}): Promise<T> => {
    try {
      session.require();
      const { value, details } = await fn();
      deps.audit.append({ actor: session.actor(), action, targetType: null, targetId: id, outcome: 'success', details: { ...base, ...details } });
      return value;
    } catch (e) {
      const err = isConsoleError(e) ? e : new ConsoleError('internal', `${action} failed unexpectedly.`);
      const field: AuditDetails = typeof err.details?.field === 'string' ? { field: err.details.field } : {};
      deps.audit.append({ actor: session.actor(), action, targetType: null, targetId: id, outcome: 'failure', details: { ...base, ...failureAuditDetails(err), ...field, code: err.code } });
      throw err;
    }
  };

  /** One provider's health check now (the built-in local provider always answers); listeners hear of it. */
  const check = async (id: string): Promise<HealthReport> => {
    if (id === LOCAL_PROVIDER_ID) return { ok: true, latencyMs: 0, detail: null };
    const report = await registry.require(id).provider.checkHealth();
    deps.onProvidersChanged(id);
    return report;
  };

  return {
    'providers:list': async () => {
      session.require();
      return { providers: registry.list(), environmentRefusal: registry.environmentRefusalView() };
    },

    'providers:save': async ({ config }) => {
      const id = typeof config.id === 'string' ? config.id : null;
      const kind = typeof config.provider === 'string' ? config.provider : null;
      const secrets = Object.keys(config).filter((k) => SECRET_FIELDS.includes(k)).sort().join(',');
      const status = await audited('provider.save', id, async () => {
        const s = registry.save(config);
        return { value: s, details: { provider: s.id, kind: s.kind } };
      }, { kind, protectedFields: secrets || null });
      deps.onProvidersChanged(status.id);
      return status;
    },

    'providers:test': ({ id }) =>
      audited('provider.test', id, async () => {
        const report = await check(id);
        if (id === LOCAL_PROVIDER_ID) return { value: { ok: true, latencyMs: 0, detail: null } };
        return { value: { ok: report.ok, latencyMs: report.latencyMs, detail: report.detail }, details: { provider: id, ok: report.ok, latencyMs: report.latencyMs } };
      }),

    // Only the five facts of each provider leave here, never the report's detail (a provider's message can quote an
    // endpoint or an account). Each check is audited once (provider.health): which providers, in order, and each one's
    // code (`ok` when reachable), nothing else; who ran it is the record's actor.
    'providers:health': () =>
      audited('provider.health', null, async () => {
        const providers = await Promise.all(
          registry.list().map(async (p) => {
            const report = await check(p.id);
            const code = report.ok ? null : report.errorKind ? HEALTH_CODE_OF[report.errorKind] : 'health_check_failed';
            return { id: p.id, kind: p.kind, reachable: report.ok, latencyMs: Math.max(0, Math.round(report.latencyMs)), code };
          }),
        );
        return { value: { providers }, details: healthAuditDetails(providers) };
      }),

    'providers:slots': ({ modulePath }) =>
      audited('provider.slots', null, async () => {
        const value = await moduleSlots(modulePath);
        return { value, details: { modulePath, slots: value.slots.length } };
      }, { modulePath }),

    'providers:remove': async ({ id }) => {
      await audited('provider.remove', id, async () => {
        if (id === LOCAL_PROVIDER_ID) throw new ConsoleError('invalid_input', 'The built-in local provider cannot be removed.', { field: 'id' });
        registry.require(id);
        const using = deps.keys.countUsingProvider(id);
        if (using > 0) {
          throw new ConsoleError('invalid_input', `Provider ${id} is still used by ${using} key${using === 1 ? '' : 's'}; destroy or move them first.`, { field: 'id', keys: using });
        }
        await registry.remove(id);
        return { value: null, details: { provider: id } };
      });
      deps.onProvidersChanged(id);
      return { removed: true as const };
    },

    'keys:backup': ({ providerId, keyIds }) => deps.backup.backup(providerId, keyIds),
    'keys:verifyBackup': ({ providerId }) => deps.backup.verify(providerId),
    'keys:migrate': ({ providerId, keyIds }) => deps.migration.migrate(providerId, keyIds),
  };
}
