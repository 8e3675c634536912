import { defineConfig } from 'vite';

// Served by the gateway's admin listener under /console/ (packages/gateway/src/console/static-files.ts).
// Built into the gateway package's dist/, so `npm install portcullis` ships the console with it.
// No inline script or style reaches the page: the CSP there allows 'self' only.
export default defineConfig({
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../gateway/dist/console-ui',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
  },
});
