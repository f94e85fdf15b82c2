import { setTimeout as delay } from 'node:timers/promises';
import type { GraphQLDataSource } from '@apollo/gateway';
import type { FetchNode, QueryPlan } from '@apollo/query-planner';
import type { GatewayExecutionResult, GatewaySchemaHash } from '@apollo/server-gateway-interface';
import type { DocumentNode, GraphQLFormattedError, OperationDefinitionNode } from 'graphql';
import { errorExtensions, formatError, type Logger, type StatusCode } from '@car-check/service-kit';
import { authorizeSubscription } from '../auth/authorizeOperation';
import { TokenRejected, type TokenVerifier } from '../auth/tokenVerifier';
import type { GatewayContext } from '../context';
import type { ExecutionRequest, Executor, ExecutorLayer } from '../execution/executor';
import type { PlanRunner } from '../execution/planner';
import type { GraphQLBody, Sent, StreamEvent } from '../subgraphClient/fetch';
import type { ServedSchema } from '../supergraph/servedSchema';

/** One message for the client: a result (an event's, or the final error), with the cursor to resume after it. */
export interface SubscriptionMessage {
  payload: {
    data?: Record<string, unknown> | null;
    errors?: GraphQLFormattedError[];
    extensions?: Record<string, unknown>;
  };
  /** The event's cursor (SSE `id:`); absent on the final error, whose `extensions.cursor` says where to resume. */
  cursor?: string;
  /** The error that ends the subscription (a transport may send it as its own kind of error). */
  final?: boolean;
}

/** What a subscription needs of the gateway: its current planner, subgraphs, rules and token verifier. */
export interface SubscriptionServices {
  /** The planner of the supergraph served now (rebuilt on every reload). */
  runner(): PlanRunner | undefined;
  /** Apollo Gateway's data sources (the subgraph client), by subgraph name; they also open streams. */
  subgraphs(): Readonly<Record<string, SubgraphSource>>;
  served(): ServedSchema | undefined;
  /** The executor layers (authorization) that each event goes through, as a query would. */
  layers: readonly ExecutorLayer[];
  verifier: Pick<TokenVerifier, 'verify'>;
  log: Logger;
}

/** A subgraph's data source: what the plan fetches through, and its streams (SubgraphDataSource). */
export interface SubgraphSource extends GraphQLDataSource {
  openStream(
    context: GatewayContext,
    request: { query: string; variables?: Record<string, unknown>; operationName?: string },
    lastEventId: string | undefined,
  ): Promise<Sent>;
}

export interface SubscriptionSettings {
  /** Events waiting for a slow client; past it the subscription ends with RESOURCE_EXHAUSTED. */
  bufferEvents: number;
  /** How often the caller's token is checked again (revocation, expiry). */
  authRecheckMs: number;
  /** How long the gateway tries to reopen a subgraph's stream that dropped before it gives up (UNAVAILABLE). */
  reconnectForMs: number;
}

/** One admitted subscription request, as the request path established it. */
export interface SubscriptionRequest {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationName?: string;
  variables: Record<string, unknown>;
  /** The operation's text and its hash (Apollo's request context carries them). */
  source: string;
  queryHash: string;
  context: GatewayContext;
  /** The bearer token, checked again every `authRecheckMs`; undefined for an anonymous caller. */
  token?: string;
  /** Resume after this cursor (SSE `Last-Event-ID`); the `after:` argument goes to the subgraph as written. */
  lastEventId?: string;
}

/** Codes of a subgraph's stream errors after which the gateway reopens the stream rather than end the subscription. */
const TRANSIENT = new Set(['UNAVAILABLE', 'RESOURCE_EXHAUSTED']);

function transient(errors: readonly GraphQLFormattedError[]): boolean {
  return errors.length > 0 && errors.every((error) => TRANSIENT.has(String(error.extensions?.code)));
}

/** The plan's stand-in for the subgraph that owns the subscription field: it answers with the current event. */
const EVENT_SOURCE = '__subscription_event__';

/** Apollo's request context asks for a cache; a subscription's events never read one. */
const NO_CACHE = {
  get: async () => undefined,
  set: async () => undefined,
  delete: async () => true,
};

