import { useApolloClient, useMutation, useQuery } from '@apollo/client/react';
import { useEffect, useState, type FormEvent } from 'react';
import {
  DeleteWebhookEndpointDocument,
  ReplayWebhookEventsDocument,
  RotateWebhookSecretDocument,
  SendWebhookTestEventDocument,
  UpdateWebhookEndpointDocument,
  WebhookDeliveriesDocument,
  WebhookEndpointDetailsDocument,
  type ReplayWebhookEventsInput,
  type WebhookDeliveryStatus,
} from '../__generated__/graphql';
import { newRequestId } from '../apollo';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { DataTable } from '../components/DataTable';
import { DateTimeField, InputField, SelectField } from '../components/FormFields';
import { Field, IssueSummary } from '../components/Issues';
import { PageHeader } from '../components/PageHeader';
import { Pager, usePager } from '../components/Pager';
import { SecretOnce, type ShownSecret } from '../components/SecretOnce';
import { issuesFromError } from '../lib/apolloIssues';
import { kindOf, type Issue } from '../lib/issues';
import { instantOf } from '../lib/webhooks';
import { Link, navigate } from '../router';
import { deniedAt, EndpointState, NeedsScope, SIGNING_LABELS } from './WebhooksPage';

const LOG_PAGE_SIZE = 20;
const STATUSES: WebhookDeliveryStatus[] = ['PENDING', 'DELIVERED', 'FAILED'];
/** How often the log refreshes itself while a delivery on the page is pending. */
const PENDING_REFRESH_MS = 2000;

const DELIVERY_COLUMNS = [
  'Event type',
  'Status',
  'Attempts',
  'Response',
  'Latency',
  'Last error',
  'Next attempt',
  'Created',
  'Delivered',
];

const time = (value: string | null | undefined) => (value ? new Date(value).toLocaleString() : '—');

interface Outcome {
  message?: string;
  issues?: Issue[];
  title?: string;
}

/** What an action did: its message, or why it failed. */
function OutcomeNotice({ outcome, testId }: { outcome: Outcome | null; testId: string }) {
  return (
    <>
      {outcome?.message ? (
        <p className="notice" role="status" data-testid={testId}>
          {outcome.message}
        </p>
      ) : null}
      {outcome?.issues ? <IssueSummary issues={outcome.issues} title={outcome.title} /> : null}
    </>
  );
}

/** What a mutation answered: its data, or its error as issues. */
async function settle<T>(promise: Promise<{ data?: T | null; error?: unknown }>) {
  return promise.catch((thrown: unknown) => ({ data: undefined, error: thrown }));
}

