import { graphError } from '@car-check/service-kit';
import type { AuthConfig } from './config';
import { MemoryThrottleStore, type DelayRule, type Tally, type ThrottleStore } from './throttleStore';

/** One sign-in attempt, reserved before the password is looked at. */
export interface LoginAttempt {
  /** The password was right: the attempt is given back, and the address is known for this username from now on. */
  succeeded(): Promise<void>;
  /** The password was wrong: the attempt stays counted, and the next one must wait the delay it earned. */
  failed(): Promise<void>;
}

/** One scope an attempt is counted in, with its rule. */
interface Scope {
  key: string;
  rule: DelayRule;
}

/**
 * Brute-force protection for `login` (and proving one's current password),
 * with progressive delays rather than lockouts, as OWASP's authentication
 * guidance advises. Failures are counted in three scopes:
 *
 * - the username from this address: after `maxFailuresPerUser` failures each
 *   further attempt must wait, the wait doubling from `firstDelaySeconds` up
 *   to `lockoutSeconds`;
 * - the username from every address it has never signed in from, with the
 *   same rule: guesses spread over many addresses are slowed as one;
 * - the address, at usernames that never signed in from it, after
 *   `maxFailuresPerClient` failures: guesses at many usernames are slowed.
 *
 * A username's own known addresses (where it signed in within
 * `knownAddressDays`) are counted in the first scope only, so guesses from
 * elsewhere never keep its owner out, nor keep the other users of an address
 * out when someone there guesses at many accounts. Each attempt is reserved
 * atomically before the password is checked, so that however many guesses
 * arrive at once, no more are checked than the scopes allow; a successful
 * sign-in gives its attempt back.
 */
export class LoginThrottle {
  private readonly perUser: DelayRule;
  private readonly perClient: DelayRule;
  private readonly knownForMs: number;

  constructor(
    config: AuthConfig,
    private readonly store: ThrottleStore = new MemoryThrottleStore(),
    private readonly clock: () => number = Date.now,
  ) {
    const delays = {
      firstDelayMs: config.firstDelaySeconds * 1_000,
      maxDelayMs: config.lockoutSeconds * 1_000,
      memoryMs: config.lockoutSeconds * 1_000,
    };
    this.perUser = { free: config.maxFailuresPerUser, ...delays };
    this.perClient = { free: config.maxFailuresPerClient, ...delays };
    this.knownForMs = config.knownAddressDays * 86_400_000;
  }

  /** Reserves one attempt for this username from this client, or refuses (RESOURCE_EXHAUSTED) while any of its scopes must wait. */
  async reserve(username: string, client: string): Promise<LoginAttempt> {
    const known = keyOf('known', username, client);
    const scopes: Scope[] = [{ key: keyOf('pair', username, client), rule: this.perUser }];
    if (!(await this.store.knows(known))) {
      scopes.push(
        { key: keyOf('user', username), rule: this.perUser },
        { key: keyOf('client', client), rule: this.perClient },
      );
    }
    const now = this.clock();
    const tallies = await Promise.all(scopes.map((scope) => this.store.take(scope.key, scope.rule, now)));
    const refused = tallies.filter((tally) => !tally.granted);
    if (refused.length > 0) {
      // A refused attempt is not made: it costs none of the scopes that granted it.
      await Promise.all(
        scopes.filter((_scope, i) => tallies[i]!.granted).map((scope) => this.store.giveBack(scope.key, scope.rule)),
      );
      throw graphError('RESOURCE_EXHAUSTED', 'Too many failed sign-ins; try again later.', {
        retryAfterSeconds: retryAfterSeconds(refused),
      });
    }
    const [pair, ...others] = scopes;
    return {
      succeeded: async () => {
        await Promise.all([
          this.store.forget(pair!.key),
          ...others.map((scope) => this.store.giveBack(scope.key, scope.rule)),
          this.store.remember(known, this.knownForMs),
        ]);
      },
      failed: async () => {
        const failedAt = this.clock();
        await Promise.all(scopes.map((scope) => this.store.failed(scope.key, scope.rule, failedAt)));
      },
    };
  }
}

// Usernames and addresses are joined unambiguously (a username may contain any separator).
const keyOf = (kind: string, ...parts: string[]) => `${kind}:${JSON.stringify(parts)}`;

const retryAfterSeconds = (refused: Tally[]) =>
  Math.max(1, ...refused.map((tally) => Math.ceil(tally.retryAfterMs / 1_000)));
