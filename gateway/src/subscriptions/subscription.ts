import type { GraphQLDataSource } from '@apollo/gateway';
import type { DocumentNode, GraphQLFormattedError, OperationDefinitionNode } from 'graphql';
import { errorExtensions, formatError, type Logger, type StatusCode } from '@car-check/service-kit';
import type { TokenVerifier } from '../auth/tokenVerifier';
import type { GatewayContext } from '../context';
import type { ExecutorLayer } from '../execution/executor';
import type { PlanRunner } from '../execution/planner';
import type { Sent } from '../subgraphClient/fetch';
import type { ServedSchema } from '../supergraph/servedSchema';
import type { FeedError, FeedEvent } from './feed';

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
  /**
   * Types whose fields answer differently for each caller, not only for each kind of caller
   * (`@cacheEntity(perCaller: true)`): a subscription that selects one is shared only with
   * the same caller's (sharingKey.ts).
   */
  perCallerTypes(): ReadonlySet<string>;
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

/**
 * One client's subscription through the gateway: what a transport reads. The
 * upstream stream and the execution of each event belong to its feed
 * (feed.ts), which it may share with identical subscriptions; what is its own
 * is a bounded buffer of messages for its client, formatted with its own
 * request id, and its end.
 *
 * It is an async iterable of messages for one transport. It ends: when the
 * subgraph completes the stream; with a coded error (and `extensions.cursor`,
 * the cursor to resume after) when the client falls `bufferEvents` behind
 * (RESOURCE_EXHAUSTED), when the token stops being valid (UNAUTHENTICATED,
 * from tokenRechecks.ts), when the subgraph stays unreachable (UNAVAILABLE)
 * or on a graceful shutdown (UNAVAILABLE); or silently when the transport
 * stops reading (client gone). Whatever ends it, it leaves its feed.
 */
export class Subscription implements AsyncIterable<SubscriptionMessage> {
  private readonly queue: SubscriptionMessage[] = [];
  private wake?: () => void;
  private ended = false;
  /** The last cursor handed to the transport, and the last one queued. */
  private delivered?: string;
  private queued?: string;
  private readonly finished: Promise<void>;
  private markFinished!: () => void;

  constructor(
    /** Its request's ids (requestId, traceId) go on every error it sends. */
    private readonly context: Pick<GatewayContext, 'requestId' | 'traceId'>,
    lastEventId: string | undefined,
    private readonly settings: Pick<SubscriptionSettings, 'bufferEvents'>,
    private readonly log: Logger,
    private readonly onEnd: () => void,
  ) {
    this.delivered = lastEventId;
    this.queued = lastEventId;
    this.finished = new Promise((resolve) => (this.markFinished = resolve));
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

  /** An event its feed executed, formatted for this client and queued (or its end, if the client fell behind). */
  deliver({ result, cursor, message }: FeedEvent): void {
    if (message) return this.push(message);
    this.push({
      payload: {
        data: result.data ?? null,
        ...(result.errors?.length
          ? { errors: result.errors.map((error) => this.formatted(error.toJSON(), error)) }
          : {}),
        extensions: { ...result.extensions, ...(cursor !== undefined ? { cursor } : {}) },
      },
      cursor,
    });
  }

  /** Ends with errors its feed met (a final subgraph error, a root field it may no longer read). */
  finishWith(errors: readonly FeedError[]): void {
    this.finish({ errors: errors.map(({ formatted, error }) => this.formatted(formatted, error)) });
  }

  /** Ends with one coded error that names the cursor to resume after. */
  fail(code: StatusCode, message: string): void {
    const { requestId, traceId } = this.context;
    if (!this.ended) this.log.info({ requestId, traceId, code, cursor: this.queued }, 'subscription ended');
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

  /** An error as the client sees it: coded and masked as a query's (formatError), with this subscription's ids. */
  private formatted(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
    const { requestId, traceId } = this.context;
    const shaped = formatError(formatted, error);
    return { ...shaped, extensions: { ...shaped.extensions, requestId, ...(traceId ? { traceId } : {}) } };
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
      this.onEnd();
    }
    this.wake?.();
  }
}
