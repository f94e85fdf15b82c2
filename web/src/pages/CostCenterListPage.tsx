import { useQuery } from '@apollo/client/react';
import { CostCenterListDocument } from '../__generated__/graphql';
import { DataTable } from '../components/DataTable';
import { Field, IssueSummary } from '../components/Issues';
import { PageHeader } from '../components/PageHeader';
import { Pager, usePager } from '../components/Pager';
import { issuesFromError } from '../lib/apolloIssues';
import { Link } from '../router';

const PAGE_SIZE = 20;
const COLUMNS = ['Code', 'Society', 'Manager', 'Cars'];

export function CostCenterListPage() {
  const pager = usePager('cost-centers');
  const { data, error, loading } = useQuery(CostCenterListDocument, {
    variables: { first: PAGE_SIZE, after: pager.after },
    errorPolicy: 'all',
    fetchPolicy: 'cache-and-network',
  });
  const issues = issuesFromError(error);
  return (
    <section>
      <PageHeader title="Cost centers" />
      <IssueSummary issues={issues} />
      {!data && loading ? <p className="loading">Loading…</p> : null}
      {data ? (
        <Field value={data.costCenters} path={['costCenters']} issues={issues}>
          {(centers) => (
            <>
              <p className="count">{centers.totalCount} cost centers</p>
              <DataTable columns={COLUMNS}>
                {centers.edges.map(({ node: center }, i) => {
                  const at = ['costCenters', 'edges', i, 'node'];
                  return (
                    <tr key={center.id} data-testid="cost-center-row">
                      <td>
                        <Link to={`/cost-centers/${encodeURIComponent(center.code)}`}>{center.code}</Link>
                      </td>
                      <td>{center.societyName}</td>
                      <td>
                        <Field value={center.manager} path={[...at, 'manager']} issues={issues}>
                          {(manager) => manager.username}
                        </Field>
                      </td>
                      <td>
                        <Field value={center.cars} path={[...at, 'cars']} issues={issues}>
                          {(cars) => cars.totalCount}
                        </Field>
                      </td>
                    </tr>
                  );
                })}
              </DataTable>
              <Pager pager={pager} pageInfo={centers.pageInfo} />
            </>
          )}
        </Field>
      ) : null}
    </section>
  );
}
