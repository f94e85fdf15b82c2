import { useQuery } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import {
  CostCenterOptionsDocument,
  FleetReportDocument,
  ReportAccessDocument,
  type FleetDimension,
  type FleetFilter,
  type FleetGranularity,
  type FleetReportQuery,
} from '../__generated__/graphql';
import { Field, IssueSummary, RequestId } from '../components/Issues';
import { Pager, usePager } from '../components/Pager';
import { SocietyTrend } from '../components/SocietyTrend';
import { issuesFromError } from '../lib/apolloIssues';
import type { Issue } from '../lib/issues';
import { DIMENSION_LABELS, DIMENSION_SCOPES, DIMENSIONS, groupByOf, localInputOf, toggled } from '../lib/reports';
import { instantOf } from '../lib/webhooks';
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

type Params = Record<'groupBy' | 'society' | 'costCenter' | 'brand' | 'model' | 'asOf' | 'trend', string>;

const GRANULARITIES: FleetGranularity[] = ['MONTH', 'WEEK'];

function paramsOf(route: Route): Params {
  const get = (name: keyof Params) => route.query.get(name) ?? '';
  const trend = get('trend');
  return {
    groupBy: groupByOf(route.query.get('groupBy')).join(',') || 'none',
    society: get('society'),
    costCenter: get('costCenter'),
    brand: get('brand'),
    model: get('model'),
    asOf: get('asOf'),
    trend: GRANULARITIES.includes(trend as FleetGranularity) ? trend : 'MONTH',
  };
}

/** The report's filter: each field only when its dimension is offered to the caller. */
function filterOf(params: Params, denied: readonly FleetDimension[]): FleetFilter {
  const offered = (dimension: FleetDimension, value: string) => (!denied.includes(dimension) && value ? [value] : []);
  const filter: FleetFilter = {};
  const societyNames = offered('SOCIETY', params.society);
  const costCenterIds = offered('COST_CENTER', params.costCenter);
  const brands = offered('BRAND', params.brand);
  const models = offered('MODEL', params.model);
  if (societyNames.length) filter.societyNames = societyNames;
  if (costCenterIds.length) filter.costCenterIds = costCenterIds;
  if (brands.length) filter.brands = brands;
  if (models.length) filter.models = models;
  return filter;
}

const time = (value: string | null | undefined) => (value ? new Date(value).toLocaleString() : '—');

