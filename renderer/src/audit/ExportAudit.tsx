// The export button: audit:export starts the export in the main process, which streams it (a download from the
// browser host, or the file chosen in Electron's save dialog); audit:exportProgress events drive the progress bar
// and the final word (saved, or why it failed).
import { useEffect, useState } from 'react';
import Button from '@cloudscape-design/components/button';
import ProgressBar from '@cloudscape-design/components/progress-bar';
import type { AuditExportProgress, ChannelOutput } from '../../../shared/contract.ts';
import { subscribe } from '../api.ts';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { downloadFrom } from '../download.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';

type Started = ChannelOutput<'audit:export'>;

/** The button (for the chain panel's header) and the export's progress and outcome (for the panel's body). */
export function useAuditExport(): { button: React.ReactNode; outcome: React.ReactNode } {
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
  const total = Math.max(1, current?.total ?? started?.records ?? 1);
  const done = current?.records ?? 0;

  const button = (
      <Button onClick={() => exportLog.mutate({})} disabled={running} loading={running}>
        {running ? 'Exporting…' : 'Export (JSON Lines)'}
      </Button>
  );
  const outcome = (started || exportLog.error) && (
        <div>
          {started && running && (
            <ProgressBar
              label="Export progress"
              value={Math.round((done / total) * 100)}
              additionalInfo={`${done.toLocaleString('en-US')} of ${(current?.total ?? started.records).toLocaleString('en-US')} records`}
            />
          )}
          {started?.delivery.kind === 'cancelled' && <span role="status">Export cancelled.</span>}
          {started && current?.state === 'done' && (
            <span role="status">
              Saved {current.records} records as <code>{started.delivery.kind === 'file' ? started.delivery.path : started.fileName}</code>. To check it
              without this program, follow “Verifying an audit export” in docs/audit-log.md.
            </span>
          )}
          {current?.state === 'failed' && current.error && <ErrorMessage error={new Error(current.error.message)} header="Export failed" />}
          <ErrorMessage error={exportLog.error} header="The export did not start" />
        </div>
  );
  return { button, outcome };
}
