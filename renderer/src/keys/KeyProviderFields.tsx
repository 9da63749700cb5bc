import { useEffect, useId } from 'react';
import type { ProviderStatus } from '../../../shared/contract.ts';
import { LOCAL_PROVIDER_ID, PROVIDER_KIND_LABELS } from '../../../shared/domain.ts';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { healthWord } from '../providers/providerStatusText.ts';

export interface KeyProviderChoice {
  /** null until the providers are known: the main process then picks its default. */
  provider: string | null;
  backupProvider: string;
}

/** The provider the main process uses when none is given: the storage provider (the environment's first), else local. */
export function defaultProvider(providers: readonly ProviderStatus[]): string {
  const storage = providers.filter((p) => p.useKmsForStorage && p.id !== LOCAL_PROVIDER_ID);
  return (storage.find((p) => p.settings.origin === 'environment') ?? storage[0])?.id ?? LOCAL_PROVIDER_ID;
}

function optionText(p: ProviderStatus): string {
  const health = healthWord(p);
  return `${p.id} — ${PROVIDER_KIND_LABELS[p.kind]}${health === 'unreachable' ? ' (unreachable)' : ''}`;
}

interface Props {
  encryption: boolean;
  choice: KeyProviderChoice;
  onChange(choice: KeyProviderChoice): void;
}

/** Where a new key lives, and for encryption keys a second provider that also wraps every data key. */
export function KeyProviderFields({ encryption, choice, onChange }: Props) {
  const providers = useChannelQuery('providers:list', {});
  const list = providers.data?.providers ?? [];
  const known = providers.data !== undefined;
  // The environment's provider was refused: the default is the main process's to decide (refuse, or the audited local
  // fallback with ECPS_ALLOW_LOCAL_FALLBACK), so the dialog sends no provider instead of quietly picking local.
  const refusal = providers.data?.environmentRefusal ?? null;
  const fallback = known && refusal === null ? defaultProvider(list) : null;

  useEffect(() => {
    if (choice.provider === null && fallback !== null) onChange({ ...choice, provider: fallback });
  }, [choice, fallback, onChange]);

  const provider = choice.provider ?? fallback ?? (refusal ? '' : LOCAL_PROVIDER_ID);
  const providerId = useId();
  const backupId = useId();
  const backups = list.filter((p) => p.id !== provider);

  return (
    <>
      <div className="field">
        <label htmlFor={providerId}>Provider</label>
        <select
          id={providerId}
          value={provider}
          disabled={!known}
          onChange={(e) => onChange({ provider: e.target.value || null, backupProvider: choice.backupProvider === e.target.value ? '' : choice.backupProvider })}
        >
          {refusal && (
            <option value="">
              {refusal.localFallback
                ? 'Default: the local store (the environment’s provider was refused; ECPS_ALLOW_LOCAL_FALLBACK is set)'
                : `Default: none (the environment’s provider was refused: ${refusal.variable ?? 'see the Providers page'})`}
            </option>
          )}
          {known ? (
            list.map((p) => (
              <option key={p.id} value={p.id}>
                {optionText(p)}
                {p.id === fallback ? ' (default)' : ''}
              </option>
            ))
          ) : (
            <option value={LOCAL_PROVIDER_ID}>{providers.isError ? 'Default provider (provider list unavailable)' : 'Loading providers…'}</option>
          )}
        </select>
      </div>
      {encryption && known && (
        <div className="field">
          <label htmlFor={backupId}>Backup provider (optional)</label>
          <select id={backupId} value={choice.backupProvider} onChange={(e) => onChange({ ...choice, backupProvider: e.target.value })}>
            <option value="">None</option>
            {backups.map((p) => (
              <option key={p.id} value={p.id}>
                {optionText(p)}
              </option>
            ))}
          </select>
        </div>
      )}
      {encryption && choice.backupProvider && (
        <p className="muted small">Every data key is wrapped under both providers: data stays decryptable while either one is reachable.</p>
      )}
    </>
  );
}
