// The Electron bundles (npm run build): the preload is one CJS file that needs nothing but 'electron' (sandboxed
// preloads cannot load npm modules or ESM), and run in a VM it exposes exactly window.ecps with the contract's API.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleElectron } from '../../build/bundle-electron.ts';
import { CHANNELS } from '../../shared/contract.ts';
import { IPC_CALL } from '../../electron/ipc/ipcChannels.ts';
import { MAIN_EXTERNALS } from '../../build/bundle-electron.ts';

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
    const allowed = new Set([...MAIN_EXTERNALS, ...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const foreign = requiresOf(code).filter((r) => !allowed.has(r));
    expect(foreign).toEqual([]);
    expect(requiresOf(code)).toContain('electron');
  });

  it('run in a sandbox-like VM, the preload exposes exactly one object, ecps, with the contract API', async () => {
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
    expect(channels.sort()).toEqual([...CHANNELS].sort());
    expect(await api.keys!.list!({})).toEqual({ ok: true, value: 'pong' });
    expect(invoked).toEqual([[IPC_CALL, 'keys:list', {}]]);
  });
});
