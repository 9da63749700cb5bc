// What the robot and site key-assignment views share: the keys that can be assigned (active AES-256 keys of the type
// whose material is in this store), a select + Apply for one (scope, type), and the refresh when keys change (a key
// compromised elsewhere turns an assignment broken, and the views must say so at once).
import { useEffect, useState } from 'react';
import type { KeySummary } from '../../../shared/contract.ts';
import type { AssignableKeyType, KeyAssignment, KeyAssignmentScope } from '../../../shared/fleetContract.ts';
import { subscribe } from '../api.ts';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useChannelMutation, useChannelQuery, useQueryClient } from '../hooks/channelQuery.ts';
import { useMayCall } from '../session/permissions.ts';

const ASSIGNMENT_QUERIES = ['fleet:keyAssignments', 'fleet:siteKeyAssignments'] as const;

/** Refetches the assignment views when a key changes (state, rotation) or an assignment was just applied. */
export function useKeyAssignmentRefresh(): () => void {
  const queryClient = useQueryClient();
  const refresh = () => {
    for (const q of ASSIGNMENT_QUERIES) void queryClient.invalidateQueries({ queryKey: [q] });
  };
  useEffect(
    () =>
      subscribe('keys:changed', () => {
        for (const q of ASSIGNMENT_QUERIES) void queryClient.invalidateQueries({ queryKey: [q] });
      }),
    [queryClient],
  );
  return refresh;
}

/** Keys the main process would accept for an assignment of this type (it checks again). */
export function useAssignableKeys(): { keys: KeySummary[]; error: unknown } {
  const list = useChannelQuery('keys:list', { state: 'active' });
  return { keys: (list.data?.keys ?? []).filter((k) => k.algorithm === 'AES_256' && !k.kmsBacked), error: list.error };
}

export const keyOptionText = (k: { label: string; currentVersion: number }) => `${k.label} (v${k.currentVersion})`;

const NONE = '';

interface KeyChoiceProps {
  scope: KeyAssignmentScope;
  scopeId: string;
  keyType: AssignableKeyType;
  /** The scope's own row for this type, or null. Give the component key={current?.keyId ?? 'none'} so it resets. */
  current: KeyAssignment | null;
  keys: KeySummary[];
  /** Accessible name of the select, e.g. "Robot communication key". */
  label: string;
  noneText: string;
  onApplied(): void;
}

/** A select of assignable keys of one type (or none) and an Apply button: assigns, replaces or clears the row. */
export function KeyChoice({ scope, scopeId, keyType, current, keys, label, noneText, onApplied }: KeyChoiceProps) {
  const [choice, setChoice] = useState<string>(current?.keyId ?? NONE);
  const assign = useChannelMutation('fleet:assignKey', onApplied);
  const clear = useChannelMutation('fleet:clearKeyAssignment', onApplied);
  // Assigning is the station operator's (fleet:assignKey, fleet:clearKeyAssignment): the others read the choice.
  const mayAssign = useMayCall('fleet:assignKey');
  const ofType = keys.filter((k) => k.type === keyType);
  // A broken assigned key is no longer offered, but it is still what the row names: show it as the current choice.
  const stale = current && !ofType.some((k) => k.id === current.keyId) ? current : null;
  const unchanged = choice === (current?.keyId ?? NONE);
  const pending = assign.isPending || clear.isPending;
  const apply = () => {
    if (choice === NONE) clear.mutate({ scope, scopeId, keyType });
    else assign.mutate({ scope, scopeId, keyType, keyId: choice });
  };
  const options: SelectProps.Option[] = [
    { value: NONE, label: noneText },
    ...(stale ? [{ value: stale.keyId, label: `${stale.keyLabel ?? stale.keyId} (${stale.keyState ?? 'missing'})`, disabled: true }] : []),
    ...ofType.map((k) => ({ value: k.id, label: keyOptionText(k) })),
  ];
  if (!mayAssign) return <span aria-label={label}>{current ? (current.keyLabel ?? current.keyId) : noneText}</span>;
  return (
    <SpaceBetween size="xxs">
      <SpaceBetween size="xs" direction="horizontal" alignItems="center">
        <Select
          ariaLabel={label}
          selectedOption={options.find((o) => o.value === choice) ?? null}
          options={options}
          onChange={(e) => setChoice(e.detail.selectedOption.value ?? NONE)}
        />
        <Button ariaLabel={`Apply ${label.toLowerCase()}`} disabled={unchanged || pending} loading={pending} onClick={apply}>
          Apply
        </Button>
      </SpaceBetween>
      <ErrorMessage error={assign.error ?? clear.error} />
    </SpaceBetween>
  );
}
