import { memo } from 'react';
import type { RobotSummary } from '../../../shared/fleetContract.ts';
import { formatTime } from '../format.ts';
import { StatusBadge } from './StatusBadge.tsx';

export const FLEET_COLUMNS = [
  { id: 'deviceId', label: 'Device id', sortable: true },
  { id: 'name', label: 'Name', sortable: true },
  { id: 'model', label: 'Model', sortable: true },
  { id: 'site', label: 'Site', sortable: true },
  { id: 'firmware', label: 'Firmware', sortable: true },
  { id: 'tags', label: 'Tags', sortable: false },
  { id: 'status', label: 'Status', sortable: true },
  { id: 'lastSeen', label: 'Last seen', sortable: true },
] as const;

interface FleetRowProps {
  index: number;
  top: number;
  height: number;
  robot: RobotSummary | undefined;
  onOpen(deviceId: string): void;
}

export const FleetRow = memo(function FleetRow({ index, top, height, robot, onOpen }: FleetRowProps) {
  const style = { transform: `translateY(${top}px)`, height };
  if (!robot) {
    return (
      <div role="row" aria-rowindex={index + 2} className="vrow vrow-abs loading" style={style}>
        <div role="cell" className="vcell">
          Loading…
        </div>
      </div>
    );
  }
  const tags = robot.tags.join(', ');
  return (
    <div role="row" aria-rowindex={index + 2} className="vrow vrow-abs" style={style} data-device-id={robot.deviceId}>
      <div role="cell" className="vcell fcol-deviceId">
        <button type="button" className="link" onClick={() => onOpen(robot.deviceId)}>
          {robot.deviceId}
        </button>
      </div>
      <div role="cell" className="vcell fcol-name" title={robot.name}>
        {robot.name}
      </div>
      <div role="cell" className="vcell fcol-model">
        {robot.model}
      </div>
      <div role="cell" className="vcell fcol-site">
        {robot.site}
      </div>
      <div role="cell" className="vcell fcol-firmware">
        {robot.firmware || '—'}
      </div>
      <div role="cell" className="vcell fcol-tags" title={tags}>
        {tags || '—'}
      </div>
      <div role="cell" className="vcell fcol-status">
        <StatusBadge status={robot.status} />
      </div>
      <div role="cell" className="vcell fcol-lastSeen">
        {formatTime(robot.lastSeen)}
      </div>
    </div>
  );
});
