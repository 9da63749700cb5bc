import { useState } from 'react';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { downloadText } from '../download.ts';

export function ExportFleet() {
  const [saved, setSaved] = useState<{ fileName: string; robots: number } | null>(null);
  const exportCsv = useChannelMutation('fleet:exportCsv', (r) => {
    downloadText(r.fileName, r.content, 'text/csv');
    setSaved({ fileName: r.fileName, robots: r.robots });
  });
  return (
    <div className="export">
      <button type="button" onClick={() => exportCsv.mutate({})} disabled={exportCsv.isPending}>
        {exportCsv.isPending ? 'Exporting…' : 'Export CSV'}
      </button>
      {saved && (
        <span className="small" role="status">
          Saved {saved.robots.toLocaleString('en-US')} robots as <code>{saved.fileName}</code>.
        </span>
      )}
      <ErrorMessage error={exportCsv.error} />
    </div>
  );
}
