import type { GraphQLFormattedError } from 'graphql';
import type { DeferBlock } from './deferredDocument';

type ResponsePath = (string | number)[];
type Data = Record<string, unknown>;

/** One result of a deferred fragment on one object (deferSpec=20220824). */
export interface IncrementalItem {
  data: Data | null;
  path: ResponsePath;
  label?: string;
  errors?: GraphQLFormattedError[];
}

/** One part of a deferred answer, as Apollo Router sends it and Apollo Client's Defer20220824Handler reads it. */
export interface DeferredPart {
  data?: Data | null;
  incremental?: IncrementalItem[];
  errors?: GraphQLFormattedError[];
  hasNext: boolean;
}

/**
 * The objects a block's path reaches in the first part's data, each with its
 * concrete path: lists are expanded (one incremental result per element),
 * null objects are skipped (nothing to add fields to).
 */
export function objectsAt(data: unknown, path: readonly string[]): ResponsePath[] {
  const found: ResponsePath[] = [];
  const walk = (value: unknown, at: ResponsePath, rest: readonly string[]) => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => walk(item, [...at, index], rest));
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const [key, ...more] = rest;
    if (key === undefined) found.push(at);
    else walk((value as Data)[key], [...at, key], more);
  };
  walk(data, [], path);
  return found;
}

function valueAt(data: unknown, path: ResponsePath): unknown {
  let value = data;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

const errorKey = (error: GraphQLFormattedError) => `${JSON.stringify(error.path ?? null)}\n${error.message}`;

/**
 * A deferred block's incremental results, from the answer of the run that
 * fetched it (the primary's selections and this block's): for each object the
 * first part placed at the block's path, the block's fields on it, with the
 * errors on those fields. An object whose type the fragment's condition does
 * not match (none of its fields) gets nothing. `unplaced`: the run's other
 * errors that the first part did not already carry (the block's run repeats
 * the primary's fetches, and so their errors).
 */
export function incrementalItems(
  block: Pick<DeferBlock, 'path' | 'keys' | 'clientLabel'>,
  primaryData: unknown,
  primaryErrors: readonly GraphQLFormattedError[],
  run: { data: unknown; errors: readonly GraphQLFormattedError[] },
): { items: IncrementalItem[]; unplaced: GraphQLFormattedError[] } {
  const keys = new Set(block.keys);
  const placed = new Set<GraphQLFormattedError>();
  const items: IncrementalItem[] = [];
  for (const path of objectsAt(primaryData, block.path)) {
    const errors = run.errors.filter((error) => {
      const at = error.path ?? [];
      return (
        at.length > path.length && path.every((key, index) => at[index] === key) && keys.has(String(at[path.length]))
      );
    });
    errors.forEach((error) => placed.add(error));
    const object = valueAt(run.data, path);
    let data: Data | null = null;
    if (object !== null && typeof object === 'object') {
      data = Object.fromEntries(Object.entries(object as Data).filter(([key]) => keys.has(key)));
      if (Object.keys(data).length === 0 && errors.length === 0) continue;
    }
    items.push({
      data,
      path,
      ...(block.clientLabel !== undefined ? { label: block.clientLabel } : {}),
      ...(errors.length > 0 ? { errors } : {}),
    });
  }
  const already = new Set(primaryErrors.map(errorKey));
  const unplaced = run.errors.filter((error) => !placed.has(error) && !already.has(errorKey(error)));
  return { items, unplaced };
}
