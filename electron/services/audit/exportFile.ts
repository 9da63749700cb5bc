// Writes a streamed audit export to a file: first to a temporary file beside it (owner-only, 0600), synced, then
// renamed into place, so a failure or a crash half-way never leaves a file under the final name; an existing file
// is replaced only when asked (and then atomically), otherwise refused without being touched.
import { randomBytes } from 'node:crypto';
import { link, lstat, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import type { AuditExportSink } from './auditLog.ts';

export interface ExportFileOptions {
  /** Replace an existing file (the CLI's --force; a save dialog has asked already). */
  overwrite: boolean;
  /** How the refusal of an existing file ends, e.g. " (use --force to replace it)". */
  overwriteHint?: string;
}

/** The temporary file's name: hidden, beside the target (same file system, so the rename is atomic). */
export function partialPath(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.partial`);
}

/** Runs `write` into a temporary file and moves the finished file to `target`; on any failure the temp file goes. */
export async function writeExportFile<T>(target: string, o: ExportFileOptions, write: (sink: AuditExportSink) => Promise<T>): Promise<T> {
  // Refused before the export runs (and again, atomically, when the finished file is moved into place).
  if (!o.overwrite && (await lstat(target).then(() => true, () => false))) throw exists(target, o);
  const temp = partialPath(target);
  let file: FileHandle | undefined;
  let done = false;
  try {
    file = await open(temp, 'wx', 0o600).catch((e: unknown) => {
      throw cannotWrite(target, e);
    });
    const handle = file;
    const result = await write({
      async write(chunk) {
        await handle.write(chunk).catch((e: unknown) => {
          throw cannotWrite(target, e);
        });
      },
    });
    await file.sync();
    await file.close();
    file = undefined;
    if (o.overwrite) await rename(temp, target);
    else {
      // link() fails if the target exists: no window between a check and the move in which another file could appear.
      await link(temp, target).catch((e: unknown) => {
        throw (e as NodeJS.ErrnoException).code === 'EEXIST' ? exists(target, o) : cannotWrite(target, e);
      });
      await unlink(temp).catch(() => undefined);
    }
    done = true;
    return result;
  } catch (e) {
    throw isConsoleError(e) ? e : cannotWrite(target, e);
  } finally {
    await file?.close().catch(() => undefined);
    if (!done) await unlink(temp).catch(() => undefined);
  }
}

function exists(target: string, o: ExportFileOptions): ConsoleError {
  return new ConsoleError('invalid_input', `Output file ${target} exists; it was not changed${o.overwriteHint ?? ''}.`, { field: 'out' });
}

function cannotWrite(target: string, e: unknown): ConsoleError {
  if (isConsoleError(e)) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return new ConsoleError('invalid_input', `Output file ${target} cannot be written (${code ?? 'error'}).`, { field: 'out' });
}
