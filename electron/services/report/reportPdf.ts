// The compliance report as a PDF (pdf-lib with fontkit). A4 pages, numbered "page N of M". The text is set in
// DejaVu fonts embedded as subsets (reportFonts.ts): DejaVu Sans for the header, DejaVu Sans Bold for headings, DejaVu
// Sans Mono for the tables so columns line up as plain text, and `pdftotext -layout` gives them back. Names print as
// stored (NFC) in any script: a character its role's font lacks is drawn in the first font that has it, the other
// DejaVu fonts first (Vietnamese ả ễ ở from DejaVu Sans in a table), then the fallback fonts (Noto Sans SC for CJK,
// Noto Sans KR for Hangul), which are read and embedded only when the report has such a character. A character no
// font has is printed as U+FFFD, and the header lists such characters once. The CSV keeps every character.
// In the tables a character in another font takes whole columns (a CJK ideograph two, as in a terminal), measured from
// that font's advance, and is drawn scaled horizontally to fill them: the columns still line up, and the text has no
// gaps that would make `pdftotext` split a name.
import { PDFDocument, setCharacterSqueeze, type PDFFont, type PDFPage } from 'pdf-lib';
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
/** Subset tags of the fallback fonts, in FALLBACK_FONTS order (fixed, so the same report gives the same bytes). */
const FALLBACK_TAGS = ['ECPSAD', 'ECPSAE', 'ECPSAF', 'ECPSAG'];
/** A glyph wider than its columns by up to this share of a column is not given one more (Vietnamese from DejaVu Sans). */
const COLUMN_SLACK = 0.1;

/** Text as printed: code points (a character outside the Basic Multilingual Plane is one character, not two). */
const chars = (s: string) => Array.from(s);
/** Columns of text in the table font alone: one a code point. */
const width = (s: string) => chars(s).length;

/** How many columns a string takes in the tables (`tableLines`' and `wrap`'s measure). */
export type Columns = (s: string) => number;

const padEnd = (s: string, w: number, cols: Columns) => s + ' '.repeat(Math.max(0, w - cols(s)));

/** The longest head of `s` no wider than `n` columns (at least one character, so a cut always advances), and the rest. */
export function splitAtColumns(s: string, n: number, cols: Columns): [string, string] {
  const cs = chars(s);
  let used = 0;
  let i = 0;
  for (; i < cs.length; i++) {
    const w = cols(cs[i]!);
    if (i > 0 && used + w > n) break;
    used += w;
  }
  return [cs.slice(0, i).join(''), cs.slice(i).join('')];
}

/** What the fonts can print: NFC text, every character none of them has replaced. */
interface Printable {
  (s: string): string;
  /** The characters replaced so far, by code point. */
  missing: Set<number>;
}

