// Who has an approval key enrolled now (docs/two-person-control.md "Who has an approval key"): the keys an approver at
// another workstation signs approval files with. Every signed-in operator enrols their own public key here (pasted or
// picked from a file; the private key never reaches the console, and a pasted private key is refused before it is
// sent); an admin revokes anyone's key with a reason, a removed operator's leftover key too (marked "operator removed":
// it counts for no one). The main process refuses what the role may not do whatever this screen shows
// (approvals:revokeKey is the admin's). The table pages (approvals:listKeys' keyset cursor, 25 keys a page).
import { useEffect, useState } from 'react';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Pagination from '@cloudscape-design/components/pagination';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import Textarea from '@cloudscape-design/components/textarea';
import type { ApprovalKeyView } from '../../../shared/approvalsContract.ts';
import { useChannelMutation, useChannelQuery } from '../hooks/channelQuery.ts';
import { useRefreshOnReturn } from '../hooks/useRefreshOnReturn.ts';
import { pagesCount } from '../hooks/cursorPages.ts';
import { useCursorPages } from '../hooks/useCursorPages.ts';
import { useCan } from '../session/permissions.ts';
import { ActionModal } from '../components/ActionModal.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { FilePick } from '../components/FilePick.tsx';
import { NoteDialog } from '../components/NoteDialog.tsx';
import { errorInWords } from '../components/errorWords.ts';
import { formatTime } from '../format.ts';
import { localKeyRefusal, PRIVATE_KEY_REFUSAL, shortFingerprint } from './approvalKeyText.ts';

/** Keys per page of the enrolled and revoked key tables. */
export const APPROVAL_KEYS_TABLE_PAGE = 25;

export const keysPaginationLabels = (what: string) => ({
  nextPageLabel: `Next page of ${what}`,
  previousPageLabel: `Previous page of ${what}`,
  pageLabel: (p: number) => `Page ${p} of ${what}`,
  paginationLabel: `Pages of ${what}`,
});

/** An approval public key file is a few hundred bytes; anything past this is not one. */
const MAX_KEY_FILE_BYTES = 4096;
const PEM_LABELS = { publicKeyPem: 'Public key (PEM)' } as const;

function EnrolDialog({ mine, onClose }: { mine: ApprovalKeyView | null; onClose(): void }) {
  const [pem, setPem] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [local, setLocal] = useState<string | null>(null);
  const enrol = useChannelMutation('approvals:enrolKey', onClose);
  const words = errorInWords(enrol.error, PEM_LABELS);

  async function pick(next: File | null) {
    setFile(next);
    enrol.reset();
    setLocal(null);
    if (!next) return;
    if (next.size > MAX_KEY_FILE_BYTES) {
      setLocal(`The file is larger than ${MAX_KEY_FILE_BYTES} bytes: an approval public key file is a few hundred bytes.`);
      return;
    }
    setPem(await next.text());
  }

  function submit() {
    const refusal = localKeyRefusal(pem);
    setLocal(refusal);
    // A private key is cleared from the form at once: it must not stay in the page.
    if (refusal === PRIVATE_KEY_REFUSAL) setPem('');
    if (refusal === null) enrol.mutate({ publicKeyPem: pem.trim() });
  }

  return (
    <ActionModal
      header="Enrol my approval key"
      onClose={onClose}
      actions={
        <Button variant="primary" loading={enrol.isPending} onClick={submit}>
          Enrol key
        </Button>
      }
    >
      <SpaceBetween size="m">
        <Box>
          Your Ed25519 approval public key, made on your own workstation with <Box variant="code">ecps-console approvals keygen</Box>. Approval files you sign
          with its private key then count as your approval.
          {mine && ` It replaces your current key (${shortFingerprint(mine.fingerprint)}), which is revoked: files it signed no longer count.`}
        </Box>
        <FormField label={PEM_LABELS.publicKeyPem} description="Paste the key, or choose its file below." errorText={local ?? words.fields.publicKeyPem}>
          <Textarea
            value={pem}
            onChange={(e) => {
              setPem(e.detail.value);
              setLocal(null);
            }}
            rows={5}
            placeholder="-----BEGIN PUBLIC KEY-----"
            spellcheck={false}
          />
        </FormField>
        <FilePick file={file} onChange={(f) => void pick(f)} chooseLabel="Choose a public key file" dropText="Drop the public key file here" />
        <ErrorMessage error={enrol.error} fieldLabels={PEM_LABELS} />
      </SpaceBetween>
    </ActionModal>
  );
}

