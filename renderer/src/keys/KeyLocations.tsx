import type { KeyLocationOutcome, KeyUnreachedLocation } from '../../../shared/contract.ts';
import { KEY_STATE_LABELS, type KeyState } from '../../../shared/domain.ts';
import Button from '@cloudscape-design/components/button';
import Table from '@cloudscape-design/components/table';
import Alert from '@cloudscape-design/components/alert';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useMayCall } from '../session/permissions.ts';

const ROLE_LABELS: Readonly<Record<KeyLocationOutcome['role'], string>> = {
  primary: 'key provider',
  backup: 'backup provider',
  fallback: 'offline fallback copy',
  store: 'local store (older versions)',
};

const ACTION_LABELS: Readonly<Record<KeyLocationOutcome['action'], string>> = {
  enable: 'Enable',
  disable: 'Disable',
  scheduleDestruction: 'Schedule destruction',
};

/** What one state change did at each place the key lives (provider, backup, fallback copy, store). */
export function LocationOutcomes({ label, locations }: { label: string; locations: readonly KeyLocationOutcome[] }) {
  return (
    <Table
      variant="embedded"
      wrapLines
      ariaLabels={{ tableLabel: `Locations of ${label}` }}
      items={[...locations]}
      trackBy={(l) => `${l.role}/${l.provider}`}
      columnDefinitions={[
        { id: 'where', header: 'Where', cell: (l) => `${l.provider} (${ROLE_LABELS[l.role]})` },
        { id: 'action', header: 'Action', cell: (l) => ACTION_LABELS[l.action] },
        {
          id: 'result',
          header: 'Result',
          cell: (l) =>
            l.outcome === 'done' ? (
              <StatusIndicator type="success">{l.deletionDate ? `Done (deleted by ${l.deletionDate.slice(0, 10)})` : 'Done'}</StatusIndicator>
            ) : (
              <StatusIndicator type="error">{`Not reached: ${l.message ?? l.code ?? 'unknown error'}`}</StatusIndicator>
            ),
        },
      ]}
    />
  );
}

/** The locations a key's last state change did not reach, with a Retry that sets the same state again. */
export function UnreachedLocations({ keyId, label, state, unreached }: { keyId: string; label: string; state: KeyState; unreached: readonly KeyUnreachedLocation[] }) {
  const retry = useChannelMutation('keys:setState');
  // The same state again: compromised needs the security officer, every other state the key custodian.
  const mayRetry = useMayCall('keys:setState', { keyId, state, reason: '' });
  if (unreached.length === 0) return null;
  return (
    <div role="status" aria-label={`Unreached locations of ${label}`}>
      <Alert
        type="warning"
        statusIconAriaLabel="Warning"
        action={
          mayRetry && <Button onClick={() => retry.mutate({ keyId, state, reason: '' })} loading={retry.isPending}>
            Retry unreached locations
          </Button>
        }
      >
        “{label}” is {KEY_STATE_LABELS[state]} in the console, but {unreached.length === 1 ? 'one place that holds it was' : `${unreached.length} places that hold it were`} not
        reached:
        <ul>
          {unreached.map((u) => (
            <li key={u.role}>
              {u.provider} ({ROLE_LABELS[u.role]}): {ACTION_LABELS[u.action].toLowerCase()} failed — {u.message}
            </li>
          ))}
        </ul>
      </Alert>
      <ErrorMessage error={retry.error} />
    </div>
  );
}