/**
 * One subscription through the gateway. Its plan is Apollo's own:
 * `Subscription { primary, rest }`. The primary fetch is opened once as the
 * owning subgraph's event stream (through the subgraph client: signed,
 * traced); each event then runs `Sequence [primary, rest]` with the primary
 * answered by the event itself, through the executor layers (authorization)
 * and Apollo Gateway's `executeQueryPlan`, so the entity fields of other
 * subgraphs are fetched and shaped as for a query.
 *
 * It is an async iterable of messages for one transport. It ends: when the
 * subgraph completes the stream; with a coded error (and `extensions.cursor`,
 * the cursor to resume after) when the client falls `bufferEvents` behind
 * (RESOURCE_EXHAUSTED), when the token stops being valid (UNAUTHENTICATED),
 * when the subgraph stays unreachable (UNAVAILABLE) or on a graceful shutdown
 * (UNAVAILABLE); or silently when the transport stops reading (client gone).
 * A dropped stream is reopened with `Last-Event-ID` = the last cursor
 * received. A supergraph reload re-plans `rest` for the next event; the
 * subgraph's stream is kept.
 */
export class Subscription implements AsyncIterable<SubscriptionMessage> {
  private readonly queue: SubscriptionMessage[] = [];
  private wake?: () => void;
  private ended = false;
  /** The last cursor handed to the transport, and the last one queued. */
  private delivered?: string;
  private queued?: string;
  private readonly abort = new AbortController();
  private recheck?: NodeJS.Timeout;
  private readonly executor: Executor;
  /** The data of the event being executed: what the primary fetch's stand-in answers. */
  private event?: GraphQLBody;
  private readonly finished: Promise<void>;
  private markFinished!: () => void;

  private readonly request: SubscriptionRequest;

  constructor(
    request: SubscriptionRequest,
    private readonly services: SubscriptionServices,
    private readonly settings: SubscriptionSettings,
    private readonly onEnd: () => void,
  ) {
    // Its subgraph calls stop when it ends (not at a request deadline: it has none).
    this.request = { ...request, context: { ...request.context, signal: this.abort.signal } };
    this.delivered = request.lastEventId;
    this.queued = request.lastEventId;
    this.finished = new Promise((resolve) => (this.markFinished = resolve));
    const loaded = () => {
      const served = services.served();
      if (!served) throw new Error('a subscription ran before the gateway loaded a supergraph');
      return served;
    };
    this.executor = services.layers.reduceRight<Executor>(
      (next, layer) => layer.wrap(next, loaded),
      (requestContext) => this.executeEvent(requestContext),
    );
  }

  /** Aborted when the subscription ends for any reason: its subgraph streams and fetches stop with it. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Starts reading the subgraph's stream (and checking the token). */
  start(): this {
    if (this.request.token !== undefined) {
      this.recheck = setInterval(() => void this.checkToken(), this.settings.authRecheckMs);
      this.recheck.unref();
    }
    this.run().catch((error: unknown) => {
      this.services.log.error({ err: error, requestId: this.request.context.requestId }, 'subscription failed');
      this.fail('INTERNAL', 'The subscription failed. Quote the request id when reporting it.');
    });
    return this;
  }

