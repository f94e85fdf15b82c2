import { setMaxListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { GraphQLDataSource } from '@apollo/gateway';
import type { FetchNode, QueryPlan } from '@apollo/query-planner';
import type { GatewayExecutionResult } from '@apollo/server-gateway-interface';
import type { GraphQLFormattedError } from 'graphql';
import type { StatusCode } from '@car-check/service-kit';
import { authorizeSubscription } from '../auth/authorizeOperation';
import type { ExecutionRequest, Executor } from '../execution/executor';
import { runnerRequest } from '../execution/planner';
import type { GraphQLBody, StreamEvent } from '../subgraphClient/fetch';
import type {
  Subscription,
  SubscriptionMessage,
  SubscriptionRequest,
  SubscriptionServices,
  SubscriptionSettings,
} from './subscription';

/** One event of a feed, executed once: what each member formats for its own client. */
export interface FeedEvent {
  result: GatewayExecutionResult;
  /** The event's cursor (SSE `id:`). */
  cursor?: string;
  /** The message every member sends when the result has no errors (errors carry each member's request id). */
  message?: SubscriptionMessage;
}

/** The message of a result without errors, the same for every member. */
function sharedMessage(result: GatewayExecutionResult, cursor: string | undefined): SubscriptionMessage {
  return {
    payload: {
      data: result.data ?? null,
      extensions: { ...result.extensions, ...(cursor !== undefined ? { cursor } : {}) },
    },
    cursor,
  };
}

/** An error that ends every member: as the subgraph or authorization gave it (each member formats it). */
export interface FeedError {
  formatted: GraphQLFormattedError;
  error: unknown;
}

/** Codes of a subgraph's stream errors after which the gateway reopens the stream rather than end the subscription. */
const TRANSIENT = new Set(['UNAVAILABLE', 'RESOURCE_EXHAUSTED']);

function transient(errors: readonly GraphQLFormattedError[]): boolean {
  return errors.length > 0 && errors.every((error) => TRANSIENT.has(String(error.extensions?.code)));
}

/**
 * Events of one feed executing at once: enough to overlap the subgraph fetches of a burst of
 * changes, few enough that a stalled subgraph holds a bounded number of them.
 */
const MAX_IN_FLIGHT = 32;

/** The plan's stand-in for the subgraph that owns the subscription field: it answers with the current event. */
const EVENT_SOURCE = '__subscription_event__';

/**
 * The upstream side of one or more identical subscriptions (same document,
 * variables and authorization scope, see sharingKey.ts): ONE stream from the
 * owning subgraph and ONE execution of the plan per event, whose result is
 * handed to each member (a Subscription: its own bounded buffer, token and
 * limits). Its plan is Apollo's own: `Subscription { primary, rest }`. The
 * primary fetch is opened as the owning subgraph's event stream (through the
 * subgraph client: signed, traced, as the first member's caller); each event
 * then runs `Sequence [primary, rest]` with the primary answered by the event
 * itself, through the executor layers (authorization) and Apollo Gateway's
 * `executeQueryPlan`, so the entity fields of other subgraphs are fetched and
 * shaped as for a query. Up to MAX_IN_FLIGHT events execute at once (a burst
 * of changes does not queue behind each event's fetches); members get them in
 * the stream's order.
 *
 * A dropped stream is reopened with `Last-Event-ID` = the last cursor
 * received. A supergraph reload re-plans `rest` for the next event; the
 * subgraph's stream is kept. The feed stops its stream when its last member
 * leaves; an error that ends the stream (a final subgraph error, a subgraph
 * unreachable past `reconnectForMs`) ends every member, each with its own cursor.
 */
export class SubscriptionFeed {
  private readonly members = new Set<Subscription>();
  private readonly abort = new AbortController();
  private readonly request: SubscriptionRequest;
  /** The last cursor received: where a reopened stream resumes. */
  private cursor?: string;
  /** The executions of events under way, chained so that members get them in the stream's order. */
  private delivered: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private ended = false;
  private started = false;

  constructor(
    request: SubscriptionRequest,
    private readonly services: SubscriptionServices,
    private readonly settings: Pick<SubscriptionSettings, 'reconnectForMs'>,
    /** Called once, when the feed stops (last member left, or its stream ended them all). */
    private readonly onEnd: () => void,
  ) {
    // Its subgraph calls stop when it ends (not at a request deadline: it has none).
    this.request = { ...request, context: { ...request.context, signal: this.abort.signal } };
    // Each subgraph fetch of an event listens to it, and up to MAX_IN_FLIGHT events execute at once.
    setMaxListeners(MAX_IN_FLIGHT * 8, this.abort.signal);
    this.cursor = request.lastEventId;
  }

  /** Members it serves now. */
  get size(): number {
    return this.members.size;
  }

  /** Aborted when the feed stops: its subgraph stream and fetches stop with it. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  join(member: Subscription): void {
    if (this.ended) throw new Error('a subscription joined a feed that has stopped');
    this.members.add(member);
  }

  /** A member ended (for any reason): the last one out stops the stream. */
  leave(member: Subscription): void {
    this.members.delete(member);
    if (this.members.size === 0) this.stop();
  }

  /** Starts reading the subgraph's stream, once its first member joined (a later call does nothing). */
  start(): this {
    if (this.started) return this;
    this.started = true;
    this.run().catch((error: unknown) => {
      this.services.log.error({ err: error, requestId: this.request.context.requestId }, 'subscription feed failed');
      this.failAll('INTERNAL', 'The subscription failed. Quote the request id when reporting it.');
    });
    return this;
  }

  private async run(): Promise<void> {
    if (!this.services.served() || !this.services.runner())
      return this.failAll('UNAVAILABLE', 'The gateway has not loaded its supergraph yet; retry shortly.');
    await this.follow();
  }

  /**
   * The primary fetch of the subscription's plan under the supergraph served
   * now (authorized for its members' scope; plans and authorizations are
   * cached, so this is cheap per event), or null when they may not read the
   * subscription field any more (the members have then ended).
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
      this.finishAll(authorized.rootDenied.map((error) => ({ formatted: error.toJSON(), error })));
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
        this.cursor,
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
          return this.finishAll(errors.map((error) => ({ formatted: error, error })));
        }
      } else if (sent.kind === 'streaming') {
        this.abort.signal.addEventListener('abort', () => sent.close(), { once: true });
        for await (const event of sent.events) {
          if (this.ended) return;
          // Bounded: past MAX_IN_FLIGHT executions, the stream is read again once they are delivered.
          if (this.inFlight >= MAX_IN_FLIGHT) await this.delivered;
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
        await this.delivered;
        return this.failAll(
          'UNAVAILABLE',
          `The ${primary.serviceName} service is unavailable; resume from the cursor.`,
        );
      }
      services.log.info(
        { subgraph: primary.serviceName, requestId: request.context.requestId, cursor: this.cursor },
        'reopening a subscription stream',
      );
      attempt += 1;
      await delay(Math.min(100 * 2 ** attempt, 2_000), undefined, { signal: this.abort.signal, ref: false }).catch(
        () => undefined,
      );
    }
  }

  /**
   * One event of the subgraph's stream: executed once and handed to every
   * member; or the members' end (an error the subgraph says is final); or the
   * end of this stream only, to reopen after the last cursor: a `complete`
   * (the subgraph instance is shutting down: a stream of changes never ends
   * by itself) or a transient error (UNAVAILABLE, or RESOURCE_EXHAUSTED when
   * the gateway fell behind the subgraph).
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
      // An error that ends the subscription (bad cursor, OUT_OF_RANGE, ...): passed on with its code,
      // after the events before it.
      await this.delivered;
      this.finishAll(errors.map((error) => ({ formatted: error, error })));
      return 'done';
    }
    // Executed now, while earlier events may still be executing (their subgraph fetches overlap);
    // handed to the members in the stream's order.
    const executing = this.executorFor(body)(this.eventRequest());
    if (event.id !== undefined) this.cursor = event.id;
    const cursor = event.id;
    this.inFlight += 1;
    this.delivered = Promise.all([this.delivered, executing]).then(
      ([, result]) => {
        this.inFlight -= 1;
        const executed: FeedEvent = {
          result,
          ...(cursor !== undefined ? { cursor } : {}),
          // Nothing in it is a member's own: one message for all of them (serialized once, payloadJson.ts).
          ...(result.errors?.length ? {} : { message: sharedMessage(result, cursor) }),
        };
        // A copy: a member that ends while it is handed the event leaves the set.
        for (const member of [...this.members]) member.deliver(executed);
      },
      (error: unknown) => {
        this.inFlight -= 1;
        this.services.log.error({ err: error, requestId: this.request.context.requestId }, 'subscription event failed');
        this.failAll('INTERNAL', 'The subscription failed. Quote the request id when reporting it.');
      },
    );
    return 'more';
  }

  /** The executor of one event: the executor layers (authorization) around `executeEvent`, answering with it. */
  private executorFor(event: GraphQLBody): Executor {
    const loaded = () => {
      const served = this.services.served();
      if (!served) throw new Error('a subscription ran before the gateway loaded a supergraph');
      return served;
    };
    return this.services.layers.reduceRight<Executor>(
      (next, layer) => layer.wrap(next, loaded),
      (requestContext) => this.executeEvent(requestContext, event),
    );
  }

  /** The request context of one event, as Apollo Server would give a query's to the executor. */
  private eventRequest(): ExecutionRequest {
    const { request, services } = this;
    const schema = services.runner()?.schema ?? services.served()!.schema;
    // Each event's subgraph calls are its own (the feed's log line would grow without end).
    return runnerRequest(request, { ...request.context, subgraphCalls: [] }, schema, services.log);
  }

  /** The innermost executor of an event: `Sequence [primary answered by the event, rest]`, planned now. */
  private executeEvent(requestContext: ExecutionRequest, event: GraphQLBody): Promise<GatewayExecutionResult> {
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
    const source: GraphQLDataSource = {
      process: async () => ({ data: event.data ?? null, ...(event.errors ? { errors: event.errors } : {}) }),
    };
    return runner.execute(plan, { ...this.services.subgraphs(), [EVENT_SOURCE]: source }, requestContext);
  }

  /** Ends every member with the same errors (each formats them with its own ids), and stops. */
  private finishAll(errors: FeedError[]): void {
    for (const member of [...this.members]) member.finishWith(errors);
    this.stop();
  }

  /** Ends every member with one coded error and its own cursor, and stops. */
  private failAll(code: StatusCode, message: string): void {
    for (const member of [...this.members]) member.fail(code, message);
    this.stop();
  }

  private stop(): void {
    if (this.ended) return;
    this.ended = true;
    this.abort.abort();
    this.onEnd();
  }
}
