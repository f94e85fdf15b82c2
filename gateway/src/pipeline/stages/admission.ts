import { z } from 'zod';
import { limit } from '../../configSchemas';
import { Admission } from '../admission';
import { defineStage } from '../stage';

/**
 * First of all: one point from the client's budget before anything is read,
 * parsed or verified (see admission.ts), so that requests refused later are
 * counted too. 429 RESOURCE_EXHAUSTED once it is spent.
 */
export const admission = defineStage({
  name: 'admission',
  env: {
    RATE_LIMIT_PER_MINUTE: limit(1_200),
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
