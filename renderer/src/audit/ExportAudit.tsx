// The export button: audit:export starts the export in the main process, which streams it (a download from the
// browser host, or the file chosen in Electron's save dialog); audit:exportProgress events drive the progress bar
// and the final word (saved, or why it failed).
import { useEffect, useState } from 'react';
import type { AuditExportProgress, ChannelOutput } from '../../../shared/contract.ts';
import { subscribe } from '../api.ts';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { downloadFrom } from '../download.ts';

type Started = ChannelOutput<'audit:export'>;

export function ExportAudit() {
  const [started, setStarted] = useState<Started | null>(null);
  // Progress by export id: in Electron the first events can arrive before the call returns.
  const [progress, setProgress] = useState<Record<string, AuditExportProgress>>({});
  useEffect(() => subscribe('audit:exportProgress', (p) => setProgress((all) => ({ ...all, [p.exportId]: p }))), []);

  const exportLog = useChannelMutation('audit:export', (result) => {
    setStarted(result);
    if (result.delivery.kind === 'download') downloadFrom(result.delivery.path, result.fileName);
  });
  const current = started?.exportId ? progress[started.exportId] : undefined;
  const running = exportLog.isPending || (started?.exportId != null && current?.state !== 'done' && current?.state !== 'failed');

  return (
    <div className="export">
      <button type="button" onClick={() => exportLog.mutate({})} disabled={running}>
        {running ? 'Exporting…' : 'Export (JSON Lines)'}
      </button>
      {started && running && (
        <span className="small" role="status" aria-live="polite">
          <progress max={Math.max(1, current?.total ?? started.records)} value={current?.records ?? 0} aria-label="Export progress" />{' '}
          {(current?.records ?? 0).toLocaleString('en-US')} of {(current?.total ?? started.records).toLocaleString('en-US')} records
        </span>
      )}
      {started?.delivery.kind === 'cancelled' && <span className="small" role="status">Export cancelled.</span>}
      {started && current?.state === 'done' && (
        <span className="small" role="status">
          Saved {current.records} records as <code>{started.delivery.kind === 'file' ? started.delivery.path : started.fileName}</code>. To check it
          without this program, follow “Verifying an audit export” in docs/audit-log.md.
        </span>
      )}
      {current?.state === 'failed' && current.error && (
        <p className="error" role="alert">
          Export failed: {current.error.message}
        </p>
      )}
      <ErrorMessage error={exportLog.error} />
    </div>
  );
}
