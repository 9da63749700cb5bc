// Runs the documented external recipe (bash + sha256sum + openssl + base64, no node) on real exports. Slow tier: the
// recipe starts several processes per record, hundreds per run.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeExportFile } from '../../electron/services/audit/exportFile.ts';
import { keyFingerprint } from '../../electron/services/audit/index.ts';
import { entry, makeLog, newSigner, openTestDb } from '../unit/audit-testdb.ts';

const SCRIPT = path.resolve(import.meta.dirname, '../fixtures/verify-audit-export.sh');
let t: ReturnType<typeof openTestDb>;
let content: string;
let fingerprint: string;

beforeAll(async () => {
  t = openTestDb('audit-recipe-');
  const { log, clock } = makeLog(t.db, { checkpointEvery: 8 });
  log.append(entry(0));
  const signer = newSigner();
  fingerprint = keyFingerprint(signer.publicKeySpki);
  log.setSigner(signer);
  for (let i = 1; i < 30; i++) {
    log.append(entry(i));
    clock.advance(2000);
  }
  // The file as the CLI, the Electron shell and the browser host produce it: streamed (exportFile.ts).
  const out = path.join(t.dir, 'streamed.jsonl');
  const plan = log.prepareExport();
  await writeExportFile(out, { overwrite: false }, (sink) => log.writeExport(plan, sink));
  content = readFileSync(out, 'utf8');
});
afterAll(() => t.cleanup());

let n = 0;
function recipe(text: string | Buffer, ...args: string[]) {
  const file = path.join(t.dir, `export-${n++}.jsonl`);
  writeFileSync(file, text);
  const r = spawnSync('bash', [SCRIPT, file, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  return { code: r.status, out: r.stdout + r.stderr };
}
const lines = () => content.slice(0, -1).split('\n');
const join = (ls: string[]) => ls.join('\n') + '\n';

describe('the external verification recipe (test/fixtures/verify-audit-export.sh)', () => {
  it('accepts a good export and prints the key fingerprint', () => {
    const r = recipe(content);
    expect(r.out).toContain(`OK: 30 records, 4 checkpoints, sealed by audit key ${fingerprint}`);
    expect(r.code).toBe(0);
    expect(recipe(content, fingerprint).code).toBe(0);
  });

  it('rejects the export when the expected key fingerprint differs', () => {
    const r = recipe(content, '0'.repeat(64));
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('INVALID: line 1');
  });

  it('names the line after an edited record', () => {
    const ls = lines();
    ls[12] = ls[12]!.replace(/"actor":"[^"]*"/, '"actor":"mallory"');
    const r = recipe(join(ls));
    expect(r.code).toBe(1);
    expect(r.out).toContain('INVALID: line 14: record 13 does not link to record 12');
  });

  it('names the missing record when a line is deleted, and rejects swapped and duplicated lines', () => {
    const del = lines();
    del.splice(7, 1);
    expect(recipe(join(del)).out).toContain('INVALID: line 8: expected record 7, found record 8');
    const swap = lines();
    [swap[4], swap[5]] = [swap[5]!, swap[4]!];
    expect(recipe(join(swap)).code).toBe(1);
    const dup = lines();
    dup.splice(9, 0, dup[8]!);
    expect(recipe(join(dup)).code).toBe(1);
  });

  it('detects truncation after a checkpoint even when the header counts are adjusted', () => {
    const ls = lines();
    const cut = [ls[0]!.replace('"records":30', '"records":20'), ...ls.slice(1, 21), ...ls.slice(31)];
    const r = recipe(join(cut));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/checkpoint at record 24 refers to records that were removed/);
  });

  it('detects a forged checkpoint signature, a missing seal and an edited header', () => {
    const ls = lines();
    const forged = [...ls];
    forged[32] = forged[32]!.replace(/"signature":"(.)/, (_m, c: string) => `"signature":"${c === 'A' ? 'B' : 'A'}`);
    expect(recipe(join(forged)).out).toMatch(/line 33: checkpoint at record \d+: signature invalid/);
    expect(recipe(join(ls.slice(0, -1))).out).toContain('no seal line');
    const header = [...ls];
    header[0] = header[0]!.replace(/"exportedAt":"2026/, '"exportedAt":"2025');
    expect(recipe(join(header)).out).toContain('seal does not match the lines before it');
  });

  it('rejects single-byte changes spread over the whole file', () => {
    const bytes = Buffer.from(content);
    const offsets = Array.from({ length: 16 }, (_, i) => Math.floor((i * (bytes.length - 1)) / 15));
    for (const off of offsets) {
      const copy = Buffer.from(bytes);
      copy[off]! ^= 0x01;
      expect(recipe(copy).code, `byte ${off}`).not.toBe(0);
    }
  });
});
