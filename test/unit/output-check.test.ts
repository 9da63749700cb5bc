// outputFileFree (electron/ipc/cli/outputCheck.ts): the CLI's check of an --out file before it signs or uses anything.
// Expectations from docs/cli.md ("ca crl"): an existing file only with --force; a folder that does not exist is refused
// with or without it; both are invalid_input on the field `out`, and nothing is created or changed. And (docs/cli.md,
// docs/recovery-and-backup.md "Share files"): a target that is a folder is refused even with --force, and a folder
// that takes no new file (read-only, no permission) is refused before anything is made, leaving no temp file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { outputFileFree } from '../../electron/ipc/cli/outputCheck.ts';
import { isConsoleError } from '../../shared/errors.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ecps-output-check-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const existing = path.join(root, 'existing.pem');
fs.writeFileSync(existing, 'keep me');
const aFile = path.join(root, 'a-file');
fs.writeFileSync(aFile, 'not a folder');
const aFolder = path.join(root, 'a-folder.pem');
fs.mkdirSync(aFolder);

async function outcome(p: string, force: boolean, field?: string): Promise<{ code: string; message: string; details: unknown } | 'free'> {
  try {
    await (field === undefined ? outputFileFree(p, force) : outputFileFree(p, force, field));
    return 'free';
  } catch (e) {
    if (!isConsoleError(e)) throw e;
    return { code: e.code, message: e.message, details: e.details };
  }
}

const folderMissing = (p: string, folder: string) => ({ code: 'invalid_input', message: `Output file ${p} cannot be written: the folder ${folder} does not exist; nothing was changed.`, details: { field: 'out' } });
const isFolder = (p: string) => ({ code: 'invalid_input', message: `Output file ${p} is a folder; it was not changed (name a file).`, details: { field: 'out' } });
const exists = (p: string) => ({ code: 'invalid_input', message: `Output file ${p} exists; it was not changed (use --force to replace it).`, details: { field: 'out' } });

describe('outputFileFree', () => {
  const missingFolder = path.join(root, 'no-such-folder');
  const listed = fs.readdirSync(root).sort();
  const cases: Array<[string, string, boolean, ReturnType<typeof folderMissing> | 'free']> = [
    ['a folder by that name', aFolder, false, isFolder(aFolder)],
    ['a folder by that name, --force', aFolder, true, isFolder(aFolder)],
    ['a new file in an existing folder', path.join(root, 'new.pem'), false, 'free'],
    ['a new file in an existing folder, --force', path.join(root, 'new.pem'), true, 'free'],
    ['an existing file without --force', existing, false, exists(existing)],
    ['an existing file with --force', existing, true, 'free'],
    ['a folder that does not exist', path.join(missingFolder, 'x.pem'), false, folderMissing(path.join(missingFolder, 'x.pem'), missingFolder)],
    ['a folder that does not exist, --force', path.join(missingFolder, 'x.pem'), true, folderMissing(path.join(missingFolder, 'x.pem'), missingFolder)],
    ['a "folder" that is a file', path.join(aFile, 'x.pem'), false, folderMissing(path.join(aFile, 'x.pem'), aFile)],
    ['a "folder" that is a file, --force', path.join(aFile, 'x.pem'), true, folderMissing(path.join(aFile, 'x.pem'), aFile)],
  ];
  it.each(cases)('%s', async (_name, p, force, expected) => {
    expect(await outcome(p, force)).toEqual(expected);
    // Nothing is created or changed by the check.
    expect(fs.existsSync(missingFolder)).toBe(false);
    expect(fs.readFileSync(existing, 'utf8')).toBe('keep me');
    expect(fs.existsSync(path.join(root, 'new.pem'))).toBe(false);
    expect(fs.readdirSync(root).sort()).toEqual(listed);
  });

  it('a folder that takes no new file: refused on the field given, naming the file; nothing left in it', async () => {
    // Root writes into a 0500 folder anyway, so as root a folder the kernel refuses files in (sysfs) stands in.
    const folder = process.getuid?.() === 0 ? '/sys' : fs.mkdtempSync(path.join(root, 'ro-'));
    if (folder !== '/sys') fs.chmodSync(folder, 0o500);
    const before = fs.readdirSync(folder);
    const p = path.join(folder, 'share-1-Ann.txt');
    for (const force of [false, true]) {
      const r = await outcome(p, force, 'out-dir');
      expect(r).toMatchObject({ code: 'invalid_input', details: { field: 'out-dir' } });
      expect((r as { message: string }).message).toMatch(new RegExp(`^Output file ${p} cannot be written \\(E[A-Z]+\\): its folder does not take new files; nothing was changed\\.$`));
    }
    expect(fs.readdirSync(folder)).toEqual(before);
    if (folder !== '/sys') fs.chmodSync(folder, 0o700);
  });

  it('a relative path is checked against the working folder (the folder named in full)', async () => {
    const rel = path.join('no-such-relative-folder-ecps', 'x.pem');
    expect(await outcome(rel, false)).toEqual(folderMissing(rel, path.resolve('no-such-relative-folder-ecps')));
    expect(await outcome('ecps-output-check-new-file.pem', false)).toBe('free');
  });
});
