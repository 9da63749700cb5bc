// Recovery and backup (issue 14, docs/recovery-and-backup.md), on real SQLite stores in temp folders: a 3-of-5 share
// set recovers the master key with every subset of 3 listed below (and 4, and 5), and is refused with 2, with a
// duplicate, a mistyped, an altered or another store's share; no share is left in the database file or the log. An
// encrypted backup is restored (through the CLI) into a fresh folder after the original is wiped: the same operators
// sign in, data encrypted before the backup decrypts, the audit chain verifies; an altered or cut file, a wrong
// passphrase and a non-empty target are refused and leave nothing behind.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { decodeShare, encodeShare } from '../../electron/services/recovery/shareCodec.ts';
import { CTX, FAST_KDF, open, PASSPHRASE, removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { cliInProcess, cliEnv } from './support/cliProcess.ts';
import { contractCaller, failure } from './support/consoleCalls.ts';

const CUSTODIANS = ['Ann Archer', 'Ben Bose', 'Cy Chen', 'Dee Diaz', 'Eve Ekberg'];
const BOB_PASS = 'bob has his own passphrase';
const RESCUE_PASS = 'the rescuer chose this one';
const BACKUP_PASS = 'custodians keep this backup phrase';

/** Which shares (1-based) each ceremony is given, and whether it recovers: any 3 of the 5 do, 2 do not. */
const SUBSETS: Array<{ shares: number[]; recovers: boolean }> = [
  { shares: [1, 2, 3], recovers: true },
  { shares: [1, 2, 4], recovers: true },
  { shares: [1, 2, 5], recovers: true },
  { shares: [1, 3, 4], recovers: true },
  { shares: [1, 3, 5], recovers: true },
  { shares: [1, 4, 5], recovers: true },
  { shares: [2, 3, 4], recovers: true },
  { shares: [2, 3, 5], recovers: true },
  { shares: [2, 4, 5], recovers: true },
  { shares: [3, 4, 5], recovers: true },
  { shares: [5, 3, 1], recovers: true },
  { shares: [1, 2, 3, 4], recovers: true },
  { shares: [1, 2, 3, 4, 5], recovers: true },
  { shares: [1, 2], recovers: false },
  { shares: [4, 5], recovers: false },
];

let c: FleetConsole;
const dir = tempDir('ecps-recovery-');
const logger = createMemoryLogger();
const call = contractCaller(() => c);
let shares: string[] = [];
let keyId = '';
let ciphertext: Uint8Array;
const plaintext = Buffer.from('telemetry recorded before any backup');

const lockIfUnlocked = async () => {
  if ((await call('session:status', {})).state === 'unlocked') await call('session:lock', {});
};
const pick = (indexes: number[]) => indexes.map((i) => shares[i - 1]!);
/** One changed hex digit of the share part (the checksum then no longer matches). */
const mistype = (share: string) => {
  const parts = share.split(':');
  const hex = parts[6]!;
  parts[6] = (hex[0] === 'a' ? 'b' : 'a') + hex.slice(1);
  return parts.join(':');
};

beforeAll(async () => {
  c = await open(dir, { logger, rotation: { scheduler: false } });
  await call('session:init', { operator: 'alice', passphrase: PASSPHRASE });
  await call('operators:add', { name: 'bob', role: 'key_custodian', passphrase: BOB_PASS });
  keyId = (await call('keys:create', { type: 'storage', label: 'archive' })).id;
  ciphertext = (await call('keys:encrypt', { keyId, plaintext })).ciphertext;
});

afterAll(() => {
  c.close();
  removeTempDirs();
});

describe('recovery shares of the master key', () => {
  it('an admin makes a 3-of-5 set: each share once, named, audited; only metadata is kept', async () => {
    const made = await call('recovery:createShares', { threshold: 3, custodians: CUSTODIANS });
    expect(made).toMatchObject({ threshold: 3, count: 5, createdBy: 'alice' });
    expect(made.shares.map((s) => [s.index, s.custodian])).toEqual(CUSTODIANS.map((n, i) => [i + 1, n]));
    shares = made.shares.map((s) => s.share);
    const storeId = (await call('keys:get', { keyId })).id && c.audit.query({ action: 'store.init', limit: 1 }).records[0]!.targetId;
    for (const [i, s] of shares.entries()) {
      expect(decodeShare(s, 1)).toMatchObject({ storeId, setId: made.setId, threshold: 3, count: 5, index: i + 1, custodian: CUSTODIANS[i] });
    }
    expect(new Set(shares).size).toBe(5);
    const status = await call('recovery:status', {});
    expect(status.sets).toEqual([{ setId: made.setId, threshold: 3, count: 5, custodians: CUSTODIANS.map((custodian, i) => ({ index: i + 1, custodian })), createdAt: made.createdAt, createdBy: 'alice' }]);
    expect(JSON.stringify(status)).not.toContain(shares[0]!.split(':')[6]);
    const record = c.audit.query({ action: 'recovery.create_shares', limit: 1 }).records[0]!;
    expect(record).toMatchObject({ actor: 'alice', outcome: 'success', details: { threshold: 3, count: 5, setId: made.setId, custodians: CUSTODIANS.join(', ') } });
  });

  it('a key custodian may not make shares (admin only)', async () => {
    await lockIfUnlocked();
    await call('session:unlock', { operator: 'bob', passphrase: BOB_PASS });
    expect(await failure(call('recovery:createShares', { threshold: 2, custodians: ['X Y', 'Z W'] }))).toMatchObject({ code: 'forbidden' });
  });

  it('no share is in the database file, its WAL or the log after creation', async () => {
    c.close();
    const bytes = Buffer.concat(['console.db', 'console.db-wal'].map((f) => path.join(dir, f)).filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)));
    const logged = JSON.stringify(logger.entries);
    for (const s of shares) {
      const raw = Buffer.from(s.split(':')[6]!, 'hex');
      expect(bytes.includes(raw), 'share bytes in the db').toBe(false);
      expect(bytes.includes(Buffer.from(s.split(':')[6]!, 'utf8')), 'share hex in the db').toBe(false);
      expect(logged).not.toContain(s.split(':')[6]);
    }
    c = await open(dir, { logger, rotation: { scheduler: false } });
  });

  for (const { shares: subset, recovers } of SUBSETS) {
    it(`shares ${subset.join(', ')}: ${recovers ? 'recover the master key' : 'refused (too few)'}`, async () => {
      await lockIfUnlocked();
      const attempt = call('recovery:recover', { shares: pick(subset), operator: 'rescuer', passphrase: RESCUE_PASS });
      if (!recovers) {
        expect(await failure(attempt)).toMatchObject({ code: 'invalid_input', details: { reason: 'too_few_shares', needed: 3, given: subset.length } });
        expect((await call('session:status', {})).state).toBe('locked');
        return;
      }
      expect(await attempt).toMatchObject({ operator: 'rescuer', role: 'admin' });
      expect(await call('session:status', {})).toMatchObject({ state: 'unlocked', operator: 'rescuer', role: 'admin' });
      // The recovered key is the store's: data encrypted before decrypts.
      expect(Buffer.from((await call('keys:decrypt', { ciphertext })).plaintext)).toEqual(plaintext);
      // The new slot opens with the new passphrase.
      await call('session:lock', {});
      await call('session:unlock', { operator: 'rescuer', passphrase: RESCUE_PASS });
    });
  }

  it('the first ceremony created the operator, the later ones replaced their slot; each audited with the set', async () => {
    const records = c.audit.query({ action: 'recovery.recover', limit: 100 }).records.reverse();
    const ok = records.filter((r) => r.outcome === 'success');
    expect(ok).toHaveLength(SUBSETS.filter((s) => s.recovers).length);
    expect(ok.map((r) => r.details.created)).toEqual([true, ...ok.slice(1).map(() => false)]);
    expect(records.filter((r) => r.outcome === 'failure').map((r) => r.details.reason)).toEqual(SUBSETS.filter((s) => !s.recovers).map(() => 'too_few_shares'));
  });

  it('an existing non-admin operator recovered under their own name becomes admin with the new passphrase', async () => {
    await lockIfUnlocked();
    // Named in other letter case: still that operator (names are unique ignoring case).
    expect(await call('recovery:recover', { shares: pick([2, 4, 5]), operator: 'BOB', passphrase: RESCUE_PASS })).toMatchObject({ operator: 'bob', created: false, role: 'admin' });
    expect((await call('operators:list', {})).operators.map((o) => o.name)).toEqual(['alice', 'bob', 'rescuer']);
    await call('session:lock', {});
    expect(await failure(call('session:unlock', { operator: 'bob', passphrase: BOB_PASS }))).toMatchObject({ code: 'wrong_passphrase' });
    expect(await call('session:unlock', { operator: 'bob', passphrase: RESCUE_PASS })).toMatchObject({ role: 'admin' });
  });

  it('refuses a duplicate, a mistyped, an altered and another store\'s share, each with its reason', async () => {
    const other = await open(tempDir('ecps-recovery-other-'), { rotation: { scheduler: false } });
    await other.handlers['session:init']({ operator: 'olga', passphrase: PASSPHRASE }, CTX);
    const foreign = (await other.handlers['recovery:createShares']({ threshold: 3, custodians: CUSTODIANS }, CTX)).shares.map((s) => s.share);
    other.close();
    await lockIfUnlocked();
    const real = decodeShare(shares[2]!, 3);
    const bytes = Buffer.from(real.bytes);
    bytes[0] = bytes[0]! ^ 1;
    // A forger who recomputes the checksum: the commitment stored for share 3 refuses it.
    const altered = encodeShare({ ...real, bytes });
    const cases: Array<[string, string[], string]> = [
      ['a share given twice', pick([1, 1, 2]), 'share_duplicate'],
      ['a mistyped share', [shares[0]!, mistype(shares[1]!), shares[2]!], 'share_checksum'],
      ['an altered share with a good checksum', [shares[0]!, shares[1]!, altered], 'share_altered'],
      ['a share of another store', [shares[0]!, shares[1]!, foreign[2]!], 'share_foreign_store'],
      ['every share of another store', foreign.slice(0, 3), 'share_foreign_store'],
      ['not a share', ['hello', shares[0]!, shares[1]!], 'share_malformed'],
    ];
    for (const [what, given, reason] of cases) {
      expect(await failure(call('recovery:recover', { shares: given, operator: 'rescuer', passphrase: RESCUE_PASS })), what).toMatchObject({ code: 'invalid_input', details: { reason } });
    }
    expect((await call('session:status', {})).state).toBe('locked');
    const failed = c.audit.query({ action: 'recovery.recover', limit: 6 }).records.reverse();
    expect(failed.map((r) => r.details.reason)).toEqual(cases.map(([, , reason]) => reason));
  });

  it('shares of an unknown set (no commitments here) that rebuild another key: refused by the store\'s own check', async () => {
    await lockIfUnlocked();
    // Well-formed, this store's id, a set this store never made (as after restoring a backup older than the set):
    // only the rebuilt key's check against the store can tell.
    const forged = [1, 2, 3].map((i) => {
      const d = decodeShare(shares[i - 1]!, i);
      const bytes = Buffer.from(d.bytes);
      if (i === 1) bytes[5] = bytes[5]! ^ 0xff;
      return encodeShare({ ...d, setId: 'feedfacefeedface', bytes });
    });
    expect(await failure(call('recovery:recover', { shares: forged, operator: 'rescuer', passphrase: RESCUE_PASS }))).toMatchObject({ code: 'integrity_failure', details: { reason: 'master_mismatch' } });
    expect((await call('session:status', {})).state).toBe('locked');
    expect(c.audit.query({ action: 'recovery.recover', limit: 1 }).records[0]).toMatchObject({ outcome: 'failure', details: { code: 'integrity_failure' } });
  });

  it('refuses while an operator is signed in, and a weak new passphrase', async () => {
    await call('session:unlock', { operator: 'alice', passphrase: PASSPHRASE });
    expect(await failure(call('recovery:recover', { shares: pick([1, 2, 3]), operator: 'rescuer', passphrase: RESCUE_PASS }))).toMatchObject({ code: 'illegal_transition' });
    await call('session:lock', {});
    expect(await failure(call('recovery:recover', { shares: pick([1, 2, 3]), operator: 'rescuer', passphrase: 'short' }))).toMatchObject({ code: 'weak_passphrase' });
  });
});

