/**
 * Fleet figures as a client without the report subgraph computes them: every car read from its
 * owners through the gateway (cars with their cost center's society and manager), grouped and
 * filtered on the client. The report end-to-end test checks `fleetReport` against these; the
 * report benchmark measures `fleetReport` against the time it takes to compute them.
 */

/** The report's dimensions, in the order of the FleetDimension enum. */
export const FLEET_DIMENSIONS = ['SOCIETY', 'COST_CENTER', 'MANAGER', 'BRAND', 'MODEL'] as const;
export type FleetDimension = (typeof FLEET_DIMENSIONS)[number];

/** The report's FleetFilter: every list is ANDed; an empty or absent list does not filter. */
export interface FleetFilter {
  societyNames?: string[];
  costCenterIds?: string[];
  managerIds?: string[];
  brands?: string[];
  models?: string[];
}

/** A car as its owners describe it through the gateway. */
export interface OwnedCar {
  id: string;
  brand: string;
  model: string;
  costCenter: { id: string; societyName: string; manager: { id: string } | null } | null;
}

/** A group's key reduced to ids: the dimensions grouped by are set (possibly null), the others null. */
export interface FleetKey {
  society: string | null;
  costCenterId: string | null;
  managerId: string | null;
  brand: string | null;
  model: string | null;
}

/** The FleetGroupKey selection that {@link keyOfReported} reads. */
export const FLEET_KEY_FIELDS = 'society costCenter { id } manager { id } brand model';

/** A FleetGroupKey as the gateway answers {@link FLEET_KEY_FIELDS}. */
export interface ReportedKey {
  society: string | null;
  costCenter: { id: string } | null;
  manager: { id: string } | null;
  brand: string | null;
  model: string | null;
}

export interface FleetGroupFigure {
  key: FleetKey;
  carIds: string[];
}

/** Sends a query and returns its data, throwing on any error. */
export type SendQuery = <Data>(query: string, variables: Record<string, unknown>) => Promise<Data>;

/** The largest page of `cars` the graph serves. */
export const LARGEST_CARS_PAGE = 100;

const OWNED_CARS = `query OwnedCars($first: Int!, $after: String) {
  cars(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id brand model costCenter { id societyName manager { id } } } }
  }
}`;

interface OwnedCarsPage {
  cars: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: OwnedCar }[] };
}

/** Every car, page after page (one request at a time: each page needs the previous one's cursor). */
export async function readOwnedCars(send: SendQuery, pageSize = LARGEST_CARS_PAGE): Promise<OwnedCar[]> {
  const cars: OwnedCar[] = [];
  let after: string | null = null;
  for (;;) {
    const page: OwnedCarsPage = await send<OwnedCarsPage>(OWNED_CARS, { first: pageSize, after });
    cars.push(...page.cars.edges.map((edge) => edge.node));
    if (!page.cars.pageInfo.hasNextPage) return cars;
    after = page.cars.pageInfo.endCursor;
  }
}

/** The key of `car`'s group when grouping by `groupBy`. */
export function keyOfCar(car: OwnedCar, groupBy: readonly FleetDimension[]): FleetKey {
  const by = new Set(groupBy);
  return {
    society: by.has('SOCIETY') ? (car.costCenter?.societyName ?? null) : null,
    costCenterId: by.has('COST_CENTER') ? (car.costCenter?.id ?? null) : null,
    managerId: by.has('MANAGER') ? (car.costCenter?.manager?.id ?? null) : null,
    brand: by.has('BRAND') ? car.brand : null,
    model: by.has('MODEL') ? car.model : null,
  };
}

export function keyOfReported(key: ReportedKey): FleetKey {
  return {
    society: key.society,
    costCenterId: key.costCenter?.id ?? null,
    managerId: key.manager?.id ?? null,
    brand: key.brand,
    model: key.model,
  };
}

/** One string per key, for maps and comparisons. */
export const keyText = (key: FleetKey): string =>
  JSON.stringify([key.society, key.costCenterId, key.managerId, key.brand, key.model]);

