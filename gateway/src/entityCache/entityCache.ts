import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { LRUCache } from 'lru-cache';
import { denialKey, sha256Hex } from '@car-check/service-kit';
import type { GatewayContext } from '../context';
import { EntityFetchShapes } from '../subgraphClient/entityFetch';
import type { GraphQLBody } from '../subgraphClient/fetch';
import type { CachePolicies, CachePolicy } from './policy';
import type { EntityStore } from './store';

/** An `_entities` fetch as Apollo Gateway hands it to a data source. */
export interface EntityFetch {
  query: string;
  variables: Record<string, unknown>;
  operationName?: string;
}

export interface CacheCounters {
  onLookup(type: string, hit: boolean): void;
  onBypass(reason: 'consistency' | 'invalidation-starting'): void;
}

type Representation = { __typename: string; id: string } & Record<string, unknown>;

/** What the cache makes of one `_entities` fetch: entries found, and what is left to fetch. */
export interface EntityLookup {
  /** The fetch for the representations not found (the same query), or null when all were. */
  remaining: EntityFetch | null;
  /** The whole answer, from the entries found and the owner's answer to {@link remaining}. */
  complete(answer: GraphQLBody | null): GatewayGraphQLResponse;
}

/**
 * The gateway's entity cache (docs/entity-cache.md): the answers of `_entities` fetches of the
 * types an owner declared with `@cacheEntity`, one entry per entity, selection and caller scope,
 * dropped by the owner's events. A fetch is served from it only when every representation is
 * of such a type of this subgraph, with an `id` (the events' subject), and when the owner's
 * invalidation has started and covers the caller's own writes (its consistency token).
 */
export class EntityCache {
  /** Operation text → its hash, for entry keys (plans are cached: texts repeat). */
  /** Which fetch texts are plain `_entities` queries (the batcher asks the same classifier). */
  private readonly entityFetches = new EntityFetchShapes({ maxEntries: 5_000, maxBytes: 5_000_000 });
  private readonly queryHashes = new LRUCache<string, string>({
    max: 5_000,
    maxSize: 5_000_000,
    sizeCalculation: (_hash, text) => Math.max(1, text.length),
  });

  constructor(
    private readonly store: EntityStore,
    private readonly policies: () => CachePolicies,
    /** Per owner, the feed position up to which its changes have been applied (null: not started). */
    private readonly owners: ReadonlyMap<string, { readonly applied: number | null }>,
    private readonly counters: CacheCounters,
  ) {}

  /** Null when the cache does not apply to this fetch; then it goes to the subgraph as it is. */
  async lookup(subgraph: string, fetch: EntityFetch, context: GatewayContext): Promise<EntityLookup | null> {
    const representations = fetch.variables.representations;
    if (!Array.isArray(representations) || representations.length === 0) return null;
    if (!this.entityFetches.isEntityFetch(fetch.query)) return null;
    const policies = this.policies();
    const typed: { representation: Representation; policy: CachePolicy }[] = [];
    for (const representation of representations as unknown[]) {
      if (!isRepresentation(representation)) return null;
      const policy = policies.get(representation.__typename);
      if (!policy || policy.owner !== subgraph) return null;
      typed.push({ representation, policy });
    }
    const owner = this.owners.get(subgraph);
    if (!owner || owner.applied === null) {
      this.counters.onBypass('invalidation-starting');
      return null;
    }
    const required = context.readAfter?.get(subgraph);
    if (required !== undefined && owner.applied < required) {
      // This caller wrote to the owner after what this gateway has applied: ask the owner.
      this.counters.onBypass('consistency');
      return null;
    }

    const selection = this.hashOf(fetch.query);
    const scope = denialKey(context.caller);
    const keys = typed.map(({ representation, policy }) =>
      [
        subgraph,
        selection,
        policy.perCaller ? `${scope} ${context.caller.userId ?? context.caller.service ?? ''}` : scope,
        JSON.stringify(representation),
      ].join('\n'),
    );
    const { generation, entries: found } = await this.store.lookup(keys);
    const missing: number[] = [];
    found.forEach((entry, index) => {
      this.counters.onLookup(typed[index]!.representation.__typename, entry !== undefined);
      if (entry === undefined) missing.push(index);
      else context.cacheAge = Math.max(context.cacheAge ?? 0, Date.now() - entry.storedAt);
    });

    const representationsOf = (indices: readonly number[]): unknown[] =>
      indices.map((index) => (representations as unknown[])[index]);
    return {
      remaining:
        missing.length === 0
          ? null
          : { ...fetch, variables: { ...fetch.variables, representations: representationsOf(missing) } },
      complete: (answer) => {
        const entities: unknown[] = found.map((entry) => entry?.value ?? null);
        if (missing.length === 0) return { data: { _entities: entities } };
        const fetched: unknown = answer?.data?._entities;
        if (!answer || !Array.isArray(fetched) || fetched.length !== missing.length)
          return { data: answer?.data ?? undefined, errors: answer?.errors, extensions: answer?.extensions };
        missing.forEach((index, position) => {
          const value: unknown = fetched[position];
          entities[index] = value;
          // Only a whole answer is kept: not an entity with an error on it (or an answer with a pathless one).
          if (value === null || value === undefined || hasErrorsFor(answer, position)) return;
          const { representation, policy } = typed[index]!;
          const ref = { owner: subgraph, id: representation.id.toLowerCase() };
          // Kept in the background: the answer does not wait for the store.
          void this.store.set(keys[index]!, ref, value, policy.maxAgeMs, generation).catch(() => false);
        });
        // The owner numbered its errors within the fetch it got: renumber them within the whole.
        const errors = answer.errors?.map((error) => {
          const index =
            error.path?.[0] === '_entities' && typeof error.path[1] === 'number' ? missing[error.path[1]] : undefined;
          return index === undefined ? error : { ...error, path: ['_entities', index, ...error.path!.slice(2)] };
        });
        return { data: { _entities: entities }, errors, extensions: answer.extensions };
      },
    };
  }

  private hashOf(query: string): string {
    let hash = this.queryHashes.get(query);
    if (!hash) this.queryHashes.set(query, (hash = sha256Hex(query)));
    return hash;
  }
}

function isRepresentation(value: unknown): value is Representation {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.__typename === 'string' && typeof record.id === 'string';
}

/** Whether an error of the answer is on this entity (an error without a path is on all of them). */
function hasErrorsFor(answer: GraphQLBody, position: number): boolean {
  return (answer.errors ?? []).some(
    (error) => !error.path || (error.path[0] === '_entities' && error.path[1] === position),
  );
}
