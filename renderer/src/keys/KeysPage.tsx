import { useChannelQuery } from '../hooks/channelQuery.ts';
import { useUiStore } from '../state/uiStore.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { KeyTable } from './KeyTable.tsx';
import { KeyDetailPanel } from './KeyDetailPanel.tsx';
import { CreateKeyDialog } from './CreateKeyDialog.tsx';
import { RotateDialog } from './RotateDialog.tsx';
import { StateChangeDialog } from './StateChangeDialog.tsx';
import { EnvironmentRefusalBanner } from '../providers/EnvironmentRefusalBanner.tsx';
import { UnreachableProvidersBanner } from '../providers/UnreachableProvidersBanner.tsx';
import { KEY_STATE_LABELS, KEY_STATES, type KeyState } from '../../../shared/domain.ts';
import { hrefFor } from '../shell/routes.ts';

/** The route's state filter (#/keys?state=compromised, the dashboard's links), when it names a key state. */
function stateFilterOf(value: string | undefined): KeyState | null {
  return value !== undefined && (KEY_STATES as readonly string[]).includes(value) ? (value as KeyState) : null;
}

export function KeysPage() {
  const keys = useChannelQuery('keys:list', {});
  const selectedKeyId = useUiStore((s) => s.selectedKeyId);
  const dialog = useUiStore((s) => s.dialog);
  const openDialog = useUiStore((s) => s.openDialog);
  const list = keys.data?.keys ?? [];
  const routeParams = useUiStore((s) => s.routeParams);
  const stateFilter = stateFilterOf(routeParams.state);
  const providerFilter = routeParams.provider ?? null;
  const filtered = stateFilter !== null || providerFilter !== null;
  const shown = filtered ? list.filter((k) => (stateFilter === null || k.state === stateFilter) && (providerFilter === null || k.provider === providerFilter)) : list;
  const dialogKey = dialog && dialog.kind !== 'create' ? list.find((k) => k.id === dialog.keyId) : undefined;

  return (
    <section aria-labelledby="keys-title" className="keys-page">
      <div className="toolbar">
        <h1 id="keys-title">Keys</h1>
        <span className="muted">{keys.data ? `${list.length} key${list.length === 1 ? '' : 's'}` : ''}</span>
        <span className="spacer" />
        <button type="button" className="primary" onClick={() => openDialog({ kind: 'create' })}>
          New key…
        </button>
      </div>
      <EnvironmentRefusalBanner />
      {keys.data && <UnreachableProvidersBanner keys={list} />}
      {keys.isPending && <p role="status">Loading keys…</p>}
      {keys.isError && <ErrorMessage error={keys.error} />}
      {keys.data && filtered && (
        <p role="status">
          {`Showing ${shown.length} of ${list.length} keys: ${[stateFilter && `state ${KEY_STATE_LABELS[stateFilter]}`, providerFilter && `provider ${providerFilter}`].filter(Boolean).join(', ')}. `}
          <a href={hrefFor('keys')}>Show all keys</a>
        </p>
      )}
      {keys.data &&
        (list.length === 0 ? (
          <p className="empty">No keys yet. Create the first one with “New key…”.</p>
        ) : shown.length === 0 ? (
          <p className="empty">No key matches.</p>
        ) : (
          <KeyTable keys={shown} />
        ))}
      {selectedKeyId && <KeyDetailPanel key={selectedKeyId} keyId={selectedKeyId} />}

      {dialog?.kind === 'create' && <CreateKeyDialog />}
      {dialog?.kind === 'rotate' && dialogKey && <RotateDialog keySummary={dialogKey} />}
      {dialog?.kind === 'state' && dialogKey && <StateChangeDialog keySummary={dialogKey} />}
    </section>
  );
}
