import { setFlagsFromString } from 'node:v8';

/**
 * Bounds how far this process's V8 heap grows past its live data before the
 * next full garbage collection (`HEAP_GROWING_PERCENT`).
 *
 * Why: V8 sizes the next limit of the old generation from how fast it collects,
 * up to 4x the live data, and on a machine with memory to spare it rarely has
 * a reason to give any back. Under load a gateway worker allocates fast and
 * keeps little (a few MB per request, nearly all of it garbage within the
 * request), so its heap stood at several times its live data: two workers and
 * their primary peaked at 600–700 MB in the benchmark against about 400 MB
 * with growth bounded to 50 %, for the same throughput within the run's noise
 * (docs/performance.md). The cost is more frequent full collections, each
 * short since little survives.
 *
 * It is a soft bound, not a ceiling: unlike `--max-old-space-size` the heap
 * still grows as far as its live data needs, so a burst of large answers or
 * of subscriptions never ends in an out-of-memory crash. V8 reads the flag at
 * every collection, so setting it once the process runs takes effect from the
 * next one, in the primary and in every worker alike. 0 leaves V8's own
 * growth (and any `--heap-growing-percent` given to node) alone.
 */
export function boundHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
