import { useQuery } from '@apollo/client/react';
import { FleetSocietyTrendDocument, type FleetFilter, type FleetGranularity } from '../__generated__/graphql';
import { issuesFromError } from '../lib/apolloIssues';
import { bucketLabel, societySeries, trendPeriod } from '../lib/reports';
import { Field, IssueSummary } from './Issues';
import { StackedBarChart } from './StackedBarChart';

/** How many buckets the chart shows, ending with the one holding the report's instant. */
const BUCKETS = 12;

/**
 * Cars per society at the end of each month or week (fleetChanges grouped by SOCIETY), up to the report's
 * instant. As of a past instant, the last bucket is cut there (the subgraph cuts buckets to the period), so
 * its point is the report's figure; now, the period ends with the current bucket's end, so it only changes
 * when a bucket does (not at every render).
 */
export function SocietyTrend({
  filter,
  asOf,
  granularity,
}: {
  filter: FleetFilter;
  asOf: string | undefined;
  granularity: FleetGranularity;
}) {
  const period = asOf
    ? { ...trendPeriod(new Date(asOf), granularity, BUCKETS), to: new Date(asOf).toISOString() }
    : trendPeriod(new Date(), granularity, BUCKETS);
  const { data, error, loading } = useQuery(FleetSocietyTrendDocument, {
    variables: { period, filter },
    errorPolicy: 'all',
    fetchPolicy: 'cache-and-network',
  });
  const issues = issuesFromError(error);
  return (
    <>
      <IssueSummary issues={issues} />
      {!data && loading ? <p className="loading">Loading the chart…</p> : null}
      {data ? (
        <Field value={data.fleetChanges} path={['fleetChanges']} issues={issues}>
          {(changes) => (
            <StackedBarChart
              title={`Cars per society, end of each ${granularity === 'MONTH' ? 'month' : 'week'} (UTC)`}
              labels={changes.buckets.map((bucket) => bucketLabel(bucket.start, granularity))}
              series={societySeries(changes.buckets)}
              unit="cars"
            />
          )}
        </Field>
      ) : null}
    </>
  );
}
