// Right after the store was created: the audit key's fingerprint, to be written down and compared later with the one
// the Audit screen shows next to Verify and with an export's (docs/audit-log.md, "Verifying an audit export").
import { useEffect, useRef } from 'react';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { groupFingerprint } from '../audit/VerifyChain.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useSetupNotice } from './setupNotice.ts';
import { focusHeading } from './focusHeading.ts';

export function SetupDone() {
  const end = useSetupNotice((s) => s.end);
  const fingerprint = useChannelQuery('audit:keyFingerprint', {});
  const titleRef = useRef<HTMLSpanElement>(null);

  // Focus on the step's heading, never the page body.
  useEffect(() => focusHeading(titleRef.current), []);

  return (
    <SpaceBetween size="m">
      <Header variant="h2" description="The store is unlocked. One thing to write down before you start.">
        <span ref={titleRef} id="setup-done-title">
          Key store created
        </span>
      </Header>
        <Box>
          Write down the <strong>audit key fingerprint</strong> and keep it away from this machine. The Audit screen shows it next to
          Verify, and every audit export carries it: if they ever differ from what you wrote down, the log is signed by another key.
        </Box>
        {fingerprint.data ? (
          <div aria-label="Audit key fingerprint (SHA-256)" role="group">
            <Box variant="awsui-key-label">Audit key fingerprint (SHA-256)</Box>
            <Box variant="code" fontSize="heading-s">
              <span data-testid="setup-fingerprint" data-fingerprint={fingerprint.data.fingerprint}>
                {groupFingerprint(fingerprint.data.fingerprint)}
              </span>
            </Box>
          </div>
        ) : fingerprint.isPending ? (
          <StatusIndicator type="loading">Reading the audit key</StatusIndicator>
        ) : null}
        <ErrorMessage error={fingerprint.error} header="The audit key cannot be shown" />
        <Button variant="primary" onClick={end}>
          Continue to the console
        </Button>
    </SpaceBetween>
  );
}
