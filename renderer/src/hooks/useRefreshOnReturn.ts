// Lists that another client may change without a push reaching this window (a browser-host tab whose connection
// dropped meanwhile, a window that slept) are re-read when the person comes back to it: the window gets the focus, or
// the page becomes visible again. The pushed events stay the main way these lists refresh.
import { useEffect } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { ChannelName } from '../../../shared/contract.ts';
import { onReturn } from './onReturn.ts';

/** Re-reads these channels' queries when the window gets the focus or the page becomes visible again. */
export function useRefreshOnReturn(channels: readonly ChannelName[]): void {
  const queryClient = useQueryClient();
  const key = channels.join('|');
  useEffect(() => {
    const names = key.split('|');
    return onReturn(window, document, () => {
      for (const channel of names) void queryClient.invalidateQueries({ queryKey: [channel] });
    });
  }, [queryClient, key]);
}
