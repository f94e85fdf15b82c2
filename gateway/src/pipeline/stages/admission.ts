import cluster from 'node:cluster';
import {
  RateLimiterCluster,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { z } from 'zod';
import { positiveCount, type SharedRedis } from '@car-check/service-kit';
import { PRIMARY_REPLY_TIMEOUT_MS } from '../../processConfig';
import { Refusal } from '../refusal';
import { defineStage } from '../stage';
import { batchedLimiter } from './batchedLimiter';

/**
 * First of all: one point from the client's budget before anything is read,
 * parsed or verified (see Admission below), so that requests refused later are
 * counted too. 429 RESOURCE_EXHAUSTED once it is spent.
 */
export const admission = defineStage({
  name: 'admission',
  env: {
    RATE_LIMIT_PER_MINUTE: positiveCount(1_200),
    RATE_LIMIT_INSTANCES: z.coerce.number().int().min(1).max(1_000).default(1),
  },
  configure: (env) => ({
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    /**
     * How many gateway instances share the limit through Redis: while Redis is
     * unreachable each instance counts alone, to `rateLimitPerMinute / rateLimitInstances`.
     */
    rateLimitInstances: env.RATE_LIMIT_INSTANCES,
  }),
  create: (config, { redis, verifier }) => {
    const limiter = Admission.create(config.rateLimitPerMinute, redis, config.rateLimitInstances);
    return async (request, next) => {
      const { token, address } = request;
      await limiter.admit({ userId: token ? verifier.knownUser(token) : null, address });
      return next();
    };
  },
});

/** What admission needs of a limiter: one point, or a RateLimiterRes rejection when none is left. */
type Limiter = Pick<RateLimiterAbstract, 'consume'>;

/**
 * The first stage of every request: one point from the client's budget
 * before anything is read, parsed or verified, so that requests refused
 * later (malformed, oversized, forged tokens) are counted too. A client is
 * its signed-in user when the token is already known to be valid (the
 * verifier's cache), otherwise its address: a forged or unknown token costs
 * the address, never the user it names.
 */
export class Admission {
  constructor(private readonly limiter: Limiter) {}

  /**
   * Counted in Redis when one is given, so that the limit holds across every
   * instance of the gateway. While Redis is unreachable each instance counts
   * alone, to its share of the limit (`requestsPerMinute / instances`), so
   * that the instances together still admit no more than the limit. Without
   * Redis, in this process's memory (all of the limit: it is the only one).
   * A count in another process (Redis, a clustered gateway's primary) is asked
   * by one call in flight per client at a time, for all the requests that
   * arrived meanwhile (batchedLimiter.ts).
   */
  static create(requestsPerMinute: number, redis: SharedRedis | null, instances = 1): Admission {
    const options = { duration: 60, keyPrefix: 'graphql' };
    const local = (points: number) =>
      // A worker of a clustered gateway (WORKERS > 1) counts in the primary process, shared by all workers.
      cluster.isWorker
        ? batchedLimiter(new RateLimiterCluster({ ...options, points, timeoutMs: PRIMARY_REPLY_TIMEOUT_MS }), points)
        : new RateLimiterMemory({ ...options, points });
    if (!redis) return new Admission(local(requestsPerMinute));
    const shared = batchedLimiter(
      new RateLimiterRedis({ ...options, points: requestsPerMinute, storeClient: redis.client }),
      requestsPerMinute,
    );
    const share = Math.max(1, Math.floor(requestsPerMinute / instances));
    const fallback = local(share);
    return new Admission({
      consume: (key) =>
        redis.orFallback(
          'rate_limit',
          () => shared.consume(key),
          () => fallback.consume(key),
          (refusal) => refusal instanceof RateLimiterRes,
        ),
    });
  }

  async admit(client: { userId: string | null; address: string }): Promise<void> {
    const key = client.userId ? `user:${client.userId}` : `ip:${client.address}`;
    try {
      await this.limiter.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw new Refusal(
        429,
        'RESOURCE_EXHAUSTED',
        `Too many requests; retry in ${retryAfter} s.`,
        { retryAfterSeconds: retryAfter },
        {
          headers: { 'retry-after': String(retryAfter) },
        },
      );
    }
  }
}
