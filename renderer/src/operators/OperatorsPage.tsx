// Operators and roles (issue 14, docs/operators.md), for admins: every operator with their role, second factor (and
// its recovery codes left), approval key and history; add, change a role, remove, reset a second factor (dialogs in
// OperatorDialogs.tsx); the idle lock's time;
// the approval policies of the guarded actions. Other roles get no navigation entry; a typed #/operators shows them
// why, and the main process refuses their calls whatever the window shows.
import { useState } from 'react';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Header from '@cloudscape-design/components/header';
import Icon from '@cloudscape-design/components/icon';
import Popover from '@cloudscape-design/components/popover';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import { ROLE_LABELS, type OperatorInfo } from '../../../shared/operatorsContract.ts';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useCan, useSessionRole } from '../session/permissions.ts';
import { formatCountdown, formatTime } from '../format.ts';
import { RecoveryCodesLeft } from '../recoveryCodes/RecoveryCodesLeft.tsx';
import { shortFingerprint } from '../approvals/approvalKeyText.ts';
import { AddOperatorDialog, ChangeRoleDialog, RemoveOperatorDialog, ResetFactorDialog } from './OperatorDialogs.tsx';
import { IdleLockSetting } from './IdleLockSetting.tsx';
import { ApprovalPolicies } from './ApprovalPolicies.tsx';

const FACTOR_WORDS: Readonly<Record<OperatorInfo['secondFactor'], string>> = { none: 'None', totp: 'Authenticator app', pkcs11: 'PKCS#11 token' };

type Dialog = { kind: 'add' } | { kind: 'role' | 'remove' | 'reset'; operator: OperatorInfo } | null;

/**
 * A time after a word in a small second line ("enrolled …", "last …"): one inline block, so a narrow cell moves it to
 * its own line rather than breaking it at a hyphen of the date; it then wraps at its space like the date columns.
 */
function When({ at }: { at: string }) {
  return (
    <Box variant="small" display="inline-block">
      {formatTime(at)}
    </Box>
  );
}

function signInStatus(o: OperatorInfo) {
  if (o.retryAfterMs > 0) return <StatusIndicator type="warning">{`Paused ${formatCountdown(o.retryAfterMs)} after ${o.failedAttempts} failures`}</StatusIndicator>;
  if (o.failedAttempts > 0) return <StatusIndicator type="info">{`${o.failedAttempts} failed in a row`}</StatusIndicator>;
  return <StatusIndicator type="success">OK</StatusIndicator>;
}

/** Who added the operator and when (they chose the first passphrase), and under it whether the operator changed it since. */
function added(o: OperatorInfo) {
  return (
    <div>
      <div>{`${formatTime(o.createdAt)} by ${o.createdBy}`}</div>
      <Box variant="small" display="block">
        {o.passphraseChangedAt ? (
          <>
            passphrase changed <When at={o.passphraseChangedAt} />
          </>
        ) : (
          'passphrase never changed'
        )}
      </Box>
    </div>
  );
}

/** The unlock throttle's state, and under it the last successful sign-in (a dormant account shows "never"). */
function signInState(o: OperatorInfo) {
  return (
    <div>
      {signInStatus(o)}
      <Box variant="small" display="block">
        {o.lastSignInAt ? (
          <>
            last <When at={o.lastSignInAt} />
          </>
        ) : (
          'never signed in'
        )}
      </Box>
    </div>
  );
}

/** The second factor, and under it the recovery codes left (they exist only with a factor: an enrolment makes ten). */
function secondFactor(o: OperatorInfo) {
  if (o.secondFactor === 'none') return FACTOR_WORDS.none;
  return (
    <div>
      <div>{FACTOR_WORDS[o.secondFactor]}</div>
      <RecoveryCodesLeft left={o.recoveryCodesLeft} />
    </div>
  );
}

/**
 * The approval key enrolled now (operators:list `approvalKey`): its fingerprint's short form, as the enrol dialog and
 * the CLI's `operators list` show it, and when it was enrolled. Without one: "Revoked" and when, when their last key
 * was revoked (`approvalKeyRevoked`; the key, who revoked it and the reason in its popover), so a security officer
 * tells a revoked key from none ever enrolled ("None"). The Approvals screen lists every revoked key.
 */
function approvalKey(o: OperatorInfo) {
  if (o.approvalKey) {
    return (
      <span data-testid="approval-key" data-state="enrolled">
        <Box variant="code" fontSize="body-s">{shortFingerprint(o.approvalKey.fingerprint)}</Box>
        <Box variant="small" display="block">
          enrolled <When at={o.approvalKey.enrolledAt} />
        </Box>
      </span>
    );
  }
  const revoked = o.approvalKeyRevoked;
  if (!revoked) return <span data-testid="approval-key" data-state="none">None</span>;
  return (
    <span data-testid="approval-key" data-state="revoked">
      <Popover
        header={`${o.name}'s approval key was revoked`}
        size="medium"
        triggerType="text"
        content={
          <SpaceBetween size="xxs">
            <div>
              Key <Box variant="code" fontSize="body-s">{shortFingerprint(revoked.fingerprint)}</Box>
            </div>
            <div>{`Revoked ${formatTime(revoked.revokedAt)} by ${revoked.revokedBy}`}</div>
            <div data-testid="approval-key-revoked-reason">{revoked.reason === null ? 'Replaced by its operator (no reason asked).' : `Reason: ${revoked.reason}`}</div>
            <Box variant="small">Files it signed are refused. {o.name} approves signed in, or enrols a new key.</Box>
          </SpaceBetween>
        }
      >
        {/* An icon and text as StatusIndicator draws them, wrapping between words (RecoveryCodesLeft says why). */}
        <Box variant="span" color="text-status-inactive">
          <Icon name="status-stopped" variant="subtle" /> Revoked
        </Box>
      </Popover>
      <Box variant="small" display="block">
        <When at={revoked.revokedAt} />
      </Box>
    </span>
  );
}

