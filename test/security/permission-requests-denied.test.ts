// Checklist: permission requests denied. The shell installs request, check and device handlers on the default
// session that say no to everything, and cancels the serial, HID and USB device pickers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDeviceAccessAllowed, isPermissionCheckGranted, isPermissionGranted } from '../../electron/security/webContentsPolicy.ts';
import { electronEvent, startShellKit, type ShellKit } from './shellKit.ts';

const PERMISSIONS = [
  'media', 'geolocation', 'notifications', 'midi', 'midiSysex', 'pointerLock', 'fullscreen', 'openExternal',
  'clipboard-read', 'clipboard-sanitized-write', 'display-capture', 'mediaKeySystem', 'idle-detection', 'serial',
  'hid', 'usb', 'window-management', 'storage-access', 'fileSystem', 'local-fonts', 'unknown',
];
const ORIGINS = ['app://console/', 'https://evil.example/'];

describe('permission requests denied', () => {
  let kit: ShellKit;
  beforeAll(async () => {
    kit = await startShellKit();
  });
  afterAll(() => kit.close());

  it('the policy denies every permission, request or check, from our origin or any other, and every device', () => {
    for (const p of PERMISSIONS) {
      for (const origin of ORIGINS) {
        expect(isPermissionGranted(p, origin), p).toBe(false);
        expect(isPermissionCheckGranted(p, origin), p).toBe(false);
      }
    }
    expect(isDeviceAccessAllowed()).toBe(false);
  });

  it("answers every permission request on the default session with false", () => {
    const handler = kit.session.permissionRequestHandler;
    expect(handler).not.toBeNull();
    for (const p of PERMISSIONS) {
      for (const requestingUrl of ORIGINS) {
        const answers: boolean[] = [];
        handler!({}, p, (granted) => answers.push(granted), { requestingUrl });
        expect(answers, `${p} from ${requestingUrl}`).toEqual([false]);
      }
    }
  });

  it('answers every synchronous permission check with false', () => {
    const handler = kit.session.permissionCheckHandler;
    expect(handler).not.toBeNull();
    for (const p of PERMISSIONS) for (const origin of ORIGINS) expect(handler!({}, p, origin), p).toBe(false);
  });

  it('gives the page no HID, USB or serial device (the main process owns the serial link)', () => {
    const handler = kit.session.devicePermissionHandler;
    expect(handler).not.toBeNull();
    for (const deviceType of ['hid', 'serial', 'usb']) expect(handler!({ deviceType, origin: 'app://console' }), deviceType).toBe(false);
  });

  it('cancels the serial, HID and USB device pickers and selects nothing', () => {
    const selected: unknown[][] = [];
    const serial = electronEvent();
    expect(kit.session.emit('select-serial-port', serial, [{ portId: 'p1' }], {}, (...a: unknown[]) => selected.push(a))).toBe(1);
    const hid = electronEvent();
    expect(kit.session.emit('select-hid-device', hid, { deviceList: [{ deviceId: 'h1' }] }, (...a: unknown[]) => selected.push(a))).toBe(1);
    const usb = electronEvent();
    expect(kit.session.emit('select-usb-device', usb, { deviceList: [{ deviceId: 'u1' }] }, (...a: unknown[]) => selected.push(a))).toBe(1);
    expect([serial.defaultPrevented, hid.defaultPrevented, usb.defaultPrevented]).toEqual([true, true, true]);
    expect(selected).toEqual([[''], [], []]);
  });
});
