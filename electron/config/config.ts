// The console's configuration: data folder and passphrase KDF cost, from the environment, validated with zod.
// Bad values give one message naming the variable. The providers issue extends this file.
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConsoleError } from '../../shared/errors.ts';
import { DEFAULT_KDF } from '../crypto/kdf.ts';
import type { KdfParams } from '../store/storeMetaRepo.ts';

export const APP_FOLDER_NAME = 'ecps-fleet-console';

export interface ConsoleConfig {
  dataDir: string;
  kdf: KdfParams;
}

/** The OS's per-user application-data folder for the console. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = os.homedir()): string {
  if (platform === 'win32') return path.join(env.APPDATA || path.join(home, 'AppData', 'Roaming'), APP_FOLDER_NAME);
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', APP_FOLDER_NAME);
  const xdg = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
  return path.join(xdg, APP_FOLDER_NAME);
}

const EnvSchema = z.object({
  ECPS_DATA_DIR: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .refine((p) => path.isAbsolute(p), 'must be an absolute path')
    .optional(),
  /** log2 of scrypt N for stores created from now on; 17 (the default) or more in production. */
  ECPS_KDF_LOG2N: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(10, 'must be at least 10').max(22, 'must be at most 22'))
    .optional(),
});

/** Reads the configuration from the environment; throws ConsoleError('invalid_input') naming the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ConsoleConfig {
  const parsed = EnvSchema.safeParse({ ECPS_DATA_DIR: env.ECPS_DATA_DIR, ECPS_KDF_LOG2N: env.ECPS_KDF_LOG2N });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? 'configuration');
    throw new ConsoleError('invalid_input', `Configuration error: ${field} ${issue.message}.`, { field });
  }
  const { ECPS_DATA_DIR, ECPS_KDF_LOG2N } = parsed.data;
  return {
    dataDir: ECPS_DATA_DIR ? path.resolve(ECPS_DATA_DIR) : defaultDataDir(env),
    kdf: ECPS_KDF_LOG2N === undefined ? { ...DEFAULT_KDF } : { ...DEFAULT_KDF, N: 2 ** ECPS_KDF_LOG2N },
  };
}
