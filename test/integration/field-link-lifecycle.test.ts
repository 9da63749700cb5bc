// The field link's life with the console (docs/field-link.md "Starting at unlock" and "Server certificate renewal"),
// in a real console on a real store with its clock moved by hand, over real TLS on 127.0.0.1:
// - the stored setting "start the field link when the console unlocks" (field:autostart, field:setAutostart): off by
//   default, refused with its field when invalid, audited; the link starts at unlock on the stored address in a console
//   opened with startAtUnlock (the window, serve, scheduler), stops at lock, starts again at the next unlock, survives
//   a restart of the console, and never starts in a console without startAtUnlock (one-shot CLI commands); an address
//   taken at unlock leaves the console unlocked and the link stopped, with the failed start audited;
// - the server certificate (30 days) is kept while more than a third of its validity remains and renewed once less
//   remains (after 20 days), audited field.renew; new handshakes get the new certificate; a replaced fleet CA has the
//   certificate renewed at once, issued by the new CA.
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { contractCaller, failure } from './support/consoleCalls.ts';
import { CTX, open, PASSPHRASE, removeTempDirs, tempDir } from '../unit/store-testkit.ts';

const DAY = 86_400_000;
const START = Date.parse('2026-03-01T00:00:00Z');

afterAll(() => removeTempDirs());

/** A port free on 127.0.0.1 now (the OS picks it; released before use). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The certificate the listener presents to a new TLS handshake (serial in lower-case hex, issuer and the PEM). */
async function presented(port: number): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, minVersion: 'TLSv1.3' }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.destroy();
      if (cert) resolve(cert);
      else reject(new Error('no certificate presented'));
    });
    socket.on('error', reject);
  });
}

/** Waits (a hang guard only) until the console's link is in the state asked; the unlock starts it in the background. */
async function until(c: FleetConsole, running: boolean): Promise<void> {
  for (let i = 0; i < 400 && c.field.status().running !== running; i++) await new Promise((r) => setTimeout(r, 25));
  expect(c.field.status().running).toBe(running);
}

