import { useQuery } from '@apollo/client/react';
import { useState, type FormEvent, type ReactNode } from 'react';
import {
  CostCenterOptionsDocument,
  FleetCarsDocument,
  type CarOrderField,
  type CarFilter,
  type CarCostCenterFragment,
  type OrderDirection,
} from '../__generated__/graphql';
import { DataTable } from '../components/DataTable';
import { InputField, SelectField, textBinder } from '../components/FormFields';
import { Field, IssueSummary } from '../components/Issues';
import { LiveStatus } from '../components/LiveStatus';
import { PageHeader } from '../components/PageHeader';
import { Pager, usePager } from '../components/Pager';
import { issuesFromError } from '../lib/apolloIssues';
import { listNeedsRefetch } from '../lib/liveChanges';
import { useCarChanges } from '../lib/useCarChanges';
import { useCoalesced } from '../lib/useCoalesced';
import { Link, navigate, type Route } from '../router';

const ORDER_FIELDS: CarOrderField[] = ['CREATED_AT', 'BRAND', 'MODEL'];
const ORDER_LABELS: Record<CarOrderField, string> = { CREATED_AT: 'Added', BRAND: 'Brand', MODEL: 'Model' };
const PAGE_SIZES = [10, 20, 50, 100];
type Manager = NonNullable<NonNullable<CarCostCenterFragment['costCenter']>['manager']>;

