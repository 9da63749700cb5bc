// The field link's rules without a network (docs/field-link.md): which CAs it trusts (a table of CA states and
// expiries), when a robot is due something (a table of held versions, gated choices and pending items), the listen
// address of `field --listen`, and the server certificate profile the fleet CA issues for the listener (read back
// with Node's X509Certificate: serverAuth only, the host as IP or DNS subjectAltName, signed by the CA, audited).
import crypto from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { dueCheck, trustedCas } from '../../electron/services/field/fieldDeps.ts';
import { renewalReason } from '../../electron/services/field/fieldLink.ts';
import type { ChosenKey } from '../../electron/services/fleet/keyAssignments.ts';
import { UsageError } from '../../electron/ipc/cli/args.ts';
import { parseListen } from '../../electron/ipc/cli/runCli.ts';
import { caFixture, newCa, workDir } from '../integration/fleetca-kit.ts';
import { removeTempDirs } from './store-testkit.ts';

afterAll(() => removeTempDirs());

const NOW = Date.parse('2026-06-01T00:00:00Z');

describe('trusted CAs', () => {
  const TABLE: Array<[state: 'current' | 'retired' | 'compromised', notAfter: string, trusted: boolean]> = [
    ['current', '2030-01-01T00:00:00Z', true],
    ['retired', '2030-01-01T00:00:00Z', true],
    ['retired', '2026-05-31T23:59:59Z', false], // a retired CA whose certificate expired
    ['compromised', '2030-01-01T00:00:00Z', false],
    ['current', '2026-06-01T00:00:00Z', false], // expires exactly now
  ];
  it('trusts the current CA and retired ones still valid, never a compromised one', () => {
    const history = TABLE.map(([state, notAfter], i) => ({ id: `ca-${i}`, state, notAfter, certificatePem: `pem-${i}` }));
    expect(trustedCas(history, NOW)).toEqual(TABLE.flatMap(([, , trusted], i) => (trusted ? [{ caId: `ca-${i}`, pem: `pem-${i}` }] : [])));
  });
});

describe('is anything due', () => {
  const chosen = (versions: Record<string, number>) =>
    Object.entries(versions).map(([id, version]) => ({ key: { id }, version: { version } }) as unknown as ChosenKey);
  const check = (o: { held: Record<string, number>; due: Record<string, number> | 'throws'; items: number }) =>
    dueCheck({
      deliverable: () => {
        if (o.due === 'throws') throw new Error('no key of a type');
        return chosen(o.due);
      },
      fleetRepo: { keysOf: (deviceId) => Object.entries(o.held).map(([keyId, version]) => ({ deviceId, keyId, version, source: 'distribution' as const, recordedAt: '' })) },
      orders: { itemsFor: () => Array.from({ length: o.items }, () => ({ kind: 'order' as const, content: Buffer.alloc(1), ref: 1 })) },
    })('uv-1');
  it.each([
    ['every gated version held, nothing pending', { held: { comm: 1, store: 1 }, due: { comm: 1, store: 1 }, items: 0 }, false],
    ['a wave opened: a newer version due', { held: { comm: 1, store: 1 }, due: { comm: 2, store: 1 }, items: 0 }, true],
    ['a key the robot never held', { held: { comm: 1 }, due: { comm: 1, store: 1 }, items: 0 }, true],
    ['an order or a CRL pending', { held: { comm: 1 }, due: { comm: 1 }, items: 1 }, true],
    ['the key choice fails: the session records why', { held: { comm: 1 }, due: 'throws' as const, items: 0 }, true],
  ])('%s', (_name, o, expected) => {
    expect(check(o)).toBe(expected);
  });
});

