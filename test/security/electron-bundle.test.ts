// The Electron bundles (npm run build): the preload is one CJS file that needs nothing but 'electron' (sandboxed
// preloads cannot load npm modules or ESM), and run in a VM it exposes exactly window.ecps with the contract's API.
// main.cjs, run with a stand-in 'electron' module, hands Electron's objects to the shell, which installs its guards.
// The AWS, Azure and Vault clients are bundled into files of their own (dist-electron/sdk/) that main.cjs requires
// only when a provider of their kind is built (pdf-lib and its font engine, fontkit, when a PDF report is made; the
// X.509 and ASN.1 libraries when the fleet CA is first used): V8 keeps the source of every script it compiled in the heap.
// The compliance report's fonts are copied next to main.cjs (dist-electron/fonts) with their licences, and main.cjs
// finds them there: a PDF report generated through it prints a Polish, a Japanese and a Korean key label as stored.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire, Module } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext, runInThisContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleElectron } from '../../build/bundle-electron.ts';
import { CHANNELS } from '../../shared/contract.ts';
import { KIT_OFFLINE_CHANNELS } from '../../shared/kitOfflineContract.ts';
import { IPC_CALL } from '../../electron/ipc/ipcChannels.ts';
import { LAZY_SDK_REQUIRES, LAZY_SDKS, MAIN_EXTERNALS } from '../../build/bundle-electron.ts';
import type { IpcEventLike } from '../../electron/security/senderPolicy.ts';
import { awsConfig, azureConfig, startEmulators, vaultConfig } from '../integration/providers-kit.ts';
import { startAzureTestBed } from '../emulators/azure-key-vault/testkit.ts';
import { createShellFakes } from './shellKit.ts';
import { packageFontFolder } from '../../electron/services/report/reportFonts.ts';

