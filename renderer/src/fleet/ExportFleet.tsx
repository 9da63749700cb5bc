import { useState } from 'react';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';

function download(fileName: string, content: string): void {
  const url = URL.createObjectURL(new Blob([content], { type: 'text/csv' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function ExportFleet() {
  const [saved, setSaved] = useState<{ fileName: string; robots: number } | null>(null);
  const exportCsv = useChannelMutation('fleet:exportCsv', (r) => {
    download(r.fileName, r.content);
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
