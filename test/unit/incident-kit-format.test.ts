// The incident kit's bytes and the offline console over them (docs/incident-kit.md, "What is inside", "Offline
// rules"), in process so Stryker sees them (the round trip through a console is test/integration/incident-kit.test.ts,
// outside the mutation run). Every kit here is built by the test from the documented layout with raw node:crypto:
// the manifest signed with Ed25519 over "ECPS-INCIDENT-KIT-v1" 0x00 body, kit.sealed AES-256-GCM (nonce 12 | ciphertext
// | tag 16, the store's sealing layout) under a data key with AAD "ecps/incident-kit/v1|<kitId>", the responder's slot
// the data key under scrypt(passphrase) with AAD "ecps/kit-slot/v1|<kitId>|<responder>|N=..,r=..,p=..", the chain's
// lines written out from docs/audit-log.md's record line plus a "signature" member, each signed over
// "ECPS-KIT-RECORD|<kitId>|<hash>", the head over "ECPS-KIT-HEAD|<kitId>|<seq>|<hash>". Ed25519 signatures are
// deterministic, so the module's lines and head files are compared byte for byte with the test's.
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomUUID, scryptSync, sign, type KeyObject } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  chainAppend, encodeManifest, headFileOf, kitGenesis, openKit, readManifest, sealKit, usesByOrder, verifyKitChain, type KitRecord,
} from '../../electron/services/incidentKit/kitFormat.ts';
import { openOfflineKit, problemOf } from '../../electron/services/incidentKit/offlineKit.ts';
import type { AuditDetails } from '../../electron/services/audit/auditLog.ts';
import { ConsoleError } from '../../shared/errors.ts';
import {
  clock, consoleKey, gcm, genesis, handChain, handKit, headFile, kitFolder, kitFolderWith, KDF, linesOf, newDir, NOW, ORDER_1, ORDER_2, ORDER_FILE_1, PASS, REC,
  refusal, removeKitDirs, RESPONDER, robot, ungcm, type HandKit,
} from './incident-kit-testkit.ts';

afterAll(removeKitDirs);
const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

describe('kitFormat: the manifest', () => {
  it('reads a manifest made to the documented layout: its body, body bytes, signature and audit key', () => {
    const k = handKit();
    const m = readManifest(k.manifest);
    expect(m.body).toEqual(k.body);
    expect(m.bodyBytes.equals(k.bodyBytes)).toBe(true);
    expect(m.signature.equals(k.signature)).toBe(true);
    expect(m.auditKeySpki.equals(consoleKey.publicKey.export({ format: 'der', type: 'spki' }))).toBe(true);
  });

  const outer = (k: HandKit, over: Record<string, unknown>) => JSON.stringify({ ...JSON.parse(k.manifest), ...over });
  const k = handKit();
  const other = generateKeyPairSync('ed25519');
  const resign = (body: Record<string, unknown>) => {
    const bytes = Buffer.from(JSON.stringify(body));
    return JSON.stringify({ format: 'ECPS-INCIDENT-KIT-v1', body: bytes.toString('base64'), signature: sign(null, Buffer.concat([Buffer.from('ECPS-INCIDENT-KIT-v1\0'), bytes]), consoleKey.privateKey).toString('base64'), auditKey: consoleKey.publicKey.export({ format: 'der', type: 'spki' }).toString('base64') });
  };
  const cases: Array<[string, () => string, string, string]> = [
    ['not JSON', () => 'manifest', 'invalid_input', 'malformed'],
    ['JSON null', () => 'null', 'invalid_input', 'malformed'],
    ['a JSON string', () => '"ECPS-INCIDENT-KIT-v1"', 'invalid_input', 'malformed'],
    ['another format', () => outer(k, { format: 'ECPS-INCIDENT-KIT-v2' }), 'invalid_input', 'malformed'],
    ['no body', () => outer(k, { body: undefined }), 'invalid_input', 'malformed'],
    ['a signature that is not a string', () => outer(k, { signature: 5 }), 'invalid_input', 'malformed'],
    ['no audit key', () => outer(k, { auditKey: null }), 'invalid_input', 'malformed'],
    ['a body byte changed', () => outer(k, { body: Buffer.from(k.bodyBytes.toString().replace('"robots":4', '"robots":5')).toString('base64') }), 'integrity_failure', 'manifest_tampered'],
    ['signed by another key than the one it names', () => outer(k, { signature: sign(null, Buffer.concat([Buffer.from('ECPS-INCIDENT-KIT-v1\0'), k.bodyBytes]), other.privateKey).toString('base64') }), 'integrity_failure', 'manifest_tampered'],
    ['signed without the format prefix', () => outer(k, { signature: sign(null, k.bodyBytes, consoleKey.privateKey).toString('base64') }), 'integrity_failure', 'manifest_tampered'],
    ['an audit key that is no key', () => outer(k, { auditKey: Buffer.from('no key').toString('base64') }), 'integrity_failure', 'manifest_tampered'],
    ['version 2, signed', () => resign({ ...k.body, v: 2 }), 'invalid_input', 'malformed'],
    ['no kit id, signed', () => resign({ ...k.body, kitId: 12 }), 'invalid_input', 'malformed'],
    ['orders not a list, signed', () => resign({ ...k.body, orders: {} }), 'invalid_input', 'malformed'],
  ];
  it.each(cases)('refuses %s', async (_n, text, code, kitError) => {
    expect(await refusal(() => readManifest(text()))).toMatchObject({ code, kitError });
  });

  it('the refusals name the file and the format', async () => {
    expect((await refusal(() => readManifest('x'))).message).toBe('Incident kit: manifest.json is not JSON.');
    expect((await refusal(() => readManifest('{}'))).message).toBe('Incident kit: manifest.json is not an ECPS-INCIDENT-KIT-v1 manifest.');
    expect((await refusal(() => readManifest(resign({ ...k.body, v: 2 })))).message).toBe('Incident kit: unsupported manifest version.');
  });
});

