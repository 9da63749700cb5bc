// Alerts and metrics through the console's channels (docs/metrics-and-alerts.md), with a real console and SQLite store,
// the AWS KMS emulator on 127.0.0.1 and its fault injection, and the clock moved by hand. The severities are the
// specification's ("Alerting thresholds": key_rotation_failure CRITICAL, kms_connectivity_loss HIGH,
// unauthorized_key_access CRITICAL) and the console's own MEDIUM for a usage limit near and a rotation overdue.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import type { Alert } from '../../shared/metricsContract.ts';
import type { KeySummary } from '../../shared/contract.ts';
import type { AwsKmsEmulator } from '../emulators/aws-kms/index.ts';
import { startTestEmulator } from '../emulators/aws-kms/testkit.ts';
import { CTX, removeTempDirs } from '../unit/store-testkit.ts';
import { awsConfig, bytes, type Harness, initialized, PASS } from './providers-kit.ts';

/** What the specification (and, for the last two, the console) says each kind is. */
const SEVERITY: Record<Alert['kind'], Alert['severity']> = {
  rotation_failure: 'CRITICAL',
  provider_connectivity: 'HIGH',
  unauthorized_access: 'CRITICAL',
  usage_limit_near: 'MEDIUM',
  rotation_overdue: 'MEDIUM',
  // One officer breaking glass on a wide emergency scope (docs/emergency-response.md).
  emergency_break_glass: 'CRITICAL',
};

const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-02T10:00:00Z');
const OFFICER = 'Officer Ada';

