// Progress of long jobs (keys:migrate) as pushed by jobs:progress events. The call that starts a job only answers
// when the job ends, so the latest event of each job kind is kept in the query cache, where the panel that started
// the job reads it while the call is pending.
import { useQuery, type QueryClient } from '@tanstack/react-query';
import type { JobProgress } from '../../../shared/contract.ts';

export const latestJobKey = (kind: string) => ['jobs:progress', kind] as const;

export function recordJobProgress(queryClient: QueryClient, progress: JobProgress): void {
  queryClient.setQueryData(latestJobKey(progress.kind), progress);
}

/** Forget the last job of this kind (before starting a new one). */
export function clearJobProgress(queryClient: QueryClient, kind: string): void {
  queryClient.setQueryData(latestJobKey(kind), null);
}

/** The latest progress event of one job kind, or null. */
export function useLatestJob(kind: string): JobProgress | null {
  const latest = useQuery<JobProgress | null>({
    queryKey: latestJobKey(kind),
    // Never fetched: only events fill this entry.
    queryFn: () => Promise.resolve(null),
    enabled: false,
    staleTime: Infinity,
  });
  return latest.data ?? null;
}
