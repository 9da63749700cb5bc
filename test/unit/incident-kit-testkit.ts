// Incident kits made by hand from docs/incident-kit.md ("What is inside"), with raw node:crypto only, for the unit
// tests of kitFormat.ts, offlineKit.ts and kitService.ts: the manifest signed with Ed25519 over "ECPS-INCIDENT-KIT-v1"
// 0x00 body, kit.sealed AES-256-GCM (nonce 12 | ciphertext | tag 16) under a data key with AAD
// "ecps/incident-kit/v1|<kitId>", the responder's slot the data key under scrypt(passphrase) with AAD
// "ecps/kit-slot/v1|<kitId>|<responder NFC>|N=..,r=..,p=..", the chain's lines written out from docs/audit-log.md's
// record line plus a "signature" member signed over "ECPS-KIT-RECORD|<kitId>|<hash>", the head over
// "ECPS-KIT-HEAD|<kitId>|<seq>|<hash>".
import { createCipheriv, createDecipheriv, createHash, generateKeyPairSync, randomBytes, randomUUID, scryptSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KitPayload, ManifestBody } from '../../electron/services/incidentKit/kitFormat.ts';
import type { RobotRow } from '../../electron/store/fleetRepo.ts';
import { isConsoleError } from '../../shared/errors.ts';

const dirs: string[] = [];
export function removeKitDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}
export const newDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'ecps-kitfmt-'));
  dirs.push(d);
  return d;
};

export const KDF = { N: 1024, r: 8, p: 1 };
export const PASS = 'the responder passphrase 7';
export const RESPONDER = 'alice';
export const consoleKey = generateKeyPairSync('ed25519');
export const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

export function gcm(key: Buffer, plain: Buffer, aad: string): Buffer {
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([nonce, body, c.getAuthTag()]);
}
export function ungcm(key: Buffer, sealed: Buffer, aad: string): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  d.setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]);
}

export const robot = (deviceId: string, over: Partial<RobotRow> = {}): RobotRow => ({
  deviceId, name: deviceId, model: 'UV-7', site: 'Plant 1', firmware: '2.1.0', tags: ['ward-b'], status: 'deployed', statusReason: null, lastSeen: null,
  createdAt: '2026-12-01T00:00:00.000Z', updatedAt: '2026-12-02T00:00:00.000Z', ...over,
});

export const ORDER_FILE_1 = Buffer.from('{"format":"ECPS-LOCKDOWN-v1","body":"b3JkZXIgMQ==","signature":"c2ln"}');
export const ORDER_FILE_2 = Buffer.from('{"format":"ECPS-LOCKDOWN-v1","body":"b3JkZXIgMg==","signature":"c2ln"}');
export const ORDER_1 = { name: 'site Plant 1', orderId: '0123456789abcdef0123456789abcdef', sequence: 7, expiresAt: '2026-12-06T12:00:00.000Z', maxUses: 2, scope: { site: 'Plant 1' }, actions: ['stop_operating' as const], file: ORDER_FILE_1.toString('base64') };
export const ORDER_2 = { name: 'robot uv-003', orderId: 'fedcba9876543210fedcba9876543210', sequence: 8, expiresAt: '2026-12-06T10:00:00.000Z', maxUses: 1, scope: { deviceIds: ['uv-003'] }, actions: ['stop_operating' as const], file: ORDER_FILE_2.toString('base64') };
export const NOW = new Date('2026-12-06T09:00:00.000Z');

export interface HandKit {
  kitId: string;
  kitKey: { publicKey: KeyObject; privateKey: KeyObject };
  body: ManifestBody;
  bodyBytes: Buffer;
  signature: Buffer;
  manifest: string;
  sealed: Buffer;
  payload: KitPayload;
  dataKey: Buffer;
}

/** A kit as docs/incident-kit.md lays it out, made with node:crypto only. */
export function handKit(o: { responder?: string; robots?: RobotRow[]; orders?: KitPayload['orders']; signer?: KeyObject; bodyOver?: Record<string, unknown>; slotResponder?: string; consoleKey?: { publicKey: KeyObject; privateKey: KeyObject }; kitId?: string; certificates?: KitPayload['certificates']; crl?: KitPayload['crl']; spoilSealed?: (sealed: Buffer) => Buffer } = {}): HandKit {
  const kitId = o.kitId ?? randomUUID();
  const ck = o.consoleKey ?? consoleKey;
  const responder = o.responder ?? RESPONDER;
  const kitKey = generateKeyPairSync('ed25519');
  const payload: KitPayload = {
    v: 1, robots: o.robots ?? [robot('uv-001'), robot('uv-002'), robot('uv-003', { site: 'Plant 2' }), robot('uv-004', { status: 'revoked' })], certificates: o.certificates ?? [],
    crl: o.crl ?? null, emergencyPublicKeyPem: null, orders: o.orders ?? [ORDER_1, ORDER_2],
    kitAuditPrivateKey: kitKey.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
  };
  const dataKey = randomBytes(32);
  const made = gcm(dataKey, Buffer.from(JSON.stringify(payload)), `ecps/incident-kit/v1|${kitId}`);
  // spoilSealed: bytes changed before the manifest records their hash (only the authentication can tell).
  const sealed = o.spoilSealed ? o.spoilSealed(made) : made;
  const salt = randomBytes(16);
  const kek = scryptSync(Buffer.from(PASS.normalize('NFC')), salt, 32, KDF);
  const slotSealed = gcm(kek, dataKey, `ecps/kit-slot/v1|${kitId}|${(o.slotResponder ?? responder).normalize('NFC')}|N=${KDF.N},r=${KDF.r},p=${KDF.p}`);
  const body = {
    v: 1, kitId, exportedAt: '2026-12-05T08:00:00.000Z', exportedBy: responder, responder, expiresAt: '2026-12-06T12:00:00.000Z', robots: payload.robots.length,
    payloadSha256: sha(sealed), slot: { ...KDF, salt: salt.toString('base64'), sealed: slotSealed.toString('base64') },
    kitAuditKey: kitKey.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    orders: payload.orders.map(({ name, orderId, sequence, expiresAt, maxUses }) => ({ name, orderId, sequence, expiresAt, maxUses })), ...o.bodyOver,
  } as ManifestBody;
  const bodyBytes = Buffer.from(JSON.stringify(body));
  const signer = o.signer ?? ck.privateKey;
  const signature = sign(null, Buffer.concat([Buffer.from('ECPS-INCIDENT-KIT-v1\0'), bodyBytes]), signer);
  const manifest = JSON.stringify({ format: 'ECPS-INCIDENT-KIT-v1', body: bodyBytes.toString('base64'), signature: signature.toString('base64'), auditKey: ck.publicKey.export({ format: 'der', type: 'spki' }).toString('base64') });
  return { kitId, kitKey, body, bodyBytes, signature, manifest, sealed, payload, dataKey };
}

