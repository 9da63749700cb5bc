// The rules of electron/ipc/cli/keysCli.ts that the commands through runCli (cli-run-keys.test.ts) cannot reach with a
// real console: a channel answer that contradicts itself (not ok without failures, failures while ok), a failed job
// without a code or with a code that is not one of shared/errors.ts, and the typed details of each refusal (what a
// script reads with the error). Expected values come from docs/cli.md ("Signatures, key backups and migration").
import { describe, expect, it } from 'vitest';
import { ConsoleError } from '../../shared/errors.ts';
import { backupVerifyResult, migrationResult, signatureResult } from '../../electron/ipc/cli/keysCli.ts';

const KEY = '6adc3764-d2ca-4ea0-b97f-147b1c0fee40';
const OTHER = '0b5d2c1e-9f4a-4c3b-8e7d-6a5b4c3d2e1f';

function thrown(fn: () => unknown): ConsoleError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConsoleError) return e;
    throw e;
  }
  throw new Error('expected a ConsoleError');
}

describe('signatureResult', () => {
  it('valid: one line naming the version checked; not valid: signature_invalid with the key and version as details', () => {
    expect(signatureResult(KEY, { inPath: 'f', sigPath: 's', version: 3 }, { valid: true })).toBe(`signature s verifies over f under key ${KEY} v3`);
    const current = thrown(() => signatureResult(KEY, { inPath: 'f', sigPath: 's', version: undefined }, { valid: false }));
    expect([current.code, current.message, current.details]).toEqual([
      'signature_invalid', `The signature in s does not verify over f under key ${KEY} (its current version).`, { keyId: KEY, version: null },
    ]);
    expect(thrown(() => signatureResult(KEY, { inPath: 'f', sigPath: 's', version: 2 }, { valid: false })).details).toEqual({ keyId: KEY, version: 2 });
  });
});

describe('backupVerifyResult', () => {
  const failures = [
    { keyId: KEY, version: 2, reason: 'the backup does not match the store: check value' },
    { keyId: OTHER, version: 1, reason: 'the store no longer holds this key version' },
  ];
  it('lists every failed version, separated by "; ", with provider, failed and checked as details', () => {
    const e = thrown(() => backupVerifyResult('aws-kms', { ok: false, checked: 5, failures }));
    expect([e.code, e.message, e.details]).toEqual([
      'integrity_failure',
      `Backup at aws-kms: 2 of 5 versions did not match the store: ${KEY} v2 (the backup does not match the store: check value); ${OTHER} v1 (the store no longer holds this key version).`,
      { provider: 'aws-kms', failed: 2, checked: 5 },
    ]);
  });
  it('a report that contradicts itself is a failure either way (never exit 0)', () => {
    expect(thrown(() => backupVerifyResult('aws-kms', { ok: true, checked: 5, failures: [failures[0]!] })).code).toBe('integrity_failure');
    const notOk = thrown(() => backupVerifyResult('aws-kms', { ok: false, checked: 5, failures: [] }));
    expect([notOk.code, notOk.message]).toEqual(['integrity_failure', 'Backup at aws-kms: 0 of 5 versions did not match the store: the report is not ok.']);
  });
  it('nothing backed up is not_found naming the provider; one version is singular', () => {
    const none = thrown(() => backupVerifyResult('vault', { ok: true, checked: 0, failures: [] }));
    expect([none.code, none.details]).toEqual(['not_found', { provider: 'vault' }]);
    expect(backupVerifyResult('vault', { ok: true, checked: 1, failures: [] })).toBe('backup at vault verified: 1 version unwrapped and identical to the store');
  });
});

describe('migrationResult', () => {
  const job = { jobId: 'j-1', kind: 'keys.migrate', done: 1, total: 3, current: null };
  it('a failed job carries its own code, the count moved and the job as details', () => {
    const e = thrown(() => migrationResult('aws-kms', { ...job, state: 'failed', error: 'Key "a" (x) was not moved: ECONNREFUSED', errorCode: 'provider_unavailable' }));
    expect([e.code, e.message, e.details]).toEqual([
      'provider_unavailable',
      'Key "a" (x) was not moved: ECONNREFUSED 1 of 3 keys moved before it stopped (job j-1).',
      { provider: 'aws-kms', jobId: 'j-1', done: 1, total: 3 },
    ]);
  });
  it('without a code, or with a word that is not an error code, it is internal; without a message it says so', () => {
    for (const errorCode of [undefined, null, 'exploded'] as const) {
      const e = thrown(() => migrationResult('aws-kms', { ...job, state: 'failed', error: null, ...(errorCode === undefined ? {} : { errorCode: errorCode as never }) }));
      expect([String(errorCode), e.code, e.message]).toEqual([String(errorCode), 'internal', 'The migration to aws-kms did not finish. 1 of 3 keys moved before it stopped (job j-1).']);
    }
  });
  it('a job still running is not done either; done prints the count', () => {
    expect(thrown(() => migrationResult('aws-kms', { ...job, state: 'running', error: null, errorCode: null })).code).toBe('internal');
    expect(migrationResult('aws-kms', { ...job, done: 1, total: 1, state: 'done', error: null, errorCode: null })).toBe(
      'moved 1 of 1 key to aws-kms (job j-1): their next version lives there; earlier versions keep decrypting',
    );
  });
});
