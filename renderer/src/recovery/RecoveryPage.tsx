// Recovery and backup (issue 14, docs/recovery-and-backup.md), for admins: the share sets made so far, the share
// ceremony (k of n shares of the master key, each shown once to its custodian, hidden again once they confirm, and
// dropped from the window's memory after the last), an encrypted backup of the whole store to a file, and restoring one
// into a fresh folder (RestoreBackup.tsx). The recovery ceremony is on the sign-in page (RecoveryCeremony.tsx), since
// it is for when no one can sign in.
import { useState } from 'react';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Header from '@cloudscape-design/components/header';
import Container from '@cloudscape-design/components/container';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import Box from '@cloudscape-design/components/box';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import Textarea from '@cloudscape-design/components/textarea';
import Button from '@cloudscape-design/components/button';
import Checkbox from '@cloudscape-design/components/checkbox';
import Alert from '@cloudscape-design/components/alert';
import type { ChannelOutput } from '../../../shared/contract.ts';
import { useChannelMutation, useChannelQuery, useQueryClient } from '../hooks/channelQuery.ts';
import { errorInWords } from '../components/errorWords.ts';
import { formErrorText } from '../components/FormErrorText.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { CopyButton } from '../components/CopyButton.tsx';
import { formatTime } from '../format.ts';
import { RestoreBackup } from './RestoreBackup.tsx';

type MadeSet = ChannelOutput<'recovery:createShares'>;

function ShareSets() {
  const sets = useChannelQuery('recovery:status', {});
  return (
    <Table
      header={<Header variant="h2" description="Metadata only: the console never stores a share.">Recovery share sets</Header>}
      loading={sets.isLoading}
      loadingText="Loading share sets"
      items={sets.data?.sets ?? []}
      empty={<Box textAlign="center">No recovery shares have been made.</Box>}
      columnDefinitions={[
        { id: 'set', header: 'Set', cell: (s) => s.setId },
        { id: 'k', header: 'Needed', cell: (s) => `${s.threshold} of ${s.count}` },
        { id: 'custodians', header: 'Custodians', cell: (s) => s.custodians.map((c) => `${c.index}. ${c.custodian}`).join(', ') },
        { id: 'created', header: 'Made', cell: (s) => `${formatTime(s.createdAt)} by ${s.createdBy}` },
      ]}
    />
  );
}

/** One share at a time; the next one only after its custodian confirmed they have it. */
function Ceremony({ made, onDone }: { made: MadeSet; onDone: () => void }) {
  const [at, setAt] = useState(0);
  const [taken, setTaken] = useState(false);
  const share = made.shares[at]!;
  const last = at === made.shares.length - 1;
  return (
    <Container header={<Header variant="h2" description={`Any ${made.threshold} of these ${made.count} shares rebuild the master key. Each is shown once; the console keeps none.`}>{`Share ${share.index} of ${made.count}: for ${share.custodian}`}</Header>}>
      <SpaceBetween size="m">
        <Alert type="warning" statusIconAriaLabel="Warning">
          Only {share.custodian} should see this share. It cannot be shown again.
        </Alert>
        <Box variant="code" data-testid="share-text">{share.share}</Box>
        <CopyButton text={share.share} label="Copy share" />
        <Checkbox checked={taken} onChange={(e) => setTaken(e.detail.checked)}>
          {share.custodian} has written down or saved this share
        </Checkbox>
        <Button
          variant="primary"
          disabled={!taken}
          onClick={() => {
            setTaken(false);
            if (last) onDone();
            else setAt(at + 1);
          }}
        >
          {last ? 'Finish: hide the last share' : 'Hide it and show the next share'}
        </Button>
      </SpaceBetween>
    </Container>
  );
}

