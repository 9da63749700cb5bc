// `npm run build` (after vite build): bundles the Electron main process and the preload to CommonJS.
// The preload must be one self-contained CJS file: sandboxed preloads cannot load ESM or npm modules.
import { build, type BuildOptions } from 'esbuild';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** Modules the main bundle requires at run time from node_modules (packaged beside it by electron-builder). */
// serialport stays external: its native binding is found relative to its own folder (node-gyp-build), not the bundle's.
export const MAIN_EXTERNALS = ['electron', 'better-sqlite3', 'pkcs11js', '@google-cloud/kms', 'google-gax', '@grpc/grpc-js', 'serialport'];

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

export async function bundleElectron(outDir: string = defaultOutDir): Promise<string[]> {
  await rm(outDir, { recursive: true, force: true });
  await build({
    ...common,
    entryPoints: [join(root, 'electron', 'main.ts')],
    outfile: join(outDir, 'main.cjs'),
    // Native and Electron modules stay external, and so does the Google Cloud client, which loads its gRPC service
    // definitions from files next to its code; ws' optional native helpers are never installed.
    external: [...MAIN_EXTERNALS, 'bufferutil', 'utf-8-validate'],
  });
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
