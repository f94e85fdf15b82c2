import type { FleetDimension, FleetReportQuery } from '../__generated__/graphql';
import type { Issue, Path } from '../lib/issues';
import { DIMENSION_LABELS } from '../lib/reports';
import { Link } from '../router';
import { DataTable } from './DataTable';
import { Field } from './Issues';
import { Pager, type PagerState } from './Pager';

type Report = NonNullable<FleetReportQuery['fleetReport']>;
type GroupKey = Report['groups']['edges'][number]['node']['key'];

const time = (value: string) => new Date(value).toLocaleString();

/** "as of …, lag n s": the instant the figures describe, and how far the read model is behind its owners. */
function FreshnessLine({ report }: { report: Report }) {
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

/** A group's value for one dimension; cost centers link to their page, brands to the car list filtered by brand. */
function KeyCell({
  dimension,
  groupKey,
  path,
  issues,
}: {
  dimension: FleetDimension;
  groupKey: GroupKey;
  path: Path;
  issues: ReadonlyArray<Issue>;
}) {
  switch (dimension) {
    case 'SOCIETY':
      return <>{groupKey.society ?? '—'}</>;
    case 'MODEL':
      return <>{groupKey.model ?? '—'}</>;
    case 'BRAND':
      return groupKey.brand ? (
        <Link to="/cars" query={{ brand: groupKey.brand }}>
          {groupKey.brand}
        </Link>
      ) : (
        <>—</>
      );
    case 'COST_CENTER':
      // An entity of the cost-center subgraph: null with its error when that subgraph is down or refuses it.
      return (
        <Field value={groupKey.costCenter} path={[...path, 'costCenter']} issues={issues}>
          {(center) => <Link to={`/cost-centers/${encodeURIComponent(center.code)}`}>{center.code}</Link>}
        </Field>
      );
    case 'MANAGER':
      return (
        <Field value={groupKey.manager} path={[...path, 'manager']} issues={issues}>
          {(manager) => manager.username}
        </Field>
      );
  }
}

/** The report's freshness, totals and groups: a column per dimension, the count and the share; paged. */
export function ReportGroups({
  report,
  groupBy,
  issues,
  pager,
  refreshing,
}: {
  report: Report;
  groupBy: readonly FleetDimension[];
  issues: ReadonlyArray<Issue>;
  pager: PagerState;
  refreshing: boolean;
}) {
  const { groups, totalCars } = report;
  return (
    <>
      <FreshnessLine report={report} />
      <p className="count" data-testid="report-count">
        {totalCars} {totalCars === 1 ? 'car' : 'cars'} in {groups.totalCount}{' '}
        {groups.totalCount === 1 ? 'group' : 'groups'}
        {refreshing ? ' · refreshing…' : ''}
      </p>
      <DataTable
        className="report"
        columns={[...groupBy.map((dimension) => DIMENSION_LABELS[dimension]), 'Cars', 'Share']}
      >
        {groups.edges.map(({ cursor, node: group }, i) => (
          <tr key={cursor} data-testid="group-row">
            {groupBy.map((dimension) => (
              <td key={dimension} data-dimension={dimension}>
                <KeyCell
                  dimension={dimension}
                  groupKey={group.key}
                  path={['fleetReport', 'groups', 'edges', i, 'node', 'key']}
                  issues={issues}
                />
              </td>
            ))}
            <td className="number" data-testid="group-count">
              {group.carCount}
            </td>
            <td className="number">{totalCars ? `${((100 * group.carCount) / totalCars).toFixed(1)} %` : '—'}</td>
          </tr>
        ))}
      </DataTable>
      {groups.edges.length === 0 ? <p className="empty">No car matches.</p> : null}
      <Pager pager={pager} pageInfo={groups.pageInfo} />
    </>
  );
}
