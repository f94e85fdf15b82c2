/**
 * The order of a report's groups (carCount descending, then the key's values in groupBy order,
 * compared as strings, a missing value last) and the cursors that page through it.
 */
import { invalidArgument } from '@car-check/service-kit';
import { MAX_CURSOR_LENGTH } from '@car-check/subgraph-kit';

export interface RankedGroup {
  carCount: number;
  values: readonly (string | null)[];
}

function compareValues(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

export function compareGroups(a: RankedGroup, b: RankedGroup): number {
  if (a.carCount !== b.carCount) return b.carCount - a.carCount;
  for (let index = 0; index < Math.max(a.values.length, b.values.length); index++) {
    const order = compareValues(a.values[index] ?? null, b.values[index] ?? null);
    if (order !== 0) return order;
  }
  return 0;
}

export const groupCursor = (group: RankedGroup): string =>
  Buffer.from(JSON.stringify([group.carCount, ...group.values])).toString('base64url');

const malformed = () =>
  invalidArgument('The `after` cursor is malformed; pass back a cursor the graph returned for this report.', {
    argument: 'after',
  });

/** The group a cursor stands for; INVALID_ARGUMENT unless it is one of this report's shape (`width` values). */
export function parseGroupCursor(cursor: string, width: number): RankedGroup {
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw malformed();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw malformed();
  }
  if (!Array.isArray(parsed) || parsed.length !== width + 1) throw malformed();
  const [carCount, ...values] = parsed as unknown[];
  if (typeof carCount !== 'number' || !Number.isInteger(carCount) || carCount < 0) throw malformed();
  if (!values.every((value) => value === null || typeof value === 'string')) throw malformed();
  return { carCount, values: values as (string | null)[] };
}

/** The groups after `after` (all when null), at most `first`, as a connection. */
export function pageOfGroups<G extends RankedGroup>(sorted: readonly G[], first: number, after: RankedGroup | null) {
  const start = after ? sorted.findIndex((group) => compareGroups(group, after) > 0) : 0;
  const from = start === -1 ? sorted.length : start;
  const page = sorted.slice(from, from + first);
  const edges = page.map((node) => ({ cursor: groupCursor(node), node }));
  return {
    edges,
    pageInfo: { hasNextPage: from + first < sorted.length, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount: sorted.length,
  };
}