describe('kitFormat: the sealed payload and the responder slot', () => {
  it('opens a kit sealed by hand with the responder\'s passphrase', async () => {
    const k = handKit();
    expect(await openKit(k.body, k.sealed, PASS)).toEqual(k.payload);
  });

  it('a wrong passphrase, or a slot bound to another kit id, responder or scrypt parameters, is wrong_passphrase', async () => {
    const k = handKit();
    expect(await refusal(() => openKit(k.body, k.sealed, 'not it'))).toMatchObject({ code: 'wrong_passphrase', message: `The passphrase does not open alice's slot of incident kit ${k.kitId}.` });
    expect((await refusal(() => openKit({ ...k.body, responder: 'bob' }, k.sealed, PASS))).code).toBe('wrong_passphrase');
    expect((await refusal(() => openKit({ ...k.body, kitId: randomUUID() }, k.sealed, PASS))).code).toBe('wrong_passphrase');
    // r and p change the derivation too, so the AAD is what a swapped N would be caught by; p=1 -> 2 and back checks
    // the derived key; the AAD names every parameter (a slot sealed under another AAD text is refused below).
    expect((await refusal(() => openKit({ ...k.body, slot: { ...k.body.slot, r: 4 } }, k.sealed, PASS))).code).toBe('wrong_passphrase');
  });

  it('the slot AAD names each scrypt parameter: a slot sealed with the right key under another AAD text is refused', async () => {
    const k = handKit();
    const kek = scryptSync(Buffer.from(PASS), Buffer.from(k.body.slot.salt, 'base64'), 32, KDF);
    for (const aad of [`ecps/kit-slot/v1|${k.kitId}|alice|N=1024,r=8`, `ecps/kit-slot/v1|${k.kitId}|alice|N=1024,r=8,p=2`, `ecps/kit-slot/v1|${k.kitId}|alice|N=2048,r=8,p=1`, `ecps/kit-slot/v1|${k.kitId}|alice|`]) {
      const body = { ...k.body, slot: { ...k.body.slot, sealed: gcm(kek, k.dataKey, aad).toString('base64') } };
      expect((await refusal(() => openKit(body, k.sealed, PASS))).code).toBe('wrong_passphrase');
    }
    const right = { ...k.body, slot: { ...k.body.slot, sealed: gcm(kek, k.dataKey, `ecps/kit-slot/v1|${k.kitId}|alice|N=1024,r=8,p=1`).toString('base64') } };
    expect((await openKit(right, k.sealed, PASS)).orders).toHaveLength(2);
  });

  it('a responder name in another Unicode form opens the same slot (NFC in the AAD)', async () => {
    const k = handKit({ responder: 'Jose\u0301', slotResponder: 'Jos\u00e9' });
    expect((await openKit(k.body, k.sealed, PASS)).v).toBe(1);
  });

  it('sealed data changed, or sealed for another kit id, is integrity_failure payload_tampered', async () => {
    const k = handKit();
    const flipped = Buffer.from(k.sealed);
    flipped.writeUInt8(flipped.readUInt8(20) ^ 1, 20);
    expect(await refusal(() => openKit(k.body, flipped, PASS))).toMatchObject({ code: 'integrity_failure', kitError: 'payload_tampered' });
    const otherId = gcm(k.dataKey, Buffer.from(JSON.stringify(k.payload)), `ecps/incident-kit/v1|${randomUUID()}`);
    expect(await refusal(() => openKit(k.body, otherId, PASS))).toMatchObject({ code: 'integrity_failure', kitError: 'payload_tampered' });
  });

  it('sealKit writes what the documented layout opens by hand (slot AAD with the NFC name and parameters, payload AAD)', async () => {
    const kitId = randomUUID();
    const payload = handKit().payload;
    const { sealed, slot } = await sealKit(kitId, 'Jose\u0301', PASS, KDF, payload);
    expect(slot).toMatchObject({ N: 1024, r: 8, p: 1 });
    expect(Buffer.from(slot.salt, 'base64')).toHaveLength(16);
    const kek = scryptSync(Buffer.from(PASS), Buffer.from(slot.salt, 'base64'), 32, KDF);
    const dataKey = ungcm(kek, Buffer.from(slot.sealed, 'base64'), `ecps/kit-slot/v1|${kitId}|Jos\u00e9|N=1024,r=8,p=1`);
    expect(dataKey).toHaveLength(32);
    expect(JSON.parse(ungcm(dataKey, sealed, `ecps/incident-kit/v1|${kitId}`).toString('utf8'))).toEqual(payload);
  });
});

