// Station protocol v1 byte for byte, from docs/provisioning-protocol.md ("Messages", "Key wrapping", "Transcript and
// key confirmation"). The test builds every field, hash, KEK and MAC itself from the written formulas with node:crypto,
// the way a robot's firmware would, and compares with what the console encodes, decodes and derives.
import {
  constants, createCipheriv, createDecipheriv, createECDH, createHash, createHmac, generateKeyPairSync, hkdfSync,
  privateDecrypt, publicEncrypt, randomBytes, type KeyObject,
} from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StationError } from '../../electron/station/errors.ts';
import { MessageType } from '../../electron/station/frame.ts';
import {
  SCHEME_ECDH_P256_AES256GCM, SCHEME_RSA_OAEP_SHA256, confirmationKey, consoleDoneMac, macEquals, robotConfirmMac, schemeFor, unwrapKey, wrapAad, wrapKey,
} from '../../electron/station/keywrap.ts';
import {
  RENEW_SEQ, caEndorsementInput, decodeRenew, decodeRenewed, distributeSeqs, encodeRenew, encodeRenewed, reissueSignatureInput, renewedSignatureInput,
  BUNDLE_ID_LENGTH, CONSOLE_SEQ, DEVICE_ID_PATTERN, DISTRIBUTE_CONSOLE_SEQ, DISTRIBUTE_ROBOT_SEQ, MAC_LENGTH, MAX_BUNDLE_FILE, NONCE_LENGTH, ROBOT_FRAME_TYPES, ROBOT_SEQ,
  decodeBundle, decodeCert, decodeChallenge, decodeCsr, decodeError, decodeHello, decodeInstalled, decodeKeys, decodeMac, encodeBundle, encodeCert, encodeChallenge, encodeCsr,
  encodeError, encodeHello, encodeInstalled, encodeKeys, encodeMac, errorFromRobot, nonceSignatureInput, stationErrorMessage, transcriptHash,
} from '../../electron/station/protocol.ts';

/** The documented field encoding, written independently: each field is u32 BE length | bytes; an integer is a 4-byte field. */
function fields(...parts: Array<Buffer | string | number>): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) {
    const bytes = typeof p === 'number' ? Buffer.from([p >>> 24, (p >>> 16) & 0xff, (p >>> 8) & 0xff, p & 0xff]) : typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
    out.push(Buffer.from([bytes.length >>> 24, (bytes.length >>> 16) & 0xff, (bytes.length >>> 8) & 0xff, bytes.length & 0xff]), bytes);
  }
  return Buffer.concat(out);
}

const n32 = () => randomBytes(32);
const badFrame = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(StationError);
    return (e as StationError).code;
  }
  return 'accepted';
};

