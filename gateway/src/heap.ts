import { setFlagsFromString } from 'node:v8';

/**
 * Bounds how far this process's V8 heap grows past its live data before the
 * next full garbage collection (`HEAP_GROWING_PERCENT`).
 *
 * Why: V8 sets the old generation's next limit from how fast it collects, up
 * to 4x the live data, and on a machine with memory to spare it has little
 * reason to collect sooner. Under load a gateway worker allocates fast and
 * keeps little (what a request allocates is garbage once it is answered), so
 * its heap stood at several times its live data: two workers and their primary
 * peaked at 490–710 MB in the benchmark against 390–470 MB with growth bounded
 * to 50 % (docs/performance.md). The cost is more full collections, each a
 * pause of tens of milliseconds that shows in p99, and a few per cent of
 * throughput.
 *
 * It is a soft bound, not a ceiling: unlike `--max-old-space-size` the heap
 * still grows as far as its live data needs, so a burst of large answers or
 * of subscriptions is not cut short by an out-of-memory crash sized for the
 * benchmark. V8 reads the flag at every collection, so setting it once the
 * process runs takes effect from the next one, in the primary and in every
 * worker alike. 0 leaves V8's own growth (and any `--heap-growing-percent`
 * given to node) alone.
 */
export function boundHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
