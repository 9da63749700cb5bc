import { KEY_STATE_LABELS, type KeyState } from '../../../shared/domain.ts';

export function StateBadge({ state }: { state: KeyState }) {
  return <span className={`state state-${state}`}>{KEY_STATE_LABELS[state]}</span>;
}
