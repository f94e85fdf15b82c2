import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { setTimeout as delay } from 'node:timers/promises';
import { graphError } from '@car-check/common';
import type { AuthConfig } from './config';

/** One sign-in attempt, reserved before the password is looked at. */
export interface LoginAttempt {
  /** The password was right: the attempt is given back and the username's failures forgotten. */
  succeeded(): Promise<void>;
  /** The password was wrong: the attempt stays spent, and the answer is slowed. */
  failed(): Promise<void>;
}

/**
 * Brute-force protection for `login`, per username and per client address.
 * An attempt is reserved atomically before the password is verified, so that
 * however many guesses arrive at once, at most the limit is ever evaluated in
 * a window; a successful sign-in gives its attempt back. Past the limit the
 * username or client is refused with RESOURCE_EXHAUSTED until the lockout
 * ends. With Redis (REDIS_URL) the counts are shared by every instance of the
 * user service; without it, or while Redis is unreachable, each instance
 * counts alone.
 */
export class LoginThrottle {
  private readonly perUser: RateLimiterAbstract;
  private readonly perClient: RateLimiterAbstract;

  constructor(config: AuthConfig, redis: Redis | null = null) {
    const limiter = (points: number, keyPrefix: string): RateLimiterAbstract => {
      const options = { points, duration: config.lockoutSeconds, blockDuration: config.lockoutSeconds, keyPrefix };
      const memory = new RateLimiterMemory(options);
      return redis ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: memory }) : memory;
    };
    this.perUser = limiter(config.maxFailuresPerUser, 'login-user');
    this.perClient = limiter(config.maxFailuresPerClient, 'login-client');
  }

  /** Reserves one attempt for this username from this client, or refuses when either has none left. */
  async reserve(username: string, client: string): Promise<LoginAttempt> {
    const [user, address] = await Promise.all([take(this.perUser, username), take(this.perClient, client)]);
    const refused = [user, address].filter((outcome) => !outcome.granted);
    if (refused.length > 0) {
      const retryAfterSeconds = Math.max(...refused.map((outcome) => Math.ceil(outcome.state.msBeforeNext / 1000)), 1);
      throw graphError('RESOURCE_EXHAUSTED', 'Too many failed sign-ins; try again later.', { retryAfterSeconds });
    }
    return {
      succeeded: async () => {
        await Promise.all([this.perUser.delete(username), this.perClient.reward(client, 1)]);
      },
      failed: async () => {
        const worst = Math.max(user.state.consumedPoints, address.state.consumedPoints);
        await delay(Math.min(250 * 2 ** Math.max(0, worst - 1), 2_000));
      },
    };
  }
}

async function take(limiter: RateLimiterAbstract, key: string): Promise<{ granted: boolean; state: RateLimiterRes }> {
  try {
    return { granted: true, state: await limiter.consume(key) };
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return { granted: false, state: rejection };
    throw rejection;
  }
}
