// Robots a forced retirement left holding a retired key version (rollout:needsVisit, docs/rotation.md): someone must
// visit them with a key bundle. The Fleet table marks them and the robot panel says which key, version and why.
import { useMemo } from 'react';
import type { z } from 'zod';
import type { VisitSchema } from '../../../shared/rolloutContract.ts';
import { useChannelQuery } from '../hooks/channelQuery.ts';

export type Visit = z.infer<typeof VisitSchema>;

/** The flagged robots, by device id (a robot may be flagged for several keys). */
export function useNeedsVisit(): { byRobot: ReadonlyMap<string, readonly Visit[]>; error: unknown } {
  const q = useChannelQuery('rollout:needsVisit', {});
  const byRobot = useMemo(() => {
    const m = new Map<string, Visit[]>();
    for (const v of q.data?.robots ?? []) m.set(v.deviceId, [...(m.get(v.deviceId) ?? []), v]);
    return m;
  }, [q.data]);
  return { byRobot, error: q.error };
}
