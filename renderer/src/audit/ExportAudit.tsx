import { useState } from 'react';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { downloadText } from '../download.ts';

export function ExportAudit() {
  const [saved, setSaved] = useState<{ fileName: string; records: number } | null>(null);
  const exportLog = useChannelMutation('audit:export', (result) => {
    downloadText(result.fileName, result.content, 'application/x-ndjson');
    setSaved({ fileName: result.fileName, records: result.records });
  });

  return (
    <div className="export">
      <button type="button" onClick={() => exportLog.mutate({})} disabled={exportLog.isPending}>
        {exportLog.isPending ? 'Exporting…' : 'Export (JSON Lines)'}
      </button>
      {saved && (
        <span className="small" role="status">
          Saved {saved.records} records as <code>{saved.fileName}</code>. To check it without this program, follow
          “Verifying an audit export” in docs/audit-log.md.
        </span>
      )}
      <ErrorMessage error={exportLog.error} />
    </div>
  );
}
