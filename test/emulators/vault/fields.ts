// Request-field parsing the way Vault's framework does it: typed fields with string coercion, base64 the way Go's
// base64.StdEncoding decodes (padding required, no foreign characters, trailing padding bits ignored), and the
// {"errors": [...]} failure every endpoint answers with.

/** A Vault API failure: HTTP status plus the strings of the {"errors": [...]} body. */
export class VaultApiError extends Error {
  readonly status: number;
  readonly errors: string[];

  constructor(status: number, errors: string[] | string) {
    const list = typeof errors === 'string' ? [errors] : errors;
    super(list[0] ?? `status ${status}`);
    this.name = 'VaultApiError';
    this.status = status;
    this.errors = list;
  }
}

export const badRequest = (message: string): VaultApiError => new VaultApiError(400, message);

export type Body = Record<string, unknown>;

function convertError(field: string, value: unknown, type: string): VaultApiError {
  return badRequest(`error converting input ${JSON.stringify(value)} for field "${field}": cannot parse as ${type}`);
}

export function stringField(body: Body, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw convertError(field, v, 'string');
}

export function intField(body: Body, field: string): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  throw convertError(field, v, 'int');
}

export function boolField(body: Body, field: string): boolean | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw convertError(field, v, 'bool');
}

/** Vault's TypeDurationSecond: integer seconds or a Go duration string ("24h", "90m", "3600s", "1h30m"). */
export function durationSecondsField(body: Body, field: string): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'string') {
    if (/^\d+$/.test(v)) return Number(v);
    const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
    const re = /(\d+)([smhd])/g;
    let total = 0;
    let consumed = 0;
    for (const m of v.matchAll(re)) {
      total += Number(m[1]) * units[m[2]!]!;
      consumed += m[0].length;
    }
    if (consumed === v.length && v.length > 0) return total;
  }
  throw convertError(field, v, 'duration');
}

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Go base64.StdEncoding.DecodeString: null when Go would return an error. */
export function decodeStdBase64(s: string): Buffer | null {
  if (!STD_BASE64.test(s)) return null;
  return Buffer.from(s, 'base64');
}
