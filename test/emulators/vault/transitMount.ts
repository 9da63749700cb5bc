// One mounted transit secrets engine (per namespace and mount path): the endpoints of Vault's transit HTTP API that
// the console uses, with Vault's parameter rules, status codes and error texts.
import crypto from 'node:crypto';
import { badRequest, boolField, decodeStdBase64, durationSecondsField, intField, stringField, VaultApiError, type Body } from './fields.ts';
import { behaviourOf, type VaultBehaviour } from './serverProfile.ts';
import * as tk from './transitKey.ts';

export type Operation = 'create' | 'update' | 'read' | 'list' | 'delete';

export type TransitResult = { status: 200; data: Record<string, unknown>; warnings?: string[] } | { status: 204 };

export interface TransitMount {
  keys: Map<string, tk.TransitKey>;
  config: { disableUpsert: boolean };
  /** The Vault version served: what it honours of the request fields below. */
  server: VaultBehaviour;
}

export function newTransitMount(server: VaultBehaviour = behaviourOf()): TransitMount {
  return { keys: new Map(), config: { disableUpsert: false }, server };
}

// Vault's framework.GenericNameRegex.
const NAME = /^\w(?:[\w\-.@]*\w)?$/;
const unsupported = () => new VaultApiError(405, 'unsupported operation');
const ok = (data: Record<string, unknown>, warnings?: string[]): TransitResult => (warnings ? { status: 200, data, warnings } : { status: 200, data });

function requireBase64(body: Body, field: string, label = field): Buffer | null {
  const text = stringField(body, field);
  if (text === undefined || text === '') return null;
  const buf = decodeStdBase64(text);
  if (!buf) throw badRequest(`failed to base64-decode ${label}`);
  return buf;
}

/** Vault < 1.13 does not know associated_data: it encrypts and decrypts without it, so any AAD "matches". */
function associatedData(mount: TransitMount, body: Body): Buffer | null {
  return mount.server.associatedData ? requireBase64(body, 'associated_data', 'associated data') : null;
}

function keyType(body: Body): tk.TransitKeyType {
  const t = stringField(body, 'type') ?? 'aes256-gcm96';
  if (!(tk.KEY_TYPES as readonly string[]).includes(t)) throw badRequest(`unknown key type: ${t}`);
  return t as tk.TransitKeyType;
}

function autoRotate(mount: TransitMount, body: Body): number | undefined {
  if (!mount.server.autoRotatePeriod) return undefined; // an unknown field to Vault < 1.10: ignored, no error
  const period = durationSecondsField(body, 'auto_rotate_period');
  if (period !== undefined && period !== 0 && period < 3600) throw badRequest('auto rotate period must be 0 to disable or at least an hour');
  return period;
}

function signOptions(mount: TransitMount, body: Body, key: tk.TransitKey): tk.SignOptions {
  const alg = stringField(body, 'signature_algorithm') || 'pss';
  if (key.type === 'rsa-2048' && alg !== 'pss' && alg !== 'pkcs1v15') throw badRequest(`unsupported rsa signature algorithm ${alg}`);
  const marshaling = stringField(body, 'marshaling_algorithm') || 'asn1';
  if (marshaling !== 'asn1') throw badRequest(marshaling === 'jws' ? 'the jws marshaling is not offered by this emulator' : `invalid marshaling type ${marshaling}`);
  // Vault < 1.12 does not know salt_length: it signs with Go's PSSSaltLengthAuto whatever the request says.
  const salt = (mount.server.saltLength ? stringField(body, 'salt_length') : undefined) || 'auto';
  let saltLength: tk.SignOptions['saltLength'];
  if (salt === 'auto' || salt === 'hash') saltLength = salt;
  else if (/^-?\d+$/.test(salt)) saltLength = Number(salt);
  else throw badRequest(`salt length value ${JSON.stringify(salt)} is invalid`);
  if (boolField(body, 'prehashed')) throw badRequest('prehashed input is not offered by this emulator');
  const keyVersion = intField(body, 'key_version');
  return keyVersion === undefined ? { signatureAlgorithm: alg as 'pss' | 'pkcs1v15', saltLength } : { keyVersion, signatureAlgorithm: alg as 'pss' | 'pkcs1v15', saltLength };
}

function hashAlgorithm(body: Body, fromPath: string | undefined): void {
  const h = fromPath ?? stringField(body, 'hash_algorithm') ?? 'sha2-256';
  if (h !== 'sha2-256') throw badRequest(`unsupported hash algorithm ${h}`);
}

