// Replacing or revoking the fleet CA from the Certificates screen (docs/fleet-ca.md, "Replacing and revoking the CA").
// Both are guarded: the usual answer is an approval request (shown with its id, nothing changed yet), executed later
// under Approvals once a second officer approved it. On a console where no one else could approve, the action runs at
// once (waived, audited) and the dialog says what it did, with the old CA's CRL to download.
import { useState } from 'react';
import Modal from '@cloudscape-design/components/modal';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Textarea from '@cloudscape-design/components/textarea';
import Alert from '@cloudscape-design/components/alert';
import { useChannelMutation, useQueryClient } from '../hooks/channelQuery.ts';
import { errorInWords } from '../components/errorWords.ts';
import { formErrorText } from '../components/FormErrorText.tsx';
import { DialogFooter } from '../components/DialogFooter.tsx';
import { ApprovalRequestedDialog, requestedApproval } from '../components/ApprovalRequested.tsx';
import { downloadText } from '../download.ts';
import { CaKeyFields, type Algorithm } from './CreateCaForm.tsx';

export type CaTransitionKind = 'replace' | 'revoke';

const TITLES: Readonly<Record<CaTransitionKind, string>> = { replace: 'Replace the fleet CA', revoke: 'Revoke the fleet CA (compromised)' };
const CONSEQUENCES: Readonly<Record<CaTransitionKind, string>> = {
  replace:
    'A new CA key is created in the same provider and a new CA certificate signs every certificate from now on. The current CA is retired: its certificates keep verifying until each robot gets a new one, and every robot holding one is flagged as needing a new certificate.',
  revoke:
    'Every certificate this CA issued is revoked (CA compromise) and listed in a final CRL signed now; its robots are flagged. The console then has no CA until a new one is created. This cannot be undone.',
};
/** Revoking a retired CA (caId): the current CA keeps signing. */
const RETIRED_CONSEQUENCE =
  'Every certificate this retired CA issued that is still valid is revoked (CA compromise) and listed in a final CRL signed now by its key; its robots are flagged. The current CA keeps signing. This cannot be undone.';

/** `caId`: revoke that (retired) CA rather than the current one. */
export function CaTransitionDialog({ kind, caId, onClose }: { kind: CaTransitionKind; caId?: string; onClose(): void }) {
  const queryClient = useQueryClient();
  const [algorithm, setAlgorithm] = useState<Algorithm>('EC_P256');
  const [commonName, setCommonName] = useState('ECPS-UV Fleet CA');
  const [reason, setReason] = useState('');
  const [done, setDone] = useState<{ flagged: number; crl: { fileName: string; pem: string } } | null>(null);
  const refresh = () => void queryClient.invalidateQueries({ predicate: (q) => ['ca:status', 'ca:history', 'certs:list'].includes(String(q.queryKey[0])) || String(q.queryKey[0]).startsWith('fleet:') });
  const replace = useChannelMutation('ca:replace', (r) => {
    refresh();
    setDone({ flagged: r.flagged.length, crl: r.previousCrl });
  });
  const revoke = useChannelMutation('ca:revoke', (r) => {
    refresh();
    setDone({ flagged: r.flagged.length, crl: r.finalCrl });
  });
  const call = kind === 'replace' ? replace : revoke;
  const title = caId === undefined ? TITLES[kind] : 'Revoke a retired fleet CA (compromised)';
  const requested = requestedApproval(call.error);
  if (requested !== null) return <ApprovalRequestedDialog header={title} what={kind === 'replace' ? 'Replacing the fleet CA' : 'Revoking the fleet CA'} requestId={requested} onClose={onClose} />;

  if (done) {
    return (
      <Modal visible closeAriaLabel="Close dialog" onDismiss={onClose} header={title} footer={<DialogFooter onCancel={onClose} cancelText="Close" />}>
        <SpaceBetween size="m">
          <div role="status">
            {kind === 'replace' ? 'The fleet CA was replaced' : 'The fleet CA was revoked'}; {done.flagged} robot(s) need a new certificate.
          </div>
          <Button iconName="download" onClick={() => downloadText(done.crl.fileName, done.crl.pem, 'application/pkix-crl')}>
            {kind === 'replace' ? 'Download the old CA’s CRL' : 'Download the final CRL'}
          </Button>
        </SpaceBetween>
      </Modal>
    );
  }

  const words = errorInWords(call.error, { algorithm: 'Algorithm', commonName: 'Common name of the new CA', reason: 'Reason' });
  const submit = () => {
    if (call.isPending) return;
    if (kind === 'replace') replace.mutate({ algorithm, commonName, reason: reason.trim() });
    else revoke.mutate({ ...(caId === undefined ? {} : { caId }), reason: reason.trim() });
  };
  return (
    <Modal
      visible
      closeAriaLabel="Close dialog"
      onDismiss={onClose}
      header={title}
      footer={
        <DialogFooter onCancel={onClose}>
          <Button variant="primary" loading={call.isPending} disabled={reason.trim() === ''} onClick={submit}>
            {kind === 'replace' ? 'Request the replacement' : 'Request the revocation'}
          </Button>
        </DialogFooter>
      }
    >
      <Form errorText={formErrorText(words)} errorIconAriaLabel="Error">
        <SpaceBetween size="m">
          <Alert type="warning">
            {caId === undefined ? CONSEQUENCES[kind] : RETIRED_CONSEQUENCE} <Box variant="span">A second security officer must approve it.</Box>
          </Alert>
          {kind === 'replace' && (
            <CaKeyFields algorithm={algorithm} onAlgorithm={setAlgorithm} commonName={commonName} onCommonName={setCommonName} nameLabel="Common name of the new CA" fields={words.fields} />
          )}
          <FormField label="Reason" description="Shown to the approvers and kept in the audit log." errorText={words.fields.reason}>
            <Textarea value={reason} onChange={(e) => setReason(e.detail.value)} invalid={!!words.fields.reason} ariaLabel="Reason" />
          </FormField>
        </SpaceBetween>
      </Form>
    </Modal>
  );
}
