// The pause a throttled sign-in imposes (too many wrong passphrases): from the status a fresh window reads, and from
// details.retryAfterMs of a refusal. The console's unlock form and the incident kit's sign-in page share it.
import { useState } from 'react';
import { isApiError } from '../api.ts';
import { useCountdown } from './useCountdown.ts';

export function useRetryPause(initialMs: number): { waitMs: number; pauseFrom(err: unknown): void } {
  const [retryAt, setRetryAt] = useState<number | null>(() => (initialMs > 0 ? Date.now() + initialMs : null));
  const waitMs = useCountdown(retryAt);
  return {
    waitMs,
    pauseFrom(err) {
      const retryAfterMs = isApiError(err) ? err.details?.retryAfterMs : undefined;
      if (typeof retryAfterMs === 'number' && retryAfterMs > 0) setRetryAt(Date.now() + retryAfterMs);
    },
  };
}
