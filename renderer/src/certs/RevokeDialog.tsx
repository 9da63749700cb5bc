// Revocation asks for confirmation naming the serial and the device, and a reason (published in the next CRL).
import { useState } from 'react';
import Modal from '@cloudscape-design/components/modal';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Select from '@cloudscape-design/components/select';
import Alert from '@cloudscape-design/components/alert';
import { CERT_REVOCATION_REASONS, type CertificateInfo } from '../../../shared/stationContract.ts';
import { useChannelMutation, useQueryClient } from '../hooks/channelQuery.ts';
import { errorInWords } from '../components/errorWords.ts';
import { formErrorText } from '../components/FormErrorText.tsx';
import { DialogFooter } from '../components/DialogFooter.tsx';

type Reason = (typeof CERT_REVOCATION_REASONS)[number];

export function RevokeDialog({ cert, onClose }: { cert: CertificateInfo; onClose(): void }) {
  const queryClient = useQueryClient();
  const [reason, setReason] = useState<Reason>('keyCompromise');
  const revoke = useChannelMutation('certs:revoke', () => {
    void queryClient.invalidateQueries({ predicate: (q) => q.queryKey[0] === 'certs:list' || q.queryKey[0] === 'ca:history' || String(q.queryKey[0]).startsWith('fleet:') });
    onClose();
  });
  const words = errorInWords(revoke.error, { reason: 'Reason' });
  const options = CERT_REVOCATION_REASONS.map((r) => ({ value: r, label: r }));
  return (
    <Modal
      visible
      closeAriaLabel="Close dialog"
      onDismiss={onClose}
      header="Revoke certificate"
      footer={
        <DialogFooter onCancel={onClose}>
          <Button variant="primary" loading={revoke.isPending} onClick={() => revoke.mutate({ serial: cert.serial, reason })}>
            {`Revoke ${cert.serial}`}
          </Button>
        </DialogFooter>
      }
    >
      <Form errorText={formErrorText(words)} errorIconAriaLabel="Error">
        <SpaceBetween size="m">
          <Alert type="warning">
            Revoke certificate <Box variant="code">{cert.serial}</Box> of robot <strong>{cert.deviceId}</strong>? The robot will be refused by every service
            that checks the CRL. This cannot be undone.
          </Alert>
          <FormField label="Reason" description="Published in the next CRL." errorText={words.fields.reason}>
            <Select selectedOption={options.find((o) => o.value === reason) ?? null} onChange={(e) => setReason(e.detail.selectedOption.value as Reason)} options={options} />
          </FormField>
        </SpaceBetween>
      </Form>
    </Modal>
  );
}
