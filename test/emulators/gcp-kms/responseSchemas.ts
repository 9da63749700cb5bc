// Cloud KMS replies checked against Google's published protos (node_modules/@google-cloud/kms/build/protos, read with
// protobufjs, not the emulator's own code): every field must exist in the response message with the proto's type,
// enum values must be the proto's names, a oneof holds at most one member, and protobufjs `verify` must accept the
// message; then the semantics the protos' comments state (which fields are present in which state, resource-name
// patterns, the CRC32C fields every data-carrying reply populates). Objects are in @grpc/proto-loader's form:
// camelCase fields, enums by name, 64-bit integers as decimal strings, bytes as Buffers.
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as protobufTypes from 'protobufjs';

type Msg = Record<string, unknown>;

const require = createRequire(import.meta.url);
// protobufjs as @grpc/proto-loader (a dependency of this project) resolves it, so the same parser reads the protos.
const protobuf = createRequire(require.resolve('@grpc/proto-loader'))('protobufjs') as typeof protobufTypes;

function loadRoot(): protobufTypes.Root {
  const kmsRoot = path.dirname(require.resolve('@google-cloud/kms/package.json'));
  const gaxProtos = path.resolve(path.dirname(createRequire(path.join(kmsRoot, 'package.json')).resolve('google-gax')), '../protos');
  const dirs = [path.join(kmsRoot, 'build/protos'), gaxProtos];
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of dirs) {
      const candidate = path.join(dir, target);
      try {
        require.resolve(candidate);
        return candidate;
      } catch {
        // not in this include directory
      }
    }
    return target;
  };
  root.loadSync('google/cloud/kms/v1/service.proto');
  root.resolveAll();
  return root;
}

const root = loadRoot();
const service = root.lookupService('google.cloud.kms.v1.KeyManagementService');

const LOCATION = 'projects/[^/]+/locations/[^/]+';
const KEY_RING = `${LOCATION}/keyRings/[a-zA-Z0-9_-]{1,63}`;
const CRYPTO_KEY = `${KEY_RING}/cryptoKeys/[a-zA-Z0-9_-]{1,63}`;
const VERSION = `${CRYPTO_KEY}/cryptoKeyVersions/[1-9][0-9]*`;
const named = (pattern: string) => new RegExp(`^${pattern}$`);

const INT32 = [-(2 ** 31), 2 ** 31 - 1];
const UINT32 = [0, 2 ** 32 - 1];

function scalarProblem(type: string, v: unknown): string | null {
  switch (type) {
    case 'string':
      return typeof v === 'string' ? null : 'expected a string';
    case 'bool':
      return typeof v === 'boolean' ? null : 'expected a boolean';
    case 'bytes':
      return v instanceof Uint8Array ? null : 'expected bytes';
    case 'double':
    case 'float':
      return typeof v === 'number' ? null : 'expected a number';
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return Number.isInteger(v) && (v as number) >= INT32[0]! && (v as number) <= INT32[1]! ? null : 'expected an int32';
    case 'uint32':
    case 'fixed32':
      return Number.isInteger(v) && (v as number) >= UINT32[0]! && (v as number) <= UINT32[1]! ? null : 'expected a uint32';
    default: {
      // 64-bit integers: decimal strings (longs: String) or safe integers
      if (!(typeof v === 'string' && /^-?\d+$/.test(v)) && !Number.isSafeInteger(v)) return `expected a ${type}`;
      return /^(?:uint|fixed)/.test(type) && String(v).startsWith('-') ? 'expected an unsigned integer' : null;
    }
  }
}

/** Structural check of `value` as message `type`, collecting "path: problem" lines. */
function walk(type: protobufTypes.Type, value: unknown, at: string, out: string[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    out.push(`${at}: expected a ${type.fullName.slice(1)} message`);
    return;
  }
  const msg = value as Msg;
  for (const [key, v] of Object.entries(msg)) {
    const field = type.fields[key];
    const where = at ? `${at}.${key}` : key;
    if (!field) {
      out.push(`${where}: ${type.fullName.slice(1)} has no such field`);
      continue;
    }
    if (v === undefined || v === null) continue;
    const one = (item: unknown, p: string) => {
      if (field.resolvedType instanceof protobuf.Type) return walk(field.resolvedType, item, p, out);
      if (field.resolvedType instanceof protobuf.Enum) {
        if (typeof item !== 'string' || !(item in field.resolvedType.values)) out.push(`${p}: ${JSON.stringify(item)} is not a ${field.resolvedType.fullName.slice(1)} value`);
        return;
      }
      const problem = scalarProblem(field.type, item);
      if (problem) out.push(`${p}: ${problem}`);
    };
    if (field instanceof protobuf.MapField) {
      if (typeof v !== 'object' || Array.isArray(v)) out.push(`${where}: expected a map`);
      else for (const [k, item] of Object.entries(v as Msg)) one(item, `${where}.${k}`);
    } else if (field.repeated) {
      if (!Array.isArray(v)) out.push(`${where}: expected a repeated field (array)`);
      else v.forEach((item, i) => one(item, `${where}[${i}]`));
    } else one(v, where);
  }
  for (const oneof of type.oneofsArray) {
    const set = oneof.fieldsArray.filter((f) => msg[f.name] !== undefined && msg[f.name] !== null);
    if (set.length > 1) out.push(`${at || '(reply)'}: oneof ${oneof.name} has ${set.map((f) => f.name).join(' and ')} set`);
  }
  semantics(type.fullName.slice(1), msg, at, out);
}

