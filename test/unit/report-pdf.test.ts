// The compliance report's PDF rendering (electron/services/report/reportPdf.ts) with its real fonts (reportFonts.ts,
// read from the dejavu-fonts-ttf package and the Noto Sans SC / KR packages): the same report gives the same bytes;
// the fonts are embedded as subsets (the whole report far smaller than one of its font files); a fallback font is
// read only when the report has a character DejaVu lacks, and only the one needed; CJK glyphs are drawn (ink on the
// page, as poppler renders it); a table's columns count characters, not UTF-16 units, and a CJK character two
// columns; a missing font file is a typed error that names it; the header's note on characters no font has names at
// most twelve and counts the rest, and is absent when none is missing. Names as printed in a real console's report
// are checked in test/integration/report-unicode.test.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReportData } from '../../electron/services/report/reportData.ts';
import { FALLBACK_FONTS, loadReportFonts, packageFontFolder, REPORT_FONT_FILES, reportFontDir, type ReportFontBytes } from '../../electron/services/report/reportFonts.ts';
import { renderPdf, splitAtColumns, tableLines, wrap } from '../../electron/services/report/reportPdf.ts';
import { isConsoleError } from '../../shared/errors.ts';

const report: ReportData = {
  period: { from: '2026-07-01T00:00:00.000Z', to: '2026-07-01T23:59:59.999Z', fromMs: Date.parse('2026-07-01T00:00:00.000Z'), toMs: Date.parse('2026-07-01T23:59:59.999Z') },
  generatedAt: '2026-07-02T08:00:00.000Z',
  generatedBy: 'Zoë Ångström',
  storeId: 'store-1',
  keyFingerprint: 'ab'.repeat(32),
  sections: [
    {
      id: 'inventory',
      title: 'Key inventory',
      controls: [{ framework: 'SOC 2', control: 'CC6.1', reason: 'Inventory.' }],
      summary: [['Keys', '2']],
      tables: [{ id: 'keys', title: 'Keys', columns: ['Key id', 'Label'], rows: [['k1', 'Łódź plant'], ['k2', 'Москва склад 東京']] }],
      notes: [],
    },
  ],
};

