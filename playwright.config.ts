import { defineConfig } from '@playwright/test';
import { SLOW_E2E_SPECS } from './test/e2e/tiers.ts';

const slowSpecs = SLOW_E2E_SPECS.map((f) => `**/${f}`);

// Debian's Chromium: Playwright cannot download its own browser on these machines.
export default defineConfig({
  testDir: 'test/e2e',
  // Two workers: each test has its own console, host and ptys; measured 214 s -> 165 s wall at the same load (same CPU).
  workers: 2,
  // Hang guards, not speed checks: a loaded 2-core machine (load 10-20 beside other work) has taken over a minute for a
  // test that takes 15 s idle, and over 5 s to show a dialog's result.
  timeout: 120_000,
  expect: { timeout: 10_000 },
  // One second try: a test that fails and then passes is reported as flaky, named in the run's summary
  // (test/run-all.ts: "passed only on a second try") and in docs/testing.md's list to fix, never counted silently.
  retries: 1,
  // The fast tier runs project "fast", the slow tier project "slow" (test/e2e/tiers.ts); `npm run test:e2e` runs both.
  projects: [
    { name: 'fast', testIgnore: slowSpecs },
    { name: 'slow', testMatch: slowSpecs },
  ],
  reporter: [['list']],
  use: {
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--no-first-run', '--disable-quic',
      ],
    },
    trace: 'off',
  },
});
