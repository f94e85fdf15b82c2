import { DEFAULT_PAGE_SIZE, invalidArgument, outOfRange } from '@car-check/service-kit';
import { textProblem } from '../server/textInput';
import { isId } from './validate';

/** Largest page a client may ask for; bigger requests are OUT_OF_RANGE, not silently cut. */
export const MAX_PAGE_SIZE = 100;

export type SortDirection = 'asc' | 'desc';

/** How a list is ordered: one column, then `id` to break ties so pages never overlap. */
export interface SortOrder<Field extends string = string> {
  field: Field;
  direction: SortDirection;
  /** How the column's value is carried in a cursor. */
  type: 'date' | 'string';
}

/** Position of a row in a sorted list: its sort value and id. */
export interface Cursor {
  field: string;
  key: string;
  id: string;
}

export interface PageRequest {
  first: number;
  after: Cursor | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

/**
 * Longest cursor accepted, in characters. The graph's cursors carry a sort
 * value of at most 120 characters (the longest validated text), so they stay
 * well under this; anything longer was not made here and is refused before it
 * is decoded.
 */
export const MAX_CURSOR_LENGTH = 1024;

// Cursors are opaque to clients (base64url JSON) but carry which order produced
// them, so a cursor from one ordering cannot be replayed against another.
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.field, cursor.key, cursor.id])).toString('base64url');
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
// How encodeCursor writes a date: toISOString() of a date in years 0001-9999
// (PostgreSQL has no year 0; later years are written differently).
const ISO_DATE = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const malformed = (why: string) =>
  invalidArgument(`The \`after\` cursor is malformed (${why}); pass back a cursor the graph returned.`, {
    argument: 'after',
  });

/**
 * The position a client's `after` cursor names, or INVALID_ARGUMENT. Every part
 * is checked before it reaches a query, so a forged or damaged cursor can never
 * become a database error (a non-UUID id, a date PostgreSQL cannot store, a NUL
 * byte): only a cursor this graph could have produced is accepted.
 */
export function decodeCursor(value: string, order: SortOrder): Cursor {
  if (value.length > MAX_CURSOR_LENGTH) throw malformed(`longer than ${MAX_CURSOR_LENGTH} characters`);
  const bytes = BASE64URL.test(value) ? Buffer.from(value, 'base64url') : null;
  // Node skips characters outside the alphabet: only the canonical spelling is a cursor.
  if (!bytes || bytes.toString('base64url') !== value) throw malformed('not base64url');
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw malformed('not JSON');
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || !parsed.every((part) => typeof part === 'string')) {
    throw malformed('wrong shape');
  }
  const [field, key, id] = parsed as [string, string, string];
  if (field !== order.field) {
    throw invalidArgument('The `after` cursor belongs to another ordering.', { argument: 'after' });
  }
  if (!isId(id)) throw malformed('bad id');
  if (order.type === 'date') {
    if (!ISO_DATE.test(key) || Number.isNaN(Date.parse(key)) || new Date(key).toISOString() !== key)
      throw malformed('bad date');
  } else if (textProblem(key)) {
    throw malformed('bad sort value');
  }
  return { field, key, id };
}

/**
 * Validates `first`/`after` before anything touches the database. `max` is the largest page of
 * this list: {@link MAX_PAGE_SIZE} unless the list's items are computed whole anyway and are small.
 */
export function parsePage(
  args: { first?: number | null; after?: string | null },
  order: SortOrder,
  max = MAX_PAGE_SIZE,
): PageRequest {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (first < 0) throw invalidArgument('`first` must not be negative.', { argument: 'first' });
  if (first > max) {
    throw outOfRange(`\`first\` must be at most ${max}.`, { argument: 'first', max });
  }
  return { first, after: args.after ? decodeCursor(args.after, order) : null };
}

function sortValue(order: SortOrder, key: string): string | Date {
  return order.type === 'date' ? new Date(key) : key;
}

