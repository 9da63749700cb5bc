/** Structured logger. Field values under secret-looking names, at any depth, are replaced before anything is written. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Names whose values are never logged: passphrases, secrets, tokens, PINs, key material, credentials (any *key). */
export const SECRET_FIELD =
  /pass|secret|token|plaintext|private|material|master|pin|dek|kek|credential|authorization|cookie|seed|mnemonic|key$|^shares?$/i;

export const REDACTED = '[redacted]';
/** Deeper structures are cut off: a log line is for people, and a bound keeps odd objects from growing it without end. */
const MAX_DEPTH = 8;

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function redactEntries(entries: Iterable<[string, unknown]>, path: Set<object>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) out[k] = SECRET_FIELD.test(k) ? REDACTED : redactValue(v, path, depth + 1);
  return out;
}

function ownEntries(v: object): Array<[string, unknown]> {
  try {
    return Object.entries(v);
  } catch {
    // a throwing getter: log that there was something, not what
    return [];
  }
}

/** A JSON-safe copy of v with secret-named fields replaced; cycles become '[circular]', no Buffer content is copied. */
function redactValue(v: unknown, path: Set<object>, depth: number): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === undefined) return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'function' || typeof v === 'symbol') return `[${typeof v}]`;
  if (ArrayBuffer.isView(v)) return `[${v.byteLength} bytes]`;
  if (v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) return `[${v.byteLength} bytes]`;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  if (path.has(v)) return '[circular]';
  if (depth > MAX_DEPTH) return '[too deep]';
  path.add(v);
  try {
    if (Array.isArray(v)) return v.map((item) => redactValue(item, path, depth + 1));
    if (v instanceof Error) {
      // name and message, then the error's own fields (code, details, $metadata, ...) and its cause, all redacted
      const fields = ownEntries(v).filter(([k]) => k !== 'stack' && k !== 'message' && k !== 'cause');
      const out: Record<string, unknown> = { name: v.name, message: v.message, ...redactEntries(fields, path, depth) };
      if ('cause' in v && v.cause !== undefined) out.cause = redactValue(v.cause, path, depth + 1);
      return out;
    }
    if (v instanceof Map) return redactEntries([...v.entries()].map(([k, val]) => [String(k), val] as [string, unknown]), path, depth);
    if (v instanceof Set) return [...v].map((item) => redactValue(item, path, depth + 1));
    const toJSON = (v as { toJSON?: unknown }).toJSON;
    if (!isPlainObject(v) && typeof toJSON === 'function') return redactValue(toJSON.call(v), path, depth + 1);
    return redactEntries(ownEntries(v), path, depth);
  } finally {
    path.delete(v);
  }
}

export function redact(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!fields) return undefined;
  return redactEntries(ownEntries(fields), new Set([fields]), 0);
}

/** Writes one JSON line per entry to stderr. */
/** Where text goes: process.stderr, or a test's in-memory stream. */
export interface TextSink {
  write(text: string): unknown;
}

export function createStderrLogger(minLevel: 'info' | 'warn' | 'error' = 'info', stderr: TextSink = process.stderr): Logger {
  const order = { info: 0, warn: 1, error: 2 } as const;
  const write = (level: keyof typeof order, message: string, fields?: Record<string, unknown>) => {
    if (order[level] < order[minLevel]) return;
    stderr.write(JSON.stringify({ ts: new Date().toISOString(), level, message, ...redact(fields) }) + '\n');
  };
  return {
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

/** Keeps entries in memory; tests assert that no secret reaches the log. */
export function createMemoryLogger(): Logger & { entries: Array<{ level: string; message: string; fields?: Record<string, unknown> }> } {
  const entries: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  const push = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    const red = redact(fields);
    entries.push(red ? { level, message, fields: red } : { level, message });
  };
  return { entries, info: push('info'), warn: push('warn'), error: push('error') };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
