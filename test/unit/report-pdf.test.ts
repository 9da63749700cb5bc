// The compliance report's PDF rendering (electron/services/report/reportPdf.ts) with its real fonts (reportFonts.ts,
// read from the dejavu-fonts-ttf package): the same report gives the same bytes; the fonts are embedded as subsets
// (the whole report far smaller than one of its font files); a table's columns count characters, not UTF-16 units;
// a missing font file is a typed error that names it; the header's note on characters the fonts lack names at most
// twelve and counts the rest, and is absent when none is missing. Names as printed in a real console's report are
// checked in test/integration/report-unicode.test.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReportData } from '../../electron/services/report/reportData.ts';
import { loadReportFonts, REPORT_FONT_FILES, reportFontDir } from '../../electron/services/report/reportFonts.ts';
import { renderPdf, tableLines } from '../../electron/services/report/reportPdf.ts';
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
  });

  it('pads table columns by characters: a character outside the BMP takes one column, as it is printed', () => {
    // U+1D400 (mathematical bold A) is two UTF-16 units, one character.
    const lines = tableLines({ columns: ['Name', 'Role'], rows: [['\u{1D400}bc', 'viewer'], ['abcd', 'admin']] });
    expect(lines).toEqual(['Name  Role', '----  ------', '\u{1D400}bc   viewer', 'abcd  admin']);
  });

  it('names at most twelve missing characters in its one note and counts the rest; no note when none is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecps-report-pdf-'));
    const textOf = async (data: ReportData) => {
      writeFileSync(join(dir, 'r.pdf'), await renderPdf(data, loadReportFonts()));
      return execFileSync('pdftotext', ['-enc', 'UTF-8', join(dir, 'r.pdf'), '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    };
    try {
      // Fourteen CJK characters (U+4E00 to U+4E0D), none in DejaVu, and the fixture's 東 京 (U+6771, U+4EAC): sixteen,
      // the twelve lowest named by code point, four counted.
      const cjk = Array.from({ length: 14 }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('');
      const text = await textOf({ ...report, generatedBy: `${cjk} Zoë` });
      const named = 'U+4E00 U+4E01 U+4E02 U+4E03 U+4E04 U+4E05 U+4E06 U+4E07 U+4E08 U+4E09 U+4E0A U+4E0B';
      expect(text).toContain(`Characters this PDF's fonts lack are printed as \uFFFD (16: ${named} and 4 more); the CSV report has them as stored.`);
      expect(text).toContain(`by ${'\uFFFD'.repeat(14)} Zoë`);
      expect(text.split('fonts lack').length - 1).toBe(1);
      const clean = await textOf({ ...report, sections: [{ ...report.sections[0]!, tables: [] }] });
      expect(clean).toContain('by Zoë Ångström');
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
