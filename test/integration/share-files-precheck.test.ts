// `recovery shares --out-dir` and `backup --out-dir` (docs/recovery-and-backup.md "Share files", docs/cli.md), through
// the real CLI (in process) on a real store: every file the command will write is checked before a share set is
// recorded, a backup made or a passphrase asked for (an existing share file without --force, a folder that takes no
// new file, a share file that is a folder, a missing folder), and a write that fails once the set or backup exists (a
// full disk, injected as test/unit/cli-file-crypto-rules.test.ts does; a share file that turns into a folder
// meanwhile) leaves no usable set recorded (voided, audited) or no backup, and no share bytes on disk.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../shared/contract.ts';
import type { OutputFs } from '../../electron/ipc/cli/fileCrypto.ts';
import { CTX, FAST_KDF, open, PASSPHRASE, removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { cliEnv, cliInProcess } from './support/cliProcess.ts';
import { contractCaller } from './support/consoleCalls.ts';

const BACKUP_PASS = 'custodians keep this backup phrase';
const CUSTODIANS = ['--custodian', 'Ann', '--custodian', 'Ben', '--custodian', 'Cy'];

const work = tempDir('ecps-share-files-');
const store = path.join(work, 'store');
const cli = (args: string[], outputFs?: Partial<OutputFs>) =>
  cliInProcess(['--data-dir', store, ...args], { env: cliEnv({ ECPS_PASSPHRASE: PASSPHRASE, ECPS_BACKUP_PASSPHRASE: BACKUP_PASS }), ...(outputFs ? { outputFs } : {}) });

/** What the store says: its share sets, and its recovery.* / backup.* audit records (action, outcome, details). */
async function storeState(): Promise<{ sets: string[]; audit: Array<Pick<AuditRecord, 'action' | 'outcome' | 'details'>> }> {
  const c = await open(store, { kdf: FAST_KDF });
  try {
    await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    const call = contractCaller(() => c);
    const sets = (await call('recovery:status', {})).sets.map((s) => s.setId);
    const records = [...(await call('audit:query', { actionPrefix: 'recovery.', limit: 1000 })).records, ...(await call('audit:query', { actionPrefix: 'backup.', limit: 1000 })).records];
    return { sets, audit: records.sort((a, b) => a.seq - b.seq).map(({ action, outcome, details }) => ({ action, outcome, details })) };
  } finally {
    c.close();
  }
}

let n = 0;
const folder = () => {
  const d = path.join(work, `out-${++n}`);
  fs.mkdirSync(d);
  return d;
};

/** Every file under `dir` with its bytes (temp files included: their names start with a dot). */
const contents = (dir: string) => Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.statSync(path.join(dir, f)).isDirectory() ? '<folder>' : fs.readFileSync(path.join(dir, f), 'utf8')]));

/**
 * writev that fails with ENOSPC from its `nth` call on (each share file is one call), as a full disk does; `seen`
 * gets what the folder held then.
 */
