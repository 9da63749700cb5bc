// Request-field checks in the service's words: type errors are SerializationException, constraint violations are
// ValidationException ("1 validation error detected: Value at 'x' failed to satisfy constraint: ...").
import { kmsErr } from './errors.ts';

export type JsonBody = Record<string, unknown>;

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
const constraint = (name: string, what: string) =>
  kmsErr.validation(`1 validation error detected: Value at '${lowerFirst(name)}' failed to satisfy constraint: Member must ${what}`);
const wrongType = (name: string, type: string) => kmsErr.serialization(`Field ${name} must be of type ${type}.`);

function present(body: JsonBody, name: string, required: boolean): boolean {
  const v = body[name];
  if (v === undefined || v === null) {
    if (required) throw constraint(name, 'not be null');
    return false;
  }
  return true;
}

export function optString(body: JsonBody, name: string, min = 1, max = 2048): string | undefined {
  if (!present(body, name, false)) return undefined;
  const v = body[name];
  if (typeof v !== 'string') throw wrongType(name, 'string');
  if (v.length < min) throw constraint(name, `have length greater than or equal to ${min}`);
  if (v.length > max) throw constraint(name, `have length less than or equal to ${max}`);
  return v;
}

export function reqString(body: JsonBody, name: string, min = 1, max = 2048): string {
  present(body, name, true);
  return optString(body, name, min, max)!;
}

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function optBlob(body: JsonBody, name: string, min: number, max: number): Buffer | undefined {
  if (!present(body, name, false)) return undefined;
  const v = body[name];
  if (typeof v !== 'string' || !B64.test(v)) throw wrongType(name, 'base64-encoded blob');
  const b = Buffer.from(v, 'base64');
  if (b.length < min) throw constraint(name, `have length greater than or equal to ${min}`);
  if (b.length > max) throw constraint(name, `have length less than or equal to ${max}`);
  return b;
}

export function reqBlob(body: JsonBody, name: string, min: number, max: number): Buffer {
  present(body, name, true);
  return optBlob(body, name, min, max)!;
}

export function optInt(body: JsonBody, name: string, min: number, max: number): number | undefined {
  if (!present(body, name, false)) return undefined;
  const v = body[name];
  if (typeof v !== 'number' || !Number.isInteger(v)) throw wrongType(name, 'integer');
  if (v < min) throw constraint(name, `have value greater than or equal to ${min}`);
  if (v > max) throw constraint(name, `have value less than or equal to ${max}`);
  return v;
}

export function optBool(body: JsonBody, name: string): boolean | undefined {
  if (!present(body, name, false)) return undefined;
  const v = body[name];
  if (typeof v !== 'boolean') throw wrongType(name, 'boolean');
  return v;
}

export function optEnum<T extends string>(body: JsonBody, name: string, values: readonly T[]): T | undefined {
  if (!present(body, name, false)) return undefined;
  const v = body[name];
  if (typeof v !== 'string') throw wrongType(name, 'string');
  if (!(values as readonly string[]).includes(v)) throw constraint(name, `satisfy enum value set: [${values.join(', ')}]`);
  return v as T;
}

export function reqEnum<T extends string>(body: JsonBody, name: string, values: readonly T[]): T {
  present(body, name, true);
  return optEnum(body, name, values)!;
}

/** EncryptionContext: a string-to-string map. */
export function optContext(body: JsonBody, name: string): Record<string, string> {
  if (!present(body, name, false)) return {};
  const v = body[name];
  if (typeof v !== 'object' || Array.isArray(v)) throw wrongType(name, 'map');
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (typeof val !== 'string') throw wrongType(`${name}.${k}`, 'string');
    out[k] = val;
  }
  return out;
}

/** The bytes the ciphertext binds: the context's pairs sorted by key, unambiguous framing. */
export function canonicalContext(ctx: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const k of Object.keys(ctx).sort()) {
    for (const s of [k, ctx[k]!]) {
      const b = Buffer.from(s, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32BE(b.length);
      parts.push(len, b);
    }
  }
  return Buffer.concat(parts);
}
