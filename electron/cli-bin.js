#!/usr/bin/env node
// `npx ecps-console ...` inside this repository: Node >= 22.18 runs the TypeScript CLI directly. First, while the
// process holds no console module yet, the passphrase key of an existing store is derived ahead when the environment
// gives the passphrase and names the store (kekAhead.js): the peak resident size is then scrypt's or the modules',
// not both. crypto/kdf.ts takes the key only for exactly these inputs; one left unused is zeroed at exit.
import { deriveKekAhead } from './kekAhead.js';

const ahead = await deriveKekAhead(process.argv.slice(2), process.env);
if (ahead) {
  const kdf = await import('./crypto/kdf.ts');
  kdf.offerPrederivedKek(ahead.passphrase, ahead.salt, ahead.kdf, ahead.key);
  process.on('exit', () => kdf.dropPrederivedKek());
}
await import('./cli.ts');
