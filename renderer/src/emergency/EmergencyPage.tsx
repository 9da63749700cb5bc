// The Emergency screen (issue 15, docs/emergency-response.md, "The Emergency screen"): a scope, a playbook of
// composable actions, the blast-radius preview, a dry run, Execute behind a confirmation (two-person approval or
// break-glass for wide scopes), and the runs with their progress, retry and review. The main process decides and
// refuses; this screen only asks.
import { useState } from 'react';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Header from '@cloudscape-design/components/header';
import Container from '@cloudscape-design/components/container';
import SpaceBetween from '@cloudscape-design/components/space-between';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import Textarea from '@cloudscape-design/components/textarea';
import RadioGroup from '@cloudscape-design/components/radio-group';
import Checkbox from '@cloudscape-design/components/checkbox';
import Select from '@cloudscape-design/components/select';
import FileInput from '@cloudscape-design/components/file-input';
import Button from '@cloudscape-design/components/button';
import Box from '@cloudscape-design/components/box';
import Alert from '@cloudscape-design/components/alert';
import Modal from '@cloudscape-design/components/modal';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Link from '@cloudscape-design/components/link';
import { CERT_REVOCATION_REASONS, type CertRevocationReason } from '../../../shared/domain.ts';
import { describeScope, EMERGENCY_ACTIONS, isWidePlaybook, type EmergencyAction, type EmergencyPreview, type EmergencyScope, type ExecuteInput } from '../../../shared/emergencyContract.ts';
import { useChannelMutation, useChannelQuery, useQueryClient } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { DialogFooter } from '../components/DialogFooter.tsx';
import { ApprovalRequestedDialog, requestedApproval } from '../components/ApprovalRequested.tsx';
import { useCan } from '../session/permissions.ts';
import { hrefFor } from '../shell/routes.ts';
import { BlastRadius, previewCounts } from './BlastRadius.tsx';
import { ACTION_LABELS, EmergencyRuns } from './EmergencyRuns.tsx';
import { LockdownOrders } from './LockdownOrders.tsx';
import { OrderFields } from './OrderFields.tsx';
import { IssueOrderDialog } from './IssueOrderDialog.tsx';
import { orderSettingsOf, pretickDistrust, toggle, type OrderField, type OrderSettings, type RevokedCa } from './orderForm.ts';
import { parseRobotList, SCOPE_KINDS, scopeFromForm, type ScopeKind } from './scopeForm.ts';

interface Playbook extends OrderSettings {
  actions: EmergencyAction[];
  certReason: CertRevocationReason;
  reason: string;
  /** The CA revoke_ca revokes: '' for the current one, else a retired CA's id. */
  caId: string;
}

/** The playbook as the contract's execute input (without the scope), or the first thing wrong with it. */
function playbookInput(p: Playbook): { input: Omit<ExecuteInput, 'scope'> } | { error: string; field: 'actions' | OrderField } {
  if (p.actions.length === 0) return { error: 'Tick at least one action.', field: 'actions' };
  if (p.reason.trim() === '') return { error: 'Say why (recorded in the audit log).', field: 'reason' };
  const input: Omit<ExecuteInput, 'scope'> = { actions: EMERGENCY_ACTIONS.filter((a) => p.actions.includes(a)), reason: p.reason.trim() };
  if (p.actions.includes('revoke_certificates')) input.certificateReason = p.certReason;
  if (p.actions.includes('revoke_ca') && p.caId !== '') input.caId = p.caId;
  if (p.actions.includes('lockdown')) {
    const r = orderSettingsOf(p, 'lockdown', p.reason);
    if ('errors' in r) {
      const [field, error] = Object.entries(r.errors)[0]!;
      return { error, field: field as OrderField };
    }
    input.lockdown = r.settings;
  }
  return { input };
}

