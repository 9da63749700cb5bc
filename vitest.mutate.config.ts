/// <reference types="vitest/config" />
// The tests Stryker runs against each mutant: unit and security tests plus the integration tests that exercise the
// mutated modules in-process. Tests whose work happens in child processes cannot see a mutant and are left out.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/security/**/*.test.ts', 'test/integration/host.test.ts', 'test/integration/console.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
