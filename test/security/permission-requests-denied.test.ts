// Checklist: permission requests denied. The session's request and check handlers answer with these functions.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isDeviceAccessAllowed, isPermissionCheckGranted, isPermissionGranted } from '../../electron/security/webContentsPolicy.ts';

const PERMISSIONS = [
  'media', 'geolocation', 'notifications', 'midi', 'midiSysex', 'pointerLock', 'fullscreen', 'openExternal',
  'clipboard-read', 'clipboard-sanitized-write', 'display-capture', 'mediaKeySystem', 'idle-detection', 'serial',
  'hid', 'usb', 'window-management', 'storage-access', 'unknown',
];

describe('permission requests denied', () => {
  it('denies every permission request, from our origin or any other', () => {
    for (const p of PERMISSIONS) {
      expect(isPermissionGranted(p, 'app://console/'), p).toBe(false);
      expect(isPermissionGranted(p, 'https://evil.example/'), p).toBe(false);
    }
  });

  it('answers every synchronous permission check with no', () => {
    for (const p of PERMISSIONS) expect(isPermissionCheckGranted(p, 'app://console'), p).toBe(false);
  });

  it('gives the page no HID, USB or serial device (the main process owns the serial link)', () => {
    expect(isDeviceAccessAllowed()).toBe(false);
  });

  it('is installed on the default session in main.ts', () => {
    const main = readFileSync(new URL('../../electron/main.ts', import.meta.url), 'utf8');
    expect(main).toContain('setPermissionRequestHandler((_wc, permission, callback, details) => callback(isPermissionGranted(permission, details.requestingUrl)))');
    expect(main).toContain('setPermissionCheckHandler((_wc, permission, origin) => isPermissionCheckGranted(permission, origin))');
    expect(main).toContain('setDevicePermissionHandler(() => isDeviceAccessAllowed())');
  });
});
