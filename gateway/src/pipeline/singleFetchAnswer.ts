// Not re-exported by the package's index: the kind of fetch Apollo Gateway's executor makes.
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types';
import { HeaderMap, type HTTPGraphQLResponse } from '@apollo/server';
import { getVariableValues, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import {
  logRequest,
  responseContentType,
  type ResponseMediaType,
  setSpanOutcome,
  statusOfExecutedResult,
  TRACE_ATTRIBUTES,
} from '@car-check/service-kit';
import type { Span } from '@opentelemetry/api';
import { Counter } from 'prom-client';
import type { GatewayContext } from '../context';
import { type PlanRunner, type PlanServices, runnerRequest } from '../execution/planner';
import { answerOf, NOT_AS_IS, singleFetchOf, type SingleFetch } from '../execution/singleFetch';
import type { GraphQLParams } from './readRequest';

/** One admitted query, as the request path established it. */
export interface SingleFetchRequest {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  params: GraphQLParams;
  mediaType: ResponseMediaType;
  context: GatewayContext;
  queryHash: string;
  source: string;
  /** performance.now() when the request arrived. */
  started: number;
  span?: Span;
}

/**
 * Queries whose plan is one fetch answered without Apollo Server's request
 * pipeline and Apollo Gateway's executor (FAST_SINGLE_FETCH): the same fetch,
 * through the same subgraph client (signed, deadline, deduplicated, traced,
 * counted in the log line), and, when its data is already the answer
 * (execution/singleFetch.ts), the answer Apollo Server would have written,
 * byte for byte, with the same status and headers, and the log line, metrics
 * sample and span attributes its plugins would have written (the duration
 * counted from the request's arrival, as for a shared or deferred answer).
 *
 * Everything else goes to Apollo: a plan of several fetches, an operation
 * an executor layer would act on (a field denied to the caller), variables
 * Apollo would refuse, and any fetch whose answer is not the data as is
 * (errors, a null to propagate, a value to drop, a consistency token or
 * cache age to add). A fetch already made is then not made again: its
 * answer waits in the request's context (`prefetched`), and the subgraph
 * client hands it to Apollo's executor when the executor asks for that very
 * fetch, so Apollo shapes it and its errors as always, from one subgraph call.
 */
export class SingleFetchAnswers {
  /**
   * Per document (the documents stage hands out one DocumentNode per text, and bounds how many
   * live): the planner it was worked out for, and by operation name its single fetch, null, or
   * SEEN_ONCE.
   */
  private readonly known = new WeakMap<
    DocumentNode,
    { runner: PlanRunner; byName: Map<string, SingleFetch | null | typeof SEEN_ONCE> }
  >();

  /** Fetches this shortcut made, by who wrote the answer: `answered` here, or `shaped_by_apollo`. */
  private readonly fetches: Counter<'outcome'>;

  constructor(private readonly services: PlanServices) {
    this.fetches = new Counter({
      name: 'gateway_single_fetch_answers_total',
      help: 'Queries planned as one fetch that the gateway fetched without Apollo’s executor, by outcome: answered with the data as is, or shaped_by_apollo (errors, nulls to propagate)',
      labelNames: ['outcome'],
      registers: [services.metrics.registry],
    });
  }

  /** Apollo Server's answer to `request`, made here; undefined when Apollo must make it. */
  async answer(request: SingleFetchRequest): Promise<HTTPGraphQLResponse | undefined> {
    const { services } = this;
    const { context, operation, params } = request;
    // A caller reading its own writes gets its token back in the answer: Apollo's pipeline adds it.
    if (operation.operation !== 'query' || context.readAfter) return undefined;
    const runner = services.runner();
    const served = services.served();
    if (!runner || !served) return undefined;
    const single = this.singleFetchOf(runner, request);
    if (!single) return undefined;
    const source = services.subgraphs()[single.fetch.serviceName];
    if (!source) return undefined;
    const layered = {
      document: request.document,
      operationName: params.operationName,
      operation,
      caller: context.caller,
    };
    if (!services.layers.every((layer) => layer.passesUnchanged?.(layered, served))) return undefined;
    // Apollo Server refuses variables that do not fit their definitions (422): it must say so.
    if (operation.variableDefinitions?.length) {
      const coerced = getVariableValues(runner.schema, operation.variableDefinitions, params.variables, {
        maxErrors: 1,
      });
      if (coerced.errors) return undefined;
    }

    const { fetch } = single;
    // The fetch's variables as Apollo Gateway's executor picks them: the client's, as sent.
    const variables: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const name of fetch.variableUsages ?? []) {
      const value = Object.hasOwn(params.variables, name) ? params.variables[name] : undefined;
      if (value !== undefined) variables[name] = value;
    }
    let response: Awaited<ReturnType<typeof source.process>>;
    try {
      response = await source.process({
        kind: GraphQLDataSourceRequestKind.INCOMING_OPERATION,
        request: { query: fetch.operation, variables, operationName: fetch.operationName },
        incomingRequestContext: runnerRequest(
          { ...request, variables: params.variables, operationName: params.operationName },
          context,
          runner.schema,
          services.log,
        ),
        context,
        document: fetch.operationDocumentNode,
        pathInIncomingRequest: [],
      });
    } catch {
      // The subgraph client answers failures as errors and never throws; were it to, Apollo's
      // executor would report it as a per-field error, so the query goes there.
      return undefined;
    }
    const data =
      !response.errors?.length &&
      context.cacheAge === undefined &&
      // A query writes nothing; were a token ever due, Apollo's pipeline adds it (the consistency stage's plugin).
      !context.written?.size
        ? answerOf(single, response.data)
        : NOT_AS_IS;
    const asIs = data !== NOT_AS_IS;
    this.fetches.inc({ outcome: asIs ? 'answered' : 'shaped_by_apollo' });
    if (!asIs) {
      context.prefetched = { subgraph: fetch.serviceName, query: fetch.operation, response };
      return undefined;
    }

    // What Apollo Server writes for a result without errors, and what its plugins add (server.ts).
    const status = statusOfExecutedResult(false, request.mediaType);
    const operationName = operation.name?.value ?? params.operationName;
    logRequest(services.log, services.metrics, {
      method: params.method,
      operationName,
      status,
      seconds: (performance.now() - request.started) / 1000,
      outcome: 'OK',
      errors: 0,
      context,
    });
    if (request.span?.isRecording()) {
      if (operationName) request.span.setAttribute(TRACE_ATTRIBUTES.operationName, operationName);
      request.span.setAttribute(TRACE_ATTRIBUTES.operationType, operation.operation);
      setSpanOutcome(request.span, 'OK');
    }
    return {
      status,
      headers: new HeaderMap([
        ['content-type', responseContentType(status, request.mediaType)],
        // Apollo's cache control: a gateway's answer carries no cache hints, so it is never cacheable.
        ['cache-control', 'no-store'],
      ]),
      body: { kind: 'complete', string: `${JSON.stringify({ data })}\n` },
    };
  }

  /**
   * The single fetch of this operation's plan over `runner`'s supergraph, worked out once per
   * document, the second time it is asked: the first time Apollo plans it anyway, so a client
   * sending new documents all the time does not have each planned twice.
   */
  private singleFetchOf(runner: PlanRunner, request: SingleFetchRequest): SingleFetch | null {
    const { document, operation, params } = request;
    let entry = this.known.get(document);
    if (!entry || entry.runner !== runner) {
      entry = { runner, byName: new Map() };
      this.known.set(document, entry);
    }
    const key = params.operationName ?? '';
    const known = entry.byName.get(key);
    if (known === undefined) {
      entry.byName.set(key, SEEN_ONCE);
      return null;
    }
    if (known !== SEEN_ONCE) return known;
    const single = singleFetchOf(runner.plan(document, params.operationName), runner, document, operation);
    entry.byName.set(key, single);
    return single;
  }
}

/** An operation asked for once: Apollo answered it; the next time, the shortcut plans it. */
const SEEN_ONCE = Symbol('seen once');
