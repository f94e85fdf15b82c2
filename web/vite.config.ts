import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The fleet console. Environment (read at build time, see src/config.ts):
 * VITE_GRAPHQL_URL (default http://127.0.0.1:4000/graphql) and VITE_PERSISTED_ONLY.
 * `npm run build:explorer` builds the GraphiQL explorer separately (vite.explorer.config.ts).
 */
export default defineConfig({
  plugins: [react()],
  // Relative asset URLs: dist/ works from any path it is served at.
  base: './',
  // http://localhost:5173 (dev) and :4173 (preview): origins the gateway must allow (CORS_ORIGINS).
  server: { host: 'localhost', port: 5173, strictPort: true },
  preview: { host: 'localhost', port: 4173, strictPort: true },
  // Pre-bundle only what the console imports (not the explorer's GraphiQL, a separate entry).
  optimizeDeps: { entries: ['index.html'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    // A phone-sized console: warn only if the app itself grows large.
    chunkSizeWarningLimit: 1024,
  },
});