/**
 * The Prisma `where` fragment selecting rows strictly after the cursor
 * (keyset pagination: stable under inserts and deletes, unlike offsets).
 */
export function afterCursorWhere(order: SortOrder, cursor: Cursor): Record<string, unknown> {
  const op = order.direction === 'asc' ? 'gt' : 'lt';
  const value = sortValue(order, cursor.key);
  return {
    OR: [{ [order.field]: { [op]: value } }, { [order.field]: value, id: { [op]: cursor.id } }],
  };
}

/** The Prisma `orderBy` for a sort order, with `id` as the tie-breaker. */
export function orderByClause(order: SortOrder): Record<string, SortDirection>[] {
  return [{ [order.field]: order.direction }, { id: order.direction }];
}

export function cursorOf<T extends { id: string }>(order: SortOrder, row: T): string {
  const raw = (row as Record<string, unknown>)[order.field];
  const key = raw instanceof Date ? raw.toISOString() : String(raw);
  return encodeCursor({ field: order.field, key, id: row.id });
}

/**
 * Builds a Relay connection from rows fetched with `take: first + 1`: the
 * extra row only tells whether there is a next page.
 */
export function toConnection<T extends { id: string }>(
  rows: T[],
  page: PageRequest,
  order: SortOrder,
  totalCount: number,
): Connection<T> {
  const nodes = rows.slice(0, page.first);
  const edges = nodes.map((node) => ({ cursor: cursorOf(order, node), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > page.first, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount,
  };
}

/** Maps the GraphQL `{ field, direction }` enums onto a sort order. */
export function sortOrderFrom<Field extends string>(
  fields: Record<string, { field: Field; type: SortOrder['type'] }>,
  requested: { field?: string | null; direction?: string | null } | null | undefined,
  fallback: string,
): SortOrder<Field> {
  const spec = fields[requested?.field ?? fallback];
  if (!spec) throw invalidArgument(`Unknown order field ${requested?.field}.`, { argument: 'orderBy' });
  return { ...spec, direction: requested?.direction === 'DESC' ? 'desc' : 'asc' };
}

/**
 * User text as a literal inside a LIKE/ILIKE pattern: `\`, `%` and `_` are
 * escaped with PostgreSQL's default escape character, so `%` matches a percent
 * sign, not everything. Prisma passes `contains`/`startsWith`/`endsWith`, and
 * `equals` with `mode: 'insensitive'` (which it runs as ILIKE), through as
 * patterns without escaping them; every filter built from user text goes
 * through the helpers below.
 */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/** A Prisma string filter: the column contains `text`, case-insensitively, taken literally. */
export function containsText(text: string): { contains: string; mode: 'insensitive' } {
  return { contains: escapeLike(text), mode: 'insensitive' };
}

/** A Prisma string filter: the column equals `text`, case-insensitively, taken literally. */
export function equalsText(text: string): { equals: string; mode: 'insensitive' } {
  return { equals: escapeLike(text), mode: 'insensitive' };
}

/** The two queries a page needs, as a Prisma model delegate offers them. */
export interface PageSource<Row, Where> {
  findMany(args: { where: Where; orderBy: Record<string, SortDirection>[]; take: number }): Promise<Row[]>;
  count(args: { where: Where }): Promise<number>;
}

/**
 * One page of a filtered, ordered list as a Relay connection: the page query
 * (one row more than asked, to know whether another page follows) and the
 * total count run side by side.
 */
export async function fetchPage<Row extends { id: string }, Where>(
  source: PageSource<Row, Where>,
  where: Where,
  order: SortOrder,
  page: PageRequest,
): Promise<Connection<Row>> {
  const pageWhere = (page.after ? { AND: [where, afterCursorWhere(order, page.after)] } : where) as Where;
  const [rows, totalCount] = await Promise.all([
    source.findMany({ where: pageWhere, orderBy: orderByClause(order), take: page.first + 1 }),
    source.count({ where }),
  ]);
  return toConnection(rows, page, order, totalCount);
}
