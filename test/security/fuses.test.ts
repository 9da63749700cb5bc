// Electron fuses: every fuse the installed @electron/fuses knows must be decided in build/electron-builder.yml, with
// the values the issue requires. A new fuse in an Electron upgrade fails this test until someone decides it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
// @electron/fuses comes with electron-builder (it is what flips the fuses when packaging).
const { FuseV1Options } = require('@electron/fuses') as { FuseV1Options: Record<string, string | number> };

/** The `electronFuses:` block of the YAML config, as key -> raw value (comments stripped). */
function fusesBlock(yaml: string): Map<string, string> {
  const lines = yaml.split('\n');
  const start = lines.findIndex((l) => /^electronFuses:\s*(#.*)?$/.test(l));
  if (start < 0) return new Map();
  const out = new Map<string, string>();
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const m = /^\s+([A-Za-z0-9]+):\s*([^#]*?)\s*(#.*)?$/.exec(line);
    if (!m) break;
    out.set(m[1]!, m[2]!);
  }
  return out;
}

const configName = (fuse: string) => fuse[0]!.toLowerCase() + fuse.slice(1);

describe('Electron fuses', () => {
  const yaml = readFileSync(new URL('../../build/electron-builder.yml', import.meta.url), 'utf8');
  const decided = fusesBlock(yaml);
  const known = Object.keys(FuseV1Options).filter((k) => Number.isNaN(Number(k)));

  it('knows the fuses of the installed Electron tooling', () => {
    expect(known).toContain('RunAsNode');
    expect(known.length).toBeGreaterThanOrEqual(8);
  });

  it('decides every fuse explicitly, true or false', () => {
    for (const fuse of known) {
      const value = decided.get(configName(fuse));
      expect(value, `fuse ${fuse} is not decided in build/electron-builder.yml`).toBeDefined();
      expect(['true', 'false'], `fuse ${fuse} must be true or false`).toContain(value);
    }
    for (const key of decided.keys()) expect(known.map(configName), `unknown fuse ${key}`).toContain(key);
  });

  it('sets the fuses the security checklist requires', () => {
    expect(Object.fromEntries(decided)).toMatchObject({
      runAsNode: 'false',
      enableNodeOptionsEnvironmentVariable: 'false',
      enableNodeCliInspectArguments: 'false',
      enableEmbeddedAsarIntegrityValidation: 'true',
      onlyLoadAppFromAsar: 'true',
      enableCookieEncryption: 'true',
      grantFileProtocolExtraPrivileges: 'false',
    });
  });

  it('packages the built app with the native SQLite binding outside the asar', () => {
    expect(yaml).toMatch(/^appId: \S+/m);
    expect(yaml).toMatch(/^asar: true/m);
    expect(yaml).toMatch(/^asarUnpack:\n\s+- node_modules\/better-sqlite3\/\*\*/m);
    for (const f of ['dist/renderer/**', 'dist-electron/**']) expect(yaml).toContain(`  - ${f}`);
    for (const platform of ['linux', 'win', 'mac']) expect(yaml).toMatch(new RegExp(`^${platform}:\\n\\s+target:`, 'm'));
  });
});
