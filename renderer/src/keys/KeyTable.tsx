import type { KeySummary } from '../../../shared/contract.ts';
import { KEY_TRANSITIONS, KEY_TYPE_LABELS, canProtect } from '../../../shared/domain.ts';
import { useUiStore } from '../state/uiStore.ts';
import { formatTime } from '../format.ts';
import { StateBadge } from './StateBadge.tsx';

export function KeyTable({ keys }: { keys: KeySummary[] }) {
  const selectedKeyId = useUiStore((s) => s.selectedKeyId);
  const selectKey = useUiStore((s) => s.selectKey);
  const openDialog = useUiStore((s) => s.openDialog);

  return (
    <table className="grid" aria-label="Keys">
      <thead>
        <tr>
          <th scope="col">Label</th>
          <th scope="col">Type</th>
          <th scope="col">State</th>
          <th scope="col">Algorithm</th>
          <th scope="col">Provider</th>
          <th scope="col">KMS-backed</th>
          <th scope="col">Version</th>
          <th scope="col">Created</th>
          <th scope="col">Next rotation</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {keys.map((k) => (
          <tr key={k.id} aria-selected={k.id === selectedKeyId} className={k.id === selectedKeyId ? 'selected' : undefined}>
            <td>
              <button type="button" className="link" onClick={() => selectKey(k.id)} title={k.id}>
                {k.label}
              </button>
            </td>
            <td>{KEY_TYPE_LABELS[k.type]}</td>
            <td>
              <StateBadge state={k.state} />
            </td>
            <td>{k.algorithm}</td>
            <td>
              {k.provider}
              {k.backupProvider && <span className="muted small"> + backup {k.backupProvider}</span>}
            </td>
            <td>{k.kmsBacked ? <span className="kms-mark" title="Key material stays in the provider">Yes</span> : 'No'}</td>
            <td className="num">v{k.currentVersion}</td>
            <td>{formatTime(k.createdAt)}</td>
            <td>{k.nextRotationAt ? formatTime(k.nextRotationAt) : 'Manual'}</td>
            <td className="actions">
              <button type="button" onClick={() => openDialog({ kind: 'rotate', keyId: k.id })} disabled={!canProtect(k.state)}>
                Rotate
              </button>
              <button type="button" onClick={() => openDialog({ kind: 'state', keyId: k.id })} disabled={KEY_TRANSITIONS[k.state].length === 0}>
                Change state
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
