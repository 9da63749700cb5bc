// `report` in the CLI (issue 14, docs/compliance-report.md) through runCli on a real store: signs in, writes the
// report, its detached signature and the audit public key (0600, never over an existing file without --force), and the
// real openssl verifies the file with them. Bad periods and formats are typed errors (exit 1); a missing option is a
// usage error (exit 2). The figures of a store made here by the CLI: two keys (written below, not read from the code).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, cliInProcess } from './support/cliProcess.ts';

const PASS = 'Report cli passphrase 0123';
const env = cliEnv({ ECPS_PASSPHRASE: PASS });
let dir = '';
const run = (args: string[]) => cliInProcess([...args, '--data-dir', join(dir, 'store')], { env });
const TODAY = new Date().toISOString().slice(0, 10);

describe('cli report', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ecps-cli-report-'));
    expect((await run(['init'])).code).toBe(0);
    expect((await run(['keys', 'create', '--type', 'storage', '--label', 'disk'])).code).toBe(0);
    expect((await run(['keys', 'create', '--type', 'communication', '--label', 'uplink'])).code).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the CSV, its signature and the audit key; openssl verifies it; the figures are the store\'s', async () => {
    const out = join(dir, 'report.csv');
    const r = await run(['report', '--from', '2026-01-01', '--to', TODAY, '--format', 'csv', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`verify: openssl pkeyutl -verify -pubin -inkey ${out}.audit-key.pem -rawin -in ${out} -sigfile ${out}.sig`);
    for (const f of [out, `${out}.sig`, `${out}.audit-key.pem`]) expect(statSync(f).mode & 0o777, f).toBe(0o600);
    const v = spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', `${out}.audit-key.pem`, '-rawin', '-in', out, '-sigfile', `${out}.sig`], { encoding: 'utf8' });
    expect(v.status, v.stderr).toBe(0);
    const csv = readFileSync(out, 'utf8');
    expect(csv).toContain('\r\nsummary,inventory,,,Keys,2\r\n');
    expect(csv).toContain('\r\nsummary,inventory,,,Keys active,2\r\n');
    expect(csv).toContain('\r\nsummary,operators,,,Role admin,1\r\n');
    expect(csv).toContain('\r\nmeta,,,,generated_by,alice\r\n');
    expect(csv).toContain('\r\ncontrol,audit,,ISO/IEC 27001:2022,A.8.15,');
    // The same command again does not replace the files; --force does.
    const again = await run(['report', '--from', '2026-01-01', '--to', TODAY, '--format', 'csv', '--out', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists; it was not changed \(use --force to replace it\)/);
    expect((await run(['report', '--from', '2026-01-01', '--to', TODAY, '--format', 'csv', '--out', out, '--force'])).code).toBe(0);
  });

  it('--force replaces an existing 0644 report by the new one at 0600; a refused write leaves the old file as it was and no temp file', async () => {
    const folder = join(dir, 'replace');
    mkdirSync(folder);
    const out = join(folder, 'report.csv');
    const args = ['report', '--from', '2026-01-01', '--to', TODAY, '--format', 'csv', '--out', out];
    for (const f of [out, `${out}.sig`, `${out}.audit-key.pem`]) {
      writeFileSync(f, 'last month\'s file');
      chmodSync(f, 0o644);
    }
    // Refused without --force: all three files keep their content and their 0644; nothing else is left in the folder.
    const kept = await run(args);
    expect(kept.code).toBe(1);
    expect(kept.stderr).toContain(`Output file ${out} exists; it was not changed (use --force to replace it).`);
    for (const f of [out, `${out}.sig`, `${out}.audit-key.pem`]) {
      expect(readFileSync(f, 'utf8'), f).toBe('last month\'s file');
      expect(statSync(f).mode & 0o777, f).toBe(0o644);
    }
    expect(readdirSync(folder).sort()).toEqual(['report.csv', 'report.csv.audit-key.pem', 'report.csv.sig']);

    // Replaced with --force: the new report, signature and key, each 0600 (the audit key verifies the new report).
    const forced = await run([...args, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('\r\nmeta,,,,generated_by,alice\r\n');
    for (const f of [out, `${out}.sig`, `${out}.audit-key.pem`]) expect(statSync(f).mode & 0o777, f).toBe(0o600);
    const v = spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', `${out}.audit-key.pem`, '-rawin', '-in', out, '-sigfile', `${out}.sig`], { encoding: 'utf8' });
    expect(v.status, v.stderr).toBe(0);
    expect(readdirSync(folder).sort()).toEqual(['report.csv', 'report.csv.audit-key.pem', 'report.csv.sig']);

    // Refused with --force when the name is a folder: the write fails only when the finished temp file is moved; the
    // temp file is removed.
    const taken = join(folder, 'taken.csv');
    mkdirSync(taken);
    const onFolder = await run(['report', '--from', '2026-01-01', '--to', TODAY, '--format', 'csv', '--out', taken, '--force']);
    expect(onFolder.code).toBe(1);
    expect(onFolder.stderr).toContain(`Output file ${taken} cannot be written (EISDIR).`);
    expect(statSync(taken).isDirectory()).toBe(true);
    expect(readdirSync(folder).sort()).toEqual(['report.csv', 'report.csv.audit-key.pem', 'report.csv.sig', 'taken.csv']);
  });

  it('a PDF by default', async () => {
    const out = join(dir, 'report.pdf');
    expect((await run(['report', '--from', '2026-01-01', '--to', TODAY, '--out', out])).code).toBe(0);
    expect(readFileSync(out).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('refuses a reversed or unreadable period and an unknown format (exit 1, typed), a missing --to (exit 2)', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--from', TODAY, '--to', '2026-01-01'], /invalid_input.*The period is reversed/s],
      [['--from', 'last week', '--to', TODAY], /invalid_input.*from must be a date/s],
      [['--from', '2026-01-01', '--to', TODAY, '--format', 'docx'], /invalid_input/],
    ];
    for (const [args, message] of cases) {
      const r = await run(['report', ...args, '--out', join(dir, 'bad.pdf')]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    const usage = await run(['report', '--from', '2026-01-01', '--out', join(dir, 'bad.pdf')]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--to is required/);
  });
});