describe('protocol constants (docs: frame types, sequence numbers, sizes)', () => {
  it('fixes the sequence numbers of each side and step', () => {
    expect(ROBOT_SEQ).toEqual({ HELLO: 0, CSR: 1, CONFIRM: 2 });
    expect(CONSOLE_SEQ).toEqual({ CHALLENGE: 0, CERT: 1, KEYS: 2, DONE: 3 });
    expect(DISTRIBUTE_ROBOT_SEQ).toEqual({ HELLO: 0, INSTALLED: 1 });
    expect(DISTRIBUTE_CONSOLE_SEQ).toEqual({ BUNDLE: 0, DONE: 1 });
    expect([NONCE_LENGTH, MAC_LENGTH, BUNDLE_ID_LENGTH, MAX_BUNDLE_FILE]).toEqual([32, 32, 16, 61440]);
  });

  it('lists the frame types a robot may send: HELLO, CSR, CONFIRM, INSTALLED, ORDER_ACK, RENEWED, ERROR', () => {
    expect([...ROBOT_FRAME_TYPES].sort((a, b) => a - b)).toEqual([0x01, 0x03, 0x06, 0x09, 0x0b, 0x0e, 0x7f]);
  });

  it('a re-issue exchange opens a distribution session: RENEW 0, CSR 1, CERT 1, RENEWED 2, the rest numbered on after them', () => {
    expect([MessageType.RENEW, MessageType.RENEWED]).toEqual([0x0d, 0x0e]);
    expect(RENEW_SEQ).toEqual({ RENEW: 0, CSR: 1, CERT: 1, RENEWED: 2 });
    // (items, console frames, renewed) -> [ack(0), ack(1), bundle, installed, done], from the docs' sequence table.
    const table: Array<[number, number, boolean, number[]]> = [
      [0, 0, false, [1, 2, 0, 1, 1]],
      [0, 0, true, [3, 4, 2, 3, 3]],
      [2, 2, true, [3, 4, 4, 5, 5]],
      [1, 3, true, [3, 4, 5, 4, 6]],
    ];
    for (const [items, frames, renewed, want] of table) {
      const s = distributeSeqs(items, frames, renewed);
      expect([s.ack(0), s.ack(1), s.bundle, s.installed, s.done], `${items}/${frames}/${renewed}`).toEqual(want);
    }
  });

  it('RENEW and RENEWED round-trip, and a RENEW without a proper endorser key id or endorsement is malformed', () => {
    const m = { consoleNonce: Buffer.alloc(32, 7), caCertDer: Buffer.from('ca'), endorserKeyId: 'a'.repeat(64), endorsement: Buffer.from('sig') };
    expect(decodeRenew(encodeRenew(m))).toEqual(m);
    expect(decodeRenewed(encodeRenewed({ signature: Buffer.from('s') }))).toEqual({ signature: Buffer.from('s') });
    expect(() => decodeRenew(encodeRenew({ ...m, endorserKeyId: 'A'.repeat(64) }))).toThrow(/endorser key id/);
    // docs/provisioning-protocol.md, "Re-issue after a CA replacement": an empty certificate or endorsement is bad_frame.
    const refused = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(StationError);
        return [(e as StationError).code, (e as StationError).message];
      }
      return ['accepted', ''];
    };
    expect(refused(() => decodeRenew(encodeRenew({ ...m, endorsement: Buffer.alloc(0) })))).toEqual(['bad_frame', 'malformed RENEW message: the CA certificate or its endorsement is missing']);
    expect(() => decodeRenewed(encodeRenewed({ signature: Buffer.alloc(0) }))).toThrow(/malformed RENEWED message: the signature is missing/);
  });

  it('RENEW refuses trailing bytes, a short or long key id, a missing CA certificate, and names itself', () => {
    const m = { consoleNonce: Buffer.alloc(32, 7), caCertDer: Buffer.from('ca'), endorserKeyId: 'b'.repeat(64), endorsement: Buffer.from('sig') };
    const good = encodeRenew(m);
    expect(() => decodeRenew(Buffer.concat([good, Buffer.from([0, 0, 0, 1, 9])]))).toThrow(/RENEW/);
    expect(() => decodeRenew(good.subarray(0, good.length - 2))).toThrow(/RENEW/);
    expect(() => decodeRenew(encodeRenew({ ...m, endorserKeyId: 'b'.repeat(63) }))).toThrow(/endorser key id/);
    expect(() => decodeRenew(encodeRenew({ ...m, endorserKeyId: `${'b'.repeat(63)}g` }))).toThrow(/malformed RENEW message: the endorser key id/);
    expect(() => decodeRenew(encodeRenew({ ...m, endorserKeyId: `g${'b'.repeat(63)}` }))).toThrow(/endorser key id/);
    expect(() => decodeRenew(encodeRenew({ ...m, caCertDer: Buffer.alloc(0) }))).toThrow(/malformed RENEW message: the CA certificate or its endorsement is missing/);
    const renewed = encodeRenewed({ signature: Buffer.from('s') });
    expect(() => decodeRenewed(Buffer.concat([renewed, Buffer.from([0, 0, 0, 1, 9])]))).toThrow(/RENEWED/);
  });

  it('the re-issue signature inputs bind every field and differ by purpose (docs/provisioning-protocol.md)', () => {
    const n1 = Buffer.alloc(32, 1);
    const n2 = Buffer.alloc(32, 2);
    const csr = Buffer.from('csr');
    const ca = Buffer.from('ca');
    const base = reissueSignatureInput('uv-1', n1, n2, csr, ca);
    // Each input, changed alone, changes what is signed.
    for (const other of [
      reissueSignatureInput('uv-2', n1, n2, csr, ca), reissueSignatureInput('uv-1', n2, n2, csr, ca), reissueSignatureInput('uv-1', n1, n1, csr, ca),
      reissueSignatureInput('uv-1', n1, n2, Buffer.from('csR'), ca), reissueSignatureInput('uv-1', n1, n2, csr, Buffer.from('cA')),
    ]) expect(other.equals(base)).toBe(false);
    expect(base.includes(Buffer.from('ECPS-REISSUE-v1 possession'))).toBe(true);
    // The hashes are carried, not the raw CSR or CA certificate.
    expect(base.includes(createHash('sha256').update(csr).digest())).toBe(true);
    expect(base.includes(createHash('sha256').update(ca).digest())).toBe(true);
    const stored = renewedSignatureInput('uv-1', n1, n2, Buffer.from('cert'));
    expect(stored.includes(Buffer.from('ECPS-REISSUE-v1 stored'))).toBe(true);
    expect(stored.includes(createHash('sha256').update(Buffer.from('cert')).digest())).toBe(true);
    for (const other of [renewedSignatureInput('uv-2', n1, n2, Buffer.from('cert')), renewedSignatureInput('uv-1', n2, n2, Buffer.from('cert')), renewedSignatureInput('uv-1', n1, n1, Buffer.from('cert')), renewedSignatureInput('uv-1', n1, n2, Buffer.from('cerT'))]) {
      expect(other.equals(stored)).toBe(false);
    }
    const endorse = caEndorsementInput(ca);
    expect(endorse.includes(Buffer.from('ECPS-CA-ENDORSE-v1'))).toBe(true);
    expect(endorse.includes(ca)).toBe(true);
    expect(caEndorsementInput(Buffer.from('cb')).equals(endorse)).toBe(false);
  });

  it('device ids are 1-64 characters of [A-Za-z0-9][A-Za-z0-9._-]*', () => {
    for (const ok of ['R', 'uv-1', 'UV_7.a-b', `a${'b'.repeat(63)}`, '0']) expect(DEVICE_ID_PATTERN.test(ok), ok).toBe(true);
    for (const bad of ['', '-uv', '.uv', '_uv', 'uv 1', 'uv/1', `a${'b'.repeat(64)}`, 'uv\n', 'ü', 'uv:1']) expect(DEVICE_ID_PATTERN.test(bad), bad).toBe(false);
  });
});

