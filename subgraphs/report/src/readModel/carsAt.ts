/**
 * The read model's cars at an instant, as SQL: each live car with its five values. `null` as
 * the instant is now, which the current versions (valid_to IS NULL) and the rollup answer.
 */
import { Prisma } from '../__generated__/prisma/client';
import { DIMENSIONS, type Dimension, type ReportFilter } from './dimensions';

/** Rows with car_id, cost_center_id, brand, model, society_name, manager_id (ids as uuid). */
export function carsAt(instant: Date | null): Prisma.Sql {
  const live = (alias: string) =>
    instant === null
      ? Prisma.sql`${Prisma.raw(alias)}.valid_to IS NULL`
      : Prisma.sql`${Prisma.raw(alias)}.valid_from <= ${instant} AND (${Prisma.raw(alias)}.valid_to IS NULL OR ${Prisma.raw(alias)}.valid_to > ${instant})`;
  return Prisma.sql`
    SELECT c.car_id, c.cost_center_id, c.brand, c.model, cc.society_name, cc.manager_id
    FROM car_version c LEFT JOIN cost_center_version cc ON cc.id = c.cost_center_id AND ${live('cc')}
    WHERE ${live('c')}`;
}

/** The rollup's live cars per (cost center, brand, model), with n the number of cars. */
export const CURRENT_ROLLUP = Prisma.sql`
  SELECT f.car_count AS n, NULLIF(f.cost_center_key, '')::uuid AS cost_center_id,
    NULLIF(f.brand, '') AS brand, NULLIF(f.model, '') AS model, cc.society_name, cc.manager_id
  FROM fleet_current f
  LEFT JOIN cost_center_version cc ON cc.id = NULLIF(f.cost_center_key, '')::uuid AND cc.valid_to IS NULL`;

const ID_DIMENSIONS: ReadonlySet<Dimension> = new Set(['COST_CENTER', 'MANAGER']);

/** A dimension's column of those rows, as text. */
export const columnOf = (dimension: Dimension): Prisma.Sql =>
  Prisma.raw(`s.${DIMENSIONS[dimension].column}${ID_DIMENSIONS.has(dimension) ? '::text' : ''}`);

/** The filter as conditions on those rows (aliased `s`), ANDed; TRUE when it filters nothing. */
export function filterWhere(filter: ReportFilter): Prisma.Sql {
  const conditions = (Object.entries(filter) as [Dimension, string[]][]).map(
    ([dimension, values]) => Prisma.sql`${columnOf(dimension)} = ANY(${values}::text[])`,
  );
  return conditions.length > 0 ? Prisma.join(conditions, ' AND ') : Prisma.sql`TRUE`;
}

/** Rows whose values of `groupBy` are exactly `values` (null matching a missing value). */
export function keyWhere(groupBy: readonly Dimension[], values: readonly (string | null)[]): Prisma.Sql {
  const conditions = groupBy.map(
    (dimension, index) => Prisma.sql`${columnOf(dimension)} IS NOT DISTINCT FROM ${values[index] ?? null}::text`,
  );
  return conditions.length > 0 ? Prisma.join(conditions, ' AND ') : Prisma.sql`TRUE`;
}
