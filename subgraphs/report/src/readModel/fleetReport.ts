/** The figures of fleetReport: groups of the cars at an instant, and the cars of one group. */
import type { ConsumerSql } from '@car-check/events';
import { Prisma } from '../__generated__/prisma/client';
import { CURRENT_ROLLUP, carsAt, columnOf, filterWhere, keyWhere } from './carsAt';
import { carsAtInstant } from './checkpoints';
import type { Dimension } from './dimensions';
import { compareGroups } from './groupOrder';
import type { FleetGroupModel, FleetReportModel, ReportScope } from './reportTypes';

/**
 * Counts the cars of `scope` per value of `groupBy` in one statement: the rollup for now, the
 * checkpoint before the instant and the versions changed since otherwise (checkpoints.ts). Groups come back in the report's order.
 */
export async function fleetReport(
  db: ConsumerSql,
  groupBy: readonly Dimension[],
  scope: ReportScope,
  now: Date,
): Promise<Omit<FleetReportModel, 'freshness'>> {
  const source = scope.instant === null ? CURRENT_ROLLUP : await carsAtInstant(db, scope.instant);
  const columns = groupBy.map((dimension, index) => Prisma.sql`${columnOf(dimension)} AS ${Prisma.raw(`d${index}`)}`);
  const grouping =
    groupBy.length > 0
      ? Prisma.sql`GROUP BY ${Prisma.join(groupBy.map((dimension) => columnOf(dimension)))}`
      : Prisma.empty;
  const rows = await db.$queryRaw<Record<string, string | number | null>[]>`
    SELECT ${Prisma.join([...columns, Prisma.sql`COALESCE(SUM(s.n), 0)::int AS car_count`])}
    FROM (${source}) s
    WHERE ${filterWhere(scope.filter)}
    ${grouping}`;
  const groups: FleetGroupModel[] = rows
    .map((row) => ({
      groupBy,
      values: groupBy.map((_dimension, index) => (row[`d${index}`] as string | null) ?? null),
      carCount: Number(row.car_count),
      scope,
    }))
    .filter((group) => group.carCount > 0)
    .sort(compareGroups);
  return {
    groupBy,
    asOf: scope.instant ?? now,
    totalCars: groups.reduce((total, group) => total + group.carCount, 0),
    groups,
  };
}

/** The ids of a group's cars after `after` (by id), at most `limit`. */
export async function carsOfGroup(
  db: ConsumerSql,
  group: FleetGroupModel,
  after: string | null,
  limit: number,
): Promise<string[]> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT s.car_id::text AS id FROM (${carsAt(group.scope.instant)}) s
    WHERE ${filterWhere(group.scope.filter)} AND ${keyWhere(group.groupBy, group.values)}
      AND (${after}::uuid IS NULL OR s.car_id > ${after}::uuid)
    ORDER BY s.car_id
    LIMIT ${limit}`;
  return rows.map((row) => row.id);
}
