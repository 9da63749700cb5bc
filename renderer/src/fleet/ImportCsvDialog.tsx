// Import robots from a CSV file: all or nothing. A bad row is named by its line and column, and nothing is imported.
import { useState } from 'react';
import { Dialog } from '../components/Dialog.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { useFleetUi } from './fleetUiStore.ts';

export function ImportCsvDialog() {
  const close = () => useFleetUi.getState().open(null);
  const [csv, setCsv] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [done, setDone] = useState<number | null>(null);
  const importCsv = useChannelMutation('fleet:importCsv', (r) => setDone(r.imported));

  const onFile = async (file: File | undefined) => {
    if (!file) return;
    setFileName(file.name);
    setDone(null);
    importCsv.reset();
    setCsv(await file.text());
  };

  return (
    <Dialog title="Import robots from CSV" onClose={close} wide>
      <p className="small">
        A header row <code>device_id,name,model,site,firmware,tags,status</code>, then one robot per line; tags separated by
        <code>;</code>. The whole file is checked first: if any row is wrong, nothing is imported.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setDone(null);
          importCsv.mutate({ csv });
        }}
      >
        <label>
          CSV file
          <input type="file" accept=".csv,text/csv" onChange={(e) => void onFile(e.target.files?.[0])} />
        </label>
        <label>
          Or paste CSV text
          <textarea rows={8} value={csv} onChange={(e) => (setCsv(e.target.value), setFileName(null))} spellCheck={false} />
        </label>
        {fileName && <p className="small">Read {fileName}.</p>}
        <ErrorMessage error={importCsv.error} />
        {done !== null && (
          <p role="status" className="ok">
            Imported {done.toLocaleString('en-US')} robot{done === 1 ? '' : 's'}.
          </p>
        )}
        <div className="actions">
          <button type="button" onClick={close}>
            Close
          </button>
          <button type="submit" className="primary" disabled={csv.trim() === '' || importCsv.isPending}>
            {importCsv.isPending ? 'Importing…' : 'Import'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
