// The officer's rollout actions on the Rotation screen (docs/rotation.md "Rollout to robots"): halting a running
// rollout (robots not yet installed keep their version; a reason is required and audited), and retiring a previous
// version of a key. Retirement is refused while robots hold the version unless forced with a reason; the robots still
// holding it are then flagged "needs a visit" (the Fleet screen marks them). Refusals show in the dialog, in words.
import { useState } from 'react';
import Modal from '@cloudscape-design/components/modal';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Checkbox from '@cloudscape-design/components/checkbox';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import Textarea from '@cloudscape-design/components/textarea';
import type { z } from 'zod';
import type { RolloutView, VersionStatusSchema } from '../../../shared/rolloutContract.ts';
import { DialogFooter } from '../components/DialogFooter.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { SubmitForm } from '../components/SubmitForm.tsx';
import { useChannelMutation, useChannelQuery } from '../hooks/channelQuery.ts';
import { formatTime } from '../format.ts';

type VersionStatus = z.infer<typeof VersionStatusSchema>;

const REASON_MAX = 500;

export function HaltRolloutDialog({ rollout, keyLabel, onClose }: { rollout: RolloutView; keyLabel: string; onClose: (message: string | null) => void }) {
  const [reason, setReason] = useState('');
  const [tried, setTried] = useState(false);
  const halt = useChannelMutation('rollout:halt', (r) => onClose(`Rollout of ${keyLabel} v${r.toVersion} halted.`));
  const missing = reason.trim() === '';
  const submit = () => {
    setTried(true);
    if (!missing) halt.mutate({ rolloutId: rollout.rolloutId, reason: reason.trim() });
  };
  return (
    <Modal
      visible
      onDismiss={() => onClose(null)}
      header={`Halt the rollout of ${keyLabel} v${rollout.toVersion}?`}
      footer={
        <DialogFooter onCancel={() => onClose(null)}>
          <Button variant="primary" loading={halt.isPending} onClick={submit}>
            Halt rollout
          </Button>
        </DialogFooter>
      }
    >
      <SubmitForm onSubmit={submit}>
        <SpaceBetween size="s">
          <Box>
            {`No more robots receive version ${rollout.toVersion} until the rollout is resumed; robots that installed it keep it, the others keep version ${rollout.fromVersion}.`}
          </Box>
          <FormField label="Reason" description="Recorded in the audit log with your name." errorText={tried && missing ? 'Say why the rollout stops.' : undefined}>
            <Textarea value={reason} onChange={(e) => setReason(e.detail.value.slice(0, REASON_MAX))} rows={2} />
          </FormField>
          <ErrorMessage error={halt.error} />
        </SpaceBetween>
      </SubmitForm>
    </Modal>
  );
}

const STATE_WORDS: Readonly<Record<VersionStatus['state'], { type: 'success' | 'info' | 'warning' | 'stopped'; text: string }>> = {
  current: { type: 'success', text: 'Current' },
  in_grace: { type: 'info', text: 'In its grace period' },
  grace_ended: { type: 'warning', text: 'Grace ended' },
  retired: { type: 'stopped', text: 'Retired' },
};

