// While signed in, the window tells the main process when its page is hidden or shown again (another tab, a minimised
// window): a page hidden longer than the idle time locks the session (docs/operators.md "Idle lock"). Needed most in
// the browser host, where the OS's suspend and screen-lock events do not reach the console.
import { useEffect } from 'react';
import { call } from '../api.ts';

const reportToSession = (hidden: boolean) => call('session:visibility', { hidden });

/** `send` carries the report: the session's channel by default, the offline console's for an incident kit. */
export function useVisibilityReport(send: (hidden: boolean) => Promise<unknown> = reportToSession): void {
  useEffect(() => {
    const report = () => {
      // Best effort: a lost report only means the plain idle lock applies.
      send(document.visibilityState === 'hidden').catch(() => undefined);
    };
    if (document.visibilityState === 'hidden') report();
    document.addEventListener('visibilitychange', report);
    return () => document.removeEventListener('visibilitychange', report);
  }, [send]);
}
