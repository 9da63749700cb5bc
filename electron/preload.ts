// Preload (sandboxed, bundled to CJS by build/bundle-electron.ts): exposes ONE object, window.ecps, built from the
// contract. The page never sees ipcRenderer, process or any other Node/Electron object.
import { contextBridge, ipcRenderer } from 'electron';
import { createPreloadApi } from './ipc/preloadBridge.ts';

contextBridge.exposeInMainWorld('ecps', createPreloadApi(ipcRenderer));