export function RetireVersionDialog({ keyId, keyLabel, onClose }: { keyId: string; keyLabel: string; onClose: (message: string | null) => void }) {
  const versions = useChannelQuery('rollout:versions', { keyId }, { gcTime: 0, staleTime: 0 });
  const [picked, setPicked] = useState<VersionStatus | null>(null);
  const [force, setForce] = useState(false);
  const [reason, setReason] = useState('');
  const [days, setDays] = useState('7');
  const [tried, setTried] = useState(false);
  const retire = useChannelMutation('rollout:retire', (r) =>
    onClose(
      `${keyLabel} version ${r.version.version} retired` +
        (r.flagged.length > 0 ? `; ${r.flagged.length} robot${r.flagged.length === 1 ? '' : 's'} flagged as needing a visit.` : '.'),
    ),
  );
  const reinstate = useChannelMutation('rollout:reinstate', (r) =>
    onClose(`${keyLabel} version ${r.version.version} reinstated until ${formatTime(r.until)}: it decrypts again; re-encrypt what it protects before then.`),
  );
  // A retired version picked: the dialog reinstates it (a reason and 1-90 days); otherwise it retires the version.
  const reinstating = picked?.state === 'retired';
  const held = !reinstating && (picked?.holders ?? 0) > 0;
  const reasonMissing = (force || reinstating) && reason.trim() === '';
  const daysValue = Number(days);
  const daysBad = reinstating && !(Number.isInteger(daysValue) && daysValue >= 1 && daysValue <= 90);
  const blocked = picked === null || (held && !force) || reasonMissing || daysBad;
  const submit = () => {
    setTried(true);
    if (picked === null || blocked) return;
    if (reinstating) reinstate.mutate({ keyId, version: picked.version, reason: reason.trim(), days: daysValue });
    else retire.mutate({ keyId, version: picked.version, ...(force ? { force: true, reason: reason.trim() } : reason.trim() ? { reason: reason.trim() } : {}) });
  };
  const selectable = (v: VersionStatus) => v.state !== 'current';
  return (
    <Modal
      visible
      size="large"
      onDismiss={() => onClose(null)}
      header={`Retire or reinstate a version of ${keyLabel}`}
      footer={
        <DialogFooter onCancel={() => onClose(null)}>
          <Button variant="primary" loading={retire.isPending || reinstate.isPending} disabled={picked === null} onClick={submit}>
            {picked ? `${reinstating ? 'Reinstate' : 'Retire'} version ${picked.version}` : 'Retire'}
          </Button>
        </DialogFooter>
      }
    >
      <SubmitForm onSubmit={submit}>
        <SpaceBetween size="m">
          <Table<VersionStatus>
            variant="embedded"
            ariaLabels={{ tableLabel: `Versions of ${keyLabel}`, itemSelectionLabel: (_, v) => `Version ${v.version}`, selectionGroupLabel: 'Version to retire or reinstate' }}
            items={versions.data?.versions ?? []}
            loading={versions.isPending}
            loadingText="Loading versions"
            trackBy={(v) => String(v.version)}
            selectionType="single"
            isItemDisabled={(v) => !selectable(v)}
            selectedItems={picked ? [picked] : []}
            onSelectionChange={(e) => {
              setPicked(e.detail.selectedItems[0] ?? null);
              setForce(false);
              setTried(false);
            }}
            columnDefinitions={[
              { id: 'version', header: 'Version', isRowHeader: true, cell: (v) => `v${v.version}` },
              { id: 'state', header: 'State', cell: (v) => <StatusIndicator type={STATE_WORDS[v.state].type}>{STATE_WORDS[v.state].text}</StatusIndicator> },
              { id: 'holders', header: 'Robots holding it', cell: (v) => String(v.holders) },
              { id: 'superseded', header: 'Replaced', cell: (v) => formatTime(v.supersededAt) },
              { id: 'retired', header: 'Retired', cell: (v) => (v.retiredAt ? `${formatTime(v.retiredAt)} by ${v.retiredBy ?? '?'}${v.forced ? ' (forced)' : ''}` : v.reinstatedUntil ? `Reinstated until ${formatTime(v.reinstatedUntil)}` : '—') },
            ]}
          />
          <Box>
            {reinstating
              ? 'A reinstated version decrypts again, and no scheduled retirement takes it for the days you choose. It is not delivered to robots again. Re-encrypt what it protects under the current version before the days end.'
              : 'A retired version is never delivered to robots again and no longer decrypts: data it protected can be read only after a reinstatement. While robots still hold it, retiring it leaves them with no usable version of this key until someone visits them with a newer one.'}
          </Box>
          {held && (
            <Checkbox checked={force} onChange={(e) => setForce(e.detail.checked)}>
              {`Retire it anyway: flag the ${picked!.holders} robot${picked!.holders === 1 ? '' : 's'} still holding version ${picked!.version} as needing a visit`}
            </Checkbox>
          )}
          {tried && held && !force && <Box color="text-status-error">{`${picked!.holders} robot${picked!.holders === 1 ? ' holds' : 's hold'} this version: tick "Retire it anyway" or wait for them to install a newer one.`}</Box>}
          {reinstating && (
            <FormField label="Days" description="How long the version stays reinstated (1-90)." errorText={tried && daysBad ? 'Enter a whole number of days from 1 to 90.' : undefined}>
              <Input type="number" inputMode="numeric" value={days} onChange={(e) => setDays(e.detail.value)} />
            </FormField>
          )}
          <FormField
            label="Reason"
            description={reinstating ? 'Required; recorded in the audit log.' : force ? 'Required for a forced retirement; recorded in the audit log and on each flagged robot.' : 'Optional; recorded in the audit log.'}
            errorText={tried && reasonMissing ? (reinstating ? 'Say why the version is reinstated.' : 'Say why the version is retired while robots hold it.') : undefined}
          >
            <Textarea value={reason} onChange={(e) => setReason(e.detail.value.slice(0, REASON_MAX))} rows={2} />
          </FormField>
          <ErrorMessage error={versions.error ?? retire.error ?? reinstate.error} />
        </SpaceBetween>
      </SubmitForm>
    </Modal>
  );
}
