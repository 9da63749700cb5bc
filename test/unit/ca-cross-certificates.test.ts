// The retired fleet CAs' cross-certificates for a later CA (electron/services/ca/caCrossCertificates.ts) against
// docs/fleet-ca.md ("Cross-certificates") and RFC 5280, written out here: the chain a TLS server of a CA sends after its
// certificate holds the cross-certificate of that CA by every retired, not compromised CA whose own certificate and
// cross-certificate are valid at the console's clock (a certificate is expired from its notAfter on, as everywhere in
// the console), oldest CA first; a stored one is sent without signing again, a missing one is signed once per pair
// (two requests at once share the signing) and stored; a CA whose key cannot sign is skipped (logged, audited) and the
// others still sent; the signing is audited ca.cross_certify with the actor who asked. Real store database, real local
// provider holding the CA keys (fleetca-kit.ts), real fleet CAs; only the provider's sign is wrapped, to count calls.
import { X509Certificate } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../electron/logger.ts';
import type { KmsProvider } from '../../electron/providers/types.ts';
import { createCaCrossCertificates } from '../../electron/services/ca/caCrossCertificates.ts';
import { createFleetCa, openFleetCa } from '../../electron/services/ca/fleetCa.ts';
import { createCaCrossRepo } from '../../electron/store/caCrossRepo.ts';
import { createCaTransitionsRepo } from '../../electron/store/caTransitionsRepo.ts';
import { caFixture, type CaFixture } from '../integration/fleetca-kit.ts';
import { removeTempDirs } from './store-testkit.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2026-12-06T09:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

const fixtures: CaFixture[] = [];
afterEach(() => {
  for (const f of fixtures.splice(0)) f.store.close();
});
afterAll(() => removeTempDirs());

/**
 * A store with fleet CAs made one hour apart (name -> validity in days), the provider's signatures counted per key and
 * `hooks.beforeSign` run before each; the service opens a CA through the real openFleetCa (actor 'opener').
 */
async function rig(cas: Array<[string, number]>) {
  const f = caFixture();
  fixtures.push(f);
  f.clock.set(T0);
  const inner = f.store.provider;
  const signs = new Map<string, number>();
  const hooks: { beforeSign?: (keyRef: string) => void | Promise<void> } = {};
  const provider: KmsProvider = Object.create(inner, {
    sign: {
      value: async (keyRef: string, message: Buffer, version?: number) => {
        signs.set(keyRef, (signs.get(keyRef) ?? 0) + 1);
        await hooks.beforeSign?.(keyRef);
        return inner.sign(keyRef, message, version);
      },
    },
  }) as KmsProvider;
  const ids: Record<string, string> = {};
  const keyRefs: Record<string, string> = {};
  for (const [name, days] of cas) {
    const key = await inner.createKey({ name, spec: 'EC_P256', usage: 'sign' });
    const ca = await createFleetCa({ provider: inner, keyRef: key.keyRef, subject: `CN=${name}, O=ECPS-UV Fleet`, validityDays: days, clock: f.clock, audit: f.audit, repo: f.repo });
    ids[name] = ca.id;
    keyRefs[name] = key.keyRef;
    f.clock.set(f.clock.now() + 3_600_000);
  }
  const db = f.store.store.db;
  const transitions = createCaTransitionsRepo(db);
  const crossRepo = createCaCrossRepo(db);
  const logger = createMemoryLogger();
  const opened: string[] = [];
  const svc = createCaCrossCertificates({
    ca: {
      open: async (id) => {
        opened.push(id);
        return openFleetCa({ caId: id, provider, clock: f.clock, audit: f.audit, repo: f.repo, actor: 'opener' });
      },
    },
    caRepo: f.repo,
    transitions,
    repo: crossRepo,
    audit: f.audit,
    clock: f.clock,
    logger,
  });
  const set = (name: string, state: 'retired' | 'compromised', successor: string | null = null) =>
    transitions.record({ caId: ids[name]!, state, successorId: successor === null ? null : ids[successor]!, changedAt: iso(f.clock.now()), changedBy: 'alice', reason: 'test' });
  const certOf = (name: string) => new X509Certificate(f.repo.getCa(ids[name]!)!.certDer);
  const signsBy = (name: string) => signs.get(keyRefs[name]!) ?? 0;
  const crossAudits = () => f.audit.query({ action: 'ca.cross_certify', offset: 0, limit: 100 }).records.reverse();
  return { f, svc, ids, keyRefs, inner, hooks, set, certOf, signsBy, crossRepo, logger, opened, crossAudits };
}
type Rig = Awaited<ReturnType<typeof rig>>;

