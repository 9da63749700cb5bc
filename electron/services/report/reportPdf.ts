// The compliance report as a PDF (pdf-lib with fontkit). A4 pages, numbered "page N of M". The text is set in
// DejaVu fonts embedded as subsets (reportFonts.ts): DejaVu Sans for the header, DejaVu Sans Bold for headings, DejaVu
// Sans Mono for the tables so columns line up as plain text, and `pdftotext -layout` gives them back. Names print as
// stored (NFC) in every script the three fonts share (Latin, Greek, Cyrillic, ...); a character they lack (CJK, for
// one) is printed as U+FFFD, and the header lists such characters once. The CSV keeps every character.
import { PDFDocument, type PDFFont, type PDFPage } from 'pdf-lib';
import type { ReportData, ReportTable } from './reportData.ts';
import type { ReportFontBytes } from './reportFonts.ts';

const PAGE: [number, number] = [595.28, 841.89];
const MARGIN = 40;
const BODY = 8;
const MIN_BODY = 5.5;
const LINE = 10.5;
const MAX_CELL = 64;
/** Printed for a character the fonts lack (if they lack this one too: "?"). */
export const REPLACEMENT = '\uFFFD';
/** fontkit's default features (its DefaultShaper), all off. */
const NO_SHAPING = Object.fromEntries(
  ['rvrn', 'ltra', 'ltrm', 'frac', 'numr', 'dnom', 'ccmp', 'locl', 'rlig', 'mark', 'mkmk', 'calt', 'clig', 'liga', 'rclt', 'curs', 'kern'].map((f) => [f, false]),
);
/** How many of the missing characters the header names (the rest are counted). */
const LISTED_MISSING = 12;

/** Text as printed: code points (a character outside the Basic Multilingual Plane is one column, not two). */
const chars = (s: string) => Array.from(s);
const width = (s: string) => chars(s).length;
const padEnd = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - width(s)));
const slice = (s: string, from: number, to?: number) => chars(s).slice(from, to).join('');

/** What the fonts can print: NFC text, every character none of them has replaced. */
interface Printable {
  (s: string): string;
  /** The characters replaced so far, by code point. */
  missing: Set<number>;
}

function printable(fonts: readonly PDFFont[]): Printable {
  const sets = fonts.map((f) => new Set(f.getCharacterSet()));
  const has = (cp: number) => sets.every((set) => set.has(cp));
  const replacement = has(REPLACEMENT.codePointAt(0)!) ? REPLACEMENT : '?';
  const missing = new Set<number>();
  const fn = ((s: string) =>
    chars(s.normalize('NFC'))
      .map((c) => {
        const cp = c.codePointAt(0)!;
        if (has(cp)) return c;
        missing.add(cp);
        return replacement;
      })
      .join('')) as Printable;
  fn.missing = missing;
  return fn;
}

function wrap(text: string, lineWidth: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && width(line) + 1 + width(word) > lineWidth) {
      out.push(line);
      line = '';
    }
    line = line === '' ? word : `${line} ${word}`;
    while (width(line) > lineWidth) {
      out.push(slice(line, 0, lineWidth));
      line = slice(line, lineWidth);
    }
  }
  out.push(line);
  return out;
}

/** Words into lines no wider than `max` as `measure` measures them (proportional text). */
function wrapToWidth(text: string, measure: (line: string) => number, max: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const longer = line === '' ? word : `${line} ${word}`;
    if (line !== '' && measure(longer) > max) {
      out.push(line);
      line = word;
    } else line = longer;
  }
  out.push(line);
  return out;
}

