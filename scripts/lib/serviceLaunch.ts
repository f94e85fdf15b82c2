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
 * - `--liftoff-only`: WebAssembly (PGlite's PostgreSQL, Prisma's query compiler) runs as V8's
 *   baseline compiler makes it and is never recompiled by the optimising one, whose code
 *   held 120-250 MB more across the graph, at rest and after load. The console's queries and
 *   writes were as fast either way (benchmarks/records/2026-12-07-liftoff.md): the embedded
 *   database's statements are small, and optimising them cost CPU of its own.
 * - `--enable-source-maps`: stack traces in the logs name the TypeScript sources.
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=1', '--liftoff-only', '--enable-source-maps'];

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
