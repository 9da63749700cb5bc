// The logger never writes a secret: values under secret-looking names are replaced at any depth (nested objects,
// arrays, Maps, errors' own fields and causes), buffers are reduced to their length, and cycles end the walk.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConsoleError } from '../../shared/errors.ts';
import { createMemoryLogger, createStderrLogger, redact } from '../../electron/logger.ts';
import { Secret } from '../../electron/providers/config/secret.ts';

/** Field names whose values must never reach a log line (what the console, its providers and their SDKs use). */
const SECRET_NAMES = [
  'passphrase', 'password', 'newPassword', 'currentPassphrase', 'secret', 'clientSecret', 'secretAccessKey',
  'aws_secret_access_key', 'azure_client_secret', 'token', 'accessToken', 'sessionToken', 'aws_session_token',
  'vault_token', 'privateKey', 'private_key', 'plaintext', 'material', 'keyMaterial', 'masterKey', 'pin', 'soPin',
  'pkcs11_pin', 'dek', 'kek', 'key', 'dataKey', 'apiKey', 'wrappingKey', 'credentials', 'gcp_credentials_json',
  'authorization', 'Authorization', 'cookie', 'seed', 'mnemonic', 'shares',
];
/** Ordinary fields that must stay readable. */
const PLAIN_FIELDS = { keyId: 'key-7f3a', providerId: 'aws-primary', deviceId: 'robot-0042', operator: 'alice', keyName: 'fleet-comm', code: 'provider_unavailable' };

const secretValue = (name: string) => `S3CRET-${name}-${randomBytes(6).toString('hex')}`;

/** Every secret name at once, each with its own value, as an object; the values are returned for the checks. */
function secretsObject(values: string[]): Record<string, string> {
  return Object.fromEntries(SECRET_NAMES.map((name) => {
    const v = secretValue(name);
    values.push(v);
    return [name, v];
  }));
}

/** A payload that hides secrets at every kind of depth the logger may be handed. */
function nastyFields(values: string[]): Record<string, unknown> {
  const inner = new Error('provider call failed') as Error & Record<string, unknown>;
  Object.assign(inner, { ...secretsObject(values), request: { headers: secretsObject(values) } });
  const outer = new Error('rotation failed', { cause: inner }) as Error & Record<string, unknown>;
  outer.context = { attempt: [secretsObject(values)] };
  return {
    ...PLAIN_FIELDS,
    ...secretsObject(values),
    nested: { deeper: { deepest: { ...secretsObject(values), ...PLAIN_FIELDS } } },
    list: [secretsObject(values), [secretsObject(values)]],
    error: outer,
    consoleError: new ConsoleError('invalid_input', 'bad config', { field: 'x', ...(secretsObject(values) as Record<string, string>) }),
    map: new Map<string, unknown>([...Object.entries(secretsObject(values)), ['keyId', PLAIN_FIELDS.keyId]]),
    set: new Set([secretsObject(values)]),
  };
}

describe('logger redaction', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes no secret value at any depth to the memory log, and keeps ordinary fields', () => {
    const values: string[] = [];
    const logger = createMemoryLogger();
    logger.error('rotation failed', nastyFields(values));
    const line = JSON.stringify(logger.entries);
    expect(values.length).toBe(SECRET_NAMES.length * 10);
    for (const v of values) expect(line).not.toContain(v);
    const fields = logger.entries[0]!.fields!;
    expect(fields).toMatchObject(PLAIN_FIELDS);
    expect(fields.nested).toMatchObject({ deeper: { deepest: { ...PLAIN_FIELDS, passphrase: '[redacted]', privateKey: '[redacted]' } } });
    expect(fields.error).toMatchObject({ name: 'Error', message: 'rotation failed', cause: { message: 'provider call failed', token: '[redacted]' } });
    expect(fields.consoleError).toMatchObject({ name: 'ConsoleError', code: 'invalid_input', details: { field: 'x', pin: '[redacted]' } });
    expect(fields.map).toMatchObject({ keyId: PLAIN_FIELDS.keyId, secret: '[redacted]' });
    expect(fields.list).toMatchObject([{ token: '[redacted]' }, [{ token: '[redacted]' }]]);
  });

  it('writes no secret value at any depth to stderr', () => {
    const values: string[] = [];
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    createStderrLogger('info').warn('degraded', nastyFields(values));
    expect(written).toHaveLength(1);
    for (const v of values) expect(written[0]).not.toContain(v);
    expect(JSON.parse(written[0]!)).toMatchObject({ level: 'warn', message: 'degraded', ...PLAIN_FIELDS });
  });

  it('reduces buffers and typed arrays to their length, whatever their name', () => {
    const material = Buffer.from('raw key bytes that must not be logged');
    const out = redact({ blob: material, view: new Uint8Array(material), nested: { arr: material.buffer.slice(0, 8) } })!;
    expect(out).toEqual({ blob: `[${material.length} bytes]`, view: `[${material.length} bytes]`, nested: { arr: '[8 bytes]' } });
    const line = JSON.stringify(out);
    for (const enc of ['utf8', 'hex', 'base64'] as const) expect(line).not.toContain(material.toString(enc).slice(0, 12));
  });

  it("prints a provider configuration Secret as '[redacted]' under any name", () => {
    const out = redact({ config: { id: 'vault-1', vault_address: 'https://vault.local', field: new Secret('hvs.S3CRET-vault') } })!;
    expect(out).toEqual({ config: { id: 'vault-1', vault_address: 'https://vault.local', field: '[redacted]' } });
  });

  it('ends on cycles (objects, arrays, error causes) and still prints shared, non-cyclic parts twice', () => {
    const loop: Record<string, unknown> = { name: 'loop', token: 'S3CRET-loop' };
    loop.self = loop;
    const arr: unknown[] = ['a'];
    arr.push(arr);
    const err = new Error('again') as Error & { cause?: unknown };
    err.cause = err;
    const shared = { keyId: 'k1' };
    const out = redact({ loop, arr, err, a: shared, b: shared })!;
    expect(out.loop).toEqual({ name: 'loop', token: '[redacted]', self: '[circular]' });
    expect(out.arr).toEqual(['a', '[circular]']);
    expect(out.err).toMatchObject({ message: 'again', cause: '[circular]' });
    expect([out.a, out.b]).toEqual([{ keyId: 'k1' }, { keyId: 'k1' }]);
    expect(JSON.stringify(out)).not.toContain('S3CRET-loop');
  });

  it('cuts off structures nested without end, and serialises bigints and dates', () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 50; i++) deep = { next: deep };
    const out = redact({ deep, big: 2n ** 70n, at: new Date('2026-01-02T03:04:05.000Z') })!;
    expect(JSON.stringify(out)).toContain('[too deep]');
    expect(out.big).toBe('1180591620717411303424');
    expect(out.at).toBe('2026-01-02T03:04:05.000Z');
  });
});
