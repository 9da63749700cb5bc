// Playwright fixture: a real console (real SQLite, real crypto) in a fresh temp folder, served by the real browser
// host on a free port, both living in the test process and closed after each test. `restart()` closes both and
// starts new ones on the same folder (the tamper and scale tests change the database while nothing holds it open).
// `test.use({ consoleOptions: { station: { stepTimeoutMs } } })` tunes the console a spec builds (e.g. a short
// station step timeout for the stalled-robot case); `consoleOptions.env` replaces the environment it reads (KMS_PROVIDER, ...).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test as base } from '@playwright/test';
import { createConsole, type ConsoleOptions, type FleetConsole } from '../../../electron/app.ts';
import { startBrowserHost, type BrowserHost } from '../../../electron/host/browserHost.ts';
import type { Clock } from '../../../electron/clock.ts';

/** Cheap scrypt for tests only; production keeps the default cost. */
const TEST_KDF = { N: 1024, r: 8, p: 1 };
const RENDERER_DIR = resolve(import.meta.dirname, '..', '..', '..', 'dist', 'renderer');

/** The console options a spec may set with test.use (the data folder, clock and KDF stay the fixture's). */
export type ConsoleTuning = Pick<ConsoleOptions, 'station' | 'env'>;

export interface RunningConsole {
  fleet: FleetConsole;
  host: BrowserHost;
}

export interface ConsoleHarness {
  dataDir: string;
  /** The console and host currently running (started before the test body). */
  current(): RunningConsole;
  /** Closes the running console and host, leaving the folder; returns nothing running until start(). */
  stop(): Promise<void>;
  /** Starts a new console and host on the same folder (closing the running ones first); a clock moved by hand may be given. */
  start(options?: { clock?: Clock }): Promise<RunningConsole>;
}

async function launch(dataDir: string, clock: Clock | undefined, tuning: ConsoleTuning): Promise<RunningConsole> {
  const fleet = await createConsole({ ...tuning, dataDir, kdf: TEST_KDF, ...(clock ? { clock } : {}) });
  try {
    const host = await startBrowserHost({ console: fleet, port: 0, rendererDir: RENDERER_DIR });
    return { fleet, host };
  } catch (e) {
    fleet.close();
    throw e;
  }
}

async function shutdown(running: RunningConsole): Promise<void> {
  await running.host.close();
  running.fleet.close();
}

export const test = base.extend<{ consoleOptions: ConsoleTuning; harness: ConsoleHarness }>({
  consoleOptions: [{}, { option: true }],
  harness: async ({ consoleOptions }, use) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ecps-e2e-'));
    let running: RunningConsole | null = await launch(dataDir, undefined, consoleOptions);
    const harness: ConsoleHarness = {
      dataDir,
      current() {
        if (!running) throw new Error('no console running: call harness.start()');
        return running;
      },
      async stop() {
        if (running) await shutdown(running);
        running = null;
      },
      async start(options) {
        if (running) await shutdown(running);
        running = null;
        running = await launch(dataDir, options?.clock, consoleOptions);
        return running;
      },
    };
    try {
      await use(harness);
    } finally {
      if (running) await shutdown(running);
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
});

export { expect } from '@playwright/test';
