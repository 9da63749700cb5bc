import { useState } from 'react';
import type { KeyStateChange, KeySummary } from '../../../shared/contract.ts';
import { KEY_STATE_LABELS, KEY_TRANSITIONS, type KeyState } from '../../../shared/domain.ts';
import { useChannelMutation, useChannelQuery } from '../hooks/channelQuery.ts';
import { useUiStore } from '../state/uiStore.ts';
import Modal from '@cloudscape-design/components/modal';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import Textarea from '@cloudscape-design/components/textarea';
import RadioGroup from '@cloudscape-design/components/radio-group';
import Alert from '@cloudscape-design/components/alert';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { errorInWords } from '../components/errorWords.ts';
import { formErrorText } from '../components/FormErrorText.tsx';
import { StateBadge } from './StateBadge.tsx';
import { ApprovalRequestedDialog, requestedApproval } from '../components/ApprovalRequested.tsx';
import { keyUsageSummary } from './KeyUsagePanel.tsx';
import { LocationOutcomes } from './KeyLocations.tsx';
import { DialogFooter } from '../components/DialogFooter.tsx';
import { SubmitForm } from '../components/SubmitForm.tsx';
import { mayCall, useSessionRole } from '../session/permissions.ts';

const CONSEQUENCES: Readonly<Record<KeyState, string>> = {
  pre_activation: '',
  active: 'The key will protect new data and sign.',
  suspended: 'The key stops protecting and processing data until it is reactivated.',
  deactivated: 'The key stops protecting new data; it still decrypts and verifies what it protected earlier.',
  compromised: 'The key is marked compromised and disabled wherever it lives: it never protects or decrypts data again. Use this when its secrecy is in doubt.',
  destroyed: 'The key material is destroyed for good, in every place that holds a copy. Data protected only by this key becomes unrecoverable.',
};

export function StateChangeDialog({ keySummary }: { keySummary: KeySummary }) {
  const closeDialog = useUiStore((s) => s.closeDialog);
  // Only the states the role may set (compromised is the security officer's, the rest the key custodian's).
  const role = useSessionRole((s) => s.role);
  const targets = KEY_TRANSITIONS[keySummary.state].filter((t) => mayCall(role, 'keys:setState', { state: t }));
  const [target, setTarget] = useState<KeyState | null>(targets[0] ?? null);
  const [reason, setReason] = useState('');
  const [typedLabel, setTypedLabel] = useState('');
  // A change that reached every location closes the dialog; otherwise the dialog shows where it failed, with a retry.
  const [result, setResult] = useState<KeyStateChange | null>(null);
  const setState = useChannelMutation('keys:setState', (r) => (r.complete ? closeDialog() : setResult(r)));
  // Who depends on the key: robots holding a version of it, sites and robots it is assigned to (delivery to them stops
  // when the key leaves the active state).
  const usage = useChannelQuery('fleet:keyUsage', { keyId: keySummary.id });
  const dependents = usage.data && (usage.data.robots > 0 || usage.data.assignments.length > 0) ? usage.data : null;
  const needsTypedLabel = target === 'destroyed';
  const confirmed = !needsTypedLabel || typedLabel === keySummary.label;
  const words = errorInWords(setState.error, { state: 'New state', reason: 'Reason' });
  const title = `Change the state of “${keySummary.label}”`;
  const destructive = target === 'destroyed' || target === 'compromised';

  function submit() {
    if (!target || !confirmed || setState.isPending) return;
    setState.mutate({ keyId: keySummary.id, state: target, reason: reason.trim() });
  }

  // A destruction or compromise needs another operator's approval: the main process made a request instead of an error.
  const requested = requestedApproval(setState.error);
  if (requested !== null && target) {
    return <ApprovalRequestedDialog header={title} what={`Setting ${keySummary.label} to ${KEY_STATE_LABELS[target]}`} requestId={requested} onClose={closeDialog} />;
  }

  if (result) {
    return (
      <Modal
        visible
      closeAriaLabel="Close dialog"
        size="large"
        onDismiss={closeDialog}
        header={title}
        footer={
          <DialogFooter onCancel={closeDialog} cancelText="Close">
            <Button variant="primary" loading={setState.isPending} onClick={() => setState.mutate({ keyId: keySummary.id, state: result.state, reason: '' })}>
              Retry unreached locations
            </Button>
          </DialogFooter>
        }
      >
        <SpaceBetween size="m">
          <div role="alert">
            <Alert type="warning">
              {keySummary.label} is now {KEY_STATE_LABELS[result.state]} in the console, which refuses every use its state does not allow. Not every place
              holding the key was reached: {result.unreached.length} {result.unreached.length === 1 ? 'location still needs' : 'locations still need'} the change.
            </Alert>
          </div>
          <LocationOutcomes label={keySummary.label} locations={result.locations} />
          <ErrorMessage error={setState.error} />
        </SpaceBetween>
      </Modal>
    );
  }

  return (
    <Modal
      visible
      closeAriaLabel="Close dialog"
      onDismiss={closeDialog}
      header={title}
      footer={
        <DialogFooter onCancel={closeDialog}>
          <Button variant="primary" onClick={submit} disabled={!target || !confirmed} loading={setState.isPending} loadingText="Changing the state">
            {target ? `Set “${keySummary.label}” to ${KEY_STATE_LABELS[target]}` : 'No state change allowed'}
          </Button>
        </DialogFooter>
      }
    >
      <SubmitForm onSubmit={submit} errorText={formErrorText(words)}>
        <SpaceBetween size="m">
          <Box>
            Current state: <StateBadge state={keySummary.state} />
          </Box>
          <FormField label="New state" errorText={words.fields.state}>
            <RadioGroup value={target} onChange={(e) => setTarget(e.detail.value as KeyState)} items={targets.map((t) => ({ value: t, label: KEY_STATE_LABELS[t] }))} />
          </FormField>
          {target && CONSEQUENCES[target] && (
            <Alert type={destructive ? 'warning' : 'info'} statusIconAriaLabel={destructive ? 'Warning' : 'Info'}>
              {CONSEQUENCES[target]}
            </Alert>
          )}
          {target && target !== 'active' && dependents && (
            <Alert type="warning" statusIconAriaLabel="Warning">
              <span data-testid="state-change-dependents">
                {keyUsageSummary(dependents)}
                {dependents.assignments.length > 0 && ' The station and key bundles refuse to deliver keys to them until the key is active again or they are reassigned.'}
              </span>
            </Alert>
          )}
          {usage.error && <Box color="text-status-inactive">Could not check which robots hold this key: {errorInWords(usage.error).summary}</Box>}
          <FormField label="Reason (recorded in the audit log)" errorText={words.fields.reason} constraintText="Up to 500 characters.">
            <Textarea value={reason} onChange={(e) => setReason(e.detail.value)} rows={2} invalid={!!words.fields.reason} nativeTextareaAttributes={{ maxLength: 500 }} />
          </FormField>
          {needsTypedLabel && (
            <FormField
              label={`Type the key label “${keySummary.label}” to confirm destruction`}
              constraintText={typedLabel !== '' && !confirmed ? 'That is not the key’s label.' : undefined}
            >
              <Input value={typedLabel} onChange={(e) => setTypedLabel(e.detail.value)} autoComplete={false} />
            </FormField>
          )}
          {target && (
            <Box variant="p">
              You are about to set <strong>{keySummary.label}</strong> from {KEY_STATE_LABELS[keySummary.state]} to <strong>{KEY_STATE_LABELS[target]}</strong>.
            </Box>
          )}
        </SpaceBetween>
      </SubmitForm>
    </Modal>
  );
}
