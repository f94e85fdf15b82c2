/**
 * The five dimensions of a fleet report: where each one's value is in the read model, and the
 * owner's read scope a caller needs to group or filter by it (an aggregate over data the caller
 * may not read would leak it).
 */
import type { FleetDimension, FleetFilter } from '../__generated__/resolvers-types';

export type Dimension = FleetDimension;

/** A car's five values at an instant (null: the car has none, e.g. no cost center). */
export interface CarFacts {
  society: string | null;
  costCenter: string | null;
  manager: string | null;
  brand: string | null;
  model: string | null;
}

export type Fact = keyof CarFacts;

export const DIMENSIONS: Record<Dimension, { fact: Fact; column: string; scope: string }> = {
  SOCIETY: { fact: 'society', column: 'society_name', scope: 'cost-center:read' },
  COST_CENTER: { fact: 'costCenter', column: 'cost_center_id', scope: 'cost-center:read' },
  MANAGER: { fact: 'manager', column: 'manager_id', scope: 'user:read' },
  BRAND: { fact: 'brand', column: 'brand', scope: 'car:read' },
  MODEL: { fact: 'model', column: 'model', scope: 'car:read' },
};

/** The filter's lists, by the dimension each one filters. */
export const FILTER_DIMENSIONS: Record<keyof FleetFilter, Dimension> = {
  societyNames: 'SOCIETY',
  costCenterIds: 'COST_CENTER',
  managerIds: 'MANAGER',
  brands: 'BRAND',
  models: 'MODEL',
};

/** A checked filter: only non-empty lists, by dimension. */
export type ReportFilter = Partial<Record<Dimension, string[]>>;

export function reportFilterOf(
  filter: Partial<Record<keyof FleetFilter, string[] | null>> | null | undefined,
): ReportFilter {
  const checked: ReportFilter = {};
  for (const [name, dimension] of Object.entries(FILTER_DIMENSIONS) as [keyof FleetFilter, Dimension][]) {
    const values = filter?.[name];
    // Ids are compared as PostgreSQL writes them (lower case).
    const normalized =
      dimension === 'COST_CENTER' || dimension === 'MANAGER' ? values?.map((v) => v.toLowerCase()) : values;
    if (normalized && normalized.length > 0) checked[dimension] = [...new Set(normalized)];
  }
  return checked;
}

/** Whether a car's facts pass the filter (every list ANDed). */
export function passes(facts: CarFacts, filter: ReportFilter): boolean {
  return (Object.entries(filter) as [Dimension, string[]][]).every(([dimension, values]) => {
    const value = facts[DIMENSIONS[dimension].fact];
    return value !== null && values.includes(value);
  });
}

/** The scopes a report needs beyond report:read: each grouped or filtered dimension's owner's. */
export function scopesNeeded(groupBy: readonly Dimension[], filter: ReportFilter): Map<string, Dimension[]> {
  const needed = new Map<string, Dimension[]>();
  for (const dimension of new Set([...groupBy, ...(Object.keys(filter) as Dimension[])])) {
    const { scope } = DIMENSIONS[dimension];
    needed.set(scope, [...(needed.get(scope) ?? []), dimension]);
  }
  return needed;
}
