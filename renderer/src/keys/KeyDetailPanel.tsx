import { KEY_TYPE_LABELS, KEY_TYPE_PROFILES } from '../../../shared/domain.ts';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { useUiStore } from '../state/uiStore.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { formatTime } from '../format.ts';
import { StateBadge } from './StateBadge.tsx';
import { IntegrityCheck } from './IntegrityCheck.tsx';
import { PublicKeyPanel } from './PublicKeyPanel.tsx';
import { CryptoTester } from './CryptoTester.tsx';
import { KeyUsagePanel } from './KeyUsagePanel.tsx';
import { UnreachedLocations } from './KeyLocations.tsx';

export function KeyDetailPanel({ keyId }: { keyId: string }) {
  const detail = useChannelQuery('keys:get', { keyId });
  const selectKey = useUiStore((s) => s.selectKey);
  const key = detail.data;

  return (
    <section className="panel" aria-labelledby="key-detail-title">
      <div className="toolbar">
        <h2 id="key-detail-title">{key ? `Key “${key.label}”` : 'Key'}</h2>
        <span className="spacer" />
        <button type="button" onClick={() => selectKey(null)}>
          Close details
        </button>
      </div>
      {detail.isPending && <p role="status">Loading key…</p>}
      {detail.isError && <ErrorMessage error={detail.error} />}
      {key && (
        <>
          <dl className="facts">
            <dt>Id</dt>
            <dd>
              <code>{key.id}</code>
            </dd>
            <dt>Type</dt>
            <dd>
              {KEY_TYPE_LABELS[key.type]} ({key.algorithm})
            </dd>
            <dt>State</dt>
            <dd>
              <StateBadge state={key.state} />
              {key.stateReason && <span className="muted"> — {key.stateReason}</span>}
            </dd>
            <dt>Provider</dt>
            <dd>{key.provider}</dd>
            <dt>Backup provider</dt>
            <dd>{key.backupProvider ?? <span className="muted">none</span>}</dd>
            <dt>KMS-backed</dt>
            <dd>{key.kmsBacked ? 'Yes: the key material stays in the provider' : 'No: the key material is in the local encrypted store'}</dd>
            <dt>Updated</dt>
            <dd>{formatTime(key.updatedAt)}</dd>
          </dl>
          <UnreachedLocations keyId={key.id} label={key.label} state={key.state} unreached={key.unreached} />
          <table className="grid compact" aria-label={`Versions of ${key.label}`}>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Created</th>
                <th scope="col">{KEY_TYPE_PROFILES[key.type].usage === 'sign' ? 'Public-key fingerprint' : 'Key check value'}</th>
                <th scope="col">Material</th>
              </tr>
            </thead>
            <tbody>
              {key.versions.map((v) => (
                <tr key={v.version}>
                  <td className="num">v{v.version}{v.version === key.currentVersion ? ' (current)' : ''}</td>
                  <td>{formatTime(v.createdAt)}</td>
                  <td>
                    <code className="wrap">{v.checkValue}</code>
                  </td>
                  <td>{v.destroyed ? 'Destroyed' : 'Present'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <KeyUsagePanel key={key.id} keyId={key.id} />
          <IntegrityCheck keyId={key.id} />
          {KEY_TYPE_PROFILES[key.type].usage === 'sign' && key.state !== 'destroyed' && key.state !== 'compromised' && <PublicKeyPanel keyId={key.id} version={key.currentVersion} />}
          {KEY_TYPE_PROFILES[key.type].usage === 'encrypt' && <CryptoTester keySummary={key} />}
        </>
      )}
    </section>
  );
}
