// What revoking a robot revokes with it, shown before the officer confirms: its certificates by serial, and whether
// the fleet CA publishes an updated CRL in the same operation (fleet:revocationPlan, computed by the main process).
import Alert from '@cloudscape-design/components/alert';
import FormField from '@cloudscape-design/components/form-field';
import Select from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Box from '@cloudscape-design/components/box';
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
  if (!plan) return <StatusIndicator type="loading">Finding the certificates of robot {deviceId}…</StatusIndicator>;
  const n = plan.certificates.length;
  const options = CERT_REVOCATION_REASONS.map((r) => ({ value: r, label: r }));
  return (
    <div role="region" aria-label="What revoking the robot revokes">
      <Alert type="warning">
        {n === 0 ? (
          <Box variant="p">Robot {deviceId} holds no valid certificate: none is revoked and the CRL is not changed.</Box>
        ) : (
          <SpaceBetween size="s">
            <Box variant="p">
              Revoking robot {deviceId} also revokes its {n === 1 ? 'certificate' : `${n} certificates`}, in the same operation:
            </Box>
            <ul aria-label="Certificates revoked with the robot">
              {plan.certificates.map((c) => (
                <li key={c.serial}>
                  serial <Box variant="code">{c.serial}</Box>, valid until {day(c.notAfter)}
                  {c.inCa ? '' : ' (a registry record only: not issued by this fleet CA)'}
                </li>
              ))}
            </ul>
            <Box variant="p">
              {plan.crlUpdate
                ? `The fleet CA then publishes an updated CRL that lists ${n === 1 ? 'it' : 'them'}, signed with its key in provider ${plan.caProviderId ?? 'unknown'}. If the CA cannot sign, nothing changes.`
                : 'No CRL is changed: none of them was issued by this fleet CA.'}{' '}
              This cannot be undone.
            </Box>
            <FormField label="Certificate revocation reason (RFC 5280)">
              <Select
                selectedOption={options.find((o) => o.value === props.reason) ?? null}
                options={options}
                onChange={(e) => props.onReason(e.detail.selectedOption.value as CertRevocationReason)}
              />
            </FormField>
          </SpaceBetween>
        )}
      </Alert>
    </div>
  );
}
