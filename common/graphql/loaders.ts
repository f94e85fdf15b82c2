import DataLoader from 'dataloader';

/**
 * The only place that constructs DataLoaders. Each subgraph builds its loaders
 * from these per request, so batching is uniform and caches never outlive a
 * request (no data leaks between callers).
 */

/** Loads entities by id in one batch; a missing id resolves to null. */
export function byIdLoader<V extends { id: string }>(
  fetch: (ids: readonly string[]) => Promise<V[]>,
): DataLoader<string, V | null> {
  return new DataLoader(async (ids) => {
    const rows = await fetch(ids);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** Loads entities by a unique key other than id (e.g. a business code). */
export function byUniqueKeyLoader<V>(
  fetch: (keys: readonly string[]) => Promise<V[]>,
  keyOf: (row: V) => string,
): DataLoader<string, V | null> {
  return new DataLoader(async (keys) => {
    const rows = await fetch(keys);
    const byKey = new Map(rows.map((row) => [keyOf(row), row]));
    return keys.map((key) => byKey.get(key) ?? null);
  });
}

/** Loads the list of rows that share a parent key (one-to-many) in one batch. */
export function groupLoader<V>(
  fetch: (keys: readonly string[]) => Promise<V[]>,
  groupOf: (row: V) => string | null,
): DataLoader<string, V[]> {
  return new DataLoader(async (keys) => {
    const rows = await fetch(keys);
    const groups = new Map<string, V[]>();
    for (const row of rows) {
      const key = groupOf(row);
      if (key === null) continue;
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    return keys.map((key) => groups.get(key) ?? []);
  });
}

/**
 * A loader with a composite key (e.g. parent id plus paging arguments); the
 * batch function receives every key of the tick and answers them in order.
 */
export function compositeLoader<K, V>(
  batch: (keys: readonly K[]) => Promise<V[]>,
  cacheKeyOf: (key: K) => string,
): DataLoader<K, V, string> {
  return new DataLoader(batch, { cacheKeyFn: cacheKeyOf });
}
