import { invalidArgument, outOfRange } from '../errors';

/** Largest page a client may ask for; bigger requests are OUT_OF_RANGE, not silently cut. */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

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

// Cursors are opaque to clients (base64url JSON) but carry which order produced
// them, so a cursor from one ordering cannot be replayed against another.
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.field, cursor.key, cursor.id])).toString('base64url');
}

export function decodeCursor(value: string, order: SortOrder): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw invalidArgument('The `after` cursor is malformed.', { argument: 'after' });
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    !parsed.every((part) => typeof part === 'string') ||
    parsed[0] !== order.field
  ) {
    throw invalidArgument('The `after` cursor is malformed or belongs to another ordering.', { argument: 'after' });
  }
  const [field, key, id] = parsed as [string, string, string];
  if (order.type === 'date' && Number.isNaN(Date.parse(key))) {
    throw invalidArgument('The `after` cursor is malformed.', { argument: 'after' });
  }
  return { field, key, id };
}

/** Validates `first`/`after` before anything touches the database. */
export function parsePage(
  args: { first?: number | null; after?: string | null },
  order: SortOrder,
): PageRequest {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (first < 0) throw invalidArgument('`first` must not be negative.', { argument: 'first' });
  if (first > MAX_PAGE_SIZE) {
    throw outOfRange(`\`first\` must be at most ${MAX_PAGE_SIZE}.`, { argument: 'first', max: MAX_PAGE_SIZE });
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
