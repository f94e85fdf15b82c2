import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { Kind } from 'graphql';
import type { StatusCode } from '@car-check/service-kit';
import { type GatewayContext, isGatewayContext, takePrefetched } from '../context';
import { fieldErrorsForFailedFetch } from '../fieldErrors';
import type { GatewayEntityCache } from '../entityCache/gatewayCache';
import { subgraphClient } from './client';
import { EntityFetchBatcher } from './entityBatch/batcher';
import type { Sent, SubgraphClient, SubgraphTarget } from './fetch';

type FetchRequest = GraphQLDataSourceProcessOptions<GatewayContext>;

/**
 * Apollo Gateway's data source for one subgraph: a thin adapter from Apollo's
 * fetch to the subgraph client (client.ts, its layers in layers.ts). Unlike
 * Apollo's RemoteGraphQLDataSource it never throws: a subgraph that is down,
 * too slow, or answers with something that is not GraphQL yields per-field
 * errors (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED) that the gateway places on
 * the fields that needed it, while the rest of the response is served.
 * Upstream bodies are logged, never forwarded.
 */
export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  private readonly client: SubgraphClient;
  /** Merges a request's `_entities` fetches of one plan stage (SubgraphTarget.mergeFetches). */
  private readonly batcher?: EntityFetchBatcher;

  constructor(
    private readonly subgraph: SubgraphTarget,
    /** The entity cache (docs/entity-cache.md), when ENTITY_CACHE is on. */
    private readonly entityCache?: GatewayEntityCache,
  ) {
    this.client = subgraphClient(subgraph);
    if (subgraph.mergeFetches) this.batcher = new EntityFetchBatcher(this.client.send, subgraph.mergeFetches);
  }

  async process(request: FetchRequest): Promise<GatewayGraphQLResponse> {
    const { query, variables, operationName } = request.request;
    // Health checks and schema loads carry no request context.
    const context = isGatewayContext(request.context) ? request.context : undefined;
    const prefetched =
      context?.prefetched?.length && takePrefetched(context.prefetched, this.subgraph.name, query, variables);
    if (prefetched) return prefetched;
    const mutation = isMutation(request);
    if (this.entityCache && context && query && variables && !mutation) {
      const lookup = await this.entityCache.cache.lookup(
        this.subgraph.name,
        { query, variables, operationName },
        context,
      );
      if (lookup) {
        if (!lookup.remaining) return lookup.complete(null);
        const sent = await this.send(context, lookup.remaining, false);
        return sent.kind === 'answered' && sent.graphql ? lookup.complete(sent.graphql) : this.response(request, sent);
      }
    }
    const sent = await this.send(context, { query: query ?? '', variables, operationName }, mutation);
    // Before answering: this gateway's cache drops what the write changed, and the answer's token covers it.
    if (mutation && context && this.entityCache) await this.entityCache.afterWrite(this.subgraph.name, context);
    return this.response(request, sent);
  }

  /** One fetch to the subgraph: merged with the request's other `_entities` fetches of its stage when it can be. */
  private async send(
    context: GatewayContext | undefined,
    fetch: { query: string; variables?: Record<string, unknown>; operationName?: string },
    mutation: boolean,
  ): Promise<Sent> {
    const { query, variables, operationName } = fetch;
    // The planner writes an `_entities` fetch as a query: a mutation is never one.
    if (this.batcher && context && variables && !mutation) {
      const member = { query, variables, operationName };
      if (this.batcher.accepts(member)) return this.batcher.add(context, member);
    }
    return this.client.send({
      body: JSON.stringify({ query, variables, operationName }),
      operationName,
      mutation,
      context,
      deadlineAt: Number.POSITIVE_INFINITY,
      headers: {},
    });
  }

  /**
   * Opens a subscription's event stream on this subgraph (POST, `Accept:
   * text/event-stream`, `Last-Event-ID` to resume), through the same layers as
   * any fetch: signed, traced, counted. A subgraph that answers without a
   * stream (a refusal) comes back `answered`.
   */
  openStream(
    context: GatewayContext,
    request: { query: string; variables?: Record<string, unknown>; operationName?: string },
    lastEventId: string | undefined,
  ): Promise<Sent> {
    return this.client.send({
      body: JSON.stringify(request),
      operationName: request.operationName,
      mutation: false,
      context,
      deadlineAt: Number.POSITIVE_INFINITY,
      headers: {},
      stream: lastEventId === undefined ? {} : { lastEventId },
    });
  }

  /** Closes the keep-alive connections (the gateway is stopping). */
  close(): Promise<void> {
    return this.client.close();
  }

  private response(request: FetchRequest, sent: Sent): GatewayGraphQLResponse {
    const { name, timeoutMs, log } = this.subgraph;
    const context = isGatewayContext(request.context) ? request.context : undefined;
    const ids = { subgraph: name, requestId: context?.requestId, traceId: context?.traceId };
    switch (sent.kind) {
      case 'answered':
        if (sent.graphql)
          return {
            data: sent.graphql.data ?? undefined,
            errors: sent.graphql.errors,
            extensions: sent.graphql.extensions,
          };
        log.warn({ ...ids, status: sent.status }, 'subgraph answered without GraphQL');
        return failed(request, 'UNAVAILABLE', `The ${name} service is unavailable; retry later.`);
      case 'streaming':
        // Only openStream asks for a stream.
        sent.close();
        return failed(request, 'INTERNAL', `The ${name} service answered a query with a stream.`);
      case 'cancelled':
        return failed(request, 'CANCELLED', 'The client cancelled the request.');
      case 'timed-out':
        log.warn({ ...ids, timeoutMs }, 'subgraph deadline exceeded');
        return failed(request, 'DEADLINE_EXCEEDED', `The ${name} service did not answer within ${timeoutMs} ms.`);
      case 'unreachable':
        log.warn(ids, 'subgraph unreachable');
        return failed(request, 'UNAVAILABLE', `The ${name} service is unavailable; retry later.`);
    }
  }
}

/** Errors on every field the failed fetch was to resolve. */
function failed(request: FetchRequest, code: StatusCode, message: string): GatewayGraphQLResponse {
  const operation = 'document' in request && request.document ? request.document : (request.request.query ?? '');
  return { errors: fieldErrorsForFailedFetch(operation, request.request.variables, code, message) };
}

function isMutation(request: FetchRequest): boolean {
  if ('document' in request && request.document) {
    return request.document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && d.operation === 'mutation');
  }
  // The planner writes each fetch as one operation that starts with its type.
  return /^\s*mutation\b/.test(request.request.query ?? '');
}
