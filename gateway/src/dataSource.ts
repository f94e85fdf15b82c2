import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { type Context, type Span, type SpanContext, SpanKind, trace } from '@opentelemetry/api';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_URL_FULL } from '@opentelemetry/semantic-conventions';
import { Kind } from 'graphql';
import { Pool } from 'undici';
import {
  ANONYMOUS,
  callerKey,
  type Logger,
  parentForCall,
  REQUEST_ID_HEADER,
  type ServiceMetrics,
  setSpanOutcome,
  signRequest,
  type StatusCode,
  TRACE_ATTRIBUTES,
  traceHeaders,
  tracerFor,
} from '@car-check/service-kit';
import type { GatewayContext } from './context';
import { fieldErrorsForFailedFetch } from './fieldErrors';

export interface SubgraphDataSourceOptions {
  name: string;
  url: string;
  /** The subgraph's deadline: past it, its fields fail with DEADLINE_EXCEEDED. */
  timeoutMs: number;
  log: Logger;
  /** Signs the caller's identity for the subgraph (shared with every subgraph). */
  signingSecret: Buffer;
  metrics?: ServiceMetrics;
  /** Share identical query fetches in flight (outbound deduplication). */
  deduplicate?: boolean;
}

interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: GatewayGraphQLResponse['errors'];
  extensions?: Record<string, unknown>;
}

const tracer = tracerFor('gateway');

/** A fetch's span, and the context that carries it to the subgraph (its `traceparent`). */
interface FetchTrace {
  span: Span;
  context: Context;
}

/** How one call to a subgraph ended. */
type Sent =
  | { kind: 'answered'; status: number; text: string }
  | { kind: 'timed-out' }
  | { kind: 'cancelled' }
  | { kind: 'unreachable' };

/**
 * How the gateway calls one subgraph. Unlike Apollo's RemoteGraphQLDataSource
 * it never throws: a subgraph that is down, too slow, or answers with something
 * that is not GraphQL yields per-field errors (UNAVAILABLE, DEADLINE_EXCEEDED,
 * CANCELLED) that the gateway places on the fields that needed it, while the
 * rest of the response is served. Upstream bodies are logged, never forwarded.
 */