export const genesis = (kitId: string) => sha(`ECPS-UV-KIT-AUDIT-GENESIS-V1|${kitId}`);
export const headFile = (kitId: string, key: KeyObject, seq: number, hash: string) =>
  JSON.stringify({ seq, head: hash, signature: sign(null, Buffer.from(`ECPS-KIT-HEAD|${kitId}|${seq}|${hash}`), key).toString('base64') });

export interface HandRecord { ts: string; actor: string; action: string; targetType: string | null; targetId: string | null; outcome: string; details: string }
/** The chain's lines written out by hand: docs/audit-log.md's record line, then the kit key's signature member. */
export function handChain(kitId: string, key: KeyObject, recs: HandRecord[], o: { prevOf?: (i: number, prev: string) => string } = {}): { lines: string[]; hashes: string[] } {
  let prev = genesis(kitId);
  const lines: string[] = [];
  const hashes: string[] = [];
  recs.forEach((r, i) => {
    const p = o.prevOf ? o.prevOf(i, prev) : prev;
    const line = `{"seq":${i + 1},"ts":"${r.ts}","actor":"${r.actor}","action":"${r.action}","targetType":${r.targetType === null ? 'null' : `"${r.targetType}"`},"targetId":${r.targetId === null ? 'null' : `"${r.targetId}"`},"outcome":"${r.outcome}","details":${r.details},"prev":"${p}"}`;
    const hash = sha(line);
    const sig = sign(null, Buffer.from(`ECPS-KIT-RECORD|${kitId}|${hash}`), key).toString('base64');
    lines.push(`${line.slice(0, -1)},"signature":"${sig}"}`);
    hashes.push(hash);
    prev = hash;
  });
  return { lines, hashes };
}

export const REC = (action: string, over: Partial<HandRecord> = {}): HandRecord => ({ ts: '2026-12-05T09:00:00.000Z', actor: RESPONDER, action, targetType: 'store', targetId: 'k', outcome: 'success', details: '{"offline":true}', ...over });

/** The typed refusal: code and details.kitError (and seq when given). */
export async function refusal(fn: () => unknown): Promise<{ code: string; kitError: unknown; seq?: unknown; message: string }> {
  try {
    await fn();
  } catch (e) {
    if (isConsoleError(e)) return { code: e.code, kitError: e.details?.kitError, seq: e.details?.seq, message: e.message };
    throw e;
  }
  throw new Error('expected a refusal');
}

/** A kit folder: the hand-made kit's files, the chain empty with its signed head at the genesis. */
export function kitFolder(k: HandKit = handKit()): { dir: string; k: HandKit } {
  const dir = newDir();
  writeFileSync(join(dir, 'manifest.json'), k.manifest);
  writeFileSync(join(dir, 'kit.sealed'), k.sealed);
  writeFileSync(join(dir, 'audit.jsonl'), '');
  writeFileSync(join(dir, 'audit-head.json'), headFile(k.kitId, k.kitKey.privateKey, 0, genesis(k.kitId)));
  return { dir, k };
}
export const linesOf = (dir: string) => readFileSync(join(dir, 'audit.jsonl'), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown> & { details: Record<string, unknown> });
export const clock = (d: Date) => () => d;


/** A kit folder whose chain holds these records, written and signed by hand with the kit key. */
export function kitFolderWith(k: HandKit, recs: HandRecord[]): { dir: string; k: HandKit; hashes: string[]; lines: string[] } {
  const { dir } = kitFolder(k);
  const { lines, hashes } = handChain(k.kitId, k.kitKey.privateKey, recs);
  writeFileSync(join(dir, 'audit.jsonl'), lines.map((l) => `${l}\n`).join(''));
  writeFileSync(join(dir, 'audit-head.json'), headFile(k.kitId, k.kitKey.privateKey, lines.length, lines.length === 0 ? genesis(k.kitId) : hashes.at(-1)!));
  return { dir, k, hashes, lines };
}
