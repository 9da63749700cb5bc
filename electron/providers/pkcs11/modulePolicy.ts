// Loading a PKCS#11 module runs its native code inside the main process, so the path the window sends is checked
// before anything is loaded: a shared library file that only its owner (root or this user) can change.
import fs from 'node:fs';
import path from 'node:path';
import { ConsoleError } from '../../../shared/errors.ts';

const LIBRARY = /\.(?:so(?:\.\d+)*|dylib|dll)$/i;

/** Returns the resolved path of an acceptable module, or throws invalid_input naming pkcs11_module. */
export function checkPkcs11ModulePath(modulePath: string): string {
  const refuse = (why: string) => new ConsoleError('invalid_input', `pkcs11_module ${why}.`, { field: 'pkcs11_module' });
  if (!path.isAbsolute(modulePath)) throw refuse('must be an absolute path');
  let real: string;
  try {
    real = fs.realpathSync(modulePath);
  } catch {
    throw refuse(`(${modulePath}) does not exist: install the vendor's PKCS#11 library or fix the path`);
  }
  if (!LIBRARY.test(real)) throw refuse(`(${modulePath}) must be a shared library (.so, .dylib or .dll)`);
  const st = fs.statSync(real);
  if (!st.isFile()) throw refuse(`(${modulePath}) is not a file`);
  if (process.platform !== 'win32') {
    if ((st.mode & 0o022) !== 0) throw refuse(`(${modulePath}) is writable by other users; a module anyone can replace will not be loaded`);
    const uid = process.getuid?.();
    if (st.uid !== 0 && st.uid !== uid) throw refuse(`(${modulePath}) must belong to root or to the user running the console`);
  }
  return real;
}
