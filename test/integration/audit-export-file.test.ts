// The audit export in Electron (issue 11): audit:export asks where to save (the shell's save dialog, here a stand-in),
// then the main process streams the file there: cancelled writes nothing, a chosen path gets an owner-only file that
// the offline verifier accepts, followed by progress events ending in done and an audit.export record.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { verifyExport } from '../../electron/services/audit/index.ts';
import type { AuditExportProgress, CallContext } from '../../shared/contract.ts';
import { FAST_KDF, removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { until } from './support/consoleCalls.ts';

const ELECTRON: CallContext = { transport: 'electron' };
let c: FleetConsole;
let dir: string;
let answer: string | null = null;
const asked: string[] = [];
const progress: AuditExportProgress[] = [];

beforeAll(async () => {
  dir = tempDir('ecps-export-file-');
  c = await createConsole({
    dataDir: path.join(dir, 'data'),
    kdf: FAST_KDF,
    logger: createMemoryLogger(),
    chooseAuditExportPath: (suggested) => {
      asked.push(suggested);
      return Promise.resolve(answer);
    },
  });
  c.onEvent((event, payload) => {
    if (event === 'audit:exportProgress') progress.push(payload as AuditExportProgress);
  });
  await c.handlers['session:init']({ operator: 'alice', passphrase: 'export file passphrase 0123' }, ELECTRON);
});
afterAll(() => {
  c.close();
  removeTempDirs();
});

const exportRecords = () => c.audit.query({ action: 'audit.export', limit: 10 }).records;

describe('audit export to the file chosen in the save dialog', () => {
  it('cancelled: nothing is started, written or audited', async () => {
    answer = null;
    const started = await c.handlers['audit:export']({}, ELECTRON);
    expect(started).toMatchObject({ exportId: null, delivery: { kind: 'cancelled' } });
    expect(asked.at(-1)).toMatch(/^ecps-audit-\d{4}-\d\d-\d\dT[\d-]+Z\.jsonl$/);
    expect(exportRecords()).toEqual([]);
    expect(progress).toEqual([]);
  });

  it('a chosen path: the file is streamed there (0600, verified offline), progress ends done, the export is audited', async () => {
    answer = path.join(dir, 'evidence.jsonl');
    const started = await c.handlers['audit:export']({}, ELECTRON);
    expect(started).toMatchObject({ fileName: 'evidence.jsonl', delivery: { kind: 'file', path: answer } });
    const done = await until('the export is done', () => progress.find((p) => p.exportId === started.exportId && p.state !== 'running'));
    expect(done).toMatchObject({ state: 'done', records: started.records, total: started.records, error: null });
    expect(existsSync(answer)).toBe(true);
    expect(statSync(answer).mode & 0o777).toBe(0o600);
    expect(verifyExport(readFileSync(answer))).toMatchObject({ ok: true, checkedRecords: started.records });
    expect(exportRecords()).toMatchObject([{ outcome: 'success', actor: 'alice', details: { records: started.records } }]);
  });
});
