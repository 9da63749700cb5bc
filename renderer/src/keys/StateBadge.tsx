import StatusIndicator, { type StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';
import { KEY_STATE_LABELS, type KeyState } from '../../../shared/domain.ts';

/** How a key state looks: the states an officer must act on stand out (error, warning). */
const LOOK: Readonly<Record<KeyState, StatusIndicatorProps.Type>> = {
  pre_activation: 'pending',
  active: 'success',
  suspended: 'warning',
  deactivated: 'stopped',
  compromised: 'error',
  destroyed: 'stopped',
};

export function StateBadge({ state }: { state: KeyState }) {
  return <StatusIndicator type={LOOK[state]}>{KEY_STATE_LABELS[state]}</StatusIndicator>;
}
