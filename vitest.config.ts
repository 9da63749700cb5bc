/// <reference types="vitest/config" />
import { defineConfig } from 'vitest/config';

// Two tiers (docs/testing.md). The fast tier, `npm test`, is the projects "unit" and "integration"; the slow tier,
// `npm run test:slow`, is the project "slow": the files named *.slow.test.ts (real CLI processes, terminals, external
// tools run per record). `npx vitest run FILE` runs a file of any project.
const SLOW = 'test/**/*.slow.test.ts';

// Hang guards, not speed checks: a loaded 2-core machine must not fail a test that would pass.
const FAST_LIMITS = { testTimeout: 120_000, hookTimeout: 120_000 };

export default defineConfig({
  test: {
    pool: 'forks',
    // Two workers on two cores: Vitest's default (availableParallelism() - 1) ran one file at a time (docs/testing.md).
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          exclude: [SLOW],
          // Unit files share a worker's module cache instead of a fresh process each (measured: 37 s -> 15 s CPU for
          // test/unit). Safe because they hold no module state: no vi.mock, no lasting env, umask or global changes.
          isolate: false,
          ...FAST_LIMITS,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          // Each file in its own process: emulators, SoftHSM (one PKCS#11 library per process), vi.mock, env changes.
          include: ['test/integration/**/*.test.ts', 'test/security/**/*.test.ts'],
          exclude: [SLOW],
          ...FAST_LIMITS,
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