function RevokeDialog({ target, onClose }: { target: ApprovalKeyView; onClose(): void }) {
  const revoke = useChannelMutation('approvals:revokeKey', onClose);
  return (
    <NoteDialog
      header={`Revoke the approval key of ${target.operator}`}
      label="Reason (recorded in the audit log)"
      submitText="Revoke key"
      required
      pending={revoke.isPending}
      error={revoke.error}
      onSubmit={(reason) => revoke.mutate({ operator: target.operator, reason })}
      onClose={onClose}
    >
      Key <Box variant="code">{target.fingerprint}</Box>: approval files it signed are refused from now on, and it can never be enrolled again.{' '}
      {target.operatorRemoved
        ? `${target.operator} was removed: the key counts for no one, and revoking it clears it from the enrolled keys.`
        : `${target.operator} still approves signed in at the console, and may enrol a new key.`}
    </NoteDialog>
  );
}

export function ApprovalKeys({ operator }: { operator: string | null }) {
  const pages = useCursorPages();
  const enrolled = useChannelQuery('approvals:listKeys', { limit: APPROVAL_KEYS_TABLE_PAGE, ...(pages.cursor ? { cursor: pages.cursor } : {}) });
  useRefreshOnReturn(['approvals:listKeys', 'approvals:listRevokedKeys']);
  const next = enrolled.data?.nextCursor ?? null;
  const rows = enrolled.data?.keys.length;
  const { settle } = pages;
  // A page emptied meanwhile (its keys revoked) steps back rather than showing an empty table with pages before it.
  useEffect(() => {
    if (rows !== undefined) settle(rows);
  }, [rows, settle]);
  const admin = useCan('admin');
  const [selected, setSelected] = useState<ApprovalKeyView | null>(null);
  const [dialog, setDialog] = useState<'enrol' | 'revoke' | null>(null);
  const items = enrolled.data?.keys ?? [];
  const current = selected ? (items.find((k) => k.fingerprint === selected.fingerprint) ?? null) : null;
  // The operator's own key when it is on the page shown (the label and the dialog's warning; enrolling replaces it anyway).
  const mine = items.find((k) => k.operator === operator && !k.operatorRemoved) ?? null;
  return (
    <>
      <Table
        header={
          <Header
            variant="h2"
            counter={enrolled.data ? `(${items.length}${next !== null || pages.state.page > 1 ? ' on this page' : ''})` : undefined}
            description="Who may approve with a signed approval file from another workstation, and with which key."
            actions={
              <SpaceBetween direction="horizontal" size="xs">
                {admin && (
                  <Button disabled={!current} onClick={() => setDialog('revoke')}>
                    Revoke key…
                  </Button>
                )}
                <Button onClick={() => setDialog('enrol')}>{mine ? 'Replace my approval key…' : 'Enrol my approval key…'}</Button>
              </SpaceBetween>
            }
          >
            Enrolled approval keys
          </Header>
        }
        ariaLabels={{ tableLabel: 'Enrolled approval keys', itemSelectionLabel: (_s, k) => `Approval key of ${k.operator}`, allItemsSelectionLabel: () => 'all', selectionGroupLabel: 'Approval keys' }}
        pagination={
          <Pagination
            currentPageIndex={pages.state.page}
            pagesCount={pagesCount(pages.state, next)}
            onChange={(e) => pages.goTo(e.detail.currentPageIndex, next)}
            ariaLabels={keysPaginationLabels('enrolled approval keys')}
          />
        }
        loading={enrolled.isPending}
        loadingText="Loading enrolled approval keys"
        items={items}
        trackBy="fingerprint"
        selectionType={admin ? 'single' : undefined}
        selectedItems={current ? [current] : []}
        onSelectionChange={(e) => setSelected(e.detail.selectedItems[0] ?? null)}
        empty={<Box textAlign="center">No approval key is enrolled.</Box>}
        columnDefinitions={[
          {
            id: 'operator',
            header: 'Operator',
            cell: (k) =>
              k.operatorRemoved ? (
                <SpaceBetween direction="horizontal" size="xs">
                  <span>{k.operator}</span>
                  <StatusIndicator type="warning">Operator removed: counts for no one</StatusIndicator>
                </SpaceBetween>
              ) : (
                k.operator
              ),
          },
          { id: 'fingerprint', header: 'Fingerprint (SHA-256)', cell: (k) => <Box variant="code">{k.fingerprint}</Box> },
          { id: 'enrolledAt', header: 'Enrolled at', cell: (k) => formatTime(k.enrolledAt) },
        ]}
      />
      <ErrorMessage error={enrolled.error} />
      {dialog === 'enrol' && <EnrolDialog mine={mine} onClose={() => setDialog(null)} />}
      {dialog === 'revoke' && current && (
        <RevokeDialog
          target={current}
          onClose={() => {
            setDialog(null);
            setSelected(null);
          }}
        />
      )}
    </>
  );
}
