import { useMutation, useQuery } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import {
  CreateWebhookEndpointDocument,
  WebhookAccessDocument,
  WebhookEndpointsDocument,
  type WebhookSigning,
} from '../__generated__/graphql';
import { newRequestId } from '../apollo';
import { DataTable } from '../components/DataTable';
import { InputField, SelectField, textBinder } from '../components/FormFields';
import { Field, IssueSummary } from '../components/Issues';
import { PageHeader } from '../components/PageHeader';
import { Pager, usePager } from '../components/Pager';
import { SecretOnce, type ShownSecret } from '../components/SecretOnce';
import { issuesFromError } from '../lib/apolloIssues';
import { issueAt, kindOf, type Issue } from '../lib/issues';
import { eventTypesOf } from '../lib/webhooks';
import { Link } from '../router';

const PAGE_SIZE = 20;
const ENDPOINT_COLUMNS = ['URL', 'Description', 'Event types', 'State', 'Signing'];

/**
 * Whether the caller may read webhooks, as the graph answers it (the token carries no
 * scopes and the API does not list them): `denied` only on PERMISSION_DENIED or
 * UNAUTHENTICATED, so a webhook subgraph that is down does not hide the page.
 */
export function useWebhookAccess(): 'allowed' | 'denied' | 'unknown' {
  const { data, error } = useQuery(WebhookAccessDocument, { errorPolicy: 'all', fetchPolicy: 'cache-first' });
  if (data?.webhookEndpoints) return 'allowed';
  const issue = issueAt(issuesFromError(error), ['webhookEndpoints']);
  if (issue && (kindOf(issue) === 'forbidden' || kindOf(issue) === 'signed-out')) return 'denied';
  return error ? 'allowed' : 'unknown';
}

/** Whether a response says the caller lacks the page's scope (the field is denied, not failed). */
export function deniedAt(issues: ReadonlyArray<Issue>, path: string): Issue | undefined {
  const issue = issueAt(issues, [path]);
  return issue && (kindOf(issue) === 'forbidden' || kindOf(issue) === 'signed-out') ? issue : undefined;
}

export function NeedsScope({ scope, issue }: { scope: string; issue: Issue }) {
  return (
    <div className="issue-summary failed" role="alert" data-testid="needs-scope">
      <strong>This page needs {scope}.</strong> Your account does not have it; ask an administrator.{' '}
      {issue.requestId ? (
        <span className="request-id">
          request id <code data-testid="request-id">{issue.requestId}</code>
        </span>
      ) : null}
    </div>
  );
}

interface Draft {
  url: string;
  description: string;
  eventTypes: string;
  signing: WebhookSigning;
}

const EMPTY: Draft = { url: '', description: '', eventTypes: 'car.*', signing: 'HMAC_SHA256' };
const URL_EXAMPLE = 'https://erp.example.com/hooks/car-check';
const EVENT_TYPES_HINT = 'Comma-separated types or patterns: car.created, car.*, *';

function RegisterForm({ onCreated }: { onCreated: (shown: ShownSecret) => void }) {
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [failure, setFailure] = useState<Issue[]>([]);
  const [create, creating] = useMutation(CreateWebhookEndpointDocument, { errorPolicy: 'all' });
  const field = textBinder(draft, setDraft);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setFailure([]);
    const result = await create({
      variables: {
        input: {
          url: draft.url.trim(),
          description: draft.description.trim() || null,
          eventTypes: eventTypesOf(draft.eventTypes),
          signing: draft.signing,
        },
      },
      context: { headers: { 'idempotency-key': newRequestId() } },
    }).catch((thrown: unknown) => ({ data: undefined, error: thrown }));
    const created = result.data?.createWebhookEndpoint;
    if (created) {
      setDraft(EMPTY);
      onCreated({
        endpointId: created.endpoint.id,
        url: created.endpoint.url,
        secret: created.secret ?? null,
        publicKey: created.endpoint.publicKey ?? null,
        why: 'registered',
      });
      return;
    }
    setFailure(issuesFromError(result.error));
  }

  return (
    <form className="car-form" onSubmit={submit} aria-label="Register an endpoint">
      <InputField label="URL" type="url" required placeholder={URL_EXAMPLE} {...field('url')} />
      <InputField label="Description" maxLength={200} {...field('description')} />
      <InputField label="Event types" required title={EVENT_TYPES_HINT} {...field('eventTypes')} />
      <SelectField
        label="Signing"
        name="signing"
        value={draft.signing}
        onChange={(signing) => setDraft({ ...draft, signing: signing as WebhookSigning })}
      >
        <option value="HMAC_SHA256">HMAC-SHA256 (shared secret)</option>
        <option value="ED25519">Ed25519 (public key)</option>
      </SelectField>
      <IssueSummary issues={failure} title="The endpoint was not registered" />
      <div className="actions">
        <button type="submit" disabled={creating.loading}>
          Register
        </button>
      </div>
    </form>
  );
}