function ScopeSection({ kind, setKind, value, setValue, error }: { kind: ScopeKind; setKind(k: ScopeKind): void; value: string; setValue(v: string): void; error: string | null }) {
  const [file, setFile] = useState<File | null>(null);
  const field = SCOPE_KINDS.find((k) => k.kind === kind)!.field;
  const list = kind === 'robots' ? parseRobotList(value) : null;
  return (
    <Container header={<Header variant="h2" description="Which robots the playbook acts on. Robot-level scopes (one robot, a list) need one security officer; every wider one needs two-person approval or break-glass.">Scope</Header>}>
      <ColumnLayout columns={2}>
        <FormField label="Scope">
          <RadioGroup value={kind} onChange={(e) => setKind(e.detail.value as ScopeKind)} items={SCOPE_KINDS.map((k) => ({ value: k.kind, label: k.label }))} />
        </FormField>
        {field && (
          <SpaceBetween size="s">
            <FormField
              label={field}
              errorText={error ?? undefined}
              description={kind === 'robots' ? 'Paste device ids (one a line, or separated by commas or spaces), or choose a CSV file with a deviceId column.' : undefined}
              constraintText={list ? `${list.deviceIds.length} robot(s)${list.duplicates ? `, ${list.duplicates} repeated (counted once)` : ''}` : undefined}
            >
              {kind === 'robots' ? (
                <Textarea value={value} onChange={(e) => setValue(e.detail.value)} rows={6} />
              ) : (
                <Input value={value} onChange={(e) => setValue(e.detail.value)} />
              )}
            </FormField>
            {kind === 'robots' && (
              <FileInput
                accept=".csv,.txt,text/csv,text/plain"
                value={file ? [file] : []}
                ariaLabel="Choose a CSV file of robots"
                onChange={(e) => {
                  const f = e.detail.value[0] ?? null;
                  setFile(f);
                  if (f) void f.text().then(setValue);
                }}
              >
                Choose CSV file
              </FileInput>
            )}
          </SpaceBetween>
        )}
      </ColumnLayout>
    </Container>
  );
}

/** Which CA revoke_ca revokes: the current one, or a retired one still trusted during a transition. */
function RevokedCaField({ p, set }: { p: Playbook; set(p: Playbook): void }) {
  const history = useChannelQuery('ca:history', {});
  const options = (history.data?.cas ?? [])
    .filter((c) => c.state !== 'compromised')
    .map((c) => ({ value: c.state === 'current' ? '' : c.id, label: `${c.subject} (${c.state})`, description: `${c.id.slice(0, 8)} · ${c.certificates.valid} valid certificate(s)` }));
  const selected = options.find((o) => o.value === p.caId) ?? options[0] ?? null;
  return (
    <FormField label="Fleet CA to revoke" description="The current CA, or a retired one whose certificates are still valid during a transition.">
      <Select selectedOption={selected} onChange={(e) => set({ ...p, caId: e.detail.selectedOption.value ?? '' })} options={options} ariaLabel="Fleet CA to revoke" empty="No fleet CA to revoke" />
    </FormField>
  );
}

