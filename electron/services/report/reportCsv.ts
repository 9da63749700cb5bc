// The compliance report as CSV (RFC 4180, UTF-8, CRLF): one fixed shape of six columns so any tool can filter it.
//   kind,section,table,item,field,value
//   meta,,,,from,2026-03-01T00:00:00.000Z            the report's period, generation time, operator, store, key
//   summary,rotation,,,On time,2                       a section's figure
//   row,rotation,jobs,1,Verdict,on time                one cell of a table (item = row number, field = column)
//   control,rotation,,SOC 2,CC6.1,<reason>             what the section evidences
//   note,operators,,,,<text>
// A formula-looking cell (= + - @ first) is prefixed with ' so a spreadsheet shows it as text.
import type { ReportData } from './reportData.ts';

export const CSV_COLUMNS = ['kind', 'section', 'table', 'item', 'field', 'value'] as const;

function cell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function renderCsv(report: ReportData): Buffer {
  const lines: string[][] = [[...CSV_COLUMNS]];
  const meta = (field: string, value: string) => lines.push(['meta', '', '', '', field, value]);
  meta('title', 'ECPS-UV compliance report');
  meta('from', report.period.from);
  meta('to', report.period.to);
  meta('generated_at', report.generatedAt);
  meta('generated_by', report.generatedBy);
  meta('store_id', report.storeId);
  meta('audit_key_fingerprint', report.keyFingerprint);
  for (const s of report.sections) {
    lines.push(['section', s.id, '', '', 'title', s.title]);
    for (const c of s.controls) lines.push(['control', s.id, '', c.framework, c.control, c.reason]);
    for (const [label, value] of s.summary) lines.push(['summary', s.id, '', '', label, value]);
    for (const t of s.tables) {
      t.rows.forEach((row, i) => row.forEach((value, j) => lines.push(['row', s.id, t.id, String(i + 1), t.columns[j] ?? '', value])));
    }
    for (const note of s.notes) lines.push(['note', s.id, '', '', '', note]);
  }
  return Buffer.from(lines.map((l) => l.map(cell).join(',')).join('\r\n') + '\r\n', 'utf8');
}
