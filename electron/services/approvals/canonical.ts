// Canonical JSON (docs/two-person-control.md, "What a request binds"): object keys sorted by code unit, no whitespace,
// fields whose value is undefined left out, bytes as {"$bytes": base64}, numbers as JavaScript prints them (finite
// only). The same value always gives the same text, so its SHA-256 identifies an input exactly.
import crypto from 'node:crypto';

export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return canonicalJson({ $bytes: Buffer.from(value).toString('base64') });
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonical JSON: numbers must be finite');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON: cannot encode a ${typeof value}`);
  }
}

/** Reads canonical JSON back, {"$bytes": …} as a Buffer. */
export function parseCanonical(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === '$bytes' && typeof (v as { $bytes: unknown }).$bytes === 'string') return Buffer.from((v as { $bytes: string }).$bytes, 'base64');
    }
    return v;
  });
}

export const sha256Hex = (text: string | Buffer): string => crypto.createHash('sha256').update(text).digest('hex');