/** Whether `car` passes `filter`. */
export function matchesFilter(car: OwnedCar, filter: FleetFilter): boolean {
  const passes = (list: string[] | undefined, value: string | null | undefined) =>
    !list?.length || (value !== null && value !== undefined && list.includes(value));
  return (
    passes(filter.societyNames, car.costCenter?.societyName) &&
    passes(filter.costCenterIds, car.costCenter?.id) &&
    passes(filter.managerIds, car.costCenter?.manager?.id) &&
    passes(filter.brands, car.brand) &&
    passes(filter.models, car.model)
  );
}

/** The groups of the cars that pass `filter`, by {@link keyText}; no dimension: one group of every car. */
export function groupCars(
  cars: readonly OwnedCar[],
  groupBy: readonly FleetDimension[],
  filter: FleetFilter = {},
): Map<string, FleetGroupFigure> {
  const groups = new Map<string, FleetGroupFigure>();
  for (const car of cars) {
    if (!matchesFilter(car, filter)) continue;
    const key = keyOfCar(car, groupBy);
    const text = keyText(key);
    const group = groups.get(text) ?? { key, carIds: [] };
    group.carIds.push(car.id);
    groups.set(text, group);
  }
  return groups;
}

/** Group sizes by {@link keyText}, sorted by key: the form both sides of a comparison are put in. */
export function countsByKey(groups: Iterable<[string, number]>): [string, number][] {
  return [...groups].sort(([a], [b]) => a.localeCompare(b));
}

/** The sizes of the groups {@link groupCars} makes, as {@link countsByKey}. */
export const groupSizes = (cars: readonly OwnedCar[], groupBy: readonly FleetDimension[], filter?: FleetFilter) =>
  countsByKey([...groupCars(cars, groupBy, filter)].map(([key, group]) => [key, group.carIds.length]));

const FLEET_REPORT = `query FleetReport($groupBy: [FleetDimension!]!, $filter: FleetFilter, $asOf: DateTime, $first: Int, $after: String) {
  fleetReport(groupBy: $groupBy, filter: $filter, asOf: $asOf) {
    asOf
    totalCars
    groups(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { key { ${FLEET_KEY_FIELDS} } carCount } }
    }
  }
}`;

interface FleetReportPage {
  fleetReport: {
    asOf: string;
    totalCars: number;
    groups: {
      totalCount: number;
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      edges: { cursor: string; node: { key: ReportedKey; carCount: number } }[];
    };
  };
}

export interface ReportedFleet {
  asOf: string;
  totalCars: number;
  /** `groups.totalCount` of the first page. */
  totalCount: number;
  /** Every group, in the report's order, across pages. */
  groups: { key: FleetKey; carCount: number; cursor: string }[];
  pages: number;
}

export interface FleetReportArguments {
  groupBy: readonly FleetDimension[];
  filter?: FleetFilter;
  /** An ISO 8601 instant; absent: now. */
  asOf?: string;
}

/** Every group of one `fleetReport`, reading `groups` page after page. */
export async function readFleetReport(
  send: SendQuery,
  args: FleetReportArguments,
  pageSize = 100,
): Promise<ReportedFleet> {
  const result: ReportedFleet = { asOf: '', totalCars: 0, totalCount: 0, groups: [], pages: 0 };
  let after: string | null = null;
  for (;;) {
    const { fleetReport }: FleetReportPage = await send<FleetReportPage>(FLEET_REPORT, {
      ...args,
      first: pageSize,
      after,
    });
    if (result.pages === 0) {
      result.asOf = fleetReport.asOf;
      result.totalCars = fleetReport.totalCars;
      result.totalCount = fleetReport.groups.totalCount;
    }
    result.pages += 1;
    result.groups.push(
      ...fleetReport.groups.edges.map((edge) => ({
        key: keyOfReported(edge.node.key),
        carCount: edge.node.carCount,
        cursor: edge.cursor,
      })),
    );
    if (!fleetReport.groups.pageInfo.hasNextPage) return result;
    after = fleetReport.groups.pageInfo.endCursor;
  }
}

/** The sizes of a report's groups, as {@link countsByKey}. */
export const reportedSizes = (report: ReportedFleet): [string, number][] =>
  countsByKey(report.groups.map((group) => [keyText(group.key), group.carCount]));
