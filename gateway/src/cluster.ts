import cluster, { type Worker } from 'node:cluster';
import { RateLimiterClusterMaster } from 'rate-limiter-flexible';
import type { Logger } from '@car-check/service-kit';
import type { GatewayConfig } from './config';

// A worker that keeps crashing is not restarted forever.
const MAX_RESTARTS_PER_MINUTE = 5;

/**
 * The primary process of a gateway run with `WORKERS` > 1: it serves nothing
 * itself, forks one worker per `WORKERS` (each a full gateway on the same
 * port, the kernel spreading connections between them), holds the rate
 * limit's counts for all workers when there is no Redis (or while it is
 * unreachable), restarts a worker
 * that crashes, and on SIGTERM/SIGINT stops them all (each finishes its
 * requests in flight) before exiting.
 */
export function runPrimary(config: GatewayConfig, log: Logger): void {
  // Workers ask it for rate-limit points (RateLimiterCluster), so the limit holds across them;
  // with Redis too, for while Redis is unreachable.
  new RateLimiterClusterMaster();
  let stopping = false;
  const crashes: number[] = [];
  const fork = (): Worker => cluster.fork();
  for (let i = 0; i < config.workers; i++) fork();

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
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

  const stop = () => {
    if (stopping) return;
    stopping = true;
    log.info({ workers: Object.keys(cluster.workers ?? {}).length }, 'shutting down: stopping the workers');
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => !!worker);
    if (workers.length === 0) process.exit(0);
    let running = workers.length;
    for (const worker of workers) {
      worker.once('exit', () => {
        running -= 1;
        if (running === 0) {
          log.info('gateway stopped');
          process.exit(0);
        }
      });
      worker.process.kill('SIGTERM');
    }
    // A worker still busy past its grace period is cut.
    setTimeout(() => {
      for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGKILL');
    }, config.shutdownGraceMs + 2_000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
