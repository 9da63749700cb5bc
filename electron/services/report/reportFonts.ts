// The compliance report's fonts (docs/compliance-report.md "The files"): DejaVu Sans, DejaVu Sans Bold and DejaVu Sans
// Mono, TrueType files of the npm package dejavu-fonts-ttf (the Bitstream Vera licence and public domain, its LICENSE
// file). The PDF embeds a subset of each (only the glyphs it prints), so operator names and key labels in Latin,
// Greek and Cyrillic scripts print as stored; a character none of them has is printed as U+FFFD and listed once.
// Where the files are: the Electron bundle passes its own folder (build/bundle-electron.ts copies them next to
// main.cjs, dist-electron/fonts/); run from the sources (CLI, browser host, tests) they are read from node_modules.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ConsoleError } from '../../../shared/errors.ts';

/** The font file of each role: proportional text, headings, tables. */
export const REPORT_FONT_FILES = { plain: 'DejaVuSans.ttf', bold: 'DejaVuSans-Bold.ttf', mono: 'DejaVuSansMono.ttf' } as const;
/** The licence file shipped beside the fonts (the licence asks for its notice in every copy of the font files). */
export const REPORT_FONT_LICENSE = 'LICENSE';
export const REPORT_FONT_PACKAGE = 'dejavu-fonts-ttf';
/** The bundle's font folder, next to main.cjs (dist-electron/fonts). */
export const BUNDLED_FONT_FOLDER = 'fonts';

export type ReportFontRole = keyof typeof REPORT_FONT_FILES;
export type ReportFontBytes = Record<ReportFontRole, Uint8Array>;

/** The package's folder in node_modules (its TTF files are in ttf/, its licence at the top). */
export function packageFontFolder(): string {
  // Undefined in the Electron bundle (build/bundle-electron.ts), which passes its own font folder instead.
  const here = import.meta.url as string | undefined;
  if (here === undefined) throw new ConsoleError('internal', "The compliance report's font folder was not given to this bundled console.");
  return dirname(createRequire(here).resolve(`${REPORT_FONT_PACKAGE}/package.json`));
}

/** The folder holding the TTF files: `dir` when given (the Electron bundle's), else the package's ttf/ folder. */
export function reportFontDir(dir?: string | null): string {
  return dir ?? join(packageFontFolder(), 'ttf');
}

/** Reads the three font files; a missing one is an installation fault, named in the error. */
export function loadReportFonts(dir?: string | null): ReportFontBytes {
  const folder = reportFontDir(dir);
  const read = (role: ReportFontRole): Uint8Array => {
    const file = join(folder, REPORT_FONT_FILES[role]);
    try {
      return readFileSync(file);
    } catch {
      throw new ConsoleError('internal', `The compliance report's font file ${REPORT_FONT_FILES[role]} is missing (looked in ${folder}): reinstall the console.`, { file: REPORT_FONT_FILES[role] });
    }
  };
  return { plain: read('plain'), bold: read('bold'), mono: read('mono') };
}
