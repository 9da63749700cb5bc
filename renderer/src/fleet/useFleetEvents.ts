// Mounted once in App. fleet:changed invalidates every fleet:* answer: the fleet screens and the Keys screen's key
// usage (the audit trail shown in a robot's detail refreshes with audit:appended, which the shell already handles).
// On lock the fleet UI state is forgotten.
import { useEffect } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { subscribe } from '../api.ts';
import { useFleetUi } from './fleetUiStore.ts';

/** Robot changes can come in bursts (imports, provisioning shifts); refresh at most this often. */
const FLEET_REFRESH_MS = 250;

export function useFleetEvents(): void {
  const queryClient = useQueryClient();
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const offFleet = subscribe('fleet:changed', () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        void queryClient.invalidateQueries({ predicate: (q) => typeof q.queryKey[0] === 'string' && q.queryKey[0].startsWith('fleet:') });
      }, FLEET_REFRESH_MS);
    });
    const offSession = subscribe('session:changed', (s) => {
      if (s.state !== 'unlocked') useFleetUi.getState().reset();
    });
    return () => {
      offFleet();
      offSession();
      if (timer) clearTimeout(timer);
    };
  }, [queryClient]);
}
