// The CLI derives the passphrase key ahead, before the console's modules load (electron/kekAhead.js, run by
// electron/cli-bin.js), so scrypt's work area and the modules are not resident together. Integration project: the
// held key is module state of crypto/kdf.ts. The reference key is computed here from the documented recipe
// (scrypt over the NFC UTF-8 passphrase, the store's salt and parameters, 32 bytes), not by the code under test.
import crypto from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { deriveKek, dropPrederivedKek, offerPrederivedKek } from '../../electron/crypto/kdf.ts';
import { deriveKekAhead } from '../../electron/kekAhead.js';
import Database from 'better-sqlite3';
import { codeOf, CTX, dbFile, FAST_KDF, open, removeTempDirs, tempDir } from '../unit/store-testkit.ts';

// A decomposed "é" (e + combining acute): the NFC form is what scrypt must be given.
const PASSPHRASE = 'cafe\u0301 horse battery staple';

async function storeWith(passphrase: string): Promise<{ dir: string; salt: Buffer; kdf: typeof FAST_KDF }> {
  const dir = tempDir('ecps-kek-ahead-');
  const c = await open(dir);
  await c.handlers['session:init']({ operator: 'Officer', passphrase }, CTX);
  c.close();
  const db = new Database(dbFile(dir), { readonly: true });
  try {
    // The operator's own key slot (issue 14).
    const meta = db.prepare("SELECT kdf_params, kdf_salt FROM operators WHERE name = 'Officer'").get() as { kdf_params: string; kdf_salt: Buffer };
    return { dir, salt: meta.kdf_salt, kdf: JSON.parse(meta.kdf_params) as typeof FAST_KDF };
  } finally {
    db.close();
  }
}

const reference = (passphrase: string, salt: Buffer, kdf: typeof FAST_KDF) =>
  crypto.scryptSync(Buffer.from(passphrase.normalize('NFC'), 'utf8'), salt, 32, kdf);

afterAll(() => {
  dropPrederivedKek();
  removeTempDirs();
});

describe('deriving the passphrase key ahead', () => {
  it('gives the key of the documented recipe for the store the command line names', async () => {
    const s = await storeWith(PASSPHRASE);
    // The slot of the operator the command line names (--operator, else ECPS_OPERATOR, else the OS user).
    const ahead = await deriveKekAhead(['keys', 'list', '--operator', 'Officer', '--data-dir', s.dir], { ECPS_PASSPHRASE: PASSPHRASE });
    expect(ahead).not.toBeNull();
    expect(ahead!.kdf).toEqual(FAST_KDF);
    expect(ahead!.salt.equals(s.salt)).toBe(true);
    expect(ahead!.key.equals(reference(PASSPHRASE, s.salt, FAST_KDF))).toBe(true);
    const viaEnv = await deriveKekAhead(['keys', 'list'], { ECPS_PASSPHRASE: PASSPHRASE, ECPS_DATA_DIR: s.dir, ECPS_OPERATOR: 'Officer' });
    expect(viaEnv!.key.equals(ahead!.key)).toBe(true);
    const withEquals = await deriveKekAhead(['keys', 'list', '--operator=Officer', `--data-dir=${s.dir}`], { ECPS_PASSPHRASE: PASSPHRASE });
    expect(withEquals!.key.equals(ahead!.key)).toBe(true);
  });

  it('derives nothing without a passphrase in the environment, a named store, or for a command that does not unlock', async () => {
    const s = await storeWith(PASSPHRASE);
    const env = { ECPS_PASSPHRASE: PASSPHRASE };
    expect(await deriveKekAhead(['keys', 'list', '--operator', 'Officer', '--data-dir', s.dir], {})).toBeNull();
    // No operator of that name: no slot to derive for.
    expect(await deriveKekAhead(['keys', 'list', '--operator', 'Nobody', '--data-dir', s.dir], env)).toBeNull();
    expect(await deriveKekAhead(['keys', 'list'], env)).toBeNull();
    expect(await deriveKekAhead(['init', '--data-dir', s.dir], env)).toBeNull();
    // restore opens no store; recovery recover's ECPS_PASSPHRASE is the operator's new passphrase.
    expect(await deriveKekAhead(['restore', '--from', '/tmp/x.ecpsbak', '--data-dir', s.dir, '--operator', 'Officer'], env)).toBeNull();
    expect(await deriveKekAhead(['recovery', 'recover', '--shares', '/tmp/s.txt', '--data-dir', s.dir, '--operator', 'Officer'], env)).toBeNull();
    expect(await deriveKekAhead(['help'], env)).toBeNull();
    expect(await deriveKekAhead(['keys', 'list', '--help', '--data-dir', s.dir], env)).toBeNull();
    expect(await deriveKekAhead(['keys', 'list', '--data-dir', tempDir('ecps-kek-empty-')], env)).toBeNull();
  });

  it('the unlock uses a key offered for exactly its inputs: a wrong key offered for them fails the right passphrase', async () => {
    const s = await storeWith(PASSPHRASE);
    const c = await open(s.dir);
    try {
      offerPrederivedKek(PASSPHRASE, s.salt, s.kdf, crypto.randomBytes(32));
      expect(await codeOf(() => c.handlers['session:unlock']({ operator: 'Officer', passphrase: PASSPHRASE }, CTX))).toBe('wrong_passphrase');
    } finally {
      c.close();
    }
    // As the CLI does: ahead of opening the store (an open console holds it locked).
    const ahead = await deriveKekAhead(['keys', 'list', '--operator', 'Officer', '--data-dir', s.dir], { ECPS_PASSPHRASE: PASSPHRASE });
    const again = await open(s.dir);
    try {
      offerPrederivedKek(ahead!.passphrase, ahead!.salt, ahead!.kdf, ahead!.key);
      await expect(again.handlers['session:unlock']({ operator: 'Officer', passphrase: PASSPHRASE }, CTX)).resolves.toMatchObject({ state: 'unlocked' });
    } finally {
      again.close();
    }
  });

  it('a key offered for other inputs is zeroed and never used; either way it is taken once', async () => {
    const s = await storeWith(PASSPHRASE);
    const real = reference(PASSPHRASE, s.salt, FAST_KDF);
    for (const other of [
      { passphrase: 'another passphrase', salt: s.salt, kdf: FAST_KDF },
      { passphrase: PASSPHRASE, salt: crypto.randomBytes(16), kdf: FAST_KDF },
      { passphrase: PASSPHRASE, salt: s.salt, kdf: { ...FAST_KDF, N: 2048 } },
    ]) {
      const wrong = crypto.randomBytes(32);
      offerPrederivedKek(other.passphrase, other.salt, other.kdf, wrong);
      expect((await deriveKek(PASSPHRASE, s.salt, FAST_KDF)).equals(real)).toBe(true);
      expect(wrong.equals(Buffer.alloc(32))).toBe(true);
    }
    const offered = crypto.randomBytes(32);
    const copy = Buffer.from(offered);
    offerPrederivedKek(PASSPHRASE, s.salt, FAST_KDF, offered);
    expect((await deriveKek(PASSPHRASE, s.salt, FAST_KDF)).equals(copy)).toBe(true);
    expect((await deriveKek(PASSPHRASE, s.salt, FAST_KDF)).equals(real)).toBe(true);
  });
});
