/// <reference types="vitest/config" />
// The tests Stryker runs against each mutant (npm run mutate; docs/mutation-testing.md). Only tests that call the
// mutated modules in this process belong here: a test whose work happens in a child process (the robot simulator,
// the CLI, socat relays) runs unmutated code and cannot kill a mutant. Tests that start a whole console and a server
// in a beforeAll hook are left out too: they reach the mutated code outside any single test, which makes every mutant
// "static" (all tests re-run, with a module reload, for each mutant: 12 minutes for the 65 lines of hostGuard.ts).
// The unit tests call the same functions directly, with expectations from the docs.
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/security/sender-validation.test.ts'],
    // It sets process.umask(), which Stryker's worker threads do not allow; it tests store file modes, no mutated module.
    exclude: [...configDefaults.exclude, 'test/unit/store-file-modes.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
