// Batch rotation jobs on the Rotation schedules screen (issue 13: "job history with progress bars and per-item
// errors"): the jobs from rotation:batchList with a progress bar each, kept fresh by rotation:batchProgress events;
// a job's keys with their outcome and error, a page at a time (BatchItemsTable.tsx); Cancel for a running job
// (rotation:batchCancel); and a dialog that starts one over a key type, a site or chosen keys (rotation:batchStart).
import { useEffect, useState } from 'react';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import ProgressBar from '@cloudscape-design/components/progress-bar';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import FormField from '@cloudscape-design/components/form-field';
import RadioGroup from '@cloudscape-design/components/radio-group';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import Multiselect, { type MultiselectProps } from '@cloudscape-design/components/multiselect';
import Input from '@cloudscape-design/components/input';
import { KEY_TYPES, type KeyType } from '../../../shared/domain.ts';
import type { ChannelInput, ChannelOutput } from '../../../shared/contract.ts';
import { subscribe } from '../api.ts';
import { useChannelMutation, useChannelQuery } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { SectionTable } from '../components/SectionTable.tsx';
import { ActionModal } from '../components/ActionModal.tsx';
import { SubmitForm } from '../components/SubmitForm.tsx';
import { formatTime } from '../format.ts';
import { KEY_TYPE_WORDS } from './rotationFormat.ts';
import { BatchItemsTable } from './BatchItemsTable.tsx';

type BatchView = ChannelOutput<'rotation:batchGet'>;

const n = (v: number) => v.toLocaleString('en-US');

const BATCH_STATE_WORDS: Readonly<Record<BatchView['state'], { type: 'success' | 'in-progress' | 'stopped'; text: string }>> = {
  running: { type: 'in-progress', text: 'Running' },
  done: { type: 'success', text: 'Finished' },
  cancelled: { type: 'stopped', text: 'Cancelled' },
};

/** Keys finished one way or another (done, failed, superseded, cancelled) out of the job's total. */
export function batchFinished(b: Pick<BatchView, 'total' | 'pending'>): number {
  return b.total - b.pending;
}

export function batchSummary(b: Pick<BatchView, 'total' | 'done' | 'failed' | 'superseded' | 'cancelled' | 'pending'>): string {
  const parts = [`${n(b.done)} rotated`];
  if (b.failed > 0) parts.push(`${n(b.failed)} failed`);
  if (b.superseded > 0) parts.push(`${n(b.superseded)} superseded`);
  if (b.cancelled > 0) parts.push(`${n(b.cancelled)} cancelled`);
  if (b.pending > 0) parts.push(`${n(b.pending)} to go`);
  return `${n(batchFinished(b))} of ${n(b.total)} keys finished: ${parts.join(', ')}`;
}

function selectionWords(b: BatchView): string {
  if (b.selection.kind === 'type') return `${KEY_TYPE_WORDS[b.selection.value as KeyType] ?? b.selection.value} keys`;
  if (b.selection.kind === 'site') return `keys of site ${b.selection.value ?? ''}`;
  return `${n(b.total)} chosen ${b.total === 1 ? 'key' : 'keys'}`;
}

export function BatchJobs({ canRotate, keyLabel }: { canRotate: boolean; keyLabel(id: string): string }) {
  const list = useChannelQuery('rotation:batchList', { limit: 50 });
  const [openId, setOpenId] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const cancel = useChannelMutation('rotation:batchCancel', () => void list.refetch());
  const { refetch: refetchList } = list;
  // Each progress event (one per finished key, and at the job's end) refreshes the list; the open job's keys follow
  // its counts.
  useEffect(() => subscribe('rotation:batchProgress', () => void refetchList()), [refetchList]);
  const jobs = list.data?.jobs ?? [];
  const open = openId ? jobs.find((j) => j.batchId === openId) : undefined;

  return (
    <SpaceBetween size="m">
      <SectionTable
        title="Batch jobs"
        label="Batch rotation jobs"
        counter={`(${jobs.length})`}
        description="Keys rotated together (a key type, a site, or chosen keys), a few at a time, with retries for errors that may pass. Most recent first."
        actions={canRotate && <Button onClick={() => setStarting(true)}>Rotate in a batch</Button>}
        items={jobs}
        loading={list.isPending}
        loadingText="Loading batch jobs"
        trackBy="batchId"
        empty="No batch jobs yet."
        columnDefinitions={[
          { id: 'started', header: 'Started', cell: (b) => `${formatTime(b.createdAt)} by ${b.createdBy}` },
          { id: 'selection', header: 'Keys', cell: selectionWords },
          { id: 'state', header: 'State', cell: (b) => <StatusIndicator type={b.failed > 0 && b.state !== 'running' ? 'warning' : BATCH_STATE_WORDS[b.state].type}>{BATCH_STATE_WORDS[b.state].text}</StatusIndicator> },
          {
            id: 'progress',
            header: 'Progress',
            minWidth: 280,
            cell: (b) => (
              <ProgressBar
                value={b.total === 0 ? 100 : (batchFinished(b) / b.total) * 100}
                ariaLabel={`Progress of the batch job started ${formatTime(b.createdAt)}`}
                description={batchSummary(b)}
              />
            ),
          },
          {
            id: 'actions',
            header: 'Action',
            minWidth: 200,
            cell: (b) => (
              <SpaceBetween direction="horizontal" size="xs">
                <Button variant="inline-link" ariaLabel={`${openId === b.batchId ? 'Hide keys' : 'Show keys'} of the batch job started ${formatTime(b.createdAt)}`} onClick={() => setOpenId(openId === b.batchId ? null : b.batchId)}>
                  {openId === b.batchId ? 'Hide keys' : 'Show keys'}
                </Button>
                {b.state === 'running' && canRotate && (
                  <Button variant="inline-link" loading={cancel.isPending} ariaLabel={`Cancel the batch job started ${formatTime(b.createdAt)}`} onClick={() => cancel.mutate({ batchId: b.batchId })}>
                    Cancel
                  </Button>
                )}
              </SpaceBetween>
            ),
          },
        ]}
      />
      <ErrorMessage error={list.error ?? cancel.error} />
      {open && (
        <BatchItemsTable
          key={open.batchId}
          batchId={open.batchId}
          title={`Keys of the batch job started ${formatTime(open.createdAt)}`}
          description={batchSummary(open)}
          counts={`${open.state} ${open.done} ${open.failed} ${open.superseded} ${open.cancelled} ${open.pending}`}
          keyLabel={keyLabel}
        />
      )}
      {starting && (
        <BatchStartDialog
          onClose={(started) => {
            setStarting(false);
            if (started) {
              setOpenId(started);
              void list.refetch();
            }
          }}
        />
      )}
    </SpaceBetween>
  );
}