const present = (m: Msg, f: string) => m[f] !== undefined && m[f] !== null;
const unspecified = (m: Msg, f: string) => !present(m, f) || String(m[f]).endsWith('_UNSPECIFIED');

/** What the protos' comments say of each message the console reads. */
function semantics(type: string, m: Msg, at: string, out: string[]): void {
  const issue = (message: string) => out.push(`${at || '(reply)'}: ${message}`);
  const needs = (...fields: string[]) => fields.forEach((f) => !present(m, f) && issue(`${f} is missing`));
  const nameLike = (f: string, pattern: string) => present(m, f) && !named(pattern).test(String(m[f])) && issue(`${f} ${JSON.stringify(m[f])} is not a ${pattern.split('/').at(-2)} resource name`);
  switch (type) {
    case 'google.cloud.kms.v1.KeyRing':
      needs('name', 'createTime');
      nameLike('name', KEY_RING);
      break;
    case 'google.cloud.kms.v1.CryptoKey':
      needs('name', 'createTime', 'versionTemplate');
      nameLike('name', CRYPTO_KEY);
      if (unspecified(m, 'purpose')) issue('purpose is unspecified');
      // "Keys with purpose ENCRYPT_DECRYPT may have a primary. For other keys, this field will be omitted."
      if (present(m, 'primary') && m['purpose'] !== 'ENCRYPT_DECRYPT') issue(`primary on a ${String(m['purpose'])} key`);
      if (present(m, 'primary') && !String((m['primary'] as Msg)['name']).startsWith(`${String(m['name'])}/`)) issue('primary is not a version of this key');
      // "Keys with purpose ENCRYPT_DECRYPT support automatic rotation. For other keys, this field must be omitted."
      if ((present(m, 'rotationPeriod') || present(m, 'nextRotationTime')) && m['purpose'] !== 'ENCRYPT_DECRYPT') issue('automatic rotation on a key that cannot rotate automatically');
      break;
    case 'google.cloud.kms.v1.CryptoKeyVersion': {
      needs('name', 'state', 'algorithm', 'protectionLevel', 'createTime');
      nameLike('name', VERSION);
      if (unspecified(m, 'algorithm')) issue('algorithm is unspecified');
      const state = String(m['state']);
      // "destroy_time ... Only present if state is DESTROY_SCHEDULED"; "destroy_event_time ... Only present if state is DESTROYED"
      if (present(m, 'destroyTime') !== (state === 'DESTROY_SCHEDULED')) issue(`destroyTime ${present(m, 'destroyTime') ? 'present' : 'absent'} in state ${state}`);
      if (present(m, 'destroyEventTime') !== (state === 'DESTROYED')) issue(`destroyEventTime ${present(m, 'destroyEventTime') ? 'present' : 'absent'} in state ${state}`);
      if (state === 'PENDING_GENERATION' && present(m, 'generateTime')) issue('generateTime before the material was generated');
      break;
    }
    case 'google.cloud.kms.v1.EncryptResponse':
      needs('name', 'ciphertext', 'ciphertextCrc32c', 'protectionLevel');
      nameLike('name', VERSION);
      break;
    case 'google.cloud.kms.v1.DecryptResponse':
      needs('plaintext', 'plaintextCrc32c', 'protectionLevel');
      break;
    case 'google.cloud.kms.v1.AsymmetricSignResponse':
      needs('name', 'signature', 'signatureCrc32c', 'protectionLevel');
      nameLike('name', VERSION);
      break;
    case 'google.cloud.kms.v1.PublicKey':
      needs('pem', 'pemCrc32c', 'algorithm', 'name', 'protectionLevel');
      nameLike('name', VERSION);
      if (present(m, 'pem') && !String(m['pem']).startsWith('-----BEGIN PUBLIC KEY-----')) issue('pem is not a PEM SubjectPublicKeyInfo');
      break;
    case 'google.protobuf.Timestamp':
      if (present(m, 'nanos') && ((m['nanos'] as number) < 0 || (m['nanos'] as number) > 999_999_999)) issue('nanos outside 0..999,999,999');
      break;
    case 'google.protobuf.Int64Value':
      if (!present(m, 'value')) issue('a checksum wrapper without its value');
      else if (Number(m['value']) < 0 || Number(m['value']) > 0xffffffff) issue('a CRC32C is a 32-bit unsigned value');
      break;
  }
}

/** Everything wrong with the reply of `method` (empty when it conforms). */
export function replyProblems(method: string, reply: Msg): string[] {
  const m = service.methods[method];
  if (!m) return [`${method} is not a KeyManagementService method`];
  const type = m.resolvedResponseType!;
  const out: string[] = [];
  walk(type, reply, '', out);
  if (out.length > 0) return out;
  // protobufjs's own verifier over the message the reply encodes to.
  const verified = type.verify(type.fromObject(reply));
  return verified ? [`${type.fullName.slice(1)}: ${verified}`] : [];
}

/** A failed call: a gRPC status other than OK, with details that say what went wrong. */
export function errorProblems(code: number | undefined, details: string | undefined): string[] {
  const out: string[] = [];
  if (!Number.isInteger(code) || code! < 1 || code! > 16) out.push(`status ${String(code)} is not a google.rpc.Code error`);
  if (!details) out.push('an error without details');
  return out;
}
