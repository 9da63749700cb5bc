// Installs the refusals of electron/security/webContentsPolicy.ts on Electron's objects: on every web contents
// (navigation, new windows, webviews) and on the session (permission requests and checks, device pickers).
import {
  isDeviceAccessAllowed,
  isNavigationAllowed,
  isPermissionCheckGranted,
  isPermissionGranted,
  isWebviewAllowed,
  windowOpenDecision,
} from '../security/webContentsPolicy.ts';
import type { NavigationEvent, ShellSession, ShellWebContents } from './shellTypes.ts';

/** Called for every web contents Electron creates (app 'web-contents-created'), the console window's included. */
export function hardenWebContents(contents: ShellWebContents): void {
  contents.setWindowOpenHandler((details) => windowOpenDecision(details));
  const refuseNavigation = (event: NavigationEvent) => {
    if (!isNavigationAllowed(event.url)) event.preventDefault();
  };
  contents.on('will-navigate', refuseNavigation);
  contents.on('will-redirect', refuseNavigation);
  // Sub-frames too (will-navigate covers only the main frame).
  contents.on('will-frame-navigate', refuseNavigation);
  contents.on('will-attach-webview', (event) => {
    if (!isWebviewAllowed()) event.preventDefault();
  });
}

/** Called once on the default session after app 'ready'. */
export function hardenSession(session: ShellSession): void {
  session.setPermissionRequestHandler((_wc, permission, callback, details) => callback(isPermissionGranted(permission, details.requestingUrl)));
  session.setPermissionCheckHandler((_wc, permission, origin) => isPermissionCheckGranted(permission, origin));
  session.setDevicePermissionHandler(() => isDeviceAccessAllowed());
  // Device pickers: cancelled (preventDefault takes the choice from Electron; the callback then declines).
  session.on('select-serial-port', (event, _ports, _wc, callback) => {
    event.preventDefault();
    callback('');
  });
  session.on('select-hid-device', (event, _details, callback) => {
    event.preventDefault();
    callback();
  });
  session.on('select-usb-device', (event, _details, callback) => {
    event.preventDefault();
    callback();
  });
}