describe('server certificate renewal', () => {
  const D = 86_400_000;
  // docs/field-link.md: renewed once less than a third of its validity remains, or when its CA is no longer current.
  const TABLE: Array<[name: string, validDays: number, atDay: number, caId: string, current: string | null, expected: string | null]> = [
    ['fresh', 30, 0, 'ca-1', 'ca-1', null],
    ['exactly a third left (day 20 of 30)', 30, 20, 'ca-1', 'ca-1', null],
    ['less than a third left (day 20.5 of 30)', 30, 20.5, 'ca-1', 'ca-1', 'expiring'],
    ['expired', 30, 31, 'ca-1', 'ca-1', 'expiring'],
    ['a 3-day certificate on its third day', 3, 2.5, 'ca-1', 'ca-1', 'expiring'],
    ['a 3-day certificate on its second day', 3, 1.5, 'ca-1', 'ca-1', null],
    ['its CA replaced', 30, 1, 'ca-1', 'ca-2', 'ca_replaced'],
    ['no current CA (revoked): nothing to renew with', 30, 1, 'ca-1', null, null],
  ];
  it.each(TABLE)('%s', (_name, validDays, atDay, caId, current, expected) => {
    expect(renewalReason({ notBefore: NOW, notAfter: NOW + validDays * D, caId }, NOW + atDay * D, current)).toBe(expected);
  });
});

describe('field --listen', () => {
  it.each([
    ['127.0.0.1:8443', { host: '127.0.0.1', port: 8443 }],
    ['field.plant1.example:0', { host: 'field.plant1.example', port: 0 }],
    ['[::1]:9000', { host: '::1', port: 9000 }],
    ['0.0.0.0:65535', { host: '0.0.0.0', port: 65535 }], // the highest TCP port
    [' 127.0.0.1:8443\n', { host: '127.0.0.1', port: 8443 }], // blanks around a pasted value
  ])('reads %s', (text, expected) => {
    expect(parseListen(text)).toEqual(expected);
  });
  it.each(['127.0.0.1', '127.0.0.1:65536', ':8443', '::1:80', '127.0.0.1:8443x', '127.0.0.1:8443 extra', 'x127.0.0.1:8443:1'])('refuses %s as a usage error', (text) => {
    expect(() => parseListen(text)).toThrow(UsageError);
  });
});

describe('the listener certificate', () => {
  it('is serverAuth for the listen address, signed by the fleet CA, not in the device inventory, audited', async () => {
    const f = caFixture();
    const dir = workDir();
    try {
      const ca = await newCa(f, f.store.provider);
      const { publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const spki = publicKey.export({ format: 'der', type: 'spki' });
      const ip = await ca.issueServerCertificate(spki, { hosts: ['127.0.0.1'], validityDays: 30 });
      const cert = new crypto.X509Certificate(ip.der);
      expect(cert.verify(new crypto.X509Certificate(ca.caCertificateDer()).publicKey)).toBe(true);
      expect(cert.subjectAltName).toBe('IP Address:127.0.0.1');
      expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // extended key usage: serverAuth only (not clientAuth)
      expect(cert.ca).toBe(false);
      expect(Date.parse(cert.validTo) - Date.parse(cert.validFrom)).toBe(30 * 86_400_000);
      expect(cert.publicKey.export({ format: 'der', type: 'spki' }).equals(spki)).toBe(true);
      const dns = new crypto.X509Certificate((await ca.issueServerCertificate(spki, { hosts: ['field.example'], validityDays: 1 })).der);
      expect(dns.checkHost('field.example')).toBe('field.example');
      expect(ca.list()).toEqual([]);
      const records = f.audit.query({ action: 'ca.issue', offset: 0, limit: 10 }).records;
      expect(records.map((r) => [r.outcome, r.details.profile, r.details.hosts])).toEqual([
        ['success', 'field_server', 'field.example'],
        ['success', 'field_server', '127.0.0.1'],
      ]);
      await expect(ca.issueServerCertificate(spki, { hosts: [], validityDays: 30 })).rejects.toMatchObject({ code: 'invalid_input' });
      await expect(ca.issueServerCertificate(spki, { hosts: ['a'], validityDays: 398 })).rejects.toMatchObject({ code: 'invalid_input' });
    } finally {
      f.store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
