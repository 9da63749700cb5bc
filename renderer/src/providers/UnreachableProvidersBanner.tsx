import Alert from '@cloudscape-design/components/alert';
import SpaceBetween from '@cloudscape-design/components/space-between';
import type { KeySummary, ProviderStatus } from '../../../shared/contract.ts';
import { KEY_TYPE_PROFILES, PROVIDER_KIND_LABELS } from '../../../shared/domain.ts';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { healthWord } from './providerStatusText.ts';

const REFRESH_MS = 5_000;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What the configuration says happens to the keys of a provider that cannot be reached (see services/keys/keysCrypto.ts). */
function consequence(p: ProviderStatus, primary: KeySummary[], backedUp: KeySummary[]): string {
  const parts: string[] = [];
  const signing = primary.filter((k) => KEY_TYPE_PROFILES[k.type].usage === 'sign');
  const encrypting = primary.filter((k) => KEY_TYPE_PROFILES[k.type].usage === 'encrypt');
  const withBackup = encrypting.filter((k) => k.backupProvider && k.backupProvider !== p.id);
  const alone = encrypting.filter((k) => !k.backupProvider || k.backupProvider === p.id);
  if (withBackup.length > 0) {
    const backups = [...new Set(withBackup.map((k) => k.backupProvider!))].join(', ');
    parts.push(
      `${plural(withBackup.length, 'encryption key')} ${withBackup.length === 1 ? 'keeps' : 'keep'} working through the backup provider ${backups}: data protected by them still decrypts, and new data is wrapped under ${backups} only until ${p.id} is back.`,
    );
  }
  if (alone.length > 0) {
    const cache = p.settings.enable_local_cache === true ? ' Data keys still in the local cache keep decrypting until they expire.' : '';
    parts.push(
      p.settings.offline_mode === true
        ? `Offline mode is on: ${plural(alone.length, 'encryption key')} without a backup encrypt new data under the local fallback key (recorded as degraded); data protected earlier cannot be decrypted until ${p.id} is back.${cache}`
        : `${plural(alone.length, 'encryption key')} without a backup provider cannot encrypt or decrypt until ${p.id} is back.${cache}`,
    );
  }
  if (signing.length > 0) parts.push(`${plural(signing.length, 'signing key')} cannot sign until it is back.`);
  if (backedUp.length > 0) {
    parts.push(`${plural(backedUp.length, 'key')} using it as backup provider ${backedUp.length === 1 ? 'is' : 'are'} protected by their own provider only meanwhile.`);
  }
  return parts.join(' ');
}

/** On the Keys page: says plainly which provider holding keys is unreachable and what that means for those keys. */
export function UnreachableProvidersBanner({ keys }: { keys: KeySummary[] }) {
  // Errors are the Providers page's to show; here only a confirmed outage speaks.
  const providers = useChannelQuery('providers:list', {}, { refetchInterval: REFRESH_MS });
  const down = (providers.data?.providers ?? []).filter((p) => healthWord(p) === 'unreachable');
  const affected = down
    .map((p) => ({
      provider: p,
      primary: keys.filter((k) => k.provider === p.id),
      backedUp: keys.filter((k) => k.backupProvider === p.id && k.provider !== p.id),
    }))
    .filter((a) => a.primary.length + a.backedUp.length > 0);
  if (affected.length === 0) return null;

  return (
    <div role="alert" aria-label="Unreachable providers">
      <Alert type="warning" statusIconAriaLabel="Warning">
        <SpaceBetween size="xs">
          {affected.map(({ provider, primary, backedUp }) => (
            <div key={provider.id}>
          <strong>
            Provider {provider.id} ({PROVIDER_KIND_LABELS[provider.kind]}) is unreachable
            {provider.lastError ? `: ${provider.lastError.message}` : ''}.
          </strong>{' '}
          {consequence(provider, primary, backedUp)}
            </div>
          ))}
        </SpaceBetween>
      </Alert>
    </div>
  );
}
