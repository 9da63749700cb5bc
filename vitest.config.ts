/// <reference types="vitest/config" />
import { defineConfig } from 'vitest/config';

// Two tiers (docs/testing.md). fast: `npm test`. slow: `npm run test:slow`, the files named *.slow.test.ts (real CLI
// processes, terminals, the robot simulator behind a CLI process). `npx vitest run FILE` runs a file of either tier.
const SLOW = 'test/**/*.slow.test.ts';

export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'fast',
          include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/security/**/*.test.ts'],
          exclude: [SLOW],
          // Hang guards, not speed checks: a loaded 2-core machine must not fail a test that would pass.
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'slow',
          include: [SLOW],
          // Each test starts several Node processes; under load one start takes seconds.
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
