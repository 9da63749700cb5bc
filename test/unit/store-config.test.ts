// The store configuration: data folder and KDF cost from the environment, with one clear message per bad field.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDataDir, loadConfig } from '../../electron/config/config.ts';
import { DEFAULT_KDF } from '../../electron/crypto/kdf.ts';
import { isConsoleError } from '../../shared/errors.ts';

function errorOf(env: NodeJS.ProcessEnv) {
  try {
    loadConfig(env);
  } catch (e) {
    if (isConsoleError(e)) return e;
    throw e;
  }
  throw new Error('expected a configuration error');
}

describe('console configuration', () => {
  it('defaults to the OS user-data folder and the production KDF cost', () => {
    const cfg = loadConfig({ XDG_CONFIG_HOME: '/home/officer/.cfg' });
    expect(cfg.dataDir).toBe(path.join('/home/officer/.cfg', 'ecps-fleet-console'));
    expect(cfg.kdf).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    expect(DEFAULT_KDF.N).toBeGreaterThanOrEqual(2 ** 17);
  });

  it('picks the platform folder on Linux, macOS and Windows', () => {
    expect(defaultDataDir({}, 'linux', '/home/u')).toBe('/home/u/.config/ecps-fleet-console');
    expect(defaultDataDir({ XDG_CONFIG_HOME: 'relative' }, 'linux', '/home/u')).toBe('/home/u/.config/ecps-fleet-console');
    expect(defaultDataDir({}, 'darwin', '/Users/u')).toBe('/Users/u/Library/Application Support/ecps-fleet-console');
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u')).toContain('ecps-fleet-console');
  });

  it('takes ECPS_DATA_DIR and ECPS_KDF_LOG2N from the environment', () => {
    expect(loadConfig({ ECPS_DATA_DIR: '/srv/ecps', ECPS_KDF_LOG2N: '18' })).toEqual({ dataDir: '/srv/ecps', kdf: { N: 2 ** 18, r: 8, p: 1 } });
  });

  it('names the bad field in one message', () => {
    for (const [env, field] of [
      [{ ECPS_DATA_DIR: 'relative/dir' }, 'ECPS_DATA_DIR'],
      [{ ECPS_DATA_DIR: '   ' }, 'ECPS_DATA_DIR'],
      [{ ECPS_KDF_LOG2N: 'fast' }, 'ECPS_KDF_LOG2N'],
      [{ ECPS_KDF_LOG2N: '4' }, 'ECPS_KDF_LOG2N'],
      [{ ECPS_KDF_LOG2N: '40' }, 'ECPS_KDF_LOG2N'],
    ] as const) {
      const e = errorOf(env);
      expect(e.code).toBe('invalid_input');
      expect(e.message).toContain(field);
      expect(e.details).toEqual({ field });
    }
  });
});
