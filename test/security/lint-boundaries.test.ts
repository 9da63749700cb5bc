// Runtime by folder: the ESLint config (eslint.config.js) refuses each forbidden import, proven with lintText on
// small sources placed at the right file paths; allowed imports pass.
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const cwd = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd });

async function restrictedImports(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const CASES: Array<{ file: string; code: string; refused: boolean }> = [
  { file: 'shared/fixture.ts', code: "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;", refused: true },
  { file: 'shared/fixture.ts', code: "import fs from 'fs';\nexport const x = fs;", refused: true },
  { file: 'renderer/src/fixture.ts', code: "import { createHash } from 'crypto';\nexport const x = createHash;", refused: true },
  { file: 'shared/fixture.ts', code: "import { ipcMain } from 'electron';\nexport const x = ipcMain;", refused: true },
  { file: 'shared/fixture.ts', code: "import { useState } from 'react';\nexport const x = useState;", refused: true },
  { file: 'shared/fixture.ts', code: "import { createConsole } from '../electron/app.ts';\nexport const x = createConsole;", refused: true },
  { file: 'shared/fixture.ts', code: "import { x as y } from '../renderer/src/api.ts';\nexport const x = y;", refused: true },
  { file: 'shared/fixture.ts', code: "import { z } from 'zod';\nimport { KEY_TYPES } from './domain.ts';\nexport const x = [z, KEY_TYPES];", refused: false },
  { file: 'renderer/src/fixture.ts', code: "import { ipcRenderer } from 'electron';\nexport const x = ipcRenderer;", refused: true },
  { file: 'renderer/src/fixture.ts', code: "import { createConsole } from '../../electron/app.ts';\nexport const x = createConsole;", refused: true },
  { file: 'renderer/src/fixture.ts', code: "import { join } from 'node:path';\nexport const x = join;", refused: true },
  { file: 'renderer/src/fixture.ts', code: "import { contract } from '../../shared/contract.ts';\nexport const x = contract;", refused: false },
  { file: 'electron/services/fixture.ts', code: "import { safeStorage } from 'electron';\nexport const x = safeStorage;", refused: true },
  { file: 'electron/ipc/fixture.ts', code: "import { ipcMain } from 'electron/main';\nexport const x = ipcMain;", refused: true },
  { file: 'electron/services/fixture.ts', code: "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;", refused: false },
  { file: 'electron/shell/fixture.ts', code: "import { app } from 'electron';\nexport const x = app;", refused: true },
  { file: 'electron/shell/fixture.ts', code: "import type { App } from 'electron';\nexport type X = App;", refused: true },
  { file: 'electron/main.ts', code: "import { app } from 'electron';\nexport const x = app;", refused: false },
  { file: 'electron/preload.ts', code: "import { contextBridge } from 'electron';\nexport const x = contextBridge;", refused: false },
  { file: 'electron/adapters/fixture.ts', code: "import { safeStorage } from 'electron';\nexport const x = safeStorage;", refused: false },
];

describe('lint boundaries (runtime by folder)', () => {
  for (const { file, code, refused } of CASES) {
    const what = code.split('\n')[0];
    it(`${refused ? 'refuses' : 'allows'} in ${file}: ${what}`, async () => {
      const messages = await restrictedImports(code, file);
      if (refused) expect(messages.length, messages.join('; ')).toBeGreaterThan(0);
      else expect(messages).toEqual([]);
    });
  }

  it('explains the rule in the message', async () => {
    const [message] = await restrictedImports("import { app } from 'electron';\nexport const x = app;", 'electron/store/fixture.ts');
    expect(message).toContain("Only electron/main.ts, electron/preload.ts and electron/adapters/** may import 'electron'");
  });
});
