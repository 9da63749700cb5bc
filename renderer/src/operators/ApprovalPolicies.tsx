// Approval policies per guarded action (docs/two-person-control.md "Policies"): M (approvals from operators other
// than the requester), who may approve (roles, or operators by name) and how long a request stays open. Raising a
// policy applies at once; lowering one (fewer approvals, more approvers, longer life) becomes an approval request
// under the action's current policy, shown in place of the form.
import { useState } from 'react';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Checkbox from '@cloudscape-design/components/checkbox';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import Multiselect from '@cloudscape-design/components/multiselect';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import { APPROVAL_ACTION_LABELS, ApprovalPolicy, MAX_APPROVALS, MAX_TTL_SECONDS, MIN_TTL_SECONDS, type ApprovalPolicyView } from '../../../shared/approvalsContract.ts';
import { OPERATOR_ROLES, ROLE_LABELS } from '../../../shared/operatorsContract.ts';
import { useChannelMutation, useChannelQuery, useQueryClient } from '../hooks/channelQuery.ts';
import { ActionModal } from '../components/ActionModal.tsx';
import { SubmitForm } from '../components/SubmitForm.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { errorInWords } from '../components/errorWords.ts';
import { formErrorText } from '../components/FormErrorText.tsx';
import { ApprovalRequestedDialog, requestedApproval } from '../components/ApprovalRequested.tsx';
import { fieldErrorsOf } from '../fleet/fieldErrors.ts';
import { formatTime } from '../format.ts';
import { formOfPolicy, lifetimeInWords, policyOfForm, type PolicyFormValues } from './policyForm.ts';

type PolicyField = 'approvals' | 'roles' | 'operators' | 'ttlSeconds';
const POLICY_FIELDS: readonly PolicyField[] = ['approvals', 'roles', 'operators', 'ttlSeconds'];
const POLICY_LABELS = { approvals: 'Approvals needed', roles: 'Roles that may approve', operators: 'Operators who may approve by name', ttlSeconds: 'Request lifetime (minutes)' };
const FIELD_WORDS: Readonly<Record<PolicyField, string>> = {
  approvals: `A whole number from 0 to ${MAX_APPROVALS}.`,
  roles: 'At most five roles.',
  operators: 'Operator names only, at most 50.',
  ttlSeconds: `A whole number of minutes from ${MIN_TTL_SECONDS / 60} to ${MAX_TTL_SECONDS / 60} (30 days).`,
};

const approversOf = (p: ApprovalPolicyView) => [...p.roles.map((r) => ROLE_LABELS[r]), ...p.operators].join(', ') || 'nobody';

