// The fields of a lockdown order (what robots must do, the keys to wipe, the message for robots' operators, how long
// it is valid, the mode for robots that cannot be reached), each with its error in words beside it: the playbook's
// lockdown action and the "Issue a lockdown order" dialog both ask them here. "Stop trusting a fleet CA" (distrust_ca,
// a version 2 order) shows the fleet CAs of ca:history to choose from, and says plainly that the distrust is final.
import SpaceBetween from '@cloudscape-design/components/space-between';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import RadioGroup from '@cloudscape-design/components/radio-group';
import Checkbox from '@cloudscape-design/components/checkbox';
import Table from '@cloudscape-design/components/table';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Header from '@cloudscape-design/components/header';
import StatusIndicator, { type StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';
import type { CaHistoryEntry, CaState } from '../../../shared/caContract.ts';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { formatTime } from '../format.ts';
import { LOCKDOWN_ACTION_NAMES } from '../../../shared/emergencyContract.ts';
import { MAX_DISTRUST_CAS, MAX_HOURS, toggle, type OrderAction, type OrderErrors, type OrderSettings } from './orderForm.ts';

export const ORDER_ACTION_LABELS: Readonly<Record<OrderAction, string>> = {
  stop_operating: 'Stop operating',
  safe_mode: 'Safe mode',
  refuse_revoked_peers: 'Refuse peers with revoked certificates',
  wipe_keys: 'Wipe listed keys',
  distrust_ca: 'Stop trusting a fleet CA',
};

const CA_STATE: Readonly<Record<CaState, { type: StatusIndicatorProps.Type; text: string }>> = {
  current: { type: 'success', text: 'current' },
  retired: { type: 'stopped', text: 'retired' },
  compromised: { type: 'error', text: 'compromised' },
};

/**
 * The fleet CAs robots stop trusting: every CA the console has had (current, retired, compromised), ticked in a table,
 * the error beside it, and what the distrust means for robots. `note`: why some are ticked already (the playbook).
 */
function DistrustCaPicker({ chosen, set, error, note }: { chosen: readonly string[]; set(ids: string[]): void; error?: string; note?: string }) {
  const history = useChannelQuery('ca:history', {});
  const cas = history.data?.cas ?? [];
  const current = cas.some((c) => c.state === 'current' && chosen.includes(c.id));
  return (
    <SpaceBetween size="xs">
      {/* Not inside a FormField: it would name every row's checkbox after its label. */}
      <Table<CaHistoryEntry>
        variant="embedded"
        wrapLines
        header={
          <Header
            variant="h3"
            counter={`(${chosen.length} ticked)`}
            description={`The robots in scope drop each ticked CA from the CAs they trust and refuse every peer certificate it signed. At least one, at most ${MAX_DISTRUST_CAS}.`}
          >
            Fleet CAs robots stop trusting
          </Header>
        }
        items={[...cas]}
        trackBy="id"
        loading={history.isPending}
        loadingText="Loading the fleet CAs"
        empty={<Box variant="small">The console has no fleet CA.</Box>}
        selectionType="multi"
        selectedItems={cas.filter((c) => chosen.includes(c.id))}
        onSelectionChange={(e) => {
          const listed = new Set(cas.map((c) => c.id));
          // Ids the table does not list (not loaded yet) are kept as they are.
          set([...chosen.filter((id) => !listed.has(id)), ...e.detail.selectedItems.map((c) => c.id)]);
        }}
        ariaLabels={{
          tableLabel: 'Fleet CAs to stop trusting',
          selectionGroupLabel: 'Fleet CAs to stop trusting',
          allItemsSelectionLabel: () => 'Stop trusting every fleet CA listed',
          itemSelectionLabel: (_, c) => `Stop trusting ${c.subject} (${c.state}, ${c.id.slice(0, 8)})`,
        }}
        columnDefinitions={[
          { id: 'subject', header: 'Subject', cell: (c) => c.subject },
          { id: 'state', header: 'State', cell: (c) => <StatusIndicator type={CA_STATE[c.state].type}>{CA_STATE[c.state].text}</StatusIndicator> },
          { id: 'created', header: 'Created', cell: (c) => formatTime(c.createdAt) },
          { id: 'id', header: 'Id', cell: (c) => <Box variant="code" display="inline">{c.id.slice(0, 8)}</Box> },
        ]}
      />
      {error && (
        <div role="alert" data-testid="distrust-ca-error">
          <StatusIndicator type="error">{error}</StatusIndicator>
        </div>
      )}
      <ErrorMessage error={history.error} />
      {note && (
        <Box variant="small" data-testid="distrust-ca-note">
          {note}
        </Box>
      )}
      <Alert type="warning" statusIconAriaLabel="Warning" header="Robots never trust these CAs again" data-testid="distrust-ca-warning">
        A robot that takes this order stops trusting the ticked CAs for good: a later lift does not undo it, only re-provisioning the robot at a station
        does. Distrusting the current CA cuts every robot that takes the order off from its peers (their certificates are signed by it) until each is
        re-provisioned with a certificate of a new CA.
        {current && (
          <Box variant="p" fontWeight="bold" data-testid="distrust-current-ca">
            You ticked the current CA.
          </Box>
        )}
      </Alert>
    </SpaceBetween>
  );
}

/**
 * `withActions` false (a lift) leaves out what robots must do, the keys to wipe and the CAs to distrust. `distrustNote`
 * says why CAs are ticked already (the playbook pre-ticks the CA its revoke_ca action revokes).
 */
export function OrderFields<T extends OrderSettings>({ p, set, errors, withActions = true, distrustNote }: { p: T; set(p: T): void; errors: OrderErrors; withActions?: boolean; distrustNote?: string }) {
  return (
    <SpaceBetween size="m">
      {withActions && (
        <FormField label="What robots must do" errorText={errors.orderActions}>
          <SpaceBetween size="xxs">
            {LOCKDOWN_ACTION_NAMES.map((a) => (
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
      {withActions && p.orderActions.includes('distrust_ca') && (
        <DistrustCaPicker chosen={p.distrustCaIds} set={(ids) => set({ ...p, distrustCaIds: ids })} error={errors.distrustCaIds} note={distrustNote} />
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