function PlaybookSection({ p, set: setPlaybook, problem }: { p: Playbook; set(p: Playbook): void; problem: { field: string; error: string } | null }) {
  const errorOf = (f: string) => (problem?.field === f ? problem.error : undefined);
  const lockdown = p.actions.includes('lockdown');
  // revoke_ca with lockdown: the order also stops robots trusting the revoked CA (pre-ticked, the officer may untick it).
  const cas = useChannelQuery('ca:history', {}).data?.cas ?? [];
  const revokedOf = (q: Playbook): RevokedCa => ({
    both: q.actions.includes('revoke_ca') && q.actions.includes('lockdown'),
    caId: q.caId !== '' ? q.caId : (cas.find((c) => c.state === 'current')?.id ?? null),
  });
  const set = (next: Playbook) => setPlaybook(pretickDistrust(revokedOf(p), revokedOf(next), next));
  const revoked = revokedOf(p);
  const revokedCa = revoked.both ? cas.find((c) => c.id === revoked.caId) : undefined;
  const distrustNote = revokedCa && p.distrustCaIds.includes(revokedCa.id)
    ? `${revokedCa.subject} (${revokedCa.id.slice(0, 8)}) is ticked because the playbook revokes it: untick it to leave robots trusting it.`
    : undefined;
  return (
    <Container header={<Header variant="h2" description="Tick the actions to run; they always run in this order, and one that fails does not stop the next.">Playbook</Header>}>
      <SpaceBetween size="m">
        <FormField label="Actions" errorText={errorOf('actions')}>
          <SpaceBetween size="xxs">
            {EMERGENCY_ACTIONS.map((a) => (
              <Checkbox key={a} checked={p.actions.includes(a)} onChange={(e) => set({ ...p, actions: toggle(p.actions, a, e.detail.checked) })}>
                {ACTION_LABELS[a]}
              </Checkbox>
            ))}
          </SpaceBetween>
        </FormField>
        {p.actions.includes('revoke_ca') && <RevokedCaField p={p} set={set} />}
        {p.actions.includes('revoke_ca') && (
          <Alert type="warning" header="Revoking the fleet CA reaches the whole fleet" statusIconAriaLabel="Warning" data-testid="revoke-ca-warning">
            Every certificate the fleet CA issued is revoked, whatever the scope, and the CA signs a final CRL and is marked compromised:
            every robot holding one of its certificates is flagged and stops being trusted by its peers.{' '}
            {p.caId === ''
              ? 'Afterwards the console has no CA: initialise a new one (Certificates, or ca:init), and every robot must be re-provisioned at a station to get a certificate of it.'
              : 'The current CA keeps signing: the flagged robots get a certificate of it when re-provisioned.'}{' '}
            This needs two-person approval or break-glass even for one robot.
          </Alert>
        )}
        {p.actions.includes('revoke_certificates') && (
          <FormField label="Revocation reason (RFC 5280)" description="A new CRL is signed and published at once.">
            <Select
              selectedOption={{ value: p.certReason, label: p.certReason }}
              onChange={(e) => set({ ...p, certReason: e.detail.selectedOption.value as CertRevocationReason })}
              options={CERT_REVOCATION_REASONS.map((r) => ({ value: r, label: r }))}
            />
          </FormField>
        )}
        {lockdown && (
          <Container header={<Header variant="h3" description="Signed with the fleet's emergency key.">Lockdown order</Header>}>
            <OrderFields p={p} set={set} errors={problem ? { [problem.field]: problem.error } : {}} distrustNote={distrustNote} />
          </Container>
        )}
        <FormField label="Reason (recorded in the audit log)" errorText={errorOf('reason')} constraintText="Up to 500 characters.">
          <Textarea value={p.reason} onChange={(e) => set({ ...p, reason: e.detail.value })} rows={2} nativeTextareaAttributes={{ maxLength: 500 }} />
        </FormField>
      </SpaceBetween>
    </Container>
  );
}