/** "as of …, lag n s": the instant the figures describe, and how far the read model is behind its owners. */
function FreshnessLine({ report }: { report: NonNullable<FleetReportQuery['fleetReport']> }) {
  const { freshness } = report;
  return (
    <p className="freshness" data-testid="freshness">
      Figures as of <time dateTime={report.asOf}>{time(report.asOf)}</time>.{' '}
      {freshness.asOf ? (
        <>
          Read model complete up to <time dateTime={freshness.asOf}>{time(freshness.asOf)}</time>, lag{' '}
          <span data-testid="lag">{(freshness.lagSeconds ?? 0).toFixed(1)}</span> s.
        </>
      ) : (
        'The read model has not yet caught up with every service: the figures may be incomplete.'
      )}
    </p>
  );
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
  params: Params;
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

type Group = NonNullable<FleetReportQuery['fleetReport']>['groups']['edges'][number]['node'];

function KeyCell({
  dimension,
  group,
  path,
  issues,
}: {
  dimension: FleetDimension;
  group: Group;
  path: ReadonlyArray<string | number>;
  issues: ReadonlyArray<Issue>;
}) {
  const { key } = group;
  switch (dimension) {
    case 'SOCIETY':
      return <>{key.society ?? '—'}</>;
    case 'BRAND':
      return key.brand ? (
        <Link to="/cars" query={{ brand: key.brand }}>
          {key.brand}
        </Link>
      ) : (
        <>—</>
      );
    case 'MODEL':
      return <>{key.model ?? '—'}</>;
    case 'COST_CENTER':
      return (
        <Field value={key.costCenter} path={[...path, 'costCenter']} issues={issues}>
          {(center) => <Link to={`/cost-centers/${encodeURIComponent(center.code)}`}>{center.code}</Link>}
        </Field>
      );
    case 'MANAGER':
      return (
        <Field value={key.manager} path={[...path, 'manager']} issues={issues}>
          {(manager) => manager.username}
        </Field>
      );
  }
}

/**
 * Fleet reports (report subgraph): cars grouped by the chosen dimensions, filtered, now or as of a past
 * instant, with the read model's freshness; and cars per society over time as a chart.
 */
export function ReportsPage({ route, access }: { route: Route; access: ReportAccess }) {
  const params = paramsOf(route);
  const set = (changes: Partial<Params>) => navigate('/reports', { ...params, ...changes });
  const denied = access.deniedDimensions;
  const offered = DIMENSIONS.filter((dimension) => !denied.includes(dimension));
  const groupBy = groupByOf(params.groupBy);
  const filter = filterOf(params, denied);
  const asOf = params.asOf || undefined;
  const granularity = params.trend as FleetGranularity;

  const pager = usePager(JSON.stringify([groupBy, filter, asOf]));
  const { data, error, loading } = useQuery(FleetReportDocument, {
    variables: { groupBy, filter, asOf: asOf ?? null, first: PAGE_SIZE, after: pager.after },
    errorPolicy: 'all',
    fetchPolicy: 'cache-and-network',
    skip: access.page === 'denied',
  });
  const options = useQuery(CostCenterOptionsDocument, { errorPolicy: 'all', skip: denied.includes('COST_CENTER') });
  const centers = options.data?.costCenters?.edges.map(({ node }) => node) ?? [];
  const societies = [...new Set(centers.map((center) => center.societyName))].sort();

  // The text fields and the instant are applied together, by the form's button; the rest as soon as they change.
  const applied = { brand: params.brand, model: params.model, asOf: localInputOf(params.asOf) };
  const [draft, setDraft] = useState(applied);
  const [draftKey, setDraftKey] = useState(JSON.stringify(applied));
  if (draftKey !== JSON.stringify(applied)) {
    setDraftKey(JSON.stringify(applied));
    setDraft(applied);
  }
  const apply = (event: FormEvent) => {
    event.preventDefault();
    set({ brand: draft.brand.trim(), model: draft.model.trim(), asOf: instantOf(draft.asOf) ?? '' });
  };

  const issues = issuesFromError(error);
  const deniedPage = deniedAt(issues, 'fleetReport');
  const header = (
    <header className="page-header">
      <h1>Reports</h1>
    </header>
  );
  if (access.page === 'denied') {
    return (
      <section>
        {header}
        <NeedsScope scope="report:read" issue={deniedPage ?? { code: 'PERMISSION_DENIED', message: '' }} />
      </section>
    );
  }
  const report = data?.fleetReport;
  const reportPath = ['fleetReport', 'groups', 'edges'];
  return (
    <section>
      {header}
      <p className="hint">
        Cars grouped as you choose, from the report service’s own copy of the fleet: now, or as it was at a past
        instant. See docs/reports.md.
      </p>

      <form className="filters" onSubmit={apply} aria-label="Report options">
        <fieldset className="dimensions">
          <legend>Group by</legend>
          {offered.map((dimension) => (
            <label key={dimension} className="check">
              <input
                type="checkbox"
                name="groupBy"
                value={dimension}
                checked={groupBy.includes(dimension)}
                onChange={() => set({ groupBy: toggled(groupBy, dimension).join(',') || 'none' })}
              />
              {DIMENSION_LABELS[dimension]}
            </label>
          ))}
        </fieldset>
        {offered.includes('SOCIETY') ? (
          <label>
            Society
            <select name="society" value={params.society} onChange={(e) => set({ society: e.target.value })}>
              <option value="">all</option>
              {societies.map((society) => (
                <option key={society} value={society}>
                  {society}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        {offered.includes('COST_CENTER') ? (
          <label>
            Cost center
            <select name="costCenter" value={params.costCenter} onChange={(e) => set({ costCenter: e.target.value })}>
              <option value="">all</option>
              {centers.map((center) => (
                <option key={center.id} value={center.id}>
                  {center.code}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        {offered.includes('BRAND') ? (
          <label>
            Brand
            <input
              name="brand"
              placeholder="exact, e.g. Renault"
              value={draft.brand}
              onChange={(e) => setDraft({ ...draft, brand: e.target.value })}
            />
          </label>
        ) : null}
        {offered.includes('MODEL') ? (
          <label>
            Model
            <input
              name="model"
              placeholder="exact, e.g. Clio"
              value={draft.model}
              onChange={(e) => setDraft({ ...draft, model: e.target.value })}
            />
          </label>
        ) : null}
        <label>
          As of
          <input
            name="asOf"
            type="datetime-local"
            step="1"
            value={draft.asOf}
            onChange={(e) => setDraft({ ...draft, asOf: e.target.value })}
          />
        </label>
        <button type="submit">Apply</button>
        {params.asOf ? (
          <button type="button" className="secondary" onClick={() => set({ asOf: '' })}>
            Now
          </button>
        ) : null}
      </form>
      {denied.length > 0 ? (
        <p className="hint" data-testid="denied-dimensions">
          Not offered to your account:{' '}
          {denied
            .map((dimension) => `${DIMENSION_LABELS[dimension]} (needs ${DIMENSION_SCOPES[dimension]})`)
            .join(', ')}
          .
        </p>
      ) : null}

      {deniedPage ? (
        <RefusedReport issue={deniedPage} groupBy={groupBy} denied={denied} params={params} />
      ) : (
        <IssueSummary issues={issues} />
      )}
      {!data && loading ? <p className="loading">Loading the report…</p> : null}
      {report ? (
        <>
          <FreshnessLine report={report} />
          <p className="count" data-testid="report-count">
            {report.totalCars} {report.totalCars === 1 ? 'car' : 'cars'} in {report.groups.totalCount}{' '}
            {report.groups.totalCount === 1 ? 'group' : 'groups'}
            {loading ? ' · refreshing…' : ''}
          </p>
          <table className="report" data-testid="report-table">
            <thead>
              <tr>
                {groupBy.map((dimension) => (
                  <th key={dimension} scope="col">
                    {DIMENSION_LABELS[dimension]}
                  </th>
                ))}
                <th scope="col" className="number">
                  Cars
                </th>
                <th scope="col" className="number">
                  Share
                </th>
              </tr>
            </thead>
            <tbody>
              {report.groups.edges.map(({ cursor, node: group }, i) => (
                <tr key={cursor} data-testid="group-row">
                  {groupBy.map((dimension) => (
                    <td key={dimension} data-dimension={dimension}>
                      <KeyCell
                        dimension={dimension}
                        group={group}
                        path={[...reportPath, i, 'node', 'key']}
                        issues={issues}
                      />
                    </td>
                  ))}
                  <td className="number" data-testid="group-count">
                    {group.carCount}
                  </td>
                  <td className="number">
                    {report.totalCars ? `${((100 * group.carCount) / report.totalCars).toFixed(1)} %` : '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {report.groups.edges.length === 0 ? <p className="empty">No car matches.</p> : null}
          <Pager
            pager={pager}
            hasNextPage={report.groups.pageInfo.hasNextPage}
            endCursor={report.groups.pageInfo.endCursor}
          />
        </>
      ) : null}

      {offered.includes('SOCIETY') ? (
        <>
          <h2>Cars per society over time</h2>
          <form className="filters" aria-label="Chart options" onSubmit={(e) => e.preventDefault()}>
            <label>
              Buckets
              <select name="trend" value={granularity} onChange={(e) => set({ trend: e.target.value })}>
                <option value="MONTH">months</option>
                <option value="WEEK">weeks</option>
              </select>
            </label>
          </form>
          <SocietyTrend filter={filter} asOf={asOf} granularity={granularity} />
        </>
      ) : null}
    </section>
  );
}