export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  private readonly pool: Pool;
  private readonly path: string;
  private readonly url: URL;
  /** Query fetches in flight, by caller and body (outbound deduplication). */
  private readonly inflight = new Map<string, SharedCall>();

  constructor(private readonly options: SubgraphDataSourceOptions) {
    const url = new URL(options.url);
    this.url = url;
    this.pool = new Pool(url.origin, { connections: 256, keepAliveTimeout: 30_000 });
    this.path = `${url.pathname}${url.search}`;
  }

  async process(request: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const started = performance.now();
    // Health checks and schema loads carry no request context.
    const context = 'requestId' in request.context ? (request.context as GatewayContext) : undefined;
    const fetchTrace = context ? this.startFetchSpan(request, context) : undefined;
    let sent: { response: GatewayGraphQLResponse; outcome: string };
    try {
      sent = await this.send(request, context, fetchTrace);
      if (fetchTrace) setSpanOutcome(fetchTrace.span, sent.outcome);
    } finally {
      fetchTrace?.span.end();
    }
    const { response, outcome } = sent;
    const durationMs = performance.now() - started;
    this.options.metrics?.observeSubgraphFetch(this.options.name, outcome, durationMs / 1000);
    context?.subgraphCalls?.push({ subgraph: this.options.name, durationMs: Math.round(durationMs), outcome });
    return response;
  }

  /**
   * One CLIENT span per fetch a request makes (a child of Apollo Gateway's
   * `gateway.fetch`), covering a retry if there is one; its context is the
   * `traceparent` the subgraph continues. Attributes only when it records.
   */
  private startFetchSpan(request: GraphQLDataSourceProcessOptions<GatewayContext>, context: GatewayContext): FetchTrace {
    const { name } = this.options;
    // Apollo Gateway's gateway.fetch when spans are recorded (and so active); else the request's own span.
    const parent = parentForCall(context.traceContext);
    const span = tracer.startSpan(`subgraph ${name}`, { kind: SpanKind.CLIENT }, parent);
    if (span.isRecording()) {
      span.setAttribute(TRACE_ATTRIBUTES.service, 'gateway');
      span.setAttribute(TRACE_ATTRIBUTES.subgraph, name);
      span.setAttribute(ATTR_HTTP_REQUEST_METHOD, 'POST');
      span.setAttribute(ATTR_SERVER_ADDRESS, this.url.hostname);
      span.setAttribute(ATTR_SERVER_PORT, Number(this.url.port || (this.url.protocol === 'https:' ? 443 : 80)));
      span.setAttribute(ATTR_URL_FULL, this.url.href);
      span.setAttribute(TRACE_ATTRIBUTES.operationType, isMutation(request) ? 'mutation' : 'query');
      if (request.request.operationName) span.setAttribute(TRACE_ATTRIBUTES.operationName, request.request.operationName);
    }
    return { span, context: trace.setSpan(parent, span) };
  }

  private async send(
    request: GraphQLDataSourceProcessOptions<GatewayContext>,
    context: GatewayContext | undefined,
    fetchTrace: FetchTrace | undefined,
  ): Promise<{ response: GatewayGraphQLResponse; outcome: string }> {
    const { name, timeoutMs, log } = this.options;
    const body = JSON.stringify({
      query: request.request.query ?? '',
      variables: request.request.variables,
      operationName: request.request.operationName,
    });
    const mutation = isMutation(request);
    // This call's deadline: the subgraph's own, or the request's if that comes first.
    const deadlineAt = Math.min(Date.now() + timeoutMs, context?.deadline ?? Number.POSITIVE_INFINITY);

    const once = () =>
      mutation ? this.post(body, context, deadlineAt, true, context?.signal, fetchTrace) : this.shared(body, context, deadlineAt, fetchTrace);
    let sent = await once();
    // A dropped connection (a subgraph restarting, a stale keep-alive socket) is
    // retried once, but only for queries: a mutation may have been applied.
    if (sent.kind === 'unreachable' && !mutation && Date.now() < deadlineAt) {
      log.info({ subgraph: name, requestId: context?.requestId, traceId: context?.traceId }, 'retrying a query after a connection failure');
      fetchTrace?.span.addEvent('retry after a connection failure');
      sent = await once();
    }
    if (sent.kind === 'answered' && fetchTrace?.span.isRecording()) fetchTrace.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, sent.status);

    switch (sent.kind) {
      case 'answered': {
        const answer = graphqlBody(sent.text);
        if (answer) {
          const outcome = answer.errors?.length ? String(answer.errors[0]?.extensions?.code ?? 'INTERNAL') : 'OK';
          return { response: { data: answer.data ?? undefined, errors: answer.errors, extensions: answer.extensions }, outcome };
        }
        log.warn({ subgraph: name, requestId: context?.requestId, traceId: context?.traceId, status: sent.status }, 'subgraph answered without GraphQL');
        return this.failed(request, 'UNAVAILABLE', `The ${name} service is unavailable; retry later.`);
      }
      case 'cancelled':
        return this.failed(request, 'CANCELLED', 'The client cancelled the request.');
      case 'timed-out':
        log.warn({ subgraph: name, requestId: context?.requestId, traceId: context?.traceId, timeoutMs }, 'subgraph deadline exceeded');
        return this.failed(request, 'DEADLINE_EXCEEDED', `The ${name} service did not answer within ${timeoutMs} ms.`);
      case 'unreachable':
        log.warn({ subgraph: name, requestId: context?.requestId, traceId: context?.traceId }, 'subgraph unreachable');
        return this.failed(request, 'UNAVAILABLE', `The ${name} service is unavailable; retry later.`);
    }
  }

  /**
   * Outbound deduplication: a query fetch identical to one in flight (same
   * body, for a caller with the same identity and scopes) waits for that
   * one's answer instead of asking the subgraph again. The shared call is not
   * cancelled by any one caller; each caller stops waiting when its own
   * request is abandoned or its deadline passes.
   *
   * Tracing: the one fetch sent carries the first caller's `traceparent`, so
   * the subgraph's spans belong to the first caller's trace only. A caller that
   * waited for it has its own fetch span, marked `car_check.deduplicated` and
   * linked to the first caller's; that is the price of sending one fetch.
   */
  private shared(body: string, context: GatewayContext | undefined, deadlineAt: number, fetchTrace: FetchTrace | undefined): Promise<Sent> {
    if (!this.options.deduplicate || !context) return this.post(body, context, deadlineAt, false, context?.signal, fetchTrace);
    const key = `${callerKey(context.caller)}\n${body}`;
    let call = this.inflight.get(key);
    if (!call) {
      const abort = new AbortController();
      const sent = this.post(body, context, deadlineAt, false, abort.signal, fetchTrace).finally(() => this.inflight.delete(key));
      call = { sent, waiting: 0, abort, leader: fetchTrace?.span.spanContext() };
      this.inflight.set(key, call);
    } else if (fetchTrace?.span.isRecording()) {
      fetchTrace.span.setAttribute(TRACE_ATTRIBUTES.deduplicated, true);
      if (call.leader) fetchTrace.span.addLink({ context: call.leader });
    }
    return untilAbandoned(call, context);
  }

  /**
   * One signed POST over the subgraph's keep-alive connection pool, read as
   * raw text (no web streams). Never throws: says how it ended.
   */
  private async post(
    body: string,
    context: GatewayContext | undefined,
    deadlineAt: number,
    mutation: boolean,
    cancelWith: AbortSignal | undefined,
    fetchTrace: FetchTrace | undefined,
  ): Promise<Sent> {
    const { name, signingSecret } = this.options;
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, Math.max(0, deadlineAt - Date.now()));
    const onCancel = () => abort.abort();
    cancelWith?.addEventListener('abort', onCancel, { once: true });
    try {
      // Headers are built from scratch: nothing the client sent is forwarded, and the
      // identity is the one the gateway verified, signed for this method, path, body and subgraph.
      // The trace travels unsigned (traceparent): it names a trace, it grants nothing.
      const signature = await signRequest(context?.caller ?? ANONYMOUS, { method: 'POST', url: this.path, body }, signingSecret, {
        audience: name,
        requestId: context?.requestId,
        clientRequestId: context?.clientRequestId,
        // The deadline travels signed, so the subgraph stops working when nobody waits any more.
        deadline: deadlineAt,
        ...(context?.idempotencyKey && mutation ? { idempotencyKey: context.idempotencyKey } : {}),
      });
      const response = await this.pool.request({
        path: this.path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...(context ? { [REQUEST_ID_HEADER]: context.requestId } : {}),
          ...(fetchTrace ? traceHeaders(fetchTrace.context) : {}),
          ...signature,
        },
        body,
        signal: abort.signal,
      });
      return { kind: 'answered', status: response.statusCode, text: await response.body.text() };
    } catch {
      if (timedOut || (context !== undefined && context.deadline <= Date.now())) return { kind: 'timed-out' };
      if (cancelWith?.aborted) return { kind: 'cancelled' };
      return { kind: 'unreachable' };
    } finally {
      clearTimeout(timer);
      cancelWith?.removeEventListener('abort', onCancel);
    }
  }

  /** Closes the keep-alive connections (the gateway is stopping). */
  close(): Promise<void> {
    return this.pool.close();
  }

  private failed(
    request: GraphQLDataSourceProcessOptions<GatewayContext>,
    code: StatusCode,
    message: string,
  ): { response: GatewayGraphQLResponse; outcome: string } {
    const operation = 'document' in request && request.document ? request.document : (request.request.query ?? '');
    return { response: { errors: fieldErrorsForFailedFetch(operation, request.request.variables, code, message) }, outcome: code };
  }
}

