// The policy editor (a dialog): a key type's policy, or one key's own. The main process checks the policy and names
// the field it refuses; the error is shown next to that field in words. A field that is not a number at all is said
// here before anything is sent.
import { useState } from 'react';
import Modal from '@cloudscape-design/components/modal';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import RadioGroup from '@cloudscape-design/components/radio-group';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Header from '@cloudscape-design/components/header';
import type { KeyType } from '../../../shared/domain.ts';
import type { RotationPolicyView } from '../../../shared/rotationContract.ts';
import { call, isApiError } from '../api.ts';
import { errorWords, formFieldOf, formOf, policyOf, type FieldErrors, type PolicyForm, type WindowForm } from './rotationFormat.ts';
import { ApprovalRequestedDialog, requestedApproval } from '../components/ApprovalRequested.tsx';

export type PolicyTarget =
  | { kind: 'type'; type: KeyType; title: string; policy: RotationPolicyView }
  | { kind: 'key'; keyId: string; title: string; policy: RotationPolicyView; override: boolean };

const MAX_BLACKOUTS = 16;

export function PolicyEditor({ target, onClose }: { target: PolicyTarget; onClose: (saved: string | null) => void }) {
  const [form, setForm] = useState<PolicyForm>(() => formOf(target.policy));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<PolicyForm>) => setForm((f) => ({ ...f, ...patch }));

  // A policy that rotates less needs another operator's approval (rotation.lower): a request was made instead.
  const [requested, setRequested] = useState<string | null>(null);
  const refused = (e: unknown) => {
    const request = requestedApproval(e);
    if (request !== null) return setRequested(request);
    const field = isApiError(e) ? formFieldOf(e.details?.field) : null;
    const words = errorWords(e);
    if (field && field !== 'type' && field !== 'keyId') setErrors({ [field]: words });
    else setFormError(words);
  };

  const save = async () => {
    setErrors({});
    setFormError(null);
    const { policy, errors: local } = policyOf(form);
    if (!policy) {
      setErrors(local);
      return;
    }
    setBusy(true);
    try {
      if (target.kind === 'type') await call('rotation:setTypePolicy', { type: target.type, policy: policy as never });
      else await call('rotation:setKeyPolicy', { keyId: target.keyId, policy: policy as never });
      onClose(`The policy of ${target.title} was saved.`);
    } catch (e) {
      refused(e);
    } finally {
      setBusy(false);
    }
  };

  const removeOverride = async () => {
    if (target.kind !== 'key') return;
    setBusy(true);
    try {
      await call('rotation:clearKeyPolicy', { keyId: target.keyId });
      onClose(`The ${target.title} follows its type's policy again.`);
    } catch (e) {
      refused(e);
    } finally {
      setBusy(false);
    }
  };

  const windowFields = (w: WindowForm, field: string, label: string, onChange: (w: WindowForm) => void) => (
    <ColumnLayout columns={2}>
      <FormField label={`${label}: start (cron)`} description="minute hour day-of-month month day-of-week, e.g. 0 6 * * 1-5" errorText={errors[`${field}.cron`] ?? errors[field]}>
        <Input value={w.cron} onChange={(e) => onChange({ ...w, cron: e.detail.value })} ariaLabel={`${label}: start (cron)`} />
      </FormField>
      <FormField label={`${label}: duration in minutes`} errorText={errors[`${field}.durationMinutes`]}>
        <Input value={w.durationMinutes} inputMode="numeric" onChange={(e) => onChange({ ...w, durationMinutes: e.detail.value })} ariaLabel={`${label}: duration in minutes`} />
      </FormField>
    </ColumnLayout>
  );

  if (requested !== null) {
    return <ApprovalRequestedDialog header={`Rotation policy of ${target.title}`} what={`Lowering the rotation policy of ${target.title}`} requestId={requested} onClose={() => onClose(null)} />;
  }

  return (
    <Modal
      visible
      size="large"
      onDismiss={() => onClose(null)}
      header={`Rotation policy of ${target.title}`}
      footer={
        <Box float="right">
          <SpaceBetween direction="horizontal" size="xs">
            {target.kind === 'key' && target.override && (
              <Button disabled={busy} onClick={() => void removeOverride()}>
                Remove this key's own policy
              </Button>
            )}
            <Button variant="link" onClick={() => onClose(null)}>
              Cancel
            </Button>
            <Button variant="primary" loading={busy} onClick={() => void save()}>
              Save policy
            </Button>
          </SpaceBetween>
        </Box>
      }
    >
      <Form errorText={formError ?? undefined}>
        <SpaceBetween size="m">
          <FormField label="Mode" errorText={errors.mode}>
            <RadioGroup
              value={form.mode}
              onChange={(e) => set({ mode: e.detail.value as PolicyForm['mode'] })}
              items={[
                { value: 'scheduled', label: 'Scheduled', description: 'The console rotates the key every period.' },
                { value: 'manual', label: 'Manual', description: 'Only an officer (or the usage limit) rotates the key.' },
              ]}
            />
          </FormField>
          {target.kind === 'key' && (
            <FormField label="Who rotates" errorText={errors.driver} constraintText="The provider can rotate AWS KMS, Vault, Google Cloud KMS and Azure Key Vault keys on its own schedule; the console then sets and reads back that schedule.">
              <RadioGroup
                value={form.driver}
                onChange={(e) => set({ driver: e.detail.value as PolicyForm['driver'] })}
                items={[
                  { value: 'console', label: 'The console', description: 'The console\'s scheduler rotates the key in its windows.' },
                  { value: 'provider', label: 'The key\'s provider', description: 'No jitter or windows: the provider does not know them.' },
                ]}
              />
            </FormField>
          )}
          {form.mode === 'scheduled' && (
            <ColumnLayout columns={2}>
              <FormField label="Rotation period (hours)" constraintText="At least 1 hour. 24 = daily, 8760 = yearly." errorText={errors.periodSeconds}>
                <Input value={form.periodHours} inputMode="decimal" onChange={(e) => set({ periodHours: e.detail.value })} />
              </FormField>
              <FormField label="Jitter (seconds)" constraintText="0 to a tenth of the period; spreads keys made together." errorText={errors.jitterSeconds}>
                <Input value={form.jitterSeconds} inputMode="numeric" onChange={(e) => set({ jitterSeconds: e.detail.value })} />
              </FormField>
            </ColumnLayout>
          )}
          <ColumnLayout columns={2}>
            <FormField label="Usage limit (encryptions per version)" constraintText="At most 3,865,470,566; a warning at 80 %, rotation at the limit." errorText={errors.usageLimit}>
              <Input value={form.usageLimit} inputMode="numeric" onChange={(e) => set({ usageLimit: e.detail.value })} />
            </FormField>
            <FormField label="Time zone of the windows" constraintText="An IANA name such as Europe/Berlin or UTC." errorText={errors.timeZone}>
              <Input value={form.timeZone} onChange={(e) => set({ timeZone: e.detail.value })} />
            </FormField>
          </ColumnLayout>

          <Header variant="h3" description="When set, scheduled rotations start only inside it.">
            Maintenance window
          </Header>
          {form.maintenance ? (
            <SpaceBetween size="xs">
              {windowFields(form.maintenance, 'maintenanceWindow', 'Maintenance window', (w) => set({ maintenance: w }))}
              <Button onClick={() => set({ maintenance: null })}>Remove the maintenance window</Button>
            </SpaceBetween>
          ) : (
            <Button onClick={() => set({ maintenance: { cron: '0 2 * * *', durationMinutes: '120' } })}>Add a maintenance window</Button>
          )}

          <Header variant="h3" description="Scheduled rotations never start inside these, e.g. a factory's production hours.">
            Blackout windows
          </Header>
          {errors.blackoutWindows && <Box color="text-status-error">{errors.blackoutWindows}</Box>}
          {form.blackouts.map((w, i) => (
            <SpaceBetween size="xs" key={i}>
              {windowFields(w, `blackoutWindows[${i}]`, `Blackout window ${i + 1}`, (next) => set({ blackouts: form.blackouts.map((x, j) => (j === i ? next : x)) }))}
              <Button ariaLabel={`Remove blackout window ${i + 1}`} onClick={() => set({ blackouts: form.blackouts.filter((_, j) => j !== i) })}>
                Remove
              </Button>
            </SpaceBetween>
          ))}
          <Button disabled={form.blackouts.length >= MAX_BLACKOUTS} onClick={() => set({ blackouts: [...form.blackouts, { cron: '0 6 * * 1-5', durationMinutes: '600' }] })}>
            Add a blackout window
          </Button>
        </SpaceBetween>
      </Form>
    </Modal>
  );
}
