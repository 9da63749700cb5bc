// Requests expire by the clock, not by a call: the main process marks them expired (and pushes approvals:changed) when
// the next approvals call runs. So the window asks again once the earliest open request it shows has expired; the
// answer marks it, and the push refreshes every view. No polling in between.
import { useEffect } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { msUntilFirstExpiry } from './expiryWait.ts';

export function useExpiryRefresh(open: readonly { expiresAt: string }[] | undefined): void {
  const queryClient = useQueryClient();
  const key = (open ?? []).map((r) => r.expiresAt).join(',');
  useEffect(() => {
    const wait = msUntilFirstExpiry(key ? key.split(',') : [], Date.now());
    if (wait === null) return;
    const timer = setTimeout(() => void queryClient.invalidateQueries({ queryKey: ['approvals:list'] }), wait);
    return () => clearTimeout(timer);
  }, [key, queryClient]);
}
