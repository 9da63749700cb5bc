// What the router says when it refuses a call (docs/ipc-contract.md): messages name the channel and the field path,
// never the rejected value; caller-chosen text (channel names, key names, path segments) is shown only cleaned of
// control characters and cut to 40 characters, so it cannot forge log lines or smuggle a secret into a message.
// Every expected text is written out here.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ChannelName, type Handlers } from '../../shared/contract.ts';
import { ConsoleError } from '../../shared/errors.ts';
import { createRouter, fieldPath, invalidInputError } from '../../electron/ipc/router.ts';
import { createMemoryLogger } from '../../electron/logger.ts';

const ctx = { transport: 'test' as const };
const KEY = '0b7c2a52-3f1e-4c1a-9a57-3c7f2b8e4d10';

/** Handlers for the few channels used here; any other channel must never be reached. */
function handlers(over: Partial<Record<ChannelName, (input: unknown) => Promise<unknown>>> = {}): Handlers {
  return new Proxy(over, {
    get: (target, name: string) => target[name as ChannelName] ?? (async () => { throw new Error(`handler ${name} must not run`); }),
  }) as unknown as Handlers;
}

function errorOf(envelope: { ok: boolean; error?: { code: string; message: string; details?: Record<string, unknown> } }) {
  expect(envelope.ok).toBe(false);
  return envelope.error!;
}

const zodError = (schema: z.ZodType, input: unknown): z.ZodError => {
  const r = schema.safeParse(input);
  if (r.success) throw new Error('expected a failure');
  return r.error;
};

describe('router: field paths', () => {
  it.each([
    [[], '(input)'],
    [['label'], 'label'],
    [['keyIds', 0], 'keyIds.0'],
    [['config', 'vault_url'], 'config.vault_url'],
    [['a\nb\u0000c\u007fd\te'], 'a?b?c?d?e'],
    [['x'.repeat(40)], 'x'.repeat(40)],
    [['x'.repeat(41)], `${'x'.repeat(40)}…`],
    [[`${'y'.repeat(39)}\n${'z'.repeat(10)}`], `${'y'.repeat(39)}?…`],
    [[Symbol('secret')], '[symbol]'],
    [['a', Symbol.iterator, 2], 'a.[symbol].2'],
  ] as Array<[PropertyKey[], string]>)('%j -> %s', (path, shown) => {
    expect(fieldPath(path)).toBe(shown);
  });
});

describe('router: invalid_input messages', () => {
  const strict = z.object({ keyId: z.string() }).strict();

  it.each([
    [{ keyId: 'k', keyID: 1 }, '(input): unexpected field "keyID"'],
    [{ keyId: 'k', a: 1, b: 2 }, '(input): unexpected fields "a", "b"'],
    [{ keyId: 'k', a: 1, b: 2, c: 3 }, '(input): unexpected fields "a", "b", "c"'],
    [{ keyId: 'k', a: 1, b: 2, c: 3, d: 4 }, '(input): unexpected fields "a", "b", "c", 1 other'],
    [{ keyId: 'k', a: 1, b: 2, c: 3, d: 4, e: 5 }, '(input): unexpected fields "a", "b", "c", 2 others'],
    [{ keyId: 'k', 'my passphrase is hunter2': 1 }, '(input): unexpected field 1 other'],
    [{ keyId: 'k', 'not a name': 1, 'also not': 2 }, '(input): unexpected fields 2 others'],
    [{ keyId: 'k', ok_name: 1, 'bad name': 2 }, '(input): unexpected fields "ok_name", 1 other'],
    [{ keyId: 'k', [`a${'b'.repeat(32)}`]: 1 }, '(input): unexpected field 1 other'],
  ])('%j -> %s', (input, text) => {
    const e = invalidInputError('keys:get', zodError(strict, input));
    expect(e).toBeInstanceOf(ConsoleError);
    expect(e.code).toBe('invalid_input');
    expect(e.message).toBe(`Invalid input for keys:get: ${text}`);
    expect(e.details).toEqual({ field: '(input)' });
  });

  it('shows at most three issues, joined by "; ", and counts the rest', () => {
    const five = z.object({ a: z.string(), b: z.string(), c: z.string(), d: z.string(), e: z.string() });
    const e = invalidInputError('fleet:create', zodError(five, { a: 1, b: 1, c: 1, d: 1, e: 1 }));
    const issue = (f: string) => `${f}: Invalid input: expected string, received number`;
    expect(e.message).toBe(`Invalid input for fleet:create: ${issue('a')}; ${issue('b')}; ${issue('c')} (and 2 more)`);
    expect(e.details).toEqual({ field: 'a' });

    const three = invalidInputError('fleet:create', zodError(five.pick({ a: true, b: true, c: true }), { a: 1, b: 1, c: 1 }));
    expect(three.message).toBe(`Invalid input for fleet:create: ${issue('a')}; ${issue('b')}; ${issue('c')}`);
    const four = invalidInputError('fleet:create', zodError(five.omit({ e: true }), { a: 1, b: 1, c: 1, d: 1 }));
    expect(four.message).toBe(`Invalid input for fleet:create: ${issue('a')}; ${issue('b')}; ${issue('c')} (and 1 more)`);
  });

  it('an error without issues still names the whole input', () => {
    const e = invalidInputError('keys:get', new z.ZodError([]));
    expect(e.message).toBe('Invalid input for keys:get: ');
    expect(e.details).toEqual({ field: '(input)' });
  });

  it('the documented example, through the router', async () => {
    const router = createRouter({ handlers: handlers() });
    const error = errorOf(await router.route({ channel: 'keys:create', input: { type: 'storage', label: '   ' }, ctx, trustedSender: true }));
    expect(error).toEqual({ code: 'invalid_input', message: 'Invalid input for keys:create: label: must not be empty', details: { field: 'label' } });
  });
});

