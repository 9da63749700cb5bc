// Restoring a backup file from the window (docs/recovery-and-backup.md "Restoring"): backup:restore decrypts it into a
// folder that must be absent or empty, with the backup passphrase or k of the backup key's shares; the running store
// is never replaced. The officer confirms in a dialog naming the file and the folder; the passphrase or shares leave
// the form as they are sent; the outcome names the restored store.
import { useState } from 'react';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import Modal from '@cloudscape-design/components/modal';
import RadioGroup from '@cloudscape-design/components/radio-group';
import SpaceBetween from '@cloudscape-design/components/space-between';
import type { ChannelInput } from '../../../shared/contract.ts';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { DialogFooter } from '../components/DialogFooter.tsx';
import { errorInWords } from '../components/errorWords.ts';
import { formErrorText } from '../components/FormErrorText.tsx';
import { formatTime } from '../format.ts';
import { shareLines, shareRefusal } from './shareLines.ts';
import { sentShares, ShareEntry, type SentShare } from './ShareEntry.tsx';

type KeySource = 'passphrase' | 'shares';
const FIELD_LABELS = { from: 'Backup file to restore', dataDir: 'Restore into folder', passphrase: 'Passphrase of that backup' };
const isAbsolute = (p: string) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p);

export function RestoreBackup() {
  const [from, setFrom] = useState('');
  const [dataDir, setDataDir] = useState('');
  const [source, setSource] = useState<KeySource>('passphrase');
  const [passphrase, setPassphrase] = useState('');
  const [text, setText] = useState('');
  const [sent, setSent] = useState<SentShare[]>([]);
  const [problems, setProblems] = useState<Partial<Record<'from' | 'dataDir' | 'key', string>>>({});
  const [confirming, setConfirming] = useState(false);
  const restore = useChannelMutation('backup:restore');
  const refusal = shareRefusal(restore.error);
  const words = errorInWords(refusal ? null : restore.error, FIELD_LABELS);

  function check(e: React.FormEvent) {
    e.preventDefault();
    const found = {
      ...(isAbsolute(from.trim()) ? {} : { from: 'Give the absolute path of the backup file on the console’s computer.' }),
      ...(isAbsolute(dataDir.trim()) ? {} : { dataDir: 'Give the absolute path of a new or empty folder.' }),
      ...((source === 'passphrase' ? passphrase === '' : shareLines(text).length === 0) ? { key: source === 'passphrase' ? 'Enter the backup passphrase.' : 'Enter the backup key’s shares.' } : {}),
    };
    setProblems(found);
    if (Object.keys(found).length === 0) setConfirming(true);
  }

  function send() {
    const shares = shareLines(text);
    const input: ChannelInput<'backup:restore'> = { from: from.trim(), dataDir: dataDir.trim(), ...(source === 'passphrase' ? { passphrase } : { shares }) };
    // The backup's key material leaves the form as it is sent.
    setSent(source === 'shares' ? sentShares(shares) : []);
    setPassphrase('');
    setText('');
    setConfirming(false);
    restore.mutate(input);
  }

  return (
    <form aria-label="Restore a backup" onSubmit={check} noValidate>
      <Container
        header={
          <Header variant="h2" description="Decrypts a backup file into a new or empty folder on this computer, to check a backup or to move the store. The running store is not touched.">
            Restore a backup
          </Header>
        }
      >
        <Form
          errorText={formErrorText(words)}
          errorIconAriaLabel="Error"
          actions={<Button formAction="submit" loading={restore.isPending} loadingText="Restoring">Restore…</Button>}
        >
          <SpaceBetween size="m">
            {restore.data && !restore.isPending && (
              <div role="status" data-testid="restore-outcome">
                <Alert type="success" statusIconAriaLabel="Success">
                  {`Restored store ${restore.data.storeId} (${restore.data.storeBytes} bytes, backed up ${formatTime(restore.data.createdAt)}) into ${restore.data.dataDir}. Start the console on that folder to use it; its operators sign in with their own passphrases.`}
                </Alert>
              </div>
            )}
            <FormField label="Backup file to restore" description="Absolute path of the backup file on this computer." errorText={problems.from ?? words.fields.from}>
              <Input value={from} onChange={(e) => setFrom(e.detail.value)} placeholder="/media/usb/console.ecpsbak" invalid={!!(problems.from ?? words.fields.from)} />
            </FormField>
            <FormField label="Restore into folder" description="Absolute path of a folder that does not exist yet or is empty." errorText={problems.dataDir ?? words.fields.dataDir}>
              <Input value={dataDir} onChange={(e) => setDataDir(e.detail.value)} placeholder="/srv/ecps-restored" invalid={!!(problems.dataDir ?? words.fields.dataDir)} />
            </FormField>
            <FormField label="Open the backup with">
              <RadioGroup
                value={source}
                onChange={(e) => setSource(e.detail.value as KeySource)}
                items={[
                  { value: 'passphrase', label: 'The backup passphrase' },
                  { value: 'shares', label: 'Shares of the backup key', description: 'Only for a backup whose key was split into shares when it was made.' },
                ]}
              />
            </FormField>
            {source === 'passphrase' ? (
              <FormField label="Passphrase of that backup" errorText={problems.key ?? words.fields.passphrase}>
                <Input type="password" value={passphrase} onChange={(e) => setPassphrase(e.detail.value)} invalid={!!(problems.key ?? words.fields.passphrase)} autoComplete="off" />
              </FormField>
            ) : (
              <>
                <ShareEntry label="Backup key shares" value={text} onChange={setText} sent={sent} refusal={refusal} />
                {problems.key && <Box color="text-status-error">{problems.key}</Box>}
              </>
            )}
            {refusal && (
              <div role="alert" data-code="invalid_input">
                <Alert type="error" statusIconAriaLabel="Error">
                  {refusal.share === null ? refusal.message : `Share ${refusal.share} was refused: ${refusal.message}`}
                </Alert>
              </div>
            )}
          </SpaceBetween>
        </Form>
      </Container>
      {confirming && (
        <Modal
          visible
          closeAriaLabel="Close dialog"
          onDismiss={() => setConfirming(false)}
          header="Restore this backup?"
          footer={
            <DialogFooter onCancel={() => setConfirming(false)}>
              <Button variant="primary" onClick={send}>
                Restore the backup
              </Button>
            </DialogFooter>
          }
        >
          <Box variant="p">
            The backup <Box variant="code" display="inline">{from.trim()}</Box> will be decrypted into <Box variant="code" display="inline">{dataDir.trim()}</Box>.
            Nothing is written there unless every check passes. The store this console runs on is not changed.
          </Box>
        </Modal>
      )}
    </form>
  );
}
