// The commands runCli (electron/ipc/cli/runCli.ts) handles itself, in this process, against docs/cli.md,
// docs/field-link.md and docs/recovery-and-backup.md: `field` (its usage mistakes exit 2 before any store opens; it
// serves until stopped, on the stored address without --listen; only a role allowed to start it), `scheduler`,
// `restore` (no console, the backup passphrase from its own variable), and the offline `approvals keygen` (no store,
// the approver key's own passphrase variable). Real stores in temp folders; every expected text is written out here.
// Every test opens its own console (never in a beforeAll hook: vitest.mutate.config.ts).
import crypto from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditRows, BOB_PASS, cli, cliEnv as env, cliFolder, escapeRegExp, freePort, listening, PASS, seededStore, TEST_CTX, withConsole } from './cli-run-testkit.ts';

const BACKUP_PASS = 'Backup-Passphrase of the custodians';
const USAGE_TAIL = '\nRun "ecps-console help" for the list of commands.\n';
const DAY = 86_400_000;
const { fresh } = cliFolder('ecps-cli-entry-');
const seeded = (o: { ca?: boolean } = {}) => seededStore(fresh(), o);

describe('field: usage mistakes exit 2 before any store is opened (docs/cli.md)', () => {
  // [argv after "field", what the usage line must name]
  const TABLE: Array<[string[], RegExp]> = [
    [['--at-unlock'], /^usage error: field: --at-unlock and --certificate-days go with --listen HOST:PORT$/],
    [['--certificate-days', '5'], /^usage error: field: --at-unlock and --certificate-days go with --listen HOST:PORT$/],
    [['--listen', '127.0.0.1:0', '--at-unlock'], /^usage error: field: --at-unlock needs a fixed port/],
    [['--listen', '127.0.0.1'], /^usage error: field: --listen must be HOST:PORT/],
    [['--listen', 'host:70000'], /^usage error: field: --listen must be HOST:PORT/],
  ];
  it.each(TABLE)('field %j', async (args, line) => {
    const dir = fresh();
    const r = await cli(['field', ...args, '--data-dir', dir], { untilStopped: async () => 'never' });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.endsWith(USAGE_TAIL)).toBe(true);
    expect(r.stderr.slice(0, -USAGE_TAIL.length)).toMatch(line);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('field: the headless field link (docs/field-link.md)', () => {
  it('--listen serves until stopped, prints the address and the server certificate, then says why it stops', async () => {
    const dir = await seeded({ ca: true });
    let whileServing = '';
    const r = await cli(['field', '--listen', '127.0.0.1:0', '--certificate-days', '3', '--data-dir', dir], {
      untilStopped: async (out) => {
        whileServing = out();
        return 'test stop';
      },
    });
    expect([r.code, r.stderr]).toEqual([0, 'test stop: stopping the field link and closing the key store\n']);
    expect(r.stdout).toBe(whileServing); // printed before it waits, nothing after
    const m = /^field link listening on 127\.0\.0\.1:(\d+) \(server certificate ([0-9A-Fa-f]+), valid until (\S+)\)\n$/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    // --certificate-days 3: the certificate ends about three days from now (not the default)
    const left = Date.parse(m![3]!) - Date.now();
    expect(left).toBeGreaterThan(2 * DAY);
    expect(left).toBeLessThanOrEqual(3 * DAY + 60_000);
  });

  it('--json prints host, port and certificate as one JSON line', async () => {
    const dir = await seeded({ ca: true });
    const r = await cli(['field', '--listen', '127.0.0.1:0', '--json', '--data-dir', dir], { untilStopped: async () => 'test stop' });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toHaveLength(2);
    const value = JSON.parse(lines[0]!) as { host: string; port: number; certificate: { serial: string; notAfter: string } };
    expect(Object.keys(value).sort()).toEqual(['certificate', 'host', 'port']);
    expect(value.host).toBe('127.0.0.1');
    expect(value.port).toBeGreaterThan(0);
    expect(value.certificate.serial).toMatch(/^[0-9A-Fa-f]+$/);
  });

  it('without --listen: refused while no address is stored; --at-unlock stores one and `field` alone serves on it', async () => {
    const dir = await seeded({ ca: true });
    const none = await cli(['field', '--data-dir', dir], { untilStopped: async () => 'test stop' });
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^error \[invalid_input\]: No field link address is stored: give --listen HOST:PORT/);

    const port = await freePort();
    const stored = await cli(['field', '--listen', `127.0.0.1:${port}`, '--at-unlock', '--certificate-days', '4', '--data-dir', dir], { untilStopped: async () => 'test stop' });
    expect([stored.code, stored.stdout.startsWith(`field link listening on 127.0.0.1:${port} `)]).toEqual([0, true]);

    const again = await cli(['field', '--data-dir', dir], { untilStopped: async () => 'test stop' });
    expect(again.code).toBe(0);
    const m = /^field link listening on 127\.0\.0\.1:(\d+) \(server certificate \S+, valid until (\S+)\)\n$/.exec(again.stdout);
    expect(Number(m?.[1])).toBe(port);
    // the stored certificate lifetime came with the address
    const left = Date.parse(m![2]!) - Date.now();
    expect(left).toBeGreaterThan(3 * DAY);
    expect(left).toBeLessThanOrEqual(4 * DAY + 60_000);
  });

  it('--listen without --at-unlock stores nothing', async () => {
    const dir = await seeded({ ca: true });
    expect((await cli(['field', '--listen', '127.0.0.1:0', '--data-dir', dir], { untilStopped: async () => 'test stop' })).code).toBe(0);
    const r = await cli(['field', '--data-dir', dir], { untilStopped: async () => 'test stop' });
    expect(r.stderr).toMatch(/^error \[invalid_input\]: No field link address is stored/);
  });

  it('the stored address starts with the headless scheduler, never with a one-shot command (docs/field-link.md)', async () => {
    const dir = await seeded({ ca: true });
    const port = await freePort();
    const starts = () => auditRows(dir).filter((r) => r.action === 'field.start' && r.outcome === 'success').length;
    expect((await cli(['field', '--listen', `127.0.0.1:${port}`, '--at-unlock', '--data-dir', dir], { untilStopped: async () => 'test stop' })).code).toBe(0);
    expect(starts()).toBe(1);
    const before = auditRows(dir).length;
    expect((await cli(['keys', 'list', '--data-dir', dir])).code).toBe(0);
    // the one-shot command signed in and out, and started nothing (no field link, no server certificate issued for it)
    expect(auditRows(dir).slice(before).map((r) => r.action)).toEqual(['session.unlock', 'session.lock']);
    const r = await cli(['scheduler', '--data-dir', dir], { untilStopped: async () => (await listening(port), 'test stop') });
    expect(r.code).toBe(0);
    expect(starts()).toBe(2);
  });

  it('a viewer may not start it (forbidden, exit 1, nothing listens)', async () => {
    const dir = await seeded({ ca: true });
    let waited = false;
    const r = await cli(['field', '--listen', '127.0.0.1:0', '--data-dir', dir], {
      env: env({ ECPS_OPERATOR: 'bob', ECPS_PASSPHRASE: BOB_PASS }),
      untilStopped: async () => ((waited = true), 'test stop'),
    });
    expect([r.code, r.stdout, waited]).toEqual([1, '', false]);
    expect(r.stderr).toMatch(/^error \[forbidden\]/);
  });

  it('needs a way to be stopped', async () => {
    const dir = await seeded({ ca: true });
    const r = await cli(['field', '--listen', '127.0.0.1:0', '--data-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('field needs untilStopped');
  });
});

describe('scheduler: the headless rotation scheduler', () => {
  it('signs in, runs a pass, prints what it did, and stops when told', async () => {
    const dir = await seeded();
    const r = await cli(['scheduler', '--data-dir', dir], { untilStopped: async () => 'test stop' });
    expect(r).toEqual({ code: 0, stdout: 'scheduler running: 0 rotation(s) run now, 0 waiting, next due none\n', stderr: 'test stop: stopping the scheduler and closing the key store\n' });
  });

  it('a paused scheduler says so', async () => {
    const dir = await seeded();
    await withConsole(dir, (c) => c.handlers['rotation:pause']({}, TEST_CTX));
    const r = await cli(['scheduler', '--data-dir', dir], { untilStopped: async () => 'test stop' });
    expect([r.code, r.stdout]).toEqual([0, 'scheduler running: 0 rotation(s) run now, 0 waiting, next due none (paused)\n']);
  });

  it('a viewer may not run rotations (forbidden, exit 1) and it never waits', async () => {
    const dir = await seeded();
    let waited = false;
    const r = await cli(['scheduler', '--data-dir', dir], {
      env: env({ ECPS_OPERATOR: 'bob', ECPS_PASSPHRASE: BOB_PASS }),
      untilStopped: async () => ((waited = true), 'test stop'),
    });
    expect([r.code, r.stdout, waited]).toEqual([1, '', false]);
    expect(r.stderr).toMatch(/^error \[forbidden\]/);
  });

  it('a wrong passphrase is refused before any pass', async () => {
    const dir = await seeded();
    const r = await cli(['scheduler', '--data-dir', dir], { env: env({ ECPS_PASSPHRASE: 'not the passphrase at all' }), untilStopped: async () => 'test stop' });
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toMatch(/^error \[wrong_passphrase\]/);
  });

  it('needs a way to be stopped', async () => {
    const dir = await seeded();
    const r = await cli(['scheduler', '--data-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('scheduler needs untilStopped');
  });
});

describe('restore: no console, the backup passphrase (docs/recovery-and-backup.md)', () => {
  async function backedUp(): Promise<{ dir: string; file: string }> {
    const dir = await seeded();
    const file = fresh('backup');
    const b = await cli(['backup', '--out', file, '--data-dir', dir], { env: env({ ECPS_BACKUP_PASSPHRASE: BACKUP_PASS }) });
    expect([b.code, b.stderr]).toEqual([0, '']);
    return { dir, file };
  }

  it('restores into a new folder with ECPS_BACKUP_PASSPHRASE (not ECPS_PASSPHRASE), and the operators sign in there as before', async () => {
    const { file } = await backedUp();
    const target = fresh();
    // ECPS_PASSPHRASE is alice's; only the backup passphrase opens the file
    const r = await cli(['restore', '--from', file, '--data-dir', target], { env: env({ ECPS_BACKUP_PASSPHRASE: BACKUP_PASS }) });
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(new RegExp(`^restored store \\S+ \\(backup of \\S+, \\d+ bytes\\) into ${escapeRegExp(target)}; sign in there as before\\n$`));
    const list = await cli(['operators', 'list', '--json', '--data-dir', target]);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { operators: Array<{ name: string }> }).operators.map((o) => o.name).sort()).toEqual(['alice', 'bob']);
  });

  it('--json prints the restore result', async () => {
    const { file } = await backedUp();
    const target = fresh();
    const r = await cli(['restore', '--from', file, '--data-dir', target, '--json'], { env: env({ ECPS_BACKUP_PASSPHRASE: BACKUP_PASS }) });
    expect(r.code).toBe(0);
    const value = JSON.parse(r.stdout) as { dataDir: string; storeId: string; storeBytes: number };
    expect(value.dataDir).toBe(target);
    expect(value.storeBytes).toBeGreaterThan(0);
  });

  it('the operator passphrase does not open a backup: wrong_passphrase, exit 1, nothing restored', async () => {
    const { file } = await backedUp();
    const target = fresh();
    const r = await cli(['restore', '--from', file, '--data-dir', target], { env: env({ ECPS_BACKUP_PASSPHRASE: PASS }) });
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toMatch(/^error \[wrong_passphrase\]/);
    expect(existsSync(join(target, 'console.db'))).toBe(false);
  });

  it('--shares FILE: k shares of the backup key restore it without the passphrase', async () => {
    const dir = await seeded();
    const file = fresh('backup');
    const b = await cli(['backup', '--out', file, '--k', '2', '--custodian', 'Ann', '--custodian', 'Ben', '--json', '--data-dir', dir], { env: env({ ECPS_BACKUP_PASSPHRASE: BACKUP_PASS }) });
    expect(b.code).toBe(0);
    const shares = (JSON.parse(b.stdout) as { shares: Array<{ share: string }> }).shares.map((s) => s.share);
    const sharesFile = fresh('shares');
    writeFileSync(sharesFile, `# two of them\n${shares[0]}\n\n${shares[1]}\n`);
    const target = fresh();
    const noPass = env();
    delete noPass.ECPS_PASSPHRASE;
    const r = await cli(['restore', '--from', file, '--data-dir', target, '--shares', sharesFile], { env: noPass });
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^restored store /);
  });
});

describe('approvals keygen: offline, no store, the approver key passphrase (docs/two-person-control.md)', () => {
  it('encrypts the private key under ECPS_APPROVAL_KEY_PASSPHRASE, not ECPS_PASSPHRASE, and opens no data folder', async () => {
    const dir = fresh();
    const out = fresh('approver');
    const keyPass = 'the approver key passphrase';
    const r = await cli(['approvals', 'keygen', '--out', out, '--data-dir', dir], { env: env({ ECPS_APPROVAL_KEY_PASSPHRASE: keyPass }) });
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain('-----BEGIN PUBLIC KEY-----');
    expect(r.stdout.endsWith('\n')).toBe(true);
    const pem = readFileSync(out, 'utf8');
    expect(crypto.createPrivateKey({ key: pem, passphrase: keyPass }).asymmetricKeyType).toBe('ed25519');
    expect(() => crypto.createPrivateKey({ key: pem, passphrase: PASS })).toThrow();
    expect(existsSync(dir)).toBe(false);
  });
});
