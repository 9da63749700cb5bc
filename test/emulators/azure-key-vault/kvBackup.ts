// Import (PUT /keys/{name} with a private JWK), backup (the whole key, every version, in a protected form only an
// emulator of this process can read, as a backup is usable only inside Key Vault) and restore.
import crypto from 'node:crypto';
import { CURVES } from './digestSign.ts';
import { KvError } from './kvErrors.ts';
import { checkKeyOps, type KeyMaterial, type KeyVersion, type VaultKey } from './vaultStore.ts';

// One protection key per process, like one subscription: a backup restores into any emulator of the same test run.
const PROTECTION_KEY = crypto.randomBytes(32);
const RSA_SIZES = [2048, 3072, 4096];
const NODE_CURVE: Record<string, string> = { 'P-256': 'P-256', 'P-384': 'P-384', 'P-521': 'P-521', 'P-256K': 'secp256k1' };

const bad = (message: string) => new KvError(400, 'BadParameter', message);

/** The key material and operations of an imported JWK (KeyImportParameters.key, with its private members). */
export function importedMaterial(body: Record<string, unknown>, managedHsm: boolean): { material: KeyMaterial; keyOps: string[] } {
  const jwk = body.key;
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) throw bad('key (a JSON web key) is required.');
  const j = jwk as Record<string, unknown>;
  const kty = typeof j.kty === 'string' ? j.kty : '';
  const hsm = managedHsm || body.Hsm === true || kty.endsWith('-HSM');
  const base = kty.replace(/-HSM$/, '');
  if (body.Hsm !== undefined && typeof body.Hsm !== 'boolean') throw bad('Hsm must be a boolean.');
  let material: KeyMaterial;
  try {
    if (base === 'RSA') {
      const privateKey = crypto.createPrivateKey({ key: { kty: 'RSA', n: j.n, e: j.e, d: j.d, p: j.p, q: j.q, dp: j.dp, dq: j.dq, qi: j.qi } as crypto.JsonWebKey, format: 'jwk' });
      if (!RSA_SIZES.includes(privateKey.asymmetricKeyDetails?.modulusLength ?? 0)) throw bad('An imported RSA key must have 2048, 3072 or 4096 bits.');
      material = { kty: 'RSA', hsm, crv: null, privateKey, publicJwk: crypto.createPublicKey(privateKey).export({ format: 'jwk' }) };
    } else if (base === 'EC') {
      const crv = typeof j.crv === 'string' ? j.crv : '';
      if (!CURVES[crv]) throw bad(`The curve ${crv} is not supported (P-256, P-384, P-521, P-256K).`);
      const privateKey = crypto.createPrivateKey({ key: { kty: 'EC', crv: NODE_CURVE[crv], x: j.x, y: j.y, d: j.d } as crypto.JsonWebKey, format: 'jwk' });
      material = { kty: 'EC', hsm, crv, privateKey, publicJwk: crypto.createPublicKey(privateKey).export({ format: 'jwk' }) };
    } else if (base === 'oct' && managedHsm) {
      const k = Buffer.from(typeof j.k === 'string' ? j.k : '', 'base64url');
      if (![16, 24, 32].includes(k.length)) throw bad('An imported oct key must have 128, 192 or 256 bits.');
      material = { kty: 'oct', hsm: true, crv: null, privateKey: crypto.createSecretKey(k), publicJwk: {} };
    } else throw bad(`The key type ${kty || '(none)'} cannot be imported into this ${managedHsm ? 'Managed HSM' : 'vault'}.`);
  } catch (e) {
    if (e instanceof KvError) throw e;
    throw bad('The key is not a valid private JSON web key.');
  }
  return { material, keyOps: checkKeyOps(material.kty, j.key_ops) };
}

interface SavedVersion extends Omit<KeyVersion, 'privateKey' | 'publicJwk'> { secret: string; format: 'pkcs8' | 'raw' }

export function backupBlob(key: VaultKey): string {
  const versions: SavedVersion[] = key.versions.map(({ privateKey, publicJwk: _public, ...rest }) => ({
    ...rest,
    format: rest.kty === 'oct' ? 'raw' : 'pkcs8',
    secret: rest.kty === 'oct' ? privateKey.export().toString('base64') : privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
  }));
  const plain = Buffer.from(JSON.stringify({ name: key.name, versions, rotationPolicy: key.rotationPolicy }));
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', PROTECTION_KEY, iv);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([Buffer.from('KVEMU1'), iv, c.getAuthTag(), body]).toString('base64url');
}

export function restoreBlob(value: unknown): VaultKey {
  const blob = typeof value === 'string' && /^[A-Za-z0-9_-]+$/.test(value) ? Buffer.from(value, 'base64url') : Buffer.alloc(0);
  let parsed: { name: string; versions: SavedVersion[]; rotationPolicy: VaultKey['rotationPolicy'] };
  try {
    if (!blob.subarray(0, 6).equals(Buffer.from('KVEMU1'))) throw new Error('magic');
    const d = crypto.createDecipheriv('aes-256-gcm', PROTECTION_KEY, blob.subarray(6, 18)).setAuthTag(blob.subarray(18, 34));
    parsed = JSON.parse(Buffer.concat([d.update(blob.subarray(34)), d.final()]).toString('utf8')) as typeof parsed;
  } catch {
    throw bad('The backup blob is invalid or was not made by this Key Vault.');
  }
  const versions = parsed.versions.map(({ secret, format, ...rest }): KeyVersion => {
    const privateKey = format === 'raw' ? crypto.createSecretKey(Buffer.from(secret, 'base64')) : crypto.createPrivateKey({ key: Buffer.from(secret, 'base64'), format: 'der', type: 'pkcs8' });
    return { ...rest, privateKey, publicJwk: rest.kty === 'oct' ? {} : crypto.createPublicKey(privateKey).export({ format: 'jwk' }) };
  });
  return { name: parsed.name, versions, rotationPolicy: parsed.rotationPolicy };
}
