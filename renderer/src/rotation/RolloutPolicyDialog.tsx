// The rollout policy on the Rotation screen (issue 13, docs/rotation.md "Rollout to robots"): the default policy (from
// the Rollout waves header) or one key's own (from its rollout row): the canary (named robots, a share of each site,
// the sites that share applies to), the failure threshold that halts a rollout, and how many previous versions stay
// valid and for how long. It says where the policy in force comes from (the key's own, the officer's default, or the
// built-in one). The main process checks every value (RolloutPolicySchema) and names the field it refuses; the
// refusal is shown in words beside that field. Only a field that is not a number at all is said here first.
import { useState } from 'react';
import Modal from '@cloudscape-design/components/modal';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import type { RolloutPolicy } from '../../../shared/rolloutContract.ts';
import { DialogFooter } from '../components/DialogFooter.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { formErrorText } from '../components/FormErrorText.tsx';
import { errorInWords } from '../components/errorWords.ts';
import { SubmitForm } from '../components/SubmitForm.tsx';
import { useChannelMutation, useChannelQuery, useQueryClient } from '../hooks/channelQuery.ts';
import { isNumberText } from './rotationFormat.ts';
import { useMayCall } from '../session/permissions.ts';

type Source = 'key' | 'default' | 'builtin';

const SOURCE_WORDS: Readonly<Record<Source, string>> = {
  key: "This key's own rollout policy.",
  default: 'The default rollout policy, set by an officer.',
  builtin: 'The built-in default: no officer has set a rollout policy.',
};

/** The policy's fields as the main process names them, with the labels shown beside them. */
const LABELS = {
  canaryRobots: 'Canary robots',
  canaryPercent: 'Canary share of each site (%)',
  canarySites: 'Sites the share applies to',
  maxFailureRatio: 'Failure threshold (0 to 1)',
  graceVersions: 'Previous versions kept valid',
  graceSeconds: 'Grace period (days)',
} as const;
type Field = keyof typeof LABELS;

interface Form {
  canaryRobots: string;
  canaryPercent: string;
  canarySites: string;
  maxFailureRatio: string;
  graceVersions: string;
  graceDays: string;
}

const DAY = 86_400;
const MAX_GRACE_DAYS = 3650;
const list = (text: string) => text.split(',').map((s) => s.trim()).filter((s) => s !== '');

function formOf(p: RolloutPolicy): Form {
  return {
    canaryRobots: p.canaryRobots.join(', '),
    canaryPercent: String(p.canaryPercent),
    canarySites: p.canarySites.join(', '),
    maxFailureRatio: String(p.maxFailureRatio),
    graceVersions: String(p.graceVersions),
    graceDays: String(p.graceSeconds / DAY),
  };
}

/** The form as a policy, or the fields that are not numbers at all. */
function policyOf(f: Form): { policy: RolloutPolicy | null; errors: Partial<Record<Field, string>> } {
  const errors: Partial<Record<Field, string>> = {};
  const num = (text: string, field: Field, what: string) => {
    if (isNumberText(text)) return Number(text);
    errors[field] = `Enter the ${what} as a number.`;
    return 0;
  };
  const policy: RolloutPolicy = {
    canaryRobots: list(f.canaryRobots),
    canaryPercent: num(f.canaryPercent, 'canaryPercent', 'canary share'),
    canarySites: list(f.canarySites),
    maxFailureRatio: num(f.maxFailureRatio, 'maxFailureRatio', 'failure threshold'),
    graceVersions: num(f.graceVersions, 'graceVersions', 'number of previous versions'),
    graceSeconds: Math.round(num(f.graceDays, 'graceSeconds', 'grace period in days') * DAY),
  };
  return { policy: Object.keys(errors).length > 0 ? null : policy, errors };
}

export function RolloutPolicyDialog({ keyId, keyLabel, onClose }: { keyId?: string; keyLabel?: string; onClose: (message: string | null) => void }) {
  // Read afresh at every opening (gcTime 0): what was saved is what the dialog shows next time.
  const current = useChannelQuery('rollout:getPolicy', keyId === undefined ? {} : { keyId }, { gcTime: 0, staleTime: 0 });
  const title = keyId === undefined ? 'Default rollout policy' : `Rollout policy of ${keyLabel ?? keyId}`;
  if (current.data) return <PolicyForm title={title} keyId={keyId} keyLabel={keyLabel} policy={current.data.policy} source={current.data.source} onClose={onClose} />;
  return (
    <Modal visible size="large" onDismiss={() => onClose(null)} header={title} footer={<DialogFooter onCancel={() => onClose(null)} />}>
      {current.isPending && <StatusIndicator type="loading">Loading the policy…</StatusIndicator>}
      <ErrorMessage error={current.error} />
    </Modal>
  );
}

