import type { Redis } from 'ioredis';
import type { SharedRedis } from '@car-check/service-kit';

/** How failures in one scope (a username, an address, or both) slow further attempts. */
export interface DelayRule {
  /** Failures allowed before attempts must wait. */
  free: number;
  /** The first wait; each further failure doubles it. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** Failures are forgotten this long after the last one. */
  memoryMs: number;
}

/** The outcome of reserving an attempt in one scope. */
export interface Tally {
  granted: boolean;
  /** Failures counted in the scope, this attempt included when granted. */
  failures: number;
  /** When refused, how long until the scope's wait ends. */
  retryAfterMs: number;
}

/** The wait `failures` earn under `rule`: none below `free`, then doubling up to the maximum. */
export function waitFor(failures: number, rule: DelayRule): number {
  if (failures < rule.free) return 0;
  return Math.min(rule.firstDelayMs * 2 ** (failures - rule.free), rule.maxDelayMs);
}

/**
 * Where the sign-in throttle keeps its counts. Each attempt is reserved
 * before the password is checked (`take`, atomic: concurrent guesses cannot
 * all pass a check made first) and counted as a failure until it succeeds.
 */
export interface ThrottleStore {
  /** Refuses while the scope's wait runs; otherwise counts one more failure and starts the wait it earns. */
  take(key: string, rule: DelayRule, now: number): Promise<Tally>;
  /** The reserved attempt failed: the scope's wait runs from now (checking the password took time). */
  failed(key: string, rule: DelayRule, now: number): Promise<void>;
  /** The reserved attempt succeeded, or was not made: it is no longer counted. */
  giveBack(key: string, rule: DelayRule): Promise<void>;
  /** Forgets the scope's failures. */
  forget(key: string): Promise<void>;
  /** Remembers a fact (a username signed in from an address) for `ttlMs`. */
  remember(key: string, ttlMs: number): Promise<void>;
  knows(key: string): Promise<boolean>;
}

interface Entry {
  failures: number;
  waitUntil: number;
  expiresAt: number;
}

// Known (username, address) pairs one instance remembers at most.
const MAX_FACTS = 100_000;

/** One instance's memory: the throttle without Redis, and while Redis is unreachable. Expired entries are swept. */
export class MemoryThrottleStore implements ThrottleStore {
  private readonly entries = new Map<string, Entry>();
  private readonly facts = new Map<string, number>();
  private sweptAt = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  async take(key: string, rule: DelayRule, now: number): Promise<Tally> {
    this.sweep();
    const entry = this.live(key);
    const failures = entry?.failures ?? 0;
    if (entry && now < entry.waitUntil) return { granted: false, failures, retryAfterMs: entry.waitUntil - now };
    const wait = waitFor(failures + 1, rule);
    this.entries.set(key, { failures: failures + 1, waitUntil: now + wait, expiresAt: now + wait + rule.memoryMs });
    return { granted: true, failures: failures + 1, retryAfterMs: 0 };
  }

  async failed(key: string, rule: DelayRule, now: number): Promise<void> {
    const entry = this.live(key);
    if (!entry) return;
    const wait = waitFor(entry.failures, rule);
    entry.waitUntil = Math.max(entry.waitUntil, now + wait);
    entry.expiresAt = Math.max(entry.expiresAt, now + wait + rule.memoryMs);
  }

  async giveBack(key: string, rule: DelayRule): Promise<void> {
    const entry = this.live(key);
    if (!entry) return;
    entry.failures = Math.max(0, entry.failures - 1);
    if (entry.failures < rule.free) entry.waitUntil = 0;
  }

