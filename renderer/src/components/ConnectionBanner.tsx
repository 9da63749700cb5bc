import { useEffect, useState } from 'react';
import { useConnectionStore } from '../transport/connectionStore.ts';
import { formatCountdown } from '../format.ts';

/** Says plainly when the browser host's connection is gone; silent in Electron (no socket) and while healthy. */
export function ConnectionBanner() {
  const { state, nextAttemptAt } = useConnectionStore();
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    if (state !== 'lost') return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [state]);

  if (state !== 'lost') return null;
  const wait = nextAttemptAt ? Math.max(0, nextAttemptAt - now) : 0;
  return (
    <div className="banner banner-danger" role="alert">
      Connection lost to the console. {wait > 0 ? `Reconnecting in ${formatCountdown(wait)}…` : 'Reconnecting…'} Actions
      you take now are not sent until the connection is back.
    </div>
  );
}
