import { useEffect, useState } from 'react';
import { useConnectionStore } from '../transport/connectionStore.ts';
import { formatCountdown, formatTime } from '../format.ts';

/**
 * Says plainly when the browser host's connection is gone; silent in Electron (no socket) and while healthy. The
 * countdown runs from the later of the last tick and the moment the state changed: the tick alone is only refreshed
 * while lost, so right after a drop it was the time the page opened, and the banner showed the time since then as
 * the wait (CI saw "Reconnecting in 1 min 58 s" for a 0.25 s wait).
 */
export function ConnectionBanner() {
  const { state, nextAttemptAt, changedAt, silentSince, reconnectNow } = useConnectionStore();
  const [tick, setTick] = useState(() => Date.now());

  useEffect(() => {
    if (state !== 'lost' && state !== 'silent') return;
    const timer = setInterval(() => setTick(Date.now()), 500);
    return () => clearInterval(timer);
  }, [state]);

  if (state === 'silent') {
    // The socket is open but the console answers nothing (liveness.ts): its process may be blocked.
    const since = silentSince ?? changedAt;
    return (
      <div className="banner banner-danger" role="alert">
        The console is not answering since {formatTime(new Date(since).toISOString())} (
        {formatCountdown(Math.max(0, Math.max(tick, changedAt) - since))}). Actions you take wait until it answers;
        the window carries on by itself when it does.{' '}
        <button type="button" className="banner-action" onClick={reconnectNow}>
          Reconnect now
        </button>
      </div>
    );
  }
  if (state !== 'lost') return null;
  const wait = nextAttemptAt ? Math.max(0, nextAttemptAt - Math.max(tick, changedAt)) : 0;
  return (
    <div className="banner banner-danger" role="alert">
      Connection lost to the console. {wait > 0 ? `Reconnecting in ${formatCountdown(wait)}…` : 'Reconnecting…'} Actions
      you take now are not sent until the connection is back.{' '}
      {nextAttemptAt !== null && (
        <button type="button" className="banner-action" onClick={reconnectNow}>
          Reconnect now
        </button>
      )}
    </div>
  );
}
