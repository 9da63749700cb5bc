// Import robots from a CSV file: all or nothing. A bad row is named by its line and column, and nothing is imported;
// a file with the header and no robot is refused too (the main process says so). The file goes in through a file
// picker (drag and drop works on it) or pasted into a full-width text box. Import first checks the whole file in the
// main process (fleet:importCsv with check: nothing written), then asks to confirm the count and the sites ("Import
// 1,234 robots into site Depot?"); only the confirmation imports, showing that it runs until the one transaction ends.
import { useRef, useState } from 'react';
import Modal from '@cloudscape-design/components/modal';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import FileUpload from '@cloudscape-design/components/file-upload';
import Textarea from '@cloudscape-design/components/textarea';
import Button from '@cloudscape-design/components/button';
import Box from '@cloudscape-design/components/box';
import Alert from '@cloudscape-design/components/alert';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { MAX_FLEET_CSV_CHARS } from '../../../shared/fleetContract.ts';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useFleetUi } from './fleetUiStore.ts';
import { DialogFooter } from '../components/DialogFooter.tsx';

const HEADER = 'device_id,name,model,site,firmware,tags,status';
/** Sites named one by one in the confirmation; the rest are counted. */
const SITES_NAMED = 8;

const n = (count: number) => count.toLocaleString('en-US');
const robotsWord = (count: number) => `${n(count)} robot${count === 1 ? '' : 's'}`;

interface Checked {
  csv: string;
  robots: number;
  sites: ReadonlyArray<{ name: string; count: number }>;
}

/** "Import 1,234 robots into site Depot?" / "Import 6 robots into 2 sites?" */
export function confirmationQuestion(c: Pick<Checked, 'robots' | 'sites'>): string {
  const where = c.sites.length === 1 ? `site ${c.sites[0]!.name}` : `${n(c.sites.length)} sites`;
  return `Import ${robotsWord(c.robots)} into ${where}?`;
}

export function ImportCsvDialog() {
  const close = () => useFleetUi.getState().open(null);
  const [csv, setCsv] = useState('');
  const [files, setFiles] = useState<File[]>([]);
  const [done, setDone] = useState<number | null>(null);
  const [localError, setLocalError] = useState<string | null>(null);
  /** The file as the main process checked it, waiting for the officer's confirmation (null: not checked yet). */
  const [checked, setChecked] = useState<Checked | null>(null);
  /** The text sent to be checked: the confirmation imports exactly that. */
  const sentCsv = useRef('');
  const check = useChannelMutation('fleet:importCsv', (r) => r.checked && setChecked({ csv: sentCsv.current, robots: r.checked.robots, sites: r.checked.sites }));
  const importCsv = useChannelMutation('fleet:importCsv', (r) => {
    setChecked(null);
    setDone(r.imported);
  });
  const edited = () => {
    setDone(null);
    setChecked(null);
    check.reset();
    importCsv.reset();
  };

  const onFiles = async (picked: File[]) => {
    setFiles(picked);
    edited();
    setLocalError(null);
    const file = picked[0];
    if (!file) return;
    if (file.size > MAX_FLEET_CSV_CHARS) {
      setLocalError(`${file.name} is ${file.size.toLocaleString('en-US')} bytes; one import takes at most ${MAX_FLEET_CSV_CHARS.toLocaleString('en-US')} bytes (about 15,000 robots). Split the file.`);
      setCsv('');
      return;
    }
    setCsv(await file.text());
  };

  const submit = () => {
    edited();
    setLocalError(null);
    if (csv.trim() === '') {
      setLocalError('Pick a CSV file or paste its text first.');
      return;
    }
    sentCsv.current = csv;
    check.mutate({ csv, check: true });
  };
  const confirm = () => checked && importCsv.mutate({ csv: checked.csv });
  const importing = importCsv.isPending;

  return (
    <Modal
      visible
      onDismiss={close}
      header="Import robots from CSV"
      size="large"
      footer={
        checked ? (
          <DialogFooter onCancel={() => setChecked(null)} cancelText="Back">
            <Button variant="primary" loading={importing} onClick={confirm}>
              {`Import ${robotsWord(checked.robots)}`}
            </Button>
          </DialogFooter>
        ) : (
          <DialogFooter onCancel={close} cancelText="Close">
            <Button variant="primary" loading={check.isPending} onClick={submit}>
              Import
            </Button>
          </DialogFooter>
        )
      }
    >
      <Form>
        <SpaceBetween size="m">
          <Box variant="p">
            A header row <Box variant="code">{HEADER}</Box>, then one robot per line; tags separated by <Box variant="code">;</Box>. The whole
            file is checked first: if any row is wrong, nothing is imported.
          </Box>
          <FormField label="CSV file" description={`At most ${MAX_FLEET_CSV_CHARS.toLocaleString('en-US')} bytes.`}>
            <FileUpload
              value={files}
              accept=".csv,text/csv"
              onChange={(e) => void onFiles(e.detail.value)}
              showFileSize
              i18nStrings={{
                uploadButtonText: () => 'Choose a CSV file',
                dropzoneText: () => 'Drop a CSV file here',
                removeFileAriaLabel: () => 'Remove the file',
                limitShowFewer: 'Show fewer files',
                limitShowMore: 'Show more files',
                errorIconAriaLabel: 'Error',
              }}
            />
          </FormField>
          <FormField label="Or paste CSV text" stretch>
            <Textarea
              rows={12}
              value={csv}
              spellcheck={false}
              placeholder={`${HEADER}\nuv-0001,Ward robot 1,UV-7,Plant North,2.0.1,ward-b;night,manufactured`}
              readOnly={checked !== null}
              onChange={(e) => {
                setCsv(e.detail.value);
                setFiles([]);
                edited();
              }}
            />
          </FormField>
          {localError && (
            <Alert type="error">
              <span role="alert">{localError}</span>
            </Alert>
          )}
          {checked && (
            <Alert type="warning" header={confirmationQuestion(checked)} statusIconAriaLabel="Warning">
              <SpaceBetween size="xs">
                <span data-testid="import-confirmation">
                  {checked.sites
                    .slice(0, SITES_NAMED)
                    .map((s) => `${s.name}: ${robotsWord(s.count)}`)
                    .join('; ')}
                  {checked.sites.length > SITES_NAMED ? `; and ${n(checked.sites.length - SITES_NAMED)} more sites.` : '.'}
                </span>
                <span>The whole file was checked and nothing is imported yet. Each robot is registered with the status its row gives; Back changes the file.</span>
                {importing && (
                  <span role="status">
                    <StatusIndicator type="loading">{`Importing ${robotsWord(checked.robots)}: all in one step, nothing is kept if any row fails.`}</StatusIndicator>
                  </span>
                )}
              </SpaceBetween>
            </Alert>
          )}
          <ErrorMessage error={check.error ?? importCsv.error} header="Nothing was imported" />
          {done !== null && (
            <Alert type="success">
              <span role="status">
                Imported {done.toLocaleString('en-US')} robot{done === 1 ? '' : 's'}.
              </span>
            </Alert>
          )}
        </SpaceBetween>
      </Form>
    </Modal>
  );
}
