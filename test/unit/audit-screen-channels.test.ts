// The Audit screen's two new channels on a real console and store: audit:actions lists what the log holds (the
// store's own records: store.init, key.create, ...), audit:keyFingerprint is the SHA-256 of the audit key's DER public
// key as the export header carries it (docs/audit-log.md, step 1 of "Verifying an audit export", computed here), and
// both answer locked once the console is locked; a forged audit key MAC makes the fingerprint integrity_failure.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { flipAuditKeyMacBit } from '../integration/support/auditForgery.ts';
import { codeOf, CTX, open, openUnlocked, PASSPHRASE, removeTempDirs, tempDir, withRawDb } from './store-testkit.ts';

afterEach(removeTempDirs);

describe('audit:actions and audit:keyFingerprint', () => {
  it('list the actions written, give the export header key fingerprint, and answer locked when locked', async () => {
    const c = await openUnlocked(tempDir('ecps-audit-channels-'));
    try {
      await c.handlers['keys:create']({ type: 'storage', label: 'a' }, CTX);
      const { actions } = await c.handlers['audit:actions']({}, CTX);
      // What this console wrote so far (every one of them, each once, sorted).
      expect(actions).toEqual(expect.arrayContaining(['key.create', 'store.init']));
      expect(actions).toEqual([...new Set(actions)].sort());

      const { fingerprint } = await c.handlers['audit:keyFingerprint']({}, CTX);
      const { content } = c.audit.exportJsonl();
      const header = JSON.parse(content.split('\n')[0]!) as { publicKey: string };
      expect(fingerprint).toBe(createHash('sha256').update(Buffer.from(header.publicKey, 'base64')).digest('hex'));

      await c.handlers['session:lock']({}, CTX);
      expect(await codeOf(() => c.handlers['audit:actions']({}, CTX))).toBe('locked');
      expect(await codeOf(() => c.handlers['audit:keyFingerprint']({}, CTX))).toBe('locked');
    } finally {
      c.close();
    }
  });

  it('a fingerprint is never shown for an audit key that failed its check', async () => {
    const dir = tempDir('ecps-audit-channels-');
    (await openUnlocked(dir)).close();
    withRawDb(dir, flipAuditKeyMacBit);
    const c = await open(dir);
    try {
      await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
      expect(await codeOf(() => c.handlers['audit:keyFingerprint']({}, CTX))).toBe('integrity_failure');
    } finally {
      c.close();
    }
  });
});
