import { useState } from 'react';
import type { KeyStateChange, KeySummary } from '../../../shared/contract.ts';
import { KEY_STATE_LABELS, KEY_TRANSITIONS, type KeyState } from '../../../shared/domain.ts';
import { useChannelMutation, useChannelQuery } from '../hooks/channelQuery.ts';
import { useUiStore } from '../state/uiStore.ts';
import { Dialog } from '../components/Dialog.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { StateBadge } from './StateBadge.tsx';
import { keyUsageSummary } from './KeyUsagePanel.tsx';
import { LocationOutcomes } from './KeyLocations.tsx';

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
  const targets = KEY_TRANSITIONS[keySummary.state];
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

  function submit(e: React.FormEvent) {
    e.preventDefault();
    if (!target || !confirmed) return;
    setState.mutate({ keyId: keySummary.id, state: target, reason: reason.trim() });
  }

  if (result) {
    return (
      <Dialog title={`Change the state of “${keySummary.label}”`} onClose={closeDialog}>
        <div className="form">
          <p className="warning" role="alert">
            {keySummary.label} is now {KEY_STATE_LABELS[result.state]} in the console, which refuses every use its state does not allow. Not every place
            holding the key was reached: {result.unreached.length} {result.unreached.length === 1 ? 'location still needs' : 'locations still need'} the change.
          </p>
          <LocationOutcomes label={keySummary.label} locations={result.locations} />
          <ErrorMessage error={setState.error} />
          <div className="dialog-buttons">
            <button type="button" onClick={closeDialog}>
              Close
            </button>
            <button
              type="button"
              className="primary"
              disabled={setState.isPending}
              onClick={() => setState.mutate({ keyId: keySummary.id, state: result.state, reason: '' })}
            >
              Retry unreached locations
            </button>
          </div>
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog title={`Change the state of “${keySummary.label}”`} onClose={closeDialog}>
      <form onSubmit={submit} className="form">
        <p>
          Current state: <StateBadge state={keySummary.state} />
        </p>
        <fieldset>
          <legend>New state</legend>
          {targets.map((t) => (
            <label key={t} className="checkbox">
              <input type="radio" name="target" value={t} checked={target === t} onChange={() => setTarget(t)} />
              {KEY_STATE_LABELS[t]}
            </label>
          ))}
        </fieldset>
        {target && <p className={target === 'destroyed' || target === 'compromised' ? 'warning' : 'muted'}>{CONSEQUENCES[target]}</p>}
        {target && target !== 'active' && dependents && (
          <p className="warning" data-testid="state-change-dependents">
            {keyUsageSummary(dependents)}
            {dependents.assignments.length > 0 && ' The station and key bundles refuse to deliver keys to them until the key is active again or they are reassigned.'}
          </p>
        )}
        {usage.error && <p className="muted">Could not check which robots hold this key: {usage.error.message}</p>}
        <label>
          Reason (recorded in the audit log)
          <textarea value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} rows={2} />
        </label>
        {needsTypedLabel && (
          <label>
            Type the key label “{keySummary.label}” to confirm destruction
            <input value={typedLabel} onChange={(e) => setTypedLabel(e.target.value)} autoComplete="off" />
          </label>
        )}
        {target && (
          <p className="confirm-text">
            You are about to set <strong>{keySummary.label}</strong> from {KEY_STATE_LABELS[keySummary.state]} to{' '}
            <strong>{KEY_STATE_LABELS[target]}</strong>.
          </p>
        )}
        <ErrorMessage error={setState.error} />
        <div className="dialog-buttons">
          <button type="button" onClick={closeDialog}>
            Cancel
          </button>
          <button
            type="submit"
            className={target === 'destroyed' || target === 'compromised' ? 'danger' : 'primary'}
            disabled={!target || !confirmed || setState.isPending}
          >
            {target ? `Set “${keySummary.label}” to ${KEY_STATE_LABELS[target]}` : 'No state change allowed'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
