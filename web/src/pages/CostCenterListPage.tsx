import { useQuery } from '@apollo/client/react';
import { CostCenterListDocument } from '../__generated__/graphql';
import { Field, IssueSummary } from '../components/Issues';
import { Pager, usePager } from '../components/Pager';
import { issuesFromError } from '../lib/apolloIssues';
import { Link } from '../router';

const PAGE_SIZE = 20;

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
      <header className="page-header">
        <h1>Cost centers</h1>
      </header>
      <IssueSummary issues={issues} />
      {!data && loading ? <p className="loading">Loading…</p> : null}
      {data ? (
        <Field value={data.costCenters} path={['costCenters']} issues={issues}>
          {(centers) => (
            <>
              <p className="count">{centers.totalCount} cost centers</p>
              <table>
                <thead>
                  <tr>
                    <th>Code</th>
                    <th>Society</th>
                    <th>Manager</th>
                    <th>Cars</th>
                  </tr>
                </thead>
                <tbody>
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
                </tbody>
              </table>
              <Pager pager={pager} hasNextPage={centers.pageInfo.hasNextPage} endCursor={centers.pageInfo.endCursor} />
            </>
          )}
        </Field>
      ) : null}
    </section>
  );
}
