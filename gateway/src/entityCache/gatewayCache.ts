import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Logger, SharedRedis } from '@car-check/service-kit';
import type { GatewayContext } from '../context';
import { EntityCache } from './entityCache';
import { OwnerInvalidation } from './invalidation';
import { readCachePolicies, type CachePolicies } from './policy';
import { RedisEntityStore } from './redisStore';
import { SharedEntityStore } from './sharedStore';
import { MemoryEntityStore, type EntityStore } from './store';

export interface GatewayCacheOptions {
  maxBytes: number;
  pollMs: number;
  signingSecret: Buffer;
  /** An owner's GraphQL URL as the gateway calls it (its feed is at `/events` beside it), from the supergraph's. */
  subgraphUrl(owner: string, routingUrl: string): string;
  /** How long a read of a feed may take. */
  timeoutMs: number;
  log: Logger;
  registry: Registry;
  /** REDIS_URL's connection: entries shared by every gateway; unset: this process's memory. */
  redis: SharedRedis | null;
}

/**
 * The entity cache as the gateway runs it: the store, the owners' invalidation, the policies of
 * the supergraph it serves (taken anew at every load), and its metrics.
 */
export class GatewayEntityCache {
  readonly cache: EntityCache;
  private readonly store: EntityStore;
  private policies: CachePolicies = new Map();
  private readonly owners = new Map<string, OwnerInvalidation>();

  private readonly lookups: Counter<'type' | 'outcome'>;
  private readonly bypasses: Counter<'reason'>;
  private readonly lag: Histogram<'owner'>;
  private readonly invalidated: Counter<'owner'>;
  private readonly live: Gauge<'owner'>;

  constructor(private readonly options: GatewayCacheOptions) {
    const registers = [options.registry];
    this.lookups = new Counter({
      name: 'gateway_entity_cache_lookups_total',
      help: 'Entities looked up in the entity cache, by type and outcome (hit, miss): the hit ratio',
      labelNames: ['type', 'outcome'],
      registers,
    });
    this.bypasses = new Counter({
      name: 'gateway_entity_cache_bypasses_total',
      help: 'Cacheable fetches sent to their owner without the cache: the caller read its own writes ahead of the cache (consistency), or the owner’s invalidation had not started',
      labelNames: ['reason'],
      registers,
    });
    this.lag = new Histogram({
      name: 'gateway_entity_cache_invalidation_lag_seconds',
      help: 'From an entity’s change (its event’s time) to its entries being dropped',
      labelNames: ['owner'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.invalidated = new Counter({
      name: 'gateway_entity_cache_invalidations_total',
      help: 'Entries dropped by the owners’ events',
      labelNames: ['owner'],
      registers,
    });
    this.live = new Gauge({
      name: 'gateway_entity_cache_invalidation_live',
      help: '1 while the owner’s event feed is read (entries dropped as they change), 0 while it cannot be (entries expire by maxAge only)',
      labelNames: ['owner'],
      registers,
    });
    // In memory always: the store itself without Redis, the fallback with it.
    const store = new MemoryEntityStore(options.maxBytes);
    this.store = options.redis
      ? new SharedEntityStore(options.redis, new RedisEntityStore(options.redis.client), store)
      : store;
    new Gauge({
      name: 'gateway_entity_cache_entries',
      help: 'Entities in this process’s memory (with Redis: its fallback)',
      registers,
      collect() {
        this.set(store.size);
      },
    });
    new Gauge({
      name: 'gateway_entity_cache_bytes',
      help: 'The estimated size of this process’s entries (with Redis: its fallback)',
      registers,
      collect() {
        this.set(store.bytes);
      },
    });
    this.cache = new EntityCache(this.store, () => this.policies, this.owners, {
      onLookup: (type, hit) => this.lookups.inc({ type, outcome: hit ? 'hit' : 'miss' }),
      onBypass: (reason) => this.bypasses.inc({ reason }),
    });
  }

  /** A supergraph loaded: its declarations apply from now on, and each owner's feed is followed. */
  onSupergraph(supergraphSdl: string): void {
    const { policies, routingUrls } = readCachePolicies(supergraphSdl, (type, why) =>
      this.options.log.warn({ type }, `entity cache: @cacheEntity on ${type} ignored: ${why}`),
    );
    this.policies = policies;
    for (const { owner } of policies.values()) {
      if (this.owners.has(owner)) continue;
      const url = this.options.subgraphUrl(owner, routingUrls.get(owner) ?? '');
      const invalidation = new OwnerInvalidation(
        {
          owner,
          feedUrl: new URL('/events', url).toString(),
          signingSecret: this.options.signingSecret,
          timeoutMs: this.options.timeoutMs,
        },
        this.store,
        this.options.pollMs,
        this.options.log,
        {
          onApplied: (from, lagMs, dropped) => {
            this.lag.observe({ owner: from }, lagMs / 1000);
            if (dropped > 0) this.invalidated.inc({ owner: from }, dropped);
          },
          onState: (from, state) => this.live.set({ owner: from }, state === 'live' ? 1 : 0),
        },
      );
      this.owners.set(owner, invalidation);
      invalidation.start();
    }
  }

  /**
   * A write to `subgraph` has committed for this request: reads its feed now, so that this
   * gateway drops what the write changed before answering, and notes the position the
   * request's consistency token will carry. When the feed cannot be read, the cache is
   * emptied instead: nothing the write changed can be served from it.
   */
  async afterWrite(subgraph: string, context: GatewayContext): Promise<void> {
    const owner = this.owners.get(subgraph);
    if (!owner) return;
    const position = await owner.readNow();
    if (position === null) {
      await this.store.clear();
      return;
    }
    context.written ??= new Map();
    context.written.set(subgraph, Math.max(position, context.written.get(subgraph) ?? 0));
  }

  stop(): void {
    for (const owner of this.owners.values()) owner.stop();
  }
}