type Kind = 'type' | 'site' | 'keys';

function BatchStartDialog({ onClose }: { onClose(startedId: string | null): void }) {
  const [kind, setKind] = useState<Kind>('type');
  const [type, setType] = useState<SelectProps.Option | null>(null);
  const [site, setSite] = useState<SelectProps.Option | null>(null);
  const [chosen, setChosen] = useState<readonly MultiselectProps.Option[]>([]);
  const [concurrency, setConcurrency] = useState('4');
  const [maxAttempts, setMaxAttempts] = useState('5');
  const keys = useChannelQuery('keys:list', { state: 'active' });
  const sites = useChannelQuery('fleet:sites', {});
  const start = useChannelMutation('rotation:batchStart', (b) => onClose(b.batchId));
  const submit = () => {
    const selection: ChannelInput<'rotation:batchStart'>['selection'] =
      kind === 'type' ? { type: (type?.value ?? '') as KeyType } : kind === 'site' ? { site: site?.value ?? '' } : { keyIds: chosen.map((o) => o.value ?? '') };
    start.mutate({ selection, concurrency: Number(concurrency), maxAttempts: Number(maxAttempts) });
  };
  return (
    <ActionModal
      header="Rotate keys in a batch"
      onClose={() => onClose(null)}
      actions={
        <Button variant="primary" loading={start.isPending} onClick={submit}>
          Start the batch
        </Button>
      }
    >
      <SubmitForm onSubmit={submit}>
        <SpaceBetween size="m">
          <Box>Every key chosen gets a new version; what its old version encrypted still decrypts. Each rotation is audited under your name.</Box>
          <FormField label="Which keys">
            <RadioGroup
              value={kind}
              onChange={(e) => setKind(e.detail.value as Kind)}
              items={[
                { value: 'type', label: 'Every active key of a type' },
                { value: 'site', label: 'Every key assigned to a site or its robots' },
                { value: 'keys', label: 'Keys I choose' },
              ]}
            />
          </FormField>
          {kind === 'type' && (
            <FormField label="Key type">
              <Select placeholder="Choose a type" selectedOption={type} onChange={(e) => setType(e.detail.selectedOption)} options={KEY_TYPES.map((t) => ({ value: t, label: KEY_TYPE_WORDS[t] }))} />
            </FormField>
          )}
          {kind === 'site' && (
            <FormField label="Site">
              <Select placeholder="Choose a site" selectedOption={site} onChange={(e) => setSite(e.detail.selectedOption)} options={(sites.data?.sites ?? []).map((s) => ({ value: s.name, label: s.name }))} empty="No sites" />
            </FormField>
          )}
          {kind === 'keys' && (
            <FormField label="Keys">
              <Multiselect
                placeholder="Choose keys"
                selectedOptions={chosen}
                onChange={(e) => setChosen(e.detail.selectedOptions)}
                options={(keys.data?.keys ?? []).map((k) => ({ value: k.id, label: k.label, description: KEY_TYPE_WORDS[k.type] }))}
                empty="No active keys"
              />
            </FormField>
          )}
          <FormField label="Rotations at once" constraintText="1 to 64">
            <Input type="number" inputMode="numeric" value={concurrency} onChange={(e) => setConcurrency(e.detail.value)} />
          </FormField>
          <FormField label="Attempts per key" constraintText="1 to 10; only errors that may pass (a provider unreachable, a busy store) are tried again">
            <Input type="number" inputMode="numeric" value={maxAttempts} onChange={(e) => setMaxAttempts(e.detail.value)} />
          </FormField>
          <ErrorMessage error={start.error} fieldsShown={false} />
        </SpaceBetween>
      </SubmitForm>
    </ActionModal>
  );
}
