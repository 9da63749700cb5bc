// The compliance report's PDF rendering (electron/services/report/reportPdf.ts) with its real fonts (reportFonts.ts,
// read from the dejavu-fonts-ttf package): the same report gives the same bytes; the fonts are embedded as subsets
// (the whole report far smaller than one of its font files); a table's columns count characters, not UTF-16 units;
// a missing font file is a typed error that names it. Names as printed are checked with pdftotext in
// test/integration/report-unicode.test.ts.
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