/** A table as lines of fixed-width text: header, rule, rows (cells cut at MAX_CELL characters with "~"). */
export function tableLines(t: Pick<ReportTable, 'columns' | 'rows'>, print: (s: string) => string = (s) => s): string[] {
  const cut = (s: string) => (width(s) > MAX_CELL ? `${slice(s, 0, MAX_CELL - 1)}~` : s);
  const rows = t.rows.map((r) => r.map((c) => cut(print(c))));
  const widths = t.columns.map((c, i) => Math.max(width(c), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]) => cells.map((c, i) => padEnd(c, widths[i] ?? 0)).join('  ').trimEnd();
  return [line(t.columns), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** Every text of the report, so the characters the fonts lack are known before the first line is drawn. */
function textsOf(report: ReportData): string[] {
  return [
    report.period.from,
    report.period.to,
    report.generatedAt,
    report.generatedBy,
    report.storeId,
    report.keyFingerprint,
    ...report.sections.flatMap((s) => [
      s.title,
      ...s.controls.flatMap((c) => [c.framework, c.control, c.reason]),
      ...s.summary.flat(),
      ...s.tables.flatMap((t) => [t.title, ...t.columns, ...t.rows.flat()]),
      ...s.notes,
    ]),
  ];
}

const codePoint = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

export async function renderPdf(report: ReportData, fonts: ReportFontBytes): Promise<Buffer> {
  const doc = await PDFDocument.create();
  // Loaded at the first PDF, not at start-up: the main process's heap holds fontkit only once a PDF report is made.
  doc.registerFontkit((await import('@pdf-lib/fontkit')).default);
  const at = new Date(report.generatedAt);
  doc.setTitle(`ECPS-UV compliance report ${report.period.from} to ${report.period.to}`);
  doc.setProducer('ECPS-UV Fleet Security Console');
  doc.setCreator('ECPS-UV Fleet Security Console');
  doc.setCreationDate(at);
  doc.setModificationDate(at);
  // Subsets: only the glyphs printed are embedded. Each named with a subset tag of its own (six capitals and "+", as
  // PDF readers expect of a subset; fixed, so the same report gives the same bytes). No OpenType shaping: one (NFC)
  // character, one glyph, so columns count characters and text extracts as stored; pdf-lib ignores glyph positions
  // (kerning, marks) anyway, and shaping took most of the rendering time.
  const embed = (bytes: Uint8Array, name: string) => doc.embedFont(bytes, { subset: true, customName: name, features: NO_SHAPING });
  const mono = await embed(fonts.mono, 'ECPSAA+DejaVuSansMono');
  const bold = await embed(fonts.bold, 'ECPSAB+DejaVuSans-Bold');
  const plain = await embed(fonts.plain, 'ECPSAC+DejaVuSans');
  const print = printable([mono, bold, plain]);
  for (const t of textsOf(report)) print(t);
  const missing = [...print.missing].sort((a, b) => a - b);
  /** The mono font's advance in em: the characters of one text line at a size. */
  const advance = mono.widthOfTextAtSize('0', 1);
  const widthChars = Math.floor((PAGE[0] - 2 * MARGIN) / (BODY * advance));

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
    page.drawText(print(s), { x: MARGIN, y: y - size, size, font });
    y -= gap;
  };
  const mono8 = (s: string) => text(s, mono, BODY);
  /** A wide table is drawn smaller (down to MIN_BODY) so each row stays one line; wider still, rows are cut into lines. */
  const drawTable = (lines: string[]) => {
    const widest = Math.max(...lines.map(width));
    const size = Math.max(MIN_BODY, Math.min(BODY, (PAGE[0] - 2 * MARGIN) / (advance * widest)));
    const perLine = Math.floor((PAGE[0] - 2 * MARGIN) / (advance * size));
    for (const l of lines) for (let at = 0; at < width(l) || at === 0; at += perLine) text(slice(l, at, at + perLine), mono, size, Math.min(LINE, size * 1.3));
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
  if (missing.length > 0) {
    // Said once, here: the places they stand in are marked by the replacement character.
    const named = missing.slice(0, LISTED_MISSING).map(codePoint).join(' ');
    const more = missing.length > LISTED_MISSING ? ` and ${missing.length - LISTED_MISSING} more` : '';
    const note = `Characters this PDF's fonts lack are printed as ${print(REPLACEMENT)} (${missing.length}: ${named}${more}); the CSV report has them as stored.`;
    for (const l of wrapToWidth(print(note), (line) => plain.widthOfTextAtSize(line, 9), PAGE[0] - 2 * MARGIN)) text(l, plain, 9, 12);
  }
  y -= 6;
  text('Sections and the controls they evidence', bold, 11, 16);
  const mapping = report.sections.flatMap((s) => s.controls.map((c) => [s.title, c.framework, c.control]));
  drawTable(tableLines({ columns: ['Section', 'Framework', 'Control'], rows: mapping }, print));

  report.sections.forEach((s, i) => {
    y -= 8;
    room(60);
    text(`${i + 1}. ${s.title}`, bold, 12, 18);
    for (const c of s.controls) for (const l of wrap(print(`${c.framework} ${c.control}: ${c.reason}`), widthChars)) mono8(l);
    y -= 4;
    const labelWidth = Math.max(...s.summary.map(([label]) => width(print(label))));
    for (const [label, value] of s.summary) mono8(`${padEnd(print(label), labelWidth)}  ${value}`);
    for (const t of s.tables) {
      y -= 4;
      text(`${t.title} (${t.rows.length})`, bold, 9, 13);
      if (t.rows.length === 0) mono8('(none)');
      else drawTable(tableLines(t, print));
    }
    for (const note of s.notes) for (const l of wrap(print(`Note: ${note}`), widthChars)) mono8(l);
  });

  const pages = doc.getPages();
  pages.forEach((p, i) => {
    const label = `page ${i + 1} of ${pages.length}`;
    p.drawText(label, { x: PAGE[0] - MARGIN - plain.widthOfTextAtSize(label, 8), y: MARGIN / 2, size: 8, font: plain });
  });
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}