function DeliveryLog({ endpointId, refreshKey }: { endpointId: string; refreshKey: number }) {
  const [status, setStatus] = useState<WebhookDeliveryStatus | ''>('');
  const pager = usePager(`${endpointId}|${status}`);
  const { data, error, loading, refetch } = useQuery(WebhookDeliveriesDocument, {
    variables: {
      first: LOG_PAGE_SIZE,
      after: pager.after,
      filter: { endpointId, ...(status ? { status } : {}) },
    },
    errorPolicy: 'all',
    fetchPolicy: 'cache-and-network',
    notifyOnNetworkStatusChange: true,
  });
  const issues = issuesFromError(error);
  const deliveries = data?.webhookDeliveries;
  const pending = deliveries?.edges.some(({ node }) => node.status === 'PENDING') ?? false;

  // A test event or a replay was just queued: read the log again.
  useEffect(() => {
    if (refreshKey > 0) void refetch().catch(() => undefined);
  }, [refreshKey]); // eslint-disable-line react-hooks/exhaustive-deps

  // While something on the page is pending, follow it until it is delivered or failed.
  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(() => void refetch().catch(() => undefined), PENDING_REFRESH_MS);
    return () => clearInterval(timer);
  }, [pending, refetch]);

  return (
    <>
      <h2>Delivery log</h2>
      <form className="filters" aria-label="Filter deliveries" onSubmit={(event) => event.preventDefault()}>
        <SelectField
          label="Status"
          name="status"
          value={status}
          onChange={(value) => setStatus(value as WebhookDeliveryStatus | '')}
        >
          <option value="">any</option>
          {STATUSES.map((value) => (
            <option key={value} value={value}>
              {value.toLowerCase()}
            </option>
          ))}
        </SelectField>
        <button type="button" className="secondary" onClick={() => void refetch().catch(() => undefined)}>
          Refresh
        </button>
        {loading ? <span className="loading">Loading…</span> : null}
        {pending ? <span className="hint">refreshing while deliveries are pending</span> : null}
      </form>
      <IssueSummary issues={issues} />
      {data ? (
        <Field value={deliveries} path={['webhookDeliveries']} issues={issues}>
          {(log) => (
            <>
              <p className="count" data-testid="delivery-count">
                {log.totalCount} {log.totalCount === 1 ? 'delivery' : 'deliveries'}
              </p>
              {log.totalCount > 0 ? (
                <DataTable className="deliveries" columns={DELIVERY_COLUMNS}>
                  {log.edges.map(({ node: delivery }) => (
                    <tr
                      key={delivery.id}
                      data-testid="delivery-row"
                      data-delivery-id={delivery.id}
                      data-status={delivery.status}
                      data-message-id={delivery.messageId}
                    >
                      <td>
                        <code title={`event ${delivery.eventId}, sequence ${delivery.sequence}`}>
                          {delivery.eventType}
                        </code>
                      </td>
                      <td>
                        <span
                          className={`status status-${delivery.status.toLowerCase()}`}
                          data-testid="delivery-status"
                        >
                          {delivery.status}
                        </span>
                      </td>
                      <td>{delivery.attempts}</td>
                      <td data-testid="delivery-response">{delivery.responseCode ?? '—'}</td>
                      <td>
                        {delivery.latencyMs === null || delivery.latencyMs === undefined
                          ? '—'
                          : `${delivery.latencyMs} ms`}
                      </td>
                      <td className="last-error">{delivery.lastError ?? '—'}</td>
                      <td>{time(delivery.nextAttemptAt)}</td>
                      <td>{time(delivery.createdAt)}</td>
                      <td>{time(delivery.deliveredAt)}</td>
                    </tr>
                  ))}
                </DataTable>
              ) : (
                <p className="empty">No delivery{status ? ` with status ${status.toLowerCase()}` : ''}.</p>
              )}
              <Pager pager={pager} pageInfo={log.pageInfo} />
            </>
          )}
        </Field>
      ) : null}
    </>
  );
}

type ReplayMode = 'time' | 'sequence';

function ReplayForm({ endpointId, onQueued }: { endpointId: string; onQueued: () => void }) {
  const [mode, setMode] = useState<ReplayMode>('time');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [owner, setOwner] = useState('car');
  const [fromSequence, setFromSequence] = useState('');
  const [toSequence, setToSequence] = useState('');
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [replay, replaying] = useMutation(ReplayWebhookEventsDocument, { errorPolicy: 'all' });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setOutcome(null);
    const input: ReplayWebhookEventsInput =
      mode === 'time'
        ? { endpointId, from: instantOf(from), to: instantOf(to) }
        : { endpointId, owner, fromSequence: fromSequence.trim(), toSequence: toSequence.trim() };
    const result = await settle(
      replay({ variables: { input }, context: { headers: { 'idempotency-key': newRequestId() } } }),
    );
    const queued = result.data?.replayWebhookEvents?.queued;
    if (queued !== undefined) {
      setOutcome({
        message: `Replay queued ${queued} ${queued === 1 ? 'delivery' : 'deliveries'}.`,
      });
      onQueued();
      return;
    }
    setOutcome({ issues: issuesFromError(result.error), title: 'Nothing was replayed' });
  }

  return (
    <>
      <h2>Replay</h2>
      <form className="filters" onSubmit={submit} aria-label="Replay events">
        <SelectField label="Replay by" name="mode" value={mode} onChange={(value) => setMode(value as ReplayMode)}>
          <option value="time">time range</option>
          <option value="sequence">sequence range</option>
        </SelectField>
        {mode === 'time' ? (
          <>
            <DateTimeField label="From" name="from" value={from} onChange={setFrom} />
            <DateTimeField label="To (excluded)" name="to" value={to} onChange={setTo} />
          </>
        ) : (
          <>
            <SelectField label="Owner" name="owner" value={owner} onChange={setOwner}>
              <option value="car">car</option>
              <option value="cost-center">cost-center</option>
              <option value="user">user</option>
            </SelectField>
            <InputField
              label="From sequence"
              name="fromSequence"
              inputMode="numeric"
              required
              value={fromSequence}
              onChange={setFromSequence}
            />
            <InputField
              label="To sequence (included)"
              name="toSequence"
              inputMode="numeric"
              required
              value={toSequence}
              onChange={setToSequence}
            />
          </>
        )}
        <button type="submit" disabled={replaying.loading}>
          Replay
        </button>
      </form>
      <OutcomeNotice outcome={outcome} testId="replay-outcome" />
    </>
  );
}