function ExecuteDialog({ scope, preview, input, onClose, onRun }: { scope: EmergencyScope; preview: EmergencyPreview; input: Omit<ExecuteInput, 'scope'>; onClose(): void; onRun(runId: string): void }) {
  const wide = isWidePlaybook({ scope, ...input });
  const distrusts = input.actions.includes('lockdown') && (input.lockdown?.actions ?? []).includes('distrust_ca');
  const [path, setPath] = useState<'request' | 'break_glass'>('request');
  const [glassReason, setGlassReason] = useState('');
  const execute = useChannelMutation('emergency:execute', (out) => {
    if (out.run) onRun(out.run.runId);
  });
  const c = previewCounts(preview);
  const requested = requestedApproval(execute.error);
  const breakGlass = wide && path === 'break_glass';
  const submit = () =>
    execute.mutate({ scope, ...input, ...(breakGlass ? { breakGlass: { reason: glassReason.trim() } } : {}) });
  const title = `Execute the playbook on ${describeScope(scope)}`;
  if (requested) {
    return (
      <ApprovalRequestedDialog
        header={title}
        what="A playbook on this scope"
        requestId={requested}
        onClose={onClose}
        after="A second security officer (or an admin) approves it under Approvals within an hour; then it is executed there."
      />
    );
  }
  return (
    <Modal
      visible
      closeAriaLabel="Close dialog"
      size="medium"
      onDismiss={onClose}
      header={title}
      footer={
        <DialogFooter onCancel={onClose}>
          <Button variant="primary" loading={execute.isPending} disabled={breakGlass && glassReason.trim() === ''} onClick={submit}>
            {!wide ? 'Execute now' : breakGlass ? 'Break glass and execute' : 'Request approval'}
          </Button>
        </DialogFooter>
      }
    >
      <SpaceBetween size="m">
        <Box>
          This acts at once on {c.robots} robot(s), {c.certificates} certificate(s), {c.compromise} key(s) to compromise and {c.rotate} shared key(s) to
          rotate:
        </Box>
        {input.actions.includes('revoke_ca') && preview.ca && (
          <Alert type="warning" statusIconAriaLabel="Warning">
            It revokes the fleet CA {preview.ca.subject}: {preview.ca.certificates} certificate(s) of {preview.ca.robots} robot(s), whatever the scope.
          </Alert>
        )}
        {distrusts && (
          <Alert type="warning" statusIconAriaLabel="Warning" data-testid="execute-distrust-ca">
            Its lockdown order makes the robots in scope stop trusting {input.lockdown?.distrustCaIds?.length ?? 0} fleet CA(s) for good, until they are
            re-provisioned.
          </Alert>
        )}
        <ul>
          {input.actions.map((a) => (
            <li key={a}>{ACTION_LABELS[a]}</li>
          ))}
        </ul>
        {wide && (
          <FormField label="Approval" description={
              preview.approval === 'two_person'
                ? 'This scope is wider than a list of robots.'
                : input.actions.includes('revoke_ca')
                  ? 'Revoking the fleet CA reaches every robot.'
                  : 'Robots that take the lockdown order never trust the ticked fleet CA(s) again.'
            }>
            <RadioGroup
              value={path}
              onChange={(e) => setPath(e.detail.value as typeof path)}
              items={[
                { value: 'request', label: 'Ask for two-person approval', description: 'Nothing runs until a second security officer approves it under Approvals.' },
                {
                  value: 'break_glass',
                  label: 'Break glass',
                  description: 'Runs now on my authority alone, raises a CRITICAL alert, and a second security officer must review the run afterwards.',
                },
              ]}
            />
          </FormField>
        )}
        {breakGlass && (
          <FormField label="Break-glass reason (recorded in the audit log and the alert)" constraintText="Required. Up to 500 characters.">
            <Textarea value={glassReason} onChange={(e) => setGlassReason(e.detail.value)} rows={2} nativeTextareaAttributes={{ maxLength: 500 }} />
          </FormField>
        )}
        <ErrorMessage error={execute.error} />
      </SpaceBetween>
    </Modal>
  );
}

