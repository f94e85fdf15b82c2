import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { pageHead } from './vite.pageHead';

// Where `npm start` runs the gateway; the dev and preview servers forward /graphql there.
const proxy = { '/graphql': { target: process.env.GATEWAY_URL ?? 'http://127.0.0.1:4000', changeOrigin: false } };

/**
 * The fleet console. Environment (read at build time, see src/config.ts):
 * VITE_GRAPHQL_URL (default: /graphql on the same origin) and VITE_PERSISTED_ONLY.
 * `npm run build:explorer` builds the GraphiQL explorer separately (vite.explorer.config.ts).
 */
export default defineConfig({
  plugins: [react(), pageHead()],
  // Relative asset URLs: dist/ works from any path it is served at.
  base: './',
  // http://localhost:5173 (dev) and :4173 (preview): origins the gateway must allow (CORS_ORIGINS).
  server: { host: 'localhost', port: 5173, strictPort: true, proxy },
  preview: { host: 'localhost', port: 4173, strictPort: true, proxy },
  // Pre-bundle only what the console imports (not the explorer's GraphiQL, a separate entry).
  optimizeDeps: { entries: ['index.html'] },
  build: {
    // web/dist/console is what the gateway serves at /console (web/dist/explorer at /explorer).
    outDir: 'dist/console',
    emptyOutDir: true,
    sourcemap: true,
    // A phone-sized console: warn only if the app itself grows large.
    chunkSizeWarningLimit: 1024,
  },
});
