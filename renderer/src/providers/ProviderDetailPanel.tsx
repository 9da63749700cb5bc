import type { ProviderStatus } from '../../../shared/contract.ts';
import { PROVIDER_KIND_LABELS } from '../../../shared/domain.ts';
import { useUiStore } from '../state/uiStore.ts';
import { formatTime } from '../format.ts';
import { HealthDot } from './HealthDot.tsx';
import { TestConnectionButton } from './TestConnectionButton.tsx';
import { CIRCUIT_LABELS, isEditable, storageMode } from './providerStatusText.ts';

/** One provider: health, circuit, last error and its settings as stored (secrets only ever as "set"). */
export function ProviderDetailPanel({ provider, keysOnIt }: { provider: ProviderStatus; keysOnIt: number }) {
  const selectProvider = useUiStore((s) => s.selectProvider);
  const openDialog = useUiStore((s) => s.openProviderDialog);
  const settings = Object.entries(provider.settings).filter(([name]) => name !== 'id' && name !== 'provider');

  return (
    <section className="panel" aria-labelledby="provider-detail-title">
      <div className="toolbar">
        <h2 id="provider-detail-title">Provider “{provider.id}”</h2>
        <span className="spacer" />
        {isEditable(provider) && (
          <button type="button" onClick={() => openDialog({ kind: 'edit', id: provider.id })}>
            Edit settings
          </button>
        )}
        <button type="button" onClick={() => selectProvider(null)}>
          Close details
        </button>
      </div>
      <dl className="facts">
        <dt>Kind</dt>
        <dd>{PROVIDER_KIND_LABELS[provider.kind]}</dd>
        <dt>Health</dt>
        <dd>
          <HealthDot provider={provider} />
          {provider.health && (
            <span className="muted">
              {' '}
              — {Math.round(provider.health.latencyMs)} ms, checked {formatTime(provider.health.checkedAt)}
              {provider.health.detail ? `: ${provider.health.detail}` : ''}
            </span>
          )}
        </dd>
        <dt>Circuit breaker</dt>
        <dd>{CIRCUIT_LABELS[provider.circuit]}</dd>
        <dt>Last error</dt>
        <dd>{provider.lastError ? `${provider.lastError.kind}: ${provider.lastError.message} (${formatTime(provider.lastError.at)})` : 'none'}</dd>
        <dt>KMS-backed</dt>
        <dd>{provider.kmsBacked ? 'Yes: key material stays in the provider' : 'No: key material is in the local encrypted store'}</dd>
        <dt>Storage</dt>
        <dd>{storageMode(provider)}</dd>
        {provider.settings.origin === 'environment' && (
          <>
            <dt>Configured by</dt>
            <dd>the environment (KMS_PROVIDER and related variables): change it there, not here</dd>
          </>
        )}
        <dt>Keys</dt>
        <dd>{keysOnIt === 0 ? 'No keys use this provider' : `${keysOnIt} key${keysOnIt === 1 ? ' uses' : 's use'} this provider (as provider or backup)`}</dd>
      </dl>
      {settings.length > 0 && (
        <table className="grid compact settings" aria-label={`Settings of ${provider.id}`}>
          <tbody>
            {settings.map(([name, value]) => (
              <tr key={name}>
                <th scope="row">
                  <code>{name}</code>
                </th>
                <td>{value === null ? <span className="muted">not set</span> : typeof value === 'string' && value.includes('\n') ? <pre className="pem">{value}</pre> : String(value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="subsection">
        <TestConnectionButton providerId={provider.id} />
      </div>
    </section>
  );
}
