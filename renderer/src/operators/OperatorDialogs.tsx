// The Operators screen's dialogs (docs/operators.md): add an operator (first passphrase typed twice, cleared from the
// form once sent), change a role, remove one (wipes their key slot), reset their second factor. Making an admin is
// guarded (two-person control): the main process answers with an approval request, shown in place of the form.
import { useState } from 'react';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import RadioGroup from '@cloudscape-design/components/radio-group';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Alert from '@cloudscape-design/components/alert';
import { contract } from '../../../shared/contract.ts';
import { formatTime } from '../format.ts';
import { OPERATOR_ROLES, ROLE_LABELS, roleHas, type OperatorInfo, type OperatorRole } from '../../../shared/operatorsContract.ts';
import { useChannelMutation, useQueryClient } from '../hooks/channelQuery.ts';
import { ActionModal } from '../components/ActionModal.tsx';
import { SubmitForm } from '../components/SubmitForm.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { errorInWords } from '../components/errorWords.ts';
import { formErrorText } from '../components/FormErrorText.tsx';
import { ApprovalRequestedDialog, requestedApproval } from '../components/ApprovalRequested.tsx';
import { fieldErrorsOf, type FieldErrors } from '../fleet/fieldErrors.ts';
import { CONFIRMATION_MISMATCH, PASSPHRASE_TOO_SHORT } from '../session/sessionFields.ts';
import { MIN_PASSPHRASE_CHARS, passphraseLength } from '../../../shared/domain.ts';

/** What each role may do, in a line (shared/operatorsContract.ts ROLE_PERMISSIONS). */
export const ROLE_DESCRIPTIONS: Readonly<Record<OperatorRole, string>> = {
  viewer: 'Reads everything, changes nothing.',
  station_operator: 'Provisioning and key distribution.',
  key_custodian: 'Keys, rotation and the providers’ keys.',
  security_officer: 'Revocation, compromise, the fleet CA, lockdown, reports.',
  admin: 'Everything, with operators, providers and policies. Making an admin or anyone who can approve, removing an approver, or changing a role so it approves less needs another approver’s approval.',
};

const ROLE_ITEMS = OPERATOR_ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r], description: ROLE_DESCRIPTIONS[r] }));

/** A mutation of this screen's dialogs: on success the operators are fetched again and the dialog closes. */
function useOperatorChange<C extends 'operators:add' | 'operators:setRole' | 'operators:remove' | 'operators:resetTotp'>(channel: C, onClose: () => void) {
  const queryClient = useQueryClient();
  return useChannelMutation(channel, () => {
    void queryClient.invalidateQueries({ queryKey: ['operators:list'] });
    onClose();
  });
}

type AddField = 'name' | 'role' | 'passphrase';
const ADD_FIELDS: readonly AddField[] = ['name', 'role', 'passphrase'];
const ADD_LABELS = { name: 'Name', role: 'Role', passphrase: 'First passphrase' };

