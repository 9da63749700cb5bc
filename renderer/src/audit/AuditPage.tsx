import { useMemo } from 'react';
import { useUiStore } from '../state/uiStore.ts';
import { useDebounced } from '../hooks/useDebounced.ts';
import { AuditFiltersBar } from './AuditFiltersBar.tsx';
import { AuditList } from './AuditList.tsx';
import { VerifyChain } from './VerifyChain.tsx';
import { ExportAudit } from './ExportAudit.tsx';
import { toFilterInput } from './auditFilterInput.ts';

const FILTER_DEBOUNCE_MS = 300;

export function AuditPage() {
  const filters = useUiStore((s) => s.auditFilters);
  const debounced = useDebounced(filters, FILTER_DEBOUNCE_MS);
  const filterInput = useMemo(() => toFilterInput(debounced), [debounced]);

  return (
    <section aria-labelledby="audit-title" className="audit-page">
      <div className="toolbar">
        <h1 id="audit-title">Audit log</h1>
        <span className="spacer" />
        <VerifyChain />
        <ExportAudit />
      </div>
      <AuditFiltersBar />
      <AuditList filter={filterInput} />
    </section>
  );
}
