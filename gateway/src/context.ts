import type { Context } from '@opentelemetry/api';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { CallerIdentity, SubgraphCall } from '@car-check/service-kit';

/** What the gateway knows about the request it serves. */
export interface GatewayContext {
  /** The gateway's own id of this request: unique, passed (signed) to every subgraph call. */
  requestId: string;
  /** The request id the client sent (x-request-id), if any: logged and audited as given, never used as an id. */
  clientRequestId?: string;
  /** The request's trace id (the client's `traceparent`, or a new trace); undefined only when tracing is disabled. */
  traceId?: string;
  /** The request's server span, parent of its subgraph fetches when no span is active (nothing records). */
  traceContext?: Context;
  /** Who the caller is, established from their bearer token (or anonymous). */
  caller: CallerIdentity;
  /** Aborted when the client goes away or the request's deadline passes: in-flight subgraph calls stop with it. */
  signal: AbortSignal;
  /** When the gateway stops waiting for subgraphs (ms since the epoch); passed on to them, signed. */
  deadline: number;
  /** The client's Idempotency-Key: passed (signed) with each mutation to its subgraph. */
  idempotencyKey: string | null;
  /** Each subgraph call made for this request, for its log line. */
  subgraphCalls: SubgraphCall[];
  /**
   * The client's consistency token (Consistency-Token): per owner, the feed position its own
   * writes reached. The entity cache serves an owner's entities only once it has applied that far.
   */
  readAfter?: ReadonlyMap<string, number>;
  /** Per owner, the position after this request's own writes: the token its answer carries. */
  written?: Map<string, number>;
  /** How old (ms) the oldest entity the cache served this request is: the answer's `Age`. */
  cacheAge?: number;
  /**
   * The subgraphs' answers to the fetches the gateway's own plan executor already made, and
   * left to Apollo to shape (pipeline/planAnswers.ts): the subgraph client hands each to
   * Apollo's executor, once, for that very fetch, instead of calling the subgraph again.
   */
  prefetched?: PrefetchedFetch[];
}

/** One fetch made, and its answer: taken by the fetch of the same subgraph, text and variables. */
export interface PrefetchedFetch {
  subgraph: string;
  query: string;
  variables: Record<string, unknown>;
  response: GatewayGraphQLResponse;
}

/**
 * The answer to this very fetch (the same subgraph, text and variables) among `prefetched`,
 * taken out of the list; undefined when it was not made.
 */
export function takePrefetched(
  prefetched: PrefetchedFetch[],
  subgraph: string,
  query: string | undefined,
  variables: Record<string, unknown> | undefined,
): GatewayGraphQLResponse | undefined {
  let json: string | undefined;
  const index = prefetched.findIndex(
    (fetch) =>
      fetch.subgraph === subgraph &&
      fetch.query === query &&
      (json ??= JSON.stringify(variables ?? {})) === JSON.stringify(fetch.variables),
  );
  return index < 0 ? undefined : prefetched.splice(index, 1)[0]!.response;
}

/** The request path's context (health checks and schema loads carry none). */
export function isGatewayContext(value: unknown): value is GatewayContext {
  return typeof value === 'object' && value !== null && 'requestId' in value && 'caller' in value;
}
