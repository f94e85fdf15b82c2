import { Redis } from 'ioredis';
import type { Logger } from '../logging/logger';

/**
 * A Redis connection for state that several instances must share (rate
 * limits, sign-in throttling, signature nonces). Commands fail fast while
 * Redis is unreachable rather than queueing, so callers can fall back or
 * refuse at once.
 */
export function connectRedis(url: string, log: Logger): Redis {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000, lazyConnect: false });
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down) log.warn({ err: error.message }, 'Redis unreachable; shared limits fall back to this instance');
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info('Redis reachable again');
    down = false;
  });
  return redis;
}

/** Closes a connection from {@link connectRedis}: politely, or at once if Redis is gone. */
export async function closeRedis(redis: Redis | null): Promise<void> {
  await redis?.quit().catch(() => redis.disconnect());
}
