// `npm run build` (after vite build): bundles the Electron main process and the preload to CommonJS.
// The preload must be one self-contained CJS file: sandboxed preloads cannot load ESM or npm modules.
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BUNDLED_FONT_FOLDER, FALLBACK_FONTS, packageFontFolder, REPORT_FONT_FILES, REPORT_FONT_LICENSE } from '../electron/services/report/reportFonts.ts';

/** Modules the main bundle requires at run time from node_modules (packaged beside it by electron-builder). */
// serialport stays external: its native binding is found relative to its own folder (node-gyp-build), not the bundle's.
export const MAIN_EXTERNALS = ['electron', 'better-sqlite3', 'pkcs11js', '@google-cloud/kms', 'google-gax', '@grpc/grpc-js', 'serialport'];

/**
 * Provider client libraries the main bundle loads only when a provider of their kind is built
 * (electron/providers/loadLibrary.ts). Each group is bundled into its own file under dist-electron/sdk/, next to
 * main.cjs, and main.cjs requires that file at the dynamic import: V8 keeps the source text of every script it has
 * compiled, so SDKs bundled into main.cjs would sit in the main process's heap (and be marked by every major GC) even
 * though their code never runs. The Azure packages share one file: they share @azure/core-* and their classes.
 */
export const LAZY_SDKS: Record<string, string[]> = {
  'aws-kms.cjs': ['@aws-sdk/client-kms'],
  'azure.cjs': ['@azure/identity', '@azure/keyvault-keys'],
  'node-vault.cjs': ['node-vault'],
  // Not a provider, but the same case: the font engine (1.5 MB) is needed only when a PDF report is made.
  'fontkit.cjs': ['@pdf-lib/fontkit'],
  // The same for pdf-lib itself (reportService.ts imports reportPdf.ts at the first PDF)...
  'pdf-lib.cjs': ['pdf-lib'],
  // ...and for the fleet CA's X.509 and ASN.1 libraries (fleetCaService.ts imports fleetCa.ts when a CA is first
  // created or opened; csr.ts and offlineKit.ts at their first CSR or CRL). One file: the asn1 packages share
  // @peculiar/asn1-schema's schema storage, and @peculiar/x509's tsyringe needs reflect-metadata loaded first.
  'x509.cjs': ['reflect-metadata', '@peculiar/asn1-schema', '@peculiar/asn1-x509', '@peculiar/asn1-rsa', '@peculiar/asn1-csr', '@peculiar/x509'],
};
/** The relative paths main.cjs requires its lazily loaded SDK files by. */
export const LAZY_SDK_REQUIRES = Object.keys(LAZY_SDKS).map((f) => `./sdk/${f}`);

/** In main.cjs, each lazily loaded package is a stub that requires its SDK file; the import() keeps it lazy. */
const lazySdkPlugin: Plugin = {
  name: 'lazy-sdk',
  setup(b) {
    const fileOf = new Map(Object.entries(LAZY_SDKS).flatMap(([file, pkgs]) => pkgs.map((p) => [p, file] as const)));
    const filter = new RegExp(`^(${[...fileOf.keys()].map((p) => p.replace(/[/\\-]/g, '\\$&')).join('|')})$`);
    b.onResolve({ filter }, (a) => ({ path: a.path, namespace: 'lazy-sdk' }));
    b.onResolve({ filter: /^\.\/sdk\//, namespace: 'lazy-sdk' }, (a) => ({ path: a.path, external: true }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-sdk' }, (a) => ({
      contents: `module.exports = require(${JSON.stringify(`./sdk/${fileOf.get(a.path)!}`)})[${JSON.stringify(a.path)}];`,
      loader: 'js',
    }));
  },
};

/**
 * V8 stores a script's source one byte per character only when every character fits in Latin-1; one em dash in a
 * comment doubles the heap the source takes. esbuild's default ASCII charset escapes strings and identifiers but not
 * comments or regular expressions, where \uXXXX means the same character.
 */
function asciiOnly(code: string): string {
  return code.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const root = resolve(import.meta.dirname, '..');
const defaultOutDir = join(root, 'dist-electron');

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: root,
};

/**
 * The compliance report's font files (electron/services/report/reportFonts.ts) and their licences, copied next to
 * main.cjs: main.ts hands this folder to the console, and electron-builder packs dist-electron/** whole. Read as files
 * (not bundled into main.cjs as text, where 1.8 MB of base64 would stay in the heap). The fallback fonts (Noto Sans
 * SC and KR, 16.7 MB together) only in their regular weight, under the names reportFonts.ts gives them, each with
 * its package's OFL text.
 */
async function copyReportFonts(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const pkg = packageFontFolder();
  for (const file of Object.values(REPORT_FONT_FILES)) await copyFile(join(pkg, 'ttf', file), join(dir, file));
  await copyFile(join(pkg, REPORT_FONT_LICENSE), join(dir, REPORT_FONT_LICENSE));
  for (const f of FALLBACK_FONTS) {
    const from = packageFontFolder(f.package);
    await copyFile(join(from, f.path), join(dir, f.file));
    await copyFile(join(from, f.license), join(dir, f.bundledLicense));
  }
}

export async function bundleElectron(outDir: string = defaultOutDir): Promise<string[]> {
  await rm(outDir, { recursive: true, force: true });
  // Native and Electron modules stay external, and so does the Google Cloud client, which loads its gRPC service
  // definitions from files next to its code; ws' optional native helpers are never installed.
  const external = [...MAIN_EXTERNALS, 'bufferutil', 'utf-8-validate'];
  const main = await build({
    ...common,
    entryPoints: [join(root, 'electron', 'main.ts')],
    outfile: join(outDir, 'main.cjs'),
    external,
    plugins: [lazySdkPlugin],
    // A CommonJS bundle has no import.meta: the code that reads it (reportFonts.ts' node_modules fallback) sees
    // undefined and says so, and main.ts hands the console the bundle's own folders instead.
    define: { 'import.meta.url': 'undefined' },
    write: false,
  });
  const sdks = await Promise.all(
    Object.entries(LAZY_SDKS).map(([file, pkgs]) =>
      build({
        ...common,
        stdin: { contents: `module.exports = { ${pkgs.map((p) => `${JSON.stringify(p)}: require(${JSON.stringify(p)})`).join(', ')} };`, resolveDir: root, loader: 'js' },
        outfile: join(outDir, 'sdk', file),
        external,
        write: false,
      }),
    ),
  );
  await mkdir(join(outDir, 'sdk'), { recursive: true });
  for (const f of [main, ...sdks].flatMap((r) => r.outputFiles)) await writeFile(f.path, asciiOnly(f.text));
  await copyReportFonts(join(outDir, BUNDLED_FONT_FOLDER));
  await build({
    ...common,
    entryPoints: [join(root, 'electron', 'preload.ts')],
    outfile: join(outDir, 'preload.cjs'),
    external: ['electron'],
    minify: true,
  });
  return [join(outDir, 'main.cjs'), join(outDir, 'preload.cjs')];
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const files = await bundleElectron();
  console.log(`bundled ${files.map((f) => f.slice(root.length + 1)).join(', ')}`);
}
