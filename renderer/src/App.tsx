import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { useChannelQuery } from './hooks/channelQuery.ts';
import { useMainProcessEvents } from './hooks/useMainProcessEvents.ts';
import { useFleetEvents } from './fleet/useFleetEvents.ts';
import { ConnectionBanner } from './components/ConnectionBanner.tsx';
import { ErrorMessage } from './components/ErrorMessage.tsx';
import { SessionScreen } from './session/SessionScreen.tsx';
import { useSetupNotice } from './session/setupNotice.ts';
import { AuditAlarmBanner } from './shell/AuditAlarmBanner.tsx';
import { Shell } from './shell/Shell.tsx';
import { useEffect } from 'react';
import { useSessionRole } from './session/permissions.ts';
import { useRecoveryHoldsScreen } from './recovery/recoveryNotice.ts';

export function App() {
  useMainProcessEvents();
  // Once for the whole app: the fleet screens and the Keys screen's key usage both show fleet:* answers.
  useFleetEvents();
  const status = useChannelQuery('session:status', {});
  // Right after the store is created the session screen stays to show the audit key fingerprint (session/SetupDone).
  const setupPending = useSetupNotice((s) => s.pending);
  // Likewise after a recovery ceremony (recovery/RecoveryCeremony.tsx), to say what it did.
  const recovered = useRecoveryHoldsScreen();
  // The role decides which navigation entries and actions the window shows (the main process enforces it).
  const setRole = useSessionRole((s) => s.setRole);
  const role = status.data?.role ?? null;
  useEffect(() => setRole(role), [role, setRole]);

  return (
    <>
      <ConnectionBanner />
      {/* On every screen, the unlock screen included, while the main process reports it. */}
      {status.data?.auditAlarm && <AuditAlarmBanner alarm={status.data.auditAlarm} />}
      {status.isPending && <p className="center-note" role="status">Connecting to the console…</p>}
      {status.isError && (
        <div className="center-card">
          <Container header={<Header variant="h1">ECPS-UV Fleet Security Console</Header>}>
            <SpaceBetween size="m">
              <ErrorMessage error={status.error} />
              <Button onClick={() => void status.refetch()}>Try again</Button>
            </SpaceBetween>
          </Container>
        </div>
      )}
      {status.data &&
        (status.data.state === 'unlocked' && !setupPending && !recovered ? <Shell status={status.data} /> : <SessionScreen status={status.data} setupPending={setupPending} />)}
    </>
  );
}
