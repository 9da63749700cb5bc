import type { RobotStatus } from '../../../shared/domain.ts';

export function StatusBadge({ status }: { status: RobotStatus }) {
  return <span className={`robot-status robot-status-${status}`}>{status}</span>;
}
