// The provider conformance suite: one set of behaviours every KmsProvider must show, run against each adapter
// (test/integration/conformance/<kind>.conformance.test.ts). What a provider cannot do is declared in its
// capabilities, and the suite checks the declaration instead of skipping.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../electron/clock.ts';
import { withResilience } from '../../../electron/providers/resilience/withResilience.ts';
import { isProviderError, type KmsProvider, type ProviderErrorKind, type ProviderKeyInfo } from '../../../electron/providers/types.ts';
import type { FaultControls } from '../../emulators/faults.ts';

export interface ConformanceTarget {
  provider: KmsProvider;
  /** Fault injection of the emulator behind the provider, where there is one. */
  faults?: FaultControls;
  /**
   * Why this target has no fault injection, when it has none (e.g. a hardware token in process): the fault cases
   * then require either this reason or an in-process provider (kmsBacked false).
   */
  noFaultInjection?: string;
  /** A syntactically valid key reference that does not exist (default: 'ecps-conformance-missing'). */
  unknownKeyRef?: string;
  /**
   * Other ways the provider is known to answer a ciphertext or associated data that fails authentication (e.g. Vault
   * before 1.10: HTTP 500), switched on in the emulator for the breaker case; `providerCode` is what it then answers.
   */
  integrityAnswerVariants?: Array<{ name: string; providerCode: string; set(on: boolean): void }>;
  cleanup(): Promise<void>;
}

