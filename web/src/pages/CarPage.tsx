import { useApolloClient, useMutation, useQuery } from '@apollo/client/react';
import { useEffect, useState } from 'react';
import {
  CarDetailsDocument,
  EditCarDocument,
  RemoveCarDocument,
  type CarDetailsQuery,
  type UpdateCarInput,
} from '../__generated__/graphql';
import { newRequestId } from '../apollo';
import { CAR_FIELDS, CarForm, FIELD_LABELS, type CarValues } from '../components/CarForm';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { Field, IssueSummary, RequestId } from '../components/Issues';
import { LiveStatus } from '../components/LiveStatus';
import { PageHeader } from '../components/PageHeader';
import { issuesFromError } from '../lib/apolloIssues';
import { kindOf, type Issue } from '../lib/issues';
import { useCarChanges } from '../lib/useCarChanges';
import { useCoalesced } from '../lib/useCoalesced';
import { Link, navigate, type Route } from '../router';

type Car = NonNullable<CarDetailsQuery['car']>;

/** Read the car again at most this often while its changes arrive. */
const REFETCH_COALESCE_MS = 200;

function valuesOf(car: Car): CarValues {
  return { brand: car.brand, model: car.model, version: car.version ?? '', costCenterId: car.costCenter?.id ?? '' };
}

interface Editing {
  /** The car as it was read: what the draft is compared with, and the revision the update expects. */
  base: CarValues;
  baseRevision: number;
  draft: CarValues;
}

interface Outcome {
  kind: 'saved' | 'conflict' | 'failed' | 'reloaded';
  message?: string;
  issues?: Issue[];
}

function changedFields(from: CarValues, to: CarValues): (keyof CarValues)[] {
  return CAR_FIELDS.filter((field) => from[field] !== to[field]);
}

