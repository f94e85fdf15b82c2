/**
 * How `npm start` runs a service's bundle (serviceBundle.ts): node's flags and the
 * environment it adds. scripts/measure-memory.ts starts the services the same way, so
 * what it reports is what `npm start` uses. Figures: docs/performance.md ("Memory").
 *
 * Each is an idle-memory setting for a graph that runs on a laptop next to everything
 * else; none is needed for correctness, and the production images (deploy/docker) set none.
 */

/**
 * - `--max-semi-space-size=1` (MB): V8's young generation otherwise grows to 16 MB per
 *   semi-space and stays that size once a burst (start-up, migrations) grew it; at 1 MB
 *   objects that survive reach the old generation sooner, which an idle demo never feels.
 * - `--wasm-tiering-budget`: 10x V8's default before a WebAssembly function is recompiled
 *   by the optimising compiler. PGlite (PostgreSQL) and Prisma's query compiler are
 *   WebAssembly; with the default, start-up alone (migrations, seeding) tiered up
 *   enough machine code to hold ~30 MB more per subgraph (one measurement, on a loaded
 *   machine). What stays hot under load still tiers up.
 * - `--enable-source-maps`: stack traces in the logs name the TypeScript sources.
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=1', '--wasm-tiering-budget=18000000', '--enable-source-maps'];

/**
 * glibc's allocator (ignored by others): one arena per thread that ever allocated
 * (V8's compiler threads, libuv's pool) each keeps freed memory; two arenas and an
 * explicit trim threshold give most of it back. Settings from the environment win.
 */
export function serviceEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...env,
    MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? '2',
    MALLOC_TRIM_THRESHOLD_: env.MALLOC_TRIM_THRESHOLD_ ?? '131072',
  };
}

/** The node arguments that run a service's bundle. */
export const serviceArgs = (bundleFile: string) => [...SERVICE_NODE_FLAGS, bundleFile];
