import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { pageHead } from './vite.pageHead';

const gateway = process.env.EXPLORER_GATEWAY ?? 'http://127.0.0.1:4000';

/**
 * The offline API explorer: GraphiQL bundled from npm (editor workers, fonts and
 * styles included; nothing is fetched from a CDN), for the gateway to serve at
 * /explorer. It queries the same origin's /graphql. Built to dist/explorer/.
 * `npm run dev:explorer` serves it at http://127.0.0.1:5174/explorer/ and proxies
 * /graphql to EXPLORER_GATEWAY (default http://127.0.0.1:4000).
 */
export default defineConfig({
  root: fileURLToPath(new URL('./explorer', import.meta.url)),
  base: '/explorer/',
  plugins: [react(), pageHead()],
  server: { host: '127.0.0.1', port: 5174, proxy: { '/graphql': gateway } },
  preview: { host: '127.0.0.1', port: 4174, proxy: { '/graphql': gateway } },
  // The editor workers are imported with `?worker`, which Vite resolves only outside its dependency pre-bundling.
  optimizeDeps: { exclude: ['graphiql/setup-workers/vite', '@graphiql/react/setup-workers/vite'] },
  build: {
    outDir: fileURLToPath(new URL('./dist/explorer', import.meta.url)),
    emptyOutDir: true,
    // GraphiQL brings the Monaco editor: large by nature, loaded once.
    chunkSizeWarningLimit: 8192,
    rolldownOptions: {
      onwarn(warning, warn) {
        // GraphiQL's modules start with React Compiler's "use no memo", meaningless once bundled.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  worker: { format: 'es' },
});
