/** What the report resolvers pass between each other (the codegen mappers of package.json). */
import type { Dimension, ReportFilter } from './dimensions';

/** A group's key: the values of groupBy, in its order (null: the cars have none). */
export interface FleetGroupKeyModel {
  groupBy: readonly Dimension[];
  values: readonly (string | null)[];
}

/** Which cars a report is about: the instant (null: now, from the rollup) and the filter. */
export interface ReportScope {
  instant: Date | null;
  filter: ReportFilter;
}

export interface FleetGroupModel extends FleetGroupKeyModel {
  carCount: number;
  scope: ReportScope;
}

export interface FleetReportModel {
  groupBy: readonly Dimension[];
  asOf: Date;
  totalCars: number;
  /** Every group, already in the report's order. */
  groups: FleetGroupModel[];
  freshness: FreshnessModel;
}

export interface FleetChangeGroupModel extends FleetGroupKeyModel {
  added: number;
  removed: number;
  movedIn: number;
  movedOut: number;
  carCountAtEnd: number;
}

export interface FeedPositionModel {
  owner: string;
  sequence: number | null;
  eventTime: Date | null;
  caughtUpAt: Date | null;
}

export interface FreshnessModel {
  asOf: Date | null;
  lagSeconds: number | null;
  positions: FeedPositionModel[];
}