  async forget(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async remember(key: string, ttlMs: number): Promise<void> {
    this.facts.delete(key);
    this.facts.set(key, this.clock() + ttlMs);
    // Bounded: past the cap the oldest fact is forgotten (that address is then merely unknown again).
    if (this.facts.size > MAX_FACTS) this.facts.delete(this.facts.keys().next().value!);
  }

  async knows(key: string): Promise<boolean> {
    return (this.facts.get(key) ?? 0) > this.clock();
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    return entry && entry.expiresAt > this.clock() ? entry : undefined;
  }

  private sweep(): void {
    const now = this.clock();
    if (now - this.sweptAt < 1_000) return;
    this.sweptAt = now;
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    for (const [key, until] of this.facts) if (until <= now) this.facts.delete(key);
  }
}

// Each script runs atomically in Redis: every instance of the user service sees one count per scope.
const TAKE = `
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local u = tonumber(redis.call('HGET', KEYS[1], 'u') or '0')
local now, free, first, max, memory = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
if now < u then return {0, n, u - now} end
n = n + 1
local wait = 0
if n >= free then wait = math.min(first * 2 ^ (n - free), max) end
redis.call('HSET', KEYS[1], 'n', n, 'u', now + wait)
redis.call('PEXPIRE', KEYS[1], wait + memory)
return {1, n, 0}`;

const FAILED = `
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
if n == 0 then return 0 end
local u = tonumber(redis.call('HGET', KEYS[1], 'u') or '0')
local now, free, first, max, memory = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local wait = 0
if n >= free then wait = math.min(first * 2 ^ (n - free), max) end
if now + wait > u then redis.call('HSET', KEYS[1], 'u', now + wait) end
redis.call('PEXPIRE', KEYS[1], math.max(u - now, wait) + memory)
return 1`;

const GIVE_BACK = `
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
if n == 0 then return 0 end
n = n - 1
redis.call('HSET', KEYS[1], 'n', n)
if n < tonumber(ARGV[1]) then redis.call('HSET', KEYS[1], 'u', 0) end
return 1`;

/** Counts shared by every instance of the user service through Redis. */
export class RedisThrottleStore implements ThrottleStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'login:',
  ) {}

  async take(key: string, rule: DelayRule, now: number): Promise<Tally> {
    const [granted, failures, retryAfterMs] = (await this.redis.eval(
      TAKE,
      1,
      this.prefix + key,
      ...ruleArgs(rule, now),
    )) as [number, number, number];
    return { granted: granted === 1, failures, retryAfterMs };
  }

  async failed(key: string, rule: DelayRule, now: number): Promise<void> {
    await this.redis.eval(FAILED, 1, this.prefix + key, ...ruleArgs(rule, now));
  }

  async giveBack(key: string, rule: DelayRule): Promise<void> {
    await this.redis.eval(GIVE_BACK, 1, this.prefix + key, rule.free);
  }

  async forget(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }

  async remember(key: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.prefix + key, '1', 'PX', ttlMs);
  }

  async knows(key: string): Promise<boolean> {
    return (await this.redis.exists(this.prefix + key)) === 1;
  }
}

const ruleArgs = (rule: DelayRule, now: number) => [now, rule.free, rule.firstDelayMs, rule.maxDelayMs, rule.memoryMs];

/**
 * Redis's counts while Redis answers, this instance's memory while it does
 * not: sign-in stays open during an outage and is still throttled, per
 * instance (docs/security.md, "What an outage of Redis does").
 */
export class FailoverThrottleStore implements ThrottleStore {
  private readonly shared: RedisThrottleStore;

  constructor(
    private readonly redis: SharedRedis,
    private readonly memory: ThrottleStore = new MemoryThrottleStore(),
  ) {
    this.shared = new RedisThrottleStore(redis.client);
  }

  take(key: string, rule: DelayRule, now: number): Promise<Tally> {
    return this.either((store) => store.take(key, rule, now));
  }

  failed(key: string, rule: DelayRule, now: number): Promise<void> {
    return this.either((store) => store.failed(key, rule, now));
  }

  giveBack(key: string, rule: DelayRule): Promise<void> {
    return this.either((store) => store.giveBack(key, rule));
  }

  forget(key: string): Promise<void> {
    return this.either((store) => store.forget(key));
  }

  remember(key: string, ttlMs: number): Promise<void> {
    return this.either((store) => store.remember(key, ttlMs));
  }

  knows(key: string): Promise<boolean> {
    return this.either((store) => store.knows(key));
  }

  private either<T>(run: (store: ThrottleStore) => Promise<T>): Promise<T> {
    return this.redis.orFallback(
      'sign_in_throttle',
      () => run(this.shared),
      () => run(this.memory),
    );
  }
}
