import type { Span } from '@opentelemetry/api';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { type Logger, outcomeOf, type ServiceMetrics } from '@car-check/service-kit';
import type { GatewayContext } from '../context';

/** One subgraph the client calls, and what its layers need to know about it. */
export interface SubgraphTarget {
  name: string;
  url: URL;
  /** The subgraph's deadline: past it, its fields fail with DEADLINE_EXCEEDED. */
  timeoutMs: number;
  log: Logger;
  /** Signs the caller's identity for the subgraph (shared with every subgraph). */
  signingSecret: Buffer;
  metrics?: ServiceMetrics;
  /** Share identical query fetches in flight (outbound deduplication): the gateway's DEDUPLICATE_QUERIES. */
  deduplicate?: boolean;
  /**
   * Merge one request's `_entities` fetches of one plan stage into one call
   * (MERGE_ENTITY_FETCHES), up to this body size (MERGED_FETCH_MAX_BYTES); unset: never.
   */
  mergeFetches?: { maxBodyBytes: number };
}

/**
 * One fetch to a subgraph as it travels down the layers: each layer may read
 * it and fill in what it owns (the deadline, the span, headers) before
 * handing it to the next one.
 */
export interface SubgraphFetch {
  /** The JSON body sent: query, variables and operation name. */
  readonly body: string;
  readonly operationName?: string;
  /** Never retried nor shared: it may have been applied. */
  readonly mutation: boolean;
  /** The gateway request it serves; undefined for health checks and schema loads. */
  readonly context?: GatewayContext;
  /** When to stop waiting (ms since the epoch): set by the deadline layer. */
  deadlineAt: number;
  /** Aborts the call: the request's own signal, or a shared call's (deduplication). */
  signal?: AbortSignal;
  /** The fetch's span while one is recording (span layer). */
  span?: Span;
  /** Headers the layers add (trace context, signature); nothing the client sent is forwarded. */
  headers: Record<string, string>;
  /** How many of Apollo's fetches this one call carries, when it merges several (entityBatch/). */
  merged?: number;
  /**
   * A subscription's event stream (`Accept: text/event-stream`): the call is answered once the
   * stream's headers arrive, its deadline covers only that, and the stream itself has none.
   */
  readonly stream?: { lastEventId?: string };
}

/** One server-sent event of a subgraph's stream (graphql-sse's distinct connections mode). */
export interface StreamEvent {
  event: string;
  /** The event's `id:`, the subgraph's opaque cursor. */
  id?: string;
  data: string;
}

/** The response body when it is GraphQL. */
export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: GatewayGraphQLResponse['errors'];
  extensions?: Record<string, unknown>;
}

/** How one call to a subgraph ended: the client never throws. */
export type Sent =
  | { kind: 'answered'; status: number; graphql: GraphQLBody | null }
  /** A stream opened (fetch.stream): its events until the subgraph ends it or `close()` is called. */
  | { kind: 'streaming'; status: number; events: AsyncIterable<StreamEvent>; close(): void }
  | { kind: 'timed-out' }
  | { kind: 'cancelled' }
  | { kind: 'unreachable' };

export type Send = (fetch: SubgraphFetch) => Promise<Sent>;

/** A client of one subgraph: the plain HTTP call (http.ts), or that call wrapped by the layers (client.ts). */
export interface SubgraphClient {
  send: Send;
  /** Closes the keep-alive connections (the gateway is stopping). */
  close(): Promise<void>;
}

/**
 * One behaviour of the subgraph client (deadline, retry, ...), wrapped around
 * the next layer down to the plain HTTP call. Built once per subgraph.
 */
export interface ClientLayer {
  readonly name: string;
  wrap(next: Send, subgraph: SubgraphTarget): Send;
}

/** The code a call ended with: `OK`, the first GraphQL error's code, or why it got no GraphQL answer. */
export function callOutcome(sent: Sent): string {
  switch (sent.kind) {
    case 'answered':
      return sent.graphql ? outcomeOf(sent.graphql.errors) : 'UNAVAILABLE';
    case 'streaming':
      return 'OK';
    case 'timed-out':
      return 'DEADLINE_EXCEEDED';
    case 'cancelled':
      return 'CANCELLED';
    case 'unreachable':
      return 'UNAVAILABLE';
  }
}