describe('alerts and metrics', () => {
  const clock = manualClock(T0);
  let aws: AwsKmsEmulator;
  let h: Harness;
  let awsKey: KeySummary;
  let localKey: KeySummary;

  /** The alerts of a kind, polled until `n` are there (they are raised a microtask after the audit record). */
  const alertsOf = async (kind: Alert['kind'], n = 1) => {
    let found: Alert[] = [];
    await vi.waitFor(async () => {
      found = (await h.call('alerts:list', {})).alerts.filter((a) => a.kind === kind);
      expect(found.length).toBeGreaterThanOrEqual(n);
    });
    return found;
  };
  const raisedRecords = (alertId: string) => h.console.audit.query({ action: 'alert.raise', targetId: alertId, limit: 10 }).records;

  beforeAll(async () => {
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    aws = await startTestEmulator();
    h = await initialized({ clock, rotation: { scheduler: false } });
    await h.call('providers:save', { config: awsConfig({ aws, vault: null as never, vaultToken: '', close: async () => undefined }, { use_kms_for_storage: false }) });
    // No jitter: the scheduled rotation is due exactly an hour after creation.
    await h.call('rotation:setTypePolicy', { type: 'communication', policy: { mode: 'scheduled', periodSeconds: 3600, jitterSeconds: 0 } });
    awsKey = await h.call('keys:create', { type: 'communication', label: 'uplink-aws', provider: 'aws-primary' });
    localKey = await h.call('keys:create', { type: 'storage', label: 'disk' });
  });
  afterAll(async () => {
    h?.console.close();
    await aws?.close();
    removeTempDirs();
  });

  it('metrics: encryptions count as operations with their latency per provider; the provider answered every call', async () => {
    for (let i = 0; i < 3; i++) await h.call('keys:encrypt', { keyId: awsKey.id, plaintext: bytes(`m${i}`) });
    await h.call('keys:encrypt', { keyId: localKey.id, plaintext: bytes('local') });
    const hour = await h.call('metrics:series', { range: 'hour' });
    const now = hour.operationsPerSecond[hour.operationsPerSecond.length - 1]!;
    // keys:create x2 and four encryptions at least (the provider's own calls are not key operations).
    expect(now.samples).toBeGreaterThanOrEqual(6);
    const latency = Object.fromEntries(hour.encryptionLatency.map((s) => [s.provider, s.points[s.points.length - 1]!]));
    expect(latency['aws-primary']).toMatchObject({ samples: 3 });
    expect(latency['aws-primary']!.p99).toBeGreaterThan(0);
    expect(latency.local).toMatchObject({ samples: 1 });
    const avail = hour.availability.find((s) => s.provider === 'aws-primary')!.points.at(-1)!;
    expect(avail.value).toBe(100);
  });

  it('a scheduled rotation that fails while AWS is down raises one CRITICAL alert, audited with the failed record as its source', async () => {
    clock.set(T0 + 2 * HOUR);
    await aws.faults.down();
    try {
      const report = await h.console.rotation.scheduler.tick();
      expect(report.ran.map((r) => [r.keyId, r.outcome])).toContainEqual([awsKey.id, 'failure']);
    } finally {
      await aws.faults.up();
    }
    const [alert] = await alertsOf('rotation_failure');
    expect(alert).toMatchObject({ kind: 'rotation_failure', severity: SEVERITY.rotation_failure, subject: awsKey.id, acknowledgedAt: null, acknowledgedBy: null });
    // The scheduler's rotate records key.rotate and rotation.run: one alert, seen twice.
    expect((await h.call('alerts:list', {})).alerts.filter((a) => a.kind === 'rotation_failure')).toHaveLength(1);
    const source = h.console.audit.query({ action: 'rotation.run', targetId: awsKey.id, limit: 5 }).records.find((r) => r.outcome === 'failure');
    expect(source).toBeDefined();
    const raised = raisedRecords(alert!.id);
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ actor: 'system', outcome: 'success', details: { kind: 'rotation_failure', severity: 'CRITICAL', subject: awsKey.id } });
    expect([source!.seq, alert!.sourceSeq]).toContain(raised[0]!.details.sourceSeq);
    // The metric: this hour's rotation attempts include the failure.
    const rate = (await h.call('metrics:series', { range: 'hour' })).rotationSuccessRate.at(-1)!;
    expect(rate.samples).toBeGreaterThanOrEqual(1);
    expect(rate.value).toBeLessThan(100);
  });

  it('the outage raised a HIGH provider connectivity alert, and availability fell below 100 %', async () => {
    const [alert] = await alertsOf('provider_connectivity');
    expect(alert).toMatchObject({ severity: SEVERITY.provider_connectivity, subject: 'aws-primary' });
    expect(raisedRecords(alert!.id)[0]!.details).toMatchObject({ kind: 'provider_connectivity', severity: 'HIGH' });
    const avail = (await h.call('metrics:series', { range: 'hour' })).availability.find((s) => s.provider === 'aws-primary')!.points.at(-1)!;
    expect(avail.value).toBeLessThan(100);
  });

  it('acknowledging names the operator, is audited, and cannot happen twice; unknown and malformed ids are refused', async () => {
    const [alert] = await alertsOf('rotation_failure');
    clock.set(T0 + 2 * HOUR + 60_000);
    const acked = await h.call('alerts:acknowledge', { id: alert!.id });
    expect(acked).toMatchObject({ id: alert!.id, acknowledgedBy: OFFICER, acknowledgedAt: new Date(T0 + 2 * HOUR + 60_000).toISOString() });
    const record = h.console.audit.query({ action: 'alert.acknowledge', targetId: alert!.id, limit: 5 }).records;
    expect(record).toHaveLength(1);
    expect(record[0]).toMatchObject({ actor: OFFICER, outcome: 'success', details: { kind: 'rotation_failure', severity: 'CRITICAL' } });
    expect((await h.fail(h.call('alerts:acknowledge', { id: alert!.id }))).code).toBe('illegal_transition');
    expect((await h.fail(h.call('alerts:acknowledge', { id: '00000000-0000-4000-8000-000000000000' }))).code).toBe('not_found');
    const routed = await createRouter({ handlers: h.console.handlers }).route({ channel: 'alerts:acknowledge', input: { id: 'nope' }, ctx: CTX, trustedSender: true });
    expect(routed).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    // Unacknowledged only: the acknowledged alert is gone from the inbox, the open counts follow.
    const open = await h.call('alerts:list', { unacknowledgedOnly: true });
    expect(open.alerts.map((a) => a.id)).not.toContain(alert!.id);
    expect(open.open.CRITICAL).toBe(open.alerts.filter((a) => a.severity === 'CRITICAL').length);
  });

  it('failed unlocks raise one CRITICAL unauthorised-access alert counting each attempt', async () => {
    await h.call('session:lock', {});
    for (let i = 0; i < 2; i++) expect((await h.fail(h.call('session:unlock', { operator: 'Mallory', passphrase: 'not the passphrase at all' }))).code).toBe('wrong_passphrase');
    clock.advance(HOUR);
    await h.call('session:unlock', { operator: OFFICER, passphrase: PASS });
    const [alert] = await alertsOf('unauthorized_access');
    expect(alert).toMatchObject({ severity: SEVERITY.unauthorized_access, subject: 'store', occurrences: 2 });
    expect(alert!.message).toContain('Mallory');
    expect(raisedRecords(alert!.id)).toHaveLength(1);
  });

  it('an operation denied by the key state raises CRITICAL unauthorised access', async () => {
    const before = (await h.call('alerts:list', {})).alerts.filter((a) => a.kind === 'unauthorized_access').length;
    await h.call('keys:setState', { keyId: localKey.id, state: 'suspended', reason: 'investigation' });
    expect((await h.fail(h.call('keys:encrypt', { keyId: localKey.id, plaintext: bytes('x') }))).code).toBe('key_disabled');
    const alerts = await alertsOf('unauthorized_access', before + 1);
    expect(alerts.find((a) => a.subject === localKey.id)).toMatchObject({ severity: 'CRITICAL', details: { code: 'key_disabled', action: 'key.encrypt' } });
  });

  it('a rotation an hour overdue raises MEDIUM once per key version', async () => {
    // The AWS key's rotation failed at T0 + 2 h and waits for its retry; it was due at T0 + 1 h.
    const overdue = h.console.metrics.checkOverdue();
    expect(overdue).toBeGreaterThanOrEqual(1);
    const [alert] = await alertsOf('rotation_overdue');
    expect(alert).toMatchObject({ severity: SEVERITY.rotation_overdue, subject: awsKey.id, details: { fromVersion: 1 } });
    await h.call('alerts:acknowledge', { id: alert!.id });
    h.console.metrics.checkOverdue();
    expect((await h.call('alerts:list', {})).alerts.filter((a) => a.kind === 'rotation_overdue')).toHaveLength(1);
  });
});
