import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The built files are served by the Python server (clickclack/spa.py) under a strict
// Content-Security-Policy: no inline script and no inline style.  Vite emits the entry as an
// external module script, and Svelte's component CSS goes into an external .css file.
const api = process.env.CLICKCLACK_DEV_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [svelte()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    modulePreload: { polyfill: false },
    // Never inline assets as data: URLs into CSS/JS (keeps the CSP simple).
    assetsInlineLimit: 0,
    // The emoji data (emojibase, ~570 kB, ~70 kB gzipped) is its own lazily loaded chunk,
    // fetched the first time a picker opens; the warning is about that chunk only.
    chunkSizeWarningLimit: 650,
  },
  server: {
    // `npm run dev`: Vite on :5173 proxies the API and the websocket to a running server.
    proxy: {
      '/api': { target: api, changeOrigin: false, ws: true },
    },
  },
});
