// The chain and its key: "Verify chain" re-walks the hash chain and its signed checkpoints in the main process, and
// next to it the audit key's fingerprint (SHA-256 of its DER public key, audit:keyFingerprint) so an officer can
// compare it with the one written down when the store was created and with an export's (docs/audit-log.md).
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import CopyToClipboard from '@cloudscape-design/components/copy-to-clipboard';
import Header from '@cloudscape-design/components/header';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { useChannelMutation, useChannelQuery } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useAuditExport } from './ExportAudit.tsx';

/** A fingerprint in groups of four, easier to read aloud and to compare with one written down. */
export function groupFingerprint(hex: string): string {
  return hex.match(/.{1,4}/g)?.join(' ') ?? hex;
}

export function VerifyChain() {
  const verify = useChannelMutation('audit:verify');
  const fingerprint = useChannelQuery('audit:keyFingerprint', {});
  const result = verify.data;
  const exporting = useAuditExport();

  return (
    <Container
      header={
        <Header
          variant="h2"
          description="Verify re-checks every record's hash link and every signed checkpoint against the audit key below."
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              <Button onClick={() => verify.mutate({})} loading={verify.isPending} disabled={verify.isPending}>
                Verify chain
              </Button>
              {exporting.button}
            </SpaceBetween>
          }
        >
          Chain and audit key
        </Header>
      }
    >
      <SpaceBetween size="m">
        <KeyValuePairs
          columns={2}
          items={[
            {
              label: 'Audit key fingerprint (SHA-256)',
              info: undefined,
              value: fingerprint.data ? (
                <span data-testid="audit-key-fingerprint" data-fingerprint={fingerprint.data.fingerprint}>
                  <Box variant="code">{groupFingerprint(fingerprint.data.fingerprint)}</Box>{' '}
                  <CopyToClipboard
                    variant="icon"
                    textToCopy={fingerprint.data.fingerprint}
                    copyButtonAriaLabel="Copy the audit key fingerprint"
                    copySuccessText="Fingerprint copied"
                    copyErrorText="The fingerprint could not be copied"
                  />
                </span>
              ) : fingerprint.isPending ? (
                <StatusIndicator type="loading">Reading the audit key</StatusIndicator>
              ) : (
                <StatusIndicator type="error">Not available</StatusIndicator>
              ),
            },
            {
              label: 'Last verification',
              value: result ? (
                result.ok ? (
                  <span role="status">
                    <StatusIndicator type="success">
                      Chain verified: {result.checkedRecords} records, {result.checkpoints} checkpoints
                    </StatusIndicator>
                  </span>
                ) : (
                  <span role="alert">
                    <StatusIndicator type="error">
                      Verification FAILED at record {result.firstBad?.seq ?? '?'}: {result.firstBad?.reason ?? 'unknown reason'}
                    </StatusIndicator>
                  </span>
                )
              ) : (
                <StatusIndicator type="stopped">Not verified in this session</StatusIndicator>
              ),
            },
          ]}
        />
        <Box variant="small">Compare the fingerprint with the one written down when the key store was created. A different one means the log is signed by another key.</Box>
        {exporting.outcome}
        <ErrorMessage error={fingerprint.error} header="The audit key cannot be shown" />
        <ErrorMessage error={verify.error} header="Verification could not run" />
      </SpaceBetween>
    </Container>
  );
}