const diskFullFrom = (nth: number, dir: string, seen: string[][] = []): Partial<OutputFs> => {
  let calls = 0;
  return {
    writev: async (file, buffers, position) => {
      if (++calls >= nth) {
        seen.push(fs.readdirSync(dir));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      return file.writev(buffers, position);
    },
  };
};

beforeAll(async () => {
  const setup = await open(store, { kdf: FAST_KDF });
  await setup.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
  setup.close();
});

afterAll(() => removeTempDirs());

describe('recovery shares --out-dir: the files are checked before the set is made', () => {
  it('an existing share file (never replaced: the command takes no --force): refused naming it, before any set is recorded or audited; the file kept', async () => {
    const before = await storeState();
    const dir = folder();
    fs.writeFileSync(path.join(dir, 'share-2-Ben.txt'), 'a custodian kept this\n');
    const r = await cli(['recovery', 'shares', '--k', '2', ...CUSTODIANS, '--out-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error [invalid_input]: Output file ${path.join(dir, 'share-2-Ben.txt')} exists; it was not changed (use --force to replace it).`);
    expect(contents(dir)).toEqual({ 'share-2-Ben.txt': 'a custodian kept this\n' });
    expect(await storeState()).toEqual(before);
  });

  it('a folder that takes no new file, a share file that is a folder, a missing folder: refused first', async () => {
    const before = await storeState();
    // Root writes into a 0500 folder anyway, so as root a folder the kernel refuses files in (sysfs) stands in.
    const readOnly = process.getuid?.() === 0 ? '/sys' : folder();
    if (readOnly !== '/sys') fs.chmodSync(readOnly, 0o500);
    const listed = fs.readdirSync(readOnly);
    const ro = await cli(['recovery', 'shares', '--k', '2', ...CUSTODIANS, '--out-dir', readOnly]);
    if (readOnly !== '/sys') fs.chmodSync(readOnly, 0o700);
    expect(ro.code).toBe(1);
    expect(ro.stderr).toMatch(new RegExp(`^error \\[invalid_input\\]: Output file ${path.join(readOnly, 'share-1-Ann.txt')} cannot be written \\(E[A-Z]+\\): its folder does not take new files; nothing was changed\\.`));
    expect(fs.readdirSync(readOnly)).toEqual(listed);

    const dir = folder();
    fs.mkdirSync(path.join(dir, 'share-3-Cy.txt'));
    const r = await cli(['recovery', 'shares', '--k', '2', ...CUSTODIANS, '--out-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error [invalid_input]: Output file ${path.join(dir, 'share-3-Cy.txt')} is a folder; it was not changed (name a file).`);
    expect(contents(dir)).toEqual({ 'share-3-Cy.txt': '<folder>' });

    const missing = path.join(work, 'no-such-folder');
    const m = await cli(['recovery', 'shares', '--k', '2', ...CUSTODIANS, '--out-dir', missing]);
    expect(m.code).toBe(1);
    expect(m.stderr).toContain(`error [invalid_input]: Output file ${path.join(missing, 'share-1-Ann.txt')} cannot be written: the folder ${missing} does not exist`);
    expect(await storeState()).toEqual(before);
  });
});

describe('recovery shares --out-dir: the file names', () => {
  // docs/recovery-and-backup.md "Share files": share i goes to DIR/share-<i>-<custodian>.txt, anything but letters,
  // digits, `.`, `_`, `-` in the name becoming `_` (custodians are named like operators: letters, digits, space, . _ @ -).
  const NAMED: Array<[custodian: string, file: string]> = [
    ['Zoë Øster', 'share-1-Zoë_Øster.txt'],
    ['Bo 2', 'share-2-Bo_2.txt'],
    ['r.k_x-9@site one', 'share-3-r.k_x-9_site_one.txt'],
    ['日本 花子', 'share-4-日本_花子.txt'],
  ];

  it('each custodian\'s file is named from the index and the name with every other character as _; the output names the set and the files', async () => {
    const before = await storeState();
    const dir = folder();
    const r = await cli(['recovery', 'shares', '--k', '2', ...NAMED.flatMap(([c]) => ['--custodian', c]), '--out-dir', dir]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(fs.readdirSync(dir).sort()).toEqual(NAMED.map(([, f]) => f).sort());
    for (const [, f] of NAMED) expect(fs.readFileSync(path.join(dir, f), 'utf8')).toMatch(/^ecps-share\S+\n$/);
    const setId = (await storeState()).sets.find((id) => !before.sets.includes(id));
    expect(setId).toBeDefined();
    const lines = r.stdout.trimEnd().split('\n');
    // The heading names the set and its k of n; then one line per custodian naming only the file.
    expect(lines[0]).toMatch(new RegExp(`^share set ${setId}: 2 of 4 shares rebuild the master key`));
    expect(lines.slice(1)).toEqual(NAMED.map(([c, f], i) => `share ${i + 1} for ${c} -> ${path.join(dir, f)}`));
  });
});

describe('recovery shares --out-dir: a write that fails once the set exists', () => {
  /** The set the failed command made, from its audit: created, then voided; and the store no longer lists it. */
  async function expectVoided(before: Awaited<ReturnType<typeof storeState>>, file: string, code: string) {
    const after = await storeState();
    expect(after.sets).toEqual(before.sets);
    const added = after.audit.slice(before.audit.length);
    expect(added.map((a) => `${a.action} ${a.outcome}`)).toEqual(['recovery.create_shares success', 'recovery.void_shares success']);
    const setId = added[0]!.details.setId;
    expect(typeof setId).toBe('string');
    expect(added[1]!.details).toMatchObject({ setId, threshold: 2, count: 3, custodians: 'Ann, Ben, Cy', code, file, refusedBy: 'cli' });
    return setId as string;
  }

  it('a full disk at the second file: no share file nor temp file is left, the set is voided and audited', async () => {
    const before = await storeState();
    const dir = folder();
    const seen: string[][] = [];
    const r = await cli(['recovery', 'shares', '--k', '2', ...CUSTODIANS, '--out-dir', dir], diskFullFrom(2, dir, seen));
    expect(r.code).toBe(1);
    // When the second failed, the first was only in its temp file (the second's opened): none is placed before all are written.
    expect(seen).toHaveLength(1);
    expect(seen[0]!.map((f) => f.replace(/\.[0-9a-f]{12}\.partial$/, '.<random>.partial')).sort()).toEqual(['.share-1-Ann.txt.<random>.partial', '.share-2-Ben.txt.<random>.partial']);
    const file = path.join(dir, 'share-2-Ben.txt');
    const setId = await expectVoided(before, file, 'invalid_input');
    expect(r.stderr).toContain(`error [invalid_input]: Output file ${file} cannot be written (ENOSPC); no share file was left in ${dir}. Share set ${setId} was voided`);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('a share file that turns into a folder after two were moved into place: those two removed too, the set voided', async () => {
    const before = await storeState();
    const dir = folder();
    const third = path.join(dir, 'share-3-Cy.txt');
    // Writes as node:fs does, but a folder appears at the third file's name while the first is written.
    const appears: Partial<OutputFs> = {
      writev: async (file, buffers, position) => {
        if (!fs.existsSync(third)) fs.mkdirSync(third);
        return file.writev(buffers, position);
      },
    };
    const r = await cli(['recovery', 'shares', '--k', '2', ...CUSTODIANS, '--out-dir', dir], appears);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error [invalid_input]: Output file ${third} exists; it was not changed (use --force to replace it); no share file was left in ${dir}.`);
    await expectVoided(before, third, 'invalid_input');
    expect(contents(dir)).toEqual({ 'share-3-Cy.txt': '<folder>' });
  });
});

describe('backup --out-dir: the same', () => {
  it('an existing share file, or an existing backup file: refused before the backup is made or audited', async () => {
    const before = await storeState();
    const dir = folder();
    fs.writeFileSync(path.join(dir, 'share-1-Ann.txt'), 'kept\n');
    const out = path.join(work, 'refused.ecpsbak');
    const r = await cli(['backup', '--out', out, '--k', '2', ...CUSTODIANS, '--out-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error [invalid_input]: Output file ${path.join(dir, 'share-1-Ann.txt')} exists`);
    expect(fs.existsSync(out)).toBe(false);
    expect(contents(dir)).toEqual({ 'share-1-Ann.txt': 'kept\n' });

    fs.writeFileSync(out, 'an older backup');
    const e = await cli(['backup', '--out', out, '--k', '2', ...CUSTODIANS, '--out-dir', folder()]);
    expect(e.code).toBe(1);
    expect(e.stderr).toContain(`error [invalid_input]: Output file ${out} exists`);
    expect(fs.readFileSync(out, 'utf8')).toBe('an older backup');
    expect(await storeState()).toEqual(before);
  });

  it('a full disk at the third share file: the backup file removed, audited as a failure, no share bytes left', async () => {
    const before = await storeState();
    const dir = folder();
    const out = path.join(work, 'full.ecpsbak');
    const r = await cli(['backup', '--out', out, '--k', '2', ...CUSTODIANS, '--out-dir', dir], diskFullFrom(3, dir));
    expect(r.code).toBe(1);
    const file = path.join(dir, 'share-3-Cy.txt');
    expect(r.stderr).toContain(`error [invalid_input]: Output file ${file} cannot be written (ENOSPC); no share file was left in ${dir}. The backup ${out} was removed`);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(work).filter((f) => f.includes('full.ecpsbak'))).toEqual([]);
    expect(fs.readdirSync(dir)).toEqual([]);
    const added = (await storeState()).audit.slice(before.audit.length);
    expect(added.map((a) => `${a.action} ${a.outcome}`)).toEqual(['backup.create success', 'backup.create failure']);
    expect(added[1]!.details).toMatchObject({ reason: 'shares_not_written', code: 'invalid_input', file, refusedBy: 'cli' });
  });
});