/** One car: its fields, where they come from, its audit trail; edit (optimistic concurrency) and delete. */
export function CarPage({ id, route }: { id: string; route: Route }) {
  const client = useApolloClient();
  const { data, dataState, error, loading, refetch } = useQuery(CarDetailsDocument, {
    variables: { id },
    errorPolicy: 'all',
    fetchPolicy: 'cache-and-network',
  });
  // Live: each change of this car has it read again (its fields, history, or that it is gone). A draft
  // being edited is left alone: saving it over a newer revision is the conflict the page already handles.
  const refetchCar = useCoalesced(refetch, REFETCH_COALESCE_MS);
  const live = useCarChanges({ filter: { ids: [id] }, onChange: refetchCar, onResync: refetchCar });
  const [editCar, editing$] = useMutation(EditCarDocument, { errorPolicy: 'all' });
  const [removeCar, removing$] = useMutation(RemoveCarDocument, { errorPolicy: 'all' });
  const [editing, setEditing] = useState<Editing | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(
    route.query.get('saved') ? { kind: 'saved', message: route.query.get('saved')! } : null,
  );
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [deleteIssues, setDeleteIssues] = useState<Issue[]>([]);

  // A one-time message handed over in the URL (after a create): drop it, so a reload does not repeat it.
  useEffect(() => {
    if (route.query.get('saved')) window.history.replaceState(null, '', `#/cars/${encodeURIComponent(id)}`);
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

  const issues = issuesFromError(error);
  const car = data?.car;

  function startEditing(current: Car) {
    setOutcome(null);
    setEditing({ base: valuesOf(current), baseRevision: current.revision, draft: valuesOf(current) });
  }

  async function save() {
    if (!editing) return;
    const changed = changedFields(editing.base, editing.draft);
    if (changed.length === 0) {
      setOutcome({ kind: 'saved', message: 'Nothing changed.' });
      setEditing(null);
      return;
    }
    const input: UpdateCarInput = { expectedRevision: editing.baseRevision };
    for (const field of changed) {
      const value = editing.draft[field].trim();
      if (field === 'version') input.version = value || null;
      else input[field] = value;
    }
    const result = await editCar({
      variables: { id, input },
      context: { headers: { 'idempotency-key': newRequestId() } },
    }).catch((thrown: unknown) => ({
      data: undefined,
      error: thrown,
    }));
    const updated = result.data?.updateCar;
    if (updated) {
      setEditing(null);
      setOutcome({ kind: 'saved', message: `Saved (revision ${updated.revision}).` });
      return;
    }
    const failure = issuesFromError(result.error);
    const conflict = failure.find((issue) => kindOf(issue) === 'conflict');
    setOutcome(conflict ? { kind: 'conflict', issues: [conflict] } : { kind: 'failed', issues: failure });
  }

  /** After a conflict: read the car again, keep the user's own edits on top of what is stored now, and expect the new revision. */
  async function reload() {
    const fresh = (await refetch().catch(() => null))?.data?.car;
    if (!fresh || !editing) {
      setOutcome({ kind: 'failed', message: 'The car could not be read again; try once more.', issues: [] });
      return;
    }
    const latest = valuesOf(fresh);
    const mine = changedFields(editing.base, editing.draft);
    const theirs = changedFields(editing.base, latest);
    const draft = { ...latest };
    for (const field of mine) draft[field] = editing.draft[field];
    setEditing({ base: latest, baseRevision: fresh.revision, draft });
    const theirsText = theirs
      .map(
        (field) =>
          `${FIELD_LABELS[field]} is now “${field === 'costCenterId' ? (fresh.costCenter?.code ?? latest[field]) : latest[field]}”`,
      )
      .join(', ');
    setOutcome({
      kind: 'reloaded',
      message:
        `Reloaded revision ${fresh.revision}.` +
        (theirsText ? ` Changed meanwhile: ${theirsText}.` : '') +
        (mine.length
          ? ` Your edits (${mine.map((f) => FIELD_LABELS[f]).join(', ')}) are kept; save to apply them.`
          : ''),
    });
  }

  async function remove() {
    const result = await removeCar({
      variables: { id },
      context: { headers: { 'idempotency-key': newRequestId() } },
    }).catch((thrown: unknown) => ({
      data: undefined,
      error: thrown,
    }));
    if (result.data?.deleteCar) {
      client.cache.evict({ id: client.cache.identify({ __typename: 'Car', id }) });
      client.cache.gc();
      navigate('/cars');
      return;
    }
    setDeleteIssues(issuesFromError(result.error));
  }

  return (
    <section>
      <PageHeader title={car ? `${car.brand} ${car.model}` : 'Car'}>
        <Link to="/cars">Back to the list</Link>
      </PageHeader>
      <LiveStatus state={live} />
      <IssueSummary issues={issues} />
      {!data && loading ? <p className="loading">Loading…</p> : null}
      {data && !car ? (
        <Field value={car} path={['car']} issues={issues} empty={<p>This car does not exist (any more).</p>}>
          {() => null}
        </Field>
      ) : null}
      {car ? (
        <>
          <dl className="details">
            <dt>Brand</dt>
            <dd data-testid="car-brand">{car.brand}</dd>
            <dt>Model</dt>
            <dd data-testid="car-model">{car.model}</dd>
            <dt>Version</dt>
            <dd data-testid="car-version">{car.version ?? '—'}</dd>
            <dt>Cost center</dt>
            <dd>
              <Field value={car.costCenter} path={['car', 'costCenter']} issues={issues}>
                {(center) => (
                  <>
                    <Link to={`/cost-centers/${encodeURIComponent(center.code)}`}>{center.code}</Link>{' '}
                    {center.societyName}
                  </>
                )}
              </Field>
            </dd>
            <dt>Manager</dt>
            <dd>
              <Field value={car.costCenter} path={['car', 'costCenter']} issues={issues}>
                {(center) => (
                  <Field value={center.manager} path={['car', 'costCenter', 'manager']} issues={issues}>
                    {(manager) => (
                      <>
                        {manager.username}{' '}
                        <Field value={manager.email} path={['car', 'costCenter', 'manager', 'email']} issues={issues}>
                          {(email) => <a href={`mailto:${email}`}>{email}</a>}
                        </Field>
                      </>
                    )}
                  </Field>
                )}
              </Field>
            </dd>
            <dt>Revision</dt>
            <dd data-testid="car-revision">{car.revision}</dd>
            <dt>Updated</dt>
            <dd>{new Date(car.updatedAt).toLocaleString()}</dd>
          </dl>

          {outcome?.kind === 'conflict' ? (
            <div className="conflict" role="alert" data-testid="conflict">
              <strong>Someone changed this car; reload.</strong>{' '}
              <button type="button" onClick={reload}>
                Reload
              </button>{' '}
              <RequestId id={outcome.issues?.[0]?.requestId} />
            </div>
          ) : null}
          {outcome?.kind === 'saved' || outcome?.kind === 'reloaded' ? (
            <p className="notice" role="status" data-testid="outcome">
              {outcome.message}
            </p>
          ) : null}
          {outcome?.kind === 'failed' ? (
            <>
              {outcome.message ? <p className="notice">{outcome.message}</p> : null}
              <IssueSummary issues={outcome.issues ?? []} title="The car was not saved" />
            </>
          ) : null}

          {editing ? (
            <CarForm
              values={editing.draft}
              onChange={(draft) => setEditing({ ...editing, draft })}
              onSubmit={save}
              submitLabel="Save"
              busy={editing$.loading}
            >
              <button type="button" className="secondary" onClick={() => (setEditing(null), setOutcome(null))}>
                Cancel
              </button>
            </CarForm>
          ) : (
            <div className="actions">
              <button type="button" onClick={() => startEditing(car)}>
                Edit
              </button>
              <ConfirmDelete
                question="Delete this car?"
                confirming={confirmDelete}
                busy={removing$.loading}
                onAsk={() => (setConfirmDelete(true), setDeleteIssues([]))}
                onConfirm={remove}
                onCancel={() => setConfirmDelete(false)}
              />
            </div>
          )}
          <IssueSummary issues={deleteIssues} title="The car was not deleted" />

          <h2>History</h2>
          {/* Deferred (CarDetails): "loading…" until the audit trail's part arrives, or while the car is read again. */}
          <Field
            value={car.history}
            path={['car', 'history']}
            issues={issues}
            pending={dataState === 'streaming' || loading}
          >
            {(history) => (
              <>
                <p className="count">{history.totalCount} changes (newest first)</p>
                <ol className="history">
                  {history.edges.map(({ node: event }) => (
                    <li key={event.id}>
                      <strong>{event.action}</strong> {new Date(event.at).toLocaleString()} by{' '}
                      {event.actorId ?? 'anonymous'}
                      <ul>
                        {event.changes.map((change) => (
                          <li key={change.field}>
                            {change.field}: {change.from ?? '∅'} → {change.to ?? '∅'}
                          </li>
                        ))}
                      </ul>
                      <RequestId id={event.requestId} />
                    </li>
                  ))}
                </ol>
              </>
            )}
          </Field>
        </>
      ) : null}
    </section>
  );
}
