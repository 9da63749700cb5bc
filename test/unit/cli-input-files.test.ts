// The CLI's whole-file inputs (readInput in electron/ipc/cli/commands.ts, through the exported readShareFile): as
// docs/cli.md says, a file read whole is at most 64 KiB (65,536 bytes; one more is invalid_input with
// details.field "in"), a path that is not a regular file is invalid_input, one that cannot be read not_found; a
// share file's lines are trimmed, blank lines and lines starting with # skipped.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readShareFile } from '../../electron/ipc/cli/commands.ts';
import { ConsoleError } from '../../shared/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'ecps-cli-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const refusal = async (path: string) => {
  try {
    await readShareFile(path);
  } catch (e) {
    if (e instanceof ConsoleError) return { code: e.code, message: e.message, details: e.details };
    throw e;
  }
  throw new Error('not refused');
};

describe('CLI input files read whole', () => {
  it('exactly 64 KiB is read; the lines trimmed, blank and # lines skipped', async () => {
    const path = join(dir, 'max.txt');
    const lines = ' share-1 \r\n\n# a comment\nshare-2\n';
    writeFileSync(path, lines + 'x'.repeat(65_536 - Buffer.byteLength(lines)));
    expect(await readShareFile(path)).toEqual(['share-1', 'share-2', 'x'.repeat(65_536 - Buffer.byteLength(lines))]);
  });

  it('one byte more is invalid_input naming its size and the limit, field in', async () => {
    const path = join(dir, 'big.txt');
    writeFileSync(path, 'x'.repeat(65_537));
    expect(await refusal(path)).toEqual({ code: 'invalid_input', message: `Input file ${path} is 65537 bytes; at most 65536 bytes per call.`, details: { field: 'in' } });
  });

  it('a folder is invalid_input (not a regular file); a missing file not_found', async () => {
    expect(await refusal(dir)).toMatchObject({ code: 'invalid_input', message: `--in ${dir} is not a regular file.` });
    const missing = join(dir, 'missing.txt');
    expect(await refusal(missing)).toMatchObject({ code: 'not_found', message: `Input file ${missing} cannot be read.` });
  });
});
