// Child process of audit-group-commit-kill.slow.test.ts: opens the store in argv[2], unlocks it, prints READY, then
// runs audited key operations from 16 concurrent workers until it is killed, printing one line per result the moment
// it is returned (a synchronous write: a printed line has left the process):
//   ok key.encrypt <keyId> <bytes>      ok key.decrypt <keyId> <bytes>      ok key.rotate <keyId> <version>
//   fail <action> <keyId> <code>
// Every encryption has a byte count of its own, so each printed line names exactly one audit record.
import { writeSync } from 'node:fs';
import { createConsole } from '../../../electron/app.ts';
import { silentLogger } from '../../../electron/logger.ts';
import { isConsoleError } from '../../../shared/errors.ts';

const [dataDir, linkKey, ...rotationKeys] = process.argv.slice(2);
if (!dataDir || !linkKey || rotationKeys.length === 0) throw new Error('usage: auditBurstChild.ts DATA_DIR LINK_KEY ROTATION_KEY...');
const print = (line: string) => writeSync(1, `${line}\n`);
const AAD = Buffer.from('burst');

const c = await createConsole({ dataDir, kdf: { N: 1024, r: 8, p: 1 }, logger: silentLogger });
await c.handlers['session:unlock']({ operator: 'alice', passphrase: process.env.BURST_PASSPHRASE ?? '' }, { transport: 'test' });
print('READY');

let next = 0;
async function worker(rotating: string): Promise<never> {
  for (let round = 1; ; round++) {
    const bytes = ++next;
    let action = 'key.encrypt';
    let keyId = linkKey!;
    try {
      const sealed = await c.keys.encrypt(keyId, Buffer.alloc(bytes, bytes & 0xff), AAD);
      print(`ok key.encrypt ${keyId} ${bytes}`);
      action = 'key.decrypt';
      const opened = await c.keys.decrypt(sealed.ciphertext, AAD);
      print(`ok key.decrypt ${keyId} ${opened.plaintext.length}`);
      if (round % 4 === 0) {
        action = 'key.rotate';
        keyId = rotating;
        const rotated = await c.keys.rotate(keyId);
        print(`ok key.rotate ${keyId} ${rotated.currentVersion}`);
      }
    } catch (e) {
      print(`fail ${action} ${keyId} ${isConsoleError(e) ? e.code : 'unexpected'}`);
    }
  }
}

await Promise.all(rotationKeys.map(worker));
