import { useQuery } from '@apollo/client/react';
import { CostCenterDetailsDocument } from '../__generated__/graphql';
import { DataTable } from '../components/DataTable';
import { Field, IssueSummary } from '../components/Issues';
import { PageHeader } from '../components/PageHeader';
import { Pager, usePager } from '../components/Pager';
import { issuesFromError } from '../lib/apolloIssues';
import { Link } from '../router';

const PAGE_SIZE = 20;
const CAR_COLUMNS = ['Brand', 'Model', 'Version', 'Revision'];

/** A cost center (cost-center subgraph), its manager (user subgraph) and its cars (car subgraph). */
export function CostCenterPage({ code }: { code: string }) {
  const pager = usePager(code);
  const { data, error, loading } = useQuery(CostCenterDetailsDocument, {
    variables: { code, first: PAGE_SIZE, after: pager.after },
    errorPolicy: 'all',
    fetchPolicy: 'cache-and-network',
  });
  const issues = issuesFromError(error);
  const center = data?.costCenter;
  return (
    <section>
      <PageHeader
        title={
          <>
            Cost center {code}
            {center ? <small> {center.societyName}</small> : null}
          </>
        }
      >
        <Link to="/cost-centers">All cost centers</Link>
      </PageHeader>
      <IssueSummary issues={issues} />
      {!data && loading ? <p className="loading">Loading…</p> : null}
      {data ? (
        <Field value={center} path={['costCenter']} issues={issues} empty={<p>No cost center has this code.</p>}>
          {(center) => (
            <>
              <dl className="details">
                <dt>Society</dt>
                <dd>{center.societyName}</dd>
                <dt>Manager</dt>
                <dd data-testid="manager">
                  <Field value={center.manager} path={['costCenter', 'manager']} issues={issues}>
                    {(manager) => manager.username}
                  </Field>
                </dd>
                <dt>Manager email</dt>
                <dd data-testid="manager-email">
                  <Field value={center.manager} path={['costCenter', 'manager']} issues={issues}>
                    {(manager) => (
                      <Field value={manager.email} path={['costCenter', 'manager', 'email']} issues={issues}>
                        {(email) => <a href={`mailto:${email}`}>{email}</a>}
                      </Field>
                    )}
                  </Field>
                </dd>
                <dt>Revision</dt>
                <dd>{center.revision}</dd>
              </dl>
              <h2>Cars</h2>
              <Field value={center.cars} path={['costCenter', 'cars']} issues={issues}>
                {(cars) => (
                  <>
                    <p className="count">{cars.totalCount} cars billed here</p>
                    <DataTable columns={CAR_COLUMNS}>
                      {cars.edges.map(({ node: car }) => (
                        <tr key={car.id} data-testid="car-row">
                          <td>
                            <Link to={`/cars/${car.id}`}>{car.brand}</Link>
                          </td>
                          <td>{car.model}</td>
                          <td>{car.version ?? '—'}</td>
                          <td>{car.revision}</td>
                        </tr>
                      ))}
                    </DataTable>
                    <Pager pager={pager} pageInfo={cars.pageInfo} />
                  </>
                )}
              </Field>
            </>
          )}
        </Field>
      ) : null}
    </section>
  );
}
