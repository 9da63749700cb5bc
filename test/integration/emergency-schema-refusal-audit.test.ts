// A refusal of an emergency operation by the router's schema (before any handler) is audited like the console's own
// refusals (docs/emergency-response.md "Audit"): on a real console and store, through the router as every transport
// builds it (the console's access gate), each call below is refused and leaves exactly the records of the table:
// the operation's action, failed, naming the channel, the signed-in operator (or 'unknown'), the code and the field,
// never the input (a marker hidden in it appears in no record). Another channel writes its own operation's record
// (test/integration/refusal-audit.test.ts); a role that may not call the channel is refused before its input is read
// (access.denied, as before).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouter } from '../../electron/ipc/router.ts';
import type { ChannelName } from '../../shared/contract.ts';
import { CTX, removeTempDirs } from '../unit/store-testkit.ts';
import { type Harness, initialized, PASS } from './providers-kit.ts';
import { addOperators } from './support/consoleCalls.ts';

const SECRET = 'Schema-Refusal-Marker-5e1f0c';
const ADA = { name: 'Officer Ada', passphrase: PASS };
const VIC = { name: 'Vic Viewer', passphrase: 'Viewer passphrase for the schema refusals 0193' };
let h: Harness;

beforeAll(async () => {
  h = await initialized();
  await addOperators(h.console, ADA, [{ ...VIC, role: 'viewer' }]);
}, 60_000);

afterAll(() => {
  h.console.close();
  removeTempDirs();
});

const ORDER = { kind: 'lockdown', scope: { site: 'Plant 1' }, actions: ['stop_operating'], reason: 'drill', message: 'stop', validForSeconds: 3600 };
const EXECUTE = { scope: { kind: 'robot', deviceId: 'uv-001' }, actions: ['quarantine'], reason: 'drill' };

type Expected = { actor: string; action: string; targetType: string | null; targetId: string | null; outcome: string; details: Record<string, unknown> };
const schema = (actor: string, role: string | null, action: string, channel: ChannelName, field: string): Expected => ({
  actor, action, targetType: 'channel', targetId: channel, outcome: 'failure', details: { code: 'invalid_input', field, role, transport: CTX.transport, refusedBy: 'schema' },
});

// [what, who is signed in (null: no one), channel, input, the code the caller gets, the records it leaves].
const CASES: Array<[string, typeof ADA | null, ChannelName, unknown, string, Expected[]]> = [
  ['a lockdown order with a field the schema does not know (holding a secret)', ADA, 'emergency:lockdownOrder', { ...ORDER, passphrase: SECRET }, 'invalid_input',
    [schema('Officer Ada', 'admin', 'lockdown.order', 'emergency:lockdownOrder', '(input)')]],
  ['a lockdown order valid for "soon"', ADA, 'emergency:lockdownOrder', { ...ORDER, validForSeconds: 'soon', reason: SECRET }, 'invalid_input',
    [schema('Officer Ada', 'admin', 'lockdown.order', 'emergency:lockdownOrder', 'validForSeconds')]],
  ['a playbook run with a certificate reason that is none', ADA, 'emergency:execute', { ...EXECUTE, certificateReason: 'bogus', reason: SECRET }, 'invalid_input',
    [schema('Officer Ada', 'admin', 'emergency.execute', 'emergency:execute', 'certificateReason')]],
  ['a retry of a run id that is a number', ADA, 'emergency:retry', { runId: 42 }, 'invalid_input',
    [schema('Officer Ada', 'admin', 'emergency.retry', 'emergency:retry', 'runId')]],
  ['another channel (keys:create) refused by its schema: recorded under its own operation (test/integration/refusal-audit.test.ts has every kind)', ADA, 'keys:create', { type: 'communication', label: SECRET, algorithm: 'ROT13' }, 'invalid_input',
    [schema('Officer Ada', 'admin', 'key.create', 'keys:create', 'algorithm')]],
  ['a viewer: refused before the input is read (forbidden)', VIC, 'emergency:execute', { ...EXECUTE, certificateReason: 'bogus', reason: SECRET }, 'forbidden',
    [{ actor: 'Vic Viewer', action: 'access.denied', targetType: 'channel', targetId: 'emergency:execute', outcome: 'failure', details: { code: 'forbidden', role: 'viewer', needs: 'security', transport: CTX.transport } },
      // The alert rules raise their CRITICAL alert on a denied access (as for any channel).
      { actor: 'system', action: 'alert.raise', targetType: null, targetId: expect.any(String) as string, outcome: 'success',
        details: { kind: 'unauthorized_access', severity: 'CRITICAL', subject: 'emergency:execute', message: 'access.denied by Vic Viewer was denied (forbidden) on emergency:execute.', sourceSeq: expect.any(Number) as number } }]],
  ['no one signed in: the schema refuses first, the record names no one', null, 'emergency:lockdownOrder', { ...ORDER, validForSeconds: 'soon', reason: SECRET }, 'invalid_input',
    [schema('unknown', null, 'lockdown.order', 'emergency:lockdownOrder', 'validForSeconds')]],
];

const headSeq = () => Math.max(0, ...h.console.audit.query({ offset: 0, limit: 5 }).records.map((r) => r.seq));
const since = (seq: number) => h.console.audit.query({ offset: 0, limit: 50 }).records.filter((r) => r.seq > seq).sort((a, b) => a.seq - b.seq);

describe('schema refusals of the emergency channels', () => {
  it.each(CASES)('%s', async (_what, who, channel, input, code, expected) => {
    await h.call('session:lock', {});
    if (who) await h.call('session:unlock', { operator: who.name, passphrase: who.passphrase });
    // Each case opens its own window of the coalesced refusals (docs/audit-log.md).
    h.console.access.flush();
    const before = headSeq();
    const router = createRouter({ handlers: h.console.handlers, access: h.console.access });
    const envelope = await router.route({ channel, input, ctx: CTX, trustedSender: true });
    expect(envelope.ok ? null : envelope.error.code).toBe(code);
    const records = since(before);
    expect(records.map(({ actor, action, targetType, targetId, outcome, details }) => ({ actor, action, targetType, targetId, outcome, details }))).toEqual(expected);
    expect(JSON.stringify(records)).not.toContain(SECRET);
  });
});
