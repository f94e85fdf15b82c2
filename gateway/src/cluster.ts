import cluster, { type Worker } from 'node:cluster';
import { RateLimiterClusterMaster } from 'rate-limiter-flexible';
import { HOPELESS_EXIT_CODES, type Logger } from '@car-check/service-kit/process';
import { serveInflightRegistry } from './inflightRegistry';
import type { ProcessConfig } from './processConfig';

// A worker that keeps crashing is not restarted forever.
const MAX_RESTARTS_PER_MINUTE = 5;

/**
 * The primary process of a gateway run with `WORKERS` > 1: it serves nothing
 * itself, forks one worker per `WORKERS` (each a full gateway on the same
 * port, the kernel spreading connections between them), holds the rate
 * limit's counts for all workers when there is no Redis (or while it is
 * unreachable), tells a worker about to run a query whether another already runs
 * it (inbound deduplication across workers), restarts a worker
 * that crashes, and on SIGTERM/SIGINT stops them all (each finishes its
 * requests in flight) before exiting.
 *
 * It reads only its process's variables (processConfig.ts) and loads nothing of
 * the request path. The first worker reads the whole configuration: the others
 * are forked once it listens, so a configuration error is reported once, by that
 * worker, and ends the gateway with its exit code (78) rather than a restart.
 */
export function runPrimary(config: ProcessConfig, log: Logger): void {
  // Workers ask it for rate-limit points (RateLimiterCluster), so the limit holds across them;
  // with Redis too, for while Redis is unreachable.
  new RateLimiterClusterMaster();
  // Identical queries in flight in different workers share one execution (inflightRegistry.ts).
  serveInflightRegistry(cluster);
  let stopping = false;
  const crashes: number[] = [];
  const fork = (): Worker => cluster.fork();
  // The first worker checks the configuration and loads the supergraph; the others follow once one
  // listens (the first, or the one that replaced it should it have crashed).
  fork();
  cluster.once('listening', () => {
    for (let i = 1; i < config.workers; i++) if (!stopping) fork();
  });

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    if (code !== null && code in HOPELESS_EXIT_CODES) {
      // Its own message said what to fix; restarting would only repeat it.
      log.error(
        { pid: worker.process.pid, code },
        `a gateway worker exited with ${HOPELESS_EXIT_CODES[code]}; stopping`,
      );
      stop(code);
      return;
    }
    const now = Date.now();
    crashes.push(now);
    while (crashes.length > 0 && crashes[0]! < now - 60_000) crashes.shift();
    if (crashes.length > MAX_RESTARTS_PER_MINUTE) {
      log.error({ pid: worker.process.pid, code, signal }, 'gateway workers keep crashing; not restarting this one');
      return;
    }
    log.warn({ pid: worker.process.pid, code, signal }, 'gateway worker exited; starting another');
    fork();
  });

  const stop = (exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    log.info({ workers: Object.keys(cluster.workers ?? {}).length }, 'shutting down: stopping the workers');
    const workers = Object.values(cluster.workers ?? {}).filter(
      (worker): worker is Worker => !!worker && !worker.isDead(),
    );
    if (workers.length === 0) process.exit(exitCode);
    let running = workers.length;
    for (const worker of workers) {
      worker.once('exit', () => {
        running -= 1;
        if (running === 0) {
          log.info('gateway stopped');
          process.exit(exitCode);
        }
      });
      worker.process.kill('SIGTERM');
    }
    // A worker still busy past its grace period is cut.
    setTimeout(() => {
      for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGKILL');
    }, config.shutdownGraceMs + 2_000).unref();
  };
  process.on('SIGTERM', () => stop());
  process.on('SIGINT', () => stop());
}
