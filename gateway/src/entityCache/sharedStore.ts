import type { SharedRedis } from '@car-check/service-kit';
import type { RedisEntityStore } from './redisStore';
import type { EntityRef, EntityStore, Found, MemoryEntityStore } from './store';

/** Generations of the two stores never meet: a local one is marked by this offset. */
const LOCAL = 2 ** 52;

/**
 * Redis when it answers, this gateway's memory while it does not (REDIS_URL set). Every
 * invalidation goes to both, so the memory is fresh whenever it is used. While Redis cannot be
 * reached it misses invalidations: once it answers again, its entries are dropped before it is
 * used again. An answer is stored where its lookup was made, or nowhere.
 */
export class SharedEntityStore implements EntityStore {
  /** Redis may hold entries an invalidation did not reach. */
  private missedInvalidation = false;
  private clearing: Promise<void> | null = null;

  constructor(
    private readonly redis: SharedRedis,
    private readonly shared: RedisEntityStore,
    private readonly local: MemoryEntityStore,
  ) {}

  async lookup(keys: readonly string[]): Promise<Found> {
    if (await this.sharedUsable()) {
      try {
        return await this.shared.lookup(keys);
      } catch {
        this.lost();
      }
    }
    this.redis.fellBack('entity_cache');
    const found = await this.local.lookup(keys);
    return { ...found, generation: LOCAL + found.generation };
  }

  async set(key: string, ref: EntityRef, value: unknown, maxAgeMs: number, generation: number): Promise<boolean> {
    if (generation >= LOCAL) return this.local.set(key, ref, value, maxAgeMs, generation - LOCAL);
    try {
      return await this.shared.set(key, ref, value, maxAgeMs, generation);
    } catch {
      this.lost();
      return false;
    }
  }

  async invalidate(refs: readonly EntityRef[]): Promise<number> {
    // A poll that found no change misses nothing.
    if (refs.length === 0) return 0;
    const dropped = await this.local.invalidate(refs);
    if (!this.redis.up) {
      this.missedInvalidation = true;
      return dropped;
    }
    try {
      return dropped + (await this.shared.invalidate(refs));
    } catch {
      this.lost();
      return dropped;
    }
  }

  async clear(): Promise<void> {
    await this.local.clear();
    try {
      await this.shared.clear();
    } catch {
      this.lost();
    }
  }

  private lost(): void {
    this.missedInvalidation = true;
  }

  /** Redis is up, and holds nothing an invalidation missed (emptied first if it might). */
  private async sharedUsable(): Promise<boolean> {
    if (!this.redis.up) {
      this.missedInvalidation = true;
      return false;
    }
    if (!this.missedInvalidation) return true;
    this.clearing ??= this.shared
      .clear()
      .then(() => {
        this.missedInvalidation = false;
      })
      .catch(() => undefined)
      .finally(() => {
        this.clearing = null;
      });
    await this.clearing;
    return !this.missedInvalidation;
  }
}
