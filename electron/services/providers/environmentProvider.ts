// The provider the environment names (KMS_PROVIDER, AWS_REGION, USE_KMS_FOR_STORAGE, KMS_TIMEOUT_MS, ...). When its
// configuration is refused, the console says so wherever it matters instead of quietly keeping new keys in the local
// store: keys:create refuses naming the variable, unless the officer set ECPS_ALLOW_LOCAL_FALLBACK=1.
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import { PROVIDER_KINDS, type ProviderKind } from '../../../shared/domain.ts';
import type { Env } from '../../providers/config/parseProviderConfig.ts';
import { ENV_VARS } from '../../providers/config/schema.ts';

/** The explicit opt-in: with it, a refused environment provider no longer stops keys:create (the key goes local). */
export const LOCAL_FALLBACK_VARIABLE = 'ECPS_ALLOW_LOCAL_FALLBACK';

/** The environment variable behind a refused setting, where there is one. */
export function variableOf(field: string | undefined, env: Env): string | null {
  if (field === undefined || field === 'provider') return 'KMS_PROVIDER';
  const kind = env.KMS_PROVIDER?.trim() ?? '';
  if (!(PROVIDER_KINDS as readonly string[]).includes(kind)) return null;
  return ENV_VARS[kind as ProviderKind][field] ?? null;
}

/** Why the environment's provider was refused, as one invalid_input naming the variable. */
export function environmentRefusal(e: unknown, env: Env): ConsoleError {
  if (!isConsoleError(e)) return new ConsoleError('internal', 'The provider configuration in the environment could not be used (details in the console log).');
  const field = typeof e.details?.field === 'string' ? e.details.field : undefined;
  const variable = variableOf(field, env);
  const reason = e.message.replace(/^Provider configuration: /, '').replace(/\.$/, '');
  return new ConsoleError('invalid_input', `The provider configuration in the environment was refused: ${reason}.`, {
    field: field ?? 'configuration',
    variable,
  });
}

/** Whether ECPS_ALLOW_LOCAL_FALLBACK allows the local store to stand in; a value that is neither yes nor no is refused. */
export function localFallbackAllowed(env: Env): boolean {
  const raw = env[LOCAL_FALLBACK_VARIABLE];
  const v = raw?.trim().toLowerCase() ?? '';
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['', '0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConsoleError('invalid_input', `${LOCAL_FALLBACK_VARIABLE} (environment) must be 1 or 0 (true/false, yes/no).`, { field: LOCAL_FALLBACK_VARIABLE, variable: LOCAL_FALLBACK_VARIABLE });
}