/** Awaits `p` and returns the ProviderError it rejected with; fails the test if it resolved or threw anything else. */
export async function providerFailure(p: Promise<unknown>): Promise<{ kind: ProviderErrorKind; providerCode: string | null; requestId: string | null; message: string }> {
  let result: unknown;
  try {
    result = await p;
  } catch (e) {
    if (!isProviderError(e)) throw new Error(`expected a ProviderError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { cause: e });
    return { kind: e.kind, providerCode: e.providerCode, requestId: e.requestId, message: e.message };
  }
  throw new Error(`expected a ProviderError, but the call succeeded with ${JSON.stringify(result)?.slice(0, 80)}`);
}

function tampered(ciphertext: Buffer, at: number): Buffer {
  const copy = Buffer.from(ciphertext);
  const i = Math.max(0, Math.min(copy.length - 1, at));
  // Change the byte to another character of the same class, so text ciphertexts (e.g. Vault's base64) stay well-formed.
  const b = copy[i]!;
  copy[i] = b >= 0x41 && b <= 0x59 ? b + 1 : b === 0x5a ? 0x41 : b >= 0x61 && b <= 0x79 ? b + 1 : b === 0x7a ? 0x61 : b ^ 0x01;
  return copy;
}

function verifyLocally(pem: string, spec: 'RSA_2048' | 'EC_P256', message: Buffer, signature: Buffer): boolean {
  const key = crypto.createPublicKey(pem);
  return spec === 'RSA_2048'
    ? crypto.verify('sha256', message, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature)
    : crypto.verify('sha256', message, { key, dsaEncoding: 'der' }, signature);
}

export function describeProviderConformance(name: string, setup: () => Promise<ConformanceTarget>): void {
  describe(`provider conformance: ${name}`, () => {
    let target: ConformanceTarget;
    let p: KmsProvider;
    const run = crypto.randomBytes(3).toString('hex');
    let n = 0;
    const keyName = (what: string) => `conf-${run}-${what}-${++n}`;
    const aad = Buffer.from('robot-0042|link', 'utf8');

    beforeAll(async () => {
      target = await setup();
      p = target.provider;
    });
    afterAll(async () => {
      await target?.cleanup();
    });

    const newAesKey = (what: string) => p.createKey({ name: keyName(what), spec: 'AES_256', usage: 'encrypt' });

    it('declares capabilities that cover the console key model', () => {
      expect(p.capabilities.specs.encrypt).toContain('AES_256');
      expect(p.capabilities.specs.sign.length).toBeGreaterThan(0);
      expect(p.capabilities.maxPlaintextBytes).toBeGreaterThanOrEqual(32);
      expect(p.id.length).toBeGreaterThan(0);
    });

    it('creates an AES-256 key that is enabled at version 1 and describes it the same way', async () => {
      const created = await newAesKey('create');
      expect(created).toMatchObject({ spec: 'AES_256', usage: 'encrypt', state: 'enabled', currentVersion: 1 });
      expect(Number.isNaN(Date.parse(created.createdAt))).toBe(false);
      const described = await p.describeKey(created.keyRef);
      expect(described).toMatchObject({ keyRef: created.keyRef, spec: 'AES_256', usage: 'encrypt', state: 'enabled', currentVersion: 1 });
    });

    it('round-trips plaintext at the boundary sizes and refuses one byte more than the limit', async () => {
      const key = await newAesKey('sizes');
      const max = p.capabilities.maxPlaintextBytes;
      for (const size of [1, 32, Math.min(max, 4096)]) {
        const plain = crypto.randomBytes(size);
        const { ciphertext } = await p.encrypt(key.keyRef, plain, aad);
        expect(ciphertext.equals(plain)).toBe(false);
        const out = await p.decrypt(key.keyRef, ciphertext, aad);
        expect(out.plaintext.equals(plain)).toBe(true);
      }
      if (max < 64 * 1024) {
        const tooBig = await providerFailure(p.encrypt(key.keyRef, Buffer.alloc(max + 1, 7), aad));
        expect(tooBig.kind).toBe('InvalidInput');
      }
    });

    it('fails decryption with IntegrityFailure when the associated data differs or is missing', async () => {
      expect(p.capabilities.associatedData).toBe(true);
      const key = await newAesKey('aad');
      const { ciphertext } = await p.encrypt(key.keyRef, Buffer.from('move to dock 7'), aad);
      expect((await providerFailure(p.decrypt(key.keyRef, ciphertext, Buffer.from('robot-0043|link')))).kind).toBe('IntegrityFailure');
      expect((await providerFailure(p.decrypt(key.keyRef, ciphertext))).kind).toBe('IntegrityFailure');
    });

    it('refuses tampered ciphertext and never returns plaintext for it', async () => {
      const key = await newAesKey('tamper');
      const { ciphertext } = await p.encrypt(key.keyRef, Buffer.from('secret orders'), aad);
      for (const at of [ciphertext.length - 1, ciphertext.length - 20, Math.floor(ciphertext.length / 2)]) {
        const f = await providerFailure(p.decrypt(key.keyRef, tampered(ciphertext, at), aad));
        expect(['IntegrityFailure', 'InvalidInput']).toContain(f.kind);
      }
      const truncated = await providerFailure(p.decrypt(key.keyRef, ciphertext.subarray(0, Math.floor(ciphertext.length / 2)), aad));
      expect(['IntegrityFailure', 'InvalidInput']).toContain(truncated.kind);
    });

    it('tampered and wrong-AAD decrypts and garbage signatures never count toward the circuit breaker: valid calls right after them succeed', async () => {
      // A caller controls the ciphertext and the AAD; failing them must not refuse the next caller's valid decrypt.
      const threshold = 2;
      const guarded = withResilience(p, { clock: systemClock, timeoutMs: 30_000, maxRetries: 2, baseDelayMs: 1, maxDelayMs: 2, breaker: { failureThreshold: threshold, openMs: 3_600_000 } });
      const key = await newAesKey('breaker');
      const { ciphertext } = await guarded.encrypt(key.keyRef, Buffer.from('valid orders'), aad);
      for (const variant of [null, ...(target.integrityAnswerVariants ?? [])]) {
        variant?.set(true);
        try {
          for (let i = 0; i < threshold + 3; i++) {
            const wrongAad = await providerFailure(guarded.decrypt(key.keyRef, ciphertext, Buffer.from(`robot-${i}|link`)));
            expect(wrongAad.kind, variant?.name).toBe('IntegrityFailure');
            if (variant) expect(wrongAad.providerCode, variant.name).toBe(variant.providerCode);
            const forged = await providerFailure(guarded.decrypt(key.keyRef, tampered(ciphertext, ciphertext.length - 1 - i), aad));
            expect(['IntegrityFailure', 'InvalidInput'], variant?.name).toContain(forged.kind);
          }
          expect(guarded.status(), variant?.name).toMatchObject({ breaker: 'closed', consecutiveFailures: 0, rejected: 0, retries: 0 });
          expect((await guarded.decrypt(key.keyRef, ciphertext, aad)).plaintext.toString(), variant?.name).toBe('valid orders');
        } finally {
          variant?.set(false);
        }
      }
      // Garbage signatures are a caller's input too: never an outage.
      const signer = await p.createKey({ name: keyName('breaker-sign'), spec: p.capabilities.specs.sign[0]!, usage: 'sign' });
      const message = Buffer.from('halt all robots');
      const { signature } = await guarded.sign(signer.keyRef, message);
      for (let i = 0; i < threshold + 3; i++) {
        const garbage = i % 2 === 0 ? crypto.randomBytes(signature.length) : tampered(signature, i);
        const outcome = await guarded.verify(signer.keyRef, message, garbage).then(
          (valid) => (valid ? 'valid' : 'invalid'),
          (e: unknown) => (isProviderError(e) ? e.kind : 'unexpected'),
        );
        expect(['invalid', 'IntegrityFailure', 'InvalidInput']).toContain(outcome);
      }
      expect(guarded.status()).toMatchObject({ breaker: 'closed', consecutiveFailures: 0, rejected: 0, retries: 0 });
      expect(await guarded.verify(signer.keyRef, message, signature)).toBe(true);
      // Not guarded.close(): that would close the adapter the other cases use.
    });

    it('generates 256-bit data keys whose wrapped form decrypts to the same bytes under the same associated data', async () => {
      const key = await newAesKey('datakey');
      const a = await p.generateDataKey(key.keyRef, aad);
      const b = await p.generateDataKey(key.keyRef, aad);
      expect(a.plaintext.length).toBe(32);
      expect(a.plaintext.equals(b.plaintext)).toBe(false);
      const back = await p.decrypt(key.keyRef, a.wrapped, aad);
      expect(back.plaintext.equals(a.plaintext)).toBe(true);
      expect((await providerFailure(p.decrypt(key.keyRef, a.wrapped, Buffer.from('other')))).kind).toBe('IntegrityFailure');
    });

    it('rotates: the version advances, new data uses it, and old ciphertext still decrypts', async () => {
      expect(p.capabilities.rotation).toBe(true);
      const key = await newAesKey('rotate');
      const before = await p.encrypt(key.keyRef, Buffer.from('written before rotation'), aad);
      const { version } = await p.rotate(key.keyRef);
      expect(version).toBe(2);
      expect((await p.describeKey(key.keyRef)).currentVersion).toBe(2);
      const after = await p.encrypt(key.keyRef, Buffer.from('written after rotation'), aad);
      if (after.version !== null) expect(after.version).toBe(2);
      if (before.version !== null) expect(before.version).toBe(1);
      expect((await p.decrypt(key.keyRef, before.ciphertext, aad)).plaintext.toString()).toBe('written before rotation');
      expect((await p.decrypt(key.keyRef, after.ciphertext, aad)).plaintext.toString()).toBe('written after rotation');
    });

    it('a disabled key refuses every operation with KeyDisabled and works again once enabled', async () => {
      const key = await newAesKey('disable');
      const { ciphertext } = await p.encrypt(key.keyRef, Buffer.from('before disable'), aad);
      await p.disable(key.keyRef);
      expect((await p.describeKey(key.keyRef)).state).toBe('disabled');
      expect((await providerFailure(p.encrypt(key.keyRef, Buffer.from('x'), aad))).kind).toBe('KeyDisabled');
      expect((await providerFailure(p.decrypt(key.keyRef, ciphertext, aad))).kind).toBe('KeyDisabled');
      expect((await providerFailure(p.generateDataKey(key.keyRef, aad))).kind).toBe('KeyDisabled');
      await p.enable(key.keyRef);
      expect((await p.describeKey(key.keyRef)).state).toBe('enabled');
      expect((await p.decrypt(key.keyRef, ciphertext, aad)).plaintext.toString()).toBe('before disable');
    });

    it('a key scheduled for destruction is unusable, and gone once destroyed', async () => {
      const key = await newAesKey('destroy');
      const { ciphertext } = await p.encrypt(key.keyRef, Buffer.from('last words'), aad);
      const waiting = p.capabilities.scheduledDestruction ? 7 : 0;
      const { deletionDate } = await p.scheduleDestruction(key.keyRef, waiting);
      expect(Number.isNaN(Date.parse(deletionDate))).toBe(false);
      const decrypted = await providerFailure(p.decrypt(key.keyRef, ciphertext, aad));
      if (p.capabilities.scheduledDestruction) {
        expect(decrypted.kind).toBe('KeyDisabled');
        const described = await p.describeKey(key.keyRef);
        expect(described.state).toBe('pending_deletion');
        expect(Date.parse(described.deletionDate ?? '')).toBeGreaterThan(Date.now() + 6 * 86_400_000);
        await p.cancelDestruction(key.keyRef);
        // AWS leaves a cancelled key disabled; the console re-enables it explicitly.
        if ((await p.describeKey(key.keyRef)).state === 'disabled') await p.enable(key.keyRef);
        expect((await p.decrypt(key.keyRef, ciphertext, aad)).plaintext.toString()).toBe('last words');
      } else {
        expect(['NotFound', 'KeyDisabled']).toContain(decrypted.kind);
        const gone = await p.describeKey(key.keyRef).then(
          (k: ProviderKeyInfo) => k.state,
          (e: unknown) => (isProviderError(e) ? e.kind : 'unexpected'),
        );
        expect(['NotFound', 'destroyed']).toContain(gone);
      }
    });

    for (const spec of ['RSA_2048', 'EC_P256'] as const) {
      it(`signs with ${spec} so that the provider and node:crypto both verify, and refuses a changed message`, async () => {
        if (!p.capabilities.specs.sign.includes(spec)) {
          expect((await providerFailure(p.createKey({ name: keyName('nosign'), spec, usage: 'sign' }))).kind).toBe('InvalidInput');
          return;
        }
        const key = await p.createKey({ name: keyName(`sign-${spec}`), spec, usage: 'sign' });
        expect(key).toMatchObject({ spec, usage: 'sign', state: 'enabled' });
        const message = Buffer.from(`emergency stop, fleet ${spec}`);
        const { signature, version } = await p.sign(key.keyRef, message);
        expect(version).toBe(1);
        expect(await p.verify(key.keyRef, message, signature)).toBe(true);
        expect(await p.verify(key.keyRef, Buffer.from('resume operations'), signature)).toBe(false);
        const { pem } = await p.getPublicKey(key.keyRef);
        expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
        expect(verifyLocally(pem, spec, message, signature)).toBe(true);
        expect(verifyLocally(pem, spec, Buffer.from('resume operations'), signature)).toBe(false);
      });
    }

    it('rotates signing keys where declared, keeping old signatures verifiable by version', async () => {
      const key = await p.createKey({ name: keyName('sign-rotate'), spec: p.capabilities.specs.sign[0]!, usage: 'sign' });
      const message = Buffer.from('order 66');
      const old = await p.sign(key.keyRef, message);
      if (!p.capabilities.rotateSigningKeys) {
        expect((await providerFailure(p.rotate(key.keyRef))).kind).toBe('InvalidInput');
        return;
      }
      expect((await p.rotate(key.keyRef)).version).toBe(2);
      const fresh = await p.sign(key.keyRef, message);
      expect(fresh.version).toBe(2);
      expect(await p.verify(key.keyRef, message, old.signature, 1)).toBe(true);
      expect(await p.verify(key.keyRef, message, fresh.signature, 2)).toBe(true);
      const v1 = await p.getPublicKey(key.keyRef, 1);
      expect(verifyLocally(v1.pem, key.spec as 'RSA_2048' | 'EC_P256', message, old.signature)).toBe(true);
    });

    it('normalises errors: unknown keys are NotFound, wrong key usage is InvalidInput, and the provider code is kept', async () => {
      const missing = target.unknownKeyRef ?? 'ecps-conformance-missing';
      const notFound = await providerFailure(p.encrypt(missing, Buffer.from('x'), aad));
      expect(notFound.kind).toBe('NotFound');
      expect(notFound.providerCode).not.toBeNull();
      expect(notFound.message.length).toBeGreaterThan(0);
      expect((await providerFailure(p.describeKey(missing))).kind).toBe('NotFound');
      const signer = await p.createKey({ name: keyName('usage'), spec: p.capabilities.specs.sign[0]!, usage: 'sign' });
      expect((await providerFailure(p.encrypt(signer.keyRef, Buffer.from('x'), aad))).kind).toBe('InvalidInput');
      const aes = await newAesKey('usage-aes');
      expect((await providerFailure(p.sign(aes.keyRef, Buffer.from('x')))).kind).toBe('InvalidInput');
    });

    it('lists keys over more than one page without duplicates or gaps', async () => {
      const made = new Set<string>();
      for (let i = 0; i < 5; i++) made.add((await newAesKey('page')).keyRef);
      const seen: string[] = [];
      let token: string | null = null;
      let pages = 0;
      do {
        const page: { items: ProviderKeyInfo[]; nextPageToken: string | null } = await p.listKeys({ pageSize: 2, pageToken: token });
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((k) => k.keyRef));
        token = page.nextPageToken;
        pages++;
      } while (token !== null && pages < 1000);
      expect(pages).toBeGreaterThan(1);
      expect(new Set(seen).size).toBe(seen.length);
      for (const ref of made) expect(seen).toContain(ref);
    });

    it('reports health with a measured latency', async () => {
      const h = await p.health();
      expect(h.ok).toBe(true);
      expect(h.latencyMs).toBeGreaterThanOrEqual(0);
    });

    it('normalises an unreachable service to Unavailable (retryable) and recovers when it comes back', async () => {
      const faults = target.faults;
      if (!faults) {
        // In-process providers (local) cannot become unreachable; others must say why they have no fault injection.
        expect(p.capabilities.kmsBacked === false || (target.noFaultInjection ?? '').length > 0).toBe(true);
        return;
      }
      const key = await newAesKey('down');
      await faults.down();
      try {
        const f = await providerFailure(p.encrypt(key.keyRef, Buffer.from('x'), aad));
        expect(f.kind).toBe('Unavailable');
        expect((await p.health()).ok).toBe(false);
      } finally {
        await faults.up();
      }
      expect((await p.health()).ok).toBe(true);
      const { ciphertext } = await p.encrypt(key.keyRef, Buffer.from('back'), aad);
      expect((await p.decrypt(key.keyRef, ciphertext, aad)).plaintext.toString()).toBe('back');
    });

    it('normalises throttling to Throttled and server errors and dropped connections to Unavailable', async () => {
      const faults = target.faults;
      if (!faults) {
        expect(p.capabilities.kmsBacked === false || (target.noFaultInjection ?? '').length > 0).toBe(true);
        return;
      }
      const key = await newAesKey('faults');
      try {
        faults.throttleNext(1);
        const throttled = await providerFailure(p.encrypt(key.keyRef, Buffer.from('x'), aad));
        expect(throttled.kind).toBe('Throttled');
        faults.failNext(1, 500);
        expect((await providerFailure(p.encrypt(key.keyRef, Buffer.from('x'), aad))).kind).toBe('Unavailable');
        faults.dropNext(1);
        expect((await providerFailure(p.encrypt(key.keyRef, Buffer.from('x'), aad))).kind).toBe('Unavailable');
      } finally {
        faults.reset();
      }
      expect((await p.encrypt(key.keyRef, Buffer.from('fine'), aad)).ciphertext.length).toBeGreaterThan(0);
    });
  });
}