/** The backups: one under the passphrase only, one whose key is also split 2 of 3 (its shares in backupShares). */
const backupWork = tempDir('ecps-backup-');
const backupFile = path.join(backupWork, 'store.ecpsbak');
const sharedFile = path.join(backupWork, 'shared.ecpsbak');
let backupShares: string[] = [];

describe('encrypted backup of the whole store', () => {
  const work = backupWork;
  const restored = path.join(work, 'restored');
  const cli = (args: string[], env: Record<string, string> = {}) => cliInProcess(args, { env: cliEnv({ ECPS_BACKUP_PASSPHRASE: BACKUP_PASS, ...env }) });
  /** Nothing but what the test made is left in the work folder (no half-restored store, no temp folder). */
  const leftovers = (expected: string[]) => expect(fs.readdirSync(work).sort()).toEqual(expected.sort());

  it('an admin writes it (0600, complete); a weak passphrase, a relative or existing path are refused', async () => {
    await lockIfUnlocked();
    await call('session:unlock', { operator: 'alice', passphrase: PASSPHRASE });
    expect(await failure(call('backup:create', { path: backupFile, passphrase: 'short' }))).toMatchObject({ code: 'weak_passphrase' });
    expect(await failure(call('backup:create', { path: 'relative.ecpsbak', passphrase: BACKUP_PASS }))).toMatchObject({ code: 'invalid_input', details: { field: 'path' } });
    const made = await call('backup:create', { path: backupFile, passphrase: BACKUP_PASS });
    expect(made).toMatchObject({ path: backupFile, bytes: fs.statSync(backupFile).size });
    expect(fs.statSync(backupFile).mode & 0o777).toBe(0o600);
    expect(await failure(call('backup:create', { path: backupFile, passphrase: BACKUP_PASS }))).toMatchObject({ code: 'invalid_input' });
    expect(c.audit.query({ action: 'backup.create', limit: 5 }).records.map((r) => r.outcome).reverse()).toEqual(['failure', 'failure', 'success', 'failure']);
    const shared = await call('backup:create', { path: sharedFile, passphrase: BACKUP_PASS, shares: { threshold: 2, custodians: ['Ann Archer', 'Ben Bose', 'Cy Chen'] } });
    backupShares = shared.shares!.map((s) => s.share);
    expect(shared.shares!.map((s) => s.custodian)).toEqual(['Ann Archer', 'Ben Bose', 'Cy Chen']);
    expect(fs.readFileSync(sharedFile).includes(Buffer.from(backupShares[0]!.split(':')[6]!, 'hex'))).toBe(false);
    // The plaintext copy made for it is gone from the data folder.
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('.backup-'))).toEqual([]);
    leftovers(['store.ecpsbak', 'shared.ecpsbak']);
    // The store's own bytes are not in the file in the clear.
    c.close();
    const storeHead = fs.readFileSync(path.join(dir, 'console.db')).subarray(0, 16);
    expect(fs.readFileSync(backupFile).includes(storeHead)).toBe(false);
  });

  it('refuses a wrong passphrase, an altered byte, a cut file and a non-empty target, leaving nothing', async () => {
    const bytes = fs.readFileSync(backupFile);
    const variant = (name: string, data: Buffer) => {
      const f = path.join(work, name);
      fs.writeFileSync(f, data);
      return f;
    };
    const flipped = Buffer.from(bytes);
    const mid = Math.floor(bytes.length / 2);
    flipped[mid] = flipped[mid]! ^ 0x01;
    const headerFlipped = Buffer.from(bytes);
    const inHeader = bytes.indexOf(Buffer.from('"createdBy":"')) + 13;
    headerFlipped[inHeader] = headerFlipped[inHeader]! ^ 0x01;
    const cases: Array<[string, string, Record<string, string>, string]> = [
      ['wrong passphrase', backupFile, { ECPS_BACKUP_PASSPHRASE: 'not the backup phrase' }, 'wrong_passphrase'],
      ['a byte altered in the data', variant('flipped.ecpsbak', flipped), {}, 'ciphertext_tampered'],
      ['a byte altered in the header', variant('header.ecpsbak', headerFlipped), {}, 'ciphertext_tampered'],
      ['cut short', variant('cut.ecpsbak', bytes.subarray(0, bytes.length - 100)), {}, 'ciphertext_malformed'],
      ['not a backup', variant('foreign.ecpsbak', Buffer.from('SQLite format 3\0 and so on')), {}, 'ciphertext_foreign'],
    ];
    for (const [what, from, env, code] of cases) {
      const r = await cli(['restore', '--from', from, '--data-dir', restored], env);
      expect(r.code, what).toBe(1);
      expect(r.stderr, what).toContain(`error [${code}]`);
      expect(fs.existsSync(restored), what).toBe(false);
    }
    fs.mkdirSync(restored);
    fs.writeFileSync(path.join(restored, 'notes.txt'), 'keep me');
    const r = await cli(['restore', '--from', backupFile, '--data-dir', restored]);
    expect(r.stderr).toContain('error [invalid_input]');
    expect(fs.readdirSync(restored)).toEqual(['notes.txt']);
    fs.rmSync(restored, { recursive: true });
    leftovers(['store.ecpsbak', 'shared.ecpsbak', 'flipped.ecpsbak', 'header.ecpsbak', 'cut.ecpsbak', 'foreign.ecpsbak']);
  });

  it('wipe the store, restore into a fresh folder: same operators, old data decrypts, audit chain verifies', async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    const r = await cli(['restore', '--from', backupFile, '--data-dir', restored, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(fs.readdirSync(restored)).toEqual(['console.db']);
    c = await open(restored, { rotation: { scheduler: false } });
    expect(await failure(call('session:unlock', { operator: 'alice', passphrase: 'not alice passphrase' }))).toMatchObject({ code: 'wrong_passphrase' });
    await call('session:unlock', { operator: 'alice', passphrase: PASSPHRASE });
    expect(Buffer.from((await call('keys:decrypt', { ciphertext })).plaintext)).toEqual(plaintext);
    const verified = await call('audit:verify', {});
    expect(verified).toMatchObject({ ok: true, firstBad: null });
    expect(verified.checkedRecords).toBeGreaterThan(10);
    // Records from before the backup are there (the share set made earlier, too).
    expect(c.audit.query({ action: 'recovery.create_shares', limit: 5 }).records.filter((r) => r.outcome === 'success')).toHaveLength(1);
    await call('session:lock', {});
    // bob's slot is as it was at the backup (recovered with RESCUE_PASS before it).
    await call('session:unlock', { operator: 'bob', passphrase: RESCUE_PASS });
    await call('session:lock', {});
    // The shares made before the backup still open the restored store (same master key).
    expect(await call('recovery:recover', { shares: pick([1, 3, 5]), operator: 'carol', passphrase: RESCUE_PASS })).toMatchObject({ created: true });
  });
});

