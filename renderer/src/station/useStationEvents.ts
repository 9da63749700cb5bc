// station:progress refreshes the station's status (and the certificate and key bundle answers once a port's session
// has ended: a provisioning issues a certificate, a distribution installs a bundle).
import { useCallback, useEffect } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { StationStatus } from '../../../shared/stationContract.ts';
import { subscribe } from '../api.ts';
import { channelKey } from '../hooks/channelQuery.ts';

export function useStationEvents(): void {
  const queryClient = useQueryClient();
  useEffect(
    () =>
      subscribe('station:progress', (p) => {
        void queryClient.invalidateQueries({ queryKey: ['station:status'] });
        if (p.state !== 'active') void queryClient.invalidateQueries({ predicate: (q) => q.queryKey[0] === 'certs:list' || q.queryKey[0] === 'bundles:list' });
      }),
    [queryClient],
  );
}

/** station:start/stop/retry/confirmReprovision answer with the new status: show it at once, without waiting for a refetch. */
export function useShowStationStatus(): (status: StationStatus) => void {
  const queryClient = useQueryClient();
  return useCallback((status: StationStatus) => queryClient.setQueryData(channelKey('station:status', {}), status), [queryClient]);
}
