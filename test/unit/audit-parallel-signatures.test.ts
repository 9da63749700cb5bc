// The signature batch of a long walk (parallelSignatures.ts): the worker checks the signatures in order while the walk
// goes on, and the batch must answer the ordinal of the first invalid one (docs/audit-log.md, "How verification is kept
// fast"), wherever it is in the batch and however far the worker has got when the walk ends.
import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createParallelSignatures, type SignatureBatch } from '../../electron/services/audit/parallelSignatures.ts';

const audit = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const spki = audit.publicKey.export({ format: 'der', type: 'spki' });
const trustedKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
const message = (i: number) => `{"type":"checkpoint","seq":${i + 1},"head":"${'ab'.repeat(32)}","ts":"2026-01-01T00:00:00.000Z"}`;
const COUNT = 96;
// Signature i by the audit key, and the same message signed by another key (what a forger without the key can store).
const valid = Array.from({ length: COUNT }, (_, i) => sign(null, Buffer.from(message(i)), audit.privateKey).toString('base64'));
const forged = Array.from({ length: COUNT }, (_, i) => sign(null, Buffer.from(message(i)), other.privateKey).toString('base64'));

const parallel = createParallelSignatures();
afterAll(() => parallel.close());

/** Adds signatures from..to-1 (forged where `bad` says so). */
function add(batch: SignatureBatch, from: number, to: number, bad: ReadonlySet<number>) {
  for (let i = from; i < to; i++) batch.add(message(i), bad.has(i) ? (forged[i] as string) : (valid[i] as string));
}

/** Spins until the worker has confirmed at least n signatures (it runs on its own thread). */
function workerConfirmed(batch: SignatureBatch, n: number) {
  while (batch.checkedValid() < n && batch.firstInvalid() === null);
}

describe('a walk\'s signature batch', () => {
  it('answers null when every signature is valid', () => {
    const batch = parallel.begin(trustedKey, spki);
    add(batch, 0, COUNT, new Set());
    expect(batch.settle()).toBeNull();
  });

  it('finds one forged signature at every position of the batch', () => {
    for (let bad = 0; bad < COUNT; bad++) {
      const batch = parallel.begin(trustedKey, spki);
      add(batch, 0, COUNT, new Set([bad]));
      expect(batch.settle(), `forged at ${bad}`).toBe(bad);
    }
  });

  it('answers the first of two forged signatures, one of them added after the worker confirmed the first ones', () => {
    const batch = parallel.begin(trustedKey, spki);
    // 64 signatures are two messages to the worker; once it confirmed the first 32, the rest are added and the walk ends.
    add(batch, 0, 64, new Set([40]));
    workerConfirmed(batch, 32);
    add(batch, 64, COUNT, new Set([90]));
    expect(batch.settle()).toBe(40);
  });

  it('finds a forged signature among the last ones after the worker confirmed the first ones', () => {
    const batch = parallel.begin(trustedKey, spki);
    add(batch, 0, 64, new Set());
    workerConfirmed(batch, 64);
    expect(batch.checkedValid()).toBe(64);
    add(batch, 64, COUNT, new Set([70, 95]));
    expect(batch.settle()).toBe(70);
  });

  it('a signature by another key is never counted as valid', () => {
    const batch = parallel.begin(trustedKey, spki);
    add(batch, 0, COUNT, new Set(Array.from({ length: COUNT }, (_, i) => i)));
    expect(batch.settle()).toBe(0);
  });
});
