// The check every CLI command makes on its --out files before it signs, makes or uses anything (a CRL number, a
// lockdown order's sequence, one of a kit order's uses, a recovery share set, a backup and its key's shares): a file
// the write would refuse stops the command first.
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConsoleError } from '../../../shared/errors.ts';
import { tempOutput } from './fileCrypto.ts';

/**
 * Refuses `path` as an --out file (invalid_input for `field`, the message naming the file) when the write
 * (writeWholeFile / tempOutput) would refuse it whatever happens in between: its folder does not exist; it is a
 * folder (also with `force`); without `force`, it exists; or its folder does not take a new file (read-only, no
 * permission): tried by creating the writer's own 0600 temp file there, empty, and removing it at once. The write
 * itself still refuses a file created in between.
 */
export async function outputFileFree(path: string, force: boolean, field = 'out'): Promise<void> {
  const folder = dirname(resolve(path));
  if (!(await stat(folder).then((s) => s.isDirectory(), () => false))) {
    throw new ConsoleError('invalid_input', `Output file ${path} cannot be written: the folder ${folder} does not exist; nothing was changed.`, { field });
  }
  const existing = await stat(path).catch(() => null);
  if (existing?.isDirectory()) {
    throw new ConsoleError('invalid_input', `Output file ${path} is a folder; it was not changed (name a file).`, { field });
  }
  if (existing && !force) {
    throw new ConsoleError('invalid_input', `Output file ${path} exists; it was not changed (use --force to replace it).`, { field });
  }
  let probe: Awaited<ReturnType<typeof tempOutput>>;
  try {
    probe = await tempOutput(path, force);
  } catch (e) {
    throw e instanceof ConsoleError ? new ConsoleError('invalid_input', `${e.message.replace(/\.$/, '')}: its folder does not take new files; nothing was changed.`, { field }) : e;
  }
  await probe.discard();
}
