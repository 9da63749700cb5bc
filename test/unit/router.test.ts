// The router is the one gate of the contract: these tests drive it with a real Handlers object whose functions
// record their calls, and prove that nothing malformed reaches a handler and every failure is a typed envelope.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CHANNELS, contract, type ChannelName, type Envelope, type Handlers } from '../../shared/contract.ts';
import { ConsoleError, ERROR_CODES } from '../../shared/errors.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { KEY, MARK, VALID } from './channel-samples.ts';

type Call = { channel: ChannelName; input: unknown };

/** Handlers that record every call and answer with a value the output schema does not check here. */
function recordingHandlers(answer: (channel: ChannelName) => unknown = () => ({})) {
  const calls: Call[] = [];
  const handlers = Object.fromEntries(
    CHANNELS.map((channel) => [channel, async (input: unknown) => {
      calls.push({ channel, input });
      return answer(channel);
    }]),
  ) as unknown as Handlers;
  return { calls, handlers };
}

const ctx = { transport: 'test' as const };

function expectError(envelope: Envelope<unknown>, code: string): { code: string; message: string; details?: Record<string, unknown> } {
  expect(envelope.ok).toBe(false);
  if (envelope.ok) throw new Error('unreachable');
  expect(envelope.error.code).toBe(code);
  expect(ERROR_CODES).toContain(envelope.error.code);
  return envelope.error;
}

