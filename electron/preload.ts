// Preload (sandboxed, bundled to CJS by build/bundle-electron.ts): exposes ONE object, window.ecps, built from the
// contract (electron/ipc/preloadBridge.ts). The page never sees ipcRenderer, process or any other Node/Electron object.
import { contextBridge, ipcRenderer } from 'electron';
import { exposePreloadApi } from './ipc/preloadBridge.ts';

exposePreloadApi(contextBridge, ipcRenderer);
