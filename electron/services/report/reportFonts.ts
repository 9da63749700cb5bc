// The compliance report's fonts (docs/compliance-report.md "The files"): DejaVu Sans, DejaVu Sans Bold and DejaVu Sans
// Mono, TrueType files of the npm package dejavu-fonts-ttf (the Bitstream Vera licence and public domain, its LICENSE
// file). The PDF embeds a subset of each (only the glyphs it prints), so operator names and key labels in Latin,
// Greek and Cyrillic scripts print as stored. For what DejaVu lacks (CJK, Hangul), two fallback fonts: Noto Sans SC
// (Chinese, Japanese kana and kanji) and Noto Sans KR (Hangul), TrueType files of the npm packages
// @expo-google-fonts/noto-sans-sc and -kr (SIL Open Font License 1.1, their LICENSE_FONT), each read only when a
// report has a character the fonts before it lack. A character no font has is printed as U+FFFD and listed once.
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

/**
 * The fallback fonts, tried in this order for a character the three DejaVu fonts lack: `file` is the name in the
 * bundle's font folder, `path` the file in its npm package, `license` the package's font licence (copied to the bundle
 * as `bundledLicense`). Regular weight only: headings in these scripts print in the regular weight.
 */
export const FALLBACK_FONTS = [
  {
    name: 'NotoSansSC-Regular',
    package: '@expo-google-fonts/noto-sans-sc',
    path: '400Regular/NotoSansSC_400Regular.ttf',
    file: 'NotoSansSC-Regular.ttf',
    license: 'LICENSE_FONT',
    bundledLicense: 'NotoSansSC-OFL.txt',
  },
  {
    name: 'NotoSansKR-Regular',
    package: '@expo-google-fonts/noto-sans-kr',
    path: '400Regular/NotoSansKR_400Regular.ttf',
    file: 'NotoSansKR-Regular.ttf',
    license: 'LICENSE_FONT',
    bundledLicense: 'NotoSansKR-OFL.txt',
  },
] as const;

export type ReportFontRole = keyof typeof REPORT_FONT_FILES;

/** A fallback font: its name, and its bytes read from disk at the call (a missing file: `internal`, naming it). */
export interface FallbackFontSource {
  name: string;
  file: string;
  read(): Uint8Array;
}

/** The three DejaVu fonts' bytes (read at once) and the fallbacks (read only if the report needs them). */
export type ReportFontBytes = Record<ReportFontRole, Uint8Array> & { fallbacks: readonly FallbackFontSource[] };

/** A package's folder in node_modules (DejaVu's TTF files are in ttf/, its licence at the top). */
export function packageFontFolder(pkg: string = REPORT_FONT_PACKAGE): string {
  // Undefined in the Electron bundle (build/bundle-electron.ts), which passes its own font folder instead.
  const here = import.meta.url as string | undefined;
  if (here === undefined) throw new ConsoleError('internal', "The compliance report's font folder was not given to this bundled console.");
  return dirname(createRequire(here).resolve(`${pkg}/package.json`));
}

function readFont(file: string, name: string, folder: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch {
    throw new ConsoleError('internal', `The compliance report's font file ${name} is missing (looked in ${folder}): reinstall the console.`, { file: name });
  }
}

/** The folder holding the TTF files: `dir` when given (the Electron bundle's), else the package's ttf/ folder. */
export function reportFontDir(dir?: string | null): string {
  return dir ?? join(packageFontFolder(), 'ttf');
}

/**
 * Reads the three DejaVu files now and returns readers of the fallbacks (`dir`: the bundle's folder holds them all;
 * else each from its package); a missing file is an installation fault, named in the error.
 */
export function loadReportFonts(dir?: string | null): ReportFontBytes {
  const folder = reportFontDir(dir);
  const read = (role: ReportFontRole): Uint8Array => readFont(join(folder, REPORT_FONT_FILES[role]), REPORT_FONT_FILES[role], folder);
  const fallbacks = FALLBACK_FONTS.map((f): FallbackFontSource => ({
    name: f.name,
    file: f.file,
    read: () => {
      const where = dir ?? packageFontFolder(f.package);
      return readFont(join(where, dir ? f.file : f.path), f.file, where);
    },
  }));
  return { plain: read('plain'), bold: read('bold'), mono: read('mono'), fallbacks };
}
