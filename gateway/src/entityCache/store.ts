import { LRUCache } from 'lru-cache';

/** One kept entity: its fields as the owner answered them, and when. */
export interface CachedEntity {
  value: unknown;
  storedAt: number;
}

/** Where an entry belongs, for invalidation: the owner and the entity's id. */
export interface EntityRef {
  owner: string;
  id: string;
}

/**
 * How long an invalidation is remembered, to refuse storing an answer fetched before it: longer
 * than any subgraph call can last (deadlines are at most a minute).
 */
const REMEMBER_INVALIDATION_MS = 120_000;
const REMEMBERED_INVALIDATIONS = 200_000;

const refKey = (ref: EntityRef) => `${ref.owner}\n${ref.id}`;

/** What a lookup found, and the generation to store the answers fetched now with. */
export interface Found {
  generation: number;
  /** Per key asked, its entry or undefined. */
  entries: (CachedEntity | undefined)[];
}

/**
 * Where the entity cache keeps its entries: this process's memory, or Redis shared by every
 * gateway (redisStore.ts). Each drops every entry of an entity at once, and never stores an
 * answer fetched before an invalidation of its entity (the generation a lookup returns).
 */
export interface EntityStore {
  lookup(keys: readonly string[]): Promise<Found>;
  /** Keeps an entity fetched since `generation`, unless it has been invalidated since. */
  set(key: string, ref: EntityRef, value: unknown, maxAgeMs: number, generation: number): Promise<boolean>;
  /** Drops every entry of these entities; returns how many went. */
  invalidate(refs: readonly EntityRef[]): Promise<number>;
  /** Drops everything. */
  clear(): Promise<void>;
}

/**
 * The gateway's entity entries, in this process's memory, bounded by bytes (least recently used
 * out first) and by each entry's own age (the owner's maxAge, a backstop for invalidation).
 *
 * Invalidation drops every entry of an entity at once, whatever its selection or scope. An
 * answer fetched before an invalidation it could predate is never stored: each fetch notes
 * the store's generation when it starts ({@link generation}), and {@link set} refuses an entry
 * whose entity was invalidated since.
 */
export class MemoryEntityStore implements EntityStore {
  private readonly entries: LRUCache<string, CachedEntity & { ref: string }>;
  /** Entity → the keys of its entries. */
  private readonly byEntity = new Map<string, Set<string>>();
  /** Entity → the generation of its last invalidation. */
  private readonly invalidated = new LRUCache<string, number>({
    max: REMEMBERED_INVALIDATIONS,
    ttl: REMEMBER_INVALIDATION_MS,
    // Forgotten early (too many at once): nothing fetched before now may be stored.
    dispose: (_value, _key, reason) => {
      if (reason === 'evict') this.floor = ++this.counter;
    },
  });
  private counter = 0;
  /** Answers fetched before this generation are never stored. */
  private floor = 0;

  constructor(maxBytes: number) {
    this.entries = new LRUCache({
      maxSize: maxBytes,
      sizeCalculation: (entry, key) => key.length * 2 + entry.ref.length * 2 + sizeOf(entry.value),
      ttlAutopurge: false,
      allowStale: false,
      dispose: (entry, key) => {
        const keys = this.byEntity.get(entry.ref);
        keys?.delete(key);
        if (keys?.size === 0) this.byEntity.delete(entry.ref);
      },
    });
  }

  /** Now, as the store counts invalidations: note it before fetching what {@link set} will store. */
  generation(): number {
    return this.counter;
  }

  get(key: string): CachedEntity | undefined {
    return this.entries.get(key);
  }

  lookup(keys: readonly string[]): Promise<Found> {
    return Promise.resolve({ generation: this.counter, entries: keys.map((key) => this.get(key)) });
  }

  set(key: string, ref: EntityRef, value: unknown, maxAgeMs: number, generation: number): Promise<boolean> {
    return Promise.resolve(this.setNow(key, ref, value, maxAgeMs, generation));
  }

  /** {@link set}, at once. */
  setNow(key: string, ref: EntityRef, value: unknown, maxAgeMs: number, generation: number): boolean {
    const entity = refKey(ref);
    if (generation < this.floor || (this.invalidated.get(entity) ?? -1) > generation) return false;
    this.entries.set(key, { value, storedAt: Date.now(), ref: entity }, { ttl: maxAgeMs });
    if (!this.entries.has(key)) return false; // larger than the whole store
    let keys = this.byEntity.get(entity);
    if (!keys) this.byEntity.set(entity, (keys = new Set()));
    keys.add(key);
    return true;
  }

  invalidate(refs: readonly EntityRef[]): Promise<number> {
    return Promise.resolve(this.invalidateNow(refs));
  }

  /** {@link invalidate}, at once. */
  invalidateNow(refs: readonly EntityRef[]): number {
    if (refs.length === 0) return 0;
    // After it, fetches start in a new generation: what they fetch is newer than these changes.
    this.counter += 1;
    let dropped = 0;
    for (const ref of refs) {
      const entity = refKey(ref);
      this.invalidated.set(entity, this.counter);
      for (const key of [...(this.byEntity.get(entity) ?? [])]) if (this.entries.delete(key)) dropped += 1;
    }
    return dropped;
  }

  clear(): Promise<void> {
    this.floor = ++this.counter;
    this.entries.clear();
    return Promise.resolve();
  }

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.entries.calculatedSize;
  }
}

/** An estimate of a JSON value's size in memory, in bytes (strings as UTF-16). */
function sizeOf(value: unknown): number {
  return JSON.stringify(value ?? null).length * 2 + 64;
}
