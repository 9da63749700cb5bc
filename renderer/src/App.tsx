import { useChannelQuery } from './hooks/channelQuery.ts';
import { useMainProcessEvents } from './hooks/useMainProcessEvents.ts';
import { useFleetEvents } from './fleet/useFleetEvents.ts';
import { ConnectionBanner } from './components/ConnectionBanner.tsx';
import { ErrorMessage } from './components/ErrorMessage.tsx';
import { SessionScreen } from './session/SessionScreen.tsx';
import { AuditAlarmBanner } from './shell/AuditAlarmBanner.tsx';
import { Shell } from './shell/Shell.tsx';

export function App() {
  useMainProcessEvents();
  // Once for the whole app: the fleet screens and the Keys screen's key usage both show fleet:* answers.
  useFleetEvents();
  const status = useChannelQuery('session:status', {});

  return (
    <>
      <ConnectionBanner />
      {/* On every screen, the unlock screen included, while the main process reports it. */}
      {status.data?.auditAlarm && <AuditAlarmBanner alarm={status.data.auditAlarm} />}
      {status.isPending && <p className="center-note" role="status">Connecting to the console…</p>}
      {status.isError && (
        <div className="center-card legacy">
          <ErrorMessage error={status.error} />
          <button type="button" onClick={() => void status.refetch()}>
            Try again
          </button>
        </div>
      )}
      {status.data && (status.data.state === 'unlocked' ? <Shell status={status.data} /> : <SessionScreen status={status.data} />)}
    </>
  );
}
