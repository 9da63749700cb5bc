// The hardened BrowserWindow options. Pure data (no electron import) so the security tests can assert them and
// main.ts passes them to BrowserWindow unchanged (tsc checks the shape against Electron's types there).

/** The custom privileged scheme the renderer is loaded from: a real origin (app://console) instead of file://. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'console';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_START_URL = `${APP_ORIGIN}/index.html`;

export interface SecureWebPreferences {
  preload: string;
  contextIsolation: true;
  sandbox: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  nodeIntegrationInSubFrames: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  webviewTag: false;
  experimentalFeatures: false;
  navigateOnDragDrop: false;
  safeDialogs: true;
  spellcheck: false;
  devTools: boolean;
}

export function secureWebPreferences(preloadPath: string, options: { devTools?: boolean } = {}): SecureWebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
    devTools: options.devTools ?? false,
  };
}

export function mainWindowOptions(preloadPath: string, options: { devTools?: boolean } = {}) {
  return {
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'ECPS-UV Fleet Security Console',
    backgroundColor: '#101418',
    webPreferences: secureWebPreferences(preloadPath, options),
  };
}

/** The privilege set of the app:// scheme: standard + secure (a real, secure origin), fetch allowed, nothing else. */
export const APP_SCHEME_PRIVILEGES = {
  standard: true,
  secure: true,
  supportFetchAPI: true,
  allowServiceWorkers: false,
  bypassCSP: false,
  corsEnabled: false,
  stream: false,
  codeCache: false,
} as const;
