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
import { answerablePlanOf, answerOf, type AnswerablePlan, NOT_AS_IS } from '../execution/planAnswer';
import { runPlan } from '../execution/runPlan';
import { inStages } from '../execution/stagedPlans';
import type { GraphQLParams } from './readRequest';

/** One admitted query, as the request path established it. */
export interface PlanAnswerRequest {
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

/** Which plans the gateway runs itself (FAST_SINGLE_FETCH, FAST_PLAN_EXECUTION). */
export interface PlanAnswerOptions {
  /** Plans of one fetch. */
  single: boolean;
  /** Plans of several fetches. */
  several: boolean;
}

/**
 * Queries whose plan the gateway runs itself, without Apollo Server's request pipeline and
 * Apollo Gateway's executor: a plan of one fetch (FAST_SINGLE_FETCH) or of several
 * (FAST_PLAN_EXECUTION), run step for step as Apollo's executor runs it (execution/runPlan.ts),
 * the same fetches through the same subgraph client (signed, deadline, merged, deduplicated,
 * traced, counted in the log line). When the merged data makes the answer as Apollo's result
 * shaping would make it (execution/planAnswer.ts), this writes the answer Apollo Server would
 * have written, byte for byte, with the same status and headers, and the log line, metrics
 * sample and span attributes its plugins would have written (the duration counted from the
 * request's arrival, as for a shared or deferred answer).
 *
 * Everything else goes to Apollo: a plan this executor does not run, an operation an
 * executor layer would act on (a field denied to the caller), variables Apollo would refuse,
 * and any run whose data is not plainly the answer (errors, a null to propagate, a value to
 * drop, a consistency token or cache age to add). The fetches already made are then not made
 * again: their answers wait in the request's context (`prefetched`), and the subgraph client
 * hands each to Apollo's executor when the executor asks for that very fetch (the same
 * subgraph, text and variables), so Apollo shapes them and their errors as always, from one
 * subgraph call per fetch.
 */
export class PlanAnswers {
  /**
   * Per document (the documents stage hands out one DocumentNode per text, and bounds how many
   * live): the planner it was worked out for, and by operation name its answerable plan, null,
   * or SEEN_ONCE.
   */
  private readonly known = new WeakMap<
    DocumentNode,
    { runner: PlanRunner; byName: Map<string, AnswerablePlan | null | typeof SEEN_ONCE> }
  >();

  /** Plans this gateway ran, by who wrote the answer: `answered` here, or `shaped_by_apollo`. */
  private readonly singleFetches: Counter<'outcome'>;
  private readonly severalFetches: Counter<'outcome'>;

  constructor(
    private readonly services: PlanServices,
    private readonly options: PlanAnswerOptions,
  ) {
    const registers = [services.metrics.registry];
    this.singleFetches = new Counter({
      name: 'gateway_single_fetch_answers_total',
      help: 'Queries planned as one fetch that the gateway fetched without Apollo’s executor, by outcome: answered with the data as is, or shaped_by_apollo (errors, nulls to propagate)',
      labelNames: ['outcome'],
      registers,
    });
    this.severalFetches = new Counter({
      name: 'gateway_plan_answers_total',
      help: 'Queries planned as several fetches whose plan the gateway ran without Apollo’s executor, by outcome: answered, or shaped_by_apollo (errors, nulls to propagate)',
      labelNames: ['outcome'],
      registers,
    });
  }

  /** Apollo Server's answer to `request`, made here; undefined when Apollo must make it. */
  async answer(request: PlanAnswerRequest): Promise<HTTPGraphQLResponse | undefined> {
    const { services } = this;
    const { context, operation, params } = request;
    // A caller reading its own writes gets its token back in the answer: Apollo's pipeline adds it.
    if (operation.operation !== 'query' || context.readAfter) return undefined;
    const runner = services.runner();
    const served = services.served();
    if (!runner || !served) return undefined;
    const plan = this.answerablePlanOf(runner, request);
    if (!plan || !(plan.fetches === 1 ? this.options.single : this.options.several)) return undefined;
    const sources = services.subgraphs();
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

    const incomingRequestContext = runnerRequest(
      { ...request, variables: params.variables, operationName: params.operationName },
      context,
      runner.schema,
      services.log,
    );
    const prefetched: NonNullable<GatewayContext['prefetched']> = [];
    const run = await runPlan(
      plan.node,
      async (fetch, variables, path) => {
        const source = sources[fetch.serviceName];
        if (!source) throw new Error(`No subgraph ${fetch.serviceName}`);
        // Apollo Gateway's executor's own request (its sendOperation), but for its usage-trace header.
        const response = await source.process({
          kind: GraphQLDataSourceRequestKind.INCOMING_OPERATION,
          request: { query: fetch.operation, variables, operationName: fetch.operationName },
          incomingRequestContext,
          context,
          document: fetch.operationDocumentNode,
          pathInIncomingRequest: path,
        });
        prefetched.push({ subgraph: fetch.serviceName, query: fetch.operation, variables, response });
        return response;
      },
      params.variables,
      runner.supergraphSchema,
      plan.defaults,
    );
    const data =
      run.clean &&
      context.cacheAge === undefined &&
      // A query writes nothing; were a token ever due, Apollo's pipeline adds it (the consistency stage's plugin).
      !context.written?.size
        ? answerOf(plan, run.data, params.variables)
        : NOT_AS_IS;
    const asIs = data !== NOT_AS_IS;
    (plan.fetches === 1 ? this.singleFetches : this.severalFetches).inc({
      outcome: asIs ? 'answered' : 'shaped_by_apollo',
    });
    if (!asIs) {
      // A fetch that threw was not made (the subgraph client never throws): Apollo's executor makes it.
      context.prefetched = prefetched;
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
   * This operation's plan over `runner`'s supergraph, in stages as Apollo Gateway's plan cache
   * keeps it (so that a stage's entity fetches to one subgraph leave as one call), when the
   * gateway can answer it; worked out once per document, the second time it is asked: the
   * first time Apollo plans it anyway, so a client sending new documents all the time does
   * not have each planned twice.
   */
  private answerablePlanOf(runner: PlanRunner, request: PlanAnswerRequest): AnswerablePlan | null {
    const { services } = this;
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
    let plan: AnswerablePlan | null;
    try {
      plan = answerablePlanOf(inStages(runner.plan(document, params.operationName)), runner, document, operation);
    } catch (error) {
      // Apollo's planner refusing an operation it admitted is Apollo's to report, as it did the first time.
      services.log.warn({ err: error, operationName: params.operationName }, 'the gateway could not plan a query');
      plan = null;
    }
    entry.byName.set(key, plan);
    return plan;
  }
}

/** An operation asked for once: Apollo answered it; the next time, the gateway plans it. */
const SEEN_ONCE = Symbol('seen once');