  /** Ends the subscription with a coded error that carries the cursor to resume after (graceful shutdown, ...). */
  end(code: StatusCode, message: string): Promise<void> {
    this.fail(code, message);
    return this.finished;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<SubscriptionMessage> {
    try {
      for (;;) {
        const next = this.queue.shift();
        if (next) {
          if (next.cursor !== undefined) this.delivered = next.cursor;
          yield next;
          continue;
        }
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      // The transport stopped reading: its client is gone, or everything was delivered.
      this.close();
      this.markFinished();
    }
  }

  /** The client went away: stops at once, delivers nothing more. */
  cancel(): void {
    this.queue.length = 0;
    this.close();
  }

  private async run(): Promise<void> {
    if (!this.services.served() || !this.services.runner())
      return this.fail('UNAVAILABLE', 'The gateway has not loaded its supergraph yet; retry shortly.');
    await this.follow();
  }

  /**
   * The primary fetch of the subscription's plan under the supergraph served
   * now (authorized for its caller; plans and authorizations are cached, so
   * this is cheap per event), or null when the caller may not read the
   * subscription field any more (the subscription has then ended).
   */
  private primary(): FetchNode | null {
    const { request, services } = this;
    const served = services.served();
    const runner = services.runner();
    if (!served || !runner) throw new Error('a subscription ran before the gateway loaded a supergraph');
    const authorized = authorizeSubscription(
      request.document,
      request.operationName,
      request.operation,
      served,
      request.context.caller,
    );
    if (authorized.rootDenied.length > 0) {
      this.finish({ errors: authorized.rootDenied.map((error) => this.formatted(error.toJSON(), error)) });
      return null;
    }
    const plan = runner.plan(authorized.document, request.operationName);
    if (plan.node?.kind !== 'Subscription') throw new Error('the plan of a subscription has no Subscription node');
    return plan.node.primary;
  }

  /**
   * Reads the primary fetch's stream, reopening it after the last cursor
   * received when it drops, or when a supergraph reload changed the primary
   * fetch itself (another selection, another subgraph): the event that found
   * the change is not executed, and comes again through the new stream.
   */
  private async follow(): Promise<void> {
    const { request, services, settings } = this;
    let droppedAt: number | undefined;
    let attempt = 0;
    while (!this.ended) {
      const primary = this.primary();
      if (!primary) return;
      const subgraph = services.subgraphs()[primary.serviceName];
      if (!subgraph) throw new Error(`no client for the subgraph ${primary.serviceName}`);
      const variables = Object.fromEntries(
        (primary.variableUsages ?? []).flatMap((name) =>
          name in request.variables ? [[name, request.variables[name]]] : [],
        ),
      );
      const sent = await subgraph.openStream(
        request.context,
        { query: primary.operation, variables, operationName: primary.operationName },
        this.queued,
      );
      if (this.ended) {
        if (sent.kind === 'streaming') sent.close();
        return;
      }
      if (sent.kind === 'answered') {
        // A refusal (signature, validation, authentication) is final, as the subgraph says;
        // an instance shutting down (UNAVAILABLE) is not: another one, or this one restarted, answers.
        const errors = sent.graphql?.errors ?? [];
        if (errors.length > 0 && !transient(errors)) {
          return this.finish({ errors: errors.map((error) => this.formatted(error, error)) });
        }
      } else if (sent.kind === 'streaming') {
        this.abort.signal.addEventListener('abort', () => sent.close(), { once: true });
        for await (const event of sent.events) {
          if (this.ended) return;
          const now = this.primary();
          if (!now) return;
          if (now.serviceName !== primary.serviceName || now.operation !== primary.operation) break;
          const outcome = await this.onEvent(event);
          if (outcome === 'done') return;
          if (outcome === 'reopen') break;
          droppedAt = undefined;
          attempt = 0;
        }
        sent.close();
      } else if (sent.kind === 'cancelled') {
        return;
      }
      // Dropped, unreachable (a subgraph restarting) or re-planned: reopen after the last cursor, for a while.
      droppedAt ??= Date.now();
      if (Date.now() - droppedAt > settings.reconnectForMs) {
        return this.fail('UNAVAILABLE', `The ${primary.serviceName} service is unavailable; resume from the cursor.`);
      }
      services.log.info(
        { subgraph: primary.serviceName, requestId: request.context.requestId, cursor: this.queued },
        'reopening a subscription stream',
      );
      attempt += 1;
      await delay(Math.min(100 * 2 ** attempt, 2_000), undefined, { signal: this.abort.signal, ref: false }).catch(
        () => undefined,
      );
    }
  }

  /**
   * One event of the subgraph's stream: executed and queued; or the
   * subscription's end (an error the subgraph says is final); or the end of
   * this stream only, to reopen after the last cursor: a `complete` (the
   * subgraph instance is shutting down: a stream of changes never ends by
   * itself) or a transient error (UNAVAILABLE, or RESOURCE_EXHAUSTED when the
   * gateway fell behind the subgraph).
   */
  private async onEvent(event: StreamEvent): Promise<'more' | 'done' | 'reopen'> {
    if (event.event === 'complete') return 'reopen';
    if (event.event !== 'next') return 'more';
    let body: GraphQLBody;
    try {
      body = JSON.parse(event.data) as GraphQLBody;
    } catch {
      this.services.log.warn({ requestId: this.request.context.requestId }, 'subscription event is not JSON');
      return 'more';
    }
    if (!body.data) {
      const errors = body.errors ?? [];
      if (transient(errors)) return 'reopen';
      // An error that ends the subscription (bad cursor, OUT_OF_RANGE, ...): passed on with its code.
      this.finish({ errors: errors.map((error) => this.formatted(error, error)) });
      return 'done';
    }
    this.event = body;
    const result = await this.executor(this.eventRequest());
    this.event = undefined;
    this.push({
      payload: {
        data: result.data ?? null,
        ...(result.errors?.length
          ? { errors: result.errors.map((error) => this.formatted(error.toJSON(), error)) }
          : {}),
        extensions: { ...result.extensions, ...(event.id !== undefined ? { cursor: event.id } : {}) },
      },
      cursor: event.id,
    });
    return 'more';
  }

  /** The request context of one event, as Apollo Server would give a query's to the executor. */
  private eventRequest(): ExecutionRequest {
    const { request, services } = this;
    return {
      request: { query: request.source, variables: request.variables, operationName: request.operationName },
      logger: services.log,
      schema: services.runner()?.schema ?? services.served()!.schema,
      schemaHash: '' as GatewaySchemaHash,
      // Each event's subgraph calls are its own (the subscription's log line would grow without end).
      context: { ...request.context, subgraphCalls: [] },
      cache: NO_CACHE,
      queryHash: request.queryHash,
      document: request.document,
      source: request.source,
      operationName: request.operationName ?? null,
      operation: request.operation,
      metrics: {},
      overallCachePolicy: {},
    };
  }

  /** The innermost executor of an event: `Sequence [primary answered by the event, rest]`, planned now. */
  private executeEvent(requestContext: ExecutionRequest): Promise<GatewayExecutionResult> {
    const runner = this.services.runner();
    if (!runner) throw new Error('a subscription event arrived before the gateway loaded a supergraph');
    // Planned by the current supergraph's planner: after a reload, `rest` is the new plan's.
    const node = runner.plan(requestContext.document, requestContext.operationName).node;
    if (node?.kind !== 'Subscription') throw new Error('the plan of a subscription has no Subscription node');
    const primary: FetchNode = { ...node.primary, serviceName: EVENT_SOURCE };
    const plan: QueryPlan = {
      kind: 'QueryPlan',
      node: node.rest ? { kind: 'Sequence', nodes: [primary, node.rest] } : primary,
    };
    const event = this.event;
    const source: GraphQLDataSource = {
      process: async () => ({ data: event?.data ?? null, ...(event?.errors ? { errors: event.errors } : {}) }),
    };
    return runner.execute(plan, { ...this.services.subgraphs(), [EVENT_SOURCE]: source }, requestContext);
  }

  private async checkToken(): Promise<void> {
    const { token, context } = this.request;
    if (token === undefined || this.ended) return;
    try {
      await this.services.verifier.verify(token, context.caller.clientIp, context.traceContext);
    } catch (error) {
      // Only a token known bad ends it: a user service that cannot answer now is asked again.
      if (error instanceof TokenRejected) {
        this.fail(
          'UNAUTHENTICATED',
          'The access token is invalid, expired or revoked; sign in and resume from the cursor.',
        );
      }
    }
  }

  private push(message: SubscriptionMessage): void {
    if (this.ended) return;
    if (this.queue.length >= this.settings.bufferEvents) {
      // Never dropped silently: the events not yet delivered are sent again after the resume.
      this.queue.length = 0;
      this.queued = this.delivered;
      this.fail(
        'RESOURCE_EXHAUSTED',
        `The client fell ${this.settings.bufferEvents} events behind; resume from the cursor.`,
      );
      return;
    }
    this.queue.push(message);
    if (message.cursor !== undefined) this.queued = message.cursor;
    this.wake?.();
  }

  /** Ends with one coded error that names the cursor to resume after. */
  /** An error as the client sees it: coded and masked as a query's (formatError), with this subscription's ids. */
  private formatted(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
    const { requestId, traceId } = this.request.context;
    const shaped = formatError(formatted, error);
    return { ...shaped, extensions: { ...shaped.extensions, requestId, ...(traceId ? { traceId } : {}) } };
  }

  private fail(code: StatusCode, message: string): void {
    const { requestId, traceId } = this.request.context;
    if (!this.ended) this.services.log.info({ requestId, traceId, code, cursor: this.queued }, 'subscription ended');
    this.finish({
      errors: [
        {
          message,
          extensions: {
            ...errorExtensions(code, requestId, traceId),
            ...(this.queued !== undefined ? { cursor: this.queued } : {}),
          },
        },
      ],
    });
  }

  /** Queues the last message (if any) and ends: the transport delivers what is queued, then completes. */
  private finish(last?: SubscriptionMessage['payload']): void {
    if (this.ended) return;
    if (last) this.queue.push({ payload: last, final: true });
    this.close();
  }

  private close(): void {
    if (!this.ended) {
      this.ended = true;
      clearInterval(this.recheck);
      this.abort.abort();
      this.onEnd();
    }
    this.wake?.();
  }
}
