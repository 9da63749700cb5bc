import type { ProviderStatus } from '../../../shared/contract.ts';
import { PROVIDER_KIND_LABELS } from '../../../shared/domain.ts';
import { useUiStore } from '../state/uiStore.ts';
import { formatTime } from '../format.ts';
import { HealthDot } from './HealthDot.tsx';
import { TestConnectionButton } from './TestConnectionButton.tsx';
import { CIRCUIT_LABELS, isEditable, storageMode } from './providerStatusText.ts';

export function ProviderTable({ providers }: { providers: ProviderStatus[] }) {
  const selected = useUiStore((s) => s.selectedProviderId);
  const selectProvider = useUiStore((s) => s.selectProvider);
  const openDialog = useUiStore((s) => s.openProviderDialog);

  return (
    <table className="grid" aria-label="Providers">
      <thead>
        <tr>
          <th scope="col">Id</th>
          <th scope="col">Kind</th>
          <th scope="col">Health</th>
          <th scope="col">Latency</th>
          <th scope="col">Circuit</th>
          <th scope="col">Last error</th>
          <th scope="col">KMS-backed</th>
          <th scope="col">Storage</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {providers.map((p) => (
          <tr key={p.id} aria-selected={p.id === selected} className={p.id === selected ? 'selected' : undefined}>
            <td>
              <button type="button" className="link" onClick={() => selectProvider(p.id)}>
                {p.id}
              </button>
            </td>
            <td className="wrap-cell">{PROVIDER_KIND_LABELS[p.kind]}</td>
            <td>
              <HealthDot provider={p} />
            </td>
            <td className="num">{p.health ? `${Math.round(p.health.latencyMs)} ms` : '—'}</td>
            <td>{CIRCUIT_LABELS[p.circuit]}</td>
            <td className="last-error" title={p.lastError ? `${p.lastError.kind}: ${p.lastError.message}` : undefined}>
              {p.lastError ? (
                <>
                  <span className="muted">{formatTime(p.lastError.at)}</span>
                  <span className="clip">
                    {p.lastError.kind}: {p.lastError.message}
                  </span>
                </>
              ) : (
                <span className="muted">none</span>
              )}
            </td>
            <td>{p.kmsBacked ? 'Yes' : 'No'}</td>
            <td className="wrap-cell">{storageMode(p)}</td>
            <td>
              <div className="provider-actions">
                {isEditable(p) && (
                  <>
                    <button type="button" onClick={() => openDialog({ kind: 'edit', id: p.id })} aria-label={`Edit ${p.id}`}>
                      Edit
                    </button>
                    <button type="button" onClick={() => openDialog({ kind: 'remove', id: p.id })} aria-label={`Remove ${p.id}`}>
                      Remove
                    </button>
                  </>
                )}
                <TestConnectionButton providerId={p.id} compact />
              </div>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
