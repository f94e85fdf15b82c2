/**
 * What the Reports page computes around the report subgraph's answers: the dimensions and the scope each
 * needs, the chart's period (whole UTC buckets, as the subgraph counts them) and its series. Pure functions,
 * no React or Apollo: unit-tested in reports.test.ts.
 */
import type { FleetDimension, FleetFilter, FleetGranularity } from '../__generated__/graphql';

export const DIMENSIONS: readonly FleetDimension[] = ['SOCIETY', 'COST_CENTER', 'MANAGER', 'BRAND', 'MODEL'];

export const DIMENSION_LABELS: Record<FleetDimension, string> = {
  SOCIETY: 'Society',
  COST_CENTER: 'Cost center',
  MANAGER: 'Manager',
  BRAND: 'Brand',
  MODEL: 'Model',
};

/** The owner's read scope a dimension (and its filter) needs besides report:read (docs/reports.md). */
export const DIMENSION_SCOPES: Record<FleetDimension, string> = {
  SOCIETY: 'cost-center:read',
  COST_CENTER: 'cost-center:read',
  MANAGER: 'user:read',
  BRAND: 'car:read',
  MODEL: 'car:read',
};

/** The page's grouping when the address names none. */
export const DEFAULT_GROUP_BY: readonly FleetDimension[] = ['SOCIETY'];

/** `SOCIETY,BRAND` from the address: known dimensions, in the order given, without repeats; absent: the default. */
export function groupByOf(text: string | null): FleetDimension[] {
  if (text === null) return [...DEFAULT_GROUP_BY];
  const known = text.split(',').filter((name): name is FleetDimension => DIMENSIONS.includes(name as FleetDimension));
  return [...new Set(known)];
}

/** `groupBy` with `dimension` added (at the end, so the table's columns follow the order of the clicks) or removed. */
export function toggled(groupBy: readonly FleetDimension[], dimension: FleetDimension): FleetDimension[] {
  return groupBy.includes(dimension) ? groupBy.filter((d) => d !== dimension) : [...groupBy, dimension];
}

/** The Reports page's state, as its address holds it (`#/reports?groupBy=SOCIETY,BRAND&asOf=…`). */
export type ReportParams = Record<'groupBy' | 'society' | 'costCenter' | 'brand' | 'model' | 'asOf' | 'trend', string>;

const TREND_GRANULARITIES: readonly FleetGranularity[] = ['MONTH', 'WEEK'];

/** The page's state from its address; `groupBy` is `none` for no dimension (absent means the default). */
export function reportParamsOf(query: URLSearchParams): ReportParams {
  const get = (name: keyof ReportParams) => query.get(name) ?? '';
  const trend = get('trend');
  return {
    groupBy: groupByOf(query.get('groupBy')).join(',') || 'none',
    society: get('society'),
    costCenter: get('costCenter'),
    brand: get('brand'),
    model: get('model'),
    asOf: get('asOf'),
    trend: TREND_GRANULARITIES.includes(trend as FleetGranularity) ? trend : 'MONTH',
  };
}

/** The report's filter: a field per value set, and only for a dimension the caller was not refused. */
export function filterOf(params: ReportParams, denied: readonly FleetDimension[]): FleetFilter {
  const filter: FleetFilter = {};
  const allowed = (dimension: FleetDimension, value: string) => !denied.includes(dimension) && value !== '';
  if (allowed('SOCIETY', params.society)) filter.societyNames = [params.society];
  if (allowed('COST_CENTER', params.costCenter)) filter.costCenterIds = [params.costCenter];
  if (allowed('BRAND', params.brand)) filter.brands = [params.brand];
  if (allowed('MODEL', params.model)) filter.models = [params.model];
  return filter;
}

const DAY_MS = 86_400_000;

/** The start of the UTC bucket holding `instant`: midnight, the Monday of its ISO week, or the 1st of its month. */
export function bucketStart(instant: Date, granularity: FleetGranularity): Date {
  const day = new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), instant.getUTCDate()));
  if (granularity === 'DAY') return day;
  if (granularity === 'WEEK') return new Date(day.getTime() - ((day.getUTCDay() + 6) % 7) * DAY_MS);
  return new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), 1));
}

/** The start of the bucket `count` buckets after the one starting at `start` (before it when negative). */
export function bucketsAfter(start: Date, granularity: FleetGranularity, count: number): Date {
  if (granularity === 'MONTH') return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + count, 1));
  return new Date(start.getTime() + count * (granularity === 'WEEK' ? 7 : 1) * DAY_MS);
}

/** `count` whole buckets ending with the one holding `reference` (the report's instant). */
export function trendPeriod(
  reference: Date,
  granularity: FleetGranularity,
  count: number,
): { from: string; to: string; granularity: FleetGranularity } {
  const last = bucketStart(reference, granularity);
  return {
    from: bucketsAfter(last, granularity, 1 - count).toISOString(),
    to: bucketsAfter(last, granularity, 1).toISOString(),
    granularity,
  };
}

export interface Series {
  name: string;
  /** One value per bucket, in the buckets' order. */
  values: number[];
}

interface TrendBucket {
  groups: ReadonlyArray<{ key: { society?: string | null }; carCountAtEnd: number }>;
}

/** What a group without a society is called in the chart. */
export const NO_SOCIETY = '(no society)';

/**
 * Cars per society at each bucket's end, one series per society with a car at some bucket's end; a society
 * absent from a bucket has no car at its end. (The subgraph also lists a group whose cars all came and went
 * within a bucket, e.g. cars created before their cost center's society was known: a line at 0 throughout
 * says nothing, so it is left out.) Largest fleet first.
 */
export function societySeries(buckets: ReadonlyArray<TrendBucket>): Series[] {
  const bySociety = new Map<string, number[]>();
  buckets.forEach((bucket, index) => {
    for (const group of bucket.groups) {
      const name = group.key.society ?? NO_SOCIETY;
      const values = bySociety.get(name) ?? buckets.map(() => 0);
      values[index] = group.carCountAtEnd;
      bySociety.set(name, values);
    }
  });
  return [...bySociety]
    .map(([name, values]) => ({ name, values }))
    .filter(({ values }) => values.some((value) => value > 0))
    .sort((a, b) => (b.values.at(-1) ?? 0) - (a.values.at(-1) ?? 0) || a.name.localeCompare(b.name));
}

/** A round top for a count axis (1, 2 or 5 times a power of ten, at least 1) and its ticks from 0. */
export function countAxis(max: number, ticks = 4): number[] {
  const rough = Math.max(max, 1) / ticks;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= rough) ?? power * 10);
  const top = Math.ceil(Math.max(max, 1) / step) * step;
  return Array.from({ length: top / step + 1 }, (_, i) => i * step);
}

/** A bucket's label, in UTC like the buckets: `Mar 2026` for a month, `2 Mar` for a week or a day. */
export function bucketLabel(start: string, granularity: FleetGranularity): string {
  const options: Intl.DateTimeFormatOptions =
    granularity === 'MONTH'
      ? { month: 'short', year: 'numeric', timeZone: 'UTC' }
      : { day: 'numeric', month: 'short', timeZone: 'UTC' };
  return new Date(start).toLocaleDateString(undefined, options);
}

/** An ISO instant as a `datetime-local` value in the browser's time zone (to the second); '' when absent. */
export function localInputOf(instant: string | null | undefined): string {
  if (!instant) return '';
  const date = new Date(instant);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}
