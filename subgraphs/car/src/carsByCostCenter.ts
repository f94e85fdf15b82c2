import { type Connection, escapeLike, type PageRequest, type SortOrder, toConnection } from '@car-check/subgraph-kit';
import { type Car, Prisma } from './__generated__/prisma/client';
import { carColumns } from './carRow';
import type { PrismaClient } from './prisma';

/** `cars(filter:)` as validated (see validation.ts). */
export interface CarFilterInput {
  brand?: string | null;
  costCenterId?: string | null;
  search?: string | null;
  costCenterCode?: string | null;
  societyName?: string | null;
  managerId?: string | null;
}

/** Whether a filter needs the cost-center replica (a field of the car's cost center). */
export const filtersByCostCenter = (filter: CarFilterInput | null | undefined): boolean =>
  Boolean(filter?.costCenterCode || filter?.societyName || filter?.managerId);

// The fields a page may be sorted by (a fixed list: never text from the client). The statement's rows
// carry each column under its field's name (see carColumns).
const SORT_FIELDS: ReadonlySet<string> = new Set<keyof Car>(['createdAt', 'brand', 'model']);

/** A row of the page, or the one row with no car that carries the total of an empty page. */
interface Row extends Omit<Car, 'id'> {
  id: string | null;
  total: number;
}

/**
 * A page of cars filtered by their cost center's code, society name or
 * manager, with any of the car's own filters, in ONE SQL statement: the cars
 * joined to the cost-center replica (cost_center_replica, fed by the
 * cost-center subgraph's events; tombstones excluded), the total count of the
 * matches and the page after the cursor, in the order asked (keyset paging,
 * the same cursors as every other list of cars). Text is matched literally
 * and case-insensitively (ILIKE with `%` and `_` escaped), like `brand`.
 */
export async function carsByCostCenter(
  prisma: PrismaClient,
  filter: CarFilterInput,
  order: SortOrder,
  page: PageRequest,
): Promise<Connection<Car>> {
  const conditions: Prisma.Sql[] = [Prisma.sql`NOT r.deleted`];
  if (filter.brand) conditions.push(Prisma.sql`c.brand ILIKE ${escapeLike(filter.brand)}`);
  if (filter.costCenterId) conditions.push(Prisma.sql`c.cost_center_id = ${filter.costCenterId}::uuid`);
  if (filter.search) {
    const pattern = `%${escapeLike(filter.search)}%`;
    conditions.push(Prisma.sql`(c.brand ILIKE ${pattern} OR c.model ILIKE ${pattern})`);
  }
  if (filter.costCenterCode) conditions.push(Prisma.sql`r.code ILIKE ${escapeLike(filter.costCenterCode)}`);
  if (filter.societyName) conditions.push(Prisma.sql`r.society_name ILIKE ${escapeLike(filter.societyName)}`);
  if (filter.managerId) conditions.push(Prisma.sql`r.manager_id = ${filter.managerId}::uuid`);

  if (!SORT_FIELDS.has(order.field)) throw new Error(`No column for order field ${order.field}`);
  const sortColumn = Prisma.raw(`m."${order.field}"`);
  const direction = Prisma.raw(order.direction === 'desc' ? 'DESC' : 'ASC');
  const after = page.after
    ? Prisma.sql`WHERE (${sortColumn}, m.id) ${Prisma.raw(order.direction === 'desc' ? '<' : '>')} (${
        order.type === 'date'
          ? Prisma.sql`${new Date(page.after.key)}::timestamptz`
          : Prisma.sql`${page.after.key}::text`
      }, ${page.after.id}::uuid)`
    : Prisma.empty;

  const rows = await prisma.$queryRaw<Row[]>`
    WITH matching AS (
      SELECT ${carColumns('c')}
      FROM car c JOIN cost_center_replica r ON r.id = c.cost_center_id
      WHERE ${Prisma.join(conditions, ' AND ')}
    )
    SELECT page.*, total.n AS total
    FROM (SELECT count(*)::int AS n FROM matching) total
    LEFT JOIN (
      SELECT m.* FROM matching m ${after}
      ORDER BY ${sortColumn} ${direction}, m.id ${direction}
      LIMIT ${page.first + 1}
    ) page ON TRUE
    ORDER BY ${Prisma.raw(`page."${order.field}"`)} ${direction}, page.id ${direction}`;

  const totalCount = rows[0]?.total ?? 0;
  const cars: Car[] = rows
    .filter((row): row is Row & { id: string } => row.id !== null)
    .map(({ total, ...car }) => car);
  return toConnection(cars, page, order, totalCount);
}
