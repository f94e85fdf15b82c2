import type { Redis } from 'ioredis';
import { sha256Hex } from '@car-check/service-kit';
import type { CachedEntity, EntityRef, EntityStore, Found } from './store';

/** How long an invalidation is remembered (longer than any subgraph call lasts), in ms. */
const REMEMBER_INVALIDATION_MS = 120_000;
/** Where the entity cache's keys live in Redis (every gateway of a graph shares them). */
export const REDIS_PREFIX = 'entity-cache:';

// KEYS: invalidated marker, entry, entity index. ARGV: generation, value, ttl ms.
const SET = `
local invalidated = redis.call('GET', KEYS[1])
if invalidated and tonumber(invalidated) > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('SADD', KEYS[3], KEYS[2])
if redis.call('PTTL', KEYS[3]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[3], ARGV[3]) end
return 1`;

// KEYS: the generation, then per entity its invalidated marker and its index. ARGV: how long to remember.
const INVALIDATE = `
local generation = redis.call('INCR', KEYS[1])
local dropped = 0
for k = 2, #KEYS, 2 do
  redis.call('SET', KEYS[k], generation, 'PX', ARGV[1])
  for _, entry in ipairs(redis.call('SMEMBERS', KEYS[k + 1])) do dropped = dropped + redis.call('DEL', entry) end
  redis.call('DEL', KEYS[k + 1])
end
return dropped`;

/**
 * The entries in Redis, shared by every gateway (REDIS_URL). The same rules as in memory,
 * enforced by Redis itself in one script each: an entity's entries are indexed under it and
 * dropped together; the invalidation generation is one counter for every gateway, so an answer
 * one gateway fetched before another applied a change is refused. Entries expire by their
 * owner's maxAge; Redis's own `maxmemory` policy bounds the rest (docs/entity-cache.md).
 */
export class RedisEntityStore implements EntityStore {
  private readonly generationKey: string;

  constructor(
    private readonly redis: Redis,
    private readonly prefix = REDIS_PREFIX,
  ) {
    this.generationKey = `${prefix}generation`;
  }

  private entryKey(key: string): string {
    return `${this.prefix}entry:${sha256Hex(key)}`;
  }

  private indexKey(ref: EntityRef): string {
    return `${this.prefix}entity:${ref.owner}:${ref.id}`;
  }

  private invalidatedKey(ref: EntityRef): string {
    return `${this.prefix}invalidated:${ref.owner}:${ref.id}`;
  }

  async lookup(keys: readonly string[]): Promise<Found> {
    const [generation, ...values] = await this.redis.mget(this.generationKey, ...keys.map((key) => this.entryKey(key)));
    return {
      generation: Number(generation ?? 0),
      entries: values.map((value) => (value === null ? undefined : (JSON.parse(value) as CachedEntity))),
    };
  }

  async set(key: string, ref: EntityRef, value: unknown, maxAgeMs: number, generation: number): Promise<boolean> {
    const entry: CachedEntity = { value, storedAt: Date.now() };
    const stored = await this.redis.eval(
      SET,
      3,
      this.invalidatedKey(ref),
      this.entryKey(key),
      this.indexKey(ref),
      generation,
      JSON.stringify(entry),
      Math.max(1, Math.round(maxAgeMs)),
    );
    return stored === 1;
  }

  async invalidate(refs: readonly EntityRef[]): Promise<number> {
    if (refs.length === 0) return 0;
    const keys = refs.flatMap((ref) => [this.invalidatedKey(ref), this.indexKey(ref)]);
    const dropped = await this.redis.eval(
      INVALIDATE,
      1 + keys.length,
      this.generationKey,
      ...keys,
      REMEMBER_INVALIDATION_MS,
    );
    return Number(dropped);
  }

  /** Drops every entry (and index) of the cache, a batch of keys at a time. */
  async clear(): Promise<void> {
    await this.redis.incr(this.generationKey);
    for (const pattern of [`${this.prefix}entry:*`, `${this.prefix}entity:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        if (keys.length > 0) await this.redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
  }
}