describe('the compliance report PDF', () => {
  it('is the same bytes for the same report (subset tags and font data fixed)', async () => {
    const fonts = loadReportFonts();
    const a = await renderPdf(report, fonts);
    const b = await renderPdf(report, loadReportFonts());
    expect(a.equals(b)).toBe(true);
    expect(a.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('embeds subsets of its fonts: the whole file is far smaller than its smallest font file', async () => {
    const pdf = await renderPdf(report, loadReportFonts());
    const smallest = Math.min(...Object.values(REPORT_FONT_FILES).map((f) => statSync(join(reportFontDir(), f)).size));
    expect(smallest).toBeGreaterThan(300_000);
    expect(pdf.length).toBeLessThan(smallest / 5);
    // Each font is named with a subset tag (six capitals and "+"), as PDF readers expect of a subset.
    for (const name of ['ECPSAA+DejaVuSansMono', 'ECPSAB+DejaVuSans-Bold', 'ECPSAC+DejaVuSans']) expect(pdf.toString('latin1')).toContain(`/BaseFont /${name}`);
    // The fixture's 東京: the Chinese fallback as a subset too, a thousandth of its 10 MB file.
    const sc = statSync(join(packageFontFolder(FALLBACK_FONTS[0].package), FALLBACK_FONTS[0].path)).size;
    expect(sc).toBeGreaterThan(5_000_000);
    expect(pdf.toString('latin1')).toContain('/BaseFont /ECPSAD+NotoSansSC-Regular');
    expect(pdf.length).toBeLessThan(sc / 200);
  });

  it('reads a fallback font only when the report has a character DejaVu lacks, and only the fallback it needs', async () => {
    const reads: string[] = [];
    const counted = (): ReportFontBytes => {
      const fonts = loadReportFonts();
      return { ...fonts, fallbacks: fonts.fallbacks.map((f) => ({ ...f, read: () => (reads.push(f.name), f.read()) })) };
    };
    const withLabel = (label: string): ReportData => ({ ...report, sections: [{ ...report.sections[0]!, tables: [{ ...report.sections[0]!.tables[0]!, rows: [['k1', label]] }] }] });
    const cases = [
      // Latin, Greek, Cyrillic, Vietnamese (DejaVu Sans has ả ễ ở): no fallback read.
      { label: 'Łódź Αθήνα Москва Hải Phòng Nguyễn ở', read: [] },
      { label: '上海 仓库', read: ['NotoSansSC-Regular'] },
      // Hangul: the Chinese font is read to learn it lacks it (and not embedded), then the Korean one.
      { label: '부산 창고', read: ['NotoSansSC-Regular', 'NotoSansKR-Regular'] },
      // A character no font has: every fallback is tried, none embedded.
      { label: 'Luxor \u{13000}', read: ['NotoSansSC-Regular', 'NotoSansKR-Regular'] },
    ];
    for (const c of cases) {
      reads.length = 0;
      const pdf = (await renderPdf(withLabel(c.label), counted())).toString('latin1');
      expect(reads, c.label).toEqual(c.read);
      expect(pdf.includes('NotoSansSC-Regular'), c.label).toBe(c.label.startsWith('上海'));
      expect(pdf.includes('NotoSansKR-Regular'), c.label).toBe(c.label.startsWith('부산'));
    }
  });

  it('draws the fallback glyphs: poppler puts ink on the page for each CJK name, as much as for Latin text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecps-report-ink-'));
    /** Dark pixels of page 1, rendered by pdftoppm in grey at 100 dpi. */
    const ink = async (by: string) => {
      writeFileSync(join(dir, 'r.pdf'), await renderPdf({ ...report, generatedBy: by }, loadReportFonts()));
      execFileSync('pdftoppm', ['-gray', '-r', '100', '-f', '1', '-l', '1', join(dir, 'r.pdf'), join(dir, 'p')]);
      const pgm = readFileSync(join(dir, 'p-1.pgm'));
      // P5 header: magic, width, height, maxval, each followed by one whitespace; then one byte a pixel.
      let at = 0;
      for (let fields = 0; fields < 4; at++) if (/\s/.test(String.fromCharCode(pgm[at]!)) && !/\s/.test(String.fromCharCode(pgm[at - 1]!))) fields++;
      return pgm.subarray(at).reduce((n, v) => n + (v < 128 ? 1 : 0), 0);
    };
    try {
      const base = await ink('');
      const latin = (await ink('Zoe Angstrom')) - base;
      expect(latin).toBeGreaterThan(50);
      // Each at least half the ink of the Latin name: a glyph the subset broke is drawn as nothing.
      for (const name of ['王小明 张伟', '山田 はなこ カタカナ', '김민준 박서연']) expect((await ink(name)) - base, name).toBeGreaterThan(latin / 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lines up table columns after CJK names: every cell of a column starts at the same x (pdftotext -bbox)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecps-report-cols-'));
    try {
      const rows = [
        ['k1', 'Łódź plant', 'storage'],
        ['k2', '上海 仓库', 'storage'],
        ['k3', '東京 倉庫 カタカナ', 'storage'],
        ['k4', '부산 창고', 'storage'],
        ['k5', 'Hải Phòng xưởng', 'storage'],
        ['k6', 'Luxor \u{13000}', 'storage'],
      ];
      const data: ReportData = { ...report, sections: [{ ...report.sections[0]!, tables: [{ id: 'keys', title: 'Keys', columns: ['Key id', 'Label', 'Type'], rows }] }] };
      writeFileSync(join(dir, 'r.pdf'), await renderPdf(data, loadReportFonts()));
      const html = execFileSync('pdftotext', ['-bbox', '-enc', 'UTF-8', join(dir, 'r.pdf'), '-'], { encoding: 'utf8' });
      const xs = [...html.matchAll(/<word xMin="([\d.]+)"[^>]*>storage<\/word>/g)].map((m) => Number(m[1]));
      expect(xs).toHaveLength(rows.length);
      for (const x of xs) expect(x).toBeCloseTo(xs[0]!, 1);
      // And the label column starts where the header's "Label" does, in every row.
      const labelX = Number(/<word xMin="([\d.]+)"[^>]*>Label<\/word>/.exec(html)![1]);
      for (const first of ['Łódź', '上海', '東京', '부산', 'Hải', 'Luxor']) expect(Number(new RegExp(`<word xMin="([\\d.]+)"[^>]*>${first}</word>`).exec(html)?.[1]), first).toBeCloseTo(labelX, 1);
      // Each ideograph, kana or Hangul syllable takes two columns and fills them (drawn neither squeezed into one nor
      // leaving gaps); a Vietnamese letter from DejaVu Sans one. A column: the mono word "storage" over its 7 letters.
      const box = (word: string) => {
        const m = new RegExp(`<word xMin="([\\d.]+)" yMin="[\\d.]+" xMax="([\\d.]+)"[^>]*>${word}</word>`).exec(html);
        return m ? Number(m[2]) - Number(m[1]) : NaN;
      };
      const column = box('storage') / 7;
      for (const [word, columns] of [['上海', 4], ['仓库', 4], ['カタカナ', 8], ['부산', 4], ['Hải', 3], ['xưởng', 5]] as const) expect(box(word) / column, word).toBeCloseTo(columns, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pads table columns by characters: a character outside the BMP takes one column, as it is printed', () => {
    // U+1D400 (mathematical bold A) is two UTF-16 units, one character.
    const lines = tableLines({ columns: ['Name', 'Role'], rows: [['\u{1D400}bc', 'viewer'], ['abcd', 'admin']] });
    expect(lines).toEqual(['Name  Role', '----  ------', '\u{1D400}bc   viewer', 'abcd  admin']);
  });

  it('cuts and wraps text by columns: a CJK character two, a cut always takes at least one character', () => {
    const codePoints = (s: string) => Array.from(s).length;
    const cjk = (s: string) => Array.from(s).reduce((n, c) => n + (/\p{Script=Han}/u.test(c) ? 2 : 1), 0);
    // [text, columns, measure, head, rest]
    const cuts: [string, number, (s: string) => number, string, string][] = [
      ['abcdef', 3, codePoints, 'abc', 'def'],
      ['ab', 2, codePoints, 'ab', ''],
      ['', 3, codePoints, '', ''],
      ['東京x', 3, cjk, '東', '京x'],
      ['東京x', 4, cjk, '東京', 'x'],
      ['東京', 1, cjk, '東', '京'],
    ];
    for (const [text, n, measure, head, rest] of cuts) expect(splitAtColumns(text, n, measure), `${text} at ${n}`).toEqual([head, rest]);
    // [text, line width, measure, lines]
    const wraps: [string, number, (s: string) => number, string[]][] = [
      ['aaa', 5, codePoints, ['aaa']],
      ['aaa bbb', 7, codePoints, ['aaa bbb']],
      ['aaa bbb ccc', 7, codePoints, ['aaa bbb', 'ccc']],
      ['aaa bbbb', 7, codePoints, ['aaa', 'bbbb']],
      ['abcdefghij', 4, codePoints, ['abcd', 'efgh', 'ij']],
      ['x abcdefghij', 4, codePoints, ['x', 'abcd', 'efgh', 'ij']],
      ['', 5, codePoints, ['']],
      ['東京 大阪 名古屋', 9, cjk, ['東京 大阪', '名古屋']],
      ['東京 大阪 名古屋', 8, cjk, ['東京', '大阪', '名古屋']],
      ['東京大阪', 5, cjk, ['東京', '大阪']],
    ];
    for (const [text, n, measure, lines] of wraps) expect(wrap(text, n, measure), `${text} in ${n}`).toEqual(lines);
  });

  it('pads and cuts table cells by the columns its measure gives (a CJK character two, as the PDF draws it)', () => {
    // The measure of the test: ideographs two columns, anything else one.
    const cols = (s: string) => Array.from(s).reduce((n, c) => n + (/\p{Script=Han}/u.test(c) ? 2 : 1), 0);
    const lines = tableLines({ columns: ['Name', 'Role'], rows: [['東京', 'viewer'], ['abcde', 'admin']] }, undefined, cols);
    expect(lines).toEqual(['Name   Role', '-----  ------', '東京   viewer', 'abcde  admin']);
    // A cell of 70 ideographs (140 columns) is cut to 31 of them (62 columns) and "~": 63, within the 64 of a cell.
    const [, , long] = tableLines({ columns: ['Name'], rows: [['字'.repeat(70)]] }, undefined, cols);
    expect(long).toBe(`${'字'.repeat(31)}~`);
  });

  it('names at most twelve missing characters in its one note and counts the rest; no note when none is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecps-report-pdf-'));
    const textOf = async (data: ReportData) => {
      writeFileSync(join(dir, 'r.pdf'), await renderPdf(data, loadReportFonts()));
      return execFileSync('pdftotext', ['-enc', 'UTF-8', join(dir, 'r.pdf'), '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    };
    try {
      // Sixteen Egyptian hieroglyphs (U+13000 to U+1300F), in none of the fonts (the fixture's 東京 prints, in Noto Sans
      // SC): the twelve lowest named by code point, four counted.
      const glyphs = Array.from({ length: 16 }, (_, i) => String.fromCodePoint(0x13000 + i)).join('');
      const text = await textOf({ ...report, generatedBy: `${glyphs} Zoë 東京` });
      const named = 'U+13000 U+13001 U+13002 U+13003 U+13004 U+13005 U+13006 U+13007 U+13008 U+13009 U+1300A U+1300B';
      expect(text).toContain(`Characters this PDF's fonts lack are printed as \uFFFD (16: ${named} and 4 more); the CSV report has them as stored.`);
      expect(text).toContain(`by ${'\uFFFD'.repeat(16)} Zoë 東京`);
      expect(text.split('fonts lack').length - 1).toBe(1);
      const clean = await textOf({ ...report, sections: [{ ...report.sections[0]!, tables: [] }] });
      expect(clean).toContain('by Zoë Ångström');
      // The fixture's table has 東京 (Noto Sans SC has it): still no note.
      expect(await textOf(report)).not.toContain('fonts lack');
      expect(clean).not.toContain('fonts lack');
      expect(clean).not.toContain('\uFFFD');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses with a typed error naming the font file when one is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecps-fonts-'));
    try {
      writeFileSync(join(dir, REPORT_FONT_FILES.plain), 'not a font');
      let caught: unknown;
      try {
        loadReportFonts(dir);
      } catch (e) {
        caught = e;
      }
      expect(isConsoleError(caught) && { code: caught.code, details: caught.details }).toEqual({ code: 'internal', details: { file: REPORT_FONT_FILES.bold } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