/** A fetch shared by the requests waiting for it; aborted when the last of them gives up. */
interface SharedCall {
  sent: Promise<Sent>;
  waiting: number;
  abort: AbortController;
  /** The span of the fetch actually sent (the first caller's), for the others' links. */
  leader: SpanContext | undefined;
}

/** A shared call's outcome, or this caller's own end: its client hung up, or its deadline passed. */
function untilAbandoned(call: SharedCall, context: GatewayContext): Promise<Sent> {
  if (context.signal.aborted) return Promise.resolve(abandoned(context));
  call.waiting += 1;
  return new Promise((resolve) => {
    const onAbort = () => {
      // Nobody else waits for it: the subgraph's work is wasted, stop it.
      if (--call.waiting === 0) call.abort.abort();
      resolve(abandoned(context));
    };
    context.signal.addEventListener('abort', onAbort, { once: true });
    void call.sent.then((sent) => {
      context.signal.removeEventListener('abort', onAbort);
      call.waiting -= 1;
      resolve(sent);
    });
  });
}

function abandoned(context: GatewayContext): Sent {
  return context.deadline <= Date.now() ? { kind: 'timed-out' } : { kind: 'cancelled' };
}

/** The response as GraphQL, or null when it is not GraphQL (proxy error page, crash, ...). */
function graphqlBody(text: string): GraphQLBody | null {
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object' && ('data' in body || 'errors' in body)) return body as GraphQLBody;
  } catch {
    // Not JSON: treated like an unreachable subgraph.
  }
  return null;
}

function isMutation(request: GraphQLDataSourceProcessOptions<GatewayContext>): boolean {
  if ('document' in request && request.document) {
    return request.document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && d.operation === 'mutation');
  }
  // The planner writes each fetch as one operation that starts with its type.
  return /^\s*mutation\b/.test(request.request.query ?? '');
}
