// Field key distribution for one robot: issue a key bundle file (for a USB stick) after a confirmation naming the
// robot and what the file does, and list the bundles issued to it (file and serial deliveries, with their state).
// The bundle's key material is wrapped to the robot inside the file; the window only passes the bytes on.
import { useCallback, useEffect, useState } from 'react';
import type { ChannelOutput } from '../../../shared/contract.ts';
import { subscribe } from '../api.ts';
import { useChannelMutation, useChannelQuery, useQueryClient } from '../hooks/channelQuery.ts';
import { Dialog } from '../components/Dialog.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { downloadBase64 } from '../download.ts';
import { formatTime } from '../format.ts';

type Issued = ChannelOutput<'bundles:build'>;
type KeyVersion = { keyId: string; version: number };

const STATE_WORDS = { issuing: 'issuing', issued: 'issued (file)', installed: 'installed', failed: 'failed' } as const;

function keyText(keys: KeyVersion[], labels: Map<string, string>): string {
  return keys.map((k) => `${labels.get(k.keyId) ?? k.keyId} v${k.version}`).join(', ');
}

export function RobotBundlesPanel({ deviceId }: { deviceId: string }) {
  const queryClient = useQueryClient();
  const list = useChannelQuery('bundles:list', { deviceId });
  const keys = useChannelQuery('keys:list', {});
  const [confirming, setConfirming] = useState(false);
  // The last bundle issued here, remembered with its robot so that another robot's panel does not show it.
  const [lastIssued, setIssued] = useState<{ deviceId: string; fileName: string; sequence: number; keys: KeyVersion[] } | null>(null);
  const issued = lastIssued?.deviceId === deviceId ? lastIssued : null;
  const labels = new Map((keys.data?.keys ?? []).map((k) => [k.id, k.label]));

  const refresh = useCallback(() => {
    void queryClient.invalidateQueries({ queryKey: ['bundles:list', { deviceId }] });
  }, [queryClient, deviceId]);
  // A bundle installed over the serial link changes the robot's key versions: fleet:changed names the robot.
  useEffect(() => subscribe('fleet:changed', (e) => (e.deviceId === null || e.deviceId === deviceId ? refresh() : undefined)), [deviceId, refresh]);

  const closeDialog = useCallback(() => setConfirming(false), []);

  return (
    <section aria-labelledby="robot-bundles-title">
      <div className="toolbar">
        <h3 id="robot-bundles-title">Key bundles</h3>
        <span className="spacer" />
        <button type="button" onClick={() => setConfirming(true)}>
          Issue key bundle…
        </button>
      </div>
      {issued && (
        <p role="status" className="ok-text">
          Bundle #{issued.sequence} issued and saved as <code>{issued.fileName}</code>: {keyText(issued.keys, labels)}. Copy it to the
          robot&apos;s USB stick; the robot refuses it if it is altered or older than a bundle it has installed.
        </p>
      )}
      <ErrorMessage error={list.error} />
      {list.data && list.data.bundles.length === 0 && <p className="muted">No key bundles issued to this robot.</p>}
      {list.data && list.data.bundles.length > 0 && (
        <table aria-label="Key bundles of the robot">
          <thead>
            <tr>
              <th>Sequence</th>
              <th>Issued</th>
              <th>Delivery</th>
              <th>State</th>
              <th>Keys</th>
              <th>Error</th>
            </tr>
          </thead>
          <tbody>
            {list.data.bundles.map((b) => (
              <tr key={b.sequence} data-sequence={b.sequence} data-state={b.state} data-delivery={b.delivery}>
                <td>{b.sequence}</td>
                <td>{formatTime(b.issuedAt)}</td>
                <td>{b.delivery === 'file' ? 'file' : 'serial link'}</td>
                <td>{STATE_WORDS[b.state]}</td>
                <td>{keyText(b.keys, labels) || '—'}</td>
                <td>{b.errorCode ? <code>{b.errorCode}</code> : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {confirming && (
        <IssueBundleDialog
          deviceId={deviceId}
          onClose={closeDialog}
          onIssued={(r) => {
            // The file itself is not kept: it has been handed to the download.
            setIssued({ deviceId, fileName: r.fileName, sequence: r.sequence, keys: r.keys });
            refresh();
            setConfirming(false);
          }}
        />
      )}
    </section>
  );
}

function IssueBundleDialog({ deviceId, onClose, onIssued }: { deviceId: string; onClose(): void; onIssued(r: Issued): void }) {
  const build = useChannelMutation('bundles:build', (r) => {
    downloadBase64(r.fileName, r.content, 'application/json');
    onIssued(r);
  });
  return (
    <Dialog title="Issue key bundle" onClose={onClose}>
      <p className="confirm-text">
        Issue a key bundle file for robot <strong>{deviceId}</strong>? It carries the key versions assigned to the robot, wrapped to its
        identity key (only this robot can open it) and signed by the fleet CA. The registry records these versions as distributed to{' '}
        {deviceId} as soon as the file is issued; the console cannot see when it is installed.
      </p>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          build.mutate({ deviceId });
        }}
      >
        <ErrorMessage error={build.error} />
        <div className="dialog-buttons">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={build.isPending}>
            {build.isPending ? 'Issuing…' : `Issue bundle for ${deviceId}`}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
