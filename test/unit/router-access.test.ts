// The router's access gate (issue 14, docs/operators.md): checked before the input is parsed, and once more with the
// parsed input for the channels whose permission depends on it (a key marked compromised, a robot quarantined or
// revoked: the security officer's). A refusal reaches no handler; a gate that breaks answers `internal`, not "allowed".
import { describe, expect, it } from 'vitest';
import { CHANNELS, type ChannelName, type Handlers } from '../../shared/contract.ts';
import { ConsoleError } from '../../shared/errors.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import { createMemoryLogger } from '../../electron/logger.ts';

const KEY = '0b7c2a52-3f1e-4c1a-9a57-3c7f2b8e4d10';
// The channels whose permission the issue makes depend on the input, written here (not read from shared/permissions).
const BY_INPUT: ReadonlySet<string> = new Set(['keys:setState', 'fleet:setStatus']);

function recordingHandlers(ran: string[]): Handlers {
  return Object.fromEntries(CHANNELS.map((name) => [name, async () => (ran.push(name), { done: name })])) as unknown as Handlers;
}

interface Check { channel: ChannelName; input: { parsed: unknown } | undefined }

function gate(decide: (c: Check) => void) {
  const checks: Check[] = [];
  return { checks, check: (channel: ChannelName, _ctx: unknown, input?: { parsed: unknown }) => (checks.push({ channel, input }), decide({ channel, input })) };
}

const call = (router: ReturnType<typeof createRouter>, channel: string, input: unknown) => router.route({ channel, input, ctx: { transport: 'test' }, trustedSender: true });

describe('router access gate', () => {
  it('asks once, before parsing, for a channel whose permission does not depend on the input; allowed calls run', async () => {
    const ran: string[] = [];
    const g = gate(() => undefined);
    const router = createRouter({ handlers: recordingHandlers(ran), access: g });
    await call(router, 'keys:rotate', { keyId: KEY }); // (the recording handler's answer is not a key: its envelope is not the point)
    expect(g.checks).toEqual([{ channel: 'keys:rotate', input: undefined }]);
    expect(ran).toEqual(['keys:rotate']);
  });

  it('a refusal before parsing reaches no handler and wins over a malformed input', async () => {
    const ran: string[] = [];
    const g = gate(() => {
      throw new ConsoleError('forbidden', 'Viewer may not call keys:rotate.');
    });
    const router = createRouter({ handlers: recordingHandlers(ran), access: g });
    expect(await call(router, 'keys:rotate', { keyId: KEY })).toEqual({ ok: false, error: expect.objectContaining({ code: 'forbidden', message: 'Viewer may not call keys:rotate.' }) });
    expect(await call(router, 'keys:rotate', { keyId: 'not a key' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(ran).toEqual([]);
  });

  it.each([...BY_INPUT])('%s is asked again with the parsed input, and refused there reaches no handler', async (channel) => {
    const input = channel === 'keys:setState' ? { keyId: KEY, state: 'compromised', reason: 'leaked' } : { deviceId: 'robot-0001', status: 'revoked', reason: 'stolen' };
    const ran: string[] = [];
    const g = gate((c) => {
      if (c.input !== undefined) throw new ConsoleError('forbidden', 'needs security');
    });
    const router = createRouter({ handlers: recordingHandlers(ran), access: g });
    expect(await call(router, channel, input)).toMatchObject({ ok: false, error: { code: 'forbidden', message: 'needs security' } });
    expect(g.checks).toEqual([{ channel, input: undefined }, { channel, input: { parsed: input } }]);
    expect(ran).toEqual([]);
  });

  it('every other channel is asked exactly once', async () => {
    const g = gate(() => {
      throw new ConsoleError('forbidden', 'no');
    });
    const router = createRouter({ handlers: recordingHandlers([]), access: g });
    for (const channel of CHANNELS.filter((c) => !BY_INPUT.has(c))) {
      g.checks.length = 0;
      await call(router, channel, {});
      expect(g.checks, channel).toEqual([{ channel, input: undefined }]);
    }
  });

  it('a gate that breaks answers internal (naming the channel, not the error), logged, and runs nothing', async () => {
    const ran: string[] = [];
    const logger = createMemoryLogger();
    const router = createRouter({
      handlers: recordingHandlers(ran),
      logger,
      access: gate(() => {
        throw new Error('gate bug S3CRET');
      }),
    });
    const env = await call(router, 'keys:list', {});
    expect(env).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(JSON.stringify(env)).toContain('keys:list');
    expect(JSON.stringify(env)).not.toContain('S3CRET');
    expect(logger.entries.find((e) => e.message === 'ipc access check failed')).toMatchObject({ level: 'error', fields: { channel: 'keys:list', transport: 'test' } });
    expect(ran).toEqual([]);
  });
});

describe('schema refusals handed to the gate (docs/emergency-response.md "Audit")', () => {
  it('a refused input is handed over once (channel, context, the error the caller gets) and reaches no handler; a valid one is not', async () => {
    const ran: string[] = [];
    const handed: Array<[string, unknown, unknown]> = [];
    const router = createRouter({ handlers: recordingHandlers(ran), access: { check: () => undefined, refusedInput: (channel, ctx, error) => void handed.push([channel, ctx, error]) } });
    const env = await call(router, 'emergency:retry', { runId: 42, passphrase: 'S3CRET' });
    expect(env.ok).toBe(false);
    expect(handed).toEqual([['emergency:retry', { transport: 'test' }, env.ok ? null : env.error]]);
    expect(handed[0]?.[2]).toMatchObject({ code: 'invalid_input' });
    expect(ran).toEqual([]);
    await call(router, 'keys:rotate', { keyId: KEY });
    expect(handed).toHaveLength(1);
  });

  it('a gate that breaks while auditing the refusal answers internal, logged, and runs nothing', async () => {
    const ran: string[] = [];
    const logger = createMemoryLogger();
    const router = createRouter({
      handlers: recordingHandlers(ran), logger,
      access: { check: () => undefined, refusedInput: () => { throw new Error('audit bug S3CRET'); } },
    });
    const env = await call(router, 'emergency:execute', { scope: 'everything' });
    expect(env).toMatchObject({ ok: false, error: { code: 'internal', message: 'Internal error while refusing the input of emergency:execute; the console log has details.' } });
    expect(JSON.stringify(env)).not.toContain('S3CRET');
    expect(logger.entries.find((e) => e.message === 'auditing a refused input failed')).toMatchObject({ level: 'error', fields: { channel: 'emergency:execute', transport: 'test' } });
    expect(ran).toEqual([]);
  });

  it('a router without a gate refuses the input as before (invalid_input, no handler)', async () => {
    const ran: string[] = [];
    const env = await call(createRouter({ handlers: recordingHandlers(ran) }), 'emergency:retry', { runId: 42 });
    expect(env).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(ran).toEqual([]);
  });

  it('a gate that only checks (no refusedInput, as RouterOptions allows) still refuses the input as invalid_input', async () => {
    const ran: string[] = [];
    const env = await call(createRouter({ handlers: recordingHandlers(ran), access: { check: () => undefined } }), 'emergency:retry', { runId: 42 });
    expect(env).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(ran).toEqual([]);
  });
});
