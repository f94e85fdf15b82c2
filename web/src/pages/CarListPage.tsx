import { useQuery } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import {
  CostCenterOptionsDocument,
  FleetCarsDocument,
  type CarOrderField,
  type CarFilter,
  type OrderDirection,
} from '../__generated__/graphql';
import { Field, IssueSummary } from '../components/Issues';
import { Pager, usePager } from '../components/Pager';
import { issuesFromError } from '../lib/apolloIssues';
import { Link, navigate, type Route } from '../router';

const ORDER_FIELDS: CarOrderField[] = ['CREATED_AT', 'BRAND', 'MODEL'];
const ORDER_LABELS: Record<CarOrderField, string> = { CREATED_AT: 'Added', BRAND: 'Brand', MODEL: 'Model' };
const PAGE_SIZES = [10, 20, 50, 100];

function oneOf<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

/** The fleet: filtered, sorted and paged; each car with its cost center (cost-center subgraph) and manager (user subgraph). */
export function CarListPage({ route }: { route: Route }) {
  const brand = route.query.get('brand') ?? '';
  const search = route.query.get('search') ?? '';
  const costCenterId = route.query.get('costCenter') ?? '';
  const field = oneOf(route.query.get('sort'), ORDER_FIELDS, 'CREATED_AT');
  const direction = oneOf<OrderDirection>(route.query.get('dir'), ['ASC', 'DESC'], 'ASC');
  const size = Number(oneOf(route.query.get('size'), PAGE_SIZES.map(String), '20'));
  const params = { brand, search, costCenter: costCenterId, sort: field, dir: direction, size: String(size) };
  const set = (changes: Partial<typeof params>) => navigate('/cars', { ...params, ...changes });

  const filter: CarFilter = {
    ...(brand ? { brand } : {}),
    ...(search ? { search } : {}),
    ...(costCenterId ? { costCenterId } : {}),
  };
  const pager = usePager(JSON.stringify([filter, field, direction, size]));
  const { data, error, loading } = useQuery(FleetCarsDocument, {
    variables: { first: size, after: pager.after, filter, orderBy: { field, direction } },
    errorPolicy: 'all',
    fetchPolicy: 'cache-and-network',
  });
  const options = useQuery(CostCenterOptionsDocument, { errorPolicy: 'all' });

  const [draft, setDraft] = useState({ brand, search });
  const [draftKey, setDraftKey] = useState(`${brand}|${search}`);
  if (draftKey !== `${brand}|${search}`) {
    setDraftKey(`${brand}|${search}`);
    setDraft({ brand, search });
  }
  const applyText = (event: FormEvent) => {
    event.preventDefault();
    set({ brand: draft.brand.trim(), search: draft.search.trim() });
  };

  const issues = issuesFromError(error);
  const cars = data?.cars;
  return (
    <section>
      <header className="page-header">
        <h1>Cars</h1>
        <Link to="/cars/new" className="button">
          New car
        </Link>
      </header>

      <form className="filters" onSubmit={applyText} aria-label="Filter cars">
        <label>
          Search
          <input
            name="search"
            placeholder="brand or model"
            value={draft.search}
            onChange={(e) => setDraft({ ...draft, search: e.target.value })}
          />
        </label>
        <label>
          Brand
          <input
            name="brand"
            placeholder="exact, e.g. Renault"
            value={draft.brand}
            onChange={(e) => setDraft({ ...draft, brand: e.target.value })}
          />
        </label>
        <button type="submit">Apply</button>
        <label>
          Cost center
          <select name="costCenter" value={costCenterId} onChange={(e) => set({ costCenter: e.target.value })}>
            <option value="">all</option>
            {options.data?.costCenters?.edges.map(({ node }) => (
              <option key={node.id} value={node.id}>
                {node.code}
              </option>
            ))}
          </select>
        </label>
        <label>
          Sort by
          <select name="sort" value={field} onChange={(e) => set({ sort: e.target.value as CarOrderField })}>
            {ORDER_FIELDS.map((value) => (
              <option key={value} value={value}>
                {ORDER_LABELS[value]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Order
          <select name="dir" value={direction} onChange={(e) => set({ dir: e.target.value as OrderDirection })}>
            <option value="ASC">ascending</option>
            <option value="DESC">descending</option>
          </select>
        </label>
        <label>
          Per page
          <select name="size" value={size} onChange={(e) => set({ size: e.target.value })}>
            {PAGE_SIZES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
      </form>

      <IssueSummary issues={issues} />
      {!data && loading ? <p className="loading">Loading cars…</p> : null}
      {data ? (
        <Field value={cars} path={['cars']} issues={issues}>
          {(cars) => (
            <>
              <p className="count" data-testid="car-count">
                {cars.totalCount} {cars.totalCount === 1 ? 'car' : 'cars'}
                {loading ? ' · refreshing…' : ''}
              </p>
              <table className="cars">
                <thead>
                  <tr>
                    <th>Brand</th>
                    <th>Model</th>
                    <th>Version</th>
                    <th>Cost center</th>
                    <th>Manager</th>
                    <th>Manager email</th>
                  </tr>
                </thead>
                <tbody>
                  {cars.edges.map(({ node: car }, i) => {
                    const at = ['cars', 'edges', i, 'node'];
                    return (
                      <tr key={car.id} data-testid="car-row" data-car-id={car.id}>
                        <td>
                          <Link to={`/cars/${car.id}`}>{car.brand}</Link>
                        </td>
                        <td>{car.model}</td>
                        <td>{car.version ?? '—'}</td>
                        <td data-testid="cost-center">
                          <Field value={car.costCenter} path={[...at, 'costCenter']} issues={issues}>
                            {(center) => (
                              <Link to={`/cost-centers/${encodeURIComponent(center.code)}`} title={center.societyName}>
                                {center.code}
                              </Link>
                            )}
                          </Field>
                        </td>
                        <td data-testid="manager">
                          <Field value={car.costCenter} path={[...at, 'costCenter']} issues={issues}>
                            {(center) => (
                              <Field value={center.manager} path={[...at, 'costCenter', 'manager']} issues={issues}>
                                {(manager) => manager.username}
                              </Field>
                            )}
                          </Field>
                        </td>
                        <td data-testid="manager-email">
                          <Field value={car.costCenter} path={[...at, 'costCenter']} issues={issues}>
                            {(center) => (
                              <Field value={center.manager} path={[...at, 'costCenter', 'manager']} issues={issues}>
                                {(manager) => (
                                  <Field
                                    value={manager.email}
                                    path={[...at, 'costCenter', 'manager', 'email']}
                                    issues={issues}
                                  >
                                    {(email) => <a href={`mailto:${email}`}>{email}</a>}
                                  </Field>
                                )}
                              </Field>
                            )}
                          </Field>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
              {cars.edges.length === 0 ? <p className="empty">No car matches.</p> : null}
              <Pager pager={pager} hasNextPage={cars.pageInfo.hasNextPage} endCursor={cars.pageInfo.endCursor} />
            </>
          )}
        </Field>
      ) : null}
    </section>
  );
}