describe('protocol messages, byte for byte', () => {
  const rn = n32();
  const cn = n32();

  it('HELLO: device id, robot nonce, firmware', () => {
    const bytes = fields('uv-1', rn, 'fw 2.1');
    expect(encodeHello({ deviceId: 'uv-1', robotNonce: rn, firmware: 'fw 2.1' })).toEqual(bytes);
    expect(decodeHello(bytes)).toEqual({ deviceId: 'uv-1', robotNonce: rn, firmware: 'fw 2.1' });
    expect(decodeHello(fields(`a${'b'.repeat(63)}`, rn, 'f'.repeat(64))).deviceId).toHaveLength(64);
    expect(decodeHello(fields('uv-1', rn, '')).firmware).toBe('');
  });

  it.each([
    ['a 65-character device id', fields(`a${'b'.repeat(64)}`, randomBytes(32), 'fw')],
    ['an empty device id', fields('', randomBytes(32), 'fw')],
    ['a device id with a slash', fields('a/b', randomBytes(32), 'fw')],
    ['a 31-byte nonce', fields('uv-1', randomBytes(31), 'fw')],
    ['a 33-byte nonce', fields('uv-1', randomBytes(33), 'fw')],
    ['a 65-character firmware', fields('uv-1', randomBytes(32), 'f'.repeat(65))],
    ['a control character in the firmware', fields('uv-1', randomBytes(32), 'fw\u0007')],
    ['DEL in the firmware', fields('uv-1', randomBytes(32), 'fw\u007f')],
    ['a NUL in the device id', fields('uv\u00001', randomBytes(32), 'fw')],
    ['invalid UTF-8', fields(Buffer.from([0x75, 0xc3]), randomBytes(32), 'fw')],
    ['a missing field', fields('uv-1', randomBytes(32))],
    ['a trailing byte', Buffer.concat([fields('uv-1', randomBytes(32), 'fw'), Buffer.from([0])])],
    ['a trailing field', fields('uv-1', randomBytes(32), 'fw', 'x')],
    ['a length past the end', Buffer.concat([fields('uv-1', randomBytes(32)), Buffer.from([0, 0, 0, 3, 0x66])])],
    ['three bytes of a length', Buffer.concat([fields('uv-1', randomBytes(32)), Buffer.from([0, 0, 0])])],
    ['nothing', Buffer.alloc(0)],
  ])('HELLO with %s is bad_frame', (_what, payload) => {
    expect(badFrame(() => decodeHello(payload))).toBe('bad_frame');
  });

  it('a malformed message says which message and why', () => {
    expect(() => decodeHello(Buffer.alloc(0))).toThrow('malformed HELLO message: truncated');
    expect(() => decodeHello(fields('uv-1', randomBytes(31), 'fw'))).toThrow('malformed HELLO message: field must be 32 bytes');
    expect(() => decodeHello(fields('uv-1', randomBytes(33), 'fw'))).toThrow('malformed HELLO message: field length out of bounds');
    expect(() => decodeHello(fields('uv-1', n32(), 'f'.repeat(65)))).toThrow('malformed HELLO message: field length out of bounds');
    expect(() => decodeHello(fields('uv-1', n32(), 'fw\u0001'))).toThrow('malformed HELLO message: text field is not clean UTF-8');
    expect(() => decodeHello(fields('a/b', n32(), 'fw'))).toThrow('malformed HELLO message: device id has invalid characters');
    expect(() => decodeChallenge(Buffer.concat([fields(n32(), n32()), Buffer.from([1])]))).toThrow('malformed CHALLENGE message: trailing bytes');
  });

  const RSA_SPKI = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' });
  it.each([
    ['HELLO', () => decodeHello(Buffer.concat([fields('uv-1', n32(), 'fw'), Buffer.from([0])]))],
    ['CHALLENGE', () => decodeChallenge(Buffer.concat([fields(n32(), n32()), Buffer.from([0])]))],
    ['CSR', () => decodeCsr(Buffer.concat([fields(n32(), n32(), 'csr', 'sig'), Buffer.from([0])]))],
    // A CERT's optional last field is the emergency key: a trailing byte after it is refused.
    ['CERT', () => decodeCert(Buffer.concat([fields('cert', 0, RSA_SPKI), Buffer.from([0])]))],
    ['KEYS', () => decodeKeys(Buffer.concat([fields(1, 'k', 1, 1, 'w'), Buffer.from([0])]))],
    ['CONFIRM', () => decodeMac(Buffer.concat([fields(n32()), Buffer.from([0])]), 'CONFIRM')],
    ['BUNDLE', () => decodeBundle(Buffer.concat([fields('file'), Buffer.from([0])]))],
    ['INSTALLED', () => decodeInstalled(Buffer.concat([fields(randomBytes(16), 1, n32()), Buffer.from([0])]))],
    ['ERROR', () => decodeError(Buffer.concat([fields('timeout', 'm'), Buffer.from([0])]))],
  ])('%s with a trailing byte: "malformed %s message: trailing bytes"', (name, decode) => {
    expect(decode).toThrow(`malformed ${name} message: trailing bytes`);
  });

  it('BUNDLE and INSTALLED name their own rule when refused', () => {
    expect(() => decodeBundle(fields(''))).toThrow('malformed BUNDLE message: empty bundle file');
    expect(() => decodeInstalled(fields(randomBytes(16), 0, n32()))).toThrow('malformed INSTALLED message: sequence must be at least 1');
  });

  it('CHALLENGE: the echoed robot nonce and a 32-byte console nonce', () => {
    expect(encodeChallenge({ robotNonce: rn, consoleNonce: cn })).toEqual(fields(rn, cn));
    expect(decodeChallenge(fields(rn, cn))).toEqual({ robotNonce: rn, consoleNonce: cn });
    for (const bad of [fields(rn, randomBytes(31)), fields(randomBytes(33), cn), fields(rn), Buffer.concat([fields(rn, cn), Buffer.from([0])])]) {
      expect(badFrame(() => decodeChallenge(bad))).toBe('bad_frame');
    }
  });

  it('CSR: both nonces, the CSR DER and the nonce signature', () => {
    const m = { robotNonce: rn, consoleNonce: cn, csrDer: randomBytes(400), nonceSignature: randomBytes(72) };
    const bytes = fields(rn, cn, m.csrDer, m.nonceSignature);
    expect(encodeCsr(m)).toEqual(bytes);
    expect(decodeCsr(bytes)).toEqual(m);
    expect(badFrame(() => decodeCsr(fields(rn, cn, m.csrDer)))).toBe('bad_frame');
    expect(badFrame(() => decodeCsr(fields(rn, randomBytes(16), m.csrDer, m.nonceSignature)))).toBe('bad_frame');
    expect(badFrame(() => decodeCsr(Buffer.concat([bytes, Buffer.from([0])])))).toBe('bad_frame');
  });

  it('CERT: certificate, u32 chain count, chain certificates (at most 8)', () => {
    const cert = randomBytes(500);
    const chain = [randomBytes(300), randomBytes(310)];
    const bytes = fields(cert, 2, ...chain);
    expect(encodeCert({ certDer: cert, chainDer: chain })).toEqual(bytes);
    expect(decodeCert(bytes)).toEqual({ certDer: cert, chainDer: chain });
    expect(decodeCert(fields(cert, 0))).toEqual({ certDer: cert, chainDer: [] });
    const eight = Array.from({ length: 8 }, () => randomBytes(10));
    expect(decodeCert(fields(cert, 8, ...eight)).chainDer).toHaveLength(8);
    expect(() => decodeCert(fields(cert, 9, ...eight, randomBytes(10)))).toThrow('malformed CERT message: chain too long');
    expect(badFrame(() => decodeCert(fields(cert, 3, ...chain)))).toBe('bad_frame');
    expect(badFrame(() => decodeCert(fields(cert, 1, ...chain)))).toBe('bad_frame');
  });

  it('KEYS: u32 count (1-32), then key id, version, scheme, wrapped key per key', () => {
    const keys = [
      { keyId: 'comm', version: 3, scheme: 1, wrapped: randomBytes(125) },
      { keyId: 'stor', version: 0xfffffffe, scheme: 2, wrapped: randomBytes(256) },
    ];
    const bytes = fields(2, 'comm', 3, 1, keys[0]!.wrapped, 'stor', 0xfffffffe, 2, keys[1]!.wrapped);
    expect(encodeKeys({ keys })).toEqual(bytes);
    expect(decodeKeys(bytes)).toEqual({ keys });
    const one = { keyId: 'k', version: 1, scheme: 1, wrapped: randomBytes(8) };
    const many = (count: number, n: number) => fields(count, ...Array.from({ length: n }, () => ['k', 1, 1, one.wrapped] as const).flat());
    expect(decodeKeys(many(32, 32)).keys).toHaveLength(32);
    expect(() => decodeKeys(many(33, 33))).toThrow('malformed KEYS message: key count out of bounds');
    expect(() => decodeKeys(fields(0))).toThrow('malformed KEYS message: key count out of bounds');
    expect(badFrame(() => decodeKeys(many(2, 1)))).toBe('bad_frame');
    expect(badFrame(() => decodeKeys(many(1, 2)))).toBe('bad_frame');
    // version and scheme are exactly 4-byte fields
    expect(badFrame(() => decodeKeys(fields(1, 'k', Buffer.from([0, 1]), 1, one.wrapped)))).toBe('bad_frame');
    expect(badFrame(() => decodeKeys(fields(1, 'k', 1, Buffer.from([0, 0, 0, 0, 1]), one.wrapped)))).toBe('bad_frame');
  });

  it('CONFIRM / DONE: one 32-byte MAC', () => {
    const mac = randomBytes(32);
    expect(encodeMac({ mac })).toEqual(fields(mac));
    expect(decodeMac(fields(mac), 'CONFIRM')).toEqual({ mac });
    expect(() => decodeMac(fields(randomBytes(31)), 'CONFIRM')).toThrow('malformed CONFIRM message: field must be 32 bytes');
    expect(() => decodeMac(fields(randomBytes(33)), 'DONE')).toThrow('malformed DONE message: field length out of bounds');
    expect(() => decodeMac(Buffer.concat([fields(mac), Buffer.from([9])]), 'DONE')).toThrow('malformed DONE message: trailing bytes');
  });

  it('BUNDLE and INSTALLED (distribution)', () => {
    const file = Buffer.from('{"format":"ECPS-KEYBUNDLE-v1"}');
    expect(encodeBundle({ file })).toEqual(fields(file));
    const id = randomBytes(16);
    const mac = randomBytes(32);
    expect(encodeInstalled({ bundleId: id, sequence: 9, mac })).toEqual(fields(id, 9, mac));
    expect(decodeInstalled(fields(id, 1, mac))).toEqual({ bundleId: id, sequence: 1, mac });
    expect(() => encodeBundle({ file: Buffer.alloc(0) })).toThrow('a bundle file of 0 bytes does not fit a BUNDLE frame (1..61440)');
  });

  it('ERROR: code and message (the sender cuts the message to 200 characters)', () => {
    expect(encodeError({ code: 'timeout', message: 'm'.repeat(250) })).toEqual(fields('timeout', 'm'.repeat(200)));
    expect(stationErrorMessage('bad_crc', 'checksum')).toEqual(fields('bad_crc', 'checksum'));
    expect(decodeError(fields('bundle_replayed', 'sequence 3 is old'))).toEqual({ code: 'bundle_replayed', message: 'sequence 3 is old' });
    expect(decodeError(fields('c'.repeat(64), 'm'.repeat(256)))).toEqual({ code: 'c'.repeat(64), message: 'm'.repeat(256) });
    expect(badFrame(() => decodeError(fields('c'.repeat(65), 'm')))).toBe('bad_frame');
    expect(badFrame(() => decodeError(fields('c', 'm'.repeat(257))))).toBe('bad_frame');
    expect(badFrame(() => decodeError(fields('c', 'line\nbreak')))).toBe('bad_frame');
  });

  it("a robot's ERROR becomes robot_error naming the robot's code", () => {
    const e = errorFromRobot({ code: 'bundle_replayed', message: 'sequence 3 is old' });
    expect(e).toBeInstanceOf(StationError);
    expect(e).toMatchObject({ code: 'robot_error', message: 'robot reported bundle_replayed: sequence 3 is old', details: { robotCode: 'bundle_replayed' } });
  });
});