describe('kitFormat: the kit audit chain', () => {
  const recs = [REC('kit.open'), REC('kit.order.use', { details: '{"orderId":"o1","use":1}' }), REC('kit.robot.quarantine', { targetType: 'robot', targetId: 'uv-001', details: '{"orderId":"o1","reason":"stolen"}' })];

  it('the genesis is SHA-256("ECPS-UV-KIT-AUDIT-GENESIS-V1|<kitId>")', () => {
    expect(kitGenesis('k-1')).toBe(sha('ECPS-UV-KIT-AUDIT-GENESIS-V1|k-1'));
  });

  it('verifies a chain written by hand and returns its records and head', () => {
    const kk = generateKeyPairSync('ed25519');
    const { lines, hashes } = handChain('k-1', kk.privateKey, recs);
    const chain = verifyKitChain('k-1', kk.publicKey, `${lines.join('\n')}\n`, headFile('k-1', kk.privateKey, 3, hashes[2]!));
    expect(chain.head).toEqual({ seq: 3, hash: hashes[2] });
    expect(chain.records.map((r) => [r.seq, r.action, r.targetType, r.targetId, r.outcome, r.hash])).toEqual([
      [1, 'kit.open', 'store', 'k', 'success', hashes[0]], [2, 'kit.order.use', 'store', 'k', 'success', hashes[1]], [3, 'kit.robot.quarantine', 'robot', 'uv-001', 'success', hashes[2]],
    ]);
    expect(chain.records[2]).toMatchObject({ ts: '2026-12-05T09:00:00.000Z', actor: 'alice', details: { orderId: 'o1', reason: 'stolen' } });
    // An empty chain: the head at seq 0 names the genesis.
    expect(verifyKitChain('k-1', kk.publicKey, '', headFile('k-1', kk.privateKey, 0, genesis('k-1')))).toEqual({ records: [], head: { seq: 0, hash: genesis('k-1') } });
  });

  it('a record with null target type and id verifies and reads back as null', () => {
    const kk = generateKeyPairSync('ed25519');
    const { lines, hashes } = handChain('k-n', kk.privateKey, [REC('kit.lock', { targetType: null, targetId: null, details: '{"reason":"idle"}' })]);
    const chain = verifyKitChain('k-n', kk.publicKey, lines.join('\n'), headFile('k-n', kk.privateKey, 1, hashes[0]!));
    expect(chain.records[0]).toMatchObject({ targetType: null, targetId: null });
  });

  it('chainAppend and headFileOf write byte for byte the lines and head written by hand', () => {
    const kk = generateKeyPairSync('ed25519');
    const { lines, hashes } = handChain('k-2', kk.privateKey, recs);
    let head = { seq: 0, hash: genesis('k-2') };
    const details: AuditDetails[] = [{ offline: true }, { orderId: 'o1', use: 1 }, { reason: 'stolen', orderId: 'o1' }];
    recs.forEach((r, i) => {
      const next = chainAppend('k-2', kk.privateKey, head, { ts: r.ts, actor: r.actor, action: r.action, targetType: r.targetType, targetId: r.targetId, outcome: r.outcome as 'success', details: details[i]! });
      expect(next.line).toBe(lines[i]);
      expect(next.headFile).toBe(headFile('k-2', kk.privateKey, i + 1, hashes[i]!));
      expect(next.record).toMatchObject({ seq: i + 1, hash: hashes[i], action: r.action });
      head = { seq: i + 1, hash: hashes[i]! };
    });
    expect(headFileOf('k-2', kk.privateKey, 0, genesis('k-2'))).toBe(headFile('k-2', kk.privateKey, 0, genesis('k-2')));
  });

  // Each way docs/incident-kit.md lists (edited, removed, reordered, cut, spliced) and each check of the walk.
  const kk = generateKeyPairSync('ed25519');
  const stranger = generateKeyPairSync('ed25519');
  const good = handChain('k-3', kk.privateKey, recs);
  const H = (seq: number, hash: string, key: KeyObject = kk.privateKey, kitId = 'k-3') => headFile(kitId, key, seq, hash);
  const goodHead = H(3, good.hashes[2]!);
  const swap = (i: number, line: string) => good.lines.map((l, j) => (j === i ? line : l));
  const tamper: Array<[string, () => [string, string], number]> = [
    ['a record edited (its reason)', () => [swap(2, good.lines[2]!.replace('stolen', 'lost')).join('\n'), goodHead], 3],
    ['a record\'s sequence number changed', () => [swap(1, good.lines[1]!.replace('"seq":2', '"seq":5')).join('\n'), goodHead], 2],
    ['a record removed from the middle', () => [[good.lines[0], good.lines[2]].join('\n'), goodHead], 2],
    ['two records swapped', () => [[good.lines[1], good.lines[0], good.lines[2]].join('\n'), goodHead], 1],
    ['the last record cut off (head kept)', () => [good.lines.slice(0, 2).join('\n'), goodHead], 2],
    ['a line that is not JSON', () => [swap(1, '{"seq":2').join('\n'), goodHead], 2],
    ['a record without signature', () => [swap(0, good.lines[0]!.replace(/,"signature":"[^"]*"/, '')).join('\n'), goodHead], 1],
    ['a record whose details are null', () => [swap(0, good.lines[0]!.replace('"details":{"offline":true}', '"details":null')).join('\n'), goodHead], 1],
    ['a record written with a space', () => [swap(0, good.lines[0]!.replace('"seq":1,', '"seq":1, ')).join('\n'), goodHead], 1],
    ['a record whose details are not in sorted order', () => [handChain('k-3', kk.privateKey, [REC('kit.open', { details: '{"z":1,"a":2}' })]).lines.join('\n'), H(1, handChain('k-3', kk.privateKey, [REC('kit.open', { details: '{"z":1,"a":2}' })]).hashes[0]!)], 1],
    ['a record signed by another key', () => { const s = handChain('k-3', stranger.privateKey, recs); return [[good.lines[0], s.lines[1], good.lines[2]].join('\n'), goodHead]; }, 2],
    ['a record signed for another kit', () => { const s = handChain('k-other', kk.privateKey, recs, { prevOf: (i, p) => (i === 0 ? genesis('k-3') : p) }); return [s.lines.slice(0, 1).join('\n'), H(1, s.hashes[0]!)]; }, 1],
    ['a chain starting from another kit\'s genesis (spliced)', () => { const s = handChain('k-other', kk.privateKey, recs); return [s.lines.slice(0, 1).join('\n'), H(1, s.hashes[0]!)]; }, 1],
    ['a link broken by the key holder (re-signed)', () => { const s = handChain('k-3', kk.privateKey, recs, { prevOf: (i, p) => (i === 1 ? genesis('k-3') : p) }); return [s.lines.join('\n'), H(3, s.hashes[2]!)]; }, 2],
    ['a head file that is not JSON', () => [good.lines.join('\n'), 'head'], 3],
    ['a head naming fewer records', () => [good.lines.join('\n'), H(2, good.hashes[1]!)], 3],
    ['a head with the right count and another hash', () => [good.lines.join('\n'), H(3, good.hashes[1]!)], 3],
    ['a head counting one more record', () => [good.lines.join('\n'), H(4, good.hashes[2]!)], 3],
    ['a head without signature', () => [good.lines.join('\n'), JSON.stringify({ seq: 3, head: good.hashes[2] })], 3],
    ['a head signed by another key', () => [good.lines.join('\n'), H(3, good.hashes[2]!, stranger.privateKey)], 3],
    ['a head signed for another kit', () => [good.lines.join('\n'), H(3, good.hashes[2]!, kk.privateKey, 'k-other')], 3],
    ['a head whose seq is a string', () => [good.lines.join('\n'), JSON.stringify({ ...JSON.parse(goodHead), seq: '3' })], 3],
    ['an empty chain whose head names a record', () => ['', goodHead], 0],
  ];
  it.each(tamper)('refuses %s (audit_tampered at the record named)', async (_n, make, seq) => {
    const [audit, head] = make();
    expect(await refusal(() => verifyKitChain('k-3', kk.publicKey, audit, head))).toMatchObject({ code: 'integrity_failure', kitError: 'audit_tampered', seq });
  });

  it('the refusal names the check that failed', async () => {
    expect((await refusal(() => verifyKitChain('k-3', kk.publicKey, [good.lines[1], good.lines[0]].join('\n'), goodHead))).message).toBe('The incident kit\'s audit chain fails at record 1: sequence 2 where 1 belongs.');
    expect((await refusal(() => verifyKitChain('k-3', kk.publicKey, good.lines.join('\n'), H(2, good.hashes[1]!)))).message).toBe('The incident kit\'s audit chain fails at record 3: the signed head does not name the last record (records were removed or added).');
  });

  it('usesByOrder counts the successful kit.order.use records per order id, nothing else', () => {
    const r = (action: string, outcome: 'success' | 'failure', details: KitRecord['details']): KitRecord => ({ seq: 1, ts: '', actor: 'a', action, targetType: 'store', targetId: 'k', outcome, details, hash: '' });
    const uses = usesByOrder([
      r('kit.order.use', 'success', { orderId: 'A' }), r('kit.order.use', 'success', { orderId: 'A' }), r('kit.order.use', 'success', { orderId: 'B' }),
      r('kit.order.use', 'failure', { orderId: 'A' }), r('kit.robot.quarantine', 'success', { orderId: 'A' }), r('kit.order.use', 'success', { orderId: 5 }),
      r('kit.order.use', 'success', {}),
    ]);
    expect([...uses]).toEqual([['A', 2], ['B', 1]]);
  });
});

describe('offlineKit: opening', () => {
  it('opens, records kit.open (actor the responder, target the kit, offline) and moves the signed head', async () => {
    const { dir, k } = kitFolder();
    const kit = await openOfflineKit(dir, RESPONDER, PASS, clock(NOW));
    const lines = linesOf(dir);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ seq: 1, ts: NOW.toISOString(), actor: 'alice', action: 'kit.open', targetType: 'store', targetId: k.kitId, outcome: 'success', prev: genesis(k.kitId) });
    expect(lines[0]!.details).toEqual({ offline: true });
    const chain = verifyKitChain(k.kitId, k.kitKey.publicKey, readFileSync(join(dir, 'audit.jsonl'), 'utf8'), readFileSync(join(dir, 'audit-head.json'), 'utf8'));
    expect(chain.head.seq).toBe(1);
    expect(kit.info()).toEqual({
      offline: true, providers: 'none', kitId: k.kitId, responder: 'alice', exportedAt: '2026-12-05T08:00:00.000Z', exportedBy: 'alice', robots: 4, certificates: 0, crlNumber: null, auditRecords: 1,
      // The hand-made payload is the format before distrust orders (no distrustCas member): each order shows its
      // actions and no distrusted CA.
      orders: [
        { name: 'site Plant 1', orderId: ORDER_1.orderId, sequence: 7, scope: { site: 'Plant 1' }, expiresAt: ORDER_1.expiresAt, maxUses: 2, used: 0, remaining: 2, expired: false, actions: ['stop_operating'] },
        { name: 'robot uv-003', orderId: ORDER_2.orderId, sequence: 8, scope: { deviceIds: ['uv-003'] }, expiresAt: ORDER_2.expiresAt, maxUses: 1, used: 0, remaining: 1, expired: false, actions: ['stop_operating'] },
      ],
    });
    expect((await kit.audit()).verified).toBe(true);
    expect(await kit.certificates()).toEqual({ certificates: [], crl: null });
  });

  it('checks in the documented order: manifest, sealed file hash, responder, passphrase, then the chain', async () => {
    const other = handKit();
    // Sealed file of another kit: its hash does not match the manifest (before the responder or passphrase matter).
    const a = kitFolder();
    writeFileSync(join(a.dir, 'kit.sealed'), other.sealed);
    expect(await refusal(() => openOfflineKit(a.dir, 'mallory', 'wrong', clock(NOW)))).toMatchObject({ code: 'integrity_failure', kitError: 'payload_tampered' });
    // Another operator: refused before the passphrase, and no throttle file is written for it.
    const b = kitFolder();
    expect(await refusal(() => openOfflineKit(b.dir, 'bob', PASS, clock(NOW)))).toMatchObject({ code: 'forbidden', kitError: 'wrong_responder', message: `Incident kit ${b.k.kitId} was made for alice, not bob.` });
    // Wrong passphrase: nothing appended.
    expect(await refusal(() => openOfflineKit(b.dir, RESPONDER, 'wrong', clock(NOW)))).toMatchObject({ code: 'wrong_passphrase' });
    expect(readFileSync(join(b.dir, 'audit.jsonl'), 'utf8')).toBe('');
    // A chain changed beside the kit: refused after the passphrase opened it.
    const c = kitFolder();
    writeFileSync(join(c.dir, 'audit-head.json'), headFile(c.k.kitId, c.k.kitKey.privateKey, 1, genesis(c.k.kitId)));
    expect(await refusal(() => openOfflineKit(c.dir, RESPONDER, PASS, clock(NOW)))).toMatchObject({ code: 'integrity_failure', kitError: 'audit_tampered' });
    // A missing file: not_found, naming it.
    const d = kitFolder();
    rmSync(join(d.dir, 'audit-head.json'));
    expect(await refusal(() => openOfflineKit(d.dir, RESPONDER, PASS, clock(NOW)))).toMatchObject({ code: 'not_found', kitError: 'malformed', message: `Incident kit ${d.dir} has no readable audit-head.json.` });
  });

  it('the responder\'s name matches in another Unicode form', async () => {
    const { dir } = kitFolder(handKit({ responder: 'Jos\u00e9' }));
    expect((await openOfflineKit(dir, 'Jose\u0301', PASS, clock(NOW))).info().responder).toBe('Jos\u00e9');
  });

  it('the wrong passphrases before the right one are recorded in kit.open (failedAttemptsBefore)', async () => {
    const { dir } = kitFolder();
    for (let i = 0; i < 2; i++) expect((await refusal(() => openOfflineKit(dir, RESPONDER, 'wrong', clock(NOW)))).code).toBe('wrong_passphrase');
    await openOfflineKit(dir, RESPONDER, PASS, clock(NOW));
    expect(linesOf(dir)[0]!.details).toEqual({ offline: true, failedAttemptsBefore: 2 });
  });
});

describe('offlineKit: using an order', () => {
  it('quarantines the robots of the copy in its scope (sorted), skips those that cannot be, records each step', async () => {
    const robots = [robot('uv-010'), robot('uv-002', { updatedAt: '2026-12-03T00:00:00.000Z' }), robot('uv-004', { status: 'revoked' }), robot('uv-003', { site: 'Plant 2' }), robot('uv-001', { status: 'quarantined' })];
    const { dir, k } = kitFolder(handKit({ robots }));
    const later = new Date('2026-12-06T09:30:00.000Z');
    let t = NOW;
    const kit = await openOfflineKit(dir, RESPONDER, PASS, () => t);
    t = later;
    const use = await kit.useOrder('site Plant 1', 'uv-009 stolen');
    expect(use.quarantined).toEqual(['uv-002', 'uv-010']);
    expect(use.skipped).toEqual([{ deviceId: 'uv-001', status: 'quarantined' }, { deviceId: 'uv-004', status: 'revoked' }]);
    expect(use.file.equals(ORDER_FILE_1)).toBe(true);
    expect(use.fileName).toBe('ecps-lockdown-7-01234567.json');
    expect(use.order).toMatchObject({ used: 1, remaining: 1, expired: false });
    const lines = linesOf(dir);
    expect(lines.map((l) => [l.seq, l.action, l.targetType, l.targetId, l.outcome])).toEqual([
      [1, 'kit.open', 'store', k.kitId, 'success'], [2, 'kit.order.use', 'store', k.kitId, 'success'],
      [3, 'kit.robot.quarantine', 'robot', 'uv-002', 'success'], [4, 'kit.robot.quarantine', 'robot', 'uv-010', 'success'],
    ]);
    expect(lines[1]!.details).toEqual({ orderId: ORDER_1.orderId, name: 'site Plant 1', sequence: 7, scope: '{"site":"Plant 1"}', use: 1, maxUses: 2, reason: 'uv-009 stolen' });
    expect(lines[2]!.details).toEqual({ orderId: ORDER_1.orderId, reason: 'uv-009 stolen', statusAtExport: 'deployed', updatedAtExport: '2026-12-03T00:00:00.000Z' });
    expect(lines[2]!.ts).toBe(later.toISOString());
    // The copy as the console shows it: the chain replayed over it.
    const byId = new Map(kit.robots().map((r) => [r.deviceId, r]));
    expect(byId.get('uv-002')).toMatchObject({ status: 'quarantined', statusReason: 'uv-009 stolen', updatedAt: later.toISOString() });
    expect(byId.get('uv-003')).toMatchObject({ status: 'deployed', updatedAt: '2026-12-02T00:00:00.000Z' });
    expect(byId.get('uv-004')!.status).toBe('revoked');
    expect(kit.info().auditRecords).toBe(4);
    // Opened again: the quarantines and the use come back from the chain; the second use finds them quarantined.
    const again = await openOfflineKit(dir, RESPONDER, PASS, () => t);
    expect(new Map(again.robots().map((r) => [r.deviceId, r.status])).get('uv-010')).toBe('quarantined');
    expect(again.robots().find((r) => r.deviceId === 'uv-010')!.statusReason).toBe('uv-009 stolen');
    expect(again.info().orders[0]).toMatchObject({ used: 1, remaining: 1 });
    const second = await again.useOrder(ORDER_1.orderId, 'again');
    expect(second.quarantined).toEqual([]);
    expect(second.order).toMatchObject({ used: 2, remaining: 0 });
    expect(linesOf(dir).at(-1)!.details).toMatchObject({ use: 2 });
  });

  it('a distrust order (distrust_ca) quarantines no robot: its use records the CAs it distrusts, and the order file is written as for any order', async () => {
    // docs/incident-kit.md, "Containing a compromised fleet CA offline": the robots are not compromised, the CA is.
    const CA = { caId: '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f', keyId: 'ab'.repeat(32), subject: 'CN=Fleet CA Plant', state: 'current' };
    const DISTRUST = { name: 'distrust-ca:current', orderId: '00112233445566778899aabbccddeeff', sequence: 9, expiresAt: ORDER_1.expiresAt, maxUses: 1, scope: { fleet: true as const }, actions: ['distrust_ca' as const, 'refuse_revoked_peers' as const], file: ORDER_FILE_1.toString('base64'), distrustCas: [CA] };
    const { dir, k } = kitFolder(handKit({ orders: [DISTRUST, ORDER_1] }));
    const kit = await openOfflineKit(dir, RESPONDER, PASS, clock(NOW));
    expect(kit.info().orders.map((o) => [o.name, o.actions, o.distrustCas])).toEqual([['distrust-ca:current', ['distrust_ca', 'refuse_revoked_peers'], [CA]], ['site Plant 1', ['stop_operating'], undefined]]);
    const use = await kit.useOrder('distrust-ca:current', 'CA key leaked');
    expect([use.quarantined, use.skipped, use.file.equals(ORDER_FILE_1)]).toEqual([[], [], true]);
    expect(use.order).toMatchObject({ used: 1, remaining: 0, distrustCas: [CA] });
    const lines = linesOf(dir);
    expect(lines.map((l) => [l.action, l.targetId, l.outcome])).toEqual([['kit.open', k.kitId, 'success'], ['kit.order.use', k.kitId, 'success']]);
    expect(lines[1]!.details).toEqual({ orderId: DISTRUST.orderId, name: 'distrust-ca:current', sequence: 9, scope: '{"fleet":true}', use: 1, maxUses: 1, reason: 'CA key leaked', distrustCaIds: CA.caId, distrustCas: CA.keyId });
    expect(kit.robots().map((r) => r.status)).toEqual(['deployed', 'deployed', 'deployed', 'revoked']);
    // A use beyond its maximum is refused as for any order.
    expect(await refusal(() => kit.useOrder('distrust-ca:current', 'again'))).toMatchObject({ code: 'usage_limit_reached', kitError: 'order_exhausted' });
  });

  it('refuses a use past the maximum (usage_limit_reached, order_exhausted), recorded as a failure', async () => {
    const { dir, k } = kitFolder();
    const kit = await openOfflineKit(dir, RESPONDER, PASS, clock(NOW));
    await kit.useOrder('robot uv-003', 'once');
    expect(await refusal(() => kit.useOrder('robot uv-003', 'twice'))).toMatchObject({ code: 'usage_limit_reached', kitError: 'order_exhausted', message: 'Order "robot uv-003" was used 1 time(s), its maximum.' });
    const last = linesOf(dir).at(-1)!;
    expect(last).toMatchObject({ action: 'kit.order.use', outcome: 'failure', targetId: k.kitId, details: { orderId: ORDER_2.orderId, name: 'robot uv-003', kitError: 'order_exhausted', reason: 'twice' } });
    expect(kit.info().orders[1]).toMatchObject({ used: 1, remaining: 0 });
    // Removing the use to win it back breaks the chain (the head names the last record).
    const lines = readFileSync(join(dir, 'audit.jsonl'), 'utf8').split('\n').filter((l) => l !== '');
    writeFileSync(join(dir, 'audit.jsonl'), `${lines.filter((l) => !l.includes('"kit.order.use"')).join('\n')}\n`);
    expect(await refusal(() => openOfflineKit(dir, RESPONDER, PASS, clock(NOW)))).toMatchObject({ kitError: 'audit_tampered' });
    const audit = await kit.audit();
    expect(audit).toMatchObject({ verified: false, head: null, problem: { code: 'integrity_failure', kitError: 'audit_tampered' } });
    expect(audit.records).toHaveLength(4); // open, use, quarantine of uv-003, the refused use
  });

  it('refuses an expired order (illegal_transition, order_expired), at its expiry instant too, recorded as a failure', async () => {
    const { dir } = kitFolder();
    const at = new Date(ORDER_2.expiresAt);
    const kit = await openOfflineKit(dir, RESPONDER, PASS, clock(at));
    expect(kit.info().orders.map((o) => o.expired)).toEqual([false, true]);
    expect(await refusal(() => kit.useOrder('robot uv-003', 'late'))).toMatchObject({ code: 'illegal_transition', kitError: 'order_expired', message: `Order "robot uv-003" expired at ${ORDER_2.expiresAt}; it can no longer be used.` });
    expect(linesOf(dir).at(-1)).toMatchObject({ action: 'kit.order.use', outcome: 'failure', details: { kitError: 'order_expired', reason: 'late' } });
    // One millisecond before, it is used.
    const { dir: dir2 } = kitFolder();
    const kit2 = await openOfflineKit(dir2, RESPONDER, PASS, clock(new Date(at.getTime() - 1)));
    expect((await kit2.useOrder('robot uv-003', 'in time')).quarantined).toEqual(['uv-003']);
  });

  it('refuses a missing or too long reason, and an unknown order naming those the kit holds; nothing recorded', async () => {
    const { dir } = kitFolder();
    const kit = await openOfflineKit(dir, RESPONDER, PASS, clock(NOW));
    for (const reason of ['', '   ', 'x'.repeat(501)]) expect(await refusal(() => kit.useOrder('site Plant 1', reason))).toMatchObject({ code: 'invalid_input', message: 'A reason of 1-500 characters is required.' });
    expect((await kit.useOrder('robot uv-003', 'x'.repeat(500))).quarantined).toEqual(['uv-003']);
    expect(await refusal(() => kit.useOrder('site Plant 9', 'r'))).toMatchObject({ code: 'not_found', kitError: 'unknown_order', message: 'The kit holds no order named "site Plant 9" (it holds: site Plant 1, robot uv-003).' });
    expect(linesOf(dir).map((l) => l.action)).toEqual(['kit.open', 'kit.order.use', 'kit.robot.quarantine']);
    const empty = kitFolder(handKit({ orders: [] }));
    const kit2 = await openOfflineKit(empty.dir, RESPONDER, PASS, clock(NOW));
    expect((await refusal(() => kit2.useOrder('x', 'r'))).message).toBe('The kit holds no order named "x" (it holds: none).');
  });

  it('lock records kit.lock with its reason; audit() re-reads the folder', async () => {
    const { dir, k } = kitFolder();
    const kit = await openOfflineKit(dir, RESPONDER, PASS, clock(NOW));
    await kit.lock('idle');
    expect(linesOf(dir).at(-1)).toMatchObject({ seq: 2, action: 'kit.lock', targetType: 'store', targetId: k.kitId, outcome: 'success', details: { reason: 'idle' } });
    const audit = await kit.audit();
    expect(audit).toMatchObject({ verified: true, problem: null, head: { seq: 2 } });
    expect(audit.records.map((r) => r.action)).toEqual(['kit.open', 'kit.lock']);
    appendFileSync(join(dir, 'audit.jsonl'), 'extra\n');
    expect((await kit.audit()).problem).toMatchObject({ kitError: 'audit_tampered' });
  });
});

describe('offlineKit: helpers', () => {
  it('problemOf gives code, message and kit check; anything else is internal', () => {
    expect(problemOf(new ConsoleError('integrity_failure', 'm', { kitError: 'audit_tampered' }))).toEqual({ code: 'integrity_failure', message: 'm', kitError: 'audit_tampered' });
    expect(problemOf(new ConsoleError('not_found', 'n'))).toEqual({ code: 'not_found', message: 'n', kitError: null });
    expect(problemOf(new ConsoleError('not_found', 'n', { kitError: 3 }))).toEqual({ code: 'not_found', message: 'n', kitError: null });
    expect(problemOf(new Error('x'))).toEqual({ code: 'internal', message: 'The kit could not be read.', kitError: null });
  });
});

// Round (q)'s survivors of the first run over kitFormat.ts and offlineKit.ts: the refusal texts, the head's seq and hash
// checks each alone, the replay rule, the throttle's wait, details of refusals, the robot order and the certificates.
describe('kit survivors of round (q)', () => {
  const kk = generateKeyPairSync('ed25519');
  const recs = [REC('kit.open'), REC('kit.lock', { details: '{"reason":"idle"}' })];
  const good = handChain('k-9', kk.privateKey, recs);
  const headSig = (seq: number, hash: string) => sign(null, Buffer.from(`ECPS-KIT-HEAD|k-9|${seq}|${hash}`), kk.privateKey).toString('base64');
  const reasons: Array<[string, string, string, string]> = [
    ['a line that is not JSON', 'x', headFile('k-9', kk.privateKey, 1, good.hashes[0]!), 'record 1: not JSON'],
    ['no signature member', good.lines[0]!.replace(/,"signature":"[^"]*"/, ''), headFile('k-9', kk.privateKey, 1, good.hashes[0]!), 'record 1: no signature'],
    ['details null', good.lines[0]!.replace('"details":{"offline":true}', '"details":null'), headFile('k-9', kk.privateKey, 1, good.hashes[0]!), 'record 1: no signature'],
    ['not canonical', good.lines[0]!.replace('"seq":1,', '"seq":1, '), headFile('k-9', kk.privateKey, 1, good.hashes[0]!), 'record 1: not in canonical form'],
    ['link broken', good.lines[1]!, headFile('k-9', kk.privateKey, 1, good.hashes[1]!), 'record 1: sequence 2 where 1 belongs'],
    ['signature of another key', handChain('k-9', generateKeyPairSync('ed25519').privateKey, recs).lines[0]!, headFile('k-9', kk.privateKey, 1, good.hashes[0]!), 'record 1: its signature does not verify'],
    ['head not JSON', good.lines.join('\n'), '{', 'record 2: the head file is not JSON'],
    // Each of the head's checks alone: the signature is over the right seq and hash, the member is not.
    ['head seq 3, signed for 2', good.lines.join('\n'), JSON.stringify({ seq: 3, head: good.hashes[1], signature: headSig(2, good.hashes[1]!) }), 'record 2: the signed head does not name the last record (records were removed or added)'],
    ['head naming record 1, signed for record 2', good.lines.join('\n'), JSON.stringify({ seq: 2, head: good.hashes[0], signature: headSig(2, good.hashes[1]!) }), 'record 2: the signed head does not name the last record (records were removed or added)'],
  ];
  it.each(reasons)('the chain refusal says why: %s', async (_n, audit, head, why) => {
    expect((await refusal(() => verifyKitChain('k-9', kk.publicKey, audit, head))).message).toBe(`The incident kit's audit chain fails at ${why}.`);
  });

  it('a broken link says so (a chain re-signed by the key holder)', async () => {
    const s = handChain('k-9', kk.privateKey, recs, { prevOf: (i, p) => (i === 1 ? 'f'.repeat(64) : p) });
    expect((await refusal(() => verifyKitChain('k-9', kk.publicKey, s.lines.join('\n'), headFile('k-9', kk.privateKey, 2, s.hashes[1]!)))).message).toBe('The incident kit\'s audit chain fails at record 2: its link to the record before is broken.');
  });

  it('the manifest and payload refusals say what was changed', async () => {
    const k = handKit();
    const forged = JSON.stringify({ ...JSON.parse(k.manifest), signature: sign(null, k.bodyBytes, consoleKey.privateKey).toString('base64') });
    expect((await refusal(() => readManifest(forged))).message).toBe('The incident kit\'s manifest signature does not verify: the manifest was changed.');
    const flipped = Buffer.from(k.sealed);
    flipped.writeUInt8(flipped.readUInt8(30) ^ 1, 30);
    expect((await refusal(() => openKit(k.body, flipped, PASS))).message).toBe('The incident kit\'s sealed data fails its authentication: it was changed.');
    const a = kitFolder();
    writeFileSync(join(a.dir, 'kit.sealed'), handKit().sealed);
    expect((await refusal(() => openOfflineKit(a.dir, RESPONDER, PASS, clock(NOW)))).message).toBe('The incident kit\'s sealed data does not match its signed manifest.');
  });

  it('sealed data that matches the manifest\'s hash but fails authentication is payload_tampered, not a wrong passphrase (and not counted)', async () => {
    const spoil = (s: Buffer) => {
      const b = Buffer.from(s);
      b.writeUInt8(b.readUInt8(40) ^ 1, 40);
      return b;
    };
    const { dir } = kitFolder(handKit({ spoilSealed: spoil }));
    for (let i = 0; i < 4; i++) expect(await refusal(() => openOfflineKit(dir, RESPONDER, PASS, clock(NOW)))).toMatchObject({ code: 'integrity_failure', kitError: 'payload_tampered' });
    expect(existsSync(join(dir, 'throttle.json'))).toBe(false);
  });

  it('wrong passphrases: free ones say nothing more; the one that starts a wait says it, with retryAfterMs (docs: 3 free, then 5 s)', async () => {
    const { dir } = kitFolder();
    const attempt = async () => {
      try {
        await openOfflineKit(dir, RESPONDER, 'wrong', clock(NOW));
      } catch (e) {
        if (e instanceof ConsoleError) return { code: e.code, message: e.message, details: e.details };
        throw e;
      }
      throw new Error('opened');
    };
    const base = (k: string) => `The passphrase does not open alice's slot of incident kit ${k}.`;
    const kitId = JSON.parse(Buffer.from(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).body, 'base64').toString()).kitId as string;
    expect(await attempt()).toEqual({ code: 'wrong_passphrase', message: base(kitId), details: undefined });
    expect(await attempt()).toEqual({ code: 'wrong_passphrase', message: base(kitId), details: undefined });
    expect(await attempt()).toEqual({ code: 'wrong_passphrase', message: `${base(kitId)} Too many wrong passphrases: try again in 5 s.`, details: { retryAfterMs: 5000 } });
    expect((await attempt()).code).toBe('too_many_attempts');
  });

  it('opening replays only successful quarantines of robots in the copy; a record without reason gives an empty reason', async () => {
    const k = handKit();
    const { dir } = kitFolderWith(k, [
      REC('kit.robot.quarantine', { targetType: 'robot', targetId: 'uv-001', outcome: 'failure', details: '{"reason":"r1"}' }),
      REC('kit.order.use', { targetType: 'robot', targetId: 'uv-002', details: '{"reason":"r2"}' }),
      REC('kit.robot.quarantine', { targetType: 'robot', targetId: 'uv-999', details: '{"reason":"r3"}' }),
      REC('kit.robot.quarantine', { targetType: 'robot', targetId: null, details: '{"reason":"r4"}' }),
      REC('kit.robot.quarantine', { targetType: 'robot', targetId: 'uv-003', details: '{}' }),
    ]);
    const kit = await openOfflineKit(dir, RESPONDER, PASS, clock(NOW));
    expect(kit.robots().map((r) => [r.deviceId, r.status, r.statusReason])).toEqual([['uv-001', 'deployed', null], ['uv-002', 'deployed', null], ['uv-003', 'quarantined', ''], ['uv-004', 'revoked', null]]);
    expect(linesOf(dir).at(-1)!.details).toEqual({ offline: true });
  });

  it('a use quarantines in device id order, whatever the copy\'s order', async () => {
    const ids = ['uv-050', 'uv-040', 'uv-030', 'uv-020', 'uv-010', 'uv-045', 'uv-015'];
    const { dir } = kitFolder(handKit({ robots: ids.map((id) => robot(id)) }));
    const kit = await openOfflineKit(dir, RESPONDER, PASS, clock(NOW));
    expect((await kit.useOrder('site Plant 1', 'r')).quarantined).toEqual(['uv-010', 'uv-015', 'uv-020', 'uv-030', 'uv-040', 'uv-045', 'uv-050']);
  });

  it('refusal details: the reason field, the order id; the failed use\'s record targets the kit (store)', async () => {
    const { dir, k } = kitFolder();
    const kit = await openOfflineKit(dir, RESPONDER, PASS, clock(new Date(ORDER_2.expiresAt)));
    try {
      await kit.useOrder('robot uv-003', '');
    } catch (e) {
      expect((e as ConsoleError).details).toEqual({ field: 'reason' });
    }
    try {
      await kit.useOrder('robot uv-003', 'late');
    } catch (e) {
      expect((e as ConsoleError).details).toEqual({ kitError: 'order_expired', orderId: ORDER_2.orderId });
    }
    expect(linesOf(dir).at(-1)).toMatchObject({ targetType: 'store', targetId: k.kitId, outcome: 'failure' });
    expect.assertions(3);
  });

  it('certificates() lists the copy\'s certificates without their PEM', async () => {
    const cert = { serial: '01ab', deviceId: 'uv-001', subject: 'CN=uv-001', notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2027-01-01T00:00:00.000Z', status: 'active' as const, pem: '-----BEGIN CERTIFICATE-----' };
    const { dir } = kitFolder(handKit({ certificates: [cert] }));
    const kit = await openOfflineKit(dir, RESPONDER, PASS, clock(NOW));
    expect(await kit.certificates()).toEqual({ certificates: [{ serial: '01ab', deviceId: 'uv-001', subject: 'CN=uv-001', notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2027-01-01T00:00:00.000Z', status: 'active' }], crl: null });
    expect(kit.info().certificates).toBe(1);
  });
});

// Round (aa): what the run of 2026-12-06 left of kitFormat.ts and offlineKit.ts besides the accepted equivalents.
describe('kit survivors of round (aa)', () => {
  it('encodeManifest writes the documented outer object: format, then body, signature and audit key in base64; readManifest reads it back', () => {
    const k = handKit();
    const spki = consoleKey.publicKey.export({ format: 'der', type: 'spki' });
    const text = encodeManifest(k.bodyBytes, k.signature, spki);
    expect(text).toBe(`{"format":"ECPS-INCIDENT-KIT-v1","body":"${k.bodyBytes.toString('base64')}","signature":"${k.signature.toString('base64')}","auditKey":"${spki.toString('base64')}"}`);
    expect(readManifest(text).body).toEqual(k.body);
  });

  it('a record whose details are not an object (a string, a number) is refused like one without details', async () => {
    const kk = generateKeyPairSync('ed25519');
    for (const details of ['"offline"', '5']) {
      const { lines, hashes } = handChain('k-d', kk.privateKey, [REC('kit.open', { details })]);
      expect((await refusal(() => verifyKitChain('k-d', kk.publicKey, lines.join('\n'), headFile('k-d', kk.privateKey, 1, hashes[0]!)))).message).toBe('The incident kit\'s audit chain fails at record 1: no signature.');
    }
  });

  it('without a clock given, the offline console records the time of the machine it runs on', async () => {
    const { dir } = kitFolder();
    const before = new Date().toISOString();
    await openOfflineKit(dir, RESPONDER, PASS);
    const after = new Date().toISOString();
    const ts = String(linesOf(dir)[0]!.ts);
    expect(ts >= before && ts <= after).toBe(true);
  });

  it('certificates() gives the number and the serials of the CRL the kit holds (a CRL made by OpenSSL)', async () => {
    const d = newDir();
    writeFileSync(join(d, 'index.txt'), 'R\t301231235959Z\t250101000000Z,keyCompromise\t4A1B2C3D4E5F60718293A4B5C6D7E8F9\tunknown\t/CN=uv-001\n');
    writeFileSync(join(d, 'crlnumber'), '07\n');
    writeFileSync(join(d, 'ca.cnf'), `[ca]\ndefault_ca=x\n[x]\ndatabase=${d}/index.txt\ncrlnumber=${d}/crlnumber\ndefault_md=sha256\ndefault_crl_days=7\n`);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(d, 'ca.key'), '-out', join(d, 'ca.pem'), '-subj', '/CN=Kit Test CA', '-days', '2'], { stdio: 'ignore' });
    const pem = execFileSync('openssl', ['ca', '-gencrl', '-config', join(d, 'ca.cnf'), '-keyfile', join(d, 'ca.key'), '-cert', join(d, 'ca.pem')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const { dir } = kitFolder(handKit({ crl: { pem, crlNumber: 7 } }));
    const kit = await openOfflineKit(dir, RESPONDER, PASS, clock(NOW));
    expect((await kit.certificates()).crl).toEqual({ crlNumber: 7, serials: ['4a1b2c3d4e5f60718293a4b5c6d7e8f9'] });
    expect(kit.info().crlNumber).toBe(7);
  });
});