describe('router: refusals before the handler', () => {
  it('an untrusted sender gets a fixed message, and the refusal is logged with the cleaned channel name', async () => {
    const logger = createMemoryLogger();
    const router = createRouter({ handlers: handlers(), logger });
    const calls: Array<[unknown, string]> = [
      ['keys:list', 'keys:list'],
      ['fake\nlevel=error forged', 'fake?level=error forged'],
      ['c'.repeat(100), `${'c'.repeat(40)}…`],
      [42, '(number)'],
      [null, '(object)'],
      [undefined, '(undefined)'],
    ];
    for (const [channel] of calls) {
      const error = errorOf(await router.route({ channel, input: {}, ctx, trustedSender: false }));
      expect(error).toEqual({ code: 'forbidden_sender', message: 'The request did not come from the console window.' });
    }
    expect(logger.entries).toEqual(calls.map(([, shown]) => ({
      level: 'warn', message: 'ipc call refused: untrusted sender', fields: { channel: shown, transport: 'test' },
    })));
  });

  it.each([
    ['keys:explode', 'Unknown channel keys:explode.'],
    ['line\r\nbreak', 'Unknown channel line??break.'],
    ['k'.repeat(41), `Unknown channel ${'k'.repeat(40)}….`],
    [42, 'Unknown channel (number).'],
    [{ channel: 'keys:list' }, 'Unknown channel (object).'],
    [true, 'Unknown channel (boolean).'],
  ])('unknown channel %j -> %s', async (channel, message) => {
    const router = createRouter({ handlers: handlers() });
    expect(errorOf(await router.route({ channel, input: {}, ctx, trustedSender: true }))).toEqual({ code: 'unknown_channel', message });
  });
});

describe('router: failures after the handler', () => {
  it('an unexpected error is logged as "ipc handler failed" with the channel and transport, and answered generically', async () => {
    const logger = createMemoryLogger();
    const boom = new RangeError('disk on fire');
    const router = createRouter({ handlers: handlers({ 'keys:get': async () => { throw boom; } }), logger });
    const error = errorOf(await router.route({ channel: 'keys:get', input: { keyId: KEY }, ctx, trustedSender: true }));
    expect(error).toEqual({ code: 'internal', message: 'Internal error while handling keys:get; the console log has details.' });
    expect(logger.entries).toEqual([
      { level: 'error', message: 'ipc handler failed', fields: { channel: 'keys:get', transport: 'test', error: { name: 'RangeError', message: 'disk on fire' } } },
    ]);
  });

  it('an output that fails its schema is logged as paths and issue codes (at most five), never values', async () => {
    const logger = createMemoryLogger();
    const bad = { state: 7, operator: 8, retryAfterMs: 'x', storePath: 9 };
    const router = createRouter({ handlers: handlers({ 'session:status': async () => bad }), logger });
    const error = errorOf(await router.route({ channel: 'session:status', input: {}, ctx, trustedSender: true }));
    expect(error).toEqual({ code: 'internal', message: 'Internal error: session:status produced an invalid result; the console log has details.' });
    expect(logger.entries).toEqual([{
      level: 'error',
      message: 'ipc output failed its schema',
      fields: { channel: 'session:status', transport: 'test', issues: ['state: invalid_value', 'operator: invalid_type', 'retryAfterMs: invalid_type', 'storePath: invalid_type'] },
    }]);

    const many = createMemoryLogger();
    const keys = createRouter({ handlers: handlers({ 'keys:get': async () => ({}) }), logger: many });
    await keys.route({ channel: 'keys:get', input: { keyId: KEY }, ctx, trustedSender: true });
    const issues = many.entries[0]?.fields?.issues as string[];
    expect(issues).toHaveLength(5);
    expect(issues[0]).toBe('id: invalid_type');
  });
});
