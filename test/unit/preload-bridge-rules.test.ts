// What window.ecps (electron/ipc/preloadBridge.ts) hands the page for each answer the main process could give, and
// what it sends for the offline kit's channels. The rules (docs/ipc-contract.md, docs/security.md): every call resolves
// to an envelope, never rejects; an answer that is not an envelope ({ok: true, ...} or {ok: false, error: {...}}) is
// `internal` "The console returned no result."; an input IPC cannot clone is `invalid_input` naming the channel; the
// kit's channels (docs/incident-kit.md, listed here by hand) go out on the one call channel like every other.
// test/security/preload-exposes-contract.test.ts checks the exposed shape and events.
import { describe, expect, it } from 'vitest';
import { IPC_CALL } from '../../electron/ipc/ipcChannels.ts';
import { createPreloadApi, type IpcRendererLike } from '../../electron/ipc/preloadBridge.ts';

function answering(reply: () => Promise<unknown>) {
  const sent: unknown[][] = [];
  const ipc: IpcRendererLike = {
    invoke: (channel, ...args) => {
      sent.push([channel, ...args]);
      return reply();
    },
    on: () => undefined,
    removeListener: () => undefined,
  };
  return { api: createPreloadApi(ipc), sent };
}

const NO_RESULT = { ok: false, error: { code: 'internal', message: 'The console returned no result.' } };

// [what main answered, what the page gets: the answer itself (true) or NO_RESULT (false)]
const ANSWERS: Array<[string, unknown, boolean]> = [
  ['a success with a value', { ok: true, value: { keys: [] } }, true],
  ['a success without a value', { ok: true }, true],
  ['a refusal', { ok: false, error: { code: 'forbidden', message: 'no' } }, true],
  ['a refusal whose error is an empty object', { ok: false, error: {} }, true],
  ['ok false without an error', { ok: false }, false],
  ['ok false with a null error', { ok: false, error: null }, false],
  ['ok false with a text error', { ok: false, error: 'forbidden' }, false],
  ['ok as a string', { ok: 'true', value: 1 }, false],
  ['ok as 1', { ok: 1, value: 1 }, false],
  ['an object without ok', { value: 1 }, false],
  ['an error without ok', { error: { code: 'x', message: 'y' } }, false],
  ['an empty array', [], false],
  ['null', null, false],
  ['undefined', undefined, false],
  ['a string', 'ok', false],
  ['a number', 1, false],
  ['true', true, false],
];

describe('window.ecps: what the page gets for each answer of the main process', () => {
  it.each(ANSWERS)('%s', async (_what, answer, isEnvelope) => {
    const { api } = answering(async () => answer);
    expect(await api.keys.list({})).toEqual(isEnvelope ? answer : NO_RESULT);
  });

  it('an input that cannot be sent is invalid_input naming the channel, not a rejection', async () => {
    const { api } = answering(async () => {
      throw new Error('An object could not be cloned.');
    });
    expect(await api.keys.list({})).toEqual({ ok: false, error: { code: 'invalid_input', message: 'The input for keys:list cannot be sent to the console.' } });
    expect(await api.session.status({})).toEqual({ ok: false, error: { code: 'invalid_input', message: 'The input for session:status cannot be sent to the console.' } });
  });
});

describe("window.ecps.kitOffline: the offline kit's channels", () => {
  const KIT = [
    ['status', 'kitOffline:status', {}],
    ['signIn', 'kitOffline:signIn', { operator: 'alice', passphrase: 'correct horse battery' }],
    ['signOut', 'kitOffline:signOut', {}],
    ['info', 'kitOffline:info', {}],
    ['robots', 'kitOffline:robots', {}],
    ['certificates', 'kitOffline:certificates', {}],
    ['audit', 'kitOffline:audit', {}],
  ] as const;
  it.each(KIT)('kitOffline.%s sends %s with its input on the call channel and returns the answer', async (verb, channel, input) => {
    const answer = { ok: true, value: { verb } };
    const { api, sent } = answering(async () => answer);
    const group = (api as unknown as { kitOffline: Record<string, (i: unknown) => Promise<unknown>> }).kitOffline;
    expect(await group[verb]!(input)).toEqual(answer);
    expect(sent).toEqual([[IPC_CALL, channel, input]]);
  });

  it('a kit call with an answer that is not an envelope is internal too', async () => {
    const { api } = answering(async () => 'junk');
    const group = (api as unknown as { kitOffline: Record<string, (i: unknown) => Promise<unknown>> }).kitOffline;
    expect(await group.status!({})).toEqual(NO_RESULT);
  });
});
