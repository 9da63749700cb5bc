// The compliance report as a PDF (pdf-lib, the standard fonts only: Helvetica for headings, Courier for the tables so
// columns line up as plain text, and `pdftotext -layout` gives them back). A4 pages, numbered "page N of M". The
// standard fonts encode WinAnsi only: characters outside printable ASCII are printed as "?" (the CSV keeps them).
import { PDFDocument, type PDFFont, type PDFPage, StandardFonts } from 'pdf-lib';
import type { ReportData, ReportTable } from './reportData.ts';

const PAGE: [number, number] = [595.28, 841.89];
const MARGIN = 40;
const BODY = 8;
const MIN_BODY = 5.5;
const LINE = 10.5;
/** Courier's advance is 0.6 em: the characters of one text line at BODY size. */
const WIDTH_CHARS = Math.floor((PAGE[0] - 2 * MARGIN) / (BODY * 0.6));
const MAX_CELL = 64;

const ascii = (s: string) => s.replace(/[^\x20-\x7e]/g, '?');

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of ascii(text).split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(line);
      line = '';
    }
    line = line === '' ? word : `${line} ${word}`;
    while (line.length > width) {
      out.push(line.slice(0, width));
      line = line.slice(width);
    }
  }
  out.push(line);
  return out;
}

/** A table as lines of fixed-width text: header, rule, rows (cells cut at MAX_CELL characters with "~"). */
export function tableLines(t: Pick<ReportTable, 'columns' | 'rows'>): string[] {
  const cut = (s: string) => (s.length > MAX_CELL ? `${s.slice(0, MAX_CELL - 1)}~` : ascii(s));
  const rows = t.rows.map((r) => r.map(cut));
  const widths = t.columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(t.columns), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

export async function renderPdf(report: ReportData): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const at = new Date(report.generatedAt);
  doc.setTitle(`ECPS-UV compliance report ${report.period.from} to ${report.period.to}`);
  doc.setProducer('ECPS-UV Fleet Security Console');
  doc.setCreator('ECPS-UV Fleet Security Console');
  doc.setCreationDate(at);
  doc.setModificationDate(at);
  const mono = await doc.embedFont(StandardFonts.Courier);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const plain = await doc.embedFont(StandardFonts.Helvetica);

  let page: PDFPage = doc.addPage(PAGE);
  let y = PAGE[1] - MARGIN;
  const room = (height: number) => {
    if (y - height < MARGIN + LINE) {
      page = doc.addPage(PAGE);
      y = PAGE[1] - MARGIN;
    }
  };
  const text = (s: string, font: PDFFont, size: number, gap = LINE) => {
    room(gap);
    page.drawText(ascii(s), { x: MARGIN, y: y - size, size, font });
    y -= gap;
  };
  const mono8 = (s: string) => text(s, mono, BODY);
  /** A wide table is drawn smaller (down to MIN_BODY) so each row stays one line; wider still, rows are cut into lines. */
  const drawTable = (lines: string[]) => {
    const widest = Math.max(...lines.map((l) => l.length));
    const size = Math.max(MIN_BODY, Math.min(BODY, (PAGE[0] - 2 * MARGIN) / (0.6 * widest)));
    const chars = Math.floor((PAGE[0] - 2 * MARGIN) / (0.6 * size));
    for (const l of lines) for (let at = 0; at < l.length || at === 0; at += chars) text(l.slice(at, at + chars), mono, size, Math.min(LINE, size * 1.3));
  };

  text('ECPS-UV Fleet Security Console - Compliance report', bold, 15, 22);
  for (const [k, v] of [
    ['Period', `${report.period.from} to ${report.period.to} (UTC, both included)`],
    ['Generated', `${report.generatedAt} by ${report.generatedBy}`],
    ['Store', report.storeId],
    ['Audit key (SHA-256)', report.keyFingerprint],
    ['Signature', 'detached Ed25519 signature over this file (.sig), by the audit key above'],
  ] as const) {
    text(`${k}: ${v}`, plain, 9, 12);
  }
  y -= 6;
  text('Sections and the controls they evidence', bold, 11, 16);
  const mapping = report.sections.flatMap((s) => s.controls.map((c) => [s.title, c.framework, c.control]));
  drawTable(tableLines({ columns: ['Section', 'Framework', 'Control'], rows: mapping }));

  report.sections.forEach((s, i) => {
    y -= 8;
    room(60);
    text(`${i + 1}. ${s.title}`, bold, 12, 18);
    for (const c of s.controls) for (const l of wrap(`${c.framework} ${c.control}: ${c.reason}`, WIDTH_CHARS)) mono8(l);
    y -= 4;
    const labelWidth = Math.max(...s.summary.map(([label]) => label.length));
    for (const [label, value] of s.summary) mono8(`${label.padEnd(labelWidth)}  ${value}`);
    for (const t of s.tables) {
      y -= 4;
      text(`${t.title} (${t.rows.length})`, bold, 9, 13);
      if (t.rows.length === 0) mono8('(none)');
      else drawTable(tableLines(t));
    }
    for (const note of s.notes) for (const l of wrap(`Note: ${note}`, WIDTH_CHARS)) mono8(l);
  });

  const pages = doc.getPages();
  pages.forEach((p, i) => {
    const label = `page ${i + 1} of ${pages.length}`;
    p.drawText(label, { x: PAGE[0] - MARGIN - plain.widthOfTextAtSize(label, 8), y: MARGIN / 2, size: 8, font: plain });
  });
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}
