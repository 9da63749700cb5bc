/// <reference types="vitest/config" />
// The tests Stryker runs against each mutant (npm run mutate; docs/mutation-testing.md). Only tests that call the
// mutated modules in this process belong here: a test whose work happens in a child process (the robot simulator,
// the CLI, socat relays) runs unmutated code and cannot kill a mutant. Tests that start a whole console and a server
// in a beforeAll hook are left out too: they reach the mutated code outside any single test, which makes every mutant
// "static" (all tests re-run, with a module reload, for each mutant: 12 minutes for the 65 lines of hostGuard.ts).
// The unit tests call the same functions directly, with expectations from the docs.
import { configDefaults, defineConfig } from 'vitest/config';

// They open a console (or fill an audit log) in a beforeAll hook, which reaches the audit log and the operator session
// outside any test and makes all their mutants static: 17 minutes for 189 mutants of the small audit files with them.
// They test the key service, the envelope and audit queries, which other unit tests and the normal suite cover.
const FILLED_IN_BEFORE_ALL = ['test/unit/keys.test.ts', 'test/unit/crypto-envelope.test.ts', 'test/unit/audit-query.test.ts'];

// The CLI as a function over a real store: every test opens its own console, so it reaches nearly every module and
// would re-run (seconds per test) for each mutant of the audit log, the session, the keys... Only the CLI's own
// mutation run takes it: ECPS_MUTATE_CLI=1 npx stryker run --mutate electron/ipc/cli/runCli.ts,electron/ipc/cli/commands.ts
const CLI_AS_A_FUNCTION = process.env.ECPS_MUTATE_CLI === '1'
  ? []
  : ['test/unit/cli-run-rules.test.ts', 'test/unit/cli-run-entry.test.ts', 'test/unit/cli-run-security.test.ts', 'test/unit/cli-run-emergency.test.ts', 'test/unit/cli-run-provider-down.test.ts', 'test/unit/cli-run-providers.test.ts', 'test/unit/cli-run-keys.test.ts', 'test/unit/cli-run-approval-keys.test.ts', 'test/unit/cli-run-ca-crl.test.ts', 'test/unit/cli-run-rollout.test.ts', 'test/unit/cli-run-kit.test.ts'];

// A real SoftHSM2 token reads SOFTHSM2_CONF from the process environment, which a test sets; Stryker's runner runs
// tests in worker threads, whose process.env the native library does not see, so the token is never found there.
// The token factor's file runs when SOFTHSM2_CONF is set before Stryker starts, naming an `ecps-softhsm-` folder
// (docs/mutation-testing.md, round (r)); without it, it is left out like the CLI's.
const SOFTHSM_PRESET = (process.env['SOFTHSM2_CONF'] ?? '').includes('ecps-softhsm-');
const NEEDS_A_PROCESS_ENVIRONMENT = ['test/unit/cli-run-token.test.ts', ...(SOFTHSM_PRESET ? [] : ['test/unit/token-factor-softhsm.test.ts'])];

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/security/sender-validation.test.ts'],
    // It sets process.umask(), which Stryker's worker threads do not allow; it tests store file modes, no mutated module.
    exclude: [...configDefaults.exclude, 'test/unit/store-file-modes.test.ts', ...FILLED_IN_BEFORE_ALL, ...CLI_AS_A_FUNCTION, ...NEEDS_A_PROCESS_ENVIRONMENT],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