const formatKey = (mount: TransitMount, key: tk.TransitKey) => tk.formatKey(key, mount.server.autoRotatePeriod);

/** Serves one request below the mount. `parts` is the path after the mount, split on "/". */
export async function serveTransit(mount: TransitMount, op: Operation, parts: string[], body: Body): Promise<TransitResult> {
  const [head, a, b] = parts;
  const write = op === 'create' || op === 'update';
  const noRoute = () => new VaultApiError(404, `no handler for route "${parts.join('/')}". route entry not found.`);
  if (head === 'config' && a === 'keys' && parts.length === 2) {
    if (op === 'read') return ok({ disable_upsert: mount.config.disableUpsert });
    if (!write) throw unsupported();
    const disable = boolField(body, 'disable_upsert');
    if (disable !== undefined) mount.config.disableUpsert = disable;
    return ok({ disable_upsert: mount.config.disableUpsert });
  }
  if (head === 'keys' && parts.length === 1) {
    if (op !== 'list') throw unsupported();
    if (mount.keys.size === 0) throw new VaultApiError(404, []);
    return ok({ keys: [...mount.keys.keys()].sort() });
  }
  if (a === undefined || !NAME.test(a)) throw noRoute();
  const key = mount.keys.get(a);
  const mustExist = (message: string) => {
    if (!key) throw badRequest(message);
    return key;
  };
  switch (head) {
    case 'keys':
      if (parts.length === 2) {
        if (op === 'read') {
          if (!key) throw new VaultApiError(404, []);
          return ok(formatKey(mount, key));
        }
        if (op === 'delete') {
          if (!key) throw badRequest(`error deleting policy ${a}: could not delete key; not found`);
          if (!key.deletionAllowed) throw badRequest(`error deleting policy ${a}: deletion is not allowed for this key`);
          mount.keys.delete(a);
          return { status: 204 };
        }
        if (!write) throw unsupported();
        const type = keyType(body);
        const period = autoRotate(mount, body) ?? 0;
        if (boolField(body, 'derived') || boolField(body, 'convergent_encryption')) throw badRequest('derived keys are not offered by this emulator');
        if (key) return ok(formatKey(mount, key), [`key ${a} already existed`]);
        const created = await tk.newTransitKey(a, type, period);
        created.exportable = boolField(body, 'exportable') ?? false;
        created.allowPlaintextBackup = boolField(body, 'allow_plaintext_backup') ?? false;
        const raced = mount.keys.get(a);
        if (raced) return ok(formatKey(mount, raced), [`key ${a} already existed`]);
        mount.keys.set(a, created);
        return ok(formatKey(mount, created));
      }
      if (parts.length !== 3 || (b !== 'config' && b !== 'rotate')) throw noRoute();
      if (!write) throw unsupported();
      if (b === 'rotate') {
        const k = mustExist('key not found');
        await tk.rotateTransitKey(k);
        return ok(formatKey(mount, k));
      }
      return ok(configure(mount, mustExist(`no existing key named ${a} could be found`), body));
    case 'encrypt': {
      if (parts.length !== 2) throw noRoute();
      if (!write) throw unsupported();
      const plaintextText = stringField(body, 'plaintext');
      if (plaintextText === undefined) throw badRequest('missing plaintext to encrypt');
      const plaintext = decodeStdBase64(plaintextText);
      if (!plaintext) throw badRequest('failed to base64-decode plaintext');
      const aad = associatedData(mount, body);
      let k = key;
      if (!k) {
        // Vault creates a missing key on encrypt (an upsert) unless the mount's config/keys disables it.
        if (mount.config.disableUpsert) throw badRequest('encryption key not found');
        const type = keyType(body);
        if (type !== 'aes256-gcm96') throw badRequest(`key type ${type} not supported for this operation`);
        k = await tk.newTransitKey(a, type, 0);
        mount.keys.set(a, mount.keys.get(a) ?? k);
        k = mount.keys.get(a)!;
      }
      const r = tk.encrypt(k, plaintext, aad, intField(body, 'key_version'));
      return ok({ ciphertext: r.ciphertext, key_version: r.version });
    }
    case 'decrypt': {
      if (parts.length !== 2) throw noRoute();
      if (!write) throw unsupported();
      const ciphertext = stringField(body, 'ciphertext');
      if (!ciphertext) throw badRequest('missing ciphertext to decrypt');
      const aad = associatedData(mount, body);
      const r = tk.decrypt(mustExist('encryption key not found'), ciphertext, aad);
      return ok({ plaintext: r.plaintext.toString('base64') });
    }
    case 'rewrap': {
      if (parts.length !== 2) throw noRoute();
      if (!write) throw unsupported();
      const ciphertext = stringField(body, 'ciphertext');
      if (!ciphertext) throw badRequest('missing ciphertext to decrypt');
      const k = mustExist('encryption key not found');
      const plain = tk.decrypt(k, ciphertext, null);
      const r = tk.encrypt(k, plain.plaintext, null, intField(body, 'key_version'));
      plain.plaintext.fill(0);
      return ok({ ciphertext: r.ciphertext, key_version: r.version });
    }
    case 'datakey': {
      // datakey/:plaintext|wrapped/:name
      const [, kind, name] = parts;
      if (parts.length !== 3 || name === undefined || !NAME.test(name)) throw noRoute();
      if (!write) throw unsupported();
      if (kind !== 'plaintext' && kind !== 'wrapped') throw badRequest('Invalid path, must be "plaintext" or "wrapped"');
      const bits = intField(body, 'bits') ?? 256;
      if (bits !== 128 && bits !== 256 && bits !== 512) throw badRequest('invalid bits value');
      const k = mount.keys.get(name);
      if (!k) throw badRequest('encryption key not found');
      const dataKey = crypto.randomBytes(bits / 8);
      const r = tk.encrypt(k, dataKey, null, intField(body, 'key_version'));
      const data: Record<string, unknown> = { ciphertext: r.ciphertext, key_version: r.version };
      if (kind === 'plaintext') data['plaintext'] = dataKey.toString('base64');
      dataKey.fill(0);
      return ok(data);
    }
    case 'sign':
    case 'verify': {
      if (parts.length > 3) throw noRoute();
      if (!write) throw unsupported();
      hashAlgorithm(body, b);
      const inputText = stringField(body, 'input');
      if (inputText === undefined) throw badRequest(`missing input to ${head === 'sign' ? 'sign' : 'verify'}`);
      const input = decodeStdBase64(inputText);
      if (!input) throw badRequest('unable to decode input as base64');
      if (head === 'sign') {
        const k = mustExist('signing key not found');
        const r = tk.sign(k, input, signOptions(mount, body, k));
        return ok({ signature: r.signature, key_version: r.version });
      }
      const signature = stringField(body, 'signature');
      if (!signature) throw badRequest('missing signature');
      const k = mustExist('signature verification key not found');
      return ok({ valid: tk.verify(k, input, signature, signOptions(mount, body, k)) });
    }
    default:
      throw noRoute();
  }
}

