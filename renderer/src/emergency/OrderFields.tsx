// The fields of a lockdown order (what robots must do, the keys to wipe, the message for robots' operators, how long
// it is valid, the mode for robots that cannot be reached), each with its error in words beside it: the playbook's
// lockdown action and the "Issue a lockdown order" dialog both ask them here.
import SpaceBetween from '@cloudscape-design/components/space-between';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import RadioGroup from '@cloudscape-design/components/radio-group';
import Checkbox from '@cloudscape-design/components/checkbox';
import { LOCKDOWN_ACTION_NAMES } from '../../../shared/emergencyContract.ts';
import { MAX_HOURS, toggle, type OrderAction, type OrderErrors, type OrderSettings } from './orderForm.ts';

export const ORDER_ACTION_LABELS: Readonly<Record<OrderAction, string>> = {
  stop_operating: 'Stop operating',
  safe_mode: 'Safe mode',
  refuse_revoked_peers: 'Refuse peers with revoked certificates',
  wipe_keys: 'Wipe listed keys',
  distrust_ca: 'Stop trusting a fleet CA',
};

/** `withActions` false (a lift) leaves out what robots must do and the keys to wipe. */
export function OrderFields<T extends OrderSettings>({ p, set, errors, withActions = true }: { p: T; set(p: T): void; errors: OrderErrors; withActions?: boolean }) {
  return (
    <SpaceBetween size="m">
      {withActions && (
        <FormField label="What robots must do" errorText={errors.orderActions}>
          <SpaceBetween size="xxs">
            {LOCKDOWN_ACTION_NAMES.filter((a) => a !== 'distrust_ca').map((a) => (
              <Checkbox key={a} checked={p.orderActions.includes(a)} onChange={(e) => set({ ...p, orderActions: toggle(p.orderActions, a, e.detail.checked) })}>
                {ORDER_ACTION_LABELS[a]}
              </Checkbox>
            ))}
          </SpaceBetween>
        </FormField>
      )}
      {withActions && p.orderActions.includes('wipe_keys') && (
        <FormField label="Key ids to wipe" description="Separated by commas or spaces." errorText={errors.wipeKeys}>
          <Input value={p.wipeKeys} onChange={(e) => set({ ...p, wipeKeys: e.detail.value })} />
        </FormField>
      )}
      <FormField label="Message shown to robots' operators" description="Empty: the reason below." errorText={errors.message} constraintText="Up to 500 characters.">
        <Input value={p.message} onChange={(e) => set({ ...p, message: e.detail.value })} />
      </FormField>
      <FormField label="Valid for (hours)" errorText={errors.hours} constraintText={`Up to ${MAX_HOURS} hours (90 days).`}>
        <Input type="number" value={p.hours} onChange={(e) => set({ ...p, hours: e.detail.value })} />
      </FormField>
      <FormField label="Robots that cannot be reached">
        <RadioGroup
          value={p.mode}
          onChange={(e) => set({ ...p, mode: e.detail.value as OrderSettings['mode'] })}
          items={[
            { value: 'strict', label: 'Strict', description: 'Treat a robot whose state is unknown as locked.' },
            { value: 'best_effort', label: 'Best effort', description: 'Robots learn of it when they are reached.' },
          ]}
        />
      </FormField>
    </SpaceBetween>
  );
}
