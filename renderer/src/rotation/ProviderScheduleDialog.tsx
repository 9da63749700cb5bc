// A key's rotation at its provider (issue 13, docs/rotation.md "Provider-side rotation"): the provider's own schedule
// as it reports it now (rotation:providerSchedule: on or off, the period, the next rotation there), and "Check drift"
// (rotation:checkDrift): versions at the provider that the console did not make, adopted and audited by the main
// process, said here in words. A key whose provider cannot rotate by itself (the local store, PKCS#11) is refused
// with field "driver": the dialog then says the console rotates it.
import Modal from '@cloudscape-design/components/modal';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import type { ChannelOutput } from '../../../shared/contract.ts';
import { isApiError } from '../api.ts';
import { DialogFooter } from '../components/DialogFooter.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useChannelMutation, useChannelQuery } from '../hooks/channelQuery.ts';
import { formatTime } from '../format.ts';
import { periodWords } from './rotationFormat.ts';
import { useMayCall } from '../session/permissions.ts';

type DriftReport = ChannelOutput<'rotation:checkDrift'>;

/** The drift check's answer in words, one line per finding. */
export function driftWords(r: DriftReport): string[] {
  const lines = r.errors.map((failure) => `The provider could not be checked: ${failure.message}`);
  for (const d of r.drift) {
    const how = d.origin === 'automatic' ? "by the provider's own schedule" : d.origin === 'on_demand' ? 'on demand, outside the console' : 'outside the console';
    lines.push(
      `Version ${d.providerVersion} at ${d.provider} was made ${how}${d.providerCreatedAt ? ` at ${formatTime(d.providerCreatedAt)}` : ''}; ` +
        `the console adopted it as version ${d.adoptedAs} and recorded it in the audit log${d.expected ? ' (expected: the provider rotates this key)' : ''}.`,
    );
  }
  if (r.errors.length === 0 && r.drift.length === 0) lines.push('No drift: the provider holds no version the console did not make.');
  return lines;
}

export function ProviderScheduleDialog({ keyId, keyLabel, onClose }: { keyId: string; keyLabel: string; onClose: (changed: boolean) => void }) {
  const schedule = useChannelQuery('rotation:providerSchedule', { keyId }, { gcTime: 0, staleTime: 0 });
  const drift = useChannelMutation('rotation:checkDrift');
  // The drift check calls the provider and records what it finds: the key custodian's.
  const mayCheck = useMayCall('rotation:checkDrift');
  const consoleOnly = isApiError(schedule.error) && schedule.error.code === 'invalid_input' && schedule.error.details?.field === 'driver';
  const s = schedule.data;
  return (
    <Modal
      visible
      onDismiss={() => onClose(drift.data !== undefined && drift.data.drift.length > 0)}
      header={`Rotation of ${keyLabel} at its provider`}
      footer={
        <DialogFooter onCancel={() => onClose(drift.data !== undefined && drift.data.drift.length > 0)} cancelText="Close">
          {mayCheck && s && (
            <Button loading={drift.isPending} onClick={() => drift.mutate({ keyId })}>
              Check drift
            </Button>
          )}
        </DialogFooter>
      }
    >
      <SpaceBetween size="m">
        {schedule.isPending && <StatusIndicator type="loading">Asking the provider…</StatusIndicator>}
        {consoleOnly ? (
          <Box>
            {`${keyLabel} is held by a provider that cannot rotate keys by itself: the console rotates it, on its rotation policy (Policies above). There is no provider schedule and no drift to check.`}
          </Box>
        ) : (
          <ErrorMessage error={schedule.error} />
        )}
        {s && (
          <KeyValuePairs
            columns={2}
            items={[
              { label: 'Provider', value: s.provider },
              { label: "Provider's own rotation", value: s.enabled ? <StatusIndicator type="success">On</StatusIndicator> : <StatusIndicator type="stopped">Off: the console drives rotation</StatusIndicator> },
              { label: 'Period at the provider', value: s.periodSeconds === null ? '—' : periodWords(s.periodSeconds) },
              { label: 'Next rotation at the provider', value: formatTime(s.nextRotationAt) },
            ]}
          />
        )}
        {drift.data && (
          <div role="status" aria-label="Drift check">
            <SpaceBetween size="xxs">
              {driftWords(drift.data).map((line) => (
                <Box key={line}>{line}</Box>
              ))}
            </SpaceBetween>
          </div>
        )}
        <ErrorMessage error={drift.error} />
      </SpaceBetween>
    </Modal>
  );
}
