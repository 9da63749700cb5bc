// The libraries that only some operations need load on first use, not when the console starts (issue 11: every major
// GC of the main process marks the whole heap, so what start-up loads costs every collection): pdf-lib (PDF reports),
// @peculiar/x509 with its ASN.1 packages and reflect-metadata (the fleet CA, robots' CSRs, a kit's CRL), serialport
// (provisioning stations) and prom-client (the Prometheus endpoint, off unless configured). A static import of one of
// them anywhere in the start-up graph fails the first test. The report's fallback fonts (Noto Sans SC and KR, 10 and
// 6 MB) are files, not modules: the same child records the font files it reads, and a PDF reads them only when its
// report has a character DejaVu lacks.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Published package names (package.json and the packages @peculiar/x509 depends on).
const PDF = ['pdf-lib'];
const X509 = ['@peculiar/x509', '@peculiar/asn1-schema', '@peculiar/asn1-x509', '@peculiar/asn1-csr', '@peculiar/asn1-rsa', 'reflect-metadata'];
const SERIAL = ['serialport'];
const PROMETHEUS = ['prom-client'];
const ON_DEMAND = [...PDF, ...X509, ...SERIAL, ...PROMETHEUS];

// A fresh Node process (this worker's module cache is shared with other code) records every package it resolves,
// through a resolve hook that sees both import and require.
const CHILD = `
import { registerHooks, syncBuiltinESMExports } from 'node:module';
import fs from 'node:fs';
const fontReads = [];
const readFileSync = fs.readFileSync;
fs.readFileSync = (file, ...rest) => { if (/\\.ttf$/.test(String(file))) fontReads.push(String(file).split('/').at(-1)); return readFileSync(file, ...rest); };
syncBuiltinESMExports();
const seen = new Set();
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(r.url); if (m) seen.add(m[1]); return r; } });
const snapshot = () => [...seen];
// The modules the entry points load: the CLI and \`serve\` (runCli.ts, with the browser host), app.ts (main.ts's shell
// builds the console through it) and the offline kit's mode (main.ts's shell imports it for kit mode).
await import('./electron/ipc/cli/runCli.ts');
await import('./electron/services/incidentKit/kitModeRouter.ts');
const { createConsole } = await import('./electron/app.ts');
const { silentLogger } = await import('./electron/logger.ts');
const ctx = { transport: 'test' };
const c = await createConsole({ dataDir: process.env.DATA, kdf: { N: 1024, r: 8, p: 1 }, logger: silentLogger, env: {} });
await c.handlers['session:init']({ operator: 'alice', passphrase: 'lazy libraries 0123' }, ctx);
const key = await c.handlers['keys:create']({ type: 'storage', label: 'local only' }, ctx);
await c.handlers['keys:encrypt']({ keyId: key.id, plaintext: Buffer.from('x') }, ctx);
const period = { from: new Date(Date.now() - 3600000).toISOString(), to: new Date(Date.now() + 3600000).toISOString() };
await c.handlers['report:generate']({ ...period, format: 'csv' }, ctx);
const started = snapshot();
const fontsStarted = [...fontReads];
await c.handlers['report:generate']({ ...period, format: 'pdf' }, ctx);
const afterPdf = snapshot();
const fontsLatinPdf = fontReads.splice(0);
await c.handlers['keys:create']({ type: 'storage', label: '東京 倉庫' }, ctx);
await c.handlers['report:generate']({ ...period, format: 'pdf' }, ctx);
const fontsCjkPdf = fontReads.splice(0);
await c.handlers['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'Lazy CA' }, ctx);
const afterCa = snapshot();
c.close();
const p = await createConsole({ dataDir: process.env.DATA2, kdf: { N: 1024, r: 8, p: 1 }, logger: silentLogger, env: { ECPS_PROMETHEUS: '127.0.0.1:0' } });
const endpoint = p.metrics.prometheus !== null;
p.close();
console.log(JSON.stringify({ started, afterPdf, afterCa, afterProm: snapshot(), endpoint, fontsStarted, fontsLatinPdf, fontsCjkPdf }));
`;

const only = (loaded: string[], names: string[]) => loaded.filter((p) => names.includes(p)).sort();

describe('libraries only some operations need', () => {
  it('are not loaded by start-up, local key use or a CSV report; a PDF report, the fleet CA and the Prometheus endpoint load theirs', () => {
    const data = mkdtempSync(join(tmpdir(), 'ecps-lazy-start-'));
    try {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, DATA: join(data, 'a'), DATA2: join(data, 'b') },
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      const seen = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
        started: string[];
        afterPdf: string[];
        afterCa: string[];
        afterProm: string[];
        endpoint: boolean;
        fontsStarted: string[];
        fontsLatinPdf: string[];
        fontsCjkPdf: string[];
      };
      // The recording works: the console's own start-up libraries are in it.
      expect(seen.started).toEqual(expect.arrayContaining(['better-sqlite3', 'zod']));
      expect(only(seen.started, ON_DEMAND)).toEqual([]);
      expect(only(seen.afterPdf, ON_DEMAND)).toEqual([...PDF].sort());
      // Font files: none at start or for a CSV; the three DejaVu files for a report in Latin; the Chinese fallback as
      // well once a key label is in Japanese (the Korean one is not needed, so not read).
      const dejavu = ['DejaVuSans-Bold.ttf', 'DejaVuSans.ttf', 'DejaVuSansMono.ttf'];
      expect(seen.fontsStarted).toEqual([]);
      expect([...seen.fontsLatinPdf].sort()).toEqual(dejavu);
      expect([...seen.fontsCjkPdf].sort()).toEqual([...dejavu, 'NotoSansSC_400Regular.ttf'].sort());
      // fleetCa.ts verifies robots' CSRs (x509Csr.ts): the CA brings every one of them.
      expect(only(seen.afterCa, ON_DEMAND)).toEqual([...PDF, ...X509].sort());
      expect(seen.endpoint).toBe(true);
      expect(only(seen.afterProm, SERIAL)).toEqual([]);
      expect(seen.afterProm).toContain('prom-client');
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});
