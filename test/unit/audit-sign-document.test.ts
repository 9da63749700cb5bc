// The audit key's detached signature over a document (the compliance report, docs/compliance-report.md): valid under
// the trusted public key for exactly those bytes; refused for an empty document and one that begins with "{" (the form
// of the log's own checkpoint and seal messages); locked without a key, integrity_failure with a key that failed its
// check. Real SQLite store, real Ed25519.
import crypto from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { createAuditLog, createAuditSigner } from '../../electron/services/audit/index.ts';
import { openStoreDatabase } from '../../electron/store/database.ts';
import { codeOf, removeTempDirs, tempDir } from './store-testkit.ts';

describe('audit signDocument', () => {
  const clock = manualClock(Date.parse('2026-03-01T00:00:00Z'));
  const store = openStoreDatabase(tempDir('ecps-sign-doc-'), () => new Date(clock.now()).toISOString());
  const audit = createAuditLog(store.db, { clock });
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  afterAll(() => {
    audit.close();
    store.close();
    removeTempDirs();
  });

  it('locked: no key, no signature', async () => {
    expect(await codeOf(() => audit.signDocument(Buffer.from('%PDF-1.7')))).toBe('locked');
  });

  it('signs exactly the bytes given, under the trusted key', () => {
    audit.setSigner(createAuditSigner(privateKey));
    const doc = Buffer.from('%PDF-1.7 a report');
    const { signature, publicKeySpki } = audit.signDocument(doc);
    expect(publicKeySpki.equals(publicKey.export({ format: 'der', type: 'spki' }))).toBe(true);
    expect(crypto.verify(null, doc, publicKey, signature)).toBe(true);
    expect(crypto.verify(null, Buffer.from('%PDF-1.7 a reporT'), publicKey, signature)).toBe(false);
  });

  it('refuses an empty document and one that could pass for a checkpoint or seal message', async () => {
    expect(await codeOf(() => audit.signDocument(Buffer.alloc(0)))).toBe('invalid_input');
    expect(await codeOf(() => audit.signDocument(Buffer.from('{"type":"checkpoint","seq":1,"head":"00","ts":"x"}')))).toBe('invalid_input');
  });

  it('a key that failed its check signs nothing', async () => {
    audit.setKey({ state: 'untrusted', reason: 'test' });
    expect(await codeOf(() => audit.signDocument(Buffer.from('kind,section')))).toBe('integrity_failure');
  });
});
