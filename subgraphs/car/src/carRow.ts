import { type Car, Prisma } from './__generated__/prisma/client';

/**
 * Every column of `car`, by the Prisma field it fills: the one list the raw SQL of this subgraph
 * selects a car with (loaders.ts, carsByCostCenter.ts), for the statements Prisma's query builder
 * cannot express. Typed against the generated model, so a column added to prisma/car/schema.prisma
 * fails `npm run typecheck` here until it is named, and is then selected by every raw path.
 */
export const CAR_COLUMNS = {
  id: 'id',
  brand: 'brand',
  model: 'model',
  version: 'version',
  costCenterId: 'cost_center_id',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  revision: 'revision',
} as const satisfies Record<keyof Car, string>;

/**
 * The select list of a car from the table or subquery `source`, each column under its Prisma
 * field's name (`c.cost_center_id AS "costCenterId"`), so a raw row is the `Car` Prisma's own
 * queries return.
 */
export function carColumns(source: string): Prisma.Sql {
  const columns = Object.entries(CAR_COLUMNS).map(([field, column]) => `${source}.${column} AS "${field}"`);
  return Prisma.raw(columns.join(', '));
}
