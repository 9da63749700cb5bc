// The open robot's detail in the shell's AppLayout split panel (issue 12: details beside the list, not below a tall
// table). The Fleet screen puts it in the shell's one split-panel slot (shell/splitPanel.ts) like Keys and Providers
// do; closing the panel closes the robot (and the URL stops naming it). "Change status…" opens its dialog from the panel's header.
import { useCallback, useEffect, useRef, useState } from 'react';
import SplitPanel from '@cloudscape-design/components/split-panel';
import Button from '@cloudscape-design/components/button';
import { ROBOT_TRANSITIONS } from '../../../shared/domain.ts';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { RobotDetailPanel } from './RobotDetailPanel.tsx';
import { RobotStatusDialog } from './RobotStatusDialog.tsx';
import { mayCall, useSessionRole } from '../session/permissions.ts';

const I18N = {
  closeButtonAriaLabel: 'Close robot details',
  openButtonAriaLabel: 'Open robot details',
  preferencesTitle: 'Panel preferences',
  preferencesPositionLabel: 'Panel position',
  preferencesPositionDescription: 'Show the robot details below the table or beside it.',
  preferencesPositionSide: 'Beside',
  preferencesPositionBottom: 'Below',
  preferencesConfirm: 'Confirm',
  preferencesCancel: 'Cancel',
  preferencesCloseAriaLabel: 'Close preferences',
  resizeHandleAriaLabel: 'Resize robot details',
  resizeHandleTooltipText: 'Drag or use the arrow keys to resize',
};

export function RobotPanel({ deviceId }: { deviceId: string }) {
  const robot = useChannelQuery('fleet:get', { deviceId });
  const [statusOpen, setStatusOpen] = useState(false);
  const closeStatus = useCallback(() => setStatusOpen(false), []);
  const headingRef = useRef<HTMLDivElement>(null);
  // Opening a robot moves focus into its panel, so a keyboard user is at its top, not 50 rows away from it.
  useEffect(() => {
    const frame = requestAnimationFrame(() => {
      // The split panel's own region (labelled by its header "Robot <id>") is what takes focus.
      const region = headingRef.current?.closest<HTMLElement>('[role=region]');
      if (!region) return;
      if (!region.hasAttribute('tabindex')) region.setAttribute('tabindex', '-1');
      region.focus({ preventScroll: true });
    });
    return () => cancelAnimationFrame(frame);
  }, [deviceId]);
  // Shown when the role may make at least one of the robot's transitions (the dialog offers only those).
  const role = useSessionRole((s) => s.role);
  const canChange = robot.data && ROBOT_TRANSITIONS[robot.data.status].some((s) => mayCall(role, 'fleet:setStatus', { status: s }));
  return (
    <SplitPanel
      header={`Robot ${deviceId}`}
      i18nStrings={I18N}
      closeBehavior="hide"
      headerActions={canChange ? <Button onClick={() => setStatusOpen(true)}>Change status…</Button> : undefined}
    >
      <div ref={headingRef}>
        <RobotDetailPanel key={deviceId} deviceId={deviceId} />
      </div>
      {statusOpen && robot.data && <RobotStatusDialog robot={robot.data} onClose={closeStatus} />}
    </SplitPanel>
  );
}
