import StatusIndicator, { type StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';
import type { RobotStatus } from '../../../shared/domain.ts';

/** How a robot status looks everywhere (dashboard, table, detail): the states an officer must act on stand out. */
export const ROBOT_STATUS_LOOK: Readonly<Record<RobotStatus, StatusIndicatorProps.Type>> = {
  manufactured: 'pending',
  provisioned: 'info',
  deployed: 'success',
  quarantined: 'warning',
  revoked: 'error',
  decommissioned: 'stopped',
};

export function RobotStatusIndicator({ status }: { status: RobotStatus }) {
  return <StatusIndicator type={ROBOT_STATUS_LOOK[status]}>{status}</StatusIndicator>;
}
