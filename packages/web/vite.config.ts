import { defineConfig } from 'vite';

// The panel is served by the Tessera server under a strict Content-Security-Policy, so the
// build must not inline scripts: no module-preload polyfill, and assets as files.
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/oauth': 'http://127.0.0.1:8080',
    },
  },
});
