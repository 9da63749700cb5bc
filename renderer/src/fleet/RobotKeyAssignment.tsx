// The robot's key assignment (issue 5): for communication and storage, the key the provisioning station and field
// bundles deliver to this robot now (label, id, version), where it comes from (the robot's own assignment, its site's,
// or the newest key assigned to nobody), why it cannot be delivered when an assignment is broken, and the robot-level
// choice. The site's keys are set in SiteKeysDialog, opened from here.
import { useCallback, useState } from 'react';
import type { EffectiveKey, RobotKeyAssignments } from '../../../shared/fleetContract.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { KeyChoice, useAssignableKeys, useKeyAssignmentRefresh } from './KeyAssignmentChoice.tsx';
import { SiteKeysDialog } from './SiteKeysDialog.tsx';

function sourceText(e: EffectiveKey, site: string): string {
  if (e.source === 'robot') return 'robot';
  if (e.source === 'site') return `site ${site}`;
  if (e.source === 'newest') return 'newest unassigned key';
  return 'none';
}

function EffectiveRows({ view, effective, keys, onApplied }: { view: RobotKeyAssignments; effective: EffectiveKey; keys: ReturnType<typeof useAssignableKeys>['keys']; onApplied(): void }) {
  const own = view.robotAssignments.find((a) => a.keyType === effective.keyType) ?? null;
  return (
    <>
      <tr data-key-type={effective.keyType} className={effective.error ? 'assignment-broken' : undefined}>
        <th scope="row">{effective.keyType}</th>
        <td>
          {effective.keyId ? (
            <>
              {effective.keyLabel ?? 'unknown key'} <code className="small">{effective.keyId}</code>
            </>
          ) : (
            '—'
          )}
        </td>
        <td>{effective.version ?? '—'}</td>
        <td>{sourceText(effective, view.site)}</td>
        <td>
          <KeyChoice
            key={own?.keyId ?? 'none'}
            scope="robot"
            scopeId={view.deviceId}
            keyType={effective.keyType}
            current={own}
            keys={keys}
            label={`Robot ${effective.keyType} key`}
            noneText="— none (site or newest key) —"
            onApplied={onApplied}
          />
        </td>
      </tr>
      {effective.error && (
        <tr className="assignment-error">
          <td colSpan={5} role="alert">
            {effective.error}
          </td>
        </tr>
      )}
    </>
  );
}

export function RobotKeyAssignment({ deviceId }: { deviceId: string }) {
  const refresh = useKeyAssignmentRefresh();
  const view = useChannelQuery('fleet:keyAssignments', { deviceId });
  const assignable = useAssignableKeys();
  const [siteOpen, setSiteOpen] = useState(false);
  // Stable, so the dialog does not re-focus its first field whenever this view refetches.
  const closeSite = useCallback(() => setSiteOpen(false), []);
  const data = view.data;
  return (
    <>
      <h3>Key assignment</h3>
      <ErrorMessage error={view.error ?? assignable.error} />
      {data && (
        <>
          <table aria-label="Key assignment of the robot">
            <thead>
              <tr>
                <th>Type</th>
                <th>Delivered key</th>
                <th>Version</th>
                <th>Source</th>
                <th>Robot-level key</th>
              </tr>
            </thead>
            <tbody>
              {data.effective.map((e) => (
                <EffectiveRows key={e.keyType} view={data} effective={e} keys={assignable.keys} onApplied={refresh} />
              ))}
            </tbody>
          </table>
          <p className="small">
            The station and field bundles deliver these keys at their current version.{' '}
            <button type="button" className="link" onClick={() => setSiteOpen(true)}>
              Site keys for {data.site}…
            </button>
          </p>
          {siteOpen && <SiteKeysDialog site={data.site} onClose={closeSite} />}
        </>
      )}
    </>
  );
}
