import { useEffect } from 'react';
import FormField from '@cloudscape-design/components/form-field';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
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
  /** Field errors in words (components/errorWords.ts), by field name: provider, backupProvider. */
  errors?: Readonly<Record<string, string>>;
}

/** Where a new key lives, and for encryption keys a second provider that also wraps every data key. */
export function KeyProviderFields({ encryption, choice, onChange, errors = {} }: Props) {
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
  const backups = list.filter((p) => p.id !== provider);

  const providerOptions: SelectProps.Option[] = [
    ...(refusal
      ? [
          {
            value: '',
            label: refusal.localFallback
              ? 'Default: the local store (the environment’s provider was refused; ECPS_ALLOW_LOCAL_FALLBACK is set)'
              : `Default: none (the environment’s provider was refused: ${refusal.variable ?? 'see the Providers page'})`,
          },
        ]
      : []),
    ...(known
      ? list.map((p) => ({ value: p.id, label: `${optionText(p)}${p.id === fallback ? ' (default)' : ''}` }))
      : [{ value: LOCAL_PROVIDER_ID, label: providers.isError ? 'Default provider (provider list unavailable)' : 'Loading providers…' }]),
  ];
  const backupOptions: SelectProps.Option[] = [{ value: '', label: 'None' }, ...backups.map((p) => ({ value: p.id, label: optionText(p) }))];

  return (
    <>
      <FormField label="Provider" errorText={errors.provider}>
        <Select
          selectedOption={providerOptions.find((o) => o.value === provider) ?? null}
          disabled={!known}
          invalid={!!errors.provider}
          options={providerOptions}
          onChange={(e) => {
            const value = e.detail.selectedOption.value ?? '';
            onChange({ provider: value || null, backupProvider: choice.backupProvider === value ? '' : choice.backupProvider });
          }}
        />
      </FormField>
      {encryption && known && (
        <FormField
          label="Backup provider (optional)"
          errorText={errors.backupProvider}
          description={choice.backupProvider ? 'Every data key is wrapped under both providers: data stays decryptable while either one is reachable.' : undefined}
        >
          <Select
            selectedOption={backupOptions.find((o) => o.value === choice.backupProvider) ?? null}
            invalid={!!errors.backupProvider}
            options={backupOptions}
            onChange={(e) => onChange({ ...choice, backupProvider: e.detail.selectedOption.value ?? '' })}
          />
        </FormField>
      )}
    </>
  );
}
