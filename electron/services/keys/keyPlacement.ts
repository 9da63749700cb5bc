// Where keys:create puts a key that names no provider: the storage provider (the environment's, else a saved one with
// use_kms_for_storage), else the local store. When the environment names a provider whose configuration was refused,
// the local store is not a silent substitute: the creation is refused (and audited) naming the variable, unless the
// officer set ECPS_ALLOW_LOCAL_FALLBACK=1; then the key goes where it would without that provider and, when that is
// the local store, the fallback is audited and reported to the caller.
import { LOCAL_PROVIDER_ID } from '../../../shared/domain.ts';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import type { Env } from '../../providers/config/parseProviderConfig.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import { LOCAL_FALLBACK_VARIABLE, localFallbackAllowed } from '../providers/environmentProvider.ts';
import type { ProviderRegistry } from '../providers/providerRegistry.ts';
import type { Session } from '../session/session.ts';

export interface KeyPlacement {
  provider: string;
  /** Set when the key goes to the local store only because the environment's provider was refused. */
  refusedEnvironment: ConsoleError | null;
}

export interface KeyPlacementDeps {
  registry: Pick<ProviderRegistry, 'storageProviderId' | 'environmentRefusal'>;
  env: Env;
  audit: AuditLog;
  session: Pick<Session, 'actor'>;
}

export interface KeyPlacer {
  /** The provider for a new key that names none; throws (audited) when the environment's provider was refused. */
  place(): KeyPlacement;
  /** Audits that `keyId` went to the local store because the environment's provider was refused. */
  recordLocalFallback(keyId: string, refused: ConsoleError): void;
}

const detailsOf = (e: ConsoleError) => ({
  code: e.code,
  field: typeof e.details?.field === 'string' ? e.details.field : null,
  variable: typeof e.details?.variable === 'string' ? e.details.variable : null,
});

export function createKeyPlacer(deps: KeyPlacementDeps): KeyPlacer {
  const fallback = () => deps.registry.storageProviderId() ?? LOCAL_PROVIDER_ID;
  return {
    place() {
      const refused = deps.registry.environmentRefusal();
      if (!refused) return { provider: fallback(), refusedEnvironment: null };
      let allowed: boolean;
      let why: ConsoleError = refused;
      try {
        allowed = localFallbackAllowed(deps.env);
      } catch (e) {
        allowed = false;
        if (isConsoleError(e)) why = new ConsoleError('invalid_input', `${refused.message} ${e.message}`, refused.details);
      }
      if (!allowed) {
        const err = new ConsoleError(
          'invalid_input',
          `${why.message} No key was created. Fix the variable and unlock again, or set ${LOCAL_FALLBACK_VARIABLE}=1 to create keys in the local store meanwhile.`,
          why.details,
        );
        deps.audit.append({ actor: deps.session.actor(), action: 'key.create', targetType: 'key', targetId: null, outcome: 'failure', details: { ...detailsOf(err), reason: 'environment provider refused' } });
        throw err;
      }
      const provider = fallback();
      return { provider, refusedEnvironment: provider === LOCAL_PROVIDER_ID ? refused : null };
    },
    recordLocalFallback(keyId, refused) {
      deps.audit.append({
        actor: deps.session.actor(),
        action: 'key.local_fallback',
        targetType: 'key',
        targetId: keyId,
        outcome: 'success',
        details: { ...detailsOf(refused), optIn: LOCAL_FALLBACK_VARIABLE },
      });
    },
  };
}