/**
 * What RFC 5280 and docs/fleet-ca.md make a cross-certificate of `subject` by `issuer`: issuer name the issuer CA's
 * subject, subject name and public key the subject CA's, signed by the issuer CA's key, a CA certificate.
 */
function expectCrossCert(r: Rig, pem: string, issuer: string, subject: string): void {
  const cert = new X509Certificate(pem);
  const issuerCert = r.certOf(issuer);
  const subjectCert = r.certOf(subject);
  expect(cert.issuer).toBe(issuerCert.subject);
  expect(cert.subject).toBe(subjectCert.subject);
  expect(cert.publicKey.export({ format: 'der', type: 'spki' })).toEqual(subjectCert.publicKey.export({ format: 'der', type: 'spki' }));
  expect(cert.verify(issuerCert.publicKey)).toBe(true);
  expect(cert.ca).toBe(true);
}

/** The issuer CA names of a chain, read from the certificates (issuer CNs). */
const issuersOf = (chain: string[]) => chain.map((pem) => /CN=([^\n,]+)/.exec(new X509Certificate(pem).issuer)![1]);

describe('which CAs vouch for the current one', () => {
  it('every retired, not compromised, still valid CA, oldest first; not a compromised one, nor the CA itself', async () => {
    const r = await rig([['A', 3650], ['B', 3650], ['X', 3650], ['C', 3650]]);
    r.set('A', 'retired', 'B');
    r.set('B', 'retired', 'X');
    r.set('X', 'compromised');
    const chain = await r.svc.chainFor(r.ids.C!);
    expect(issuersOf(chain)).toEqual(['A', 'B']);
    expectCrossCert(r, chain[0]!, 'A', 'C');
    expectCrossCert(r, chain[1]!, 'B', 'C');
    // The compromised CA signed nothing; neither did the current CA (for itself).
    expect([r.signsBy('A'), r.signsBy('B'), r.signsBy('X'), r.signsBy('C')]).toEqual([1, 1, 0, 0]);
    expect(r.opened.sort()).toEqual([r.ids.A, r.ids.B].sort());
  });

  it('the chain of a retired CA holds the older retired CA\'s cross-certificate, not one of itself', async () => {
    const r = await rig([['A', 3650], ['B', 3650], ['C', 3650]]);
    r.set('A', 'retired', 'B');
    r.set('B', 'retired', 'C');
    const chain = await r.svc.chainFor(r.ids.B!);
    expect(issuersOf(chain)).toEqual(['A']);
    expectCrossCert(r, chain[0]!, 'A', 'B');
    expect(r.signsBy('B')).toBe(0);
    expect(r.crossRepo.get(r.ids.B!, r.ids.B!)).toBeNull();
  });

  it('a CA without any transition (current) does not vouch for another', async () => {
    const r = await rig([['A', 3650], ['C', 3650]]);
    expect(await r.svc.chainFor(r.ids.C!)).toEqual([]);
    expect(r.signsBy('A')).toBe(0);
  });

  it('a CA compromised while it signed: its cross-certificate is stored but not sent', async () => {
    const r = await rig([['A', 3650], ['B', 3650], ['C', 3650]]);
    r.set('A', 'retired', 'B');
    r.set('B', 'retired', 'C');
    r.hooks.beforeSign = (keyRef) => {
      if (keyRef === r.keyRefs.A) r.set('A', 'compromised');
    };
    const chain = await r.svc.chainFor(r.ids.C!);
    expect(issuersOf(chain)).toEqual(['B']);
    expect(r.crossRepo.get(r.ids.A!, r.ids.C!)).not.toBeNull();
  });

  it('an unknown subject CA id: no chain (nothing to send), nothing signed', async () => {
    const r = await rig([['A', 3650], ['C', 3650]]);
    r.set('A', 'retired', 'C');
    expect(await r.svc.chainFor('0b6f3c2e-4a1d-4c8e-9f00-1234567890ab')).toEqual([]);
    expect(r.signsBy('A')).toBe(0);
    expect(r.opened).toEqual([]);
    expect(r.crossAudits()).toEqual([]);
    // Not a failure of a CA either: nothing logged.
    expect(r.logger.entries).toEqual([]);
  });
});

