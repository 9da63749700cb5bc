// Import robots from a CSV file: all or nothing. A bad row is named by its line and column, and nothing is imported;
// a file with the header and no robot is refused too (the main process says so). The file goes in through a file
// picker (drag and drop works on it) or pasted into a full-width text box.
import { useState } from 'react';
import Modal from '@cloudscape-design/components/modal';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import FileUpload from '@cloudscape-design/components/file-upload';
import Textarea from '@cloudscape-design/components/textarea';
import Button from '@cloudscape-design/components/button';
import Box from '@cloudscape-design/components/box';
import Alert from '@cloudscape-design/components/alert';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { MAX_FLEET_CSV_CHARS } from '../../../shared/fleetContract.ts';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useFleetUi } from './fleetUiStore.ts';
import { DialogFooter } from '../components/DialogFooter.tsx';

const HEADER = 'device_id,name,model,site,firmware,tags,status';

export function ImportCsvDialog() {
  const close = () => useFleetUi.getState().open(null);
  const [csv, setCsv] = useState('');
  const [files, setFiles] = useState<File[]>([]);
  const [done, setDone] = useState<number | null>(null);
  const [localError, setLocalError] = useState<string | null>(null);
  const importCsv = useChannelMutation('fleet:importCsv', (r) => setDone(r.imported));

  const onFiles = async (picked: File[]) => {
    setFiles(picked);
    setDone(null);
    setLocalError(null);
    importCsv.reset();
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
    setDone(null);
    setLocalError(null);
    if (csv.trim() === '') {
      setLocalError('Pick a CSV file or paste its text first.');
      return;
    }
    importCsv.mutate({ csv });
  };

  return (
    <Modal
      visible
      onDismiss={close}
      header="Import robots from CSV"
      size="large"
      footer={
        <DialogFooter onCancel={close} cancelText="Close">
          <Button variant="primary" loading={importCsv.isPending} onClick={submit}>
            Import
          </Button>
        </DialogFooter>
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
              onChange={(e) => {
                setCsv(e.detail.value);
                setFiles([]);
                setDone(null);
              }}
            />
          </FormField>
          {localError && (
            <Alert type="error">
              <span role="alert">{localError}</span>
            </Alert>
          )}
          <ErrorMessage error={importCsv.error} header="Nothing was imported" />
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
