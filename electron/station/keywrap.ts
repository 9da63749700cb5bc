// Key transport to the robot's identity key, and the key-confirmation MACs
// (spec: docs/provisioning-protocol.md, "Messages").
//   scheme 1 (EC P-256 identity): ECDH ephemeral-static, HKDF-SHA256, AES-256-GCM
//     wrapped = ephemeral public point (65, uncompressed) | IV (12) | ciphertext (32) | tag (16)
//   scheme 2 (RSA identity): RSA-OAEP with SHA-256, the AAD as OAEP label; wrapped = OAEP ciphertext
// AAD = fields("ECPS-KEYWRAP-v1", deviceId, keyId, u32 version); HKDF salt = robotNonce | consoleNonce, info = AAD.
import {
  constants, createCipheriv, createDecipheriv, createHmac, createPublicKey, diffieHellman, generateKeyPairSync,
  hkdfSync, privateDecrypt, publicEncrypt, randomBytes, timingSafeEqual, type KeyObject,
} from 'node:crypto';
import { StationError } from './errors.ts';
import { FieldWriter } from './protocol.ts';

export const SCHEME_ECDH_P256_AES256GCM = 1;
export const SCHEME_RSA_OAEP_SHA256 = 2;
const POINT = 65;
const IV = 12;
const TAG = 16;
/** Every delivered key is AES-256 material; a blob that unwraps to anything else is refused. */
const KEY = 32;

export interface WrapContext { deviceId: string; robotNonce: Buffer; consoleNonce: Buffer }
export interface KeyToWrap { keyId: string; version: number; material: Buffer }

export function wrapAad(deviceId: string, keyId: string, version: number): Buffer {
  return new FieldWriter().text('ECPS-KEYWRAP-v1').text(deviceId).text(keyId).u32(version).done();
}

/** Which wrapping scheme fits an identity public key; other key types are refused. */
export function schemeFor(identity: KeyObject): number {
  if (identity.asymmetricKeyType === 'ec' && identity.asymmetricKeyDetails?.namedCurve === 'prime256v1') return SCHEME_ECDH_P256_AES256GCM;
  if (identity.asymmetricKeyType === 'rsa' && (identity.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) return SCHEME_RSA_OAEP_SHA256;
  throw new StationError('forged_csr', 'identity key must be EC P-256 or RSA >= 2048 bits');
}

export function wrapKey(identity: KeyObject, ctx: WrapContext, key: KeyToWrap): { scheme: number; wrapped: Buffer } {
  const scheme = schemeFor(identity);
  const aad = wrapAad(ctx.deviceId, key.keyId, key.version);
  if (scheme === SCHEME_RSA_OAEP_SHA256) {
    const wrapped = publicEncrypt({ key: identity, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: aad }, key.material);
    return { scheme, wrapped };
  }
  const eph = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const kek = ecKek(diffieHellman({ privateKey: eph.privateKey, publicKey: identity }), ctx, aad);
  const iv = randomBytes(IV);
  const c = createCipheriv('aes-256-gcm', kek, iv);
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(key.material), c.final()]);
  return { scheme, wrapped: Buffer.concat([ecPoint(eph.publicKey), iv, ct, c.getAuthTag()]) };
}

/** The robot's side: unwraps with its identity private key; any failure is a typed error, never a partial key. */
export function unwrapKey(identity: KeyObject, ctx: WrapContext, w: { keyId: string; version: number; scheme: number; wrapped: Buffer }): Buffer {
  const aad = wrapAad(ctx.deviceId, w.keyId, w.version);
  try {
    if (w.scheme === SCHEME_RSA_OAEP_SHA256) {
      const key = privateDecrypt({ key: identity, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: aad }, w.wrapped);
      if (key.length !== KEY) {
        key.fill(0);
        throw new Error('length');
      }
      return key;
    }
    if (w.scheme !== SCHEME_ECDH_P256_AES256GCM || w.wrapped.length !== POINT + IV + KEY + TAG) throw new Error('scheme');
    const point = w.wrapped.subarray(0, POINT);
    const eph = createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') },
      format: 'jwk',
    });
    const kek = ecKek(diffieHellman({ privateKey: identity, publicKey: eph }), ctx, aad);
    const d = createDecipheriv('aes-256-gcm', kek, w.wrapped.subarray(POINT, POINT + IV));
    d.setAAD(aad);
    d.setAuthTag(w.wrapped.subarray(w.wrapped.length - TAG));
    return Buffer.concat([d.update(w.wrapped.subarray(POINT + IV, w.wrapped.length - TAG)), d.final()]);
  } catch {
    throw new StationError('key_confirmation_failed', `wrapped key ${w.keyId} v${w.version} could not be unwrapped`);
  }
}

function ecKek(shared: Buffer, ctx: WrapContext, aad: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ctx.robotNonce, ctx.consoleNonce]), aad, 32));
}

function ecPoint(pub: KeyObject): Buffer {
  const jwk = pub.export({ format: 'jwk' });
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]);
}

/** Key-confirmation key: HKDF over all delivered key material (in KEYS order), salted with both nonces. */
export function confirmationKey(ctx: WrapContext, materials: Buffer[]): Buffer {
  const info = new FieldWriter().text('ECPS-PROV-v1 key-confirmation').text(ctx.deviceId).done();
  return Buffer.from(hkdfSync('sha256', Buffer.concat(materials), Buffer.concat([ctx.robotNonce, ctx.consoleNonce]), info, 32));
}

/** CONFIRM: the robot proves it unwrapped every key and saw the same transcript. */
export function robotConfirmMac(kc: Buffer, transcript: Buffer): Buffer {
  return createHmac('sha256', kc).update('ECPS-PROV-v1 robot-confirm').update(transcript).digest();
}

/** DONE: the console proves the same to the robot, after the robot's MAC. */
export function consoleDoneMac(kc: Buffer, transcript: Buffer, robotMac: Buffer): Buffer {
  return createHmac('sha256', kc).update('ECPS-PROV-v1 console-done').update(transcript).update(robotMac).digest();
}

export function macEquals(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
