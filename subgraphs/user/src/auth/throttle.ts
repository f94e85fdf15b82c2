import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { setTimeout as delay } from 'node:timers/promises';
import { graphError } from '../../../../common/errors';
import type { AuthConfig } from './config';

/**
 * Brute-force protection for `login`, per username and per client address:
 * each failure slows the next answer a little more, and past the limit the
 * username or client is refused with RESOURCE_EXHAUSTED until the lockout ends.
 * Counts live in this process's memory: with several user-service instances,
 * each keeps its own (a shared store would make the limit global).
 */
export class LoginThrottle {
  private readonly perUser: RateLimiterMemory;
  private readonly perClient: RateLimiterMemory;

  constructor(private readonly config: AuthConfig) {
    const window = { duration: config.lockoutSeconds, blockDuration: config.lockoutSeconds };
    this.perUser = new RateLimiterMemory({ ...window, points: config.maxFailuresPerUser, keyPrefix: 'login-user' });
    this.perClient = new RateLimiterMemory({ ...window, points: config.maxFailuresPerClient, keyPrefix: 'login-client' });
  }

  /** Refuses at once when the username or client is locked out. */
  async assertAllowed(username: string, client: string): Promise<void> {
    const [user, address] = await Promise.all([this.perUser.get(username), this.perClient.get(client)]);
    const lockedFor = Math.max(this.remainingLockout(user, this.config.maxFailuresPerUser), this.remainingLockout(address, this.config.maxFailuresPerClient));
    if (lockedFor > 0) {
      throw graphError('RESOURCE_EXHAUSTED', 'Too many failed sign-ins; try again later.', { retryAfterSeconds: lockedFor });
    }
  }

  /** Counts a failure, then waits longer the more failures there were. */
  async recordFailure(username: string, client: string): Promise<void> {
    const failures = await Promise.all([this.consume(this.perUser, username), this.consume(this.perClient, client)]);
    const worst = Math.max(...failures);
    await delay(Math.min(250 * 2 ** Math.max(0, worst - 1), 2_000));
  }

  async recordSuccess(username: string): Promise<void> {
    await this.perUser.delete(username);
  }

  private remainingLockout(state: RateLimiterRes | null, limit: number): number {
    return state && state.consumedPoints >= limit ? Math.ceil(state.msBeforeNext / 1000) : 0;
  }

  private async consume(limiter: RateLimiterMemory, key: string): Promise<number> {
    try {
      return (await limiter.consume(key)).consumedPoints;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return rejection.consumedPoints;
      throw rejection;
    }
  }
}