function printable(has: (cp: number) => boolean, replacement: string): Printable {
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

/** Words into lines of at most `lineWidth` columns; a word longer than a line is cut (control reasons, notes). */
export function wrap(text: string, lineWidth: number, cols: Columns): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && cols(line) + 1 + cols(word) > lineWidth) {
      out.push(line);
      line = '';
    }
    line = line === '' ? word : `${line} ${word}`;
    while (cols(line) > lineWidth) {
      const [head, rest] = splitAtColumns(line, lineWidth, cols);
      out.push(head);
      line = rest;
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

/**
 * A table as lines of fixed-width text: header, rule, rows (cells cut at MAX_CELL columns with "~"). `cols` measures
 * text as the PDF prints it (default: one column a character, the table font alone).
 */
export function tableLines(t: Pick<ReportTable, 'columns' | 'rows'>, print: (s: string) => string = (s) => s, cols: Columns = width): string[] {
  const cut = (s: string) => (cols(s) > MAX_CELL ? `${splitAtColumns(s, MAX_CELL - 1, cols)[0]}~` : s);
  const rows = t.rows.map((r) => r.map((c) => cut(print(c))));
  const widths = t.columns.map((c, i) => Math.max(cols(c), ...rows.map((r) => cols(r[i] ?? ''))));
  const line = (cells: string[]) => cells.map((c, i) => padEnd(c, widths[i] ?? 0, cols)).join('  ').trimEnd();
  return [line(t.columns), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/**
 * fontkit with its TrueType subsets fixed: it copies each glyph's bytes as they are and then writes a short `loca`
 * table (offsets halved) when the subset is small, so a glyph of odd length (as in the Noto fonts, whose own `loca` is
 * long) shifts every glyph after it and viewers draw nothing for them. Each glyph is padded to an even length here,
 * as the TrueType format asks. DejaVu's glyphs are all even already: its subsets are unchanged. Each font file is
 * parsed once per document (the same bytes give the same font object).
 */
interface KitFont {
  hasGlyphForCodePoint(cp: number): boolean;
}
interface FontkitLike {
  create(bytes: Uint8Array, postscriptName?: string): object;
}
interface SubsetInternals {
  glyf: Uint8Array[];
  offset: number;
  _addGlyph(gid: number): number;
}
function evenGlyphs<F extends FontkitLike>(fontkit: F): F {
  // One parse of each file: renderPdf reads a fallback font's character set before pdf-lib embeds the same bytes.
  const parsed = new WeakMap<Uint8Array, object>();
  return {
    ...fontkit,
    create(bytes: Uint8Array, postscriptName?: string) {
      const known = postscriptName === undefined ? parsed.get(bytes) : undefined;
      if (known !== undefined) return known;
      // Handed as an ArrayBuffer: fontkit's Buffer wraps that as it is, where it copies a Uint8Array byte by byte in
      // JavaScript (most of a CJK report's rendering time, for the 10 MB Noto Sans SC).
      const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
      const font = fontkit.create(whole as unknown as Uint8Array, postscriptName) as { createSubset?: () => SubsetInternals };
      if (postscriptName === undefined) parsed.set(bytes, font);
      const createSubset = font.createSubset;
      if (createSubset === undefined) return font;
      font.createSubset = function (this: unknown) {
        const subset = createSubset.call(this);
        const addGlyph = subset._addGlyph;
        subset._addGlyph = function (this: SubsetInternals, gid: number) {
          const index = addGlyph.call(this, gid);
          const last = this.glyf.length - 1;
          const glyph = this.glyf[last]!;
          if (glyph.length % 2 === 1) {
            // fontkit's own Buffer class (its encoder refuses any other): a copy one zero byte longer.
            const padded = (glyph.constructor as unknown as { alloc(n: number): Uint8Array }).alloc(glyph.length + 1);
            padded.set(glyph);
            this.glyf[last] = padded;
            this.offset += 1;
          }
          return index;
        };
        return subset;
      };
      return font;
    },
  };
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

type Role = 'plain' | 'bold' | 'mono';

export async function renderPdf(report: ReportData, fonts: ReportFontBytes): Promise<Buffer> {
  const doc = await PDFDocument.create();
  // Loaded at the first PDF, not at start-up: the main process's heap holds fontkit only once a PDF report is made.
  const fontkit = evenGlyphs((await import('@pdf-lib/fontkit')).default);
  doc.registerFontkit(fontkit);
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
  const glyphsOf = new Map<PDFFont, KitFont>();
  const embed = async (bytes: Uint8Array, name: string) => {
    const font = await doc.embedFont(bytes, { subset: true, customName: name, features: NO_SHAPING });
    // The parsed font pdf-lib embeds (evenGlyphs keeps one a file): its cmap answers which characters it has.
    glyphsOf.set(font, fontkit.create(bytes) as KitFont);
    return font;
  };
  const mono = await embed(fonts.mono, 'ECPSAA+DejaVuSansMono');
  const bold = await embed(fonts.bold, 'ECPSAB+DejaVuSans-Bold');
  const plain = await embed(fonts.plain, 'ECPSAC+DejaVuSans');
  const hasChar = (f: PDFFont, cp: number) => glyphsOf.get(f)!.hasGlyphForCodePoint(cp);
  const dejavu = [mono, bold, plain];

  // The characters the report prints; the fallback fonts are read and embedded in turn while some are still lacking
  // (a report in Latin, Greek and Cyrillic reads none; one with a Chinese name reads Noto Sans SC only).
  const wanted = new Set<number>();
  for (const t of textsOf(report)) for (const c of chars(t.normalize('NFC'))) wanted.add(c.codePointAt(0)!);
  let lacking = [...wanted].filter((cp) => !dejavu.some((f) => hasChar(f, cp)));
  const fallbacks: PDFFont[] = [];
  for (const [i, source] of fonts.fallbacks.entries()) {
    if (lacking.length === 0) break;
    const bytes = source.read();
    const candidate = fontkit.create(bytes) as KitFont;
    if (!lacking.some((cp) => candidate.hasGlyphForCodePoint(cp))) continue;
    const font = await embed(bytes, `${FALLBACK_TAGS[i] ?? `ECPSA${i}`}+${source.name}`);
    fallbacks.push(font);
    lacking = lacking.filter((cp) => !hasChar(font, cp));
  }
  /** Per role: its own font, the other DejaVu fonts, then the fallbacks. */
  const chains: Record<Role, PDFFont[]> = {
    mono: [mono, plain, bold, ...fallbacks],
    plain: [plain, mono, bold, ...fallbacks],
    bold: [bold, plain, mono, ...fallbacks],
  };
  const all = chains.mono;
  const replacement = dejavu.every((f) => hasChar(f, REPLACEMENT.codePointAt(0)!)) ? REPLACEMENT : '?';
  const print = printable((cp) => all.some((f) => hasChar(f, cp)), replacement);
  for (const t of textsOf(report)) print(t);
  const missing = [...print.missing].sort((a, b) => a - b);
  const fontOf = (role: Role, c: string) => {
    const cp = c.codePointAt(0)!;
    return chains[role].find((f) => hasChar(f, cp)) ?? chains[role][0]!;
  };
  /** Printed text as runs of one font each. */
  const runs = (role: Role, s: string) => {
    const out: { font: PDFFont; text: string }[] = [];
    for (const c of chars(s)) {
      const font = fontOf(role, c);
      const last = out[out.length - 1];
      if (last?.font === font) last.text += c;
      else out.push({ font, text: c });
    }
    return out;
  };
  /** The mono font's advance in em: the characters of one text line at a size. */
  const advance = mono.widthOfTextAtSize('0', 1);
  /** Columns of one printed character in a table: one in the mono font; in another, its advance in whole columns. */
  const columnCache = new Map<string, number>();
  const charColumns = (c: string) => {
    let n = columnCache.get(c);
    if (n === undefined) {
      const font = fontOf('mono', c);
      n = font === mono ? 1 : Math.max(1, Math.ceil(font.widthOfTextAtSize(c, 1) / advance - COLUMN_SLACK));
      columnCache.set(c, n);
    }
    return n;
  };
  const cols: Columns = (s) => chars(s).reduce((sum, c) => sum + charColumns(c), 0);
  /** Proportional text's width: the sum of its runs'. */
  const measure = (role: Role, s: string, size: number) => runs(role, s).reduce((sum, r) => sum + r.font.widthOfTextAtSize(r.text, size), 0);
  const widthChars = Math.floor((PAGE[0] - 2 * MARGIN) / (BODY * advance));

  let page: PDFPage = doc.addPage(PAGE);
  let y = PAGE[1] - MARGIN;
  const room = (height: number) => {
    if (y - height < MARGIN + LINE) {
      page = doc.addPage(PAGE);
      y = PAGE[1] - MARGIN;
    }
  };
  /** One line at (x, baseline); table text by columns, other text run after run. */
  const draw = (p: PDFPage, s: string, role: Role, size: number, x: number, baseline: number) => {
    if (role !== 'mono') {
      for (const r of runs(role, s)) {
        p.drawText(r.text, { x, y: baseline, size, font: r.font });
        x += r.font.widthOfTextAtSize(r.text, size);
      }
      return;
    }
    const cell = advance * size;
    let col = 0;
    for (const r of runs('mono', s)) {
      if (r.font === mono) {
        p.drawText(r.text, { x: x + col * cell, y: baseline, size, font: mono });
        col += width(r.text);
        continue;
      }
      // Each character scaled horizontally to fill its columns exactly (Tz, a text state operator, reset after); one
      // without advance (a combining mark) is drawn as it is, in the column it was counted in.
      for (const c of chars(r.text)) {
        const n = charColumns(c);
        const natural = r.font.widthOfTextAtSize(c, size);
        if (natural > 0) p.pushOperators(setCharacterSqueeze(Math.round((10000 * n * cell) / natural) / 100));
        p.drawText(c, { x: x + col * cell, y: baseline, size, font: r.font });
        if (natural > 0) p.pushOperators(setCharacterSqueeze(100));
        col += n;
      }
    }
  };
  const text = (s: string, role: Role, size: number, gap = LINE) => {
    room(gap);
    draw(page, print(s), role, size, MARGIN, y - size);
    y -= gap;
  };
  const mono8 = (s: string) => text(s, 'mono', BODY);
  /** A wide table is drawn smaller (down to MIN_BODY) so each row stays one line; wider still, rows are cut into lines. */
  const drawTable = (lines: string[]) => {
    const widest = Math.max(...lines.map(cols));
    const size = Math.max(MIN_BODY, Math.min(BODY, (PAGE[0] - 2 * MARGIN) / (advance * widest)));
    const perLine = Math.floor((PAGE[0] - 2 * MARGIN) / (advance * size));
    for (const l of lines) {
      let rest = l;
      do {
        const [head, tail] = splitAtColumns(rest, perLine, cols);
        text(head, 'mono', size, Math.min(LINE, size * 1.3));
        rest = tail;
      } while (rest !== '');
    }
  };

  text('ECPS-UV Fleet Security Console - Compliance report', 'bold', 15, 22);
  for (const [k, v] of [
    ['Period', `${report.period.from} to ${report.period.to} (UTC, both included)`],
    ['Generated', `${report.generatedAt} by ${report.generatedBy}`],
    ['Store', report.storeId],
    ['Audit key (SHA-256)', report.keyFingerprint],
    ['Signature', 'detached Ed25519 signature over this file (.sig), by the audit key above'],
  ] as const) {
    text(`${k}: ${v}`, 'plain', 9, 12);
  }
  if (missing.length > 0) {
    // Said once, here: the places they stand in are marked by the replacement character.
    const named = missing.slice(0, LISTED_MISSING).map(codePoint).join(' ');
    const more = missing.length > LISTED_MISSING ? ` and ${missing.length - LISTED_MISSING} more` : '';
    const note = `Characters this PDF's fonts lack are printed as ${print(REPLACEMENT)} (${missing.length}: ${named}${more}); the CSV report has them as stored.`;
    for (const l of wrapToWidth(print(note), (line) => measure('plain', line, 9), PAGE[0] - 2 * MARGIN)) text(l, 'plain', 9, 12);
  }
  y -= 6;
  text('Sections and the controls they evidence', 'bold', 11, 16);
  const mapping = report.sections.flatMap((s) => s.controls.map((c) => [s.title, c.framework, c.control]));
  drawTable(tableLines({ columns: ['Section', 'Framework', 'Control'], rows: mapping }, print, cols));

  report.sections.forEach((s, i) => {
    y -= 8;
    room(60);
    text(`${i + 1}. ${s.title}`, 'bold', 12, 18);
    for (const c of s.controls) for (const l of wrap(print(`${c.framework} ${c.control}: ${c.reason}`), widthChars, cols)) mono8(l);
    y -= 4;
    const labelWidth = Math.max(...s.summary.map(([label]) => cols(print(label))));
    for (const [label, value] of s.summary) mono8(`${padEnd(print(label), labelWidth, cols)}  ${value}`);
    for (const t of s.tables) {
      y -= 4;
      text(`${t.title} (${t.rows.length})`, 'bold', 9, 13);
      if (t.rows.length === 0) mono8('(none)');
      else drawTable(tableLines(t, print, cols));
    }
    for (const note of s.notes) for (const l of wrap(print(`Note: ${note}`), widthChars, cols)) mono8(l);
  });

  const pages = doc.getPages();
  pages.forEach((p, i) => {
    const label = `page ${i + 1} of ${pages.length}`;
    draw(p, label, 'plain', 8, PAGE[0] - MARGIN - measure('plain', label, 8), MARGIN / 2);
  });
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}