/** What the CLI says for each refusal (its details.reason is not printed). */
const SAYS: Record<string, string> = {
  too_few_shares: '1 share(s) given; this set needs 2 of 3',
  share_other_backup: 'These shares are of another backup',
  backup_key_mismatch: 'rebuild a key that does not open this backup',
  backup_without_shares: 'was not split into shares',
};

describe('a backup whose key is also in shares', () => {
  const work = tempDir('ecps-backup-shares-');
  const sharesFile = path.join(work, 'shares.txt');
  const restoreWith = async (lines: string[], into: string, file: string) => {
    fs.writeFileSync(sharesFile, lines.join('\n'));
    return cliInProcess(['restore', '--from', file, '--data-dir', into, '--shares', sharesFile], { env: cliEnv() });
  };

  it('k of its shares restore it (no passphrase); too few, another set, an altered share and a backup without shares are refused', async () => {
    const shared = sharedFile;
    const plain = backupFile;
    const b = (i: number) => backupShares[i - 1]!;
    const real = decodeShare(b(2), 2);
    const bytes = Buffer.from(real.bytes);
    bytes[3] = bytes[3]! ^ 0x10;
    const cases: Array<[string, string[], string, string]> = [
      ['one share', [b(1)], shared, 'too_few_shares'],
      ['master-key shares', pick([1, 2, 3]), shared, 'share_other_backup'],
      ['an altered share, checksum recomputed', [b(1), encodeShare({ ...real, bytes })], shared, 'backup_key_mismatch'],
      ['a backup made without shares', [b(1), b(2)], plain, 'backup_without_shares'],
    ];
    for (const [what, lines, file, reason] of cases) {
      const into = path.join(work, 'refused');
      const r = await restoreWith(lines, into, file);
      expect(r.code, what).toBe(1);
      expect(r.stderr, what).toContain(reason === 'backup_key_mismatch' ? 'error [integrity_failure]' : 'error [invalid_input]');
      expect(r.stderr, what).toContain(SAYS[reason]);
      expect(fs.existsSync(into), what).toBe(false);
    }
    const into = path.join(work, 'restored');
    const r = await restoreWith([b(3), b(1)], into, shared);
    expect(r.stderr).toBe('');
    c = await open(into, { rotation: { scheduler: false } });
    await call('session:unlock', { operator: 'alice', passphrase: PASSPHRASE });
    expect(Buffer.from((await call('keys:decrypt', { ciphertext })).plaintext)).toEqual(plaintext);
    expect((await call('audit:verify', {})).ok).toBe(true);
    c.close();
  });
});

