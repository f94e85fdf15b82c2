import { useQuery } from '@apollo/client/react';
import { FleetReportDocument, ReportAccessDocument, type FleetDimension } from '../__generated__/graphql';
import { IssueSummary, RequestId } from '../components/Issues';
import { PageHeader } from '../components/PageHeader';
import { usePager } from '../components/Pager';
import { ReportGroups } from '../components/ReportGroups';
import { ReportOptions } from '../components/ReportOptions';
import { SelectField } from '../components/FormFields';
import { SocietyTrend } from '../components/SocietyTrend';
import { issuesFromError } from '../lib/apolloIssues';
import type { Issue } from '../lib/issues';
import {
  DIMENSION_LABELS,
  DIMENSION_SCOPES,
  DIMENSIONS,
  filterOf,
  groupByOf,
  reportParamsOf,
  type ReportParams,
} from '../lib/reports';
import { Link, navigate, type Route } from '../router';
import { deniedAt, NeedsScope } from './WebhooksPage';

const PAGE_SIZE = 20;

/** The alias of ReportAccess that probes each dimension. */
const PROBES = {
  SOCIETY: 'society',
  COST_CENTER: 'costCenter',
  MANAGER: 'manager',
  BRAND: 'brand',
  MODEL: 'model',
} as const satisfies Record<FleetDimension, string>;

export interface ReportAccess {
  /** Whether the caller may read reports at all (report:read): the navigation's entry and the page. */
  page: 'allowed' | 'denied' | 'unknown';
  /** The dimensions (and their filters) the graph refused for this caller. */
  deniedDimensions: FleetDimension[];
}

/**
 * What the caller may report on, as the graph answers it (the token carries no scopes): one request with a
 * report per dimension. `denied` only on PERMISSION_DENIED or UNAUTHENTICATED, so a report subgraph that is
 * down hides nothing.
 */
export function useReportAccess(): ReportAccess {
  const { data, error } = useQuery(ReportAccessDocument, { errorPolicy: 'all', fetchPolicy: 'cache-first' });
  const issues = issuesFromError(error);
  const deniedDimensions = DIMENSIONS.filter((dimension) => deniedAt(issues, PROBES[dimension]));
  if (data?.all) return { page: 'allowed', deniedDimensions };
  if (deniedAt(issues, 'all')) return { page: 'denied', deniedDimensions };
  return { page: error ? 'allowed' : 'unknown', deniedDimensions };
}

/**
 * Why the report was refused although the page is allowed: the address names a dimension (or a filter) the
 * caller may not read. Offers the same report without the dimensions the graph refused.
 */
function RefusedReport({
  issue,
  groupBy,
  denied,
  params,
}: {
  issue: Issue;
  groupBy: readonly FleetDimension[];
  denied: readonly FleetDimension[];
  params: ReportParams;
}) {
  const scopes = [...new Set(groupBy.map((dimension) => DIMENSION_SCOPES[dimension]))];
  const allowed = groupBy.filter((dimension) => !denied.includes(dimension));
  return (
    <div className="issue-summary failed" role="alert" data-testid="report-refused">
      <strong>This report is not allowed for your account.</strong> Grouping by{' '}
      {groupBy.map((dimension) => DIMENSION_LABELS[dimension]).join(', ') || 'nothing'} needs report:read
      {scopes.length ? ` and ${scopes.join(', ')}` : ''}. <RequestId id={issue.requestId} />{' '}
      {allowed.length < groupBy.length ? (
        <Link to="/reports" query={{ ...params, groupBy: allowed.join(',') || 'none' }}>
          Group by {allowed.map((dimension) => DIMENSION_LABELS[dimension]).join(', ') || 'nothing'} instead
        </Link>
      ) : null}
    </div>
  );
}

/**
 * Fleet reports (report subgraph): cars grouped by the chosen dimensions, filtered, now or as of a past
 * instant, with the read model's freshness; and cars per society over time as a chart. Its state is its
 * address, so a report can be bookmarked or shared.
 */
export function ReportsPage({ route, access }: { route: Route; access: ReportAccess }) {
  const params = reportParamsOf(route.query);
  const set = (changes: Partial<ReportParams>) => navigate('/reports', { ...params, ...changes });
  const denied = access.deniedDimensions;
  const groupBy = groupByOf(params.groupBy);
  const filter = filterOf(params, denied);
  const asOf = params.asOf || undefined;
  const granularity = params.trend === 'WEEK' ? 'WEEK' : 'MONTH';

  const pager = usePager(JSON.stringify([groupBy, filter, asOf]));
  const { data, error, loading } = useQuery(FleetReportDocument, {
    variables: { groupBy, filter, asOf: asOf ?? null, first: PAGE_SIZE, after: pager.after },
    errorPolicy: 'all',
    fetchPolicy: 'cache-and-network',
    skip: access.page === 'denied',
  });
  const issues = issuesFromError(error);
  const refused = deniedAt(issues, 'fleetReport');

  if (access.page === 'denied') {
    return (
      <section>
        <PageHeader title="Reports" />
        <NeedsScope scope="report:read" issue={refused ?? { code: 'PERMISSION_DENIED', message: '' }} />
      </section>
    );
  }
  return (
    <section>
      <PageHeader title="Reports" />
      <p className="hint">
        Cars grouped as you choose, from the report service’s own copy of the fleet: now, or as it was at a past
        instant. See docs/reports.md.
      </p>
      <ReportOptions params={params} denied={denied} onChange={set} />
      {refused ? (
        <RefusedReport issue={refused} groupBy={groupBy} denied={denied} params={params} />
      ) : (
        <IssueSummary issues={issues} />
      )}
      {!data && loading ? <p className="loading">Loading the report…</p> : null}
      {data?.fleetReport ? (
        <ReportGroups report={data.fleetReport} groupBy={groupBy} issues={issues} pager={pager} refreshing={loading} />
      ) : null}

      {denied.includes('SOCIETY') ? null : (
        <>
          <h2>Cars per society over time</h2>
          <form className="filters" aria-label="Chart options" onSubmit={(e) => e.preventDefault()}>
            <SelectField label="Buckets" name="trend" value={granularity} onChange={(trend) => set({ trend })}>
              <option value="MONTH">months</option>
              <option value="WEEK">weeks</option>
            </SelectField>
          </form>
          <SocietyTrend filter={filter} asOf={asOf} granularity={granularity} />
        </>
      )}
    </section>
  );
}