function PolicyForm({ title, keyId, keyLabel, policy, source, onClose }: { title: string; keyId: string | undefined; keyLabel: string | undefined; policy: RolloutPolicy; source: Source; onClose: (message: string | null) => void }) {
  const [form, setForm] = useState<Form>(() => formOf(policy));
  const [local, setLocal] = useState<Partial<Record<Field, string>>>({});
  const queries = useQueryClient();
  const whose = keyId === undefined ? 'The default rollout policy' : `The rollout policy of ${keyLabel ?? keyId}`;
  const done = (message: string) => {
    void queries.invalidateQueries({ queryKey: ['rollout:getPolicy'] });
    onClose(message);
  };
  // Setting and clearing a rollout policy are the admin's: the others see the policy, without Save.
  const maySave = useMayCall('rollout:setPolicy');
  const save = useChannelMutation('rollout:setPolicy', () => done(`${whose} was saved.`));
  const clear = useChannelMutation('rollout:clearPolicy', (r) =>
    done(keyId === undefined ? 'The built-in rollout policy applies again.' : `${keyLabel ?? keyId} follows the ${r.source === 'default' ? 'default' : 'built-in'} rollout policy again.`),
  );
  const words = errorInWords(save.error ?? clear.error, LABELS);
  // The grace period is typed in days but checked in seconds: its refusal (only its upper limit: the form sends no
  // negative or fractional seconds) is said in days.
  const fieldError = (f: Field) => local[f] ?? (f === 'graceSeconds' && words.fields[f] ? `Must be at most ${MAX_GRACE_DAYS} days (10 years).` : words.fields[f]);
  const set = (patch: Partial<Form>) => setForm((x) => ({ ...x, ...patch }));
  const submit = () => {
    if (!maySave) return;
    save.reset();
    clear.reset();
    const { policy: next, errors } = policyOf(form);
    setLocal(errors);
    if (next) save.mutate(keyId === undefined ? { policy: next } : { keyId, policy: next });
  };
  const clearable = keyId === undefined ? source === 'default' : source === 'key';
  const busy = save.isPending || clear.isPending;

  const field = (f: Field, key: keyof Form, constraint: string, numeric = true) => (
    <FormField label={LABELS[f]} constraintText={constraint} errorText={fieldError(f)}>
      <Input value={form[key]} inputMode={numeric ? 'decimal' : 'text'} onChange={(e) => set({ [key]: e.detail.value })} ariaLabel={LABELS[f]} />
    </FormField>
  );

  return (
    <Modal
      visible
      size="large"
      onDismiss={() => onClose(null)}
      header={title}
      footer={
        <DialogFooter onCancel={() => onClose(null)}>
          {maySave && clearable && (
            <Button disabled={busy} loading={clear.isPending} onClick={() => clear.mutate(keyId === undefined ? {} : { keyId })}>
              {keyId === undefined ? 'Go back to the built-in policy' : "Remove this key's own policy"}
            </Button>
          )}
          {maySave && (
            <Button variant="primary" loading={save.isPending} disabled={busy} onClick={submit}>
              Save rollout policy
            </Button>
          )}
        </DialogFooter>
      }
    >
    <SubmitForm onSubmit={submit} errorText={formErrorText(words)}>
      <SpaceBetween size="m">
        <Box>
          <Box variant="awsui-key-label">In force now</Box>
          <span data-testid="rollout-policy-source">{SOURCE_WORDS[source]}</span>
          {keyId !== undefined && source !== 'key' && <Box variant="small">Saving gives this key its own policy; the default no longer applies to it.</Box>}
        </Box>
        <ColumnLayout columns={2}>
          {field('canaryRobots', 'canaryRobots', 'Device ids separated by commas; always in the first wave when they hold the key. At most 100.', false)}
          {field('canarySites', 'canarySites', 'Site names separated by commas; none = every site. At most 100.', false)}
          {field('canaryPercent', 'canaryPercent', '0 to 100; rounded up to whole robots per site.')}
          {field('maxFailureRatio', 'maxFailureRatio', 'The rollout halts when more than this share of the opened waves failed: 0.1 = 10 %.')}
          {field('graceVersions', 'graceVersions', 'A whole number from 0 to 100.')}
          {field('graceSeconds', 'graceDays', `How long a replaced version stays valid; at most ${MAX_GRACE_DAYS} days.`)}
        </ColumnLayout>
      </SpaceBetween>
    </SubmitForm>
    </Modal>
  );
}
