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

export function KeysPage() {
  const keys = useChannelQuery('keys:list', {});
  const selectedKeyId = useUiStore((s) => s.selectedKeyId);
  const dialog = useUiStore((s) => s.dialog);
  const openDialog = useUiStore((s) => s.openDialog);
  const list = keys.data?.keys ?? [];
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
      {keys.data && (list.length === 0 ? <p className="empty">No keys yet. Create the first one with “New key…”.</p> : <KeyTable keys={list} />)}
      {selectedKeyId && <KeyDetailPanel key={selectedKeyId} keyId={selectedKeyId} />}

      {dialog?.kind === 'create' && <CreateKeyDialog />}
      {dialog?.kind === 'rotate' && dialogKey && <RotateDialog keySummary={dialogKey} />}
      {dialog?.kind === 'state' && dialogKey && <StateChangeDialog keySummary={dialogKey} />}
    </section>
  );
}
