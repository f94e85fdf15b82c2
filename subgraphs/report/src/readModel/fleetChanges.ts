/** The figures of fleetChanges: the versions that overlap the period, tallied per bucket. */
import type { ConsumerSql } from '@car-check/events';
import type { Bucket } from './buckets';
import { tallyChanges } from './changes';
import type { Dimension, ReportFilter } from './dimensions';
import type { FleetChangeGroupModel } from './reportTypes';
import { segmentsOf, type CarVersionRow, type CostCenterVersionRow, type Segment } from './timeline';

/**
 * Reads every car and cost center version valid at some point of [from, to) or ending at `from`
 * (so that a change at `from` is seen with the state before it), and tallies them.
 */
export async function fleetChanges(
  db: ConsumerSql,
  buckets: readonly Bucket[],
  groupBy: readonly Dimension[],
  filter: ReportFilter,
): Promise<FleetChangeGroupModel[][]> {
  const from = buckets[0]?.start;
  const to = buckets.at(-1)?.end;
  if (!from || !to) return [];
  const cars = await db.$queryRaw<CarVersionRow[]>`
    SELECT car_id::text AS "carId", valid_from AS "validFrom", valid_to AS "validTo", brand, model,
      cost_center_id::text AS "costCenterId"
    FROM car_version WHERE valid_from < ${to} AND (valid_to IS NULL OR valid_to >= ${from})
    ORDER BY car_id, valid_from, revision`;
  const costCenters = await db.$queryRaw<CostCenterVersionRow[]>`
    SELECT id::text AS id, valid_from AS "validFrom", valid_to AS "validTo", society_name AS "societyName",
      manager_id::text AS "managerId"
    FROM cost_center_version WHERE valid_from < ${to} AND (valid_to IS NULL OR valid_to >= ${from})
    ORDER BY id, valid_from, revision`;
  const costCenterVersions = new Map<string, CostCenterVersionRow[]>();
  for (const row of costCenters) {
    const version = { ...row, validFrom: new Date(row.validFrom), validTo: row.validTo && new Date(row.validTo) };
    const versions = costCenterVersions.get(row.id) ?? [];
    versions.push(version);
    costCenterVersions.set(row.id, versions);
  }
  const segmentsByCar = new Map<string, Segment[]>();
  for (const row of cars) {
    const version = { ...row, validFrom: new Date(row.validFrom), validTo: row.validTo && new Date(row.validTo) };
    const segments = segmentsOf(version, (row.costCenterId && costCenterVersions.get(row.costCenterId)) || []);
    const carSegments = segmentsByCar.get(row.carId) ?? [];
    carSegments.push(...segments);
    segmentsByCar.set(row.carId, carSegments);
  }
  return tallyChanges(segmentsByCar.values(), buckets, groupBy, filter);
}
