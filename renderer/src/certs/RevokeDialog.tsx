// Revocation asks for confirmation naming the serial and the device, and a reason (published in the next CRL).
import { useState } from 'react';
import { CERT_REVOCATION_REASONS, type CertificateInfo } from '../../../shared/stationContract.ts';
import { useChannelMutation, useQueryClient } from '../hooks/channelQuery.ts';
import { Dialog } from '../components/Dialog.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';

export function RevokeDialog({ cert, onClose }: { cert: CertificateInfo; onClose(): void }) {
  const queryClient = useQueryClient();
  const [reason, setReason] = useState<(typeof CERT_REVOCATION_REASONS)[number]>('keyCompromise');
  const revoke = useChannelMutation('certs:revoke', () => {
    void queryClient.invalidateQueries({ predicate: (q) => q.queryKey[0] === 'certs:list' || String(q.queryKey[0]).startsWith('fleet:') });
    onClose();
  });
  return (
    <Dialog title="Revoke certificate" onClose={onClose}>
      <p className="confirm-text">
        Revoke certificate <code>{cert.serial}</code> of robot <strong>{cert.deviceId}</strong>? The robot will be refused by
        every service that checks the CRL. This cannot be undone.
      </p>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          revoke.mutate({ serial: cert.serial, reason });
        }}
      >
        <label>
          Reason
          <select value={reason} onChange={(e) => setReason(e.target.value as (typeof CERT_REVOCATION_REASONS)[number])}>
            {CERT_REVOCATION_REASONS.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <ErrorMessage error={revoke.error} />
        <div className="dialog-buttons">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={revoke.isPending}>
            Revoke {cert.serial}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
