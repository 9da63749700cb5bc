// The approval keys that no longer count (docs/two-person-control.md "Revoking an approval key"): removed by an admin
// (approvals revoke-key, with a reason) or replaced by their operator enrolling another. A file signed by one of them
// is refused (approval_key_revoked). Every signed-in reader may look: a fingerprint is not a secret. The table pages
// (approvals:listRevokedKeys' keyset cursor, 25 keys a page).
import Box from '@cloudscape-design/components/box';
import Header from '@cloudscape-design/components/header';
import Pagination from '@cloudscape-design/components/pagination';
import Table from '@cloudscape-design/components/table';
import type { RevokedApprovalKeyView } from '../../../shared/approvalsContract.ts';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { pagesCount } from '../hooks/cursorPages.ts';
import { useCursorPages } from '../hooks/useCursorPages.ts';
import { APPROVAL_KEYS_TABLE_PAGE, keysPaginationLabels } from './ApprovalKeys.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { formatTime } from '../format.ts';

/** Why the key no longer counts, in words: the admin's reason, or that its operator replaced it. */
export const revocationReason = (k: RevokedApprovalKeyView): string => (k.why === 'replaced' ? 'Replaced by a new key' : (k.reason ?? 'Removed'));

export function RevokedApprovalKeys() {
  const pages = useCursorPages();
  const revoked = useChannelQuery('approvals:listRevokedKeys', { limit: APPROVAL_KEYS_TABLE_PAGE, ...(pages.cursor ? { cursor: pages.cursor } : {}) });
  const items = revoked.data?.keys ?? [];
  const next = revoked.data?.nextCursor ?? null;
  return (
    <>
      <Table
        header={
          <Header
            variant="h2"
            counter={revoked.data ? `(${items.length}${next !== null || pages.state.page > 1 ? ' on this page' : ''})` : undefined}
            description="Approval keys that no longer count: an approval file signed with one of them is refused, and the key cannot be enrolled again."
          >
            Revoked approval keys
          </Header>
        }
        pagination={
          <Pagination
            currentPageIndex={pages.state.page}
            pagesCount={pagesCount(pages.state, next)}
            onChange={(e) => pages.goTo(e.detail.currentPageIndex, next)}
            ariaLabels={keysPaginationLabels('revoked approval keys')}
          />
        }
        loading={revoked.isPending}
        loadingText="Loading revoked approval keys"
        items={items}
        trackBy="fingerprint"
        ariaLabels={{ tableLabel: 'Revoked approval keys' }}
        empty={<Box textAlign="center">No approval key has been revoked.</Box>}
        columnDefinitions={[
          { id: 'operator', header: 'Operator', cell: (k) => k.operator },
          { id: 'fingerprint', header: 'Fingerprint (SHA-256)', cell: (k) => <Box variant="code">{k.fingerprint}</Box> },
          { id: 'revokedAt', header: 'Revoked at', cell: (k) => formatTime(k.revokedAt) },
          { id: 'revokedBy', header: 'By', cell: (k) => k.revokedBy },
          { id: 'reason', header: 'Reason', cell: revocationReason },
        ]}
      />
      <ErrorMessage error={revoked.error} />
    </>
  );
}