/** One endpoint: its settings, enable/disable, rotate, test event, delete; its delivery log; replay. */
export function WebhookEndpointPage({ id }: { id: string }) {
  const client = useApolloClient();
  const { data, error, loading, refetch } = useQuery(WebhookEndpointDetailsDocument, {
    variables: { id },
    errorPolicy: 'all',
    fetchPolicy: 'cache-and-network',
  });
  const [update, updating] = useMutation(UpdateWebhookEndpointDocument, { errorPolicy: 'all' });
  const [rotate, rotating] = useMutation(RotateWebhookSecretDocument, { errorPolicy: 'all' });
  const [sendTest, sending] = useMutation(SendWebhookTestEventDocument, { errorPolicy: 'all' });
  const [remove, removing] = useMutation(DeleteWebhookEndpointDocument, { errorPolicy: 'all' });
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [shown, setShown] = useState<ShownSecret | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [logRefresh, setLogRefresh] = useState(0);

  const issues = issuesFromError(error);
  const denied = deniedAt(issues, 'webhookEndpoint');
  const endpoint = data?.webhookEndpoint;
  const busy = updating.loading || rotating.loading || sending.loading || removing.loading;
  const headers = () => ({ headers: { 'idempotency-key': newRequestId() } });

  async function setEnabled(enabled: boolean, revision: number) {
    setOutcome(null);
    const result = await settle(
      update({ variables: { id, input: { enabled, expectedRevision: revision } }, context: headers() }),
    );
    if (result.data?.updateWebhookEndpoint) {
      setOutcome({ message: enabled ? 'Enabled: deliveries resume.' : 'Disabled: nothing is sent until enabled.' });
      return;
    }
    const failure = issuesFromError(result.error);
    const conflict = failure.some((issue) => kindOf(issue) === 'conflict');
    if (conflict) void refetch().catch(() => undefined);
    setOutcome({
      issues: failure,
      title: conflict ? 'Someone changed this endpoint meanwhile; it was reloaded, try again' : 'Not saved',
    });
  }

  async function rotateSecret(url: string) {
    setOutcome(null);
    const result = await settle(rotate({ variables: { id }, context: headers() }));
    const rotated = result.data?.rotateWebhookSecret;
    if (rotated) {
      setShown({
        endpointId: id,
        url,
        secret: rotated.secret ?? null,
        publicKey: rotated.endpoint.publicKey ?? null,
        why: 'rotated',
      });
      return;
    }
    setOutcome({ issues: issuesFromError(result.error), title: 'The secret was not rotated' });
  }

  async function test() {
    setOutcome(null);
    const result = await settle(sendTest({ variables: { id }, context: headers() }));
    if (result.data?.sendWebhookTestEvent) {
      setOutcome({ message: 'A webhook.test event was queued; follow it in the delivery log.' });
      setLogRefresh((n) => n + 1);
      return;
    }
    setOutcome({ issues: issuesFromError(result.error), title: 'No test event was sent' });
  }

  async function destroy() {
    const result = await settle(remove({ variables: { id }, context: headers() }));
    if (result.data?.deleteWebhookEndpoint) {
      client.cache.evict({ id: client.cache.identify({ __typename: 'WebhookEndpoint', id }) });
      client.cache.gc();
      navigate('/webhooks');
      return;
    }
    setConfirmDelete(false);
    setOutcome({ issues: issuesFromError(result.error), title: 'The endpoint was not deleted' });
  }

  if (denied) {
    return (
      <section>
        <PageHeader title="Webhook endpoint">
          <Link to="/webhooks">Back to the endpoints</Link>
        </PageHeader>
        <NeedsScope scope="webhook:read" issue={denied} />
      </section>
    );
  }

  return (
    <section>
      <PageHeader
        title={
          <>
            Webhook endpoint{' '}
            <small>
              <code>{endpoint?.url}</code>
            </small>
          </>
        }
      >
        <Link to="/webhooks">Back to the endpoints</Link>
      </PageHeader>
      <IssueSummary issues={issues} />
      {!data && loading ? <p className="loading">Loading…</p> : null}
      {data && !endpoint ? (
        <Field
          value={endpoint}
          path={['webhookEndpoint']}
          issues={issues}
          empty={<p>This endpoint does not exist (any more).</p>}
        >
          {() => null}
        </Field>
      ) : null}
      {endpoint ? (
        <>
          {shown ? <SecretOnce shown={shown} onDone={() => setShown(null)} /> : null}
          <dl className="details">
            <dt>URL</dt>
            <dd data-testid="endpoint-url">{endpoint.url}</dd>
            <dt>Description</dt>
            <dd>{endpoint.description || '—'}</dd>
            <dt>Event types</dt>
            <dd>
              <code>{endpoint.eventTypes.join(', ')}</code>
            </dd>
            <dt>Cost centers</dt>
            <dd>{endpoint.costCenterIds.length ? endpoint.costCenterIds.join(', ') : 'any'}</dd>
            <dt>Societies</dt>
            <dd>{endpoint.societyNames.length ? endpoint.societyNames.join(', ') : 'any'}</dd>
            <dt>State</dt>
            <dd>
              <EndpointState enabled={endpoint.enabled} reason={endpoint.disabledReason} />
            </dd>
            <dt>Signing</dt>
            <dd>
              {SIGNING_LABELS[endpoint.signing]}
              {endpoint.previousSecretExpiresAt
                ? ` · the previous secret signs too until ${time(endpoint.previousSecretExpiresAt)}`
                : ''}
              {endpoint.publicKey ? <pre className="secret">{endpoint.publicKey}</pre> : null}
            </dd>
            <dt>Registered by</dt>
            <dd>
              <Field value={endpoint.createdBy} path={['webhookEndpoint', 'createdBy']} issues={issues}>
                {(user) => user.username}
              </Field>{' '}
              on {time(endpoint.createdAt)}
            </dd>
            <dt>Revision</dt>
            <dd data-testid="endpoint-revision">{endpoint.revision}</dd>
          </dl>

          <div className="actions">
            {endpoint.enabled ? (
              <button
                type="button"
                className="secondary"
                disabled={busy}
                onClick={() => setEnabled(false, endpoint.revision)}
              >
                Disable
              </button>
            ) : (
              <button type="button" disabled={busy} onClick={() => setEnabled(true, endpoint.revision)}>
                Enable
              </button>
            )}
            <button type="button" disabled={busy} onClick={test}>
              Send a test event
            </button>
            <button type="button" className="secondary" disabled={busy} onClick={() => rotateSecret(endpoint.url)}>
              Rotate the secret
            </button>
            <ConfirmDelete
              question="Delete this endpoint and its delivery log?"
              confirming={confirmDelete}
              busy={busy}
              onAsk={() => setConfirmDelete(true)}
              onConfirm={destroy}
              onCancel={() => setConfirmDelete(false)}
            />
          </div>
          <OutcomeNotice outcome={outcome} testId="outcome" />

          <DeliveryLog endpointId={id} refreshKey={logRefresh} />
          <ReplayForm endpointId={id} onQueued={() => setLogRefresh((n) => n + 1)} />
        </>
      ) : null}
    </section>
  );
}
