/**
 * A car's membership of report groups over time, from its versions and its cost centers'
 * (pure). A segment is an interval during which the car's five values stay the same.
 */
import type { CarFacts } from './dimensions';

export interface CarVersionRow {
  carId: string;
  validFrom: Date;
  validTo: Date | null;
  brand: string | null;
  model: string | null;
  costCenterId: string | null;
}

export interface CostCenterVersionRow {
  id: string;
  validFrom: Date;
  validTo: Date | null;
  societyName: string | null;
  managerId: string | null;
}

export interface Segment {
  start: Date;
  /** The segment starts where the car's cost center was created (its first version, or one after a gap). */
  startsAtCostCenterCreation: boolean;
  /** Exclusive; null while current. */
  end: Date | null;
  facts: CarFacts;
}

const within = (instant: Date, start: Date, end: Date | null) => instant > start && (end === null || instant < end);

/** The cost center version valid at `instant`, if any. */
function costCenterAt(versions: readonly CostCenterVersionRow[], instant: Date): CostCenterVersionRow | undefined {
  return versions.find(
    (version) => version.validFrom <= instant && (version.validTo === null || version.validTo > instant),
  );
}

/**
 * The segments of one car version: cut where its cost center's society or manager changes
 * (a new version of the cost center, its creation or its deletion) within the version.
 */
export function segmentsOf(version: CarVersionRow, costCenters: readonly CostCenterVersionRow[]): Segment[] {
  const cuts = new Set<number>([version.validFrom.getTime()]);
  for (const costCenter of costCenters) {
    for (const boundary of [costCenter.validFrom, costCenter.validTo]) {
      if (boundary && within(boundary, version.validFrom, version.validTo)) cuts.add(boundary.getTime());
    }
  }
  const starts = [...cuts].sort((a, b) => a - b).map((time) => new Date(time));
  const created = (start: Date) =>
    start.getTime() !== version.validFrom.getTime() &&
    costCenters.some((costCenter) => costCenter.validFrom.getTime() === start.getTime()) &&
    !costCenters.some((costCenter) => costCenter.validTo?.getTime() === start.getTime());
  return starts.map((start, index) => {
    const costCenter = version.costCenterId ? costCenterAt(costCenters, start) : undefined;
    return {
      start,
      startsAtCostCenterCreation: created(start),
      end: starts[index + 1] ?? version.validTo,
      facts: {
        society: costCenter?.societyName ?? null,
        costCenter: version.costCenterId,
        manager: costCenter?.managerId ?? null,
        brand: version.brand,
        model: version.model,
      },
    };
  });
}