describe('validity at the console\'s clock (expired from notAfter on)', () => {
  it('a retired CA whose own certificate expires: vouches until the millisecond before its notAfter, not at it', async () => {
    // A (1 day) is made at T0: its notAfter is T0 + 1 day; C an hour later, valid for ten years.
    const r = await rig([['A', 1], ['B', 3650], ['C', 3650]]);
    r.set('A', 'retired', 'B');
    r.set('B', 'retired', 'C');
    const aNotAfter = T0 + DAY;
    expect(Date.parse(r.certOf('A').validTo)).toBe(aNotAfter);
    r.f.clock.set(aNotAfter - 1);
    expect(issuersOf(await r.svc.chainFor(r.ids.C!))).toEqual(['A', 'B']);
    r.f.clock.set(aNotAfter);
    expect(issuersOf(await r.svc.chainFor(r.ids.C!))).toEqual(['B']);
  });

  it('an expired retired CA without a cross-certificate is not asked to sign one', async () => {
    const r = await rig([['A', 1], ['C', 3650]]);
    r.set('A', 'retired', 'C');
    r.f.clock.set(T0 + DAY);
    expect(await r.svc.chainFor(r.ids.C!)).toEqual([]);
    expect(r.signsBy('A')).toBe(0);
    expect(r.opened).toEqual([]);
  });

  it('a cross-certificate ends with the earlier CA\'s expiry: sent until the millisecond before its notAfter, not at it', async () => {
    // C (2 days) is the one that expires first: the cross-certificate's notAfter is C's (docs/fleet-ca.md).
    const r = await rig([['A', 3650], ['C', 2]]);
    r.set('A', 'retired', 'C');
    const cNotAfter = T0 + 3_600_000 + 2 * DAY;
    expect(await r.svc.chainFor(r.ids.C!)).toHaveLength(1);
    expect(r.crossRepo.get(r.ids.A!, r.ids.C!)!.notAfter).toBe(iso(cNotAfter));
    r.f.clock.set(cNotAfter - 1);
    expect(await r.svc.chainFor(r.ids.C!)).toHaveLength(1);
    r.f.clock.set(cNotAfter);
    expect(await r.svc.chainFor(r.ids.C!)).toEqual([]);
    expect(r.signsBy('A')).toBe(1);
  });
});

