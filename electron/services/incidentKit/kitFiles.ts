// An incident kit as a folder (docs/incident-kit.md): written once into a new or empty folder, each file 0600; read
// back whole for import. The offline console appends to audit.jsonl and rewrites audit-head.json (offlineKit.ts).
import { mkdir, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConsoleError } from '../../../shared/errors.ts';
import { KIT_FILES } from './kitFormat.ts';

export interface KitFolderFiles {
  manifest: string;
  payload: Buffer;
  audit: string;
  head: string;
}

/** Writes the kit's files into `dir`, which must be new or empty (a kit is never mixed with another). */
export async function writeKitDir(dir: string, files: KitFolderFiles): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if ((await readdir(dir)).length > 0) throw new ConsoleError('invalid_input', `Kit folder ${dir} is not empty; an incident kit goes into a new or empty folder.`, { field: 'dir' });
    for (const [k, name] of Object.entries(KIT_FILES)) {
      const file = await open(join(dir, name), 'wx', 0o600);
      try {
        await file.writeFile(files[k as keyof KitFolderFiles]);
      } finally {
        await file.close();
      }
    }
  } catch (e) {
    if (e instanceof ConsoleError) throw e;
    throw new ConsoleError('invalid_input', `Kit folder ${dir} cannot be written (${(e as NodeJS.ErrnoException).code ?? 'error'}).`, { field: 'dir' });
  }
}

/** The kit's files from `dir` (not_found naming the first one missing). */
export async function readKitDir(dir: string): Promise<KitFolderFiles> {
  const read = async (name: string) => {
    try {
      return await readFile(join(dir, name));
    } catch {
      throw new ConsoleError('not_found', `Kit folder ${dir} has no readable ${name}.`, { field: 'dir' });
    }
  };
  return {
    manifest: (await read(KIT_FILES.manifest)).toString('utf8'),
    payload: await read(KIT_FILES.payload),
    audit: (await read(KIT_FILES.audit)).toString('utf8'),
    head: (await read(KIT_FILES.head)).toString('utf8'),
  };
}