export function AddOperatorDialog({ onClose }: { onClose(): void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<OperatorRole>('viewer');
  const [passphrase, setPassphrase] = useState('');
  const [again, setAgain] = useState('');
  const [checked, setChecked] = useState<FieldErrors<AddField | 'again'>>({});
  const add = useOperatorChange('operators:add', onClose);
  const requested = requestedApproval(add.error);
  if (requested !== null) {
    return <ApprovalRequestedDialog header="Add operator" what={`Adding ${name.trim()} as ${ROLE_LABELS[role]}`} requestId={requested} onClose={onClose} />;
  }
  const words = errorInWords(add.error, ADD_LABELS);

  function submit() {
    if (add.isPending) return;
    const input = { name: name.trim(), role, passphrase };
    const { errors } = fieldErrorsOf(contract['operators:add'].input, input, ADD_FIELDS);
    const problems: FieldErrors<AddField | 'again'> = {
      ...errors,
      ...(passphraseLength(passphrase) < MIN_PASSPHRASE_CHARS ? { passphrase: PASSPHRASE_TOO_SHORT } : {}),
      ...(again !== passphrase ? { again: CONFIRMATION_MISMATCH } : {}),
    };
    setChecked(problems);
    if (Object.keys(problems).length > 0) return;
    // The passphrase leaves the form as it is sent: a refusal asks for it again.
    setPassphrase('');
    setAgain('');
    add.mutate(input);
  }

  return (
    <ActionModal
      header="Add operator"
      onClose={onClose}
      actions={
          <Button variant="primary" onClick={submit} loading={add.isPending} loadingText="Adding the operator">
            Add operator
          </Button>
      }
    >
      <SubmitForm onSubmit={submit} errorText={formErrorText(words)}>
        <SpaceBetween size="m">
          <FormField label="Name" description="What they type to sign in: letters, digits, spaces and . _ @ - (at most 64)." errorText={checked.name ?? words.fields.name}>
            <Input value={name} onChange={(e) => setName(e.detail.value)} invalid={!!(checked.name ?? words.fields.name)} autoComplete={false} />
          </FormField>
          <FormField label="Role" errorText={checked.role ?? words.fields.role}>
            <RadioGroup value={role} onChange={(e) => setRole(e.detail.value as OperatorRole)} items={ROLE_ITEMS} />
          </FormField>
          <FormField label="First passphrase" description="At least 12 characters; tell it to them in person. They can change it once signed in." errorText={checked.passphrase ?? words.fields.passphrase}>
            <Input type="password" value={passphrase} onChange={(e) => setPassphrase(e.detail.value)} invalid={!!(checked.passphrase ?? words.fields.passphrase)} autoComplete={false} />
          </FormField>
          <FormField label="First passphrase again" errorText={checked.again}>
            <Input type="password" value={again} onChange={(e) => setAgain(e.detail.value)} invalid={!!checked.again} autoComplete={false} />
          </FormField>
        </SpaceBetween>
      </SubmitForm>
    </ActionModal>
  );
}

/**
 * The incident kits the operator still holds (operators:list's openKits): removing them or taking `security` away does
 * not stop a kit, which is offline (docs/incident-kit.md "Roles in the offline console"), so the officer is told first.
 */
function OpenKitsWarning({ operator }: { operator: OperatorInfo }) {
  const kits = operator.openKits ?? [];
  if (kits.length === 0) return null;
  return (
    <Alert type="warning" header={`${operator.name} holds ${kits.length === 1 ? 'an incident kit' : `${kits.length} incident kits`}`} statusIconAriaLabel="Warning">
      The kit is offline and cannot learn of this change: {operator.name} can still open it and use its lockdown orders until they expire or run out.
      Importing it reports what was done after the change as conflicts.
      <ul>
        {kits.map((k) => (
          <li key={k.kitId}>{`Kit ${k.kitId}, exported ${formatTime(k.exportedAt)}, orders valid until ${formatTime(k.expiresAt)}`}</li>
        ))}
      </ul>
    </Alert>
  );
}

export function ChangeRoleDialog({ operator, onClose }: { operator: OperatorInfo; onClose(): void }) {
  const [role, setRole] = useState<OperatorRole>(operator.role);
  const setRoleOf = useOperatorChange('operators:setRole', onClose);
  const header = `Change the role of “${operator.name}”`;
  const requested = requestedApproval(setRoleOf.error);
  if (requested !== null) return <ApprovalRequestedDialog header={header} what={`Making ${operator.name} ${ROLE_LABELS[role]}`} requestId={requested} onClose={onClose} />;
  const submit = () => {
    if (role !== operator.role && !setRoleOf.isPending) setRoleOf.mutate({ name: operator.name, role });
  };
  return (
    <ActionModal
      header={header}
      onClose={onClose}
      actions={
          <Button variant="primary" onClick={submit} disabled={role === operator.role} loading={setRoleOf.isPending}>
            {`Make ${operator.name} ${ROLE_LABELS[role]}`}
          </Button>
      }
    >
      <SubmitForm onSubmit={submit}>
        <SpaceBetween size="m">
          <Box>
            Current role: <strong>{ROLE_LABELS[operator.role]}</strong>. The new role applies to their next action, even while they are signed in.
          </Box>
          <FormField label="New role">
            <RadioGroup value={role} onChange={(e) => setRole(e.detail.value as OperatorRole)} items={ROLE_ITEMS} />
          </FormField>
          {role !== operator.role && !roleHas(role, 'security') && <OpenKitsWarning operator={operator} />}
          <ErrorMessage error={setRoleOf.error} />
        </SpaceBetween>
      </SubmitForm>
    </ActionModal>
  );
}

/** A yes/no dialog naming the operator, for an action on them that has no other input. */
function ConfirmOnOperator({ header, action, children, extra, pending, error, onConfirm, onClose }: {
  header: string;
  extra?: React.ReactNode;
  action: string;
  children: React.ReactNode;
  pending: boolean;
  error: unknown;
  onConfirm(): void;
  onClose(): void;
}) {
  return (
    <ActionModal
      header={header}
      onClose={onClose}
      actions={
          <Button variant="primary" onClick={onConfirm} loading={pending}>
            {action}
          </Button>
      }
    >
      <SpaceBetween size="m">
        <Alert type="warning" statusIconAriaLabel="Warning">
          {children}
        </Alert>
        {extra}
        <ErrorMessage error={error} />
      </SpaceBetween>
    </ActionModal>
  );
}

export function RemoveOperatorDialog({ operator, onClose }: { operator: OperatorInfo; onClose(): void }) {
  const remove = useOperatorChange('operators:remove', onClose);
  const requested = requestedApproval(remove.error);
  if (requested !== null) {
    return <ApprovalRequestedDialog header={`Remove operator “${operator.name}”`} what={`Removing ${operator.name}`} requestId={requested} onClose={onClose} />;
  }
  return (
    <ConfirmOnOperator
      header={`Remove operator “${operator.name}”`}
      action={`Remove ${operator.name}`}
      pending={remove.isPending}
      error={remove.error}
      onConfirm={() => remove.mutate({ name: operator.name })}
      onClose={onClose}
      extra={<OpenKitsWarning operator={operator} />}
    >
      {operator.name} ({ROLE_LABELS[operator.role]}) will no longer be able to sign in: their key slot is overwritten and deleted. Their past actions stay in
      the audit log. This cannot be undone; to let them back in, add them again with a new passphrase. Another approver
      (an admin, a key custodian or a security officer; {operator.name} too) approves it first, unless no one else could.
    </ConfirmOnOperator>
  );
}

export function ResetFactorDialog({ operator, onClose }: { operator: OperatorInfo; onClose(): void }) {
  const reset = useOperatorChange('operators:resetTotp', onClose);
  const factor = operator.secondFactor === 'pkcs11' ? 'PKCS#11 token' : 'authenticator app';
  return (
    <ConfirmOnOperator
      header={`Reset the second factor of “${operator.name}”`}
      action={`Reset ${operator.name}’s second factor`}
      pending={reset.isPending}
      error={reset.error}
      onConfirm={() => reset.mutate({ name: operator.name })}
      onClose={onClose}
    >
      {operator.name}’s {factor} is removed: they sign in with their passphrase alone until they enrol a factor again (a lost phone or token). Check
      that it is really them asking.
    </ConfirmOnOperator>
  );
}
