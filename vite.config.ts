import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { cspFontsPlugin } from './build/cspFontsPlugin.ts';

// The renderer is built once into dist/renderer and served by Electron (file://) or the browser host.
// No asset is inlined as a data: URI: the CSP refuses data: fonts (default-src 'self'), see docs/ui-design-system.md.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react(), cspFontsPlugin()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    sourcemap: false,
    assetsInlineLimit: 0,
  },
});
