// The Audit screen on the design system (issue 12): the chain and its key (Verify, the audit key's fingerprint,
// Export with progress), the filters, and the records as a table paged by the main process.
import { useCallback, useMemo, useState } from 'react';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { useUiStore } from '../state/uiStore.ts';
import { useDebounced } from '../hooks/useDebounced.ts';
import { AuditFiltersBar } from './AuditFiltersBar.tsx';
import { AuditList } from './AuditList.tsx';
import { VerifyChain } from './VerifyChain.tsx';
import { rangeErrorOf, toFilterInput } from './auditFilterInput.ts';

const FILTER_DEBOUNCE_MS = 300;

export function AuditPage() {
  const filters = useUiStore((s) => s.auditFilters);
  const debounced = useDebounced(filters, FILTER_DEBOUNCE_MS);
  const filterInput = useMemo(() => toFilterInput(debounced), [debounced]);
  const [queryError, setQueryError] = useState<unknown>(null);
  const onError = useCallback((e: unknown) => setQueryError(e), []);
  // A reversed range is refused next to the picker, in the one wording of every form: by the picker itself, and should
  // one reach the main process, by its refusal naming "to" (or "from").
  const rangeError = rangeErrorOf(filters, queryError);

  return (
    <ContentLayout
      header={
        <Header variant="h1" description="Every action of the console, newest first, in a hash chain whose checkpoints are signed with the audit key.">
          Audit log
        </Header>
      }
    >
      <SpaceBetween size="l">
        <VerifyChain />
        <AuditFiltersBar rangeError={rangeError} />
        <AuditList filter={filterInput} onError={onError} />
      </SpaceBetween>
    </ContentLayout>
  );
}
