import type { Redis } from 'ioredis';
import type { SharedRedis } from './redis';

/**
 * Remembers single-use values (signature nonces) until they expire. `claim`
 * is true the first time a value is seen and false for every replay.
 */
export interface NonceStore {
  claim(nonce: string, validUntil: number): Promise<boolean>;
}

/** One process's memory: enough for one instance of a service. Bounded: expired nonces are swept. */
export class MemoryNonceStore implements NonceStore {
  private readonly seen = new Map<string, number>();
  private sweptAt = 0;

  async claim(nonce: string, validUntil: number): Promise<boolean> {
    const now = Date.now();
    if (now - this.sweptAt > 1_000) {
      this.sweptAt = now;
      for (const [key, until] of this.seen) if (until <= now) this.seen.delete(key);
    }
    const known = this.seen.get(nonce);
    if (known !== undefined && known > now) return false;
    this.seen.set(nonce, validUntil);
    return true;
  }
}

/** Shared by every instance of every service that uses the same Redis: a replay to another instance is refused too. */
export class RedisNonceStore implements NonceStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'nonce:',
  ) {}

  async claim(nonce: string, validUntil: number): Promise<boolean> {
    const ttl = Math.max(1, validUntil - Date.now());
    return (await this.redis.set(`${this.prefix}${nonce}`, '1', 'PX', ttl, 'NX')) === 'OK';
  }
}

/**
 * Redis's nonce store while Redis answers, this instance's memory while it does
 * not: an outage never turns replay protection into "refuse everything". Every
 * nonce is also claimed in memory, so a replay to this instance is refused in
 * any case, including one replaying a request it accepted before the outage.
 * What an outage loses is only the refusal of a replay sent to another
 * instance, for nonces first seen during the outage, until they expire (the
 * signature's validity, IDENTITY_MAX_AGE_MS at most).
 */
export class FailoverNonceStore implements NonceStore {
  private readonly memory = new MemoryNonceStore();
  private readonly shared: RedisNonceStore;

  constructor(private readonly redis: SharedRedis) {
    this.shared = new RedisNonceStore(redis.client);
  }

  async claim(nonce: string, validUntil: number): Promise<boolean> {
    if (!(await this.memory.claim(nonce, validUntil))) return false;
    return this.redis.orFallback(
      'nonces',
      () => this.shared.claim(nonce, validUntil),
      async () => true,
    );
  }
}
