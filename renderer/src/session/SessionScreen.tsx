// Before the shell: create the key store on first run (then its audit key fingerprint), or unlock it. A narrow
// centred column of Cloudscape components; the product name is the page's h1.
import Box from '@cloudscape-design/components/box';
import Container from '@cloudscape-design/components/container';
import Grid from '@cloudscape-design/components/grid';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import type { SessionStatus } from '../../../shared/contract.ts';
import { FirstRunForm } from './FirstRunForm.tsx';
import { UnlockForm } from './UnlockForm.tsx';
import { useState } from 'react';
import Button from '@cloudscape-design/components/button';
import { RecoveryCeremony, RecoveryDone } from '../recovery/RecoveryCeremony.tsx';
import { useRecoveryNotice } from '../recovery/recoveryNotice.ts';

/** The unlock form, or the recovery ceremony ("Recover with shares": no one can sign in), or what the ceremony did. */
function SignIn({ status }: { status: SessionStatus }) {
  const [recovering, setRecovering] = useState(false);
  const recovered = useRecoveryNotice((s) => s.outcome !== null);
  if (recovered) return <RecoveryDone />;
  if (recovering) return <RecoveryCeremony onBack={() => setRecovering(false)} />;
  return (
    <SpaceBetween size="m">
      <UnlockForm status={status} />
      <Button variant="link" onClick={() => setRecovering(true)}>
        Recover with shares
      </Button>
    </SpaceBetween>
  );
}

export function SessionScreen({ status, setupPending }: { status: SessionStatus; setupPending: boolean }) {
  return (
    <main>
      <Box padding={{ vertical: 'xxl', horizontal: 'l' }}>
        <Grid gridDefinition={[{ colspan: { default: 12, s: 8, l: 6 }, offset: { default: 0, s: 2, l: 3 } }]}>
          <SpaceBetween size="l">
            <Header variant="h1">ECPS-UV Fleet Security Console</Header>
            <Container>
              {/* While the creation's fingerprint is shown the store is already unlocked: the same form stays mounted. */}
              {status.state === 'uninitialized' || setupPending ? <FirstRunForm /> : <SignIn status={status} />}
            </Container>
            <Box variant="small" color="text-body-secondary">
              Key store: <code>{status.storePath}</code>
            </Box>
          </SpaceBetween>
        </Grid>
      </Box>
    </main>
  );
}
