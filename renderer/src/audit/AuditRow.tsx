import { memo } from 'react';
import type { AuditRecord } from '../../../shared/contract.ts';
import { formatTime } from '../format.ts';

export const AUDIT_COLUMNS = [
  { id: 'seq', label: 'Seq' },
  { id: 'time', label: 'Time' },
  { id: 'actor', label: 'Actor' },
  { id: 'action', label: 'Action' },
  { id: 'target', label: 'Target' },
  { id: 'outcome', label: 'Outcome' },
  { id: 'details', label: 'Details' },
] as const;

function detailsText(details: AuditRecord['details']): string {
  return Object.entries(details)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

/** A row: its record, or the seq of a record the chain lacks (deleted), or neither while its page loads. */
export interface RowState {
  record?: AuditRecord;
  missingSeq?: number;
}

interface AuditRowProps {
  index: number;
  top: number;
  height: number;
  record: AuditRecord | undefined;
  missingSeq: number | undefined;
  /** The key's label when the target is a key this console knows. */
  targetLabel: string | undefined;
}

export const AuditRow = memo(function AuditRow({ index, top, height, record, missingSeq, targetLabel }: AuditRowProps) {
  const style = { transform: `translateY(${top}px)`, height };
  if (!record && missingSeq !== undefined) {
    return (
      <div role="row" aria-rowindex={index + 2} className="vrow vrow-abs outcome-failure" style={style} data-seq={missingSeq}>
        <div role="cell" className="vcell col-seq num">
          {missingSeq}
        </div>
        <div role="cell" className="vcell">
          Record {missingSeq} is missing from the log (deleted?): run Verify chain.
        </div>
      </div>
    );
  }
  if (!record) {
    return (
      <div role="row" aria-rowindex={index + 2} className="vrow vrow-abs loading" style={style}>
        <div role="cell" className="vcell">
          Loading…
        </div>
      </div>
    );
  }
  const details = detailsText(record.details);
  const targetName = targetLabel ? `“${targetLabel}” ${record.targetId}` : record.targetId;
  const target = record.targetId ? `${record.targetType ?? ''} ${targetName}`.trim() : '—';
  return (
    <div role="row" aria-rowindex={index + 2} className={`vrow vrow-abs outcome-${record.outcome}`} style={style} data-seq={record.seq}>
      <div role="cell" className="vcell col-seq num">
        {record.seq}
      </div>
      <div role="cell" className="vcell col-time">
        {formatTime(record.ts)}
      </div>
      <div role="cell" className="vcell col-actor" title={record.actor}>
        {record.actor}
      </div>
      <div role="cell" className="vcell col-action">
        {record.action}
      </div>
      <div role="cell" className="vcell col-target" title={target}>
        {target}
      </div>
      <div role="cell" className="vcell col-outcome">
        {record.outcome}
      </div>
      <div role="cell" className="vcell col-details" title={details}>
        {details}
      </div>
    </div>
  );
});
