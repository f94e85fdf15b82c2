import { z } from 'zod';
import { flag, host, logLevel, port, readEnv, shutdownGraceMs } from '@car-check/service-kit/process';

/**
 * The variables the gateway's process needs before any request path: where it listens, how it
 * logs, how many workers serve, how long a stop may take. A primary of `WORKERS` > 1 reads only
 * these (cluster.ts): it serves nothing, so it loads nothing of the request path, Apollo Gateway
 * included (about 80 MB less RSS); its first worker reads and checks the whole configuration
 * (config.ts, which declares these same variables among the others).
 */
export const PROCESS_ENV = {
  GATEWAY_PORT: port(4000),
  HOST: host(),
  LOG_LEVEL: logLevel(),
  LOG_PRETTY: flag(false),
  WORKERS: z.coerce.number().int().min(1).max(64).default(1),
  SHUTDOWN_GRACE_MS: shutdownGraceMs(),
  HEAP_GROWING_PERCENT: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000)
    .default(50)
    .describe(
      "how far each gateway process's V8 heap may grow past its live data before the next full garbage collection, in per cent (V8's `--heap-growing-percent`); `0`: V8's own growth, which lets a busy worker's heap reach several times its live data (fewer pauses for full collections, and far more memory)",
    ),
};

/**
 * How long a worker of a clustered gateway waits for its primary's reply (the rate limit's count,
 * a query's claim) before it does without: one bound for every question a worker asks.
 */
export const PRIMARY_REPLY_TIMEOUT_MS = 1_000;

export interface ProcessConfig {
  host: string;
  port: number;
  logLevel: string;
  prettyLogs: boolean;
  /** Gateway processes serving the same port (node:cluster); 1 = this process alone. */
  workers: number;
  /** How long SIGTERM waits for in-flight requests before cutting them. */
  shutdownGraceMs: number;
  /** V8's heap growth past live data before a full collection, in per cent; 0 = V8's own (heap.ts). */
  heapGrowingPercent: number;
}

export function loadProcessConfig(env: NodeJS.ProcessEnv = process.env): ProcessConfig {
  const raw = readEnv(PROCESS_ENV, env);
  return {
    host: raw.HOST,
    port: raw.GATEWAY_PORT,
    logLevel: raw.LOG_LEVEL,
    prettyLogs: raw.LOG_PRETTY,
    workers: raw.WORKERS,
    shutdownGraceMs: raw.SHUTDOWN_GRACE_MS,
    heapGrowingPercent: raw.HEAP_GROWING_PERCENT,
  };
}
