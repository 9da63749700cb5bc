// `npm start`: launches the desktop app when an Electron binary is installed and the app is built. Checks files
// only: require('electron') would try to download the binary, which must not happen on machines without it.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const electronPkg = join(root, 'node_modules', 'electron');
const pathFile = join(electronPkg, 'path.txt');
const binary = existsSync(pathFile) ? join(electronPkg, 'dist', readFileSync(pathFile, 'utf8').trim()) : null;

if (!binary || !existsSync(binary)) {
  console.log('ECPS console: no Electron binary on this machine (node_modules/electron/path.txt missing); use `npm run serve` for the browser host.');
  process.exit(1);
}
const missing = ['dist-electron/main.cjs', 'dist-electron/preload.cjs', 'dist/renderer/index.html'].filter((f) => !existsSync(join(root, f)));
if (missing.length > 0) {
  console.log(`ECPS console: the app is not built (missing ${missing.join(', ')}); run \`npm run build\` first.`);
  process.exit(1);
}
// Arguments after `npm start --` go to the app (e.g. `--kit DIR`: the offline console on an incident kit).
const child = spawn(binary, [join(root, 'dist-electron', 'main.cjs'), ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