describe('through the CLI', () => {
  const work = tempDir('ecps-recovery-cli-');
  const store = path.join(work, 'store');
  const cli = (args: string[], env: Record<string, string> = {}) =>
    cliInProcess(['--data-dir', store, ...args], { env: cliEnv({ ECPS_PASSPHRASE: PASSPHRASE, ECPS_BACKUP_PASSPHRASE: BACKUP_PASS, ...env }) });

  beforeAll(async () => {
    const setup = await open(store, { kdf: FAST_KDF });
    await setup.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    setup.close();
  });

  it('recovery shares writes one 0600 file per custodian; recovery recover reads k of them; backup writes a file', async () => {
    const outDir = path.join(work, 'shares');
    fs.mkdirSync(outDir);
    const made = await cli(['recovery', 'shares', '--k', '2', '--custodian', 'Ann', '--custodian', 'Ben', '--custodian', 'Cy', '--out-dir', outDir, '--json']);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const files = (JSON.parse(made.stdout) as { shares: Array<{ file: string }> }).shares.map((s) => s.file);
    expect(files.map((f) => path.basename(f))).toEqual(['share-1-Ann.txt', 'share-2-Ben.txt', 'share-3-Cy.txt']);
    for (const f of files) expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    expect(made.stdout).not.toContain('ecps-share1');

    const given = path.join(work, 'given.txt');
    fs.writeFileSync(given, `# the ceremony\n${fs.readFileSync(files[2]!, 'utf8')}\n${fs.readFileSync(files[0]!, 'utf8')}`);
    const rec = await cli(['recovery', 'recover', '--shares', given], { ECPS_OPERATOR: 'dora', ECPS_PASSPHRASE: RESCUE_PASS });
    expect(rec.stderr).toBe('');
    expect(rec.stdout).toContain('dora is a new admin');
    expect((await cli(['unlock'], { ECPS_OPERATOR: 'dora', ECPS_PASSPHRASE: RESCUE_PASS })).code).toBe(0);

    fs.writeFileSync(given, fs.readFileSync(files[1]!, 'utf8'));
    const few = await cli(['recovery', 'recover', '--shares', given], { ECPS_OPERATOR: 'dora', ECPS_PASSPHRASE: RESCUE_PASS });
    expect(few.code).toBe(1);
    expect(few.stderr).toContain('error [invalid_input]');

    const out = path.join(work, 'cli.ecpsbak');
    const b = await cli(['backup', '--out', out]);
    expect(b.stderr).toBe('');
    expect(b.code).toBe(0);
    expect(fs.existsSync(out)).toBe(true);
    const r = await cli(['restore', '--from', out, '--data-dir', path.join(work, 'again')]);
    expect(r.code).toBe(0);
  });
});
