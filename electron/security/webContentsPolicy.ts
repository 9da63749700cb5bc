// Decisions for what a page may ask of the main process beyond IPC: navigation, new windows, permissions,
// webviews. All refuse: the console is a single-page app loaded once from app://console and needs none of them.

/** will-navigate: every renderer-initiated navigation is refused (the SPA routes in-page; nothing leaves it). */
export function isNavigationAllowed(_targetUrl: string): boolean {
  return false;
}

/** setWindowOpenHandler: no window.open, no target=_blank, no new windows of any kind. */
export function windowOpenDecision(_details: { url: string }): { action: 'deny' } {
  return { action: 'deny' };
}

/** setPermissionRequestHandler: camera, microphone, notifications, geolocation, clipboard, serial, ... all denied. */
export function isPermissionGranted(_permission: string, _requestingOrigin?: string): boolean {
  return false;
}

/** setPermissionCheckHandler: answers "no" to every synchronous permission check as well. */
export function isPermissionCheckGranted(_permission: string, _requestingOrigin?: string): boolean {
  return false;
}

/** will-attach-webview: webviews are refused (webviewTag is off too; this is the second lock). */
export function isWebviewAllowed(): boolean {
  return false;
}

/** setDevicePermissionHandler / select-*-device: no HID, USB, serial or Bluetooth from the page. */
export function isDeviceAccessAllowed(): boolean {
  return false;
}
