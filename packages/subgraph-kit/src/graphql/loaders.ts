import DataLoader from 'dataloader';
import { toConnection, type Connection, type PageRequest, type SortOrder } from './pagination';

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

/** A page of one parent's children (a cost center's cars, an entity's history). */
export interface ChildPageKey {
  parentId: string;
  page: PageRequest;
}

export interface ChildPageSource<V extends { id: string }> {
  order: SortOrder;
  /** Up to `page.first + 1` children of each parent, after the page's cursor, in one statement. */
  rows(parentIds: string[], page: PageRequest): Promise<V[]>;
  /** How many children each parent has in all, in one statement. */
  counts(parentIds: string[]): Promise<Map<string, number>>;
  parentOf(row: V): string | null;
}

/**
 * Pages of children for many parents at once. Keys asking for the same page
 * shape share one windowed query and one grouped count, so a list of N parents
 * costs two statements, not 2N.
 */
export function childPageLoader<V extends { id: string }>(
  source: ChildPageSource<V>,
): DataLoader<ChildPageKey, Connection<V>, string> {
  return new DataLoader(
    async (keys) => {
      const shapes = new Map<string, ChildPageKey[]>();
      for (const key of keys) {
        const shape = JSON.stringify(key.page);
        shapes.set(shape, [...(shapes.get(shape) ?? []), key]);
      }
      const results = new Map<ChildPageKey, Connection<V>>();
      for (const group of shapes.values()) {
        const page = group[0]!.page;
        const ids = group.map((key) => key.parentId);
        const [rows, counts] = await Promise.all([source.rows(ids, page), source.counts(ids)]);
        for (const key of group) {
          const own = rows.filter((row) => source.parentOf(row) === key.parentId);
          results.set(key, toConnection(own, page, source.order, counts.get(key.parentId) ?? 0));
        }
      }
      return keys.map((key) => results.get(key)!);
    },
    { cacheKeyFn: (key) => JSON.stringify([key.parentId, key.page]) },
  );
}
