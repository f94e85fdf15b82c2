import type { Redis } from 'ioredis';
import cluster from 'node:cluster';
import { RateLimiterCluster, RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { Refusal } from './refusal';

/**
 * The first stage of every request: one point from the client's budget
 * before anything is read, parsed or verified, so that requests refused
 * later (malformed, oversized, forged tokens) are counted too. A client is
 * its signed-in user when the token is already known to be valid (the
 * verifier's cache), otherwise its address: a forged or unknown token costs
 * the address, never the user it names.
 */
export class Admission {
  constructor(private readonly limiter: RateLimiterAbstract) {}

  /**
   * Counted in Redis when one is given, so that the limit holds across every
   * instance of the gateway; in this process's memory otherwise, and while
   * Redis is unreachable (each instance then counts alone).
   */
  static create(requestsPerMinute: number, redis: Redis | null): Admission {
    const options = { points: requestsPerMinute, duration: 60, keyPrefix: 'graphql' };
    const memory = new RateLimiterMemory(options);
    if (redis) return new Admission(new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: memory }));
    // A worker of a clustered gateway (WORKERS > 1) counts in the primary process, shared by all workers.
    if (cluster.isWorker) return new Admission(new RateLimiterCluster({ ...options, timeoutMs: 1_000 }));
    return new Admission(memory);
  }

  async admit(client: { userId: string | null; address: string }): Promise<void> {
    const key = client.userId ? `user:${client.userId}` : `ip:${client.address}`;
    try {
      await this.limiter.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw new Refusal(429, 'RESOURCE_EXHAUSTED', `Too many requests; retry in ${retryAfter} s.`, { retryAfterSeconds: retryAfter }, {
        headers: { 'retry-after': String(retryAfter) },
      });
    }
  }
}