function EditPolicyDialog({ policy, onClose }: { policy: ApprovalPolicyView; onClose(): void }) {
  const queryClient = useQueryClient();
  const names = useChannelQuery('operators:list', {}).data?.operators.map((o) => o.name) ?? [];
  const [form, setForm] = useState<PolicyFormValues>(() => formOfPolicy(policy));
  const [checked, setChecked] = useState<Partial<Record<PolicyField, string>>>({});
  const set = useChannelMutation('approvals:setPolicy', () => {
    void queryClient.invalidateQueries({ queryKey: ['approvals:policies'] });
    onClose();
  });
  const header = `Approval policy: ${APPROVAL_ACTION_LABELS[policy.action]}`;
  const requested = requestedApproval(set.error);
  if (requested !== null) return <ApprovalRequestedDialog header={header} what="Lowering this approval policy" requestId={requested} onClose={onClose} />;
  const words = errorInWords(set.error, POLICY_LABELS);
  const fieldError = (f: PolicyField) => checked[f] ?? words.fields[f];

  function submit() {
    if (set.isPending) return;
    const next = policyOfForm(policy.action, form);
    const { errors } = fieldErrorsOf(ApprovalPolicy, next, POLICY_FIELDS);
    const problems = Object.fromEntries(Object.keys(errors).map((f) => [f, FIELD_WORDS[f as PolicyField]]));
    setChecked(problems);
    if (Object.keys(problems).length === 0) set.mutate({ policy: next });
  }

  return (
    <ActionModal
      header={header}
      onClose={onClose}
      actions={
          <Button variant="primary" onClick={submit} loading={set.isPending}>
            Save policy
          </Button>
      }
    >
      <SubmitForm onSubmit={submit} errorText={formErrorText(words)}>
        <SpaceBetween size="m">
          <Box>
            Raising the policy applies at once. Lowering it (fewer approvals, more people who may approve, or a longer request life) makes an approval
            request under the current policy.
          </Box>
          <FormField label="Approvals needed" description="From operators other than the requester; 0 lets the action run at once." errorText={fieldError('approvals')}>
            <Input type="number" inputMode="numeric" value={form.approvals} onChange={(e) => setForm({ ...form, approvals: e.detail.value })} invalid={!!fieldError('approvals')} />
          </FormField>
          <FormField label="Roles that may approve" errorText={fieldError('roles')}>
            <SpaceBetween size="xxs">
              {OPERATOR_ROLES.map((r) => (
                <Checkbox
                  key={r}
                  checked={form.roles.includes(r)}
                  onChange={(e) => setForm({ ...form, roles: e.detail.checked ? [...form.roles, r] : form.roles.filter((x) => x !== r) })}
                >
                  {ROLE_LABELS[r]}
                </Checkbox>
              ))}
            </SpaceBetween>
          </FormField>
          <FormField label="Operators who may approve by name" description="In addition to the roles above." errorText={fieldError('operators')}>
            <Multiselect
              selectedOptions={form.operators.map((n) => ({ value: n, label: n }))}
              options={[...new Set([...names, ...form.operators])].map((n) => ({ value: n, label: n }))}
              onChange={(e) => setForm({ ...form, operators: e.detail.selectedOptions.map((o) => o.value ?? '').filter((n) => n !== '') })}
              placeholder="Choose operators"
              ariaLabel="Operators who may approve by name"
              deselectAriaLabel={(o) => `Remove ${o.label ?? ''}`}
            />
          </FormField>
          <FormField label="Request lifetime (minutes)" description="How long a request stays open for approval." errorText={fieldError('ttlSeconds')}>
            <Input type="number" inputMode="numeric" value={form.ttlMinutes} onChange={(e) => setForm({ ...form, ttlMinutes: e.detail.value })} invalid={!!fieldError('ttlSeconds')} />
          </FormField>
        </SpaceBetween>
      </SubmitForm>
    </ActionModal>
  );
}

export function ApprovalPolicies() {
  const policies = useChannelQuery('approvals:policies', {});
  const [selected, setSelected] = useState<ApprovalPolicyView | null>(null);
  const [editing, setEditing] = useState<ApprovalPolicyView | null>(null);
  const items = policies.data?.policies ?? [];
  const current = selected ? (items.find((p) => p.action === selected.action) ?? null) : null;
  return (
    <SpaceBetween size="s">
      <Table
        header={
          <Header
            variant="h2"
            description="Who must approve the actions that cannot be undone, and how many of them."
            actions={
              <Button disabled={!current} onClick={() => current && setEditing(current)}>
                Edit policy…
              </Button>
            }
          >
            Approval policies
          </Header>
        }
        loading={policies.isPending}
        loadingText="Loading approval policies"
        items={items}
        trackBy="action"
        selectionType="single"
        selectedItems={current ? [current] : []}
        onSelectionChange={(e) => setSelected(e.detail.selectedItems[0] ?? null)}
        ariaLabels={{ itemSelectionLabel: (_s, p) => APPROVAL_ACTION_LABELS[p.action], allItemsSelectionLabel: () => 'all', selectionGroupLabel: 'Policies' }}
        empty={<Box textAlign="center">No guarded actions.</Box>}
        columnDefinitions={[
          { id: 'action', header: 'Action', cell: (p) => APPROVAL_ACTION_LABELS[p.action] },
          { id: 'approvals', header: 'Approvals needed', cell: (p) => (p.approvals === 0 ? 'None (runs at once)' : String(p.approvals)) },
          { id: 'approvers', header: 'Who may approve', cell: approversOf },
          { id: 'ttl', header: 'Request lifetime', cell: (p) => lifetimeInWords(p.ttlSeconds) },
          { id: 'changed', header: 'Changed', cell: (p) => (p.updatedAt ? `${formatTime(p.updatedAt)} by ${p.updatedBy ?? '?'}` : 'Default') },
        ]}
      />
      <ErrorMessage error={policies.error} />
      {editing && <EditPolicyDialog policy={editing} onClose={() => setEditing(null)} />}
    </SpaceBetween>
  );
}