function MakeShares() {
  const queryClient = useQueryClient();
  const [threshold, setThreshold] = useState('3');
  const [names, setNames] = useState('');
  const [made, setMade] = useState<MadeSet | null>(null);
  const [finished, setFinished] = useState<string | null>(null);
  const create = useChannelMutation('recovery:createShares', (value) => {
    setMade(value);
    setFinished(null);
    void queryClient.invalidateQueries({ predicate: (q) => q.queryKey[0] === 'recovery:status' });
  });
  const words = errorInWords(create.error, { threshold: 'Shares needed', custodians: 'Custodians' });
  if (made) {
    return (
      <Ceremony
        made={made}
        onDone={() => {
          // The shares leave the window's memory with the set (and the mutation's result).
          setFinished(`All ${made.count} shares of set ${made.setId} were handed out.`);
          setMade(null);
          create.reset();
        }}
      />
    );
  }
  const custodians = names.split('\n').map((n) => n.trim()).filter((n) => n !== '');
  return (
    <form
      aria-label="Make recovery shares"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate({ threshold: Number(threshold), custodians });
      }}
    >
      <Container header={<Header variant="h2" description="Splits the master key so that k custodians together can give an admin back their access.">Make recovery shares</Header>}>
        <Form
          errorText={formErrorText(words)}
          errorIconAriaLabel="Error"
          actions={<Button variant="primary" formAction="submit" loading={create.isPending} loadingText="Making the shares">Make shares</Button>}
        >
          <SpaceBetween size="m">
            {finished && <Alert type="success" statusIconAriaLabel="Success">{finished}</Alert>}
            <FormField label="Shares needed" description="How many custodians must come together (at least 2)." errorText={words.fields.threshold}>
              <Input type="number" inputMode="numeric" value={threshold} onChange={(e) => setThreshold(e.detail.value)} invalid={!!words.fields.threshold} />
            </FormField>
            <FormField label="Custodians" description="One name per line; each receives one share." errorText={words.fields.custodians}>
              <Textarea value={names} onChange={(e) => setNames(e.detail.value)} rows={5} invalid={!!words.fields.custodians} />
            </FormField>
          </SpaceBetween>
        </Form>
      </Container>
    </form>
  );
}

function CreateBackup() {
  const [path, setPath] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [again, setAgain] = useState('');
  const backup = useChannelMutation('backup:create', () => {
    setPassphrase('');
    setAgain('');
  });
  const mismatch = again !== '' && again !== passphrase;
  const words = errorInWords(backup.error, { path: 'Backup file', passphrase: 'Backup passphrase' });
  return (
    <form
      aria-label="Create backup"
      onSubmit={(e) => {
        e.preventDefault();
        if (!mismatch) backup.mutate({ path, passphrase });
      }}
    >
      <Container header={<Header variant="h2" description="The whole store, encrypted under a key that the backup passphrase opens. Restore it below, or with the CLI: restore --from FILE --data-dir DIR.">Create backup</Header>}>
        <Form
          errorText={formErrorText(words)}
          errorIconAriaLabel="Error"
          actions={<Button variant="primary" formAction="submit" disabled={mismatch || !path || !passphrase} loading={backup.isPending} loadingText="Writing the backup">Create backup</Button>}
        >
          <SpaceBetween size="m">
            {backup.data && (
              <Alert type="success" statusIconAriaLabel="Success">
                {`Backup written to ${backup.data.path} (${backup.data.bytes} bytes, SHA-256 ${backup.data.sha256}).`}
              </Alert>
            )}
            <FormField label="Backup file" description="Absolute path of a new file on this computer." errorText={words.fields.path}>
              <Input value={path} onChange={(e) => setPath(e.detail.value)} placeholder="/media/usb/console.ecpsbak" invalid={!!words.fields.path} />
            </FormField>
            <FormField label="Backup passphrase" description="At least 12 characters; the custodians keep it." errorText={words.fields.passphrase}>
              <Input type="password" value={passphrase} onChange={(e) => setPassphrase(e.detail.value)} invalid={!!words.fields.passphrase} />
            </FormField>
            <FormField label="Backup passphrase again" errorText={mismatch ? 'The two passphrases differ.' : undefined}>
              <Input type="password" value={again} onChange={(e) => setAgain(e.detail.value)} invalid={mismatch} />
            </FormField>
          </SpaceBetween>
        </Form>
      </Container>
    </form>
  );
}

export function RecoveryPage() {
  const status = useChannelQuery('recovery:status', {});
  return (
    <ContentLayout header={<Header variant="h1" description="Shares of the master key for named custodians, and encrypted backups of the whole store.">Recovery and backup</Header>}>
      <SpaceBetween size="l">
        <ErrorMessage error={status.error} />
        <MakeShares />
        <ShareSets />
        <CreateBackup />
        <RestoreBackup />
      </SpaceBetween>
    </ContentLayout>
  );
}