function shapeOf(channel: ChannelName): Record<string, z.ZodType> {
  return (contract[channel].input as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
}

function isListField(schema: z.ZodType): boolean {
  let t: unknown = schema;
  while (t instanceof z.ZodDefault || t instanceof z.ZodOptional) t = t.unwrap();
  return t instanceof z.ZodArray;
}

/** Malformed variants of a channel's input, each with a label for the failure message. */
function malformedInputs(channel: ChannelName): Array<[string, unknown]> {
  const valid = VALID[channel];
  const shape = shapeOf(channel);
  const cases: Array<[string, unknown]> = [
    ['null', null],
    ['undefined', undefined],
    ['an array', [valid]],
    ['a number', 42],
    ['a string', MARK],
    ['a boolean', true],
    ['an extra key', { ...valid, [`extra_${MARK}`]: MARK }],
    ['a __proto__ key (JSON)', JSON.parse(`{"__proto__": {"polluted": "${MARK}"}, ${JSON.stringify(valid).slice(1, -1)}}`.replace(', }', '}'))],
    ['a constructor key', { ...valid, constructor: { prototype: { polluted: MARK } } }],
    ['a prototype key', { ...valid, prototype: MARK }],
  ];
  for (const field of Object.keys(shape)) {
    // A record-typed field (providers:save's config) legitimately takes an object.
    if (!(shape[field] instanceof z.ZodRecord)) cases.push([`${field} as an object`, { ...valid, [field]: { value: MARK } }]);
    // A list-typed field (a robot's tags) legitimately takes an array: give it an array of objects instead.
    if (isListField(shape[field]!)) cases.push([`${field} as an array of objects`, { ...valid, [field]: [{ value: MARK }] }]);
    else cases.push([`${field} as an array`, { ...valid, [field]: [MARK] }]);
    cases.push([`${field} as null`, { ...valid, [field]: null }]);
    cases.push([`${field} oversize (2 MiB string)`, { ...valid, [field]: MARK + 'A'.repeat(2 * 1024 * 1024) }]);
    if (!shape[field]!.safeParse(undefined).success) {
      const { [field]: _dropped, ...rest } = valid;
      cases.push([`${field} missing`, rest]);
    }
  }
  return cases;
}

describe('router validation (malformed inputs of every channel give typed errors)', () => {
  it('accepts the valid input of every channel and hands the parsed value to its handler', async () => {
    const { calls, handlers } = recordingHandlers();
    const router = createRouter({ handlers });
    for (const channel of CHANNELS) {
      await router.route({ channel, input: VALID[channel], ctx, trustedSender: true });
    }
    expect(calls.map((c) => c.channel)).toEqual(CHANNELS);
  });

  for (const channel of CHANNELS) {
    it(`${channel}: every malformed input is invalid_input, names the field, echoes nothing, and never reaches the handler`, async () => {
      const { calls, handlers } = recordingHandlers();
      const router = createRouter({ handlers });
      const cases = malformedInputs(channel);
      expect(cases.length).toBeGreaterThanOrEqual(10);
      for (const [label, input] of cases) {
        const envelope = await router.route({ channel, input, ctx, trustedSender: true });
        const error = expectError(envelope, 'invalid_input');
        expect(error.message, label).toContain(channel);
        expect(error.message, label).not.toContain(MARK);
        expect(error.message.length, label).toBeLessThan(600);
        expect(typeof error.details?.field, label).toBe('string');
        if (label.startsWith('an extra key')) expect(error.message).toContain('unexpected field');
        const field = label.split(' ')[0]!;
        // An element of an array field is named by its path (keyIds.0).
        if (field in shapeOf(channel)) expect(String(error.details?.field), label).toMatch(new RegExp(`^${field}(\\.|$)`));
      }
      expect(calls).toEqual([]);
    });
  }
});

describe('router outcomes', () => {
  it('names an unexpected field when it looks like a field name, and hides arbitrary key text', async () => {
    const { handlers } = recordingHandlers();
    const router = createRouter({ handlers });
    const named = expectError(await router.route({ channel: 'keys:get', input: { keyId: KEY, keyID: 1 }, ctx, trustedSender: true }), 'invalid_input');
    expect(named.message).toContain('unexpected field "keyID"');
    const hidden = expectError(await router.route({ channel: 'keys:get', input: { keyId: KEY, [`my pass ${MARK}`]: 1 }, ctx, trustedSender: true }), 'invalid_input');
    expect(hidden.message).toContain('unexpected field 1 other');
    expect(hidden.message).not.toContain(MARK);
  });

  it('refuses an unknown channel with unknown_channel, whatever the name', async () => {
    const { calls, handlers } = recordingHandlers();
    const router = createRouter({ handlers });
    for (const channel of ['keys:explode', 'constructor', '__proto__', 'toString', '', 42, null, { c: 1 }]) {
      expectError(await router.route({ channel, input: {}, ctx, trustedSender: true }), 'unknown_channel');
    }
    expect(calls).toEqual([]);
  });

  it('refuses an untrusted sender with forbidden_sender before looking at the call', async () => {
    const { calls, handlers } = recordingHandlers();
    const router = createRouter({ handlers });
    expectError(await router.route({ channel: 'session:status', input: {}, ctx, trustedSender: false }), 'forbidden_sender');
    expectError(await router.route({ channel: 'no:such', input: null, ctx, trustedSender: false }), 'forbidden_sender');
    expect(calls).toEqual([]);
  });

  it('passes a ConsoleError thrown by a service through as its code, message and details', async () => {
    const { handlers } = recordingHandlers();
    handlers['session:unlock'] = async () => {
      throw new ConsoleError('too_many_attempts', 'Wait before trying again.', { retryAfterMs: 5000 });
    };
    const router = createRouter({ handlers });
    const env = await router.route({ channel: 'session:unlock', input: VALID['session:unlock'], ctx, trustedSender: true });
    expect(env).toEqual({ ok: false, error: { code: 'too_many_attempts', message: 'Wait before trying again.', details: { retryAfterMs: 5000 } } });
  });

  it('turns any other error into internal with a generic message, and logs it without the input', async () => {
    const { handlers } = recordingHandlers();
    handlers['session:init'] = async () => {
      throw new TypeError('sqlite exploded at row 7');
    };
    const logger = createMemoryLogger();
    const router = createRouter({ handlers, logger });
    const env = await router.route({ channel: 'session:init', input: { operator: 'alice', passphrase: MARK }, ctx, trustedSender: true });
    const error = expectError(env, 'internal');
    expect(error.message).not.toContain('sqlite exploded');
    expect(error.message).toContain('session:init');
    expect(logger.entries).toHaveLength(1);
    expect(JSON.stringify(logger.entries)).toContain('sqlite exploded');
    expect(JSON.stringify(logger.entries)).not.toContain(MARK);
  });

  it('reports an output that fails its schema as internal and never returns the bad value', async () => {
    const { handlers } = recordingHandlers();
    handlers['keys:get'] = async () => ({ id: KEY, label: 'x', privateKeyPem: MARK }) as never;
    const logger = createMemoryLogger();
    const router = createRouter({ handlers, logger });
    const env = await router.route({ channel: 'keys:get', input: { keyId: KEY }, ctx, trustedSender: true });
    const error = expectError(env, 'internal');
    expect(JSON.stringify(env)).not.toContain(MARK);
    expect(error.message).toContain('keys:get');
    expect(JSON.stringify(logger.entries)).not.toContain(MARK);
    expect(logger.entries[0]?.message).toBe('ipc output failed its schema');
  });

  it('strips unknown output fields (a secret a service adds by mistake does not cross)', async () => {
    const { handlers } = recordingHandlers();
    handlers['session:status'] = async () => ({ state: 'locked', operator: null, retryAfterMs: 0, storePath: '/s', masterKey: MARK }) as never;
    const router = createRouter({ handlers });
    const env = await router.route({ channel: 'session:status', input: {}, ctx, trustedSender: true });
    expect(env).toEqual({ ok: true, value: { state: 'locked', operator: null, retryAfterMs: 0, storePath: '/s' } });
  });

  it('passes the transport context to the handler and trims parsed strings', async () => {
    const { calls, handlers } = recordingHandlers();
    const seen: unknown[] = [];
    handlers['keys:create'] = async (input, c) => {
      seen.push(c);
      calls.push({ channel: 'keys:create', input });
      return {} as never;
    };
    const router = createRouter({ handlers });
    await router.route({ channel: 'keys:create', input: { type: 'storage', label: '  Disk  ' }, ctx: { transport: 'cli' }, trustedSender: true });
    expect(seen).toEqual([{ transport: 'cli' }]);
    expect(calls[0]?.input).toEqual({ type: 'storage', label: 'Disk' });
  });
});

describe('router: a handler refusing locked is handed to the gate (docs/audit-log.md "Refused inputs and locked calls")', () => {
  const CODES: Array<[string, boolean]> = [['locked', true], ['not_initialized', false], ['forbidden', false], ['not_found', false]];

  it.each(CODES)('a handler refusing %s: handed to refusedLocked: %s; the caller gets the handler\'s error', async (code, handed) => {
    const { handlers } = recordingHandlers();
    handlers['emergency:retry'] = async () => {
      throw new ConsoleError(code as 'locked', `refused ${code}`);
    };
    const seen: unknown[] = [];
    const router = createRouter({ handlers, access: { check() {}, refusedLocked: (channel, c, error) => void seen.push([channel, c, error]) } });
    const env = await router.route({ channel: 'emergency:retry', input: VALID['emergency:retry'], ctx, trustedSender: true });
    expect(env).toEqual({ ok: false, error: { code, message: `refused ${code}` } });
    expect(seen).toEqual(handed ? [['emergency:retry', ctx, { code, message: `refused ${code}` }]] : []);
  });

  it('a gate that cannot record the locked refusal: internal, logged without the input', async () => {
    const { handlers } = recordingHandlers();
    handlers['emergency:retry'] = async () => {
      throw new ConsoleError('locked', 'The key store is locked');
    };
    const logger = createMemoryLogger();
    const router = createRouter({ handlers, logger, access: { check() {}, refusedLocked: () => { throw new Error('database closed'); } } });
    const env = await router.route({ channel: 'emergency:retry', input: VALID['emergency:retry'], ctx, trustedSender: true });
    expect(expectError(env, 'internal').message).toBe('Internal error while refusing emergency:retry; the console log has details.');
    expect(logger.entries.map((e) => e.message)).toEqual(['auditing a locked refusal failed']);
  });
});