const COLUMNS = ['Brand', 'Model', 'Version', 'Cost center', 'Manager', 'Manager email'];
/** The car's fields each order sorts by, as a change names them (`changedFields`). */
const ORDER_CHANGED_FIELDS: Record<CarOrderField, string[]> = { CREATED_AT: [], BRAND: ['brand'], MODEL: ['model'] };
/** Read the page again at most this often while changes arrive. */
const REFETCH_COALESCE_MS = 200;

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
  const { data, dataState, error, loading, refetch } = useQuery(FleetCarsDocument, {
    variables: { first: size, after: pager.after, filter, orderBy: { field, direction } },
    errorPolicy: 'all',
    fetchPolicy: 'cache-and-network',
  });

  // Live: a change that alters what the page shows (a car on it, a creation or deletion, a field the page
  // filters or sorts by) has the page read again; other cars' changes leave it as it is.
  const refetchPage = useCoalesced(refetch, REFETCH_COALESCE_MS);
  const fieldsInUse = new Set([
    ...ORDER_CHANGED_FIELDS[field],
    ...(brand ? ['brand'] : []),
    ...(search ? ['brand', 'model'] : []),
    ...(costCenterId ? ['costCenterId'] : []),
  ]);
  const live = useCarChanges({
    // Filtered by cost center, only the changes that concern it (a car moving out of it included).
    filter: costCenterId ? { costCenterIds: [costCenterId] } : null,
    onChange: (change) => {
      const visibleIds = new Set(data?.cars?.edges.map(({ node }) => node.id));
      if (listNeedsRefetch(change, visibleIds, fieldsInUse)) refetchPage();
    },
    onResync: refetchPage,
  });
  const options = useQuery(CostCenterOptionsDocument, { errorPolicy: 'all' });

  const [draft, setDraft] = useState({ brand, search });
  const [draftKey, setDraftKey] = useState(`${brand}|${search}`);
  if (draftKey !== `${brand}|${search}`) {
    setDraftKey(`${brand}|${search}`);
    setDraft({ brand, search });
  }
  const textField = textBinder(draft, setDraft);
  const applyText = (event: FormEvent) => {
    event.preventDefault();
    set({ brand: draft.brand.trim(), search: draft.search.trim() });
  };

  const issues = issuesFromError(error);
  const cars = data?.cars;
  // Cost centers and managers are deferred (FleetCars): "loading…" in their cells until their part arrives.
  const streaming = dataState === 'streaming';
  // Also while the page is read again: the cells show the cached values, but the errors that explained
  // their nulls ("hidden: you lack permission") come back only with the new answer.
  const partsPending = streaming || loading;
  return (
    <section>
      <PageHeader title="Cars">
        <Link to="/cars/new" className="button">
          New car
        </Link>
      </PageHeader>
      <LiveStatus state={live} />

      <form className="filters" onSubmit={applyText} aria-label="Filter cars">
        <InputField label="Search" placeholder="brand or model" {...textField('search')} />
        <InputField label="Brand" placeholder="exact, e.g. Renault" {...textField('brand')} />
        <button type="submit">Apply</button>
        <SelectField
          label="Cost center"
          name="costCenter"
          value={costCenterId}
          onChange={(costCenter) => set({ costCenter })}
        >
          <option value="">all</option>
          {options.data?.costCenters?.edges.map(({ node }) => (
            <option key={node.id} value={node.id}>
              {node.code}
            </option>
          ))}
        </SelectField>
        <SelectField
          label="Sort by"
          name="sort"
          value={field}
          onChange={(sort) => set({ sort: sort as CarOrderField })}
        >
          {ORDER_FIELDS.map((value) => (
            <option key={value} value={value}>
              {ORDER_LABELS[value]}
            </option>
          ))}
        </SelectField>
        <SelectField label="Order" name="dir" value={direction} onChange={(dir) => set({ dir: dir as OrderDirection })}>
          <option value="ASC">ascending</option>
          <option value="DESC">descending</option>
        </SelectField>
        <SelectField label="Per page" name="size" value={size} onChange={(size) => set({ size })}>
          {PAGE_SIZES.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </SelectField>
      </form>

      <IssueSummary issues={issues} />
      {!data && loading ? <p className="loading">Loading cars…</p> : null}
      {data ? (
        <Field value={cars} path={['cars']} issues={issues}>
          {(cars) => (
            <>
              <p className="count" data-testid="car-count">
                {cars.totalCount} {cars.totalCount === 1 ? 'car' : 'cars'}
                {loading && !streaming ? ' · refreshing…' : ''}
              </p>
              <DataTable className="cars" columns={COLUMNS}>
                {cars.edges.map(({ node: car }, i) => {
                  const at = ['cars', 'edges', i, 'node'];
                  // The manager is two hops away (cost center, then user subgraph): either may have failed.
                  const withManager = (render: (manager: Manager) => ReactNode) => (
                    <Field value={car.costCenter} path={[...at, 'costCenter']} issues={issues} pending={partsPending}>
                      {(center) => (
                        <Field
                          value={center.manager}
                          path={[...at, 'costCenter', 'manager']}
                          issues={issues}
                          pending={partsPending}
                        >
                          {render}
                        </Field>
                      )}
                    </Field>
                  );
                  return (
                    <tr key={car.id} data-testid="car-row" data-car-id={car.id}>
                      <td>
                        <Link to={`/cars/${car.id}`}>{car.brand}</Link>
                      </td>
                      <td>{car.model}</td>
                      <td>{car.version ?? '—'}</td>
                      <td data-testid="cost-center">
                        <Field
                          value={car.costCenter}
                          path={[...at, 'costCenter']}
                          issues={issues}
                          pending={partsPending}
                        >
                          {(center) => (
                            <Link to={`/cost-centers/${encodeURIComponent(center.code)}`} title={center.societyName}>
                              {center.code}
                            </Link>
                          )}
                        </Field>
                      </td>
                      <td data-testid="manager">{withManager((manager) => manager.username)}</td>
                      <td data-testid="manager-email">
                        {withManager((manager) => (
                          <Field
                            value={manager.email}
                            path={[...at, 'costCenter', 'manager', 'email']}
                            issues={issues}
                            pending={partsPending}
                          >
                            {(email) => <a href={`mailto:${email}`}>{email}</a>}
                          </Field>
                        ))}
                      </td>
                    </tr>
                  );
                })}
              </DataTable>
              {cars.edges.length === 0 ? <p className="empty">No car matches.</p> : null}
              <Pager pager={pager} pageInfo={cars.pageInfo} />
            </>
          )}
        </Field>
      ) : null}
    </section>
  );
}
