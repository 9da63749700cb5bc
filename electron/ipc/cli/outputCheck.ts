// The check every CLI command makes on its --out file before it signs or uses anything (a CRL number, a lockdown
// order's sequence, one of a kit order's uses): a file the write would refuse stops the command first.
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConsoleError } from '../../../shared/errors.ts';

/**
 * Refuses `path` as an --out file when its folder does not exist (the write would fail whatever --force says) or,
 * without `force`, when the file exists. The write itself still refuses a file created in between.
 */
export async function outputFileFree(path: string, force: boolean): Promise<void> {
  const folder = dirname(resolve(path));
  if (!(await stat(folder).then((s) => s.isDirectory(), () => false))) {
    throw new ConsoleError('invalid_input', `Output file ${path} cannot be written: the folder ${folder} does not exist; nothing was changed.`, { field: 'out' });
  }
  if (force) return;
  if (await stat(path).then(() => true, () => false)) {
    throw new ConsoleError('invalid_input', `Output file ${path} exists; it was not changed (use --force to replace it).`, { field: 'out' });
  }
}
