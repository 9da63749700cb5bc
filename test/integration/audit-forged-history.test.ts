// Issue 10 item 2: a history forged in console.db by someone without the passphrase (record edited, hashes recomputed,
// every checkpoint re-signed with the attacker's own Ed25519 key, one bit of the audit public key's MAC flipped) is
// never reported intact. The CLI's commands run in-process (runCli; the binary itself is proven in
// cli-process.slow.test.ts); the router is the one the window and the host use.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventName } from '../../shared/contract.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import { cliRunner } from './support/cliProcess.ts';
import { forgeAuditHistory } from './support/auditForgery.ts';
import { CTX, open, PASSPHRASE, removeTempDirs, tempDir, dbFile } from '../unit/store-testkit.ts';

const PASS = 'Forged-History correct horse';
/** What verify and export must say when the audit key failed its check (the words the issue asks for). */
const KEY_CHECK_FAILED = /audit key failed its check against the master key/;
const CANNOT_BE_TRUSTED = /cannot be trusted/;

describe('audit verify on a forged database, through the CLI', () => {
  const { dir, cli } = cliRunner('ecps-forged-cli-', PASS, 'in-process');
  const store = join(dir, 'store');
  beforeAll(async () => {
    expect((await cli(['init'])).code).toBe(0);
    for (const label of ['fleet link', 'vault a', 'vault b']) {
      expect((await cli(['keys', 'create', '--type', 'storage', '--label', label])).code).toBe(0);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports the untouched chain intact first (the control)', async () => {
    const r = await cli(['audit', 'verify']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^audit chain intact: \d+ records, [1-9]\d* checkpoints\n$/);
  });

  it('exits 1 with integrity_failure saying the audit key failed its check, and export says the same instead of locked', async () => {
    const forged = forgeAuditHistory(join(store, 'console.db'), { victimAction: 'key.create', newActor: 'mallory' });
    expect(forged.resigned).toBeGreaterThan(0);

    const v = await cli(['audit', 'verify']);
    expect(v.stdout).not.toContain('intact');
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/^error \[integrity_failure\]: /m);
    expect(v.stderr).toMatch(KEY_CHECK_FAILED);
    expect(v.stderr).toMatch(CANNOT_BE_TRUSTED);

    const e = await cli(['audit', 'export', '--out', join(dir, 'forged.jsonl')]);
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/^error \[integrity_failure\]: /m);
    expect(e.stderr).toMatch(KEY_CHECK_FAILED);
    expect(e.stderr).not.toContain('[locked]');
  });
});

describe('the same forgery with the MAC left intact', () => {
  const { dir, cli } = cliRunner('ecps-forged-mac-ok-', PASS, 'in-process');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fails verification at the first checkpoint: it is not signed by the trusted audit key', async () => {
    expect((await cli(['init'])).code).toBe(0);
    expect((await cli(['keys', 'create', '--type', 'storage', '--label', 'disk'])).code).toBe(0);
    forgeAuditHistory(join(dir, 'store', 'console.db'), { victimAction: 'key.create', newActor: 'mallory', flipMacBit: false });
    const v = await cli(['audit', 'verify']);
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/^error \[integrity_failure\]: Audit chain broken at record \d+: the checkpoint at record \d+ has an invalid signature \(not signed by the trusted audit key\)/m);
  });
});

describe('audit:verify and audit:export through the router on a forged database', () => {
  afterAll(removeTempDirs);

  it('answer integrity_failure with the reason while unlocked, locked once locked, and the session status carries the alarm', async () => {
    const dir = tempDir('ecps-forged-router-');
    const first = await open(dir);
    await first.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    await first.handlers['keys:create']({ type: 'storage', label: 'disk' }, CTX);
    first.close();
    forgeAuditHistory(dbFile(dir), { victimAction: 'key.create', newActor: 'mallory' });

    const c = await open(dir);
    const events: Array<{ event: EventName; payload: unknown }> = [];
    c.onEvent((event, payload) => events.push({ event, payload }));
    const router = createRouter({ handlers: c.handlers });
    const route = (channel: string, input: unknown = {}) => router.route({ channel, input, ctx: CTX, trustedSender: true });
    try {
      const unlocked = await route('session:unlock', { operator: 'alice', passphrase: PASSPHRASE });
      expect(unlocked).toMatchObject({ ok: true, value: { state: 'unlocked', auditAlarm: { keyProblem: expect.stringMatching(KEY_CHECK_FAILED) } } });

      const verify = await route('audit:verify');
      expect(verify).toMatchObject({ ok: false, error: { code: 'integrity_failure' } });
      if (verify.ok) return;
      expect(verify.error.message).toMatch(KEY_CHECK_FAILED);
      expect(verify.error.message).toMatch(CANNOT_BE_TRUSTED);

      const exported = await route('audit:export');
      expect(exported).toMatchObject({ ok: false, error: { code: 'integrity_failure', message: expect.stringMatching(KEY_CHECK_FAILED) } });

      // The window learns of the alarm from the pushed session status, not only from the call that failed.
      const pushed = events.filter((e) => e.event === 'session:changed').map((e) => e.payload as { auditAlarm?: { keyProblem: string | null } });
      expect(pushed.some((s) => KEY_CHECK_FAILED.test(s.auditAlarm?.keyProblem ?? ''))).toBe(true);
      const status = await route('session:status');
      expect(status).toMatchObject({ ok: true, value: { auditAlarm: { keyProblem: expect.stringMatching(KEY_CHECK_FAILED) } } });

      // Simply locked: locked is the right answer.
      await route('session:lock');
      expect(await route('audit:export')).toMatchObject({ ok: false, error: { code: 'locked' } });
      expect(await route('audit:verify')).toMatchObject({ ok: false, error: { code: 'locked' } });
    } finally {
      c.close();
    }
  });
});