/** `enabled`, or `disabled: <reason>`. */
export function EndpointState({ enabled, reason }: { enabled: boolean; reason: string | null | undefined }) {
  return enabled ? (
    <span className="state enabled" data-testid="endpoint-state">
      enabled
    </span>
  ) : (
    <span className="state disabled" data-testid="endpoint-state" title={reason ?? undefined}>
      disabled{reason ? `: ${reason}` : ''}
    </span>
  );
}

export const SIGNING_LABELS: Record<WebhookSigning, string> = { HMAC_SHA256: 'HMAC-SHA256', ED25519: 'Ed25519' };

/** The endpoints (paged), and a form to register one; its secret is shown once. */
export function WebhooksPage() {
  const pager = usePager('webhooks');
  const [shown, setShown] = useState<ShownSecret | null>(null);
  const { data, error, loading, refetch } = useQuery(WebhookEndpointsDocument, {
    variables: { first: PAGE_SIZE, after: pager.after },
    errorPolicy: 'all',
    fetchPolicy: 'cache-and-network',
  });
  const issues = issuesFromError(error);
  const denied = deniedAt(issues, 'webhookEndpoints');
  if (denied) {
    return (
      <section>
        <PageHeader title="Webhooks" />
        <NeedsScope scope="webhook:read" issue={denied} />
      </section>
    );
  }
  return (
    <section>
      <PageHeader title="Webhooks" />
      <p className="hint">
        Endpoints receive the graph’s domain events (CloudEvents) as HTTP POSTs signed per Standard Webhooks, retried
        with backoff until delivered. See docs/webhooks.md for a receiver.
      </p>
      {shown ? <SecretOnce shown={shown} onDone={() => setShown(null)} /> : null}
      <IssueSummary issues={issues} />
      {!data && loading ? <p className="loading">Loading…</p> : null}
      {data ? (
        <Field value={data.webhookEndpoints} path={['webhookEndpoints']} issues={issues}>
          {(endpoints) => (
            <>
              <p className="count" data-testid="endpoint-count">
                {endpoints.totalCount} {endpoints.totalCount === 1 ? 'endpoint' : 'endpoints'}
              </p>
              {endpoints.totalCount === 0 ? (
                <p className="empty">No endpoint yet: register one below.</p>
              ) : (
                <DataTable columns={ENDPOINT_COLUMNS}>
                  {endpoints.edges.map(({ node: endpoint }) => (
                    <tr key={endpoint.id} data-testid="endpoint-row" data-endpoint-id={endpoint.id}>
                      <td>
                        <Link to={`/webhooks/${encodeURIComponent(endpoint.id)}`} data-testid="endpoint-url">
                          {endpoint.url}
                        </Link>
                      </td>
                      <td>{endpoint.description || '—'}</td>
                      <td>
                        <code>{endpoint.eventTypes.join(', ')}</code>
                      </td>
                      <td>
                        <EndpointState enabled={endpoint.enabled} reason={endpoint.disabledReason} />
                      </td>
                      <td>{SIGNING_LABELS[endpoint.signing]}</td>
                    </tr>
                  ))}
                </DataTable>
              )}
              <Pager pager={pager} pageInfo={endpoints.pageInfo} />
            </>
          )}
        </Field>
      ) : null}
      <h2>Register an endpoint</h2>
      <RegisterForm
        onCreated={(created) => {
          setShown(created);
          void refetch().catch(() => undefined);
        }}
      />
    </section>
  );
}
