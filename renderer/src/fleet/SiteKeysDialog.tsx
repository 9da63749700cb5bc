// The keys of one site (issue 5): for communication and storage, the site's assigned key (label, version, and why it
// cannot be delivered when it is broken) and a choice to assign, replace or clear it. Robots of the site that have a
// key of their own keep it; the others receive the site's key at their next provisioning or bundle.
import { ASSIGNABLE_KEY_TYPES } from '../../../shared/fleetContract.ts';
import { Dialog } from '../components/Dialog.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { KeyChoice, useAssignableKeys, useKeyAssignmentRefresh } from './KeyAssignmentChoice.tsx';

export function SiteKeysDialog({ site, onClose }: { site: string; onClose(): void }) {
  const refresh = useKeyAssignmentRefresh();
  const view = useChannelQuery('fleet:siteKeyAssignments', { site });
  const assignable = useAssignableKeys();
  const data = view.data;
  return (
    <Dialog title={`Site keys: ${site}`} onClose={onClose} wide>
      {view.isPending && <p role="status">Loading site keys…</p>}
      <ErrorMessage error={view.error ?? assignable.error} />
      {data && (
        <>
          <p className="small">
            {data.robots} robot{data.robots === 1 ? '' : 's'} at {site}. Robots with a key of their own keep it; the others
            receive the site key at their next provisioning or bundle. A key assigned here is no longer any other robot&apos;s
            default key.
          </p>
          <table aria-label="Site key assignment">
            <thead>
              <tr>
                <th>Type</th>
                <th>Site key</th>
                <th>Version</th>
                <th>Change</th>
              </tr>
            </thead>
            <tbody>
              {ASSIGNABLE_KEY_TYPES.map((type) => {
                const row = data.assignments.find((a) => a.keyType === type) ?? null;
                return (
                  <tr key={type} data-key-type={type}>
                    <th scope="row">{type}</th>
                    <td>
                      {row ? (
                        <>
                          {row.keyLabel ?? 'unknown key'} <code className="small">{row.keyId}</code>
                          {row.problem && (
                            <div className="error" role="alert">
                              {row.problem}
                            </div>
                          )}
                        </>
                      ) : (
                        <span className="muted">none: robots get their own or the newest key</span>
                      )}
                    </td>
                    <td>{row?.version ?? '—'}</td>
                    <td>
                      <KeyChoice
                        key={row?.keyId ?? 'none'}
                        scope="site"
                        scopeId={site}
                        keyType={type}
                        current={row}
                        keys={assignable.keys}
                        label={`Site ${type} key`}
                        noneText="— none —"
                        onApplied={refresh}
                      />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
      <div className="actions">
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