/** POST /keys/:name/config with Vault's ordering of checks; nothing changes when a check fails. */
function configure(mount: TransitMount, key: tk.TransitKey, body: Body): Record<string, unknown> {
  let minDec = key.minDecryptionVersion;
  let minEnc = key.minEncryptionVersion;
  const dec = intField(body, 'min_decryption_version');
  if (dec !== undefined) {
    if (dec < 0) throw badRequest('min decryption version cannot be negative');
    const d = dec === 0 ? 1 : dec;
    if (d !== minDec && d > key.latestVersion) throw badRequest(`cannot set min decryption version of ${d}, latest key version is ${key.latestVersion}`);
    minDec = d;
  }
  const enc = intField(body, 'min_encryption_version');
  if (enc !== undefined) {
    if (enc < 0) throw badRequest('min encryption version cannot be negative');
    if (enc !== minEnc && enc > key.latestVersion) throw badRequest(`cannot set min encryption version of ${enc}, latest key version is ${key.latestVersion}`);
    minEnc = enc;
  }
  if (minEnc > 0 && minEnc < minDec)
    throw badRequest(`cannot set min encryption/decryption values; min encryption version of ${minEnc} must be greater than or equal to min decryption version of ${minDec}`);
  const deletion = boolField(body, 'deletion_allowed');
  const exportable = boolField(body, 'exportable');
  const backup = boolField(body, 'allow_plaintext_backup');
  const period = autoRotate(mount, body);
  key.minDecryptionVersion = minDec;
  key.minEncryptionVersion = minEnc;
  if (deletion !== undefined) key.deletionAllowed = deletion;
  if (exportable) key.exportable = true; // once set, never unset
  if (backup) key.allowPlaintextBackup = true;
  if (period !== undefined) key.autoRotatePeriodSeconds = period;
  return formatKey(mount, key);
}
