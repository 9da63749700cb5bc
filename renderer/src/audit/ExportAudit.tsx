import { useState } from 'react';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';

function download(fileName: string, content: string): void {
  const url = URL.createObjectURL(new Blob([content], { type: 'application/x-ndjson' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function ExportAudit() {
  const [saved, setSaved] = useState<{ fileName: string; records: number } | null>(null);
  const exportLog = useChannelMutation('audit:export', (result) => {
    download(result.fileName, result.content);
    setSaved({ fileName: result.fileName, records: result.records });
  });

  return (
    <div className="export">
      <button type="button" onClick={() => exportLog.mutate({})} disabled={exportLog.isPending}>
        {exportLog.isPending ? 'Exporting…' : 'Export (JSON Lines)'}
      </button>
      {saved && (
        <span className="small" role="status">
          Saved {saved.records} records as <code>{saved.fileName}</code>. To check it without this program, follow the README
          section “Verifying an audit export”.
        </span>
      )}
      <ErrorMessage error={exportLog.error} />
    </div>
  );
}