describe('signed once per pair and stored', () => {
  it('a missing cross-certificate is signed once and stored; later chains send the stored one without opening the CA', async () => {
    const r = await rig([['A', 3650], ['C', 3650]]);
    r.set('A', 'retired', 'C');
    expect(r.crossRepo.get(r.ids.A!, r.ids.C!)).toBeNull();
    const first = await r.svc.chainFor(r.ids.C!);
    const stored = r.crossRepo.get(r.ids.A!, r.ids.C!)!;
    expect(stored).toMatchObject({ issuerCaId: r.ids.A, subjectCaId: r.ids.C, createdAt: iso(T0 + 2 * 3_600_000) });
    expect(new X509Certificate(first[0]!).raw).toEqual(stored.certDer);
    expect(new X509Certificate(stored.certDer).serialNumber.toLowerCase()).toBe(stored.serial);
    expect(r.signsBy('A')).toBe(1);
    expect(r.opened).toEqual([r.ids.A]);
    expect(await r.svc.chainFor(r.ids.C!)).toEqual(first);
    expect(r.signsBy('A')).toBe(1);
    expect(r.opened).toEqual([r.ids.A]);
  });

  it('two chains asked at once sign once', async () => {
    const r = await rig([['A', 3650], ['C', 3650]]);
    r.set('A', 'retired', 'C');
    const [one, two] = await Promise.all([r.svc.chainFor(r.ids.C!), r.svc.chainFor(r.ids.C!)]);
    expect(one).toHaveLength(1);
    expect(two).toEqual(one);
    expect(r.signsBy('A')).toBe(1);
    expect(r.crossAudits()).toHaveLength(1);
  });

  it('chains of two CAs asked at once: each gets the cross-certificate for itself (one signing per pair, not per issuer)', async () => {
    const r = await rig([['A', 3650], ['B', 3650], ['C', 3650]]);
    r.set('A', 'retired', 'B');
    r.set('B', 'retired', 'C');
    const [forB, forC] = await Promise.all([r.svc.chainFor(r.ids.B!), r.svc.chainFor(r.ids.C!)]);
    expect(issuersOf(forB)).toEqual(['A']);
    expectCrossCert(r, forB[0]!, 'A', 'B');
    expect(issuersOf(forC)).toEqual(['A', 'B']);
    expectCrossCert(r, forC[0]!, 'A', 'C');
    expectCrossCert(r, forC[1]!, 'B', 'C');
    expect(r.signsBy('A')).toBe(2);
  });

  it('one stored by someone else while it signed (ca:replace\'s): the stored one is sent, the pair keeps one certificate', async () => {
    const r = await rig([['A', 3650], ['C', 3650]]);
    r.set('A', 'retired', 'C');
    let first = true;
    r.hooks.beforeSign = async (keyRef) => {
      if (!first || keyRef !== r.keyRefs.A) return;
      first = false;
      const other = await openFleetCa({ caId: r.ids.A!, provider: r.inner, clock: r.f.clock, audit: r.f.audit, repo: r.f.repo });
      r.crossRepo.save(await r.svc.sign(other, r.ids.C!, r.f.repo.getCa(r.ids.C!)!.certDer));
    };
    const chain = await r.svc.chainFor(r.ids.C!);
    // Two certificates were signed for the pair (the other one outside the counted provider): two audits.
    expect(r.crossAudits().map((a) => a.outcome)).toEqual(['success', 'success']);
    const stored = r.crossRepo.get(r.ids.A!, r.ids.C!)!;
    expect(chain.map((pem) => new X509Certificate(pem).raw)).toEqual([stored.certDer]);
    expect(await r.svc.chainFor(r.ids.C!)).toEqual(chain);
  });

  it('sign: a stored one is returned as stored without signing; a missing one is signed but not stored (save stores it once)', async () => {
    const r = await rig([['A', 3650], ['C', 3650]]);
    const issuer = await openFleetCa({ caId: r.ids.A!, provider: r.inner, clock: r.f.clock, audit: r.f.audit, repo: r.f.repo });
    const subjectDer = r.f.repo.getCa(r.ids.C!)!.certDer;
    const made = await r.svc.sign(issuer, r.ids.C!, subjectDer, 'bob');
    expect(made).toMatchObject({ issuerCaId: r.ids.A, subjectCaId: r.ids.C, createdAt: iso(r.f.clock.now()), notAfter: iso(T0 + 3650 * DAY) }); // A's, which ends first
    expect(new X509Certificate(made.certDer).serialNumber.toLowerCase()).toBe(made.serial);
    expect(r.crossRepo.get(r.ids.A!, r.ids.C!)).toBeNull();
    r.svc.save(made);
    r.svc.save({ ...made, serial: '01', createdAt: iso(T0) });
    expect(r.crossRepo.get(r.ids.A!, r.ids.C!)).toEqual(made);
    const before = r.crossAudits().length;
    const failing = { id: r.ids.A!, issueCrossCertificate: () => Promise.reject(new Error('must not sign')) };
    expect(await r.svc.sign(failing, r.ids.C!, subjectDer)).toEqual(made);
    expect(r.crossAudits()).toHaveLength(before);
  });
});