// A require call in code; not the text "[require(\"@aws-sdk/signature-v4-crt\");]" inside an AWS SDK error message.
const requiresOf = (code: string) => [...new Set([...code.matchAll(/(?<!\[)\brequire\("([^"]+)"\)/g)].map((m) => m[1]!))].sort();

describe('electron bundles', () => {
  let out: string;
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'ecps-bundle-'));
    const files = await bundleElectron(out);
    expect(files).toEqual([join(out, 'main.cjs'), join(out, 'preload.cjs')]);
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('bundle the preload as self-contained CJS that requires only electron', () => {
    const code = readFileSync(join(out, 'preload.cjs'), 'utf8');
    expect(requiresOf(code)).toEqual(['electron']);
    expect(code).not.toMatch(/^\s*(import|export)\s/m);
  });

  it('bundle main as CJS requiring only the declared external modules and Node built-ins', () => {
    const code = readFileSync(join(out, 'main.cjs'), 'utf8');
    const allowed = new Set([...MAIN_EXTERNALS, ...LAZY_SDK_REQUIRES, ...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const foreign = requiresOf(code).filter((r) => !allowed.has(r));
    expect(foreign).toEqual([]);
    expect(requiresOf(code)).toContain('electron');
    expect(requiresOf(code)).toEqual(expect.arrayContaining(['./sdk/aws-kms.cjs', './sdk/azure.cjs', './sdk/node-vault.cjs', './sdk/fontkit.cjs', './sdk/pdf-lib.cjs', './sdk/x509.cjs']));
  });

  it('bundle the AWS, Azure and Vault clients, pdf-lib, the font engine and the X.509 libraries into their own files, needing only Node built-ins, and leave them out of main.cjs', () => {
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    // Each package's file, functions it exports (from the packages' documentation) and packages that come with it.
    const expected: Record<string, { file: string; exports: string[]; with: string[] }> = {
      '@aws-sdk/client-kms': { file: 'aws-kms.cjs', exports: ['KMSClient', 'EncryptCommand'], with: ['@smithy/core'] },
      '@azure/identity': { file: 'azure.cjs', exports: ['DefaultAzureCredential', 'ClientSecretCredential'], with: ['@azure/msal-node'] },
      '@azure/keyvault-keys': { file: 'azure.cjs', exports: ['KeyClient', 'CryptographyClient'], with: ['@azure/core-rest-pipeline'] },
      'node-vault': { file: 'node-vault.cjs', exports: [], with: ['tv4'] },
      // The compliance report's font engine and PDF writer (both bundle pako).
      '@pdf-lib/fontkit': { file: 'fontkit.cjs', exports: ['create'], with: [] },
      'pdf-lib': { file: 'pdf-lib.cjs', exports: ['PDFDocument'], with: ['@pdf-lib/standard-fonts', 'pako'] },
      // The fleet CA's X.509 and ASN.1 libraries; reflect-metadata is a global polyfill (no exports of its own).
      'reflect-metadata': { file: 'x509.cjs', exports: [], with: [] },
      '@peculiar/asn1-schema': { file: 'x509.cjs', exports: ['AsnConvert', 'OctetString'], with: ['asn1js'] },
      '@peculiar/asn1-x509': { file: 'x509.cjs', exports: ['Certificate', 'TBSCertificate', 'CertificateList'], with: [] },
      '@peculiar/asn1-rsa': { file: 'x509.cjs', exports: ['RsaSaPssParams'], with: [] },
      '@peculiar/asn1-csr': { file: 'x509.cjs', exports: ['CertificationRequest'], with: [] },
      '@peculiar/x509': { file: 'x509.cjs', exports: ['Name', 'Pkcs10CertificateRequest'], with: ['tsyringe'] },
    };
    expect(Object.entries(LAZY_SDKS).flatMap(([file, pkgs]) => pkgs.map((p) => `${p} ${file}`)).sort()).toEqual(
      Object.entries(expected).map(([p, d]) => `${p} ${d.file}`).sort(),
    );
    // esbuild names every bundled module by its path (a comment or a __commonJS key): "node_modules/<package>/...".
    const bundles = (code: string, pkg: string) => code.includes(`node_modules/${pkg}/`);
    const main = readFileSync(join(out, 'main.cjs'), 'utf8');
    expect(bundles(main, 'zod'), 'the check sees what main.cjs bundles').toBe(true);
    for (const [pkg, d] of Object.entries(expected)) {
      const file = join(out, 'sdk', d.file);
      const code = readFileSync(file, 'utf8');
      expect(requiresOf(code).filter((r) => !builtins.has(r)), d.file).toEqual([]);
      for (const p of [pkg, ...d.with]) {
        expect(bundles(code, p), `${p} in ${d.file}`).toBe(true);
        expect(bundles(main, p), `${p} in main.cjs`).toBe(false);
      }
      const loaded = createRequire(file)(file) as Record<string, unknown>;
      expect(Object.keys(loaded), d.file).toEqual(LAZY_SDKS[d.file]);
      for (const name of d.exports) expect(typeof (loaded[pkg] as Record<string, unknown>)[name], `${pkg} ${name}`).toBe('function');
      if (pkg === 'node-vault') expect(typeof loaded[pkg]).toBe('function');
    }
  });

  it('write main.cjs and the SDK files in ASCII, which V8 holds at one byte per character', () => {
    for (const file of [join(out, 'main.cjs'), ...Object.keys(LAZY_SDKS).map((f) => join(out, 'sdk', f))]) {
      const code = readFileSync(file, 'utf8');
      expect(code.length, file).toBeGreaterThan(100_000);
      expect(code.match(/[^\x00-\x7f]/g), file).toBeNull();
    }
  });

  it('run in a sandbox-like VM, the preload exposes exactly one object, ecps, with the contract API and the offline kit\'s channels', async () => {
    const code = readFileSync(join(out, 'preload.cjs'), 'utf8');
    const exposed = new Map<string, unknown>();
    const invoked: unknown[][] = [];
    const electron = {
      contextBridge: { exposeInMainWorld: (name: string, api: unknown) => exposed.set(name, api) },
      ipcRenderer: {
        invoke: async (...args: unknown[]) => (invoked.push(args), { ok: true, value: 'pong' }),
        on: () => undefined,
        removeListener: () => undefined,
      },
    };
    const requireStub = (name: string) => {
      if (name === 'electron') return electron;
      throw new Error(`preload tried to require ${name}`);
    };
    const module = { exports: {} };
    runInNewContext(code, { require: requireStub, module, exports: module.exports, console });
    expect([...exposed.keys()]).toEqual(['ecps']);
    const api = exposed.get('ecps') as Record<string, Record<string, (i: unknown) => Promise<unknown>>> & { on: unknown };
    const channels = Object.entries(api).flatMap(([d, g]) => (d === 'on' ? [] : Object.keys(g as object).map((v) => `${d}:${v}`)));
    expect(channels.sort()).toEqual([...CHANNELS, ...KIT_OFFLINE_CHANNELS].sort());
    expect(await api.keys!.list!({})).toEqual({ ok: true, value: 'pong' });
    expect(invoked).toEqual([[IPC_CALL, 'keys:list', {}]]);
  });

  /** Runs main.cjs with the recording fakes; `required` lists what it required, in order. */
  async function runMain(userData: string) {
    const fakes = createShellFakes({ userData, isPackaged: true });
    const { app, session, protocol, ipcMain, dialog, powerMonitor, createWindow } = fakes.electron;
    const electron = {
      app,
      session,
      protocol,
      ipcMain,
      dialog,
      powerMonitor,
      // new BrowserWindow(options) returns the recording window.
      BrowserWindow: function BrowserWindow(options: Parameters<typeof createWindow>[0]) {
        return createWindow(options);
      },
      safeStorage: { isEncryptionAvailable: () => false, getSelectedStorageBackend: () => 'basic_text' },
    };
    const file = join(out, 'main.cjs');
    const projectRequire = createRequire(new URL('../../package.json', import.meta.url));
    // Relative paths resolve next to main.cjs, as Node's require does for the file it loads.
    const bundleRequire = createRequire(file);
    const required: string[] = [];
    const requireStub = (name: string) => (required.push(name), name === 'electron' ? electron : name.startsWith('./') ? bundleRequire(name) : projectRequire(name));
    const saved = { ECPS_DATA_DIR: process.env.ECPS_DATA_DIR, ECPS_KDF_LOG2N: process.env.ECPS_KDF_LOG2N };
    delete process.env.ECPS_DATA_DIR;
    process.env.ECPS_KDF_LOG2N = '10';
    try {
      const wrapper = runInThisContext(Module.wrap(readFileSync(file, 'utf8')), { filename: file }) as (...args: unknown[]) => void;
      const module = { exports: {} };
      wrapper(module.exports, requireStub, module, file, out);
      await fakes.startupOver;
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
    return { fakes, required };
  }

  it("main.cjs hands Electron's app, session, protocol, ipcMain, dialog, powerMonitor and BrowserWindow to the shell", async () => {
    const userData = join(out, 'userData');
    const { fakes } = await runMain(userData);
    try {
      expect(fakes.errorBoxes).toEqual([]);
      expect(fakes.app.calls.slice(0, 4)).toEqual(['setName', 'enableSandbox', 'requestSingleInstanceLock', 'whenReady']);
      expect(fakes.windows).toHaveLength(1);
      const win = fakes.windows[0]!;
      expect(win.options.webPreferences).toMatchObject({ preload: join(out, 'preload.cjs'), contextIsolation: true, sandbox: true, nodeIntegration: false, devTools: false });
      expect(win.loaded).toEqual(['app://console/index.html']);
      expect(win.webContents.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
      expect(win.webContents.cancels('will-navigate', 'https://evil.example/')).toBe(true);
      expect(fakes.session.permissionRequestHandler).not.toBeNull();
      expect([...fakes.protocol.handlers.keys()]).toEqual(['app']);
      expect([...fakes.ipcHandlers.keys()]).toEqual([IPC_CALL]);
      expect(existsSync(join(userData, 'console.db'))).toBe(true);
    } finally {
      fakes.app.emit('will-quit');
    }
  });

  it('ship the report fonts and their licence next to main.cjs, which prints a PDF report\'s non-ASCII label with them (pdf-lib loaded then), and signs a fleet CA (X.509 libraries loaded then)', async () => {
    // The files as the dejavu-fonts-ttf package has them (docs/compliance-report.md names these three and the licence).
    const pkg = packageFontFolder();
    const expected: Record<string, string> = {
      'DejaVuSans.ttf': join(pkg, 'ttf', 'DejaVuSans.ttf'),
      'DejaVuSans-Bold.ttf': join(pkg, 'ttf', 'DejaVuSans-Bold.ttf'),
      'DejaVuSansMono.ttf': join(pkg, 'ttf', 'DejaVuSansMono.ttf'),
      LICENSE: join(pkg, 'LICENSE'),
    };
    // The fallback fonts, regular weight only, each with its package's font licence (the OFL).
    const sc = packageFontFolder('@expo-google-fonts/noto-sans-sc');
    const kr = packageFontFolder('@expo-google-fonts/noto-sans-kr');
    Object.assign(expected, {
      'NotoSansSC-Regular.ttf': join(sc, '400Regular', 'NotoSansSC_400Regular.ttf'),
      'NotoSansSC-OFL.txt': join(sc, 'LICENSE_FONT'),
      'NotoSansKR-Regular.ttf': join(kr, '400Regular', 'NotoSansKR_400Regular.ttf'),
      'NotoSansKR-OFL.txt': join(kr, 'LICENSE_FONT'),
    });
    expect(readdirSync(join(out, 'fonts')).sort()).toEqual(Object.keys(expected).sort());
    for (const [file, source] of Object.entries(expected)) expect(readFileSync(join(out, 'fonts', file)).equals(readFileSync(source)), file).toBe(true);
    expect(readFileSync(join(out, 'fonts', 'LICENSE'), 'utf8')).toContain('Bitstream Vera');
    for (const ofl of ['NotoSansSC-OFL.txt', 'NotoSansKR-OFL.txt']) expect(readFileSync(join(out, 'fonts', ofl), 'utf8')).toContain('SIL Open Font License, Version 1.1');

    const { fakes, required } = await runMain(join(out, 'userData-report'));
    try {
      const win = fakes.windows[0]!;
      const frame = { url: 'app://console/index.html', parent: null };
      const event: IpcEventLike = { senderFrame: frame, sender: { id: win.webContents.id, mainFrame: frame } };
      const call = (channel: string, input: unknown) => fakes.ipcHandlers.get(IPC_CALL)!(event, channel, input) as Promise<{ ok: boolean; value?: unknown; error?: unknown }>;
      expect(await call('session:init', { operator: 'alice', passphrase: 'report fonts in the bundle 0123' })).toMatchObject({ ok: true });
      expect(await call('keys:create', { type: 'storage', label: 'Łódź plant' })).toMatchObject({ ok: true });
      expect(await call('keys:create', { type: 'storage', label: '東京 倉庫' })).toMatchObject({ ok: true });
      expect(await call('keys:create', { type: 'storage', label: '부산 창고' })).toMatchObject({ ok: true });
      expect(required, 'the font engine is loaded by the first PDF, not at start').not.toContain('./sdk/fontkit.cjs');
      expect(required, 'pdf-lib is loaded by the first PDF, not at start').not.toContain('./sdk/pdf-lib.cjs');
      expect(required, 'the X.509 libraries are loaded by the fleet CA, not at start').not.toContain('./sdk/x509.cjs');
      const today = new Date().toISOString().slice(0, 10);
      const report = (await call('report:generate', { from: today, to: today, format: 'pdf' })) as { ok: boolean; value: { content: string }; error?: unknown };
      expect(report.ok, JSON.stringify(report.error)).toBe(true);
      const file = join(out, 'bundle-report.pdf');
      writeFileSync(file, Buffer.from(report.value.content, 'base64'));
      const text = execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
      expect(text).toMatch(/\sŁódź plant\s+storage\s/u);
      // From the bundle's own fallback fonts (it has no node_modules to fall back on).
      expect(text).toMatch(/\s東京 倉庫\s+storage\s/u);
      expect(text).toMatch(/\s부산 창고\s+storage\s/u);
      expect(required).toContain('./sdk/fontkit.cjs');
      expect(required).toContain('./sdk/pdf-lib.cjs');
      expect(required).not.toContain('./sdk/x509.cjs');
      // The fleet CA works from the bundle's X.509 file (the ASN.1 packages share one schema storage there).
      const ca = (await call('ca:init', { providerId: 'local', algorithm: 'EC_P256', commonName: 'Bundle CA' })) as { ok: boolean; value: { initialized: boolean; certificatePem: string }; error?: unknown };
      expect(ca.ok, JSON.stringify(ca.error)).toBe(true);
      expect(ca.value.initialized).toBe(true);
      expect(new X509Certificate(ca.value.certificatePem).subject).toContain('CN=Bundle CA');
      expect(required).toContain('./sdk/x509.cjs');
    } finally {
      fakes.app.emit('will-quit');
    }
  });

  it('main.cjs loads no provider client until a provider of its kind is saved, then the AWS, Vault and Azure ones work against their emulators', async () => {
    const emu = await startEmulators();
    const bed = await startAzureTestBed();
    const caFile = join(out, 'azure-ca.pem');
    writeFileSync(caFile, bed.pki.caPem);
    const { fakes, required } = await runMain(join(out, 'userData-providers'));
    // Distinct files in the order first required (both Azure packages come from azure.cjs).
    const sdkFiles = () => [...new Set(required.filter((r) => r.startsWith('./sdk/')))];
    try {
      const win = fakes.windows[0]!;
      const frame = { url: 'app://console/index.html', parent: null };
      const event: IpcEventLike = { senderFrame: frame, sender: { id: win.webContents.id, mainFrame: frame } };
      const call = (channel: string, input: unknown) => fakes.ipcHandlers.get(IPC_CALL)!(event, channel, input) as Promise<{ ok: boolean; value?: unknown; error?: unknown }>;
      expect(await call('session:init', { operator: 'alice', passphrase: 'lazy provider clients 0123' })).toMatchObject({ ok: true });
      expect(await call('keys:create', { type: 'storage', label: 'local only' })).toMatchObject({ ok: true });
      expect(sdkFiles()).toEqual([]);

      expect(await call('providers:save', { config: awsConfig(emu, { use_kms_for_storage: false }) })).toMatchObject({ ok: true, value: { id: 'aws-primary', kind: 'aws_kms' } });
      expect(await call('providers:test', { id: 'aws-primary' })).toEqual({ ok: true, value: { ok: true, latencyMs: expect.any(Number), detail: null } });
      expect(sdkFiles()).toEqual(['./sdk/aws-kms.cjs']);

      expect(await call('providers:save', { config: vaultConfig(emu) })).toMatchObject({ ok: true, value: { id: 'vault-backup', kind: 'hashicorp_vault' } });
      expect(await call('providers:test', { id: 'vault-backup' })).toEqual({ ok: true, value: { ok: true, latencyMs: expect.any(Number), detail: null } });
      expect(sdkFiles()).toEqual(['./sdk/aws-kms.cjs', './sdk/node-vault.cjs']);

      // This test is about when the client loads, not about timeouts: at load 20 the first Azure calls through a freshly
      // loaded client took longer than the default deadline once (keys:create failed in a loaded run).
      const azure = azureConfig(bed, caFile, { timeout_ms: 60_000 });
      expect(await call('providers:save', { config: azure })).toMatchObject({ ok: true, value: { id: 'azure', kind: 'azure_key_vault' } });
      expect(await call('providers:test', { id: 'azure' })).toEqual({ ok: true, value: { ok: true, latencyMs: expect.any(Number), detail: null } });
      // A key held by the Azure emulator seals and opens a message through the bundled client.
      const key = (await call('keys:create', { type: 'communication', label: 'fleet link', provider: 'azure' })) as { ok: boolean; value: { id: string } };
      expect(key, JSON.stringify(key)).toMatchObject({ ok: true, value: { provider: 'azure', kmsBacked: true } });
      // Fresh bytes per call: Electron hands the console a clone, which the console zeroes after use.
      const aad = () => new TextEncoder().encode('robot-9');
      const sealed = (await call('keys:encrypt', { keyId: key.value.id, plaintext: new TextEncoder().encode('dock 9'), aad: aad() })) as { ok: boolean; value: { ciphertext: Uint8Array } };
      expect(sealed.ok).toBe(true);
      const opened = (await call('keys:decrypt', { ciphertext: sealed.value.ciphertext, aad: aad() })) as { ok: boolean; value: { plaintext: Uint8Array } };
      expect(new TextDecoder().decode(opened.value.plaintext)).toBe('dock 9');
      expect(sdkFiles()).toEqual(['./sdk/aws-kms.cjs', './sdk/node-vault.cjs', './sdk/azure.cjs']);
    } finally {
      fakes.app.emit('will-quit');
      await emu.close();
      await bed.close();
    }
  });
});
