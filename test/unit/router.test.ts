// The router is the one gate of the contract: these tests drive it with a real Handlers object whose functions
// record their calls, and prove that nothing malformed reaches a handler and every failure is a typed envelope.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CHANNELS, contract, type ChannelName, type Envelope, type Handlers } from '../../shared/contract.ts';
import { ConsoleError, ERROR_CODES } from '../../shared/errors.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import { createMemoryLogger } from '../../electron/logger.ts';

const KEY = '0b7c2a52-3f1e-4c1a-9a57-3c7f2b8e4d10';
const MARK = 'S3CRET-MARKER-do-not-echo';
const BYTES = new Uint8Array(Buffer.from('hello'));

/** One valid input per channel (TypeScript insists every channel is listed). */
const VALID: Record<ChannelName, Record<string, unknown>> = {
  'session:status': {},
  'session:init': { operator: 'alice', passphrase: 'correct horse battery staple' },
  'session:unlock': { operator: 'alice', passphrase: 'correct horse battery staple' },
  'session:lock': {},
  'session:changePassphrase': { current: 'correct horse battery staple', next: 'another long passphrase' },
  'keys:list': { type: 'storage' },
  'keys:get': { keyId: KEY },
  'keys:create': { type: 'storage', label: 'Backup disk', algorithm: 'AES_256' },
  'keys:rotate': { keyId: KEY },
  'keys:setState': { keyId: KEY, state: 'suspended', reason: 'maintenance' },
  'keys:encrypt': { keyId: KEY, plaintext: BYTES, aad: BYTES },
  'keys:decrypt': { ciphertext: BYTES },
  'keys:sign': { keyId: KEY, data: BYTES },
  'keys:verify': { keyId: KEY, data: BYTES, signature: BYTES },
  'keys:publicKey': { keyId: KEY },
  'keys:verifyIntegrity': { keyId: KEY },
  'keys:backup': { providerId: 'vault-backup', keyIds: [KEY] },
  'keys:verifyBackup': { providerId: 'vault-backup' },
  'keys:migrate': { providerId: 'aws-primary' },
  'providers:list': {},
  'providers:save': { config: { provider: 'hashicorp_vault', id: 'vault-backup', vault_url: 'https://vault.example:8200', vault_token: MARK } },
  'providers:test': { id: 'vault-backup' },
  'providers:health': {},
  'providers:remove': { id: 'vault-backup' },
  'providers:slots': { modulePath: '/usr/lib/softhsm/libsofthsm2.so' },
  'audit:query': { offset: 0, limit: 10 },
  'audit:verify': {},
  'audit:export': {},
  'audit:actions': {},
  'audit:keyFingerprint': {},
  'fleet:list': { query: 'arm', status: 'deployed', site: 'Plant 1', model: 'UV-7', renewal: 'ca_replaced', sort: 'name', dir: 'desc', offset: 0, limit: 100 },
  'fleet:get': { deviceId: 'robot-0001' },
  'fleet:create': { deviceId: 'robot-0001', name: 'Arm one', model: 'UV-7', site: 'Plant 1', firmware: '1.2.3', tags: ['line-a'] },
  'fleet:update': { deviceId: 'robot-0001', firmware: '1.2.4' },
  'fleet:setStatus': { deviceId: 'robot-0001', status: 'provisioned', reason: 'station 3' },
  'fleet:revocationPlan': { deviceId: 'robot-0001' },
  'fleet:sites': {},
  'fleet:models': {},
  'fleet:importCsv': { csv: 'device_id,name,model,site,firmware,tags,status\r\n' },
  'fleet:exportCsv': {},
  'fleet:dashboard': {},
  'fleet:keyAssignments': { deviceId: 'robot-0001' },
  'fleet:siteKeyAssignments': { site: 'Plant 1' },
  'fleet:assignKey': { scope: 'robot', scopeId: 'robot-0001', keyType: 'communication', keyId: KEY },
  'fleet:clearKeyAssignment': { scope: 'site', scopeId: 'Plant 1', keyType: 'storage' },
  'fleet:keyUsage': { keyId: KEY, version: 2, offset: 200 },
  'ca:status': {},
  'ca:init': { providerId: 'local', algorithm: 'EC_P256', commonName: 'ECPS-UV Fleet CA' },
  'ca:crl': {},
  'certs:list': { expiringWithinDays: 30 },
  'certs:revoke': { serial: '0a1b2c', reason: 'keyCompromise' },
  'ca:replace': { providerId: 'local', algorithm: 'RSA_2048', commonName: 'ECPS-UV Fleet CA 2', reason: 'ten-year CA replaced' },
  'ca:revoke': { caId: '6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f', reason: 'CA key leaked' },
  'ca:history': {},
  'bundles:build': { deviceId: 'uv-100' },
  'station:status': {},
  'station:start': { paths: ['/dev/ttyACM0'], vendorIds: ['2e8a'], productIds: ['000a'], allowReprovision: false, mode: 'distribute' },
  'station:stop': {},
  'field:status': {},
  'field:start': { host: '127.0.0.1', port: 8443, certificateDays: 30 },
  'field:stop': {},
  'field:autostart': {},
  'field:setAutostart': { enabled: true, host: '127.0.0.1', port: 8443, certificateDays: 30 },
  'station:retry': { path: '/dev/ttyACM0' },
  'station:confirmReprovision': { deviceId: 'uv-100', path: '/dev/ttyACM0' },
  'bundles:list': { deviceId: 'uv-100' },
  // rotation (issue 13)
  'rotation:status': {},
  'rotation:due': {},
  'rotation:runNow': { keyId: KEY },
  'rotation:policies': { keyId: KEY },
  'rotation:setTypePolicy': { type: 'communication', policy: { mode: 'scheduled', periodSeconds: 86_400, timeZone: 'Europe/Berlin', blackoutWindows: [{ cron: '0 6 * * 1-5', durationMinutes: 600 }] } },
  'rotation:setKeyPolicy': { keyId: KEY, policy: { mode: 'manual', usageLimit: 1_000_000 } },
  'rotation:clearKeyPolicy': { keyId: KEY },
  'rotation:pause': {},
  'rotation:resume': {},
  'rotation:jobs': { keyId: KEY, limit: 50 },
  'rotation:usage': { keyId: KEY },
  'rotation:upcoming': { days: 30 },
  'rotation:batchStart': { selection: { keyIds: [KEY] }, concurrency: 4, maxAttempts: 3 },
  'rotation:batchCancel': { batchId: KEY },
  'rotation:batchList': { limit: 20 },
  'rotation:batchGet': { batchId: KEY, items: true },
  'rotation:batchItems': { batchId: KEY, cursor: 'abc_-1', limit: 500, state: 'failed' },
  'rollout:list': { keyId: KEY, state: 'running', limit: 10 },
  'rollout:get': { rolloutId: KEY, robots: true },
  'rollout:halt': { rolloutId: KEY, reason: 'canary robots report errors' },
  'rollout:resume': { rolloutId: KEY, reason: 'canary fixed' },
  'rollout:getPolicy': { keyId: KEY },
  'rollout:setPolicy': { policy: { canaryRobots: ['uv-1'], canaryPercent: 10, canarySites: [], maxFailureRatio: 0.1, graceVersions: 1, graceSeconds: 86400 } },
  'rollout:clearPolicy': { keyId: KEY },
  'rollout:holdings': {},
  'rollout:versions': { keyId: KEY },
  'rollout:retire': { keyId: KEY, version: 1, force: true, reason: 'robot lost at sea' },
  'rollout:reinstate': { keyId: KEY, version: 1, reason: 're-encrypt the archive', days: 7 },
  'rollout:needsVisit': { site: 'Plant 1' },
  'emergency:lockdownOrder': { kind: 'lockdown', scope: { keyId: KEY, version: 2 }, actions: ['stop_operating'], reason: 'robot stolen', message: 'Stop', validForSeconds: 3600, breakGlass: { reason: 'no second officer tonight' }, expectedRobots: 2 },
  'emergency:lockdownList': { limit: 10 },
  'emergency:preview': { scope: { kind: 'site', site: 'Plant 1' }, sample: 10 },
  'emergency:execute': { scope: { kind: 'robot', deviceId: 'uv-001' }, actions: ['quarantine', 'revoke_certificates', 'lockdown'], reason: 'robot stolen', certificateReason: 'keyCompromise', dryRun: true, lockdown: { actions: ['stop_operating'], message: 'Stop', validForSeconds: 3600, keyId: KEY } },
  'emergency:runs': { limit: 10, needsReview: true },
  'emergency:run': { runId: '0b7f3c1e-2a4d-4e5f-8a9b-0c1d2e3f4a5b' },
  'emergency:retry': { runId: '0b7f3c1e-2a4d-4e5f-8a9b-0c1d2e3f4a5b' },
  'emergency:review': { runId: '0b7f3c1e-2a4d-4e5f-8a9b-0c1d2e3f4a5b', note: 'checked with the site manager' },
  'rotation:providerSchedule': { keyId: KEY },
  'rotation:checkDrift': { keyId: KEY },
  'metrics:series': { range: 'day' },
  'alerts:list': { unacknowledgedOnly: true, limit: 50 },
  'alerts:acknowledge': { id: KEY },
  'session:info': {},
  'operators:list': {},
  'operators:add': { name: 'bob', role: 'viewer', passphrase: 'bob passphrase 123' },
  'operators:remove': { name: 'bob' },
  'operators:setRole': { name: 'bob', role: 'key_custodian' },
  'operators:changePassphrase': { current: 'correct horse battery staple', next: 'another long passphrase' },
  'report:generate': { from: '2026-01-01', to: '2026-03-31T23:59:59Z', format: 'pdf' },
  'approvals:list': { open: true },
  'approvals:approve': { requestId: '8d3c1f4e-2b6a-4c1d-9e7f-0a1b2c3d4e5f' },
  'approvals:deny': { requestId: '8d3c1f4e-2b6a-4c1d-9e7f-0a1b2c3d4e5f', reason: 'not now' },
  'approvals:execute': { requestId: '8d3c1f4e-2b6a-4c1d-9e7f-0a1b2c3d4e5f' },
  'approvals:policies': {},
  'approvals:setPolicy': { policy: { action: 'key.destroy', approvals: 2, roles: ['admin'], operators: [], ttlSeconds: 3600 } },
  'approvals:exportRequest': { requestId: '8d3c1f4e-2b6a-4c1d-9e7f-0a1b2c3d4e5f' },
  'approvals:importApproval': { content: '{}' },
  'approvals:enrolKey': { publicKeyPem: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n' },
  'approvals:revokeKey': { operator: 'Ken', reason: 'key file left on a shared drive' },
  'approvals:listRevokedKeys': {},
  'approvals:listKeys': {},
  'operators:enrollTotp': {},
  'operators:confirmTotp': { code: '123 456' },
  'operators:resetTotp': { name: 'bob' },
  'operators:enrollToken': { modulePath: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: 'ecps', keyLabel: 'bob-key', pin: '1234' },
  'operators:tokenSlots': { modulePath: '/usr/lib/softhsm/libsofthsm2.so' },
  'operators:regenerateRecoveryCodes': {},
  'operators:recoveryReminder': {},
  'operators:dismissRecoveryReminder': {},
  'session:idleLock': {},
  'session:setIdleLock': { minutes: 30 },
  'session:visibility': { hidden: true },
  'recovery:status': {},
  'recovery:createShares': { threshold: 2, custodians: ['Ann', 'Ben', 'Cy'] },
  'recovery:recover': { shares: ['ecps-share1:x', 'ecps-share1:y'], operator: 'alice', passphrase: 'correct horse battery staple' },
  'backup:create': { path: '/tmp/store.ecpsbak', passphrase: 'backup passphrase 1' },
  'backup:restore': { from: '/tmp/store.ecpsbak', dataDir: '/tmp/restored', passphrase: 'backup passphrase 1' },
  'kit:export': { dir: '/media/usb/kit', passphrase: 'correct horse battery staple', orders: [{ name: 'site Plant 1', scope: { site: 'Plant 1' }, maxUses: 3, validForSeconds: 86400 }], reason: 'robot stolen' },
  'kit:import': { dir: '/media/usb/kit' },
};

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
