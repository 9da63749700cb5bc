// Flat ESLint config: recommended rules plus the runtime-by-folder boundaries (which file may import what).
// test/security/lint-boundaries.test.ts proves each boundary fires.
import { builtinModules } from 'node:module';
import { defineConfig } from 'eslint/config';
import { builtinRules } from 'eslint/use-at-your-own-risk';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// ESLint's own "recommended" set, read from the rules' metadata (@eslint/js is not a dependency of this project).
const eslintRecommended = {
  name: 'eslint/recommended (from rule metadata)',
  rules: Object.fromEntries([...builtinRules].filter(([, rule]) => rule.meta?.docs?.recommended).map(([name]) => [name, 'error'])),
};

const NO_NODE = 'shared/ and renderer/ run in the browser too: no Node built-ins.';
const NODE_BUILTINS = { group: ['node:*'], message: NO_NODE };
// Bare built-in names too ('fs', 'path', 'crypto', ...).
const NODE_BUILTIN_PATHS = builtinModules.filter((m) => !m.startsWith('_')).map((name) => ({ name, message: NO_NODE }));
const ELECTRON = { name: 'electron', message: "Only electron/main.ts, electron/preload.ts and electron/adapters/** may import 'electron'." };
const ELECTRON_SUBPATHS = { group: ['electron/*'], message: "Only electron/main.ts, electron/preload.ts and electron/adapters/** may import 'electron'." };

export default defineConfig(
  { ignores: ['dist/**', 'dist-electron/**', 'release/**', 'node_modules/**', '.tools/**', 'test-results/**', 'playwright-report/**', 'coverage/**', '.stryker-tmp*/**', 'reports/**'] },
  eslintRecommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'warn',
      // Validation code deliberately matches control characters in order to reject them.
      'no-control-regex': 'off',
    },
  },
  // vitest.config.ts needs its triple-slash reference to type-check the test block (TOOLCHAIN.md).
  { files: ['*.config.ts'], rules: { '@typescript-eslint/triple-slash-reference': 'off' } },
  // Playwright fixtures that need no other fixture are declared as async ({}, use) => ...
  { files: ['test/e2e/**/*.ts'], rules: { 'no-empty-pattern': 'off' } },
  // Main-process code: plain Node; 'electron' only in the shell files and the adapters.
  {
    files: ['electron/**/*.ts', 'build/**/*.ts', 'test/**/*.ts'],
    ignores: ['electron/main.ts', 'electron/preload.ts', 'electron/adapters/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [ELECTRON], patterns: [ELECTRON_SUBPATHS] }] },
  },
  // shared/: neither Node, Electron, React, nor either side's code.
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [ELECTRON, ...NODE_BUILTIN_PATHS, { name: 'react', message: 'shared/ is UI-free.' }, { name: 'react-dom', message: 'shared/ is UI-free.' }],
        patterns: [
          NODE_BUILTINS,
          ELECTRON_SUBPATHS,
          { group: ['**/electron/**', '../electron', '**/renderer/**', '../renderer'], message: 'shared/ imports neither the main process nor the renderer.' },
        ],
      }],
    },
  },
  // renderer/: browser only; reaches the main process through the contract (window.ecps or the browser host).
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      // The React Compiler checks of react-hooks 7 advise (warn); the two classic rules of hooks decide.
      ...Object.fromEntries(Object.keys(reactHooks.configs.recommended.rules).map((name) => [name, 'warn'])),
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'warn',
      'no-restricted-imports': ['error', {
        paths: [ELECTRON, ...NODE_BUILTIN_PATHS],
        patterns: [
          NODE_BUILTINS,
          ELECTRON_SUBPATHS,
          { group: ['**/electron/**', '../electron', '../../electron', '../../../electron'], message: 'The renderer reaches the main process only through shared/contract.' },
        ],
      }],
    },
  },
);