describe('binding values', () => {
  it('the nonce-signature input is fields("ECPS-PROV-v1 possession", device id, robot nonce, console nonce, SHA-256(CSR))', () => {
    const rn = n32();
    const cn = n32();
    const csr = randomBytes(300);
    const expected = fields('ECPS-PROV-v1 possession', 'uv-1', rn, cn, createHash('sha256').update(csr).digest());
    expect(nonceSignatureInput('uv-1', rn, cn, csr)).toEqual(expected);
  });

  it('the transcript is SHA-256("ECPS-PROV-v1 transcript" | u32 length | frame, for each frame)', () => {
    const frames = [randomBytes(60), randomBytes(0), randomBytes(1000), randomBytes(3)];
    const h = createHash('sha256').update('ECPS-PROV-v1 transcript');
    for (const f of frames) h.update(Buffer.from([0, 0, f.length >>> 8, f.length & 0xff])).update(f);
    expect(transcriptHash(frames)).toEqual(h.digest());
    expect(transcriptHash([])).toEqual(createHash('sha256').update('ECPS-PROV-v1 transcript').digest());
  });
});

describe('key wrapping (docs: "Key wrapping")', () => {
  const ctx = { deviceId: 'uv-1', robotNonce: n32(), consoleNonce: n32() };
  const aadOf = (keyId: string, version: number, deviceId = ctx.deviceId) => fields('ECPS-KEYWRAP-v1', deviceId, keyId, version);

  it('AAD = fields("ECPS-KEYWRAP-v1", device id, key id, u32 version)', () => {
    expect(wrapAad('uv-1', 'comm', 7)).toEqual(aadOf('comm', 7));
    expect(wrapAad('uv-1', 'comm', 7).toString('hex')).toBe(
      '0000000f' + Buffer.from('ECPS-KEYWRAP-v1').toString('hex') + '00000004' + Buffer.from('uv-1').toString('hex') + '00000004' + Buffer.from('comm').toString('hex') + '00000004' + '00000007',
    );
  });

  it('scheme 1 for EC P-256, scheme 2 for RSA of 2048 bits or more; anything else is refused', () => {
    expect([SCHEME_ECDH_P256_AES256GCM, SCHEME_RSA_OAEP_SHA256]).toEqual([1, 2]);
    expect(schemeFor(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey)).toBe(1);
    expect(schemeFor(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey)).toBe(2);
    expect(schemeFor(generateKeyPairSync('rsa', { modulusLength: 3072 }).publicKey)).toBe(2);
    for (const k of [
      generateKeyPairSync('rsa', { modulusLength: 2040 }).publicKey,
      generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey,
      generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey,
      generateKeyPairSync('ed25519').publicKey,
      generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey,
    ]) {
      expect(() => schemeFor(k)).toThrow(expect.objectContaining({ code: 'forged_csr', message: 'identity key must be EC P-256 or RSA >= 2048 bits' }) as unknown as Error);
    }
  });

  /** The robot's side of scheme 1, from the docs: ECDH with the ephemeral point, HKDF, AES-256-GCM. */
  function robotUnwrapEc(identity: KeyObject, wrapped: Buffer, keyId: string, version: number): Buffer {
    expect(wrapped).toHaveLength(65 + 12 + 32 + 16);
    expect(wrapped[0]).toBe(0x04);
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.from(identity.export({ format: 'jwk' }).d!, 'base64url'));
    const shared = ecdh.computeSecret(wrapped.subarray(0, 65));
    const aad = aadOf(keyId, version);
    const kek = Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ctx.robotNonce, ctx.consoleNonce]), aad, 32));
    const d = createDecipheriv('aes-256-gcm', kek, wrapped.subarray(65, 77));
    d.setAAD(aad);
    d.setAuthTag(wrapped.subarray(109));
    return Buffer.concat([d.update(wrapped.subarray(77, 109)), d.final()]);
  }

  it('scheme 1: ephemeral point (65) | IV (12) | ciphertext (32) | tag (16), as the robot unwraps it', () => {
    const id = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const material = n32();
    const w = wrapKey(id.publicKey, ctx, { keyId: 'comm', version: 3, material });
    expect(w.scheme).toBe(1);
    expect(robotUnwrapEc(id.privateKey, w.wrapped, 'comm', 3)).toEqual(material);
    // A fresh ephemeral key and IV for every wrap.
    const again = wrapKey(id.publicKey, ctx, { keyId: 'comm', version: 3, material });
    expect(again.wrapped.subarray(0, 65).equals(w.wrapped.subarray(0, 65))).toBe(false);
    expect(again.wrapped.subarray(65, 77).equals(w.wrapped.subarray(65, 77))).toBe(false);
  });

  it('scheme 2: RSA-OAEP SHA-256 with the AAD as label, as the robot unwraps it', () => {
    const id = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const material = n32();
    const w = wrapKey(id.publicKey, ctx, { keyId: 'stor', version: 2, material });
    expect(w.scheme).toBe(2);
    expect(w.wrapped).toHaveLength(256);
    const back = privateDecrypt({ key: id.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: aadOf('stor', 2) }, w.wrapped);
    expect(back).toEqual(material);
  });

  it('unwraps what a robot-side implementation of the docs wraps (both schemes)', () => {
    const material = n32();
    const ecId = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const eph = createECDH('prime256v1');
    eph.generateKeys();
    const peer = Buffer.concat([Buffer.from([4]), Buffer.from(ecId.publicKey.export({ format: 'jwk' }).x!, 'base64url'), Buffer.from(ecId.publicKey.export({ format: 'jwk' }).y!, 'base64url')]);
    const aad = aadOf('comm', 5);
    const kek = Buffer.from(hkdfSync('sha256', eph.computeSecret(peer), Buffer.concat([ctx.robotNonce, ctx.consoleNonce]), aad, 32));
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', kek, iv);
    c.setAAD(aad);
    const ct = Buffer.concat([c.update(material), c.final()]);
    const wrapped = Buffer.concat([eph.getPublicKey(), iv, ct, c.getAuthTag()]);
    expect(unwrapKey(ecId.privateKey, ctx, { keyId: 'comm', version: 5, scheme: 1, wrapped })).toEqual(material);

    const rsaId = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const oaep = publicEncrypt({ key: rsaId.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: aadOf('stor', 1) }, material);
    expect(unwrapKey(rsaId.privateKey, ctx, { keyId: 'stor', version: 1, scheme: 2, wrapped: oaep })).toEqual(material);
  });

  it('refuses a correctly wrapped key that is not 32 bytes of AES-256 material (docs: "ciphertext (32)"), in both schemes', () => {
    const ecId = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const jwk = ecId.publicKey.export({ format: 'jwk' });
    const peer = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
    const ecWrap = (material: Buffer) => {
      const eph = createECDH('prime256v1');
      eph.generateKeys();
      const aad = aadOf('comm', 5);
      const kek = Buffer.from(hkdfSync('sha256', eph.computeSecret(peer), Buffer.concat([ctx.robotNonce, ctx.consoleNonce]), aad, 32));
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', kek, iv);
      c.setAAD(aad);
      const ct = Buffer.concat([c.update(material), c.final()]);
      return Buffer.concat([eph.getPublicKey(), iv, ct, c.getAuthTag()]);
    };
    const rsaId = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsaWrap = (material: Buffer) => publicEncrypt({ key: rsaId.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: aadOf('comm', 5) }, material);
    for (const size of [0, 16, 31, 33, 64]) {
      const material = randomBytes(size);
      expect(() => unwrapKey(ecId.privateKey, ctx, { keyId: 'comm', version: 5, scheme: 1, wrapped: ecWrap(material) }), `EC ${size}`)
        .toThrow(expect.objectContaining({ code: 'key_confirmation_failed' }) as unknown as Error);
      expect(() => unwrapKey(rsaId.privateKey, ctx, { keyId: 'comm', version: 5, scheme: 2, wrapped: rsaWrap(material) }), `RSA ${size}`)
        .toThrow(expect.objectContaining({ code: 'key_confirmation_failed' }) as unknown as Error);
    }
    const key = randomBytes(32);
    expect(unwrapKey(ecId.privateKey, ctx, { keyId: 'comm', version: 5, scheme: 1, wrapped: ecWrap(key) })).toEqual(key);
    expect(unwrapKey(rsaId.privateKey, ctx, { keyId: 'comm', version: 5, scheme: 2, wrapped: rsaWrap(key) })).toEqual(key);
  });

  it('refuses an unknown scheme, a short or altered blob, and the other scheme, with key_confirmation_failed and no key material', () => {
    const id = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const material = n32();
    const w = wrapKey(id.publicKey, ctx, { keyId: 'comm', version: 3, material });
    const refuse = (scheme: number, wrapped: Buffer) => {
      try {
        unwrapKey(id.privateKey, ctx, { keyId: 'comm', version: 3, scheme, wrapped });
      } catch (e) {
        expect(e).toMatchObject({ code: 'key_confirmation_failed', message: 'wrapped key comm v3 could not be unwrapped' });
        return true;
      }
      return false;
    };
    expect(refuse(0, w.wrapped)).toBe(true);
    expect(refuse(3, w.wrapped)).toBe(true);
    expect(refuse(2, w.wrapped)).toBe(true);
    expect(refuse(1, w.wrapped.subarray(0, 92))).toBe(true);
    expect(refuse(1, w.wrapped.subarray(0, 93))).toBe(true);
    expect(refuse(1, Buffer.concat([w.wrapped.subarray(0, 109), Buffer.alloc(16)]))).toBe(true);
    const iv = Buffer.from(w.wrapped);
    iv[70]! ^= 1;
    expect(refuse(1, iv)).toBe(true);
    // Only the tag, no ciphertext: GCM of an empty message with a wrong tag still fails.
    expect(refuse(1, Buffer.concat([w.wrapped.subarray(0, 77), w.wrapped.subarray(109)]))).toBe(true);
    expect(refuse(1, w.wrapped)).toBe(false);
  });

  it('Kc = HKDF-SHA256(materials in KEYS order, salt robot nonce | console nonce, info fields("ECPS-PROV-v1 key-confirmation", device id), 32)', () => {
    const m = [n32(), n32()];
    const expected = Buffer.from(hkdfSync('sha256', Buffer.concat(m), Buffer.concat([ctx.robotNonce, ctx.consoleNonce]), fields('ECPS-PROV-v1 key-confirmation', 'uv-1'), 32));
    expect(confirmationKey(ctx, m)).toEqual(expected);
  });

  it('CONFIRM = HMAC(Kc, "ECPS-PROV-v1 robot-confirm" | transcript); DONE = HMAC(Kc, "ECPS-PROV-v1 console-done" | transcript | CONFIRM)', () => {
    const kc = n32();
    const th = n32();
    const confirm = createHmac('sha256', kc).update('ECPS-PROV-v1 robot-confirm').update(th).digest();
    expect(robotConfirmMac(kc, th)).toEqual(confirm);
    expect(consoleDoneMac(kc, th, confirm)).toEqual(createHmac('sha256', kc).update('ECPS-PROV-v1 console-done').update(th).update(confirm).digest());
  });

  it('compares MACs by value, and a MAC of another length is simply unequal', () => {
    const a = n32();
    expect(macEquals(a, Buffer.from(a))).toBe(true);
    expect(macEquals(a, n32())).toBe(false);
    expect(macEquals(a, a.subarray(0, 31))).toBe(false);
    expect(macEquals(Buffer.alloc(0), a)).toBe(false);
  });
});
