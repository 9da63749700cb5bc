// Pushed events keep React Query's cache honest: each event invalidates the channels whose answers it changes.
import { useEffect } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { subscribe } from '../api.ts';
import { channelKey } from './channelQuery.ts';
import { recordJobProgress } from './jobProgress.ts';
import { useUiStore } from '../state/uiStore.ts';
import { hrefFor, parseHash } from '../shell/routes.ts';

/** Audit appends can come in bursts; refresh the list at most this often. */
const AUDIT_REFRESH_MS = 300;

export function useMainProcessEvents(): void {
  const queryClient = useQueryClient();

  useEffect(() => {
    let auditTimer: ReturnType<typeof setTimeout> | null = null;
    const offKeys = subscribe('keys:changed', () => {
      void queryClient.invalidateQueries({ queryKey: ['keys:list'] });
      void queryClient.invalidateQueries({ queryKey: ['keys:get'] });
      void queryClient.invalidateQueries({ queryKey: ['keys:verifyIntegrity'] });
      // A key's state or version changes what its assignments can deliver (fleet:changed covers the holdings).
      void queryClient.invalidateQueries({ queryKey: ['fleet:keyUsage'] });
      // A rotation (the scheduler's or an officer's) changes the rotation screen's lists; a rollout's change (halt,
      // resume, a retirement or reinstatement) is announced as keys:changed too.
      void queryClient.invalidateQueries({ predicate: (q) => /^(rotation|rollout):/.test(String(q.queryKey[0])) });
    });
    const offAudit = subscribe('audit:appended', () => {
      if (auditTimer) return;
      auditTimer = setTimeout(() => {
        auditTimer = null;
        void queryClient.invalidateQueries({ queryKey: ['audit:query'] });
      }, AUDIT_REFRESH_MS);
    });
    // A request made, approved, denied, expired or executed, a policy changed, or an approval key enrolled, replaced or
    // revoked: the Approvals screen (its requests and both key tables) and the badge.
    // An executed request may have added, removed or changed the role of an operator (operator.approver, .admin,
    // .remove, .demote): the Operators screen's list too, or it shows the operators from before for up to 5 s.
    const offApprovals = subscribe('approvals:changed', (e) => {
      void queryClient.invalidateQueries({ queryKey: ['approvals:list'] });
      void queryClient.invalidateQueries({ queryKey: ['approvals:policies'] });
      void queryClient.invalidateQueries({ queryKey: ['approvals:listKeys'] });
      void queryClient.invalidateQueries({ queryKey: ['approvals:listRevokedKeys'] });
      // An approval key enrolled, replaced or revoked (requestId null) changes the Operators screen's key column.
      if (e.state === 'executed' || e.requestId === null) void queryClient.invalidateQueries({ queryKey: ['operators:list'] });
    });
    // An operator added, removed, their role, passphrase, second factor or recovery codes changed, by whoever in the main
    // process (another browser-host tab, an approved request executed): the Operators screen, the top bar's factor and
    // codes, and the Approvals list (who may approve follows roles). Another process cannot change the store while this
    // one has it open (its exclusive lock: store_busy), so nothing changes unannounced (docs/operators.md).
    const offOperators = subscribe('operators:changed', () => {
      void queryClient.invalidateQueries({ queryKey: ['operators:list'] });
      void queryClient.invalidateQueries({ queryKey: ['approvals:list'] });
      // A removed operator's approval key is revoked with them: it moves from the enrolled keys to the revoked ones.
      void queryClient.invalidateQueries({ queryKey: ['approvals:listKeys'] });
      void queryClient.invalidateQueries({ queryKey: ['approvals:listRevokedKeys'] });
    });
    const offProviders = subscribe('providers:changed', () => {
      void queryClient.invalidateQueries({ queryKey: ['providers:list'] });
    });
    const offJobs = subscribe('jobs:progress', (progress) => {
      recordJobProgress(queryClient, progress);
      if (progress.state !== 'running') {
        void queryClient.invalidateQueries({ queryKey: ['keys:list'] });
        void queryClient.invalidateQueries({ queryKey: ['keys:get'] });
        void queryClient.invalidateQueries({ queryKey: ['providers:list'] });
      }
    });
    // An alert raised, seen again or acknowledged: the inbox, the shell's badge and the charts.
    const offAlerts = subscribe('alerts:changed', () => {
      void queryClient.invalidateQueries({ queryKey: ['alerts:list'] });
      void queryClient.invalidateQueries({ queryKey: ['metrics:series'] });
    });
    const offSession = subscribe('session:changed', (status) => {
      queryClient.setQueryData(channelKey('session:status', {}), status);
      // Unlocked with no screen in the URL (a lock cleared it): the dashboard, as the shell says when it mounts. A lock
      // and an unlock pushed back to back (another client's, or the harness's) can leave the shell mounted, so it
      // does not run its mount-time route again.
      if (status.state === 'unlocked' && parseHash(window.location.hash) === null) window.history.replaceState(null, '', hrefFor('dashboard'));
      if (status.state !== 'unlocked') {
        // Locked: drop everything fetched under the previous session from memory.
        queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== 'session:status' });
        useUiStore.getState().reset();
      }
    });
    return () => {
      offKeys();
      offAudit();
      offProviders();
      offJobs();
      offSession();
      offAlerts();
      offApprovals();
      offOperators();
      if (auditTimer) clearTimeout(auditTimer);
    };
  }, [queryClient]);
}