function OperatorsTable() {
  const list = useChannelQuery('operators:list', {});
  const [selected, setSelected] = useState<string | null>(null);
  const [dialog, setDialog] = useState<Dialog>(null);
  const operators = list.data?.operators ?? [];
  const current = operators.find((o) => o.name === selected) ?? null;
  const on = (kind: 'role' | 'remove' | 'reset') => () => current && setDialog({ kind, operator: current });
  const close = () => setDialog(null);
  return (
    <SpaceBetween size="s">
      <Table
        header={
          <Header
            variant="h2"
            counter={list.data ? `(${operators.length})` : undefined}
            description="Each operator signs in with their own passphrase (their own key slot) and acts within their role."
            actions={
              <SpaceBetween direction="horizontal" size="xs">
                <Button disabled={!current} onClick={on('role')}>
                  Change role…
                </Button>
                <Button disabled={!current || current.secondFactor === 'none'} onClick={on('reset')}>
                  Reset second factor…
                </Button>
                <Button disabled={!current} onClick={on('remove')}>
                  Remove…
                </Button>
                <Button variant="primary" onClick={() => setDialog({ kind: 'add' })}>
                  Add operator…
                </Button>
              </SpaceBetween>
            }
          >
            Operators
          </Header>
        }
        loading={list.isPending}
        loadingText="Loading operators"
        items={operators}
        trackBy="name"
        selectionType="single"
        selectedItems={current ? [current] : []}
        onSelectionChange={(e) => setSelected(e.detail.selectedItems[0]?.name ?? null)}
        ariaLabels={{ itemSelectionLabel: (_s, o) => `Select ${o.name}`, allItemsSelectionLabel: () => 'all', selectionGroupLabel: 'Operators' }}
        empty={<Box textAlign="center">No operators.</Box>}
        // The columns fit a 1280 px window beside the navigation only when long cells (dates, "added by") wrap:
        // without it the table scrolled sideways and its last column was cut (operators-screen.spec.ts measures both).
        // A tenth column (the approval key) beside the nine of before overflowed by 90 px, so what belongs to another
        // column is a second line of it: recovery codes under the factor, the passphrase change under Added, the last
        // sign-in under Sign-in (operators-keys-kits.spec.ts measures it with the widest cells).
        wrapLines
        columnDefinitions={[
          // Columns keep a floor so a date, a status or a name never breaks inside a word; longer text wraps at spaces.
          { id: 'name', header: 'Name', cell: (o) => o.name, minWidth: 110 },
          { id: 'role', header: 'Role', cell: (o) => ROLE_LABELS[o.role] },
          { id: 'factor', header: 'Second factor', cell: secondFactor },
          { id: 'approvalKey', header: 'Approval key', cell: approvalKey },
          { id: 'added', header: 'Added', cell: added, minWidth: 120 },
          { id: 'signin', header: 'Sign-in', cell: signInState, minWidth: 120 },
        ]}
      />
      <ErrorMessage error={list.error} />
      {dialog?.kind === 'add' && <AddOperatorDialog onClose={close} />}
      {dialog?.kind === 'role' && <ChangeRoleDialog operator={dialog.operator} onClose={close} />}
      {dialog?.kind === 'remove' && <RemoveOperatorDialog operator={dialog.operator} onClose={close} />}
      {dialog?.kind === 'reset' && <ResetFactorDialog operator={dialog.operator} onClose={close} />}
    </SpaceBetween>
  );
}

export function OperatorsPage() {
  const admin = useCan('admin');
  const role = useSessionRole((s) => s.role);
  return (
    <ContentLayout header={<Header variant="h1" description="Who may sign in, with which role; when the session locks by itself; who approves the actions that cannot be undone.">Operators</Header>}>
      {admin ? (
        <SpaceBetween size="l">
          <OperatorsTable />
          <IdleLockSetting />
          <ApprovalPolicies />
        </SpaceBetween>
      ) : (
        <div role="alert" data-code="forbidden">
          <Alert type="error" header="Only an admin manages operators" statusIconAriaLabel="Error">
            Your role ({role ? ROLE_LABELS[role] : 'unknown'}) does not allow managing operators, the idle lock or approval policies. Ask an admin.
          </Alert>
        </div>
      )}
    </ContentLayout>
  );
}
