import { Redis } from 'ioredis';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../logging/logger';
import type { DependencyState } from '../server/health';

// A Redis that accepts the connection but stops answering is as gone as one that refuses it:
// a request must not wait on it longer than this (then that command falls back).
const COMMAND_TIMEOUT_MS = 2_000;
const CONNECT_TIMEOUT_MS = 5_000;
// Closing a connection Redis does not answer on: how long its socket may take to close politely
// before it is destroyed (ioredis waits 2 s by default, a timer that holds the process that long).
const DISCONNECT_TIMEOUT_MS = 250;

/** The pieces of state several instances share through Redis, each with its own fallback. */
export type SharedStateKind = 'nonces' | 'rate_limit' | 'sign_in_throttle' | 'entity_cache';

/**
 * The Redis connection for state that several instances must share
 * (signature nonces, the rate limit, the sign-in throttle), and what it knows
 * about Redis's state. Commands fail fast while Redis is unreachable rather
 * than queueing, so each user of the state falls back at once to its local
 * substitute (see docs/security.md, "What an outage of Redis does") and says so:
 * `redis_up` (0 or 1), `shared_state_fallbacks_total{state}`, one warning when
 * an outage starts and one line when it ends.
 */
export class SharedRedis {
  readonly client: Redis;
  private readonly fallbacks?: Counter<'state'>;
  // Whether the current outage has been logged: once per outage, however many errors it brings.
  private outage = false;
  // A connection closed on purpose (shutdown) is no outage.
  private closing = false;

  constructor(url: string, log: Logger, registry?: Registry) {
    this.client = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: COMMAND_TIMEOUT_MS,
      disconnectTimeout: DISCONNECT_TIMEOUT_MS,
      lazyConnect: false,
    });
    const lost = (reason: string) => {
      if (this.outage || this.closing) return;
      this.outage = true;
      log.warn(
        { reason },
        'Redis unreachable; shared state falls back to this instance (nonces, rate limit, sign-in throttle, entity cache)',
      );
    };
    this.client.on('error', (error: Error) => lost(error.message));
    this.client.on('close', () => lost('connection closed'));
    this.client.on('ready', () => {
      if (this.outage) log.info('Redis reachable again; shared state is shared again');
      this.outage = false;
    });
    if (registry) {
      const connection = this.client;
      new Gauge({
        name: 'redis_up',
        help: 'Whether the Redis holding state shared by instances is connected (1) or not (0: each instance falls back to its own).',
        registers: [registry],
        collect() {
          this.set(connection.status === 'ready' ? 1 : 0);
        },
      });
      this.fallbacks = new Counter({
        name: 'shared_state_fallbacks_total',
        help: 'Uses of an instance-local substitute for state shared through Redis, by state, because Redis was unreachable.',
        labelNames: ['state'],
        registers: [registry],
      });
    }
  }

  /** Connected and answering: shared state is worth asking Redis for. */
  get up(): boolean {
    return this.client.status === 'ready';
  }

  /** Redis as a dependency in `/ready`. */
  state(): DependencyState {
    return this.up ? 'up' : 'down';
  }

  /** Records one use of `state`'s local substitute. */
  fellBack(state: SharedStateKind): void {
    this.fallbacks?.inc({ state });
  }

  /**
   * Runs `shared` against Redis, or `local` when Redis is known to be down or
   * the command fails (counted as a fallback). `isAnswer` tells an answer that
   * travels as a rejection (a rate limiter's refusal) from a failure.
   */
  async orFallback<T>(
    state: SharedStateKind,
    shared: () => Promise<T>,
    local: () => Promise<T>,
    isAnswer: (error: unknown) => boolean = () => false,
  ): Promise<T> {
    if (!this.up) {
      this.fellBack(state);
      return local();
    }
    try {
      return await shared();
    } catch (error) {
      if (isAnswer(error)) throw error;
      this.fellBack(state);
      return local();
    }
  }

  /** Closes the connection: politely, or at once if Redis is gone. */
  async close(): Promise<void> {
    this.closing = true;
    // QUIT needs a connection; without one, only stopping the reconnection attempts is left.
    if (this.client.status === 'ready') {
      await this.client.quit().catch(() => this.client.disconnect());
      return;
    }
    // A socket Redis does not answer on is destroyed within DISCONNECT_TIMEOUT_MS: closed once it is
    // (nothing of it left behind), or at that bound when there was no socket to wait for.
    const ended = new Promise<void>((resolve) => {
      const bound = setTimeout(resolve, DISCONNECT_TIMEOUT_MS + 50);
      this.client.once('end', () => {
        clearTimeout(bound);
        resolve();
      });
    });
    this.client.disconnect();
    await ended;
  }
}

/** Connects to the Redis of REDIS_URL; its metrics go to `registry` (the service's). */
export function connectRedis(url: string, log: Logger, registry?: Registry): SharedRedis {
  return new SharedRedis(url, log, registry);
}

/** Closes a connection from {@link connectRedis}, if there is one. */
export async function closeRedis(redis: SharedRedis | null): Promise<void> {
  await redis?.close();
}

/** Redis as `/ready` shows it (`{ redis: 'up' | 'down' }`), or nothing when REDIS_URL is unset. */
export function redisDependency(redis: SharedRedis | null): Record<string, DependencyState> {
  return redis ? { redis: redis.state() } : {};
}
