// Wrong kit passphrases are throttled per kit with the operators' unlock policy (session/sessionThrottle.ts): after the
// free attempts each new one waits an exponentially growing delay from the last failure. The count lives in the kit
// folder (throttle.json), so restarting the offline console (the CLI, `serve --kit`, the window) does not reset it.
// The file is not signed (a guesser has no kit key to sign with): deleting or editing it resets the count, which is
// why it is a brake on a casual guesser at the console, not a limit on an attacker who copies the stick
// (docs/incident-kit.md "Threat model").
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ThrottleRow } from '../../store/storeMetaRepo.ts';
import { afterFailure, retryAfterMs, throttleGate } from '../session/sessionThrottle.ts';

export const KIT_THROTTLE_FILE = 'throttle.json';

const NONE: ThrottleRow = { failedAttempts: 0, lastFailureMs: null };

/** The kit's count of wrong passphrases: none when the file is absent, unreadable or names another kit. */
export async function readKitThrottle(dir: string, kitId: string): Promise<ThrottleRow> {
  try {
    const v = JSON.parse(await readFile(join(dir, KIT_THROTTLE_FILE), 'utf8')) as Record<string, unknown>;
    const { failedAttempts: n, lastFailureMs: at } = v;
    if (v.kitId !== kitId || !Number.isSafeInteger(n) || (n as number) < 0 || !(at === null || Number.isSafeInteger(at))) return NONE;
    return { failedAttempts: n as number, lastFailureMs: at as number | null };
  } catch {
    return NONE;
  }
}

async function writeKitThrottle(dir: string, kitId: string, row: ThrottleRow): Promise<void> {
  // A new file renamed over the old one: a stick pulled mid-write leaves the old count or the new, never half a file.
  const tmp = join(dir, `${KIT_THROTTLE_FILE}.tmp`);
  await writeFile(tmp, `${JSON.stringify({ kitId, ...row })}\n`, { mode: 0o600 });
  await rename(tmp, join(dir, KIT_THROTTLE_FILE));
}

export interface KitThrottle {
  /** Throws too_many_attempts (the wait in words and details.retryAfterMs) while the kit's wait lasts. */
  gate(): Promise<ThrottleRow>;
  /** Counts a wrong passphrase; the wait it now imposes (0 within the free attempts). */
  failed(row: ThrottleRow): Promise<number>;
  /** The passphrase was right: the count starts over. */
  succeeded(row: ThrottleRow): Promise<void>;
  /** Milliseconds until the next attempt is accepted (for the sign-in page). */
  retryAfterMs(): Promise<number>;
}

export function kitThrottle(dir: string, kitId: string, nowMs: () => number): KitThrottle {
  return {
    async gate() {
      const row = await readKitThrottle(dir, kitId);
      throttleGate(row, nowMs(), ` for incident kit ${kitId}`);
      return row;
    },
    async failed(row) {
      const next = afterFailure(row, nowMs());
      await writeKitThrottle(dir, kitId, next);
      return retryAfterMs(next, nowMs());
    },
    async succeeded(row) {
      if (row.failedAttempts > 0 || row.lastFailureMs !== null) await writeKitThrottle(dir, kitId, NONE);
    },
    retryAfterMs: async () => retryAfterMs(await readKitThrottle(dir, kitId), nowMs()),
  };
}