describe('a CA whose key cannot sign', () => {
  it('is skipped (logged, audited ca.cross_certify failure), the others are still sent, and it is asked again next time', async () => {
    const r = await rig([['A', 3650], ['B', 3650], ['C', 3650]]);
    r.set('A', 'retired', 'B');
    r.set('B', 'retired', 'C');
    let down = true;
    r.hooks.beforeSign = (keyRef) => {
      if (down && keyRef === r.keyRefs.A) throw new Error('provider unreachable');
    };
    const chain = await r.svc.chainFor(r.ids.C!, 'bob');
    expect(issuersOf(chain)).toEqual(['B']);
    expect(r.crossRepo.get(r.ids.A!, r.ids.C!)).toBeNull();
    const warned = r.logger.entries.filter((e) => e.level === 'warn');
    expect(warned).toHaveLength(1);
    expect(warned[0]!.message).toMatch(/cross-certificate/);
    expect(warned[0]!.fields).toMatchObject({ caId: r.ids.A, subjectCaId: r.ids.C });
    expect(r.crossAudits().map((a) => [a.actor, a.targetId, a.outcome, a.details?.caId, a.details?.subjectCaId])).toEqual([
      ['bob', r.ids.A, 'failure', r.ids.A, r.ids.C],
      ['bob', r.ids.B, 'success', r.ids.B, r.ids.C],
    ]);
    down = false;
    expect(issuersOf(await r.svc.chainFor(r.ids.C!))).toEqual(['A', 'B']);
    expect(r.signsBy('A')).toBe(2);
  });

  it('a CA whose key its provider refuses to read (disabled: the CA cannot be opened) is skipped too, audited with the provider\'s code', async () => {
    const r = await rig([['A', 3650], ['B', 3650], ['C', 3650]]);
    r.set('A', 'retired', 'B');
    r.set('B', 'retired', 'C');
    await r.inner.disable(r.keyRefs.A!);
    const chain = await r.svc.chainFor(r.ids.C!, 'bob');
    expect(issuersOf(chain)).toEqual(['B']);
    expect(r.logger.entries.filter((e) => e.level === 'warn').map((e) => e.fields?.caId)).toEqual([r.ids.A]);
    // docs/fleet-ca.md: ca.cross_certify, target the retired CA, a failure with the provider's code (docs/providers.md:
    // a disabled key is key_disabled).
    const failed = r.crossAudits().filter((a) => a.outcome === 'failure');
    expect(failed.map((a) => [a.actor, a.targetType, a.targetId])).toEqual([['bob', null, r.ids.A]]);
    expect(failed[0]!.details).toMatchObject({ caId: r.ids.A, subjectCaId: r.ids.C, code: 'key_disabled', provider: r.inner.id, providerCode: 'KeyState' });
    // Asked again once the key is back.
    await r.inner.enable(r.keyRefs.A!);
    expect(issuersOf(await r.svc.chainFor(r.ids.C!))).toEqual(['A', 'B']);
  });

  it('without an actor, a CA that cannot be opened is audited as the system', async () => {
    const r = await rig([['A', 3650], ['C', 3650]]);
    r.set('A', 'retired', 'C');
    await r.inner.disable(r.keyRefs.A!);
    expect(await r.svc.chainFor(r.ids.C!)).toEqual([]);
    expect(r.crossAudits().map((a) => [a.actor, a.outcome])).toEqual([['system', 'failure']]);
  });
});

describe('the actor recorded for the signing (ca.cross_certify)', () => {
  it('the one who asked for the chain; the opened CA\'s actor when none is given', async () => {
    const r = await rig([['A', 3650], ['B', 3650], ['C', 3650]]);
    r.set('A', 'retired', 'C');
    await r.svc.chainFor(r.ids.C!, 'bob');
    r.set('B', 'retired', 'C');
    await r.svc.chainFor(r.ids.C!);
    const audits = r.crossAudits();
    expect(audits.map((a) => [a.actor, a.targetId, a.outcome])).toEqual([['bob', r.ids.A, 'success'], ['opener', r.ids.B, 'success']]);
    const stored = r.crossRepo.get(r.ids.A!, r.ids.C!)!;
    expect(audits[0]!.details).toEqual({ caId: r.ids.A, subjectCaId: r.ids.C, serial: stored.serial, notAfter: stored.notAfter });
  });
});
