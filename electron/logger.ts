/** Structured logger. Field values under secret-looking names are replaced before anything is written. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const SECRET_FIELD = /pass|secret|token|plaintext|private|material|master|pin|dek|kek|^key$/i;

export function redact(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!fields) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_FIELD.test(k)) out[k] = '[redacted]';
    else if (Buffer.isBuffer(v) || v instanceof Uint8Array) out[k] = `[${v.length} bytes]`;
    else if (v instanceof Error) out[k] = { name: v.name, message: v.message };
    else out[k] = v;
  }
  return out;
}

/** Writes one JSON line per entry to stderr. */
export function createStderrLogger(minLevel: 'info' | 'warn' | 'error' = 'info'): Logger {
  const order = { info: 0, warn: 1, error: 2 } as const;
  const write = (level: keyof typeof order, message: string, fields?: Record<string, unknown>) => {
    if (order[level] < order[minLevel]) return;
    process.stderr.write(JSON.stringify({ ts: new Date().toISOString(), level, message, ...redact(fields) }) + '\n');
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
