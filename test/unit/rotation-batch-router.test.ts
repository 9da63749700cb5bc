// The rotation:batch* channels at the router (shared/rotationBatchContract.ts): inputs that the contract must refuse
// before any handler runs (typed invalid_input naming the field), and the valid ones it hands on parsed.
import { describe, expect, it } from 'vitest';
import { CHANNELS, type ChannelName, type Handlers } from '../../shared/contract.ts';
import { createRouter } from '../../electron/ipc/router.ts';

const KEY = '0b7c2a52-3f1e-4c1a-9a57-3c7f2b8e4d10';
const ctx = { transport: 'test' as const };

/** A job as the contract describes one (the router checks outputs too). */
const VIEW = {
  batchId: KEY, state: 'running', total: 1, done: 0, failed: 0, superseded: 0, cancelled: 0, pending: 1, selection: { kind: 'keys', value: null },
  concurrency: 4, maxAttempts: 5, createdAt: '2026-03-02T08:00:00.000Z', createdBy: 'alice', finishedAt: null, cancelledBy: null,
};

function recording() {
  const calls: Array<{ channel: ChannelName; input: unknown }> = [];
  const handlers = Object.fromEntries(
    CHANNELS.map((channel) => [channel, async (input: unknown) => {
      calls.push({ channel, input });
      if (channel === 'rotation:batchItems') return { batchId: KEY, state: null, matching: 0, items: [], nextCursor: null };
      return channel === 'rotation:batchList' ? { jobs: [VIEW] } : VIEW;
    }]),
  ) as unknown as Handlers;
  return { calls, router: createRouter({ handlers }) };
}

// [channel, input, the field the refusal names (its first path element)]
const REFUSED: Array<[ChannelName, unknown, string]> = [
  ['rotation:batchStart', { selection: {} }, 'selection'],
  ['rotation:batchStart', { selection: { keyIds: [KEY], type: 'storage' } }, 'selection'],
  ['rotation:batchStart', { selection: { keyIds: [] } }, 'selection'],
  ['rotation:batchStart', { selection: { keyIds: ['not-a-key'] } }, 'selection'],
  ['rotation:batchStart', { selection: { type: 'robot' } }, 'selection'],
  ['rotation:batchStart', { selection: { site: '' } }, 'selection'],
  ['rotation:batchStart', { selection: { site: 'x'.repeat(65) } }, 'selection'],
  ['rotation:batchStart', { selection: { type: 'storage' }, concurrency: 0 }, 'concurrency'],
  ['rotation:batchStart', { selection: { type: 'storage' }, concurrency: 65 }, 'concurrency'],
  ['rotation:batchStart', { selection: { type: 'storage' }, concurrency: 1.5 }, 'concurrency'],
  ['rotation:batchStart', { selection: { type: 'storage' }, concurrency: '4' }, 'concurrency'],
  ['rotation:batchStart', { selection: { type: 'storage' }, maxAttempts: 0 }, 'maxAttempts'],
  ['rotation:batchStart', { selection: { type: 'storage' }, maxAttempts: 11 }, 'maxAttempts'],
  ['rotation:batchCancel', { batchId: 'job-1' }, 'batchId'],
  ['rotation:batchCancel', {}, 'batchId'],
  ['rotation:batchGet', { batchId: KEY, items: 'yes' }, 'items'],
  ['rotation:batchGet', { batchId: KEY.toUpperCase() }, 'batchId'],
  ['rotation:batchList', { limit: 0 }, 'limit'],
  ['rotation:batchItems', { batchId: 'job-1' }, 'batchId'],
  ['rotation:batchItems', { batchId: KEY, limit: 0 }, 'limit'],
  ['rotation:batchItems', { batchId: KEY, limit: 501 }, 'limit'],
  ['rotation:batchItems', { batchId: KEY, limit: 2.5 }, 'limit'],
  ['rotation:batchItems', { batchId: KEY, cursor: '' }, 'cursor'],
  ['rotation:batchItems', { batchId: KEY, cursor: 'not a cursor!' }, 'cursor'],
  ['rotation:batchItems', { batchId: KEY, cursor: 'a'.repeat(201) }, 'cursor'],
  ['rotation:batchItems', { batchId: KEY, cursor: 12 }, 'cursor'],
  ['rotation:batchItems', { batchId: KEY, state: 'broken' }, 'state'],
  ['rotation:batchItems', { batchId: KEY, offset: 10 }, '(input)'],
  ['rotation:batchList', { limit: 1001 }, 'limit'],
];

describe('rotation:batch* channels at the router', () => {
  it('refuses each malformed input with invalid_input naming the field, before any handler', async () => {
    const { calls, router } = recording();
    for (const [channel, input, field] of REFUSED) {
      const envelope = await router.route({ channel, input, ctx, trustedSender: true });
      const got = envelope.ok ? { ok: true } : { code: envelope.error.code, field: String(envelope.error.details?.field ?? '').split('.')[0] };
      expect({ channel, input, got }).toEqual({ channel, input, got: { code: 'invalid_input', field } });
    }
    expect(calls).toEqual([]);
  });

  it('hands valid inputs on: each selection kind, the bounds of concurrency and maxAttempts', async () => {
    const { calls, router } = recording();
    const VALID: Array<[ChannelName, unknown]> = [
      ['rotation:batchStart', { selection: { keyIds: [KEY] } }],
      ['rotation:batchStart', { selection: { type: 'communication' }, concurrency: 1, maxAttempts: 1 }],
      ['rotation:batchStart', { selection: { site: 'Plant A' }, concurrency: 64, maxAttempts: 10 }],
      ['rotation:batchCancel', { batchId: KEY }],
      ['rotation:batchGet', { batchId: KEY }],
      ['rotation:batchList', {}],
      ['rotation:batchItems', { batchId: KEY }],
      ['rotation:batchItems', { batchId: KEY, limit: 1, state: 'failed' }],
      ['rotation:batchItems', { batchId: KEY, limit: 500, cursor: 'MTIz' }],
    ];
    for (const [channel, input] of VALID) {
      const envelope = await router.route({ channel, input, ctx, trustedSender: true });
      expect({ channel, ok: envelope.ok }).toEqual({ channel, ok: true });
    }
    expect(calls.map((c) => c.input)).toEqual(VALID.map(([, input]) => input));
  });
});
