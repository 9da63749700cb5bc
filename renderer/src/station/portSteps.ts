// The step chips of a station port (docs/station.md, "Screens"): which steps its row shows and the state of each.
import { DISTRIBUTE_STEPS, PROVISION_STEPS, type StationMode, type StationPort, type StationStep } from '../../../shared/stationContract.ts';

const STEPS_OF: Record<StationMode, readonly StationStep[]> = { provision: PROVISION_STEPS, distribute: DISTRIBUTE_STEPS };

export type StepState = 'done' | 'current' | 'failed' | 'pending';

/**
 * The chips of a port: its mode's steps, and after `hello` in a distribution: `reissue` when it re-issues the robot's
 * certificate (it reached that step), then `orders` when it sends orders or a CRL (it is at that step, the robot
 * answered some, or some were pending and never sent because the session failed first).
 */
export function stepsOf(p: StationPort): readonly StationStep[] {
  const steps = STEPS_OF[p.mode];
  if (p.mode !== 'distribute') return steps;
  const extra: StationStep[] = [];
  if (p.reissued || p.step === 'reissue') extra.push('reissue');
  if (p.step === 'orders' || p.orders.length > 0 || p.notSent.length > 0) extra.push('orders');
  return [steps[0] as StationStep, ...extra, ...steps.slice(1)];
}

/** Steps before the port's current one are done, the current one is current (or failed), the rest pending; all done once the port is. */
export function stepState(port: StationPort, steps: readonly StationStep[], index: number): StepState {
  const at = steps.indexOf(port.step);
  if (port.state === 'done' || index < at) return 'done';
  if (index === at) return port.state === 'failed' ? 'failed' : 'current';
  return 'pending';
}
