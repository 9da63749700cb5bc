// A real SoftHSM2 token in a temporary folder: writes a SOFTHSM2_CONF that points at a fresh token directory,
// initialises one token with `softhsm2-util --init-token --free`, and removes everything on cleanup().
// SOFTHSM2_CONF is read by the library when C_Initialize runs, so it is set in this process's environment (the
// same value for every kit in one test file: SoftHSM reads it once per process).
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftHsmToken {
  modulePath: string;
  confPath: string;
  tokenDir: string;
  label: string;
  pin: string;
  soPin: string;
  /** Runs pkcs11-tool (opensc) against this token with the given arguments; returns stdout. */
  pkcs11Tool(args: string[]): string;
  cleanup(): Promise<void>;
}

/** One temp folder per process: SoftHSM reads SOFTHSM2_CONF once, at the first C_Initialize. */
function processConf(): { confPath: string; tokenDir: string } {
  const existing = process.env['SOFTHSM2_CONF'];
  if (existing && existing.includes('ecps-softhsm-') && fs.existsSync(existing)) {
    const tokenDir = /directories\.tokendir = (.+)/.exec(fs.readFileSync(existing, 'utf8'))?.[1]?.trim();
    if (tokenDir) return { confPath: existing, tokenDir };
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ecps-softhsm-'));
  const tokenDir = path.join(root, 'tokens');
  fs.mkdirSync(tokenDir, { mode: 0o700 });
  const confPath = path.join(root, 'softhsm2.conf');
  fs.writeFileSync(confPath, `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env['SOFTHSM2_CONF'] = confPath;
  return { confPath, tokenDir };
}

export function createSoftHsmToken(prefix = 'ecps'): SoftHsmToken {
  const { confPath, tokenDir } = processConf();
  const label = `${prefix}-${crypto.randomBytes(4).toString('hex')}`.slice(0, 32);
  const pin = `pin-${crypto.randomBytes(6).toString('hex')}`;
  const soPin = `so-${crypto.randomBytes(6).toString('hex')}`;
  const env = { ...process.env, SOFTHSM2_CONF: confPath };
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', soPin, '--pin', pin], { env, stdio: 'pipe' });
  return {
    modulePath: SOFTHSM_MODULE,
    confPath,
    tokenDir,
    label,
    pin,
    soPin,
    pkcs11Tool(args: string[]): string {
      return execFileSync('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', label, ...args], { env, stdio: 'pipe', encoding: 'utf8' });
    },
    async cleanup() {
      try {
        execFileSync('softhsm2-util', ['--delete-token', '--token', label], { env, stdio: 'pipe' });
      } catch {
        // Already removed (a test may remove the token on purpose).
      }
    },
  };
}

/** Removes the temporary SoftHSM folder of this process (call once, after every token's cleanup). */
export function removeSoftHsmFolder(): void {
  const conf = process.env['SOFTHSM2_CONF'];
  if (conf && conf.includes('ecps-softhsm-')) fs.rmSync(path.dirname(conf), { recursive: true, force: true });
}