describe('the field link with the console', () => {
  let c: FleetConsole | null = null;
  afterEach(async () => {
    await c?.field.stop();
    c?.close();
    c = null;
  });

  it('starts at unlock from the stored setting, stops at lock, and never in a one-shot console', async () => {
    const dir = tempDir('ecps-field-life-');
    const clock = manualClock(START);
    c = await open(dir, { clock, rotation: { scheduler: false }, field: { startAtUnlock: true, renewCheckMs: null } });
    const call = contractCaller(() => c!);
    await call('session:init', { operator: 'alice', passphrase: PASSPHRASE });
    await call('ca:init', { providerId: 'local', algorithm: 'EC_P256', commonName: 'Field Life CA' });
    // Off until an officer sets it (the Station screen's default address).
    expect(await call('field:autostart', {})).toEqual({ enabled: false, host: '0.0.0.0', port: 8443 });
    // A port robots cannot be configured with (0) and an address that is no host are refused with their field.
    expect(await failure(c.handlers['field:setAutostart']({ enabled: true, host: '127.0.0.1', port: 0 }, CTX))).toMatchObject({ code: 'invalid_input', details: { field: 'port' } });
    expect(await failure(c.handlers['field:setAutostart']({ enabled: true, host: 'a b', port: 9 }, CTX))).toMatchObject({ code: 'invalid_input', details: { field: 'host' } });
    const port = await freePort();
    const setting = { enabled: true, host: '127.0.0.1', port, certificateDays: 30 };
    expect(await call('field:setAutostart', setting)).toEqual(setting);
    expect(await call('field:autostart', {})).toEqual(setting);
    const audited = c.audit.query({ action: 'settings.field_link', offset: 0, limit: 10 }).records;
    expect(audited.map((r) => [r.outcome, r.actor, r.details.enabled, r.details.port, r.details.wasEnabled])).toEqual([['success', 'alice', true, port, false]]);
    // Stored now: it applies from the next unlock, not at once.
    expect(c.field.status().running).toBe(false);

    await call('session:lock', {});
    await call('session:unlock', { operator: 'alice', passphrase: PASSPHRASE });
    await until(c, true);
    expect(c.field.status()).toMatchObject({ host: '127.0.0.1', port });
    expect((await presented(port)).serialNumber.toLowerCase()).toBe(c.field.status().certificate?.serial);

    // Locked: the link stops (nothing listens on the port); unlocked again: it starts again.
    await call('session:lock', {});
    await until(c, false);
    await expect(presented(port)).rejects.toThrow();
    await call('session:unlock', { operator: 'alice', passphrase: PASSPHRASE });
    await until(c, true);

    // Across a restart of the console the setting holds.
    await c.field.stop();
    c.close();
    c = await open(dir, { clock, rotation: { scheduler: false }, field: { startAtUnlock: true, renewCheckMs: null } });
    await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    await until(c, true);

    // A one-shot console (no startAtUnlock) never starts it; nor does a console once the setting is off.
    await c.field.stop();
    c.close();
    c = await open(dir, { clock, rotation: { scheduler: false } });
    await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    await c.handlers['field:setAutostart']({ ...setting, enabled: false }, CTX);
    c.close();
    c = await open(dir, { clock, rotation: { scheduler: false }, field: { startAtUnlock: true, renewCheckMs: null } });
    await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    await c.field.idle();
    expect(c.field.status().running).toBe(false);
  });

  it('an address taken at unlock: the unlock succeeds, the link stays stopped, the failed start is audited', async () => {
    c = await open(tempDir('ecps-field-taken-'), { rotation: { scheduler: false }, field: { startAtUnlock: true, renewCheckMs: null } });
    const call = contractCaller(() => c!);
    await call('session:init', { operator: 'alice', passphrase: PASSPHRASE });
    await call('ca:init', { providerId: 'local', algorithm: 'EC_P256', commonName: 'Field Taken CA' });
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    try {
      const port = (holder.address() as net.AddressInfo).port;
      await call('field:setAutostart', { enabled: true, host: '127.0.0.1', port });
      await call('session:lock', {});
      await call('session:unlock', { operator: 'alice', passphrase: PASSPHRASE });
      const failed = () => c!.audit.query({ action: 'field.start', offset: 0, limit: 10 }).records.filter((r) => r.outcome === 'failure');
      for (let i = 0; i < 400 && failed().length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      expect(failed().map((r) => [r.details.port, r.details.code])).toEqual([[port, 'invalid_input']]);
      expect(c.field.status().running).toBe(false);
      expect((await call('session:status', {})).state).toBe('unlocked');
    } finally {
      await new Promise<void>((r) => holder.close(() => r()));
    }
  });

  it('renews its server certificate once less than a third of its validity remains, and when the CA is replaced', async () => {
    const clock = manualClock(START);
    c = await open(tempDir('ecps-field-renew-'), { clock, rotation: { scheduler: false }, field: { renewCheckMs: null } });
    const call = contractCaller(() => c!);
    await call('session:init', { operator: 'alice', passphrase: PASSPHRASE });
    const firstCa = await call('ca:init', { providerId: 'local', algorithm: 'EC_P256', commonName: 'Field Renew CA' });
    const started = await call('field:start', { host: '127.0.0.1', port: 0, certificateDays: 30 });
    const port = started.port!;
    const first = started.certificate!.serial;
    expect(started.certificate!.notAfter).toBe(new Date(START + 30 * DAY).toISOString());

    // 30 days of validity: a third is 10 days. Kept at 20 days less a second (10 days and a second remain) ...
    clock.set(START + 20 * DAY - 1_000);
    expect(await c.field.checkRenewal()).toEqual({ renewed: null, serial: first });
    expect((await presented(port)).serialNumber.toLowerCase()).toBe(first);
    // ... renewed a second past 20 days (less than 10 days remain): a new 30-day certificate from that moment.
    clock.set(START + 20 * DAY + 1_000);
    const renewed = await c.field.checkRenewal();
    expect(renewed.renewed).toBe('expiring');
    expect(renewed.serial).not.toBe(first);
    expect(c.field.status().certificate).toEqual({ serial: renewed.serial, notAfter: new Date(START + 50 * DAY + 1_000).toISOString() });
    const now = await presented(port);
    expect(now.serialNumber.toLowerCase()).toBe(renewed.serial);
    expect(now.verify(new X509Certificate(firstCa.certificatePem!).publicKey)).toBe(true);
    // Checked again at once: nothing to do.
    expect(await c.field.checkRenewal()).toEqual({ renewed: null, serial: renewed.serial });
    const renewals = () => c!.audit.query({ action: 'field.renew', offset: 0, limit: 10 }).records.reverse();
    expect(renewals().map((r) => [r.outcome, r.details.reason, r.details.previousSerial, r.details.serial])).toEqual([['success', 'expiring', first, renewed.serial]]);

    // The fleet CA is replaced: the listener's certificate is renewed at once, issued by the new CA.
    const replaced = await call('ca:replace', { algorithm: 'EC_P256', commonName: 'Field Renew CA 2', reason: 'scheduled replacement' });
    const byNew = await presented(port);
    expect(byNew.serialNumber.toLowerCase()).not.toBe(renewed.serial);
    expect(byNew.verify(new X509Certificate(replaced.current.certificatePem).publicKey)).toBe(true);
    expect(renewals().map((r) => [r.outcome, r.details.reason, r.details.caId])).toEqual([
      ['success', 'expiring', replaced.previous.id],
      ['success', 'ca_replaced', replaced.current.id],
    ]);
  });
});
