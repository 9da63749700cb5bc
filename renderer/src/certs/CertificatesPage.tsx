// Fleet CA and certificates: the CA's status (or the form creating it), the certificate inventory with expiry,
// revocation with a confirmation, and the CRL download.
import { useState } from 'react';
import type { CertificateInfo } from '../../../shared/stationContract.ts';
import { useChannelMutation, useChannelQuery } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { CreateCaForm } from './CreateCaForm.tsx';
import { RevokeDialog } from './RevokeDialog.tsx';
import { downloadText } from '../download.ts';
import { useUiStore } from '../state/uiStore.ts';

/** The route's "expiring within N days" (#/certs?expiringWithinDays=N, the dashboard's links), when it is a valid filter. */
function routeWithin(value: string | undefined): string {
  const days = Number(value);
  return Number.isInteger(days) && days > 0 && days <= 36_500 ? String(days) : '';
}

function Inventory({ initialWithin }: { initialWithin: string }) {
  const [within, setWithin] = useState(initialWithin);
  const days = Number.parseInt(within, 10);
  const certs = useChannelQuery('certs:list', Number.isInteger(days) && days > 0 ? { expiringWithinDays: days } : {});
  const [revoking, setRevoking] = useState<CertificateInfo | null>(null);
  const crl = useChannelMutation('ca:crl', (r) => downloadText(r.fileName, r.pem, 'application/pkix-crl'));
  const list = certs.data?.certificates ?? [];
  return (
    <div className="subsection">
      <div className="toolbar">
        <h2>Certificates</h2>
        <label>
          Expiring within (days){' '}
          <input value={within} onChange={(e) => setWithin(e.target.value)} inputMode="numeric" size={5} aria-label="Expiring within days" />
        </label>
        <span className="spacer" />
        <button type="button" onClick={() => crl.mutate({})} disabled={crl.isPending}>
          Download CRL
        </button>
        {crl.data && (
          <span className="small" role="status">
            CRL #{crl.data.crlNumber} ({crl.data.revoked} revoked) saved as <code>{crl.data.fileName}</code>.
          </span>
        )}
      </div>
      <ErrorMessage error={crl.error ?? certs.error} />
      {list.length === 0 ? (
        <p className="muted">No certificates{within ? ' expiring in that window' : ' issued yet'}.</p>
      ) : (
        <table className="grid" aria-label="Certificate inventory">
          <thead>
            <tr>
              <th>Serial</th>
              <th>Robot</th>
              <th>Not after</th>
              <th>Days left</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((c) => (
              <tr key={c.serial} data-serial={c.serial}>
                <td>
                  <code>{c.serial}</code>
                </td>
                <td>{c.deviceId}</td>
                <td>{c.notAfter.slice(0, 10)}</td>
                <td className="num">{c.daysToExpiry}</td>
                <td>{c.status === 'revoked' ? `revoked (${c.revocationReason ?? 'unspecified'})` : c.status}</td>
                <td className="actions">
                  {c.status !== 'revoked' && (
                    <button type="button" onClick={() => setRevoking(c)}>
                      Revoke…
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {revoking && <RevokeDialog cert={revoking} onClose={() => setRevoking(null)} />}
    </div>
  );
}

export function CertificatesPage() {
  const ca = useChannelQuery('ca:status', {});
  // A new route (a dashboard link, back/forward) starts the inventory again with that route's filter.
  const routeSeq = useUiStore((s) => s.routeSeq);
  const routeParams = useUiStore((s) => s.routeParams);
  return (
    <section aria-labelledby="certs-title">
      <div className="toolbar">
        <h1 id="certs-title">Fleet CA and certificates</h1>
      </div>
      {ca.isError && <ErrorMessage error={ca.error} />}
      {ca.data && !ca.data.initialized && <CreateCaForm />}
      {ca.data?.initialized && (
        <>
          <div className="panel" aria-label="Fleet CA">
            <dl className="facts">
              <dt>Subject</dt>
              <dd data-testid="ca-subject">{ca.data.subject}</dd>
              <dt>Signing key</dt>
              <dd>
                {ca.data.providerId} · <code>{ca.data.keyRef}</code>
              </dd>
              <dt>Valid until</dt>
              <dd>{ca.data.notAfter?.slice(0, 10)}</dd>
            </dl>
            <button type="button" onClick={() => downloadText('fleet-ca.pem', ca.data.certificatePem ?? '', 'application/x-pem-file')}>
              Download CA certificate
            </button>
          </div>
          <Inventory key={routeSeq} initialWithin={routeWithin(routeParams.expiringWithinDays)} />
        </>
      )}
    </section>
  );
}
