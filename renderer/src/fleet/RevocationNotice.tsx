// What revoking a robot revokes with it, shown before the officer confirms: its certificates by serial, and whether
// the fleet CA publishes an updated CRL in the same operation (fleet:revocationPlan, computed by the main process).
import { CERT_REVOCATION_REASONS, type CertRevocationReason } from '../../../shared/domain.ts';
import type { RevocationPlan } from '../../../shared/fleetContract.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';

const day = (iso: string) => iso.slice(0, 10);

export function RevocationNotice(props: {
  deviceId: string;
  plan: RevocationPlan | undefined;
  error: Error | null;
  reason: CertRevocationReason;
  onReason(reason: CertRevocationReason): void;
}) {
  const { deviceId, plan } = props;
  if (props.error) return <ErrorMessage error={props.error} />;
  if (!plan) return <p className="muted">Finding the certificates of robot {deviceId}…</p>;
  const n = plan.certificates.length;
  return (
    <div className="warning" role="region" aria-label="What revoking the robot revokes">
      {n === 0 ? (
        <p>Robot {deviceId} holds no valid certificate: none is revoked and the CRL is not changed.</p>
      ) : (
        <>
          <p>
            Revoking robot {deviceId} also revokes its {n === 1 ? 'certificate' : `${n} certificates`}, in the same operation:
          </p>
          <ul aria-label="Certificates revoked with the robot">
            {plan.certificates.map((c) => (
              <li key={c.serial}>
                serial <code>{c.serial}</code>, valid until {day(c.notAfter)}
                {c.inCa ? '' : ' (a registry record only: not issued by this fleet CA)'}
              </li>
            ))}
          </ul>
          <p>
            {plan.crlUpdate
              ? `The fleet CA then publishes an updated CRL that lists ${n === 1 ? 'it' : 'them'}, signed with its key in provider ${plan.caProviderId ?? 'unknown'}. If the CA cannot sign, nothing changes.`
              : 'No CRL is changed: none of them was issued by this fleet CA.'}{' '}
            This cannot be undone.
          </p>
          <label>
            Certificate revocation reason (RFC 5280)
            <select value={props.reason} onChange={(e) => props.onReason(e.target.value as CertRevocationReason)}>
              {CERT_REVOCATION_REASONS.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
        </>
      )}
    </div>
  );
}
