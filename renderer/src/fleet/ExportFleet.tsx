import { useState } from 'react';
import Button from '@cloudscape-design/components/button';
import Popover from '@cloudscape-design/components/popover';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { downloadText } from '../download.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';

/** Export CSV: the whole registry as a file; what was saved is said next to the button. */
export function ExportFleet() {
  const [saved, setSaved] = useState<{ fileName: string; robots: number } | null>(null);
  const exportCsv = useChannelMutation('fleet:exportCsv', (r) => {
    downloadText(r.fileName, r.content, 'text/csv');
    setSaved({ fileName: r.fileName, robots: r.robots });
  });
  return (
    <>
      <Button onClick={() => exportCsv.mutate({})} loading={exportCsv.isPending}>
        Export CSV
      </Button>
      {saved && (
        <span role="status">
          <StatusIndicator type="success">{`Saved ${saved.robots.toLocaleString('en-US')} robots as ${saved.fileName}.`}</StatusIndicator>
        </span>
      )}
      {exportCsv.error ? (
        <Popover header="Export failed" content={<ErrorMessage error={exportCsv.error} />} triggerType="text">
          <StatusIndicator type="error">Export failed</StatusIndicator>
        </Popover>
      ) : null}
    </>
  );
}
