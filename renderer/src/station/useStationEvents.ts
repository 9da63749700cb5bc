// station:progress refreshes the station's status (and the fleet and certificate answers once a robot is done).
import { useEffect } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { subscribe } from '../api.ts';

export function useStationEvents(): void {
  const queryClient = useQueryClient();
  useEffect(
    () =>
      subscribe('station:progress', (p) => {
        void queryClient.invalidateQueries({ queryKey: ['station:status'] });
        if (p.state !== 'active') void queryClient.invalidateQueries({ predicate: (q) => q.queryKey[0] === 'certs:list' });
      }),
    [queryClient],
  );
}
