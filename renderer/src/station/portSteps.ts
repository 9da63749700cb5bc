// The step chips of a station port (docs/station.md, "Screens"): which steps its row shows and the state of each.
import { DISTRIBUTE_STEPS, PROVISION_STEPS, type StationMode, type StationPort, type StationStep } from '../../../shared/stationContract.ts';

const STEPS_OF: Record<StationMode, readonly StationStep[]> = { provision: PROVISION_STEPS, distribute: DISTRIBUTE_STEPS };

export type StepState = 'done' | 'current' | 'failed' | 'pending';

/**
 * The chips of a port: its mode's steps, with `orders` after `hello` when this distribution sends orders or a CRL (it
 * is at that step, or the robot answered some). The transient `reissue` step has no chip.
 */
export function stepsOf(p: StationPort): readonly StationStep[] {
  const steps = STEPS_OF[p.mode];
  if (p.mode !== 'distribute' || (p.step !== 'orders' && p.orders.length === 0)) return steps;
  return [steps[0] as StationStep, 'orders', ...steps.slice(1)];
}

/** Steps before the port's current one are done, the current one is current (or failed), the rest pending; all done once the port is. */
export function stepState(port: StationPort, steps: readonly StationStep[], index: number): StepState {
  const at = steps.indexOf(port.step);
  if (port.state === 'done' || index < at) return 'done';
  if (index === at) return port.state === 'failed' ? 'failed' : 'current';
  return 'pending';
}