export function EmergencyPage() {
  const canAct = useCan('security');
  const queryClient = useQueryClient();
  const [kind, setKindState] = useState<ScopeKind>('robot');
  const [value, setValue] = useState('');
  const [playbook, setPlaybook] = useState<Playbook>({
    actions: [],
    certReason: 'keyCompromise',
    orderActions: ['stop_operating'],
    message: '',
    hours: String(7 * 24),
    mode: 'strict',
    wipeKeys: '',
    distrustCaIds: [],
    reason: '',
    caId: '',
  });
  const [scopeError, setScopeError] = useState<string | null>(null);
  const [problem, setProblem] = useState<{ field: string; error: string } | null>(null);
  const [confirming, setConfirming] = useState<{ scope: EmergencyScope; input: Omit<ExecuteInput, 'scope'> } | null>(null);
  const [runId, setRunId] = useState<string | null>(null);
  const [dryRunDone, setDryRunDone] = useState(false);
  const [issuing, setIssuing] = useState(false);
  const preview = useChannelMutation('emergency:preview');
  const dryRun = useChannelMutation('emergency:execute', () => setDryRunDone(true));
  const setKind = (k: ScopeKind) => {
    setKindState(k);
    setValue('');
    setScopeError(null);
    preview.reset();
    dryRun.reset();
  };
  const changeValue = (v: string) => {
    setValue(v);
    preview.reset();
    dryRun.reset();
  };

  const readScope = (): EmergencyScope | null => {
    const r = scopeFromForm(kind, value);
    setScopeError('error' in r ? r.error : null);
    return 'scope' in r ? r.scope : null;
  };
  const readPlaybook = () => {
    const r = playbookInput(playbook);
    setProblem('error' in r ? { field: r.field, error: r.error } : null);
    return 'input' in r ? r.input : null;
  };
  const shown = dryRun.data?.preview ?? preview.data ?? null;
  const current = scopeFromForm(kind, value);
  const previewFresh = preview.data && 'scope' in current && JSON.stringify(preview.data.scope) === JSON.stringify(current.scope);

  return (
    <ContentLayout
      header={
        <Header
          variant="h1"
          description="Contain a compromise in one place: choose the robots, see what the playbook would touch, then act. Shortcut: Alt+Shift+E from any screen."
        >
          Emergency response
        </Header>
      }
    >
      <SpaceBetween size="l">
        <ScopeSection kind={kind} setKind={setKind} value={value} setValue={changeValue} error={scopeError} />
        {canAct && <PlaybookSection p={playbook} set={setPlaybook} problem={problem} />}
        <SpaceBetween direction="horizontal" size="xs">
          <Button
            loading={preview.isPending}
            onClick={() => {
              const scope = readScope();
              if (scope) {
                dryRun.reset();
                preview.mutate({ scope, sample: 50, ...(playbook.actions.includes('revoke_ca') && playbook.caId !== '' ? { caId: playbook.caId } : {}) });
              }
            }}
          >
            Preview blast radius
          </Button>
          {canAct && (
            <Button
              loading={dryRun.isPending}
              onClick={() => {
                const scope = readScope();
                const input = readPlaybook();
                if (scope && input) {
                  setDryRunDone(false);
                  dryRun.mutate({ scope, ...input, dryRun: true });
                }
              }}
            >
              Dry run
            </Button>
          )}
          {canAct && (
            <Button
              variant="primary"
              disabled={!previewFresh}
              onClick={() => {
                const scope = readScope();
                const input = readPlaybook();
                if (scope && input) setConfirming({ scope, input });
              }}
            >
              Execute…
            </Button>
          )}
          {canAct && (
            <Button disabled={!previewFresh} onClick={() => setIssuing(true)}>
              Issue a lockdown order…
            </Button>
          )}
        </SpaceBetween>
        {canAct && !previewFresh && (
          <Box variant="small" color="text-body-secondary">
            Execute and Issue a lockdown order open once the blast radius of this scope has been previewed.
          </Box>
        )}
        <ErrorMessage error={preview.error ?? dryRun.error} />
        {dryRunDone && dryRun.data && (
          <div role="status" data-testid="dry-run-done">
            <Alert type="success" header="Dry run done">
              Nothing changed; one audit record of the dry run was written. The blast radius below is what executing would touch.
            </Alert>
          </div>
        )}
        {shown && <BlastRadius preview={shown} />}
        <EmergencyRuns selected={runId} onSelect={setRunId} canAct={canAct} />
        <LockdownOrders canAct={canAct} />
        <Box variant="small">
          Runs waiting for two-person approval are under <Link href={hrefFor('approvals')}>Approvals</Link>.
        </Box>
      </SpaceBetween>
      {issuing && preview.data && (
        <IssueOrderDialog
          scope={preview.data.scope}
          preview={preview.data}
          onClose={() => setIssuing(false)}
          onIssued={() => {
            void queryClient.invalidateQueries({ queryKey: ['emergency:lockdownList'] });
            // A break-glass order is recorded as a run awaiting review.
            void queryClient.invalidateQueries({ queryKey: ['emergency:runs'] });
          }}
        />
      )}
      {confirming && preview.data && (
        <ExecuteDialog
          scope={confirming.scope}
          input={confirming.input}
          preview={preview.data}
          onClose={() => setConfirming(null)}
          onRun={(id) => {
            setConfirming(null);
            setRunId(id);
            void queryClient.invalidateQueries({ queryKey: ['emergency:runs'] });
            void queryClient.invalidateQueries({ queryKey: ['emergency:lockdownList'] });
          }}
        />
      )}
    </ContentLayout>
  );
}
